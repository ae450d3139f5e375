#[racewright::test(iterashuns = 5)]
async fn typo() {}

fn main() {}
