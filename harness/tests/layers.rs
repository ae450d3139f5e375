//! The architecture's dependency rules, checked over the source (ARCHITECTURE.md, "Layers").
//!
//! Reads every file of `harness/src`, leaves out test code (`#[cfg(test)]` items and
//! `tests.rs` files), and collects the modules each file names through `crate::`,
//! `super::` and `self::` paths. Then checks that
//! - every top-level module imports only from its own layer or the layers below it, and
//! - there is no import cycle, neither between files nor between the folders of any
//!   directory.
//!
//! Run it alone with `cargo test -p racewright --test layers`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a top-level module may import from its own layer and the
/// ones before it, never from a later one.
const LAYERS: &[(&str, &[&str])] = &[
    ("plain data", &["model", "trace"]),
    ("runtime", &["run"]),
    ("detectors", &["detect"]),
    ("engines", &["engine"]),
    ("facade", &["sync", "task", "time", "select", "cancel", "runtime"]),
    ("report", &["report"]),
    ("explore", &["explore"]),
    ("crate root", &["lib"]),
];

/// A module path inside the crate, e.g. `["engine", "shuttle", "supervisor"]`.
type ModulePath = Vec<String>;

struct Source {
    files: BTreeMap<ModulePath, PathBuf>,
}

impl Source {
    fn read(root: &Path) -> Source {
        let mut files = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable source folder") {
                let path = entry.expect("readable entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|ext| ext == "rs") {
                    let module = module_of(root, &path);
                    if module.last().is_some_and(|last| last == "tests") {
                        continue;
                    }
                    files.insert(module, path);
                }
            }
        }
        Source { files }
    }

    /// The file that defines the longest prefix of `path` that is a module.
    fn resolve(&self, path: &[String]) -> Option<ModulePath> {
        (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|prefix| self.files.contains_key(prefix))
    }

    /// Each file's imports, as the files they name.
    fn imports(&self) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
        let mut imports = BTreeMap::new();
        for (module, path) in &self.files {
            let text =
                without_comments(&without_test_code(&std::fs::read_to_string(path).expect("readable source file")));
            let mut named = BTreeSet::new();
            for (position, reference) in references(&text) {
                // Inside an inline `mod name { .. }`, `self` and `super` start from it.
                let here = [module.clone(), inline_module_at(&text, position)].concat();
                let absolute = match reference.first().map(String::as_str) {
                    Some("crate") => reference[1..].to_vec(),
                    Some("self") => [here, reference[1..].to_vec()].concat(),
                    Some("super") => {
                        let mut base = here;
                        let mut rest = &reference[..];
                        // `super` of `a::b` is `a`, whether `b` is `a/b.rs` or `a/b/mod.rs`.
                        while rest.first().is_some_and(|part| part == "super") {
                            base.pop();
                            rest = &rest[1..];
                        }
                        [base, rest.to_vec()].concat()
                    }
                    _ => continue,
                };
                if let Some(target) = self.resolve(&absolute).filter(|target| target != module) {
                    named.insert(target);
                }
            }
            imports.insert(module.clone(), named);
        }
        imports
    }
}

fn module_of(root: &Path, path: &Path) -> ModulePath {
    let relative = path.strip_prefix(root).expect("inside the source root").with_extension("");
    let mut parts: ModulePath = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|last| last == "mod" || last == "lib") {
        parts.pop();
    }
    parts
}

/// The text without the items marked `#[cfg(test)]` (a `mod tests { .. }` at the end of
/// the file, or another item).
fn without_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        // A test module closes its file, as is the custom here (and braces in its strings
        // would mislead the count below).
        if after["#[cfg(test)]".len()..].trim_start().starts_with("mod tests {") {
            rest = "";
            break;
        }
        // The item ends at `;` before any `{`, or at the brace that closes its first `{`.
        let semicolon = after.find(';');
        let brace = after.find('{');
        let end = match (semicolon, brace) {
            (Some(semicolon), Some(brace)) if semicolon < brace => semicolon + 1,
            (_, Some(brace)) => {
                let mut depth = 0usize;
                let mut end = after.len();
                for (offset, c) in after[brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = brace + offset + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(semicolon), None) => semicolon + 1,
            (None, None) => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The inline modules (`mod name { .. }`) around byte `position` of `text`, outermost first.
fn inline_module_at(text: &str, position: usize) -> ModulePath {
    let bytes = text.as_bytes();
    let mut names = Vec::new();
    let mut search = 0;
    while let Some(found) = text[search..position].find("mod ") {
        let start = search + found;
        search = start + 4;
        let name_end = bytes[search..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(text.len(), |n| search + n);
        let after_name = text[name_end..].trim_start();
        if name_end == search || !after_name.starts_with('{') {
            continue;
        }
        let open = text.len() - after_name.len();
        let mut depth = 0usize;
        let mut close = text.len();
        for (offset, byte) in bytes[open..].iter().enumerate() {
            match byte {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + offset;
                        break;
                    }
                }
                _ => {}
            }
        }
        if open < position && position < close {
            names.push(text[search..name_end].to_string());
        }
    }
    names
}

/// The code without its comments (line by line: what follows `//`).
fn without_comments(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// Every path of `code` that starts with `crate`, `super` or `self`, with `use` groups
/// expanded, and where it starts; `$crate` (macro output, resolved where the macro is
/// used) left out.
fn references(code: &str) -> Vec<(usize, ModulePath)> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b'$');
        let head = ["crate::", "super::", "self::"].into_iter().find(|head| bytes[i..].starts_with(head.as_bytes()));
        match head {
            Some(head) if starts_word => {
                let first = head.trim_end_matches("::").to_string();
                let (paths, end) = parse_tree(code, i + head.len(), vec![first]);
                found.extend(paths.into_iter().map(|path| (i, path)));
                i = end;
            }
            _ => i += 1,
        }
    }
    found
}

