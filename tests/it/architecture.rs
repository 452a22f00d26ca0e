//! The invariants ARCHITECTURE.md states about the layout, checked on the source: which module
//! may use which, and that the library prints nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// For each top-level module of the library, the modules it may use. Edges point one way:
/// domain ← scoring ← solvers ← (report, config) ← bench, with io at the edges.
const MAY_USE: &[(&str, &[&str])] = &[
    ("domain", &["domain"]),
    ("error", &[]),
    ("interrupt", &[]),
    ("rng", &[]),
    ("chart", &[]),
    ("progress", &[]),
    ("scoring", &["domain", "scoring"]),
    (
        "solvers",
        &[
            "domain",
            "scoring",
            "solvers",
            "interrupt",
            "progress",
            "rng",
        ],
    ),
    ("report", &["domain", "scoring", "solvers"]),
    ("config", &["solvers", "error"]),
    (
        "bench",
        &[
            "domain", "scoring", "solvers", "config", "progress", "chart", "report",
        ],
    ),
    ("generate", &["domain", "scoring", "rng", "generate"]),
    (
        "io",
        &[
            "domain", "scoring", "report", "error", "io", "progress", "nodes", "solvers",
        ],
    ),
    ("page", &["domain", "scoring", "chart", "io"]),
    ("nodes", &["domain", "scoring"]),
    ("feeds", &["error"]),
    ("openstack", &["domain", "scoring", "nodes", "io"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn modules_use_only_what_architecture_md_allows_and_the_library_prints_nothing() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: BTreeMap<&str, &[&str]> = MAY_USE.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let module = relative
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if module == "main" || module == "cli" || module == "lib" {
            // The binary may use anything; lib.rs only declares the modules.
            continue;
        }
        let allowed = rules
            .get(module.as_str())
            .unwrap_or_else(|| panic!("{relative}: module {module} is not in MAY_USE"));
        let text = code(&std::fs::read_to_string(&file).unwrap());
        for (at, _) in text.match_indices("crate::") {
            let used: String = text[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                allowed.contains(&used.as_str()),
                "{relative}: {module} uses crate::{used}, which ARCHITECTURE.md does not allow"
            );
        }
        for printing in ["println!", "eprintln!", "print!(", "eprint!("] {
            assert!(
                !text.contains(printing),
                "{relative}: the library prints ({printing}); printing belongs to the binary"
            );
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} files checked");
}
