#[racewright::test(iterations)]
async fn flag_without_value() {}

fn main() {}
