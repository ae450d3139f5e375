#[racewright::test]
async fn generic_where()
where
    u8: Copy,
{
}

fn main() {}
