//! Local search: simulated annealing over moves, swaps and host-freeing moves, from the plan of
//! another solver.

use super::repair::{repair, window_states, MoveBudget, WindowState};
use super::{CommonSettings, LocalSettings, Outcome, Status};
use crate::domain::instance::{MigrationKind, SiteId, VmId};
use crate::domain::plan::Plan;
use crate::rng::Rng;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use rayon::prelude::*;
use std::time::Instant;

/// Final temperature as a share of the first: by the end, only improving moves pass.
const FINAL_TEMPERATURE_SHARE: f64 = 1e-4;
/// The first temperature is this quantile of the uphill steps met in the warm-up.
const FIRST_TEMPERATURE_QUANTILE: f64 = 0.1;
/// Restart r starts at the first temperature × 0.1^(r mod 4).
const TEMPERATURE_RUNGS: usize = 4;
const TEMPERATURE_RUNG_RATIO: f64 = 0.1;
/// Most proposals spent measuring uphill steps to set the first temperature.
const MAX_WARMUP_PROPOSALS: usize = 500;
/// Relative frequencies of moves, swaps and host-freeing moves.
const PROPOSAL_WEIGHTS: [usize; 3] = [4, 1, 2];
/// Draws for a swap partner at another site.
const SWAP_DRAWS: usize = 4;
/// Most VMs a host-freeing move moves.
const MAX_VMS_FREEING_A_HOST: usize = 12;
/// Proposals between two looks at the clock.
const CLOCK_EVERY: usize = 64;

/// Improves the plan of the solver named by `knobs.start` (default paths) by
/// simulated annealing. Each proposal picks a range of consecutive windows (one window, to the
/// end of the horizon, a random length, or the whole stretch a VM spends at one site) and is
/// one of:
/// - a move: one VM to another of its allowed sites over the range;
/// - a swap: two VMs exchange their sites in each window of the range;
/// - a host-freeing move: enough VMs leave one site, over the range, that it needs one host
///   fewer in the range's first window (to one common site, to random sites, or each to the
///   site where it adds least), since freeing a host takes several moves that each cost more
///   than they save.
///
/// A proposal that breaks a constraint is rejected: the plan stays feasible throughout,
/// checked incrementally with one repair `WindowState` per window (capacity, allowed sites and
/// latency, anti-affinity, migration feasibility, max_migrations, link budgets). Its change of
/// objective is the exact change of docs/MODEL.md §2's cost (window-site costs of the touched
/// sites and the costs of the touched migrations; a unit test holds it to the evaluator). An
/// improving or level proposal is always accepted, a worsening one by Δ with probability
/// exp(−Δ / temperature). The temperature falls geometrically, over `settings.iterations`
/// proposals (a tenth of them, at most 500, spent on a warm-up sample), from a first
/// temperature to 1e-4 of it. The first temperature is the 10th percentile of the sample's
/// uphill Δ times 0.1^(r mod 4) for restart r: restarts climb down a ladder from a hot search,
/// which suits a poor start, to a nearly cold one, which suits a start that is already good
/// (from the `paths` plan on the generated 8-site, 500-VM instance only the cold rungs improve).
///
/// `settings.restarts` independent restarts run in parallel on the rayon pool, restart r from
/// the start plan with a random stream forked from `settings.seed` and r; the best restart by
/// (evaluator objective, r) wins, so the plan does not depend on the number of threads (unless
/// `settings.time_limit_s` cuts the restarts short: the clock is read every 64 proposals). The
/// result is never worse than the start. Starting from a plan with a proven bound (exact), that
/// bound is passed on.
///
/// # Complexity
/// The start solver, plus O(R · (V·T + I · (V + k · (L + log A + S)) + B · V·T)) work spread
/// over the rayon threads, for R restarts of I proposals, T windows, V VMs, S sites, paths of
/// L links, A anti-affinity labels, proposals touching k (VM, window) slots (k ≤ 4 for a
/// one-window move, k ≤ 4·T for a swap, k ≤ 24·(T + 1) for a host-freeing move of at most 12
/// VMs) and B improvements of the best plan (each copies it); plus R evaluations,
/// O(T · (V + S) + M · L) each for M migrations.
pub fn solve(
    costs: &Costs,
    settings: &CommonSettings,
    knobs: &LocalSettings,
    started: Instant,
) -> Outcome {
    let start_name = knobs.start.name();
    let start_outcome = knobs.start.solve(costs, settings, knobs.restarts, started);
    let Some(start_plan) = start_outcome.plan.clone() else {
        return start_outcome;
    };
    let mut notes = start_outcome.notes.clone();
    let start_evaluation = evaluate(costs, &start_plan);
    let start_plan = if start_evaluation.is_feasible() {
        start_plan
    } else {
        // A start solver should not return an infeasible plan; mend it rather than fail.
        match repair(costs, &start_plan) {
            Some(repaired) if evaluate(costs, &repaired).is_feasible() => {
                notes.push(format!(
                    "the {start_name} plan was infeasible and was repaired"
                ));
                repaired
            }
            _ => {
                return Outcome {
                    plan: None,
                    status: Status::Unknown,
                    bound_eur: None,
                    reasons: start_evaluation.named_violations(costs),
                    notes,
                    warnings: Vec::new(),
                    objective_eur: None,
                }
            }
        }
    };
    let (plan, more) = improve(costs, start_plan, settings, knobs, started);
    notes.extend(more);
    Outcome {
        plan: Some(plan),
        status: Status::Feasible,
        bound_eur: start_outcome.bound_eur,
        reasons: Vec::new(),
        notes,
        warnings: Vec::new(),
        objective_eur: None,
    }
}

