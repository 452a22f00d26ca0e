//! The fleet planner: a plan by the windowed solver (local search from the cheapest paths,
//! then block MILPs where they fit the memory and the time), and beside it the proven bound of
//! the Lagrangian decomposition ([`super::lagrange`]), each within its share of the time. It
//! scales with VMs × windows × sites² per phase, builds no model that does not fit, and every
//! phase reads the clock.

use super::lagrange::lower_bound;
use super::{windows, CommonSettings, FleetSettings, Outcome, Status, WindowsSettings};
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use std::time::Instant;

/// Plans the instance behind `costs`: the windowed solver in `plan_share` of the time left,
/// then the decomposition bound, aimed at that plan's cost, in the rest; the better of the two
/// solvers' bounds is kept. The outcome is `optimal` when the bound proves the plan within the
/// gap setting.
///
/// # Complexity
/// Per pass of paths and per iteration of the bound, O(V·T·S²) for V VMs (groups of
/// identical VMs for the bound), T windows and S sites, in parallel; local search's moves are
/// O(T·S) each.
pub fn solve(
    costs: &Costs,
    common: &CommonSettings,
    knobs: &FleetSettings,
    started: Instant,
) -> Outcome {
    let plan_common = CommonSettings {
        time_limit_s: common
            .time_left_s(started)
            .map(|left| left * knobs.plan_share),
        ..common.clone()
    };
    let plan_knobs = WindowsSettings {
        restarts: knobs.restarts,
        iterations: knobs.iterations,
        ..WindowsSettings::default()
    };
    let mut outcome = windows::solve(costs, &plan_common, &plan_knobs, Instant::now());
    let Some(plan) = &outcome.plan else {
        return outcome;
    };
    let objective = evaluate(costs, plan).objective_eur;
    let decomposition = lower_bound(costs, Some(objective), knobs.bound_iterations, &|| {
        common.out_of_time(started)
    });
    outcome.notes.push(format!(
        "decomposition: {} VM groups and {} (site, window) subproblems per iteration, {} \
         iterations, bound {:?}",
        decomposition.subproblems.0,
        decomposition.subproblems.1,
        decomposition.iterations,
        decomposition.bound_eur
    ));
    let best_bound = match (outcome.bound_eur, decomposition.bound_eur) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    outcome.bound_eur = best_bound.map(|b| b.min(objective));
    if outcome
        .bound_eur
        .is_some_and(|b| objective - b <= common.gap * objective.abs())
    {
        outcome.status = Status::Optimal;
    }
    outcome
}
