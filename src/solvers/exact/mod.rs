//! The exact planner: docs/MODEL.md §2 over the whole horizon as one MILP, built with good_lp
//! and solved by HiGHS.
//!
//! # Formulation
//! Interchangeable VMs (same initial site, size, utilisation series, migration profile, allowed
//! sites, anti-affinity label and penalties) form a group g of size N_g. For each window t the
//! integer flow `f[g,a,b,t]` counts the group's VMs that were at site a in window t−1 (the
//! initial site for t = 0) and are at b in window t; `a ≠ b` is a migration. Flows exist only
//! between sites the group can reach and where the migration is feasible (section 2), so
//! allowed sites, latency limits, pinning and migration feasibility are enforced by the
//! variables' existence. Conservation links consecutive windows:
//! `Σ_b f[g,a,b,t] = Σ_a' f[g,a',a,t−1]`, and `Σ_b f[g,s0,b,0] = N_g`.
//! The count at a site is `y[g,s,t] = Σ_a f[g,a,s,t]`. Per site and window, the integer number
//! of active hosts `n` and the grid power `grid ≥ 0` satisfy
//! `cap_cpu·n ≥ Σ cpu·y`, `cap_mem·n ≥ Σ mem·y`, `n ≤ hosts` and
//! `grid ≥ pue·(idle·n + (peak−idle)·Σ cpu·util·y / host_cpu)/1000 − renewable`.
//! Where the grid price (energy plus carbon) is negative, a minimiser would switch on idle hosts
//! and inflate grid power, so there binaries pin `grid = max(0, facility − renewable)` and
//! `n = max(⌈cpu/cap_cpu⌉, ⌈mem/cap_mem⌉)` exactly.
//! Anti-affinity, per-site migration limits and per-link time budgets are rows over y and f.
//! The objective is `Σ price·Δ·grid + Σ cost(g,a,b,t)·f`, the evaluator's objective.
//!
//! The flow form is much tighter than per-VM binaries with `m ≥ x_t − x_{t−1}`: each group's
//! flows alone form a network matrix, so the LP relaxation only goes fractional where
//! capacities couple groups.

mod driver;
mod groups;
mod model;

use super::repair::repair;
use super::{CommonSettings, LocalSettings, NoKnobs, Outcome, Status};
use crate::domain::instance::{SiteId, VmId};
use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
pub use driver::ModelFile;
use driver::*;
use groups::*;
pub(crate) use groups::{group_vms, Group};
use model::*;
use std::time::Instant;

/// A stretch of the horizon to plan: windows `first..end`, with every VM at `initial[v]`
/// before window `first`. The windowed solver plans blocks of windows with these.
#[derive(Debug, Clone, PartialEq)]
pub struct Horizon {
    /// The first window planned.
    pub first: usize,
    /// One past the last window planned.
    pub end: usize,
    /// Each VM's site in window `first − 1` (its initial site for `first = 0`).
    pub initial: Vec<SiteId>,
    /// The first window's placement costs no migration and is bound by no migration limit:
    /// a relaxation whose optimum bounds this stretch's share of any full plan from below.
    pub free_start: bool,
    /// Each VM's site in window `end`, held fixed: the migrations into it are planned and
    /// costed here, its placement is not.
    pub fixed_end: Option<Vec<SiteId>>,
    /// Where each VM may be in each planned window, beyond the instance's own limits:
    /// `candidates[v][t - first]`; `None` is everywhere allowed. A restriction makes the model
    /// a heuristic, not a relaxation.
    pub candidates: Option<Vec<Vec<Vec<SiteId>>>>,
    /// The most migrations each VM may make in windows `first..model_end()` (into the fixed
    /// window too), from params.toml's `max_migrations_per_vm`; `None` is no limit. A VM whose
    /// allowance is below its number of windows gets a group of its own and one row.
    pub moves_left: Option<Vec<u32>>,
}

impl Horizon {
    /// The whole horizon from the instance's initial sites.
    pub fn whole(costs: &Costs) -> Horizon {
        let instance = costs.instance;
        Horizon {
            first: 0,
            end: instance.num_windows(),
            initial: instance.vms.iter().map(|v| v.initial_site).collect(),
            free_start: false,
            fixed_end: None,
            candidates: None,
            moves_left: instance
                .params
                .max_migrations_per_vm
                .map(|cap| vec![cap; instance.num_vms()]),
        }
    }

