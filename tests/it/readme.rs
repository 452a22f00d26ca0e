//! The README's examples are tests: every `console` block that starts with `$ wattshift` is run,
//! and its output must match what the README shows (the runtime line aside).

use crate::cli::wattshift;
use crate::common::TempDir;

/// (arguments, expected output lines) of each `console` block of the README.
fn console_blocks(readme: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```console" {
            continue;
        }
        let mut body: Vec<String> = Vec::new();
        for inner in lines.by_ref() {
            if inner.trim() == "```" {
                break;
            }
            body.push(inner.to_string());
        }
        let command = body.remove(0);
        let args = command
            .strip_prefix("$ wattshift ")
            .expect("a console block starts with $ wattshift")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        blocks.push((args, body));
    }
    blocks
}

fn without_runtime(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .filter(|l| !l.trim_start().starts_with("runtime "))
        .collect()
}

#[test]
fn the_readme_examples_print_what_the_readme_shows() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let blocks = console_blocks(&readme);
    assert!(
        blocks.len() >= 2,
        "the README should show plan and estimate"
    );
    for (mut args, expected) in blocks {
        let tmp = TempDir::new("readme");
        // Write outputs to a temporary directory, not into the repository.
        if let Some(i) = args.iter().position(|a| a == "--out") {
            args[i + 1] = tmp.path().join("out").to_string_lossy().to_string();
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = wattshift(&refs);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let actual: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            without_runtime(actual),
            without_runtime(expected),
            "{args:?}"
        );
    }
}
