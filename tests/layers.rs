#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data
//! The layers of docs/ARCHITECTURE.md, held by reading `src/` as text: a
//! file may name (`crate::…`, `super::…`) only the layers its own layer's
//! arrow lists, and no files name each other in a ring.
//!
//! The arrows are written once, in the "Layers" section of
//! docs/ARCHITECTURE.md; this test reads them from there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `layer → allowed layers`, from the lines `    NAME → A B C` of the
/// architecture document's "## Layers" section.
fn arrows(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .expect("docs/ARCHITECTURE.md has a \"## Layers\" section");
    section
        .lines()
        .filter(|l| l.starts_with("    "))
        .filter_map(|l| {
            let (from, to) = l.split_once('→')?;
            let to = to.split_whitespace().filter(|t| *t != "—").map(str::to_owned).collect();
            Some((from.trim().to_owned(), to))
        })
        .collect()
}

/// A source file: its module path (`["app", "state"]`) and its text with
/// comments removed (doc comments name paths in prose).
struct Source {
    file: PathBuf,
    module: Vec<String>,
    code: String,
}

fn sources() -> Vec<Source> {
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|file| {
            let relative = file.strip_prefix(&src).ok()?.with_extension("");
            let mut module: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            if module == ["lib"] {
                return None;
            }
            let text = std::fs::read_to_string(&file).ok()?;
            Some(Source {
                code: strip_comments(&text),
                file,
                module,
            })
        })
        .collect()
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// Every module path a file names, as absolute paths from the crate root
/// (`crate::a::{b, c::d}` gives `a::b` and `a::c::d`; `super::x` is
/// resolved from the file's own module).
fn paths_named(source: &Source) -> Vec<Vec<String>> {
    let code = &source.code;
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = code[at..].find(['c', 's']) {
        let start = at + offset;
        at = start + 1;
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[start..];
        let (base, mut tail) = if let Some(tail) = rest.strip_prefix("crate::") {
            (Vec::new(), tail)
        } else if rest.starts_with("super::") {
            let mut base = source.module.clone();
            let mut tail = rest;
            while let Some(t) = tail.strip_prefix("super::") {
                base.pop();
                tail = t;
            }
            (base, tail)
        } else {
            continue;
        };
        // Walk `a::b::c`, stopping at a group or the path's end.
        let mut path = base;
        loop {
            let ident = ident_at(tail);
            if ident.is_empty() {
                break;
            }
            path.push(ident.to_owned());
            tail = &tail[ident.len()..];
            match tail.strip_prefix("::") {
                Some(t) => tail = t,
                None => break,
            }
        }
        if let Some(group) = tail.strip_prefix('{') {
            for item in group_items(group) {
                let mut full = path.clone();
                full.extend(item.split("::").map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()));
                found.push(full);
            }
        } else {
            found.push(path);
        }
    }
    found
}