    /// VM `v`'s migration allowance here, when it can bind: below the windows it could move
    /// into.
    pub(crate) fn binding_moves_left(&self, v: VmId) -> Option<u32> {
        let left = self.moves_left.as_ref()?[v];
        let transitions = self.model_end() - self.first;
        ((left as usize) < transitions).then_some(left)
    }

    /// Windows with variables: the planned ones, and the fixed one after them.
    fn model_end(&self) -> usize {
        self.end + self.fixed_end.is_some() as usize
    }

    /// VM `v`'s site before window `t` under `plan`, as this horizon sees it: `None` before
    /// the first window of a free start.
    fn previous(&self, plan: &Plan, v: VmId, t: usize) -> Option<SiteId> {
        if t == self.first {
            self.start(v)
        } else {
            Some(plan.site[[v, t - 1]])
        }
    }

    /// VM `v`'s site before the first window: `None` for a free start.
    fn start(&self, v: VmId) -> Option<SiteId> {
        (!self.free_start).then(|| self.initial[v])
    }
}

/// The size of the whole horizon's problem, counted without building anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemSize {
    /// Classes of identical VMs (same footprint, utilisation, migration profile, start and
    /// constraints): the groups of `exact`'s flows and the VM subproblems of the fleet bound.
    pub vm_classes: usize,
    /// Flow columns of the MILP (an upper bound: flows of infeasible migrations are dropped
    /// when it is built).
    pub flow_columns: usize,
}

/// The size of the whole horizon's problem, without building its MILP.
///
/// # Complexity
/// O(V·T·S²) for V VMs, T windows and S sites.
pub fn problem_size(costs: &Costs) -> ProblemSize {
    let horizon = Horizon::whole(costs);
    let groups = group_vms(costs, &horizon);
    let reach = reachable_sites(costs, &groups, &horizon);
    ProblemSize {
        vm_classes: groups.len(),
        flow_columns: estimated_flows(&reach),
    }
}

/// Builds the horizon's MILP with good_lp and reports its size, (columns, rows), without
/// solving it: what the model costs to make, for benchmarks and logs.
pub fn model_size(costs: &Costs, horizon: &Horizon) -> (usize, usize) {
    let groups = group_vms(costs, horizon);
    let reach = reachable_sites(costs, &groups, horizon);
    let Some(formulation) = formulate(costs, &groups, &reach, horizon, false, &|| false) else {
        return (0, 0);
    };
    (formulation.vars.index.len(), formulation.constraints.len())
}

/// Writes the whole horizon's MILP, the model [`solve`] hands HiGHS, to `path` in the format
/// its extension names (`.mps`, free MPS, or `.lp`), with the objective's constant as its
/// offset: the file's optimum is the optimal plan's cost. Columns are named after what they
/// count (docs/FORMAT.md §4, `--write-model`).
pub fn write_model(costs: &Costs, path: &std::path::Path) -> Result<ModelFile, String> {
    write_whole_model(costs, &Horizon::whole(costs), path)
}

/// Solves one horizon as a MILP. `base` gives the sites outside the horizon (and must agree
/// with `horizon.initial` and `horizon.fixed_end`); `start`, a plan that agrees with them too,
/// is handed to HiGHS as its first incumbent and returned if HiGHS finds nothing better.
pub fn solve_horizon(
    costs: &Costs,
    horizon: &Horizon,
    base: &Plan,
    start: Option<&Plan>,
    settings: &CommonSettings,
    time_limit_s: Option<f64>,
) -> Outcome {
    solve_model(
        costs,
        horizon,
        base,
        start,
        settings,
        time_limit_s,
        Mode::Milp,
    )
}

/// The optimum of the horizon's LP relaxation (every integer made continuous): a lower bound
/// on its part of the objective, weaker than [`lp_bound`]'s root node but much cheaper.
/// `None` when the LP was not solved in time.
pub fn relaxation_bound(
    costs: &Costs,
    horizon: &Horizon,
    settings: &CommonSettings,
    time_limit_s: Option<f64>,
) -> Option<f64> {
    bound_only(costs, horizon, settings, time_limit_s, Mode::Lp)
}