/// Simulated annealing from a feasible `start_plan`: `settings.restarts` restarts in parallel,
/// the best by (objective, restart) kept; never worse than the start. Returns the plan and
/// notes.
pub fn improve(
    costs: &Costs,
    start_plan: Plan,
    settings: &CommonSettings,
    knobs: &LocalSettings,
    started: Instant,
) -> (Plan, Vec<String>) {
    let start_objective = evaluate(costs, &start_plan).objective_eur;
    let mut notes = Vec::new();
    let restarts = knobs.restarts.max(1);
    let results: Vec<Restart> = (0..restarts)
        .into_par_iter()
        .map(|r| {
            anneal(
                costs,
                &start_plan,
                start_objective,
                settings,
                knobs,
                started,
                r,
            )
        })
        .collect();
    let mut best: Option<(f64, usize)> = None;
    for (r, result) in results.iter().enumerate() {
        if let Some(objective) = result.objective_eur {
            if best.is_none_or(|(b, _)| objective < b) {
                best = Some((objective, r));
            }
        }
    }
    let proposals: usize = results.iter().map(|r| r.proposals).sum();
    let accepted: usize = results.iter().map(|r| r.accepted).sum();
    notes.push(format!(
        "local search from {start_objective} EUR: {restarts} restarts, {proposals} proposals, \
         {accepted} accepted"
    ));
    let plan = match best {
        Some((objective, r)) if objective < start_objective => {
            notes.push(format!("best restart {r}: {objective} EUR"));
            results
                .into_iter()
                .nth(r)
                .map_or(start_plan, |result| result.plan)
        }
        _ => start_plan,
    };
    (plan, notes)
}

/// What one restart found.
struct Restart {
    plan: Plan,
    /// The evaluator's objective of `plan`; `None` if it is not feasible (a bug, guarded).
    objective_eur: Option<f64>,
    proposals: usize,
    accepted: usize,
}