/// The items of a `{…}` group up to its closing brace, nested groups
/// flattened (`a, b::{c, d}` gives `a`, `b::c`, `b::d`).
fn group_items(group: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    let mut prefixes: Vec<String> = Vec::new();
    for c in group.chars() {
        match c {
            '{' => {
                prefixes.push(current.trim().to_owned());
                current.clear();
                depth += 1;
            }
            '}' if depth == 0 => break,
            '}' => {
                if !current.trim().is_empty() {
                    items.push(format!("{}{}", prefixes.concat(), current.trim()));
                }
                current.clear();
                prefixes.pop();
                depth -= 1;
            }
            ',' => {
                if !current.trim().is_empty() {
                    items.push(format!("{}{}", prefixes.concat(), current.trim()));
                }
                current.clear();
            }
            c if c.is_whitespace() => {}
            c => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        items.push(format!("{}{}", prefixes.concat(), current.trim()));
    }
    items
        .into_iter()
        .map(|i| i.split(" as ").next().unwrap_or_default().to_owned())
        .collect()
}

fn relative(file: &Path) -> String {
    file.strip_prefix(ROOT).unwrap_or(file).display().to_string()
}

#[test]
fn each_layer_names_only_the_layers_its_arrow_allows() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/ARCHITECTURE.md"))
        .expect("docs/ARCHITECTURE.md is readable");
    let arrows = arrows(&doc);
    let sources = sources();
    let layers: BTreeSet<&str> = sources.iter().map(|s| s.module[0].as_str()).collect();
    for layer in &layers {
        assert!(
            arrows.contains_key(*layer) || *layer == "main",
            "src/{layer} has no arrow in docs/ARCHITECTURE.md's Layers section"
        );
    }
    let mut wrong = BTreeSet::new();
    for source in &sources {
        let own = &source.module[0];
        let Some(allowed) = arrows.get(own) else { continue };
        for path in paths_named(source) {
            let Some(target) = path.first() else { continue };
            if target != own && layers.contains(target.as_str()) && !allowed.contains(target) {
                wrong.insert(format!("{} names {}", relative(&source.file), path.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against docs/ARCHITECTURE.md's arrows:\n  {}",
        wrong.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn the_reader_sees_through_groups_and_super() {
    let source = Source {
        file: PathBuf::from("src/ui/x.rs"),
        module: vec!["ui".into(), "x".into()],
        code: "use crate::{backends::panels::Line, domain::{a, b::C}};\nuse super::super::ops::prepare;\nlet s = \"supercrate::no\";".into(),
    };
    let named: Vec<String> = paths_named(&source).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        named,
        ["backends::panels::Line", "domain::a", "domain::b::C", "ops::prepare"]
    );
}

/// The file a path names: its longest prefix that is a module, seen
/// through a `mod.rs`'s `pub use` of the item named after it.
fn file_of<'a>(path: &[String], modules: &'a BTreeMap<Vec<String>, Source>) -> Option<&'a Source> {
    let (len, source) = (1..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n]).map(|s| (n, s)))?;
    let is_mod_rs = source.file.file_name().is_some_and(|f| f == "mod.rs");
    if let (true, Some(item)) = (is_mod_rs, path.get(len)) {
        let reexported = paths_named(source)
            .into_iter()
            .find(|p| p.last() == Some(item) && source.code.contains("pub use"));
        if let Some(origin) = reexported.filter(|p| p.as_slice() != path) {
            return file_of(&origin, modules).or(Some(source));
        }
    }
    Some(source)
}

/// Groups of files that import each other in a ring (Tarjan's strongly
/// connected components of the file graph), each member with the ring
/// members it names.
fn rings(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<(String, Vec<String>)>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for next in w.edges.get(v).into_iter().flatten() {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let low = w.low[v].min(w.low[next]);
                w.low.insert(v, low);
            } else if w.stack.contains(&next) {
                let low = w.low[v].min(w.index[next]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut group = Vec::new();
            while let Some(top) = w.stack.pop() {
                group.push(top);
                if top == v {
                    break;
                }
            }
            if group.len() > 1 {
                w.found.push(group);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            visit(&mut walk, v);
        }
    }
    walk.found
        .into_iter()
        .map(|group| {
            let mut members: Vec<(String, Vec<String>)> = group
                .iter()
                .map(|m| {
                    let named = edges[*m]
                        .iter()
                        .filter(|t| group.contains(&t.as_str()))
                        .cloned()
                        .collect();
                    ((*m).to_owned(), named)
                })
                .collect();
            members.sort();
            members
        })
        .collect()
}

fn file_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<Vec<String>, Source> = sources().into_iter().map(|s| (s.module.clone(), s)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in modules.values() {
        let from = relative(&source.file);
        let targets = edges.entry(from.clone()).or_default();
        for path in paths_named(source) {
            if let Some(target) = file_of(&path, &modules).map(|t| relative(&t.file))
                && target != from
            {
                targets.insert(target);
            }
        }
    }
    edges
}

#[test]
fn no_files_import_each_other_in_a_ring() {
    let found = rings(&file_graph());
    let shown: Vec<String> = found
        .iter()
        .map(|ring| {
            ring.iter()
                .map(|(file, named)| format!("{file} → {}", named.join(", ")))
                .collect::<Vec<_>>()
                .join("\n    ")
        })
        .collect();
    assert!(
        shown.is_empty(),
        "files that import each other in a ring:\n    {}",
        shown.join("\n  and\n    ")
    );
}

#[test]
fn a_ring_of_three_is_found_and_a_chain_is_not() {
    let graph = |pairs: &[(&str, &str)]| {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            edges.entry((*a).into()).or_default().insert((*b).into());
            edges.entry((*b).into()).or_default();
        }
        edges
    };
    let ring = rings(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]));
    assert_eq!(
        ring,
        [vec![
            ("a".to_owned(), vec!["b".to_owned()]),
            ("b".to_owned(), vec!["c".to_owned()]),
            ("c".to_owned(), vec!["a".to_owned()]),
        ]]
    );
    assert!(rings(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
}
