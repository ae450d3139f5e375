//! A normal build of the service has no racewright in it: `cargo tree` of its normal
//! dependencies names tokio, never racewright, shuttle or loom.

#[test]
fn a_normal_build_depends_on_real_tokio_only() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "-p", "racewright-service", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let crates: Vec<&str> = tree.lines().filter_map(|line| line.split_whitespace().next()).collect();
    assert!(crates.contains(&"tokio"), "{tree}");
    for absent in ["racewright", "racewright-macros", "shuttle", "shuttle-engine", "loom"] {
        assert!(!crates.contains(&absent), "a normal build contains {absent}:\n{tree}");
    }
}