/// One restart of simulated annealing from `start`.
fn anneal(
    costs: &Costs,
    start: &Plan,
    start_objective: f64,
    settings: &CommonSettings,
    knobs: &LocalSettings,
    started: Instant,
    restart: usize,
) -> Restart {
    let proposer = Proposer::new(costs);
    let mut rng = Rng::new(settings.seed).fork(restart as u64);
    let mut search = Search::new(costs, start.clone(), start_objective);
    let mut best_objective = start_objective;
    let mut best_plan = start.clone();
    let mut cells = Vec::new();
    let (mut proposals, mut accepted) = (0, 0);
    let out_of_time = || {
        settings
            .time_left_s(started)
            .is_some_and(|left| left <= 0.0)
    };
    if proposer.is_idle() || knobs.iterations == 0 {
        return Restart {
            plan: best_plan,
            objective_eur: Some(start_objective),
            proposals,
            accepted,
        };
    }

    // Warm-up: a low quantile of the uphill steps of a sample of proposals sets the first
    // temperature. The mean would be ruled by the rare proposals that switch hosts on over
    // many windows, and a search that hot wanders off and does not come back in time.
    let warmup = (knobs.iterations / 10).clamp(1, MAX_WARMUP_PROPOSALS);
    let mut uphill_eur = Vec::new();
    for _ in 0..warmup {
        proposals += 1;
        proposer.propose(&search, &mut rng, &mut cells);
        if let Some(delta) = search.try_apply(&cells) {
            search.undo();
            if delta > 0.0 {
                uphill_eur.push(delta);
            }
        }
    }
    uphill_eur.sort_by(f64::total_cmp);
    let first_temperature = match uphill_eur.len() {
        0 => 1e-9 * start_objective.abs().max(1.0),
        n => uphill_eur[((n - 1) as f64 * FIRST_TEMPERATURE_QUANTILE) as usize],
    };
    let steps = knobs.iterations.saturating_sub(warmup).max(1);
    let cooling = FINAL_TEMPERATURE_SHARE.powf(1.0 / steps as f64);
    // Restarts climb down a ladder of first temperatures: a hot search suits a poor start,
    // a nearly cold one a start that is already good (a hot one would only wander off it).
    let rung = (restart % TEMPERATURE_RUNGS) as i32;
    let mut temperature = first_temperature * TEMPERATURE_RUNG_RATIO.powi(rung);
    for step in 0..steps {
        if step % CLOCK_EVERY == 0 && out_of_time() {
            break;
        }
        proposals += 1;
        proposer.propose(&search, &mut rng, &mut cells);
        let delta = if cells.is_empty() {
            None
        } else {
            search.try_apply(&cells)
        };
        if let Some(delta) = delta {
            if delta <= 0.0 || rng.unit() < (-delta / temperature).exp() {
                accepted += 1;
                search.objective_eur += delta;
                // Drift of the running sum must not pass for an improvement.
                let margin = 1e-12 * best_objective.abs().max(1.0);
                if search.objective_eur < best_objective - margin {
                    best_objective = search.objective_eur;
                    best_plan.clone_from(&search.plan);
                }
            } else {
                search.undo();
            }
        }
        temperature *= cooling;
    }
    // The evaluator, not the running sum, decides.
    let evaluation = evaluate(costs, &best_plan);
    Restart {
        objective_eur: evaluation.is_feasible().then_some(evaluation.objective_eur),
        plan: best_plan,
        proposals,
        accepted,
    }
}

/// New sites for some (VM, window) cells of a plan: `(vm, window, site)`.
type Cell = (VmId, usize, SiteId);

/// Draws random moves and swaps.
struct Proposer {
    windows: usize,
    /// Sites each VM may run at.
    allowed: Vec<Vec<SiteId>>,
    /// VMs that can be anywhere else: not pinned, with two allowed sites or more.
    movable: Vec<VmId>,
}

