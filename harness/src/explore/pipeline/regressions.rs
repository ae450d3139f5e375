//! Failures are kept, like proptest's regression files: each failing test appends its
//! replay token to `racewright-regressions/<test>.txt` in its package, and the next run
//! replays those first. Commit the files; delete a line once the bug is fixed for good.
//! `RACEWRIGHT_REGRESSIONS` turns the writing (`replay-only`) or both (`off`) off.

use std::path::PathBuf;

use super::origin::Origin;
use crate::explore::env::Regressions;

/// The regression file of a test.
pub(crate) fn file(origin: &Origin) -> Option<PathBuf> {
    let directory = origin.manifest_dir.as_ref()?;
    let stem: String =
        origin.test.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    let target = origin.target.as_deref().unwrap_or("lib");
    Some(directory.join("racewright-regressions").join(format!("{target}__{stem}.txt")))
}

/// The tokens kept for a test, oldest first.
pub(crate) fn load(origin: &Origin) -> Vec<String> {
    if Regressions::from_env() == Regressions::Off {
        return Vec::new();
    }
    let Some(path) = file(origin) else { return Vec::new() };
    let Ok(text) = std::fs::read_to_string(&path) else { return Vec::new() };
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).map(String::from).collect()
}

/// Keeps `token` for the next runs; a failure to write is reported, never fatal.
pub(crate) fn save(origin: &Origin, token: &str) {
    if Regressions::from_env() != Regressions::On {
        return;
    }
    let Some(path) = file(origin) else { return };
    if load(origin).iter().any(|kept| kept == token) {
        return;
    }
    let header = "# Failing schedules found by racewright, replayed first on every run.\n\
                  # Commit this file; remove a line once its bug is fixed.\n";
    let result = (|| -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut text = std::fs::read_to_string(&path).unwrap_or_else(|_| header.to_string());
        text.push_str(token);
        text.push('\n');
        std::fs::write(&path, text)
    })();
    if let Err(error) = result {
        eprintln!("racewright: could not keep the failing schedule in {}: {error}", path.display());
    }
}
