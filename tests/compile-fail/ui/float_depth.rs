#[racewright::test(depth = 1.5)]
async fn float_depth() {}

fn main() {}
