//! The parallel windowed solver: the horizon is cut into blocks of consecutive windows, each
//! block is re-planned as a small MILP, and the blocks are solved side by side with rayon.
//!
//! # Method
//! 1. **Start.** The best feasible plan among `local` (simulated annealing from `paths`) and
//!    the repaired stay plan.
//! 2. **Coordination.** Passes over the blocks. A pass splits the sites into groups of
//!    `neighbourhood_sites` (pairs in a round-robin schedule, so that every two sites are
//!    paired once every S − 1 passes; larger groups by a shuffle seeded by `seed` and the
//!    pass) and runs two colour rounds, the even blocks and then the odd ones. In a round,
//!    every block of the colour is re-solved once per site group, all in parallel, as a MILP
//!    in which:
//!    - the neighbours' boundary placements are fixed: the site before the block and the site
//!      in the window after it, with the migrations into both planned and costed;
//!    - in each window, a VM the current plan puts in the group may move to the group's sites
//!      among those it uses and its `candidate_sites` cheapest others; every other VM stays.
//!
//!    The tasks of a round change disjoint (VM, window) cells, and blocks of one colour share
//!    no window, so their merge costs what they found together except where they meet: a VM
//!    that changes group within a block (its migration joins two tasks' cells) and the link
//!    budgets they share. The evaluator checks the merge and keeps it only if it improves the
//!    plan, else the best single task's plan. Each task starts from the current plan, so no
//!    round makes the plan worse. Small site groups keep the MILPs small (a third of the fleet
//!    with three sites each, instead of all of it with every site) and give a round more
//!    tasks than threads. A site alone in its group frees nothing and gets no task.
//! 3. **Polish.** With `polish`, local search then runs from the pass's plan (a new seed each
//!    pass) and is kept if it improves it: its moves and swaps cross the site groups and the
//!    blocks, and pack hosts where the MILPs left them part-empty. Passes stop after
//!    `coordination_passes`, at the time limit, or when two passes in a row (one where the
//!    groups never change) improve the objective by less than the gap.
//! 4. **Bounds**, solved beside the coordination:
//!    - the whole horizon's root node (LP relaxation with HiGHS's cuts) with `root_bound`, else
//!      its bare LP relaxation, which is much cheaper;
//!    - every block with a free start: its first window's placement pays only the cheapest
//!      migration that could bring each VM there and obeys no migration limit. Any full plan,
//!      cut into blocks, costs at least each block's optimum of that relaxation, so the sum of
//!      the blocks' root-node bounds is a lower bound on the whole problem. It is loose where
//!      moves are dear, and only solved where blocks are small.
//!
//!    The larger bound counts.
//!
//! # Complexity
//! A task is a MILP of O(V_g · S_g² · B) flow columns for the V_g VMs in a group of S_g sites
//! and B windows per block (plus O(V · B) fixed ones), against O(V · S² · T) for the whole
//! horizon; a pass is two rounds of ⌈T/B⌉ · ⌈S/S_g⌉ independent solves in all, spread over
//! the rayon pool, and up to two evaluations per round (one per task where a merge fails);
//! plus, with `polish`, one local search per pass (see `local`).

use super::exact::{lp_bound, relaxation_bound, solve_horizon, Horizon};
use super::repair::repair;
use super::{CommonSettings, Outcome, Status, WindowsSettings};
use crate::domain::instance::{SiteId, VmId};
use crate::domain::plan::Plan;
use crate::rng::Rng;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use rayon::prelude::*;
use std::time::Instant;

/// Largest whole-horizon model (in flow columns, V·S²·T) whose root node is solved for a
/// bound; beyond it the root alone would take longer than the blocks.
const ROOT_BOUND_MAX_COLUMNS: usize = 1_500_000;

/// Largest block (in flow columns, V·S²·B) whose free-start root node is solved for a bound;
/// beyond it the blocks' roots take long and the whole horizon's bound is the better buy.
const BLOCK_BOUND_MAX_COLUMNS: usize = 100_000;

/// Largest whole-horizon model whose root node (rather than its LP relaxation) is solved with
/// `root_bound`. HiGHS computes an analytic centre at the root with IPX under an iteration
/// limit but no time limit, and waits for it after five separation rounds; on s8-v500-t24
/// (768k columns) that wait ran 25 s past a 120 s limit. The LP relaxation honours the limit.
const ROOT_NODE_MAX_COLUMNS: usize = 200_000;

