#[racewright::test(max_queue = 0)]
async fn zero_max_queue() {}

fn main() {}
