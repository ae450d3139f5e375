//! `ci/clippy.toml`, the clippy configuration users copy for the code under test, does
//! what ci/README.md says: with it, clippy flags a std atomic and `std::thread::spawn`,
//! and names the racewright type to use; without it, the same code is clean.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Code under test that shares a counter through a std atomic, and starts a thread.
const CODE: &str = "
pub fn count(hits: &std::sync::atomic::AtomicUsize) -> usize {
    hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

pub fn start() -> std::thread::JoinHandle<()> {
    std::thread::spawn(|| {})
}
";

/// Runs clippy over a crate of `CODE`, with the configuration in `config_dir` if any;
/// returns what it printed.
fn clippy(crate_dir: &Path, config_dir: Option<&Path>) -> String {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(["clippy", "--quiet", "--color", "never"])
        .current_dir(crate_dir)
        // A target directory each, so that neither run reuses the other's verdict.
        .env("CARGO_TARGET_DIR", crate_dir.join(if config_dir.is_some() { "target-with" } else { "target-without" }))
        .env_remove("CLIPPY_CONF_DIR");
    if let Some(config_dir) = config_dir {
        command.env("CLIPPY_CONF_DIR", config_dir);
    }
    let output = command.output().expect("cargo runs");
    let printed = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "cargo clippy failed:\n{printed}");
    printed
}

#[test]
fn clippy_with_ci_config_flags_std_atomics_and_threads_in_the_code_under_test() {
    let crate_dir = std::env::temp_dir().join(format!("racewright-clippy-config-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&crate_dir);
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        "[package]\nname = \"code-under-test\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(crate_dir.join("src/lib.rs"), CODE).unwrap();
    let ci: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci");

    let without = clippy(&crate_dir, None);
    assert!(!without.contains("disallowed"), "{without}");

    let with = clippy(&crate_dir, Some(&ci));
    assert!(with.contains("use of a disallowed type `std::sync::atomic::AtomicUsize`"), "{with}");
    assert!(with.contains("use racewright::sync::atomic::AtomicUsize"), "{with}");
    assert!(with.contains("use of a disallowed method `std::thread::spawn`"), "{with}");
    assert!(with.contains("use racewright::spawn"), "{with}");
    let _ = std::fs::remove_dir_all(&crate_dir);
}
