#[racewright::test(iterations = 0)]
async fn zero_iterations() {}

fn main() {}
