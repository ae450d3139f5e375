#[racewright::test(lost_messages = "warn")]
async fn bad_lost_messages() {}

fn main() {}
