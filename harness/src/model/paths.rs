//! Source paths as reports show them: relative to the workspace, the same on every machine.

use std::panic::Location;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `file:line:column` of a caller location.
pub(crate) fn location(location: &Location<'_>) -> String {
    location_parts(location.file(), location.line(), location.column())
}

/// `file:line:column`, with the file relative to the workspace.
pub(crate) fn location_parts(file: &str, line: u32, column: u32) -> String {
    format!("{}:{line}:{column}", relative(file))
}

/// `file:line` of a caller location, for places where the column is noise.
pub(crate) fn short(location: &Location<'_>) -> String {
    format!("{}:{}", relative(location.file()), location.line())
}

/// A source path without the parts that differ between machines.
pub(crate) fn relative(file: &str) -> String {
    let path = Path::new(file);
    if path.is_relative() {
        return file.replace('\\', "/");
    }
    if let Some(root) = workspace_root() {
        if let Ok(inside) = path.strip_prefix(root) {
            return inside.to_string_lossy().replace('\\', "/");
        }
    }
    // A dependency's source under cargo's registry: keep `crate-version/...`.
    let normalised = file.replace('\\', "/");
    if let Some(index) = normalised.find("/registry/src/") {
        let after = &normalised[index + "/registry/src/".len()..];
        if let Some(slash) = after.find('/') {
            return after[slash + 1..].to_string();
        }
    }
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| normalised.clone())
}

/// The workspace being tested: the nearest ancestor of the working directory with a
/// `Cargo.lock` (cargo runs tests from the package's directory).
pub(crate) fn workspace_root() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        let start = std::env::current_dir().ok()?;
        start.ancestors().find(|dir| dir.join("Cargo.lock").is_file()).map(Path::to_path_buf)
    })
    .as_deref()
}
