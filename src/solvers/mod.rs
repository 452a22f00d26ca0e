//! Solvers: free functions from an instance's [`Costs`], the [`CommonSettings`] and their own
//! knobs to an [`Outcome`].
//!
//! A solver only searches: the plan it returns is costed and checked by [`crate::scoring::evaluate`],
//! whoever made it.
//!
//! # Adding a solver
//! Write its file (a `pub fn solve(costs, common, knobs, started) -> Outcome`, with its knobs
//! struct in [`settings`] if it has any, else [`NoKnobs`]), declare the module below, and add
//! one line to the `registry!` call: its name, its variant of [`SolverSettings`] with the knobs
//! type, its function and a one-line description. Configuration files, `plan --solver`, `bench`
//! and the help text all take it from there.

pub mod exact;
pub mod fleet;
pub mod greedy;
pub mod lagrange;
pub mod local;
pub mod pabfd;
pub mod paths;
pub mod repair;
pub mod settings;
pub mod windows;

use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
pub use settings::{
    CommonSettings, FleetSettings, LocalSettings, NoKnobs, PathsSettings, StartSolver, Validate,
    WindowsSettings, MAX_THREADS,
};
use std::time::Instant;

/// Declares the solvers: the [`SolverSettings`] enum (one variant per solver, tagged by the
/// `solver` key of a configuration file), the [`SOLVERS`] list and the dispatch.
macro_rules! registry {
    ($( $name:literal => $variant:ident($knobs:ty) = $solve:path, $about:literal; )*) => {
        /// Which solver to run, with its own knobs. A configuration file names it with its
        /// `solver` key; the other keys are the knobs, and a key the solver does not take is an
        /// error.
        #[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
        #[serde(tag = "solver")]
        pub enum SolverSettings {
            $(
                #[doc = $about]
                #[serde(rename = $name)]
                $variant($knobs),
            )*
        }

        /// Every solver, by the name `plan --solver` takes, with a one-line description.
        pub const SOLVERS: &[(&str, &str)] = &[$(($name, $about)),*];

        impl SolverSettings {
            /// The solver's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(SolverSettings::$variant(_) => $name,)*
                }
            }

            /// The solver called `name`, with its default knobs.
            pub fn default_for(name: &str) -> Option<SolverSettings> {
                match name {
                    $($name => Some(SolverSettings::$variant(<$knobs>::default())),)*
                    _ => None,
                }
            }

            /// Checks the knobs' ranges.
            pub fn validate(&self) -> Result<(), String> {
                match self {
                    $(SolverSettings::$variant(knobs) => knobs.validate(),)*
                }
            }

            /// Runs the solver on the instance behind `costs`; `started` is when the time
            /// limit began.
            pub fn solve(&self, costs: &Costs, common: &CommonSettings, started: Instant) -> Outcome {
                match self {
                    $(SolverSettings::$variant(knobs) => $solve(costs, common, knobs, started),)*
                }
            }
        }
    };
}

registry! {
    "stay" => Stay(NoKnobs) = stay, "every VM stays at its initial site (the baseline)";
    "exact" => Exact(NoKnobs) = exact::solve, "the whole horizon as one MILP, solved by HiGHS";
    "windows" => Windows(WindowsSettings) = windows::solve, "blocks of windows as MILPs in parallel, coordinated at their boundaries, with a proven bound";
    "greedy" => Greedy(NoKnobs) = greedy::solve, "per window, biggest VMs first, each to its cheapest site";
    "pabfd" => Pabfd(NoKnobs) = pabfd::solve, "power-aware best fit decreasing, per window, priced";
    "paths" => Paths(PathsSettings) = paths::solve, "each VM in turn re-routed on its cheapest path over the windows, at fluid then exact prices";
    "local" => Local(LocalSettings) = local::solve, "simulated annealing from start_solver's plan, restarts in parallel";
    "fleet" => Fleet(FleetSettings) = fleet::solve, "fleet scale: the windowed solver's plan, with the Lagrangian decomposition's proven bound";
}

/// The largest whole-horizon MILP, in flow columns, that `auto` hands to `exact`: eu-day's
/// 19 600 flows are proven optimal in about 30 s on 2 cores, while the 600 000 of 8 sites × 500
/// VMs × 24 windows do not give a plan of HiGHS's own in 90 s.
pub const AUTO_EXACT_COLUMNS: usize = 100_000;

/// The solver `plan` runs when none is named: `exact` where its whole-horizon MILP has at most
/// [`AUTO_EXACT_COLUMNS`] flow columns, else `fleet`. Returns the name and the column count.
pub fn auto_solver(costs: &Costs) -> (&'static str, usize) {
    let columns = exact::problem_size(costs).flow_columns;
    if columns <= AUTO_EXACT_COLUMNS {
        ("exact", columns)
    } else {
        ("fleet", columns)
    }
}

impl StartSolver {
    /// Runs the start solver with its default knobs (`paths` with `restarts` restarts).
    pub fn solve(
        self,
        costs: &Costs,
        common: &CommonSettings,
        restarts: usize,
        started: Instant,
    ) -> Outcome {
        match self {
            StartSolver::Stay => stay(costs, common, &NoKnobs {}, started),
            StartSolver::Greedy => greedy::solve(costs, common, &NoKnobs {}, started),
            StartSolver::Pabfd => pabfd::solve(costs, common, &NoKnobs {}, started),
            StartSolver::Paths => paths::solve(costs, common, &PathsSettings { restarts }, started),
            StartSolver::Exact => exact::solve(costs, common, &NoKnobs {}, started),
        }
    }
}

/// How a solve ended. Status is data: an infeasible instance is an outcome, not an error.
/// It is written as its [`Status::name`] in summaries and bench rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
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

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Status {
    /// The name written in summaries, bench rows and text output.
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
    /// The plan; `None` when there is none.
    pub plan: Option<Plan>,
    /// How the solve ended.
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

/// The baseline: every VM stays where it is. Infeasible when staying breaks a constraint.
pub fn stay(
    costs: &Costs,
    _common: &CommonSettings,
    _knobs: &NoKnobs,
    _started: Instant,
) -> Outcome {
    let plan = Plan::stay(costs.instance);
    let evaluation = crate::scoring::evaluate::evaluate(costs, &plan);
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