/// The dual bound of the horizon's MILP after its root node (LP relaxation and cuts, no
/// branching): a lower bound on its part of the objective, much cheaper than solving the MILP.
/// `None` when the root was not finished in time.
pub fn lp_bound(
    costs: &Costs,
    horizon: &Horizon,
    settings: &CommonSettings,
    time_limit_s: Option<f64>,
) -> Option<f64> {
    bound_only(costs, horizon, settings, time_limit_s, Mode::RootBound)
}

/// The bound of a solve in `mode`, with no start and nothing outside the horizon to keep.
fn bound_only(
    costs: &Costs,
    horizon: &Horizon,
    settings: &CommonSettings,
    time_limit_s: Option<f64>,
    mode: Mode,
) -> Option<f64> {
    let base = Plan::stay(costs.instance);
    solve_model(costs, horizon, &base, None, settings, time_limit_s, mode).bound_eur
}

/// Solves the whole horizon exactly (to `settings.gap`) or until the time limit, starting
/// HiGHS from the better of the repaired stay plan and local search's plan (from `paths`,
/// given at most a fifth of the time left): a good incumbent prunes the search from the start.
pub fn solve(
    costs: &Costs,
    settings: &CommonSettings,
    _knobs: &NoKnobs,
    started: Instant,
) -> Outcome {
    let instance = costs.instance;
    let stay = Plan::stay(instance);
    let repaired = repair(costs, &stay);
    settings.progress.phase("start");
    let heuristic = if settings.out_of_time(started) {
        None
    } else {
        let share = CommonSettings {
            time_limit_s: settings.time_left_s(started).map(|left| left / 5.0),
            ..settings.clone()
        };
        super::local::solve(costs, &share, &LocalSettings::default(), Instant::now()).plan
    };
    let start = [heuristic, repaired]
        .into_iter()
        .flatten()
        .filter_map(|plan| {
            let e = evaluate(costs, &plan);
            e.is_feasible().then_some((e.objective_eur, plan))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(objective, plan)| {
            settings.progress.plan(objective);
            plan
        });
    settings.progress.phase("MILP");
    let horizon = Horizon::whole(costs);
    let out = solve_horizon(
        costs,
        &horizon,
        &stay,
        start.as_ref(),
        settings,
        settings.time_left_s(started),
    );
    let mut notes = out.notes;
    if start.is_none() {
        notes.push("neither local search nor the repaired stay plan gave a start".into());
    }
    let bound_eur = match (&out.plan, out.status) {
        // With no VMs the empty plan is optimal and its cost is its own bound.
        (Some(plan), Status::Optimal) if out.bound_eur.is_none() => {
            Some(evaluate(costs, plan).objective_eur)
        }
        _ => out.bound_eur,
    };
    Outcome {
        plan: out.plan,
        status: out.status,
        bound_eur,
        reasons: out.reasons,
        notes,
        warnings: out.warnings,
        objective_eur: out.objective_eur,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read::read_instance;
    use std::path::Path;

    /// The size guard counts without building: its estimate must bound the flows built.
    #[test]
    fn the_flow_estimate_bounds_the_flows_built() {
        for name in [
            "tiny-capacity",
            "tiny-kinds",
            "tiny-links-budget",
            "tiny-negative",
        ] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(name);
            let instance = read_instance(&dir).unwrap();
            let costs = Costs::new(&instance);
            let horizon = Horizon::whole(&costs);
            let groups = group_vms(&costs, &horizon);
            let reach = reachable_sites(&costs, &groups, &horizon);
            let built = formulate(&costs, &groups, &reach, &horizon, false, &|| false)
                .map(|f| f.flows.len())
                .unwrap();
            let estimate = estimated_flows(&reach);
            assert!(
                built <= estimate,
                "{name}: {built} flows built, {estimate} estimated"
            );
            assert!(
                estimate <= 4 * built.max(1),
                "{name}: the estimate is loose"
            );
        }
    }

    /// A build that finds its time gone stops and builds nothing.
    #[test]
    fn the_build_reads_the_clock() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny-kinds");
        let instance = read_instance(&dir).unwrap();
        let costs = Costs::new(&instance);
        let horizon = Horizon::whole(&costs);
        let groups = group_vms(&costs, &horizon);
        let reach = reachable_sites(&costs, &groups, &horizon);
        assert!(formulate(&costs, &groups, &reach, &horizon, false, &|| true).is_none());
    }
}
