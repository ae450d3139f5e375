#[racewright::test(expect = "race")]
async fn bad_expect() {}

fn main() {}