impl Proposer {
    fn new(costs: &Costs) -> Proposer {
        let instance = costs.instance;
        let allowed: Vec<Vec<SiteId>> = (0..instance.num_vms())
            .map(|v| {
                (0..instance.num_sites())
                    .filter(|&s| costs.is_allowed(v, s))
                    .collect()
            })
            .collect();
        let movable = (0..instance.num_vms())
            .filter(|&v| {
                instance.vms[v].profile.kind != MigrationKind::Pinned && allowed[v].len() >= 2
            })
            .collect();
        Proposer {
            windows: instance.num_windows(),
            allowed,
            movable,
        }
    }

    /// Whether there is nothing to propose.
    fn is_idle(&self) -> bool {
        self.movable.is_empty() || self.windows == 0
    }

    /// Writes a random proposal for the plan under `search` into `cells` (left empty when it
    /// would change nothing).
    fn propose(&self, search: &Search, rng: &mut Rng, cells: &mut Vec<Cell>) {
        cells.clear();
        let plan = &search.plan;
        let v = self.movable[rng.below(self.movable.len())];
        let mut first = rng.below(self.windows);
        // One window, the rest of the horizon, a random length, or the whole stretch of
        // windows that VM v spends at its site, in equal shares. A stretch moves without
        // adding migrations: the range most likely to pay.
        let last = match rng.below(4) {
            0 => first,
            1 => self.windows - 1,
            2 => first + rng.below(self.windows - first),
            _ => {
                let here = plan.site[[v, first]];
                let mut last = first;
                while last + 1 < self.windows && plan.site[[v, last + 1]] == here {
                    last += 1;
                }
                while first > 0 && plan.site[[v, first - 1]] == here {
                    first -= 1;
                }
                last
            }
        };
        let kind = rng.below(PROPOSAL_WEIGHTS.iter().sum());
        if kind < PROPOSAL_WEIGHTS[0] || self.movable.len() < 2 {
            // Another of its allowed sites than the one it has in the first window.
            let sites = &self.allowed[v];
            let here = sites.iter().position(|&s| s == plan.site[[v, first]]);
            let mut pick = rng.below(sites.len() - usize::from(here.is_some()));
            if here.is_some_and(|h| pick >= h) {
                pick += 1;
            }
            let to = sites[pick];
            cells.extend(
                (first..=last)
                    .filter(|&t| plan.site[[v, t]] != to)
                    .map(|t| (v, t, to)),
            );
        } else if kind < PROPOSAL_WEIGHTS[0] + PROPOSAL_WEIGHTS[1] {
            // Swap: the second VM is drawn among the others, preferably one at another site in
            // the first window (a few draws, so that a consolidated plan does not stall here).
            let mut w = v;
            for _ in 0..SWAP_DRAWS {
                w = self.movable[rng.below(self.movable.len() - 1)];
                if w == v {
                    w = self.movable[self.movable.len() - 1];
                }
                if plan.site[[w, first]] != plan.site[[v, first]] {
                    break;
                }
            }
            for t in first..=last {
                let (a, b) = (plan.site[[v, t]], plan.site[[w, t]]);
                if a != b {
                    cells.push((v, t, b));
                    cells.push((w, t, a));
                }
            }
        } else {
            self.propose_host_freeing(search, rng, (first, last), plan.site[[v, first]], cells);
        }
    }

