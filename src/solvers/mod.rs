//! Solvers: free functions from an instance's [`Costs`] and [`SolveSettings`] to an [`Outcome`].
//!
//! A solver only searches: the plan it returns is costed and checked by [`crate::evaluate`],
//! whoever made it. Adding a solver touches its own file and one line of [`SOLVERS`].

pub mod exact;
pub mod greedy;
pub mod local;
pub mod pabfd;
pub mod paths;
pub mod repair;
pub mod windows;

use crate::costs::Costs;
use crate::interrupt::Interrupt;
use crate::plan::Plan;
use std::time::Instant;

/// What a solve may use. Every field has a documented default.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveSettings {
    /// Wall-clock limit for the search, s (default: none).
    pub time_limit_s: Option<f64>,
    /// Relative optimality gap at which the exact solver stops (default 1e-6).
    pub gap: f64,
    /// Worker threads for the parallel parts (default 0: one per core).
    pub threads: usize,
    /// Print the backend's log to stderr (default false).
    pub verbose: bool,
    /// Seed of randomised searches (default 1). Same seed, same plan, whatever the threads.
    pub seed: u64,
    /// Local search and paths: independent restarts, run in parallel (default 4).
    pub restarts: usize,
    /// Local search: moves tried per restart (default 200 000).
    pub iterations: usize,
    /// Local search: the solver whose plan it starts from (default "paths").
    pub start_solver: String,
    /// Windowed solver: windows per block (default 6).
    pub block_windows: usize,
    /// Windowed solver: most coordination passes (default 10).
    pub coordination_passes: usize,
    /// Windowed solver: sites each VM may move to in a block, besides those it uses in the
    /// current plan, taken cheapest first (default 3; 0 = every site).
    pub candidate_sites: usize,
    /// Windowed solver: sites in each coordination neighbourhood; each pass splits the sites
    /// into groups of this many, and a block's VMs move only within the group they are in
    /// (default 3; 0 = every site).
    pub neighbourhood_sites: usize,
    /// Windowed solver: after each pass, local search (`restarts` × `iterations` moves)
    /// polishes the plan (default true).
    pub polish: bool,
    /// Windowed solver: also solve the whole horizon's root node for a tighter bound, beside
    /// the blocks (default true).
    pub root_bound: bool,
    /// A stop request (Ctrl-C, SIGTERM) shared with whoever catches the signal (default: a
    /// fresh token nobody requests). Once requested, every phase sees no time left.
    pub interrupt: Interrupt,
}

impl Default for SolveSettings {
    fn default() -> Self {
        SolveSettings {
            time_limit_s: None,
            gap: 1e-6,
            threads: 0,
            verbose: false,
            seed: 1,
            restarts: 4,
            iterations: 200_000,
            start_solver: "paths".to_string(),
            block_windows: 6,
            coordination_passes: 10,
            candidate_sites: 3,
            neighbourhood_sites: 3,
            polish: true,
            root_bound: true,
            interrupt: Interrupt::new(),
        }
    }
}

impl SolveSettings {
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

/// How a solve ended. Status is data: an infeasible instance is an outcome, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A plan proven optimal within the gap.
    Optimal,
    /// A plan that satisfies every constraint, without a proof of optimality.
    Feasible,
    /// No plan can satisfy the constraints.
    Infeasible,
    /// No plan was found within the limits.
    Unknown,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Feasible => "feasible",
            Status::Infeasible => "infeasible",
            Status::Unknown => "unknown",
        }
    }
}

/// Why a search stopped (summary.json's `stop_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The plan is proven optimal (gap 0 to its bound).
    Optimal,
    /// The plan is proven within the gap setting of its bound.
    GapReached,
    /// The time limit ran out.
    TimeLimit,
    /// A signal (Ctrl-C, SIGTERM) asked the search to stop.
    Interrupted,
    /// The search ended by itself: no move it knows improves the plan.
    NoImprovement,
    /// The instance admits no plan.
    Infeasible,
}

/// What a solver returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub plan: Option<Plan>,
    pub status: Status,
    /// A proven lower bound on the objective, EUR.
    pub bound_eur: Option<f64>,
    /// For an infeasible outcome: what makes it so (which constraint, where), one per line.
    pub reasons: Vec<String>,
    /// Figures about the search (model size, nodes), for logs.
    pub notes: Vec<String>,
    /// What the user must hear about this solve even without `--verbose` (a model the backend
    /// rejected, a search cut short); printed and written into the summary.
    pub warnings: Vec<String>,
    /// The solver's own figure for its plan's objective, EUR, where it has one of its own (a
    /// MILP's objective value); `plan` warns when the evaluator's cost differs from it.
    pub objective_eur: Option<f64>,
}

/// A solver: searches the instance behind `costs` within `settings`.
pub type SolverFn = fn(&Costs, &SolveSettings, Instant) -> Outcome;

/// The registry of solvers, by the name `plan --solver` takes.
pub const SOLVERS: &[(&str, SolverFn, &str)] = &[
    (
        "stay",
        stay,
        "every VM stays at its initial site (the baseline)",
    ),
    (
        "exact",
        exact::solve,
        "the whole horizon as one MILP, solved by HiGHS",
    ),
    (
        "windows",
        windows::solve,
        "blocks of windows as MILPs in parallel, coordinated at their boundaries, with a proven bound",
    ),
    ("greedy", greedy::solve, "per window, biggest VMs first, each to its cheapest site"),
    ("pabfd", pabfd::solve, "power-aware best fit decreasing, per window, priced"),
    (
        "paths",
        paths::solve,
        "each VM in turn re-routed on its cheapest path over the windows, at fluid then exact prices",
    ),
    ("local", local::solve, "simulated annealing from start_solver's plan, restarts in parallel"),
];

/// Looks a solver up by name.
pub fn find(name: &str) -> Option<SolverFn> {
    SOLVERS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, f, _)| *f)
}

/// The baseline: every VM stays where it is. Infeasible when staying breaks a constraint.
pub fn stay(costs: &Costs, _settings: &SolveSettings, _started: Instant) -> Outcome {
    let plan = Plan::stay(costs.instance);
    let evaluation = crate::evaluate::evaluate(costs, &plan);
    let reasons: Vec<String> = evaluation.named_violations(costs);
    if reasons.is_empty() {
        Outcome {
            plan: Some(plan),
            status: Status::Feasible,
            bound_eur: None,
            reasons,
            notes: Vec::new(),
            warnings: Vec::new(),
            objective_eur: None,
        }
    } else {
        // The stay plan itself breaks the constraints; there is no plan to write.
        Outcome {
            plan: None,
            status: Status::Infeasible,
            bound_eur: None,
            reasons,
            notes: Vec::new(),
            warnings: Vec::new(),
            objective_eur: None,
        }
    }
}
