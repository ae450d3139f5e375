use racewright::{Scenario, Strategy};
use racewright_scenarios::Variant;
use racewright_scenarios::sctbench::{self, Racewright};
fn main() {
    let program: &'static str = Box::leak(std::env::args().nth(1).unwrap().into_boxed_str());
    let report = Scenario::new("scratch").iterations(1).seed(3).strategy(Strategy::Random).run(move || async move {
        sctbench::run::<Racewright>(program, Variant::Fixed).await;
        if program.len() < 1000 {
            panic!("end")
        }
    });
    println!("{report}");
}