/// Parses a path or `use` tree starting at `start` after `prefix::`; returns the paths
/// and where parsing stopped.
fn parse_tree(code: &str, start: usize, prefix: ModulePath) -> (Vec<ModulePath>, usize) {
    let bytes = code.as_bytes();
    let mut path = prefix;
    let mut i = start;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            let mut paths = Vec::new();
            i += 1;
            loop {
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return (paths, i + 1);
                }
                let (inner, end) = parse_tree(code, i, path.clone());
                paths.extend(inner);
                i = end.max(i + 1);
            }
        }
        let word_end =
            bytes[i..].iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).map_or(code.len(), |n| i + n);
        if word_end == i {
            return (vec![path], i);
        }
        path.push(code[i..word_end].to_string());
        i = word_end;
        if bytes[i..].starts_with(b"::") {
            i += 2;
        } else {
            // `self` inside a group names the group's own module.
            if path.last().is_some_and(|last| last == "self") && path.len() > 1 {
                path.pop();
            }
            return (vec![path], i);
        }
    }
}

fn layer_of(module: &ModulePath) -> usize {
    let top = module.first().map_or("lib", String::as_str);
    LAYERS
        .iter()
        .position(|(_, members)| members.contains(&top))
        .unwrap_or_else(|| panic!("`{top}` is in no layer: add it to LAYERS here and in ARCHITECTURE.md"))
}

fn show(module: &ModulePath) -> String {
    if module.is_empty() { "lib".to_string() } else { module.join("::") }
}

/// The cycles of a directed graph: each strongly connected component with more than one node.
fn cycles<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    // Kosaraju: order by finish time, then collect components on the reversed graph.
    let nodes: BTreeSet<N> =
        edges.iter().flat_map(|(from, to)| std::iter::once(from.clone()).chain(to.iter().cloned())).collect();
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for start in &nodes {
        if seen.contains(start) {
            continue;
        }
        let mut stack = vec![(start.clone(), false)];
        while let Some((node, done)) = stack.pop() {
            if done {
                order.push(node);
                continue;
            }
            if !seen.insert(node.clone()) {
                continue;
            }
            stack.push((node.clone(), true));
            for next in edges.get(&node).into_iter().flatten() {
                if !seen.contains(next) {
                    stack.push((next.clone(), false));
                }
            }
        }
    }
    let mut reversed: BTreeMap<N, BTreeSet<N>> = BTreeMap::new();
    for (from, to) in edges {
        for to in to {
            reversed.entry(to.clone()).or_default().insert(from.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut components = Vec::new();
    for start in order.into_iter().rev() {
        if assigned.contains(&start) {
            continue;
        }
        let mut component = Vec::new();
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            if !assigned.insert(node.clone()) {
                continue;
            }
            component.push(node.clone());
            stack.extend(reversed.get(&node).into_iter().flatten().filter(|next| !assigned.contains(*next)).cloned());
        }
        if component.len() > 1 {
            component.sort();
            components.push(component);
        }
    }
    components
}

fn source() -> Source {
    Source::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn every_module_imports_only_from_its_layer_and_below() {
    let mut violations = Vec::new();
    for (module, imports) in source().imports() {
        for import in imports {
            let (from, to) = (layer_of(&module), layer_of(&import));
            if to > from {
                violations.push(format!(
                    "{} ({}) imports {} ({})",
                    show(&module),
                    LAYERS[from].0,
                    show(&import),
                    LAYERS[to].0
                ));
            }
        }
    }
    assert!(violations.is_empty(), "imports against the layer order:\n  {}", violations.join("\n  "));
}

#[test]
fn no_import_cycle_between_files_or_folders() {
    let imports = source().imports();
    let mut found = Vec::new();
    for component in cycles(&imports) {
        found.push(format!("files: {}", component.iter().map(show).collect::<Vec<_>>().join(", ")));
    }
    // For every folder, the graph among its children (files and subfolders, each taken whole).
    let mut by_folder: BTreeMap<ModulePath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, targets) in &imports {
        for to in targets {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            // Within one folder's children, both ends must lie below that folder.
            if common < from.len() && common < to.len() {
                by_folder
                    .entry(from[..common].to_vec())
                    .or_default()
                    .entry(from[common].clone())
                    .or_default()
                    .insert(to[common].clone());
            }
        }
    }
    for (folder, edges) in &by_folder {
        for component in cycles(edges) {
            found.push(format!("inside {}: {}", show(folder), component.join(", ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n  {}", found.join("\n  "));
}

#[test]
fn the_reader_finds_what_a_file_imports() {
    let text = "use crate::engine::{self, StateLock};\nuse super::{a::b, c};\npub mod inner { pub use super::d::E; }\n#[cfg(test)]\nmod tests { use crate::explore::Scenario; }\n// crate::report\nlet x = $crate::select::Select::new();";
    let found = references(&without_comments(&without_test_code(text)));
    let found: Vec<String> = found.iter().map(|(_, path)| path.join("::")).collect();
    assert_eq!(found, ["crate::engine", "crate::engine::StateLock", "super::a::b", "super::c", "super::d::E"]);
    let inline = text.find("super::d").expect("in the text");
    assert_eq!(inline_module_at(text, inline), ["inner"]);
}
