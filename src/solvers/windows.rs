//! The parallel windowed solver: the horizon is cut into blocks of consecutive windows, each
//! block is a small MILP, and the blocks are solved side by side with rayon.
//!
//! # Method
//! 1. **Start.** The best feasible plan among `local` (simulated annealing from `paths`) and
//!    the repaired stay plan.
//! 2. **Bound.** Every block is solved with a free start: its first window's placement pays
//!    only the cheapest migration that could bring each VM there and obeys no migration limit.
//!    Any full plan, cut into blocks, costs at least each block's optimum of that relaxation, so
//!    the sum of the blocks' proven bounds is a lower bound on the whole problem. It is loose
//!    where moves are dear (each block may assume its VMs already travelled), so beside it the
//!    whole horizon's root node (LP relaxation with HiGHS's cuts) is solved where it is small
//!    enough, and the larger bound counts.
//! 3. **Coordination.** Passes: every block is re-solved in parallel with its neighbours'
//!    boundary placements held fixed (the site before the block and the site in the window
//!    after it, with the migrations into both planned and costed) and each VM restricted to
//!    the sites it uses and its `candidate_sites` cheapest others. Blocks of one colour (every
//!    other block) share no window and no cost, so merging the even blocks, or the odd ones,
//!    costs exactly what they found; merging all of them usually does better still but each
//!    assumed its neighbours' old boundary, so every merge is costed by the evaluator and the
//!    best feasible one that improves the plan is kept. Each block starts from its current part
//!    of the plan, so no pass makes the plan worse. One pass is one parallel round of all the
//!    blocks (rather than two rounds of half of them, as red-black passes would be), which
//!    keeps two threads busy with four blocks. Passes stop when one improves the objective by
//!    less than the gap, after `coordination_passes`, or at the time limit.
//!
//! # Complexity
//! Each block is a MILP of O(V · S² · B) flow columns for B windows per block, against
//! O(V · S² · T) for the whole horizon; 1 + passes rounds of ⌈T/B⌉ independent solves,
//! spread over the rayon pool, and three evaluations per pass.

use super::exact::{lp_bound, solve_horizon, Horizon};
use super::repair::repair;
use super::{Outcome, SolveSettings, Status};
use crate::costs::Costs;
use crate::evaluate::evaluate;
use crate::instance::SiteId;
use crate::plan::Plan;
use rayon::prelude::*;
use std::time::Instant;

/// Largest whole-horizon model (in flow columns, V·S²·T) whose root node is solved for a
/// bound; beyond it the root alone would take longer than the blocks.
const ROOT_BOUND_MAX_COLUMNS: usize = 1_500_000;

/// Each VM's site before window `first` under `plan`.
fn sites_before(costs: &Costs, plan: &Plan, first: usize) -> Vec<SiteId> {
    (0..costs.instance.num_vms())
        .map(|v| plan.previous_site(costs.instance, v, first))
        .collect()
}

/// Where each VM may go in block `first..end`: the sites the current plan uses for it (so
/// that the current plan stays feasible) and its `extra` cheapest other sites by marginal
/// energy cost over the block. `None` (every site) when `extra` is 0 or covers all sites.
fn candidates(
    costs: &Costs,
    plan: &Plan,
    first: usize,
    end: usize,
    extra: usize,
) -> Option<Vec<Vec<SiteId>>> {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    if extra == 0 || extra + 1 >= num_sites {
        return None;
    }
    Some(
        (0..instance.num_vms())
            .map(|v| {
                let mut keep: Vec<SiteId> = (first.saturating_sub(1)
                    ..(end + 1).min(instance.num_windows()))
                    .map(|t| plan.site[[v, t]])
                    .collect();
                keep.push(plan.previous_site(instance, v, first));
                let mut others: Vec<(f64, SiteId)> = (0..num_sites)
                    .filter(|s| !keep.contains(s) && costs.is_allowed(v, *s))
                    .map(|s| {
                        let cost: f64 = (first..end).map(|t| costs.fluid_vm_eur(v, s, t)).sum();
                        (cost, s)
                    })
                    .collect();
                others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                keep.extend(others.iter().take(extra).map(|&(_, s)| s));
                keep.sort_unstable();
                keep.dedup();
                keep
            })
            .collect(),
    )
}

