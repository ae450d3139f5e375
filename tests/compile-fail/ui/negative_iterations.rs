#[racewright::test(iterations = -5)]
async fn negative_iterations() {}

fn main() {}
