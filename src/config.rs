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
use crate::solvers::{self, SolveSettings};
use serde::Deserialize;
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

/// A named solver configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverConfig {
    /// The name it was asked by (file stem for a path).
    pub name: String,
    /// The solver of [`solvers::SOLVERS`] it runs.
    pub solver: String,
    pub description: String,
    pub settings: SolveSettings,
}

/// The file's keys; each absent one keeps [`SolveSettings`]' default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    solver: String,
    #[serde(default)]
    description: String,
    time_limit_s: Option<f64>,
    gap: Option<f64>,
    threads: Option<usize>,
    seed: Option<u64>,
    restarts: Option<usize>,
    iterations: Option<usize>,
    start_solver: Option<String>,
    block_windows: Option<usize>,
    coordination_passes: Option<usize>,
    candidate_sites: Option<usize>,
    neighbourhood_sites: Option<usize>,
    polish: Option<bool>,
    root_bound: Option<bool>,
}

/// Parses a configuration; `origin` names it in errors.
pub fn parse(name: &str, text: &str, origin: &str) -> Result<SolverConfig, InputError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| 1 + text[..span.start.min(text.len())].matches('\n').count());
        let message = e.message().to_string();
        match line {
            Some(line) => InputError::at_line(origin, line as u64, message),
            None => InputError::file(origin, message),
        }
    })?;
    if solvers::find(&file.solver).is_none() {
        let names: Vec<&str> = solvers::SOLVERS.iter().map(|s| s.0).collect();
        return Err(InputError::file(
            origin,
            format!(
                "unknown solver \"{}\"; expected one of: {}",
                file.solver,
                names.join(", ")
            ),
        ));
    }
    let check = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(InputError::file(origin, what.to_string()))
        }
    };
    let mut settings = SolveSettings::default();
    if let Some(limit) = file.time_limit_s {
        check(
            limit > 0.0 && limit.is_finite(),
            "time_limit_s must be a number > 0",
        )?;
        settings.time_limit_s = Some(limit);
    }
    if let Some(gap) = file.gap {
        check(gap >= 0.0 && gap.is_finite(), "gap must be a number ≥ 0")?;
        settings.gap = gap;
    }
    if let Some(block) = file.block_windows {
        check(block >= 1, "block_windows must be at least 1")?;
        settings.block_windows = block;
    }
    if let Some(restarts) = file.restarts {
        check(restarts >= 1, "restarts must be at least 1")?;
        settings.restarts = restarts;
    }
    if let Some(start) = file.start_solver {
        check(
            solvers::find(&start).is_some(),
            "start_solver must name a solver",
        )?;
        settings.start_solver = start;
    }
    settings.threads = file.threads.unwrap_or(settings.threads);
    settings.seed = file.seed.unwrap_or(settings.seed);
    settings.iterations = file.iterations.unwrap_or(settings.iterations);
    settings.coordination_passes = file
        .coordination_passes
        .unwrap_or(settings.coordination_passes);
    settings.candidate_sites = file.candidate_sites.unwrap_or(settings.candidate_sites);
    settings.neighbourhood_sites = file
        .neighbourhood_sites
        .unwrap_or(settings.neighbourhood_sites);
    settings.polish = file.polish.unwrap_or(settings.polish);
    settings.root_bound = file.root_bound.unwrap_or(settings.root_bound);
    Ok(SolverConfig {
        name: name.to_string(),
        solver: file.solver,
        description: file.description,
        settings,
    })
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
    if solvers::find(name_or_path).is_some() {
        return Ok(SolverConfig {
            name: name_or_path.to_string(),
            solver: name_or_path.to_string(),
            description: String::new(),
            settings: SolveSettings::default(),
        });
    }
    let mut known: Vec<&str> = solvers::SOLVERS.iter().map(|s| s.0).collect();
    known.extend(
        SHIPPED
            .iter()
            .map(|s| s.0)
            .filter(|n| solvers::find(n).is_none()),
    );
    Err(InputError::file(
        name_or_path,
        format!(
            "no such solver or configuration; expected one of: {}, or a path to a .toml file",
            known.join(", ")
        ),
    ))
}
