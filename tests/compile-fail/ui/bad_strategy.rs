#[racewright::test(strategy = "bfs")]
async fn bad_strategy() {}

fn main() {}
