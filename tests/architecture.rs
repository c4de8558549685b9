//! The shape of the code, kept: imports point down the layers (`cli` and `lambda` at the top, `rule`
//! and `error` at the bottom), no two modules import each other (directly or round a longer circle),
//! the binaries' `main` files are wiring only, and no function outside tests runs past 60 lines.
//! Read from the source text, as a reviewer would read it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first: a module may import its own layer's and the layers below.
const LAYERS: &[&[&str]] = &[
    &["cli", "lambda"],
    &["audit", "check"],
    &["app"],
    &["alerts", "probe", "findings"],
    &["aws", "logging"],
    &["edge"],
    &["rule"],
    &["error", "docs"],
];

const LONGEST_FUNCTION: usize = 60;
const LONGEST_MAIN: usize = 40;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Each library module (`rule::checks`, `app`) with its source up to its tests.
fn modules() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(src()).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts[0] == "bin" || parts == ["main"] || parts == ["lib"] {
                return None;
            }
            if parts.last().is_some_and(|last| last == "mod") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("\n#[cfg(test)]").next().unwrap().to_owned();
            Some((parts.join("::"), code))
        })
        .collect()
}

/// The module a `crate::` path names: its longest prefix that is a module.
fn module_of<'a>(path: &str, modules: &'a BTreeMap<String, String>) -> Option<&'a str> {
    let parts: Vec<&str> = path.split("::").filter(|part| !part.is_empty()).collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find_map(|prefix| modules.get_key_value(&prefix).map(|(key, _)| key.as_str()))
}

/// Every `crate::` path in `code`, with `crate::a::{b, c::d}` read as `a::b` and `a::c::d`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(start) = rest.find("crate::") {
        rest = &rest[start + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let base = rest[..end].trim_end_matches(':');
        if rest[end..].starts_with('{') && rest[..end].ends_with("::") {
            let close = rest[end..].find('}').map_or(rest.len(), |i| end + i);
            for item in rest[end + 1..close].split(',') {
                let item = item.trim().split(" as ").next().unwrap().trim();
                if !item.is_empty() && item != "self" {
                    paths.push(format!("{base}::{item}"));
                }
            }
        }
        paths.push(base.to_owned());
    }
    paths
}

/// Module to the modules it imports (not itself, not its own ancestors).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    modules
        .iter()
        .map(|(name, code)| {
            let targets = crate_paths(code)
                .iter()
                .filter_map(|path| module_of(path, &modules))
                .filter(|target| *target != name && !name.starts_with(&format!("{target}::")))
                .map(str::to_owned)
                .collect();
            (name.clone(), targets)
        })
        .collect()
}

fn layer(module: &str) -> usize {
    let top = module.split("::").next().unwrap();
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top))
        .unwrap_or_else(|| panic!("module {module} is in no layer: add it to LAYERS"))
}

#[test]
fn imports_point_down_the_layers() {
    let upward: Vec<String> = imports()
        .iter()
        .flat_map(|(from, targets)| {
            targets
                .iter()
                .filter(|to| layer(to) < layer(from))
                .map(move |to| format!("{from} -> {to}"))
        })
        .collect();
    assert!(upward.is_empty(), "imports that run back up: {upward:#?}");
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let imports = imports();
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(module) = stack.pop() {
            if module == to {
                return true;
            }
            if seen.insert(module.clone()) {
                stack.extend(imports.get(&module).into_iter().flatten().cloned());
            }
        }
        false
    };
    let circles: Vec<String> = imports
        .iter()
        .flat_map(|(from, targets)| {
            targets
                .iter()
                .filter(|to| reaches(to, from))
                .map(move |to| format!("{from} -> {to}"))
        })
        .collect();
    assert!(circles.is_empty(), "imports on a circle: {circles:#?}");
    assert!(imports.len() > 40, "{} modules read", imports.len());
}

/// The functions (and their first lines) of `code` longer than `limit` lines, by brace counting
/// over code with strings, characters and comments blanked.
fn long_functions(code: &str, limit: usize) -> Vec<String> {
    let lines: Vec<String> = code.lines().map(blank_literals).collect();
    let mut long = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let is_fn = [
            "fn ",
            "pub fn ",
            "async fn ",
            "pub async fn ",
            "pub(crate) fn ",
            "pub(crate) async fn ",
            "const fn ",
        ]
        .iter()
        .any(|prefix| trimmed.starts_with(prefix));
        if !is_fn {
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        for (offset, line) in lines[start..].iter().enumerate() {
            if !opened && line.contains(';') && !line.contains('{') {
                break;
            }
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            opened |= line.contains('{');
            if opened && depth <= 0 {
                if offset + 1 > limit {
                    long.push(format!("{} lines: {}", offset + 1, trimmed));
                }
                break;
            }
        }
    }
    long
}

fn blank_literals(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (false, '/') if chars.peek() == Some(&'/') => break,
            (false, '"') | (true, '"') => in_string = !in_string,
            (true, '\\') => {
                chars.next();
            }
            (true, _) => {}
            (false, '\'') => {
                // A char literal ('{', '\n') is blanked; a lifetime ('a) is kept.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') || rest.chars().nth(1) == Some('\'') {
                    let skip = if rest.starts_with('\\') { 3 } else { 2 };
                    for _ in 0..skip {
                        chars.next();
                    }
                } else {
                    out.push(c);
                }
            }
            (false, c) => out.push(c),
        }
    }
    out
}

#[test]
fn no_function_outside_tests_runs_past_sixty_lines() {
    let long: Vec<String> = modules()
        .iter()
        .flat_map(|(module, code)| {
            long_functions(code, LONGEST_FUNCTION)
                .into_iter()
                .map(move |function| format!("{module}: {function}"))
        })
        .collect();
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn the_binaries_main_files_are_wiring_only() {
    for main in ["main.rs", "bin/lambda.rs", "bin/probe.rs"] {
        let text = std::fs::read_to_string(src().join(main)).unwrap();
        assert!(
            text.lines().count() <= LONGEST_MAIN,
            "src/{main}: {} lines",
            text.lines().count()
        );
    }
}

#[test]
fn the_long_function_counter_counts_what_it_should() {
    let code = "fn short() {\n    let x = '{';\n}\nfn long() {\n    \"}\";\n".to_owned()
        + &"    x();\n".repeat(LONGEST_FUNCTION)
        + "}\n";
    let found = long_functions(&code, LONGEST_FUNCTION);
    assert_eq!(
        found,
        [format!("{} lines: fn long() {{", LONGEST_FUNCTION + 3)]
    );
    assert!(crate_paths("use crate::rule::{checks::Finding, time};")
        .contains(&"rule::checks::Finding".to_owned()));
}
