#[racewright::test(switch_points = "await")]
async fn bad_switch_points() {}

fn main() {}
