#[racewright::test(engine = "tokio")]
async fn bad_engine() {}

fn main() {}
