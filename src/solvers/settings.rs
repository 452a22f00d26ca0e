//! What a solve may use: [`CommonSettings`], which every solver takes, and each solver's own
//! knobs ([`PathsSettings`], [`LocalSettings`], [`WindowsSettings`]; [`NoKnobs`] for the solvers
//! without any). Every field has its default documented beside it, and `validate` checks the
//! ranges (Clarabel's `DefaultSettings` pattern).
//!
//! The knob structs are read from a configuration file by serde with `deny_unknown_fields`, so a
//! key that the chosen solver does not take is an error (see [`crate::config`]).

use crate::interrupt::Interrupt;
use crate::progress::Progress;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The most worker threads a solve takes: a pool of more threads than this only costs start-up
/// time on any machine built so far.
pub const MAX_THREADS: usize = 1024;

/// The instant `seconds` from now, or `None` (no deadline) where that lies beyond what the
/// clock can represent: a limit such as 1e20 s is no limit in practice, and converting it to a
/// `Duration` would overflow.
pub fn deadline_in(seconds: f64) -> Option<Instant> {
    std::time::Duration::try_from_secs_f64(seconds.max(0.0))
        .ok()
        .and_then(|d| Instant::now().checked_add(d))
}

/// Settings every solver takes.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonSettings {
    /// Wall-clock limit for the search, s (default: none). At the limit the best plan found so
    /// far is returned with its bound.
    pub time_limit_s: Option<f64>,
    /// Relative optimality gap at which the exact solvers stop (default 1e-6).
    pub gap: f64,
    /// Seed of randomised searches (default 1). Same seed, same plan, whatever the threads.
    pub seed: u64,
    /// Worker threads for the parallel parts (default 0: one per core; at most
    /// [`MAX_THREADS`]).
    pub threads: usize,
    /// Print the backend's log to stderr (default false).
    pub verbose: bool,
    /// A stop request (Ctrl-C, SIGTERM) shared with whoever catches the signal (default: a
    /// fresh token nobody requests). Once requested, every phase sees no time left.
    pub interrupt: Interrupt,
    /// Where the solve reports its phase, best plan and bound as it goes, and where a
    /// backend's log lines go with `verbose` (default: a fresh record nobody reads). Clones
    /// share it.
    pub progress: Progress,
}

impl Default for CommonSettings {
    fn default() -> Self {
        CommonSettings {
            time_limit_s: None,
            gap: 1e-6,
            seed: 1,
            threads: 0,
            verbose: false,
            interrupt: Interrupt::new(),
            progress: Progress::new(),
        }
    }
}

impl CommonSettings {
    /// Checks every range; the message names the setting and what it must be.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(limit) = self.time_limit_s {
            if !(limit.is_finite() && limit > 0.0) {
                return Err(format!("time_limit_s must be a number > 0, found {limit}"));
            }
        }
        if !(self.gap.is_finite() && self.gap >= 0.0) {
            return Err(format!("gap must be a number ≥ 0, found {}", self.gap));
        }
        if self.threads > MAX_THREADS {
            return Err(format!(
                "threads must be at most {MAX_THREADS} (0: one per core), found {}",
                self.threads
            ));
        }
        Ok(())
    }

    /// Seconds left of the time limit, if there is one; 0 once a stop was requested.
    pub fn time_left_s(&self, started: Instant) -> Option<f64> {
        if self.interrupt.is_requested() {
            return Some(0.0);
        }
        self.time_limit_s
            .map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0))
    }

    /// Whether the search must stop now: the time limit has passed or a stop was requested.
    pub fn out_of_time(&self, started: Instant) -> bool {
        self.time_left_s(started).is_some_and(|left| left <= 0.0)
    }
}

/// The knobs of a solver that has none of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoKnobs {}

/// The solvers whose plan another solver may start from. None of them starts from another
/// solver's plan, so a chain of starts cannot loop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StartSolver {
    /// Every VM at its initial site.
    Stay,
    /// Per window, biggest VMs first to their cheapest site.
    Greedy,
    /// Power-aware best fit decreasing.
    Pabfd,
    /// Each VM re-routed on its cheapest path over the windows (with default restarts).
    #[default]
    Paths,
    /// The whole horizon as one MILP.
    Exact,
}

impl StartSolver {
    /// The name a configuration file uses.
    pub fn name(self) -> &'static str {
        match self {
            StartSolver::Stay => "stay",
            StartSolver::Greedy => "greedy",
            StartSolver::Pabfd => "pabfd",
            StartSolver::Paths => "paths",
            StartSolver::Exact => "exact",
        }
    }
}

/// The knobs of `paths`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathsSettings {
    /// Independent restarts, run in parallel (default 4; at least 1).
    pub restarts: usize,
}

