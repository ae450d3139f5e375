//! Where a test lives: what its replay command and its regression file need.

/// Where a test lives, for the replay command of its report.
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    pub(crate) package: String,
    /// The integration-test target, or `None` for the library's unit tests.
    pub(crate) target: Option<String>,
    /// The test's path inside its target, as libtest names it.
    pub(crate) test: String,
    /// The test's package directory, where its regression file lives.
    pub(crate) manifest_dir: Option<std::path::PathBuf>,
}

impl Origin {
    /// The command that runs this one test: `cargo test -p <package> --test <target> <test> -- --exact`.
    pub(crate) fn cargo_test(&self) -> String {
        let target = match &self.target {
            Some(target) => format!("--test {target}"),
            None => "--lib".to_string(),
        };
        format!("cargo test -p {} {target} {} -- --exact", self.package, self.test)
    }
}
