//! A time budget that ends an exploration early gives no pass, on either engine: the
//! verdict says INCOMPLETE and how many executions ran.

use std::time::Duration;

use racewright::Scenario;

async fn two_tasks() {
    let a = racewright::spawn(async { racewright::task::yield_now().await });
    let b = racewright::spawn(async { racewright::task::yield_now().await });
    a.await.unwrap();
    b.await.unwrap();
}

#[test]
fn a_shuttle_exploration_cut_by_the_budget_is_incomplete_not_passed() {
    let scenario = Scenario::new("budget::shuttle").iterations(10_000_000).budget(Duration::from_millis(50));
    let report = scenario.clone().run(two_tasks);
    let text = report.to_string();
    assert!(report.failure().is_none(), "{text}");
    let limit = report.limit().expect("a cut exploration says so");
    assert!(limit.contains(&format!("after {} of 10000000 executions", report.executions())), "{limit}");
    assert!(text.starts_with("racewright: INCOMPLETE: budget::shuttle"), "{text}");
    let verdict = std::panic::catch_unwind(|| racewright::__private::run_test(scenario, None, two_tasks));
    let message = verdict.expect_err("an incomplete exploration is not a pass");
    let message = message.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("not a pass"), "{message}");
}

#[test]
fn an_exploration_within_its_budget_passes() {
    let report = Scenario::new("budget::within").iterations(20).budget(Duration::from_secs(600)).run(two_tasks);
    assert!(report.failure().is_none() && report.limit().is_none(), "{report}");
    assert_eq!(report.executions(), 20);
}
