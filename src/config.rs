//! Solver configurations as data: a TOML file names a solver and its settings, and `plan` and
//! `bench` take a configuration by name or path.
//!
//! ```toml
//! # solvers/windows-6.toml
//! solver = "windows"
//! description = "blocks of 6 windows, 4 coordination passes"
//! time_limit_s = 300
//! block_windows = 6
//! ```
//!
//! A name is looked up, in order, as a path to a file, as `solvers/NAME.toml` under the
//! current directory, among the configurations shipped in the repository's `solvers/` (built
//! into the binary), and as a bare solver name with default settings.

use crate::error::InputError;
use crate::solvers::{self, CommonSettings, SolverSettings};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The configurations shipped in `solvers/`, by name.
pub const SHIPPED: &[(&str, &str)] = &[
    ("exact-60s", include_str!("../solvers/exact-60s.toml")),
    ("exact-proof", include_str!("../solvers/exact-proof.toml")),
    ("windows-6", include_str!("../solvers/windows-6.toml")),
    ("windows-12", include_str!("../solvers/windows-12.toml")),
    ("windows-fast", include_str!("../solvers/windows-fast.toml")),
    ("windows-day", include_str!("../solvers/windows-day.toml")),
    ("greedy", include_str!("../solvers/greedy.toml")),
    ("pabfd", include_str!("../solvers/pabfd.toml")),
    ("local-fast", include_str!("../solvers/local-fast.toml")),
    ("stay", include_str!("../solvers/stay.toml")),
];

/// A named solver configuration: the settings every solver takes, and the solver with its own.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverConfig {
    /// The name it was asked by (file stem for a path).
    pub name: String,
    /// What it is for, from its file.
    pub description: String,
    /// Time limit, gap, seed, threads.
    pub common: CommonSettings,
    /// The solver and its knobs.
    pub solver: SolverSettings,
}

impl SolverConfig {
    /// The configuration as a configuration file holds it: `solver`, its knobs, and the common
    /// keys `gap`, `seed` and `time_limit_s` (where set). Written out as TOML it parses back to
    /// the same configuration; summary.json records it so that a plan can be rerun.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(&self.solver).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("gap".into(), serde_json::json!(self.common.gap));
            map.insert("seed".into(), serde_json::json!(self.common.seed));
            if let Some(limit) = self.common.time_limit_s {
                map.insert("time_limit_s".into(), serde_json::json!(limit));
            }
        }
        value
    }

    /// A bare solver with every default.
    pub fn bare(solver: SolverSettings) -> SolverConfig {
        SolverConfig {
            name: solver.name().to_string(),
            description: String::new(),
            common: CommonSettings::default(),
            solver,
        }
    }
}

/// The keys every configuration may have, whatever its solver.
const COMMON_KEYS: &[&str] = &["description", "time_limit_s", "gap", "seed", "threads"];

/// The common keys of a file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommonFile {
    #[serde(default)]
    description: String,
    time_limit_s: Option<f64>,
    gap: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
}

/// Line (1-based) and column (1-based, in characters) of byte `offset` in `text`.
fn place(text: &str, offset: usize) -> (u64, usize) {
    let before = &text[..offset.min(text.len())];
    let line = 1 + before.matches('\n').count() as u64;
    let column = 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count());
    (line, column)
}