/// The best feasible start among local search (if registered) and the repaired stay plan.
fn start_plan(costs: &Costs, settings: &SolveSettings, started: Instant) -> Option<(Plan, f64)> {
    let mut candidates: Vec<Plan> = Vec::new();
    // Local search from greedy is cheap next to the MILPs and a much better start.
    if let Some(local) = super::find("local") {
        if let Some(plan) = local(costs, settings, started).plan {
            candidates.push(plan);
        }
    }
    if let Some(plan) = repair(costs, &Plan::stay(costs.instance)) {
        candidates.push(plan);
    }
    candidates
        .into_iter()
        .filter_map(|plan| {
            let e = evaluate(costs, &plan);
            e.is_feasible().then_some((plan, e.objective_eur))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Solves the instance block by block in parallel and reports the plan with a proven bound.
pub fn solve(costs: &Costs, settings: &SolveSettings, started: Instant) -> Outcome {
    let instance = costs.instance;
    let windows = instance.num_windows();
    let block = settings.block_windows.max(1);
    let blocks: Vec<(usize, usize)> = (0..windows)
        .step_by(block)
        .map(|f| (f, (f + block).min(windows)))
        .collect();
    let mut notes = vec![format!("{} blocks of up to {block} windows", blocks.len())];
    let Some((plan, objective)) = start_plan(costs, settings, started) else {
        return Outcome {
            plan: None,
            status: Status::Unknown,
            bound_eur: None,
            reasons: vec!["no feasible start: neither local search nor repair found a plan".into()],
            notes,
        };
    };
    notes.push(format!("start: {objective} EUR"));
    // The whole horizon's root-node bound runs beside everything else: with two or more
    // threads it costs no wall time; with one it gets half the time limit.
    let num_sites = instance.num_sites();
    let columns_estimate = instance.num_vms() * num_sites * num_sites * windows;
    let root_limit = settings.time_left_s(started).map(|left| {
        if rayon::current_num_threads() > 1 {
            left
        } else {
            left / 2.0
        }
    });
    let (root, (plan, objective, blocks_bound, block_notes)) = rayon::join(
        || {
            (settings.root_bound && columns_estimate <= ROOT_BOUND_MAX_COLUMNS)
                .then(|| lp_bound(costs, &Horizon::whole(costs), settings, root_limit))
                .flatten()
        },
        || coordinate(costs, settings, started, &blocks, plan, objective),
    );
    notes.extend(block_notes);
    let bound_eur = match (blocks_bound, root) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    notes.push(format!(
        "bounds: free-start blocks {blocks_bound:?}, whole root node {root:?}"
    ));
    let status = match bound_eur {
        Some(b) if objective - b <= settings.gap * objective.abs() => Status::Optimal,
        _ => Status::Feasible,
    };
    Outcome {
        plan: Some(plan),
        status,
        bound_eur,
        reasons: Vec::new(),
        notes,
    }
}

/// Block bounds, then coordination passes; returns the plan, its objective, the
/// sum of the blocks' free-start bounds and notes.
fn coordinate(
    costs: &Costs,
    settings: &SolveSettings,
    started: Instant,
    blocks: &[(usize, usize)],
    mut plan: Plan,
    mut objective: f64,
) -> (Plan, f64, Option<f64>, Vec<String>) {
    let instance = costs.instance;
    let windows = instance.num_windows();
    let mut notes = Vec::new();
    let passes = settings.coordination_passes;
    // Rounds of solves still to run: the bound round and one per pass.
    let mut rounds_left = 1 + passes;
    // A round runs its blocks on the pool's threads, a wave of `threads` blocks at a time, so
    // each block gets its wave's share of the round's time.
    let waves = blocks
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    let round_limit = |rounds_left: usize| {
        settings
            .time_left_s(started)
            .map(|left| left / rounds_left.max(1) as f64 / waves as f64)
    };
    // Bound: every block with a free start, in parallel.
    let limit = round_limit(rounds_left);
    let bounds: Vec<Option<f64>> = blocks
        .par_iter()
        .map(|&(first, end)| {
            let horizon = Horizon {
                first,
                end,
                initial: sites_before(costs, &plan, first),
                free_start: first > 0,
                fixed_end: None,
                candidates: None,
            };
            solve_horizon(costs, &horizon, &plan, Some(&plan), settings, limit).bound_eur
        })
        .collect();
    rounds_left -= 1;
    let blocks_bound: Option<f64> = bounds.iter().copied().sum();
    // Coordination: every block re-solved in parallel with its neighbours' boundary
    // placements fixed, then the best of three merges kept.
    for pass in 0..passes {
        let before = objective;
        let limit = round_limit(rounds_left);
        rounds_left = rounds_left.saturating_sub(1);
        if limit.is_some_and(|l| l <= 0.0) {
            break;
        }
        let current = &plan;
        let solved: Vec<Option<Plan>> = blocks
            .par_iter()
            .map(|&(first, end)| {
                let horizon = Horizon {
                    first,
                    end,
                    initial: sites_before(costs, current, first),
                    free_start: false,
                    fixed_end: (end < windows).then(|| {
                        (0..instance.num_vms())
                            .map(|v| current.site[[v, end]])
                            .collect()
                    }),
                    candidates: candidates(costs, current, first, end, settings.candidate_sites),
                };
                solve_horizon(costs, &horizon, current, Some(current), settings, limit).plan
            })
            .collect();
        // Blocks of one colour (every other block) share no window and no cost, so their
        // merge costs exactly what the blocks found; all blocks together usually do better
        // still, but adjacent blocks each assumed the other's boundary, so that merge is
        // checked like the others.
        let merge = |keep: &dyn Fn(usize) -> bool| {
            let mut merged = plan.clone();
            for (i, (&(first, end), block_plan)) in blocks.iter().zip(&solved).enumerate() {
                if let (true, Some(block_plan)) = (keep(i), block_plan) {
                    for v in 0..instance.num_vms() {
                        for t in first..end {
                            merged.site[[v, t]] = block_plan.site[[v, t]];
                        }
                    }
                }
            }
            merged
        };
        let merges = [
            merge(&|_| true),
            merge(&|i| i % 2 == 0),
            merge(&|i| i % 2 == 1),
        ];
        for merged in merges {
            let e = evaluate(costs, &merged);
            // A worse or broken merge is kept out; so are HiGHS's tolerances.
            if e.is_feasible() && e.objective_eur < objective {
                plan = merged;
                objective = e.objective_eur;
            }
        }
        notes.push(format!("pass {}: {objective} EUR", pass + 1));
        if before - objective <= settings.gap * objective.abs().max(1e-9) {
            break;
        }
    }
    (plan, objective, blocks_bound, notes)
}