    /// Moves enough VMs off site `from` in window `first` that it needs one host fewer, each
    /// for the windows of `first..=last` it spends there: to one common site or each to its
    /// own. Freeing a host takes several moves that each cost more than they save on their
    /// own, which single moves find only by luck.
    fn propose_host_freeing(
        &self,
        search: &Search,
        rng: &mut Rng,
        (first, last): (usize, usize),
        from: SiteId,
        cells: &mut Vec<Cell>,
    ) {
        let costs = search.costs;
        let plan = &search.plan;
        let site = &costs.instance.sites[from];
        let (cpu, mem) = search.windows[first].load(from);
        let hosts = costs.active_hosts(from, cpu, mem);
        if hosts < 1.0 {
            return;
        }
        let excess_cpu = cpu - (hosts - 1.0) * site.host_cpu * site.cpu_overcommit;
        let excess_mem = mem - (hosts - 1.0) * site.host_mem_gib;
        let mut candidates: Vec<VmId> = self
            .movable
            .iter()
            .copied()
            .filter(|&u| plan.site[[u, first]] == from)
            .collect();
        rng.shuffle(&mut candidates);
        // Where the VMs go: one common site, each its own random site, or each the site
        // where it adds least to the first window's cost, counting the VMs this move already
        // sends there, among those with room (so that the move packs them).
        let destination = rng.below(3);
        let common_site = rng.below(costs.instance.num_sites());
        let state = &search.windows[first];
        let mut sent: Vec<Vec<VmId>> = vec![Vec::new(); costs.instance.num_sites()];
        let has_room = |s: SiteId, extra: &[VmId]| {
            let (cpu, mem) = state.load(s);
            let vms = &costs.instance.vms;
            let cpu = cpu + extra.iter().map(|&w| vms[w].cpu).sum::<f64>();
            let mem = mem + extra.iter().map(|&w| vms[w].mem_gib).sum::<f64>();
            costs.active_hosts(s, cpu, mem) <= costs.instance.sites[s].hosts as f64
        };
        let (mut freed_cpu, mut freed_mem) = (0.0, 0.0);
        for (taken, u) in candidates.into_iter().enumerate() {
            if taken == MAX_VMS_FREEING_A_HOST {
                cells.clear();
                return;
            }
            let others: Vec<SiteId> = self.allowed[u]
                .iter()
                .copied()
                .filter(|&s| s != from)
                .collect();
            if others.is_empty() {
                continue;
            }
            let to = match destination {
                0 if others.contains(&common_site) => common_site,
                2 => {
                    let mut cheapest: Option<(f64, SiteId)> = None;
                    for &s in &others {
                        let before = state.site_cost_eur(s, &sent[s]);
                        sent[s].push(u);
                        if has_room(s, &sent[s]) {
                            let added = state.site_cost_eur(s, &sent[s]) - before;
                            if cheapest.is_none_or(|(c, _)| added < c) {
                                cheapest = Some((added, s));
                            }
                        }
                        sent[s].pop();
                    }
                    let Some((_, s)) = cheapest else {
                        continue;
                    };
                    sent[s].push(u);
                    s
                }
                _ => others[rng.below(others.len())],
            };
            cells.extend(
                (first..=last)
                    .filter(|&t| plan.site[[u, t]] == from)
                    .map(|t| (u, t, to)),
            );
            let vm = &costs.instance.vms[u];
            freed_cpu += vm.cpu;
            freed_mem += vm.mem_gib;
            if freed_cpu >= excess_cpu && freed_mem >= excess_mem {
                return;
            }
        }
        // Not enough movable VMs there to free a host.
        cells.clear();
    }
}

/// One VM in one window whose placement a change touches: `(from, to)` before and after.
#[derive(Debug, Clone, Copy)]
struct Slot {
    window: usize,
    vm: VmId,
    old: (SiteId, SiteId),
    new: (SiteId, SiteId),
}

/// A feasible plan under search, with one `WindowState` per window holding all its VMs and the
/// plan's objective kept up to date by exact deltas.
struct Search<'c, 'a> {
    costs: &'c Costs<'a>,
    plan: Plan,
    windows: Vec<WindowState<'c, 'a>>,
    objective_eur: f64,
    /// The last change applied: its cells' old sites, its slots and the sites it touched.
    old_cells: Vec<Cell>,
    slots: Vec<Slot>,
    touched: Vec<(usize, SiteId)>,
    /// Each VM's migrations, against max_migrations_per_vm.
    moves: MoveBudget,
    /// The last change's migrations per VM, (VM, change), for [`Self::undo`].
    move_changes: Vec<(VmId, i64)>,
}