/// Parses a configuration; `origin` names it in errors. The `solver` key picks the solver; the
/// common keys ([`CommonSettings`]) go to every solver, and every other key must be one of the
/// chosen solver's knobs: anything else is an error naming the file, the line and the key.
pub fn parse(name: &str, text: &str, origin: &str) -> Result<SolverConfig, InputError> {
    // Spanned keys give every error its line.
    let table: BTreeMap<toml::Spanned<String>, toml::Value> =
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |span| place(text, span.start).0);
            InputError::at_line(origin, line, e.message().trim_end().to_string())
        })?;
    let line_of = |key: &str| {
        table
            .keys()
            .find(|k| k.get_ref() == key)
            .map(|k| place(text, k.span().start).0)
    };
    let error_at = |key: &str, message: String| match line_of(key) {
        Some(line) => InputError::at(origin, line, key, message),
        None => InputError::file(origin, message),
    };
    let mut common_table = toml::Table::new();
    let mut solver_table = toml::Table::new();
    for (key, value) in &table {
        let key = key.get_ref().clone();
        if COMMON_KEYS.contains(&key.as_str()) {
            common_table.insert(key, value.clone());
        } else {
            solver_table.insert(key, value.clone());
        }
    }
    let names: Vec<&str> = solvers::SOLVERS.iter().map(|s| s.0).collect();
    let solver_name = match solver_table.get("solver") {
        Some(toml::Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(error_at(
                "solver",
                format!(
                    "expected a solver name in quotes, one of: {}; found {other}",
                    names.join(", ")
                ),
            ))
        }
        None => {
            return Err(InputError::file(
                origin,
                format!(
                    "no solver named; expected a key solver = \"NAME\" with one of: {}",
                    names.join(", ")
                ),
            ))
        }
    };
    if SolverSettings::default_for(&solver_name).is_none() {
        return Err(error_at(
            "solver",
            format!(
                "unknown solver \"{solver_name}\"; expected one of: {}",
                names.join(", ")
            ),
        ));
    }
    let common_file: CommonFile =
        toml::Value::Table(common_table)
            .try_into()
            .map_err(|e: toml::de::Error| {
                error_at(
                    &offending_key(e.message(), COMMON_KEYS),
                    e.message().to_string(),
                )
            })?;
    let solver: SolverSettings =
        toml::Value::Table(solver_table)
            .try_into()
            .map_err(|e: toml::de::Error| {
                let message = e.message().to_string();
                let mut key = offending_key(&message, &[]);
                if message.contains("unknown variant") {
                    // The offending value, not a key: find the key that holds it.
                    if let Some((k, _)) = table
                        .iter()
                        .find(|(k, v)| k.get_ref() != "solver" && v.as_str() == Some(key.as_str()))
                    {
                        key = k.get_ref().clone();
                    }
                }
                let message = if message.contains("unknown field") {
                    format!("the solver \"{solver_name}\" does not take the key {key}: {message}")
                } else {
                    message
                };
                error_at(&key, message)
            })?;
    let mut common = CommonSettings::default();
    common.time_limit_s = common_file.time_limit_s;
    common.gap = common_file.gap.unwrap_or(common.gap);
    common.seed = common_file.seed.unwrap_or(common.seed);
    common.threads = common_file.threads.unwrap_or(common.threads);
    let invalid = |message: String| {
        // The message starts with the key it is about.
        let key = message
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        error_at(&key, message)
    };
    common.validate().map_err(invalid)?;
    solver.validate().map_err(invalid)?;
    Ok(SolverConfig {
        name: name.to_string(),
        description: common_file.description,
        common,
        solver,
    })
}

/// The key a serde message is about: the first `name` in backticks (serde quotes the unknown
/// field first), or the first of `known` the message mentions.
fn offending_key(message: &str, known: &[&str]) -> String {
    if let Some(start) = message.find('`') {
        if let Some(len) = message[start + 1..].find('`') {
            return message[start + 1..start + 1 + len].to_string();
        }
    }
    known
        .iter()
        .find(|k| message.contains(*k))
        .map_or_else(String::new, |k| k.to_string())
}

/// Resolves a name or path to a configuration (see the module docs for the order).
pub fn resolve(name_or_path: &str) -> Result<SolverConfig, InputError> {
    let path = Path::new(name_or_path);
    let local = Path::new("solvers").join(format!("{name_or_path}.toml"));
    let from_file = |file: &Path| -> Result<SolverConfig, InputError> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            InputError::file(file.display().to_string(), format!("cannot read: {e}"))
        })?;
        let stem = file.file_stem().map_or(name_or_path.to_string(), |s| {
            s.to_string_lossy().to_string()
        });
        parse(&stem, &text, &file.display().to_string())
    };
    if name_or_path.ends_with(".toml") || name_or_path.contains('/') {
        return from_file(path);
    }
    if local.is_file() {
        return from_file(&local);
    }
    if let Some((name, text)) = SHIPPED.iter().find(|(n, _)| *n == name_or_path) {
        return parse(name, text, &format!("solvers/{name}.toml"));
    }
    if let Some(solver) = SolverSettings::default_for(name_or_path) {
        return Ok(SolverConfig::bare(solver));
    }
    let mut known: Vec<&str> = solvers::SOLVERS.iter().map(|s| s.0).collect();
    known.extend(
        SHIPPED
            .iter()
            .map(|s| s.0)
            .filter(|n| SolverSettings::default_for(n).is_none()),
    );
    Err(InputError::file(
        name_or_path,
        format!(
            "no such solver or configuration; expected one of: {}, or a path to a .toml file",
            known.join(", ")
        ),
    ))
}
