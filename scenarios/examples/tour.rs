//! A tour of racewright: runs the buggy variant of every pattern in the catalogue and
//! prints what racewright reports, then checks that each fixed variant passes.
//!
//! `cargo run -p racewright-scenarios --example tour [NAME...]`

use racewright::Scenario;
use racewright_scenarios::{Variant, catalogue};

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let mut surprises = 0;
    for entry in catalogue().into_iter().filter(|entry| wanted.is_empty() || wanted.iter().any(|w| w == entry.name)) {
        let run = entry.run;
        let name = format!("tour::{}", entry.name);
        println!("==== {} (buggy variant, expecting `{}`)\n", entry.name, entry.expected);
        let report = Scenario::new(name.clone()).run(move || run(Variant::Buggy));
        println!("{report}");
        let found = report.failures().iter().any(|failure| failure.kind() == entry.expected);
        let fixed = Scenario::new(name).run(move || run(Variant::Fixed));
        match (found, fixed.failure()) {
            (true, None) => println!("fixed variant: passed {} executions\n", fixed.executions()),
            (false, _) => {
                surprises += 1;
                println!("!! the bug was not found as `{}`\n", entry.expected);
            }
            (true, Some(_)) => {
                surprises += 1;
                println!("!! the fixed variant failed:\n{fixed}\n");
            }
        }
    }
    if surprises > 0 {
        eprintln!("{surprises} pattern(s) did not behave as the catalogue says");
        std::process::exit(1);
    }
}