/// Each VM's site before window `first` under `plan`.
fn sites_before(costs: &Costs, plan: &Plan, first: usize) -> Vec<SiteId> {
    (0..costs.instance.num_vms())
        .map(|v| plan.previous_site(costs.instance, v, first))
        .collect()
}

/// Each VM's cheapest sites for block `first..end`: the sites the current plan uses for it
/// around the block (so that the current plan stays feasible) and its `extra` cheapest other
/// sites by marginal energy cost over the block; every allowed site when `extra` is 0 or
/// covers all sites.
fn cheapest_sites(
    costs: &Costs,
    plan: &Plan,
    first: usize,
    end: usize,
    extra: usize,
) -> Vec<Vec<SiteId>> {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    (0..instance.num_vms())
        .map(|v| {
            if extra == 0 || extra + 1 >= num_sites {
                return (0..num_sites).collect();
            }
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
        .collect()
}

/// The neighbourhood of block `first..end` within the site group `group`: in each window, a
/// VM the current plan puts in the group may go to any of its cheapest sites in the group;
/// every other VM stays where it is. Sites outside the group keep their load, so tasks on
/// disjoint groups of one block change disjoint parts of the plan.
fn neighbourhood(
    plan: &Plan,
    first: usize,
    end: usize,
    cheapest: &[Vec<SiteId>],
    group: &[SiteId],
) -> Vec<Vec<Vec<SiteId>>> {
    cheapest
        .iter()
        .enumerate()
        .map(|(v, sites)| {
            (first..end)
                .map(|t| {
                    let now = plan.site[[v, t]];
                    if group.contains(&now) {
                        let mut here: Vec<SiteId> = sites
                            .iter()
                            .copied()
                            .filter(|s| group.contains(s))
                            .collect();
                        if !here.contains(&now) {
                            here.push(now);
                            here.sort_unstable();
                        }
                        here
                    } else {
                        vec![now]
                    }
                })
                .collect()
        })
        .collect()
}

/// Pass `pass`'s split of the sites into groups of `size` (every site in one group when
/// `size` is 0 or covers them all), seeded by `seed`:
/// - pairs follow a round-robin schedule over a seeded order of the sites, so that every two
///   sites share a group once in every S − 1 passes (S rounded up to even; with an odd count
///   one site sits alone);
/// - larger groups come from a shuffle seeded by the pass, cut into groups as even as can be.
fn site_groups(num_sites: usize, size: usize, seed: u64, pass: usize) -> Vec<Vec<SiteId>> {
    let mut sites: Vec<SiteId> = (0..num_sites).collect();
    if size == 0 || size >= num_sites {
        return vec![sites];
    }
    let mut groups: Vec<Vec<SiteId>> = if size == 2 {
        Rng::new(seed).shuffle(&mut sites);
        // The circle method: the first seat stays, the others turn one seat a pass; seat i
        // meets seat m − 1 − i. `None` is the empty seat of an odd count.
        let mut seats: Vec<Option<SiteId>> = sites.into_iter().map(Some).collect();
        if seats.len() % 2 == 1 {
            seats.push(None);
        }
        let m = seats.len();
        seats[1..].rotate_right(pass % (m - 1));
        (0..m / 2)
            .map(|i| [seats[i], seats[m - 1 - i]].into_iter().flatten().collect())
            .collect()
    } else {
        Rng::new(seed).fork(pass as u64).shuffle(&mut sites);
        let count = num_sites.div_ceil(size);
        (0..count)
            .map(|i| sites[i * num_sites / count..(i + 1) * num_sites / count].to_vec())
            .collect()
    };
    for group in &mut groups {
        group.sort_unstable();
    }
    groups.sort();
    groups
}

/// The best feasible start among local search (if registered) and the repaired stay plan.
fn start_plan(
    costs: &Costs,
    settings: &CommonSettings,
    knobs: &WindowsSettings,
    started: Instant,
) -> Option<(Plan, f64)> {
    let mut candidates: Vec<Plan> = Vec::new();
    // Local search (from `paths` by default) is cheap next to the MILPs and a much better start.
    if let Some(plan) = super::local::solve(costs, settings, &knobs.local(), started).plan {
        candidates.push(plan);
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
pub fn solve(
    costs: &Costs,
    settings: &CommonSettings,
    knobs: &WindowsSettings,
    started: Instant,
) -> Outcome {
    solve_from(costs, settings, knobs, started, None)
}

/// [`solve`] from `start`, a feasible plan and its cost, instead of its own start (local
/// search and the repaired stay plan) when one is given.
pub fn solve_from(
    costs: &Costs,
    settings: &CommonSettings,
    knobs: &WindowsSettings,
    started: Instant,
    start: Option<(Plan, f64)>,
) -> Outcome {
    let instance = costs.instance;
    let windows = instance.num_windows();
    let block = knobs.block_windows.max(1);
    let blocks: Vec<(usize, usize)> = (0..windows)
        .step_by(block)
        .map(|f| (f, (f + block).min(windows)))
        .collect();
    let mut notes = vec![format!("{} blocks of up to {block} windows", blocks.len())];
    let Some((plan, objective)) = start.or_else(|| start_plan(costs, settings, knobs, started))
    else {
        return Outcome {
            plan: None,
            status: Status::Unknown,
            bound_eur: None,
            reasons: vec!["no feasible start: neither local search nor repair found a plan".into()],
            notes,
            warnings: Vec::new(),
            objective_eur: None,
        };
    };
    settings.progress.plan(objective);
    notes.push(format!(
        "start: {objective} EUR at {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    // The bounds run beside the coordination: with two or more threads they cost little wall
    // time; with one they run first and get at most half the time left.
    let deadline = settings.time_left_s(started).and_then(|left| {
        let share = if rayon::current_num_threads() > 1 {
            left
        } else {
            left / 2.0
        };
        super::settings::deadline_in(share)
    });
    let start = plan.clone();
    let ((root, blocks_bound), (best, block_notes)) = rayon::join(
        || bounds(costs, settings, knobs, &blocks, &start, deadline),
        || coordinate(costs, settings, knobs, started, &blocks, plan, objective),
    );
    notes.extend(block_notes);
    let bound_eur = match (blocks_bound, root) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let whole = if knobs.root_bound {
        "root node"
    } else {
        "LP relaxation"
    };
    notes.push(format!(
        "bounds: free-start blocks {blocks_bound:?}, whole horizon's {whole} {root:?}"
    ));
    let status = match bound_eur {
        Some(b) if best.objective - b <= settings.gap * best.objective.abs() => Status::Optimal,
        _ => Status::Feasible,
    };
    Outcome {
        plan: Some(best.plan),
        status,
        bound_eur,
        reasons: Vec::new(),
        notes,
        warnings: Vec::new(),
        objective_eur: None,
    }
}

/// Proven lower bounds, each `None` where it was not found by `deadline` or its model is too
/// large: the whole horizon's (its root node with `knobs.root_bound` up to
/// [`ROOT_NODE_MAX_COLUMNS`], else its LP relaxation) and the sum of the blocks' free-start
/// root nodes.
fn bounds(
    costs: &Costs,
    settings: &CommonSettings,
    knobs: &WindowsSettings,
    blocks: &[(usize, usize)],
    plan: &Plan,
    deadline: Option<Instant>,
) -> (Option<f64>, Option<f64>) {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    let limit = || deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    let columns = |windows: usize| instance.num_vms() * num_sites * num_sites * windows;
    let longest = blocks.iter().map(|&(f, e)| e - f).max().unwrap_or(0);
    let (root, blocks_bound) = rayon::join(
        || {
            if columns(instance.num_windows()) > ROOT_BOUND_MAX_COLUMNS {
                return None;
            }
            let whole = Horizon::whole(costs);
            if knobs.root_bound && columns(instance.num_windows()) <= ROOT_NODE_MAX_COLUMNS {
                lp_bound(costs, &whole, settings, limit())
            } else {
                relaxation_bound(costs, &whole, settings, limit())
            }
        },
        || {
            if blocks.len() < 2 || columns(longest) > BLOCK_BOUND_MAX_COLUMNS {
                return None;
            }
            blocks
                .par_iter()
                .map(|&(first, end)| {
                    let horizon = Horizon {
                        first,
                        end,
                        initial: sites_before(costs, plan, first),
                        free_start: first > 0,
                        fixed_end: None,
                        candidates: None,
                        // A relaxation: without the per-VM allowance the bound stays valid.
                        moves_left: None,
                    };
                    lp_bound(costs, &horizon, settings, limit())
                })
                .sum()
        },
    );
    for bound in [root, blocks_bound].into_iter().flatten() {
        settings.progress.bound(bound);
    }
    (root, blocks_bound)
}

/// The best plan so far and what it costs.
struct Incumbent {
    plan: Plan,
    objective: f64,
}

impl Incumbent {
    /// Takes `candidate` if the evaluator finds it feasible and cheaper. A worse or broken plan
    /// is kept out; so are HiGHS's tolerances.
    fn accept(&mut self, costs: &Costs, candidate: Plan) -> bool {
        let e = evaluate(costs, &candidate);
        if e.is_feasible() && e.objective_eur < self.objective {
            self.plan = candidate;
            self.objective = e.objective_eur;
            true
        } else {
            false
        }
    }
}

/// What one task of a colour round gave.
struct TaskResult {
    /// The cells (VM, window, site) where the task's re-solved block differs from the plan it
    /// started from (`None`: no plan). Only the changes are kept: a whole plan per task would
    /// hold tasks × VMs × windows cells at once, which grows with the square of the windows
    /// (2 000 VMs × 672 windows peaked at 3.9 GB).
    changes: Option<Vec<(VmId, usize, SiteId)>>,
    /// Wall time of the task, s.
    seconds: f64,
    /// Whether HiGHS proved the task's MILP optimal.
    optimal: bool,
}

/// One task: block `(first, end)` of `current` re-solved as a MILP in which only the VMs of
/// `group`'s sites may move (among their cheapest sites), with the window after the block
/// held fixed.
#[allow(clippy::too_many_arguments)]
fn solve_task(
    costs: &Costs,
    settings: &CommonSettings,
    current: &Plan,
    (first, end): (usize, usize),
    cheapest: &[Vec<SiteId>],
    group: &[SiteId],
    moves_left: Option<Vec<u32>>,
    limit: Option<f64>,
) -> TaskResult {
    let instance = costs.instance;
    let t0 = Instant::now();
    let horizon = Horizon {
        first,
        end,
        initial: sites_before(costs, current, first),
        free_start: false,
        fixed_end: (end < instance.num_windows()).then(|| {
            (0..instance.num_vms())
                .map(|v| current.site[[v, end]])
                .collect()
        }),
        candidates: Some(neighbourhood(current, first, end, cheapest, group)),
        moves_left,
    };
    let out = solve_horizon(costs, &horizon, current, Some(current), settings, limit);
    let changes = out.plan.map(|plan| {
        let mut changes = Vec::new();
        for v in 0..instance.num_vms() {
            for t in first..end {
                if plan.site[[v, t]] != current.site[[v, t]] {
                    changes.push((v, t, plan.site[[v, t]]));
                }
            }
        }
        changes
    });
    TaskResult {
        changes,
        seconds: t0.elapsed().as_secs_f64(),
        optimal: out.status == Status::Optimal,
    }
}

/// `plan` with the changes of `tasks` laid over it. The tasks of a round change disjoint
/// (VM, window) cells.
fn merge<'t>(plan: &Plan, tasks: impl IntoIterator<Item = &'t TaskResult>) -> Plan {
    let mut merged = plan.clone();
    for task in tasks {
        for &(v, t, site) in task.changes.iter().flatten() {
            merged.site[[v, t]] = site;
        }
    }
    merged
}

/// Coordination passes from `plan`; returns the best plan, its objective and notes.
///
/// Each pass splits the sites into groups and runs one colour round per colour of blocks (the
/// even blocks, then the odd ones): every block of the colour is re-solved in each site group,
/// in parallel, with everything outside it held fixed. Then local search polishes the plan.
fn coordinate(
    costs: &Costs,
    settings: &CommonSettings,
    knobs: &WindowsSettings,
    started: Instant,
    blocks: &[(usize, usize)],
    plan: Plan,
    objective: f64,
) -> (Incumbent, Vec<String>) {
    let num_sites = costs.instance.num_sites();
    let threads = rayon::current_num_threads().max(1);
    let mut notes = Vec::new();
    let mut best = Incumbent { plan, objective };
    let passes = knobs.coordination_passes;
    // Colour rounds per pass: the even blocks, then the odd ones.
    let colours = if blocks.len() > 1 { 2 } else { 1 };
    let mut rounds_left = passes * colours;
    // A round runs its tasks on the pool's threads, a wave of `threads` at a time, so each
    // task gets its wave's share of the round's time.
    let task_limit = |rounds_left: usize, tasks: usize| {
        let waves = tasks.div_ceil(threads).max(1);
        settings
            .time_left_s(started)
            .map(|left| left / rounds_left.max(1) as f64 / waves as f64)
    };
    // One idle pass ends the search where every pass sees the same neighbourhoods; with
    // changing site groups, two in a row do.
    let enough_idle = if groups_vary(num_sites, knobs.neighbourhood_sites) {
        2
    } else {
        1
    };
    let mut idle_passes = 0;
    'passes: for pass in 0..passes {
        let before = best.objective;
        let groups: Vec<Vec<SiteId>> =
            site_groups(num_sites, knobs.neighbourhood_sites, settings.seed, pass)
                .into_iter()
                // A lone site frees nothing: its VMs could only stay.
                .filter(|g| g.len() > 1)
                .collect();
        for colour in 0..colours {
            if settings.out_of_time(started) {
                break 'passes;
            }
            let tasks: Vec<(usize, usize)> = (0..blocks.len())
                .filter(|i| i % 2 == colour)
                .flat_map(|i| (0..groups.len()).map(move |g| (i, g)))
                .collect();
            let limit = task_limit(rounds_left, tasks.len());
            rounds_left = rounds_left.saturating_sub(1);
            let current = &best.plan;
            let cheapest: Vec<Vec<Vec<SiteId>>> = blocks
                .iter()
                .map(|&(first, end)| {
                    cheapest_sites(costs, current, first, end, knobs.candidate_sites)
                })
                .collect();
            let allowances = move_allowances(costs, current, blocks, colour, pass);
            let solved: Vec<TaskResult> = tasks
                .par_iter()
                .map(|&(i, g)| {
                    solve_task(
                        costs,
                        settings,
                        current,
                        blocks[i],
                        &cheapest[i],
                        &groups[g],
                        allowances.as_ref().map(|a| a[i / colours.max(1)].clone()),
                        limit,
                    )
                })
                .collect();
            let slowest = solved.iter().map(|x| x.seconds).fold(0.0, f64::max);
            let optimal = solved.iter().filter(|x| x.optimal).count();
            notes.push(format!(
                "pass {} colour {colour}: {} tasks, {optimal} solved to optimality, slowest \
                 {slowest:.2} s",
                pass + 1,
                tasks.len()
            ));
            // The tasks meet only through a VM that changes group within a block and through
            // the link budgets, so the merge is checked, and where it fails each task's plan
            // on its own is.
            // Each check is an evaluation of the whole plan (0.1 s at 10 000 VMs × 168
            // windows), so tasks that changed nothing are skipped and the clock is read
            // before each.
            let changed: Vec<&TaskResult> = solved
                .iter()
                .filter(|t| t.changes.as_ref().is_some_and(|c| !c.is_empty()))
                .collect();
            if changed.is_empty() {
                continue;
            }
            let merged = merge(&best.plan, changed.iter().copied());
            if !best.accept(costs, merged) && changed.len() > 1 {
                let round_start = best.plan.clone();
                for task in changed {
                    if settings.out_of_time(started) {
                        break;
                    }
                    best.accept(costs, merge(&round_start, [task]));
                }
            }
        }
        if knobs.polish && !settings.out_of_time(started) {
            // Local search packs hosts with moves and swaps the MILPs' neighbourhoods do not
            // reach (across site groups and blocks); a new seed each pass.
            let polish = CommonSettings {
                seed: settings.seed.wrapping_add(pass as u64 + 1),
                ..settings.clone()
            };
            let (polished, _) =
                super::local::improve(costs, best.plan.clone(), &polish, &knobs.local(), started);
            best.accept(costs, polished);
        }
        settings.progress.plan(best.objective);
        notes.push(format!(
            "pass {}: {} EUR at {:.1} s",
            pass + 1,
            best.objective,
            started.elapsed().as_secs_f64()
        ));
        if before - best.objective <= settings.gap * best.objective.abs().max(1e-9) {
            idle_passes += 1;
            if idle_passes >= enough_idle {
                break;
            }
        } else {
            idle_passes = 0;
        }
    }
    (best, notes)
}

/// Under `max_migrations_per_vm`, each VM's allowance in each block of colour `colour` (in the
/// order of those blocks): the migrations `current` makes there (into the window after the
/// block too), plus a share of what the VM has left over the whole horizon. The shares of one
/// round add up to at most what is left, so the round's merge keeps every VM within its limit;
/// which blocks get the remainder turns with the pass. `None` without a limit.
fn move_allowances(
    costs: &Costs,
    current: &Plan,
    blocks: &[(usize, usize)],
    colour: usize,
    pass: usize,
) -> Option<Vec<Vec<u32>>> {
    let instance = costs.instance;
    let cap = instance.params.max_migrations_per_vm?;
    let colours = if blocks.len() > 1 { 2 } else { 1 };
    let mine: Vec<(usize, usize)> = blocks
        .iter()
        .enumerate()
        .filter(|(i, _)| i % colours == colour)
        .map(|(_, &b)| b)
        .collect();
    let n = mine.len().max(1) as u32;
    let totals: Vec<u32> = (0..instance.num_vms())
        .map(|v| current.migrations_of(instance, v))
        .collect();
    let allowances = mine
        .iter()
        .enumerate()
        .map(|(k, &(first, end))| {
            let rank = ((k + pass) % mine.len()) as u32;
            (0..instance.num_vms())
                .map(|v| {
                    let total = totals[v];
                    let spare = cap.saturating_sub(total);
                    let inside = current.migrations_in(instance, v, first, end + 1);
                    let share = spare / n + u32::from(rank < spare % n);
                    (inside + share).min(cap.saturating_sub(total - inside))
                })
                .collect()
        })
        .collect();
    Some(allowances)
}

/// Whether the passes' site groups differ from pass to pass.
fn groups_vary(num_sites: usize, size: usize) -> bool {
    size != 0 && size < num_sites
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read::read_instance;
    use std::path::Path;

    #[test]
    fn site_groups_split_every_site_once_in_near_even_groups() {
        for num_sites in 1..=9 {
            for size in 0..=num_sites + 1 {
                for pass in 0..3 {
                    let groups = site_groups(num_sites, size, 7, pass);
                    let mut all: Vec<SiteId> = groups.iter().flatten().copied().collect();
                    all.sort_unstable();
                    assert_eq!(all, (0..num_sites).collect::<Vec<_>>());
                    if size == 0 || size >= num_sites {
                        assert_eq!(groups.len(), 1);
                    } else {
                        assert_eq!(groups.len(), num_sites.div_ceil(size));
                        let lengths: Vec<usize> = groups.iter().map(Vec::len).collect();
                        let (lo, hi) = (lengths.iter().min(), lengths.iter().max());
                        assert!(hi.unwrap() - lo.unwrap() <= 1, "{lengths:?}");
                        assert!(*hi.unwrap() <= size);
                    }
                    // Seeded: the same pass gives the same groups.
                    assert_eq!(groups, site_groups(num_sites, size, 7, pass));
                }
            }
        }
        // Passes differ, or the neighbourhoods would never change.
        let passes: Vec<_> = (0..6).map(|p| site_groups(8, 3, 1, p)).collect();
        assert!(passes.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn pairs_meet_every_other_site_once_per_cycle() {
        for num_sites in 3..=9 {
            let cycle = num_sites + num_sites % 2 - 1;
            let mut met = vec![vec![0; num_sites]; num_sites];
            for pass in 0..cycle {
                let groups = site_groups(num_sites, 2, 11, pass);
                for pair in groups.iter().filter(|g| g.len() == 2) {
                    met[pair[0]][pair[1]] += 1;
                    met[pair[1]][pair[0]] += 1;
                }
            }
            for (a, row) in met.iter().enumerate() {
                for (b, &count) in row.iter().enumerate() {
                    assert_eq!(count, usize::from(a != b), "{num_sites} sites: {a} and {b}");
                }
            }
            // The next cycle repeats it.
            assert_eq!(
                site_groups(num_sites, 2, 11, 0),
                site_groups(num_sites, 2, 11, cycle)
            );
        }
    }

    #[test]
    fn a_neighbourhood_frees_only_the_group_and_keeps_the_current_plan_in_it() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("instances/eu-day");
        let instance = read_instance(&dir).unwrap();
        let costs = Costs::new(&instance);
        let plan = repair(&costs, &Plan::stay(&instance)).unwrap();
        let (first, end) = (6, 12);
        let cheapest = cheapest_sites(&costs, &plan, first, end, 1);
        let group = vec![0, 2];
        let cells = neighbourhood(&plan, first, end, &cheapest, &group);
        let mut free = 0;
        for (v, windows) in cells.iter().enumerate() {
            assert_eq!(windows.len(), end - first);
            for (r, sites) in windows.iter().enumerate() {
                let now = plan.site[[v, first + r]];
                assert!(sites.contains(&now), "the current plan stays possible");
                if group.contains(&now) {
                    assert!(sites.iter().all(|s| group.contains(s)));
                    assert!(sites.iter().all(|s| cheapest[v].contains(s)));
                    free += (sites.len() > 1) as usize;
                } else {
                    assert_eq!(sites, &vec![now], "outside the group, a VM stays");
                }
            }
        }
        assert!(free > 0, "the neighbourhood frees some cells");
    }
}
