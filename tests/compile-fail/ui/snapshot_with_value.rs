#[racewright::test(snapshot = true)]
async fn snapshot_with_value() {}

fn main() {}
