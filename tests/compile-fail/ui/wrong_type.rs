#[racewright::test(iterations = "many")]
async fn wrong_type() {}

fn main() {}
