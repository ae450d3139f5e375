#[racewright::test(preemption_bound = "two")]
async fn bad_preemption_bound() {}

fn main() {}
