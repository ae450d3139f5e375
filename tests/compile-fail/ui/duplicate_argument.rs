#[racewright::test(iterations = 10, seed = 1, iterations = 20)]
async fn duplicate_argument() {}

fn main() {}