impl Default for PathsSettings {
    fn default() -> Self {
        PathsSettings { restarts: 4 }
    }
}

/// The knobs of `local`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalSettings {
    /// Independent restarts, run in parallel (default 4; at least 1).
    pub restarts: usize,
    /// Moves tried per restart (default 200 000).
    pub iterations: usize,
    /// The solver whose plan the search starts from (default `paths`, which then runs with
    /// these `restarts`).
    #[serde(rename = "start_solver")]
    pub start: StartSolver,
}

impl Default for LocalSettings {
    fn default() -> Self {
        LocalSettings {
            restarts: 4,
            iterations: 200_000,
            start: StartSolver::Paths,
        }
    }
}

/// The knobs of `windows`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowsSettings {
    /// Windows per block (default 6; at least 1).
    pub block_windows: usize,
    /// Most coordination passes (default 10).
    pub coordination_passes: usize,
    /// Sites each VM may move to in a block, besides those it uses in the current plan, taken
    /// cheapest first (default 3; 0 = every site).
    pub candidate_sites: usize,
    /// Sites in each coordination neighbourhood; each pass splits the sites into groups of this
    /// many, and a block's VMs move only within the group they are in (default 3; 0 = every
    /// site).
    pub neighbourhood_sites: usize,
    /// After each pass, local search (`restarts` × `iterations` moves) polishes the plan
    /// (default true).
    pub polish: bool,
    /// Also solve the whole horizon's root node for a tighter bound, beside the blocks (default
    /// true); otherwise its bare LP relaxation.
    pub root_bound: bool,
    /// The start (local search) and the polish: restarts (default 4; at least 1).
    pub restarts: usize,
    /// The start and the polish: moves per restart (default 200 000).
    pub iterations: usize,
    /// The solver the start's local search begins from (default `paths`).
    #[serde(rename = "start_solver")]
    pub start: StartSolver,
}

impl Default for WindowsSettings {
    fn default() -> Self {
        WindowsSettings {
            block_windows: 6,
            coordination_passes: 10,
            candidate_sites: 3,
            neighbourhood_sites: 3,
            polish: true,
            root_bound: true,
            restarts: 4,
            iterations: 200_000,
            start: StartSolver::Paths,
        }
    }
}

impl WindowsSettings {
    /// The local search that makes the start and polishes each pass.
    pub fn local(&self) -> LocalSettings {
        LocalSettings {
            restarts: self.restarts,
            iterations: self.iterations,
            start: self.start,
        }
    }
}

/// The knobs of `fleet`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetSettings {
    /// Share of the time limit the decomposition bound gets (default 0.4; in [0, 1]).
    pub bound_share: f64,
    /// Share of the time limit for re-routing VMs at the decomposition's prices (default 0.3;
    /// in [0, 1]); the windowed solver improves the plan in the rest.
    pub reroute_share: f64,
    /// Most price updates of the decomposition bound (default 1000).
    pub bound_iterations: usize,
    /// The windowed solver's local search: restarts, run in parallel (default 4; at least 1).
    pub restarts: usize,
    /// The windowed solver's local search: moves per restart (default 200 000).
    pub iterations: usize,
}

impl Default for FleetSettings {
    fn default() -> Self {
        FleetSettings {
            bound_share: 0.4,
            reroute_share: 0.3,
            bound_iterations: 1000,
            restarts: 4,
            iterations: 200_000,
        }
    }
}

impl Validate for FleetSettings {
    fn validate(&self) -> Result<(), String> {
        for (name, share) in [
            ("bound_share", self.bound_share),
            ("reroute_share", self.reroute_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("{name} must be in [0, 1], found {share}"));
            }
        }
        if self.bound_share + self.reroute_share > 1.0 {
            return Err(format!(
                "bound_share + reroute_share must be at most 1, found {}",
                self.bound_share + self.reroute_share
            ));
        }
        at_least_one(self.restarts, "restarts")
    }
}

/// A knob struct's range check.
pub trait Validate {
    /// Checks every range; the message names the setting and what it must be.
    fn validate(&self) -> Result<(), String>;
}

impl Validate for NoKnobs {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

fn at_least_one(value: usize, name: &str) -> Result<(), String> {
    if value >= 1 {
        Ok(())
    } else {
        Err(format!("{name} must be at least 1, found {value}"))
    }
}

impl Validate for PathsSettings {
    fn validate(&self) -> Result<(), String> {
        at_least_one(self.restarts, "restarts")
    }
}

impl Validate for LocalSettings {
    fn validate(&self) -> Result<(), String> {
        at_least_one(self.restarts, "restarts")
    }
}

impl Validate for WindowsSettings {
    fn validate(&self) -> Result<(), String> {
        at_least_one(self.block_windows, "block_windows")?;
        at_least_one(self.restarts, "restarts")
    }
}
