#[racewright::test(threads = 0)]
async fn zero_threads() {}

fn main() {}
