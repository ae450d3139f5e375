#[racewright::test(seed = 18446744073709551616)]
async fn huge_seed() {}

fn main() {}
