#[racewright::test(flavor = "single_thread")]
async fn bad_flavor() {}

fn main() {}
