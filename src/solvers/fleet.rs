//! The fleet planner: the Lagrangian decomposition's proven bound ([`super::lagrange`]), a
//! plan built from its prices (every VM re-routed on its cheapest path at the prices, where
//! it fits among the others, as `paths` does), then the windowed solver's block MILPs and
//! local search on that plan, each phase within its share of the time. It scales with
//! VMs × windows × sites² per phase, builds no model that does not fit, and every phase reads
//! the clock.

use super::lagrange::{resume, LagrangeBound};
use super::repair::repair;
use super::{
    paths, windows, CommonSettings, FleetSettings, Outcome, PathsSettings, Status, WindowsSettings,
};
use crate::domain::plan::Plan;
use crate::progress::Progress;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use std::time::Instant;

/// Plans the instance behind `costs` in three phases, each with its share of the time limit
/// (without one, each runs to its own end):
/// 1. **bound** (half of `bound_share`): the decomposition, its Polyak steps aimed at the
///    repaired stay plan's cost; it keeps the best bound and the prices that gave it;
/// 2. **re-route** (`reroute_share`): from the repaired stay plan, rounds that put each VM on
///    its cheapest path at those prices among the others (capacity and every constraint
///    checked), then at the exact price, in `restarts` parallel orders;
/// 3. **bound again** (the other half of `bound_share`): the decomposition on from its best
///    prices, its steps now aimed at the re-routed plan's cost;
/// 4. **improve** (the rest): the windowed solver from that plan (block MILPs where they fit,
///    local search polish), whose own bounds join the decomposition's;
/// 5. with a time limit, whatever time the windowed solver leaves goes to the bound again,
///    aimed at the final plan.
///
/// The outcome is `optimal` when the best bound proves the plan within the gap setting.
///
/// # Complexity
/// Per iteration of the bound and per round of re-routing, O(V·T·S²) for V VMs (groups of
/// identical VMs for the bound), T windows and S sites, in parallel; local search's moves are
/// O(T·S) each.
pub fn solve(
    costs: &Costs,
    common: &CommonSettings,
    knobs: &FleetSettings,
    started: Instant,
) -> Outcome {
    let Some(stay) = repair(costs, &Plan::stay(costs.instance)) else {
        // No start: the windowed solver says why.
        return windows::solve(costs, common, &windows_knobs(knobs), started);
    };
    let stay_eur = evaluate(costs, &stay).objective_eur;
    let limit = common.time_left_s(started);
    // A phase's end: `share` of the time limit after the phase starts, cut by the limit.
    let phase_end = |share: f64| limit.and_then(|l| super::settings::deadline_in(l * share));
    let mut notes = Vec::new();

    // The bound's time and iterations are split in two halves: the first aims its steps at
    // the stay plan's cost, the second, after re-routing, at the better plan.
    let half_iterations = knobs.bound_iterations.div_ceil(2);
    let progress = &common.progress;
    progress.plan(stay_eur);
    progress.phase("bound");
    let bound_end = phase_end(knobs.bound_share / 2.0);
    let decomposition = resume(
        costs,
        None,
        Some(stay_eur),
        half_iterations,
        &|| common.out_of_time(started) || bound_end.is_some_and(|end| Instant::now() >= end),
        progress,
    );
    notes.push(decomposition_note(&decomposition, started));

    let mut plan = (stay, stay_eur);
    if decomposition.bound_eur.is_some() && !common.out_of_time(started) {
        progress.phase("re-route");
        let reroute_end = phase_end(knobs.reroute_share);
        let reroute_common = CommonSettings {
            time_limit_s: reroute_end
                .map(|end| end.saturating_duration_since(Instant::now()).as_secs_f64()),
            ..common.clone()
        };
        let (rerouted, reroute_notes) = paths::improve_at_prices(
            costs,
            plan.0.clone(),
            &decomposition.prices,
            &reroute_common,
            &PathsSettings {
                restarts: knobs.restarts,
            },
            Instant::now(),
        );
        let rerouted_eur = evaluate(costs, &rerouted).objective_eur;
        notes.extend(reroute_notes);
        notes.push(format!(
            "re-routed at the decomposition's prices: {rerouted_eur} EUR at {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        if rerouted_eur < plan.1 {
            progress.plan(rerouted_eur);
            plan = (rerouted, rerouted_eur);
        }
    }
    progress.phase("bound");
    let bound_end = phase_end(knobs.bound_share / 2.0);
    let decomposition = if decomposition.bound_eur.is_some() {
        let resumed = resume(
            costs,
            Some(decomposition),
            Some(plan.1),
            knobs.bound_iterations - half_iterations,
            &|| common.out_of_time(started) || bound_end.is_some_and(|end| Instant::now() >= end),
            progress,
        );
        notes.push(decomposition_note(&resumed, started));
        resumed
    } else {
        decomposition
    };

    // Proven within the gap already: the windowed solver has nothing to add.
    if within_gap(plan.1, decomposition.bound_eur, common.gap) {
        notes.push("the decomposition proves the plan within the gap".to_string());
        return Outcome {
            bound_eur: decomposition.bound_eur.map(|b| b.min(plan.1)),
            plan: Some(plan.0),
            status: Status::Optimal,
            reasons: Vec::new(),
            notes,
            warnings: Vec::new(),
            objective_eur: None,
        };
    }
    progress.phase("blocks");
    let mut outcome =
        windows::solve_from(costs, common, &windows_knobs(knobs), started, Some(plan));
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    let Some(plan) = &outcome.plan else {
        return outcome;
    };
    let objective = evaluate(costs, plan).objective_eur;
    // The windowed solver may end early (its passes stop improving): the time left goes to the
    // bound, its steps aimed at the final plan.
    let proven = |bound: Option<f64>| within_gap(objective, bound, common.gap);
    let decomposition = if limit.is_some()
        && decomposition.bound_eur.is_some()
        && !proven(outcome.bound_eur)
        && !proven(decomposition.bound_eur)
        && !common.out_of_time(started)
    {
        progress.phase("bound");
        let resumed = resume(
            costs,
            Some(decomposition),
            Some(objective),
            knobs.bound_iterations,
            &|| common.out_of_time(started),
            progress,
        );
        outcome.notes.push(decomposition_note(&resumed, started));
        resumed
    } else {
        decomposition
    };
    let best_bound = match (outcome.bound_eur, decomposition.bound_eur) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    outcome.bound_eur = best_bound.map(|b| b.min(objective));
    if within_gap(objective, outcome.bound_eur, common.gap) {
        outcome.status = Status::Optimal;
    }
    outcome
}

/// Whether `bound` proves a plan costing `objective` within the relative `gap`.
fn within_gap(objective: f64, bound: Option<f64>, gap: f64) -> bool {
    bound.is_some_and(|b| objective - b <= gap * objective.abs())
}

/// A note on the decomposition's progress.
fn decomposition_note(decomposition: &LagrangeBound, started: Instant) -> String {
    format!(
        "decomposition: {} VM groups and {} (site, window) subproblems per iteration, {} \
         iterations, bound {:?} at {:.1} s",
        decomposition.subproblems.0,
        decomposition.subproblems.1,
        decomposition.iterations,
        decomposition.bound_eur,
        started.elapsed().as_secs_f64(),
    )
}

/// The windowed solver's knobs for the improve phase.
fn windows_knobs(knobs: &FleetSettings) -> WindowsSettings {
    WindowsSettings {
        restarts: knobs.restarts,
        iterations: knobs.iterations,
        ..WindowsSettings::default()
    }
}

/// What [`bound_and_plan`] found.
#[derive(Debug, Clone)]
pub struct Decomposed {
    /// The decomposition's bound and its best prices.
    pub bound: LagrangeBound,
    /// The plan re-routed at those prices from the repaired stay plan, and its cost, EUR.
    pub plan: Option<(Plan, f64)>,
}

/// The decomposition alone, with no time limit: `iterations` price updates aimed at the
/// repaired stay plan's cost, the VM side solved by `vm_side` (in this process when `None`,
/// else for instance by shard processes), then the plan re-routed at the best prices. The same
/// input gives the same bound and plan however the VM side is split: `wattshift bound` and the
/// shard test rest on it.
pub fn bound_and_plan(
    costs: &Costs,
    iterations: usize,
    vm_side: Option<&super::lagrange::SolveVmSide>,
) -> Decomposed {
    let never = || false;
    let stay = repair(costs, &Plan::stay(costs.instance));
    let target = stay
        .as_ref()
        .map(|plan| evaluate(costs, plan).objective_eur);
    let bound = match vm_side {
        None => resume(costs, None, target, iterations, &never, &Progress::new()),
        Some(solve) => super::lagrange::resume_with(
            costs,
            None,
            target,
            iterations,
            &never,
            solve,
            &Progress::new(),
        ),
    };
    let plan = match (stay, bound.bound_eur) {
        (Some(stay), Some(_)) => {
            let (plan, _) = paths::improve_at_prices(
                costs,
                stay,
                &bound.prices,
                &CommonSettings::default(),
                &PathsSettings::default(),
                Instant::now(),
            );
            let eur = evaluate(costs, &plan).objective_eur;
            Some((plan, eur))
        }
        _ => None,
    };
    Decomposed { bound, plan }
}
