#[racewright::test]
fn not_async() {}

fn main() {}
