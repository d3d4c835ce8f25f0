//! The module graph of `src/` has no cycle: no two files import each other,
//! directly or through others. Each `use crate::...`, `use super::...` and
//! `use self::...` (braces expanded) is resolved to the file that defines
//! the longest prefix of its path; `mod.rs`, `lib.rs` and `main.rs` only
//! declare and re-export, so edges into them are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The module path of a file under `src/` (`src/changepoint/cost.rs` is
/// `["changepoint", "cost"]`; a `mod.rs` is its folder's module).
fn module_of(file: &Path, src: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The paths a `use` tree names, braces expanded: `a::{b, c::d}` gives
/// `a::b` and `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or(tree).trim().to_owned()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |q| format!("{prefix}{q}")))
        .collect()
}

/// Every `use` statement of `text` (a line that starts with `use` or
/// `pub use`, up to its `;`).
fn uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        let Some(rest) = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        else {
            continue;
        };
        let mut statement = rest.to_owned();
        while !statement.contains(';') {
            let Some(next) = lines.next() else { break };
            statement.push_str(next.trim());
        }
        let statement = statement.split(';').next().unwrap_or_default();
        out.extend(expand(&statement.split_whitespace().collect::<Vec<_>>().join(" ")));
    }
    out
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file that defines module `path`, or the longest prefix of it that
/// is a file.
fn resolve(path: &[String], defined: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|k| defined.get(&path[..k]).cloned())
}

#[test]
fn no_two_files_of_src_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let defined: BTreeMap<Vec<String>, PathBuf> = all.iter().map(|f| (module_of(f, &src), f.clone())).collect();
    let hub = |f: &Path| {
        matches!(
            f.file_name().and_then(|n| n.to_str()),
            Some("mod.rs" | "lib.rs" | "main.rs")
        )
    };
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in &all {
        let here = module_of(file, &src);
        // `super` is the parent of the module (of the folder for mod.rs).
        let parent = here[..here.len().saturating_sub(1)].to_vec();
        for u in uses(&std::fs::read_to_string(file).unwrap()) {
            let segments: Vec<String> = u.split("::").map(|s| s.trim().to_owned()).collect();
            let absolute: Vec<String> = match segments[0].as_str() {
                "crate" => segments[1..].to_vec(),
                "super" => parent.iter().cloned().chain(segments[1..].iter().cloned()).collect(),
                "self" => here.iter().cloned().chain(segments[1..].iter().cloned()).collect(),
                _ => continue,
            };
            if let Some(target) = resolve(&absolute, &defined)
                && &target != file
                && !hub(&target)
            {
                edges.entry(file.clone()).or_default().insert(target);
            }
        }
    }
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() > 40,
        "the resolver finds the imports: {edges:?}"
    );
    // Depth-first search for a cycle.
    fn visit(
        f: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        stack: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(at) = stack.iter().position(|s| s == f) {
            return Some(stack[at..].to_vec());
        }
        if done.contains(f) {
            return None;
        }
        stack.push(f.clone());
        for g in edges.get(f).into_iter().flatten() {
            if let Some(cycle) = visit(g, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(f.clone());
        None
    }
    let mut done = BTreeSet::new();
    for f in edges.keys() {
        if let Some(cycle) = visit(f, &edges, &mut Vec::new(), &mut done) {
            panic!("an import cycle: {cycle:?}");
        }
    }
}