impl<'c, 'a> Search<'c, 'a> {
    /// `plan` must be feasible and cost `objective_eur`.
    fn new(costs: &'c Costs<'a>, plan: Plan, objective_eur: f64) -> Self {
        let windows = window_states(costs, &plan);
        let moves = MoveBudget::of_plan(costs, &plan);
        Search {
            costs,
            plan,
            windows,
            objective_eur,
            old_cells: Vec::new(),
            slots: Vec::new(),
            touched: Vec::new(),
            moves,
            move_changes: Vec::new(),
        }
    }

    /// Applies `cells` when the plan stays feasible and returns the change of objective (not
    /// yet added to `objective_eur`: accept it, or [`Self::undo`]); otherwise leaves everything
    /// as it was and returns `None`.
    fn try_apply(&mut self, cells: &[Cell]) -> Option<f64> {
        let instance = self.costs.instance;
        let num_windows = instance.num_windows();
        // A VM's new site in window t changes its placement in t and its migration into t+1.
        let mut keys: Vec<(usize, VmId)> = Vec::with_capacity(2 * cells.len());
        for &(v, t, _) in cells {
            keys.push((t, v));
            if t + 1 < num_windows {
                keys.push((t + 1, v));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        self.slots.clear();
        for &(t, v) in &keys {
            let placement = (
                self.plan.previous_site(instance, v, t),
                self.plan.site[[v, t]],
            );
            self.slots.push(Slot {
                window: t,
                vm: v,
                old: placement,
                new: placement,
            });
        }
        self.old_cells.clear();
        for &(v, t, s) in cells {
            self.old_cells.push((v, t, self.plan.site[[v, t]]));
            self.plan.site[[v, t]] = s;
        }
        self.touched.clear();
        for slot in &mut self.slots {
            slot.new = (
                self.plan.previous_site(instance, slot.vm, slot.window),
                self.plan.site[[slot.vm, slot.window]],
            );
            self.touched.push((slot.window, slot.old.1));
            self.touched.push((slot.window, slot.new.1));
        }
        self.touched.sort_unstable();
        self.touched.dedup();
        self.move_changes.clear();
        if self.moves.is_limited() {
            for slot in &self.slots {
                let change =
                    i64::from(slot.new.0 != slot.new.1) - i64::from(slot.old.0 != slot.old.1);
                if change != 0 {
                    self.move_changes.push((slot.vm, change));
                }
            }
            self.move_changes.sort_unstable_by_key(|&(v, _)| v);
            self.move_changes.dedup_by(|later, first| {
                let same = later.0 == first.0;
                if same {
                    first.1 += later.1;
                }
                same
            });
            if self
                .move_changes
                .iter()
                .any(|&(v, change)| !self.moves.allows_change(v, change))
            {
                for &(v, t, s) in self.old_cells.iter().rev() {
                    self.plan.site[[v, t]] = s;
                }
                self.move_changes.clear();
                return None;
            }
        }

        let before = self.touched_cost_eur(|slot| slot.old);
        for slot in &self.slots {
            self.windows[slot.window].remove(slot.vm, slot.old.0, slot.old.1);
        }
        for i in 0..self.slots.len() {
            let slot = self.slots[i];
            let state = &mut self.windows[slot.window];
            if state.fits(slot.vm, slot.new.0, slot.new.1) {
                state.place(slot.vm, slot.new.0, slot.new.1);
            } else {
                for placed in &self.slots[..i] {
                    self.windows[placed.window].remove(placed.vm, placed.new.0, placed.new.1);
                }
                self.restore_old();
                self.move_changes.clear();
                return None;
            }
        }
        for &(v, change) in &self.move_changes {
            self.moves.change(v, change);
        }
        let after = self.touched_cost_eur(|slot| slot.new);
        Some(after - before)
    }

    /// Takes back the change the last successful [`Self::try_apply`] made.
    fn undo(&mut self) {
        for slot in &self.slots {
            self.windows[slot.window].remove(slot.vm, slot.new.0, slot.new.1);
        }
        for &(v, change) in &self.move_changes {
            self.moves.change(v, -change);
        }
        self.restore_old();
    }

    /// Puts the slots back at their old placements, in the window states and in the plan.
    fn restore_old(&mut self) {
        for slot in &self.slots {
            self.windows[slot.window].place(slot.vm, slot.old.0, slot.old.1);
        }
        for &(v, t, s) in self.old_cells.iter().rev() {
            self.plan.site[[v, t]] = s;
        }
    }

    /// Window-site costs of the touched sites plus the slots' migration costs, with the slots
    /// at `placement`, EUR.
    fn touched_cost_eur(&self, placement: impl Fn(&Slot) -> (SiteId, SiteId)) -> f64 {
        let sites: f64 = self
            .touched
            .iter()
            .map(|&(t, s)| self.windows[t].site_cost_eur(s, &[]))
            .sum();
        let migrations: f64 = self
            .slots
            .iter()
            .map(|slot| {
                let (from, to) = placement(slot);
                self.windows[slot.window].migration_cost_eur(slot.vm, from, to)
            })
            .sum();
        sites + migrations
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read::read_instance;
    use std::path::Path;

    /// The incremental check and delta against the evaluator: a proposal passes exactly when
    /// the changed plan is feasible, the delta is the change of the evaluator's objective, and
    /// a rejected or undone proposal leaves the plan as it was.
    #[test]
    fn incremental_feasibility_and_delta_match_the_evaluator() {
        let names = [
            "tests/data/tiny-capacity",
            "tests/data/tiny-kinds",
            "tests/data/tiny-latency-anti",
            "tests/data/tiny-links-budget",
            "tests/data/tiny-negative",
            "tests/data/tiny-block-rounds",
            "instances/mixed-kinds",
            "instances/mesh-latency",
            "instances/paper-testbed",
        ];
        let mut refused_in_all = 0;
        for name in names {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
            let instance = read_instance(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
            let costs = Costs::new(&instance);
            let start = repair(&costs, &Plan::stay(&instance)).expect("a feasible start");
            let start_evaluation = evaluate(&costs, &start);
            assert!(start_evaluation.is_feasible(), "{name}");
            let mut search = Search::new(&costs, start, start_evaluation.objective_eur);
            let proposer = Proposer::new(&costs);
            let mut rng = Rng::new(11);
            let mut cells = Vec::new();
            let mut passed = 0;
            for step in 0..1500 {
                proposer.propose(&search, &mut rng, &mut cells);
                if cells.is_empty() {
                    continue;
                }
                let before = search.plan.clone();
                let mut changed = before.clone();
                for &(v, t, s) in &cells {
                    changed.site[[v, t]] = s;
                }
                let expected = evaluate(&costs, &changed);
                match search.try_apply(&cells) {
                    Some(delta) => {
                        passed += 1;
                        assert!(
                            expected.is_feasible(),
                            "{name} step {step}: passed {cells:?}, evaluator: {:?}",
                            expected.violations
                        );
                        assert_eq!(search.plan, changed);
                        let tracked = search.objective_eur + delta;
                        let tolerance = 1e-9 * expected.objective_eur.abs().max(1.0);
                        assert!(
                            (tracked - expected.objective_eur).abs() <= tolerance,
                            "{name} step {step}: tracked {tracked}, evaluator {}",
                            expected.objective_eur
                        );
                        if rng.below(2) == 0 {
                            search.objective_eur += delta;
                        } else {
                            search.undo();
                            assert_eq!(search.plan, before);
                        }
                    }
                    None => {
                        refused_in_all += 1;
                        assert!(
                            !expected.is_feasible(),
                            "{name} step {step}: refused {cells:?}, which the evaluator accepts"
                        );
                        assert_eq!(search.plan, before);
                    }
                }
            }
            assert!(passed > 0, "{name}: no proposal passed");
        }
        assert!(
            refused_in_all > 0,
            "no proposal was refused: the check went untested"
        );
    }
}
