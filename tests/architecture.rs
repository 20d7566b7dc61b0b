//! The layout's rules, checked on the source itself: inside each crate the
//! top-level modules import one another without cycles (a module can be
//! read, tested and moved with only what sits below it), and every source
//! file opens with a doc comment saying what it owns.
//!
//! The import graph is read from the text: every `crate::name` path and
//! every `use crate::{…}` group, outside comments and `#[cfg(test)]` code
//! (tests may reach anywhere). A name that is not a module but is
//! re-exported from `lib.rs` counts as the module it comes from.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The source roots whose module graphs must be acyclic.
const ROOTS: &[&str] = &[
    "access/src",
    "classifiers/src",
    "cli",
    "extract/src",
    "scanner/src",
    "verify/src",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "rs") {
            out.push(entry.into_path());
        }
    }
}

/// The top-level module a file belongs to (`detect/mod.rs` → `detect`); the
/// crate root (`lib.rs`, `main.rs`) is `crate`.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("file under its root");
    let first = rel
        .components()
        .next()
        .expect("a path")
        .as_os_str()
        .to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    if name == "lib" || name == "main" {
        "crate".into()
    } else {
        name
    }
}

/// The code of a file without comment lines and without what follows its
/// first `#[cfg(test)]` (test modules sit at the end of a file here).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first path segment of each item of a `use crate::{…}` group.
fn group_heads(group: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                heads.push(identifier(group[start..i].trim()));
                start = i + 1;
            }
            _ => {}
        }
    }
    heads.push(identifier(group[start..].trim()));
    heads.into_iter().filter(|h| !h.is_empty()).collect()
}

/// Every name a file's code reaches through `crate::`.
fn crate_paths(code: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1usize;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            names.extend(group_heads(&group[..end]));
        } else {
            names.push(identifier(rest));
        }
    }
    names
}

/// `pub use module::…::Name;` lines of the crate root: Name → module.
fn reexports(root_code: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in root_code.lines() {
        let Some(path) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim_end_matches(';');
        let module = identifier(path).to_string();
        let tail = path.rsplit("::").next().unwrap_or(path);
        for name in tail.trim_matches(['{', '}']).split(',') {
            map.insert(identifier(name.trim()).to_string(), module.clone());
        }
    }
    map
}

/// Module → the modules it imports.
fn import_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(root, f)).collect();
    let root_code = files
        .iter()
        .filter(|f| module_of(root, f) == "crate")
        .map(|f| code(&fs::read_to_string(f).expect("read the crate root")))
        .collect::<String>();
    let reexported = reexports(&root_code);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(root, file);
        let text = fs::read_to_string(file).expect("read a source file");
        let edges = graph.entry(from.clone()).or_default();
        for name in crate_paths(&code(&text)) {
            let to = if modules.contains(name) {
                name.to_string()
            } else if let Some(module) = reexported.get(name) {
                module.clone()
            } else {
                "crate".to_string()
            };
            // The root declares every module; that is ownership, not an import.
            if to != from && from != "crate" {
                edges.insert(to);
            }
        }
    }
    graph
}

/// A cycle in the graph, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn module_imports_have_no_cycles() {
    for root in ROOTS {
        let graph = import_graph(&workspace().join(root));
        assert!(graph.len() > 3, "{root}: too few modules read: {graph:?}");
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "{root}: modules import each other in a cycle: {}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_cycle_finder_sees_cycles_and_reexports() {
    let code = "use crate::{alpha::A, beta::{B, C}};\nfn f() { crate::Gamma::new(); }";
    assert_eq!(crate_paths(code), ["alpha", "beta", "Gamma"]);
    let exports = reexports("pub use engine::Gamma;\npub use object::{Delta, Eps};");
    assert_eq!(exports.get("Gamma").map(String::as_str), Some("engine"));
    assert_eq!(exports.get("Eps").map(String::as_str), Some("object"));
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    let cycle = find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]));
    assert_eq!(cycle.map(|c| c.len()), Some(4), "a -> b -> c -> a");
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
}

#[test]
fn every_source_file_opens_with_a_doc_comment() {
    for root in ROOTS {
        let mut files = Vec::new();
        rust_files(&workspace().join(root), &mut files);
        for file in files {
            let text = fs::read_to_string(&file).expect("read a source file");
            assert!(
                text.starts_with("//!"),
                "{}: a module opens with a `//!` comment saying what it owns",
                file.display()
            );
        }
    }
}
