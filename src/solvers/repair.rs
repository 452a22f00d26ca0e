//! Repair: turns any plan into one that satisfies every constraint, changing as little as it can.
//! The exact solver starts HiGHS from the repaired stay plan, so that a time limit always
//! leaves a plan when repair succeeds.
//!
//! `WindowState` is the incremental feasibility check of one window (capacity, allowed sites
//! and latency, anti-affinity, migration feasibility, max_migrations, link budgets) that every
//! window-by-window heuristic shares: repair, `greedy` and `pabfd` place VMs into it one by
//! one, and `local` keeps one per window and moves VMs in and out of it.

use super::{CommonSettings, NoKnobs, Outcome, Status};
use crate::domain::instance::{le_tol, MigrationKind, SiteId, VmId};
use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
use std::collections::BTreeMap;
use std::time::Instant;

/// Each VM's migrations so far against params.toml's `max_migrations_per_vm`, for the
/// heuristics that build or change a plan move by move. Without the limit it allows
/// everything and counts nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MoveBudget {
    cap: Option<u32>,
    used: Vec<u32>,
}

impl MoveBudget {
    /// No migration made yet.
    pub(crate) fn new(costs: &Costs) -> Self {
        let cap = costs.instance.params.max_migrations_per_vm;
        MoveBudget {
            cap,
            used: vec![
                0;
                if cap.is_some() {
                    costs.instance.num_vms()
                } else {
                    0
                }
            ],
        }
    }

    /// The migrations `plan` makes.
    pub(crate) fn of_plan(costs: &Costs, plan: &Plan) -> Self {
        let mut budget = MoveBudget::new(costs);
        for (v, used) in budget.used.iter_mut().enumerate() {
            *used = plan.migrations_of(costs.instance, v);
        }
        budget
    }

    /// Whether VM `v` may make one more migration.
    pub(crate) fn may_move(&self, v: VmId) -> bool {
        self.cap.is_none_or(|cap| self.used[v] < cap)
    }

    /// Counts VM `v`'s placement from `from` to `to` (a migration when they differ).
    pub(crate) fn spend(&mut self, v: VmId, from: SiteId, to: SiteId) {
        if self.cap.is_some() && from != to {
            self.used[v] += 1;
        }
    }

    /// Whether changing VM `v`'s migrations by `delta` keeps it within the limit.
    pub(crate) fn allows_change(&self, v: VmId, delta: i64) -> bool {
        self.cap
            .is_none_or(|cap| i64::from(self.used[v]) + delta <= i64::from(cap))
    }

    /// Changes VM `v`'s migrations by `delta` (checked with [`Self::allows_change`]).
    pub(crate) fn change(&mut self, v: VmId, delta: i64) {
        if self.cap.is_some() {
            self.used[v] = (i64::from(self.used[v]) + delta).max(0) as u32;
        }
    }

    /// Whether there is a limit at all.
    pub(crate) fn is_limited(&self) -> bool {
        self.cap.is_some()
    }
}

/// The state of one window while VMs are placed into it (and, for local search, taken out).
///
/// A VM's placement is the pair (`from`, `to`): its site in the previous window and its site
/// in this one; a migration when they differ.
#[derive(Debug, Clone)]
pub(crate) struct WindowState<'c, 'a> {
    costs: &'c Costs<'a>,
    window: usize,
    cpu_used: Vec<f64>,
    mem_used: Vec<f64>,
    /// Σ cpu × util of the VMs placed at each site, for the window-site cost.
    busy_cpu: Vec<f64>,
    migrations_at: Vec<u32>,
    /// Seconds of migration on each directed link (`2·link` as written, `2·link+1` reversed).
    link_busy_s: Vec<f64>,
    /// VMs of each anti-affinity label at each site. At most one in a feasible window; counted
    /// rather than flagged so that a window built from an infeasible placement (the initial
    /// sites) still tracks it exactly while VMs leave.
    labels: BTreeMap<(&'a str, SiteId), u32>,
}

impl<'c, 'a> WindowState<'c, 'a> {
    /// An empty window `window`.
    pub(crate) fn new(costs: &'c Costs<'a>, window: usize) -> Self {
        let num_sites = costs.instance.num_sites();
        WindowState {
            costs,
            window,
            cpu_used: vec![0.0; num_sites],
            mem_used: vec![0.0; num_sites],
            busy_cpu: vec![0.0; num_sites],
            migrations_at: vec![0; num_sites],
            link_busy_s: vec![0.0; 2 * costs.instance.links.len()],
            labels: BTreeMap::new(),
        }
    }

    /// Whether VM `v`, at `from` in the previous window, may be put at `to` now, given the VMs
    /// already placed (capacity, allowed sites and latency, anti-affinity, migration
    /// feasibility, max_migrations, link budgets).
    pub(crate) fn fits(&self, v: VmId, from: SiteId, to: SiteId) -> bool {
        let costs = self.costs;
        let instance = costs.instance;
        let vm = &instance.vms[v];
        let site = &instance.sites[to];
        if !costs.is_allowed(v, to) {
            return false;
        }
        if costs.active_hosts(
            to,
            self.cpu_used[to] + vm.cpu,
            self.mem_used[to] + vm.mem_gib,
        ) > site.hosts as f64
        {
            return false;
        }
        if let Some(label) = vm.anti_affinity.as_deref() {
            if self.labels.get(&(label, to)).is_some_and(|&n| n > 0) {
                return false;
            }
        }
        if from == to {
            return true;
        }
        let Some(estimate) = costs.migration(v, from, to) else {
            return false;
        };
        if !estimate.is_feasible() {
            return false;
        }
        for s in [from, to] {
            if let Some(limit) = instance.sites[s].max_migrations {
                if self.migrations_at[s] + 1 > limit {
                    return false;
                }
            }
        }
        let params = &instance.params;
        let budget_s = params.concurrency as f64 * params.window_s();
        if let Some(path) = costs.migration_path(v, from, to) {
            for &link in &path.links {
                if !le_tol(self.link_busy_s[link] + estimate.total_s, budget_s) {
                    return false;
                }
            }
        }
        true
    }

    /// Puts VM `v` at `to`, coming from `from`. Checks nothing: call [`Self::fits`] first.
    pub(crate) fn place(&mut self, v: VmId, from: SiteId, to: SiteId) {
        self.apply(v, from, to, 1.0);
    }

    /// Takes VM `v` out again, undoing [`Self::place`] with the same `from` and `to`.
    pub(crate) fn remove(&mut self, v: VmId, from: SiteId, to: SiteId) {
        self.apply(v, from, to, -1.0);
    }

    fn apply(&mut self, v: VmId, from: SiteId, to: SiteId, sign: f64) {
        let costs = self.costs;
        let instance = costs.instance;
        let vm = &instance.vms[v];
        self.cpu_used[to] += sign * vm.cpu;
        self.mem_used[to] += sign * vm.mem_gib;
        self.busy_cpu[to] += sign * vm.cpu * instance.util[[v, self.window]];
        if let Some(label) = vm.anti_affinity.as_deref() {
            let count = self.labels.entry((label, to)).or_insert(0);
            if sign > 0.0 {
                *count += 1;
            } else {
                *count -= 1;
            }
        }
        if from != to {
            for s in [from, to] {
                if sign > 0.0 {
                    self.migrations_at[s] += 1;
                } else {
                    self.migrations_at[s] -= 1;
                }
            }
            if let (Some(estimate), Some(path)) = (
                costs.migration(v, from, to),
                costs.migration_path(v, from, to),
            ) {
                for &link in &path.links {
                    self.link_busy_s[link] += sign * estimate.total_s;
                }
            }
        }
    }

    /// The window this state holds.
    pub(crate) fn window(&self) -> usize {
        self.window
    }

    /// CPU (cores) and memory (GiB) placed at site `s`.
    pub(crate) fn load(&self, s: SiteId) -> (f64, f64) {
        (self.cpu_used[s], self.mem_used[s])
    }

    /// The exact window-site cost of docs/MODEL.md §2 at site `s` with the VMs placed so far,
    /// plus the `extra` VMs, EUR.
    pub(crate) fn site_cost_eur(&self, s: SiteId, extra: &[VmId]) -> f64 {
        self.site_cost_with(s, extra, false)
    }

    /// [`Self::site_cost_eur`] with the fluid host count (the load in hosts, not rounded up):
    /// what a VM adds to it is its share of hosts, a price that does not depend on whether it
    /// happens to need a new host.
    pub(crate) fn fluid_site_cost_eur(&self, s: SiteId, extra: &[VmId]) -> f64 {
        self.site_cost_with(s, extra, true)
    }

    fn site_cost_with(&self, s: SiteId, extra: &[VmId], fluid: bool) -> f64 {
        let costs = self.costs;
        let (mut cpu, mut mem, mut busy) = (self.cpu_used[s], self.mem_used[s], self.busy_cpu[s]);
        for &v in extra {
            let vm = &costs.instance.vms[v];
            cpu += vm.cpu;
            mem += vm.mem_gib;
            busy += vm.cpu * costs.instance.util[[v, self.window]];
        }
        let hosts = if fluid {
            costs.fluid_hosts(s, cpu, mem)
        } else {
            costs.active_hosts(s, cpu, mem)
        };
        costs.site_power(self.window, s, hosts, busy).cost_eur()
    }

    /// The cost of moving VM `v` from `from` to `to` at the start of this window, EUR
    /// (0 when it stays, infinite when there is no such migration).
    pub(crate) fn migration_cost_eur(&self, v: VmId, from: SiteId, to: SiteId) -> f64 {
        if from == to {
            return 0.0;
        }
        let costs = self.costs;
        costs.migration(v, from, to).map_or(f64::INFINITY, |e| {
            costs
                .migration_cost(v, from, to, self.window, e)
                .total_eur()
        })
    }

    /// A rough marginal cost of VM `v` at `to` this window, EUR: its share of hosts and
    /// busy power at the site's grid price, plus the migration's cost.
    fn marginal_cost(&self, v: VmId, from: SiteId, to: SiteId) -> f64 {
        self.costs.fluid_vm_eur(v, to, self.window) + self.migration_cost_eur(v, from, to)
    }
}

/// One [`WindowState`] per window, each holding every VM of `plan` (from its site in the
/// previous window to its site in that one).
pub(crate) fn window_states<'c, 'a>(costs: &'c Costs<'a>, plan: &Plan) -> Vec<WindowState<'c, 'a>> {
    let instance = costs.instance;
    (0..instance.num_windows())
        .map(|t| {
            let mut state = WindowState::new(costs, t);
            for v in 0..instance.num_vms() {
                state.place(v, plan.previous_site(instance, v, t), plan.site[[v, t]]);
            }
            state
        })
        .collect()
}

/// The order in which repair places VMs: pinned and restricted VMs first, then the largest, so
/// that the big ones find room.
pub(crate) fn repair_order(costs: &Costs) -> Vec<VmId> {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    let mut order: Vec<VmId> = (0..instance.num_vms()).collect();
    let options = |v: VmId| -> usize {
        if instance.vms[v].profile.kind == MigrationKind::Pinned {
            0
        } else {
            (0..num_sites).filter(|&s| costs.is_allowed(v, s)).count()
        }
    };
    order.sort_by(|&a, &b| {
        let (va, vb) = (&instance.vms[a], &instance.vms[b]);
        options(a)
            .cmp(&options(b))
            .then(vb.mem_gib.total_cmp(&va.mem_gib))
            .then(vb.cpu.total_cmp(&va.cpu))
            .then(a.cmp(&b))
    });
    order
}

/// Repairs window `t` of `repaired` (whose earlier windows are final): each VM in `order` keeps
/// its `wanted` site when that is feasible given the VMs placed before it, else stays where it
/// was, else goes to the cheapest site that fits. Returns false when some VM fits nowhere.
pub(crate) fn repair_window(
    costs: &Costs,
    wanted: impl Fn(VmId) -> SiteId,
    repaired: &mut Plan,
    t: usize,
    order: &[VmId],
    budget: &mut MoveBudget,
) -> bool {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    let mut state = WindowState::new(costs, t);
    for &v in order {
        let from = repaired.previous_site(instance, v, t);
        let wanted = wanted(v);
        let may_move = budget.may_move(v);
        let chosen = if (wanted == from || may_move) && state.fits(v, from, wanted) {
            Some(wanted)
        } else if state.fits(v, from, from) {
            Some(from)
        } else if !may_move {
            None
        } else {
            (0..num_sites)
                .filter(|&s| state.fits(v, from, s))
                .map(|s| (state.marginal_cost(v, from, s), s))
                .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)))
                .map(|(_, s)| s)
        };
        let Some(to) = chosen else {
            return false;
        };
        state.place(v, from, to);
        budget.spend(v, from, to);
        repaired.site[[v, t]] = to;
    }
    true
}

/// Repairs `plan` window by window: each VM keeps its planned site when that is feasible given
/// the VMs placed before it, else stays where it was, else goes to the cheapest site that fits.
/// VMs with the fewest options are placed first. Returns `None` when some VM fits nowhere.
///
/// # Complexity
/// O(T · V · (log V + S · L)) for T windows, V VMs, S sites and paths of L links.
pub fn repair(costs: &Costs, plan: &Plan) -> Option<Plan> {
    let order = repair_order(costs);
    let mut repaired = plan.clone();
    let mut budget = MoveBudget::new(costs);
    for t in 0..costs.instance.num_windows() {
        if !repair_window(
            costs,
            |v| plan.site[[v, t]],
            &mut repaired,
            t,
            &order,
            &mut budget,
        ) {
            return None;
        }
    }
    Some(repaired)
}

/// What a window-by-window constructive heuristic built with [`construct`].
pub(crate) struct Constructed {
    /// The plan; `None` when even the repaired stay plan cannot be made.
    pub plan: Option<Plan>,
    /// Windows where the heuristic got stuck and [`repair_window`] placed the window instead.
    pub repaired_windows: Vec<usize>,
    /// Whether it gave up on its own plan and returned the repaired stay plan.
    pub fell_back_to_repair: bool,
}

/// Where a window starts in [`construct`] before its VMs are placed one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowStart {
    /// Empty: each VM is placed among those placed before it only (bin packing from scratch).
    Empty,
    /// Every VM where it was in the previous window; each in turn is taken out and put back
    /// where `choose` says, so that every choice sees where all the others are.
    Previous,
}

/// Builds a plan window by window: in each window the VMs come in `order(t)`, and `choose`
/// picks a site for each among those that fit (it returns `None` when none does). When a
/// window gets stuck, repair places that window instead, keeping every VM where it was if it
/// can; when that fails too, the result is the repaired stay plan. So the result is feasible
/// whenever [`repair`] of the stay plan is.
///
/// With [`WindowStart::Previous`] the window may start infeasible (the initial sites may break
/// a constraint): a VM is put back only where it fits among the others, placed or not yet, and
/// every VM is put back once, so the finished window is feasible.
///
/// # Complexity
/// O(T · (V log V + V · C)) for T windows, V VMs and `choose` costing C, plus, in a window that
/// gets stuck, O(V · (log V + S · L)) for S sites and paths of L links.
pub(crate) fn construct(
    costs: &Costs,
    start: WindowStart,
    order: impl Fn(usize) -> Vec<VmId>,
    choose: impl Fn(&WindowState, VmId, SiteId) -> Option<SiteId>,
) -> Constructed {
    let instance = costs.instance;
    let mut plan = Plan::stay(instance);
    let mut repaired_windows = Vec::new();
    let mut fallback_order: Option<Vec<VmId>> = None;
    let mut budget = MoveBudget::new(costs);
    for t in 0..instance.num_windows() {
        let budget_before = budget.is_limited().then(|| budget.clone());
        let mut state = WindowState::new(costs, t);
        if start == WindowStart::Previous {
            for v in 0..instance.num_vms() {
                let from = plan.previous_site(instance, v, t);
                state.place(v, from, from);
            }
        }
        let mut stuck = false;
        for v in order(t) {
            let from = plan.previous_site(instance, v, t);
            if start == WindowStart::Previous {
                state.remove(v, from, from);
            }
            // A VM that has used its max_migrations_per_vm stays, if it can.
            let chosen = if budget.may_move(v) {
                choose(&state, v, from)
            } else {
                state.fits(v, from, from).then_some(from)
            };
            let Some(to) = chosen else {
                stuck = true;
                break;
            };
            state.place(v, from, to);
            budget.spend(v, from, to);
            plan.site[[v, t]] = to;
        }
        if !stuck {
            continue;
        }
        if let Some(before) = budget_before {
            budget = before;
        }
        // The greedy order painted this window into a corner; place it as repair would, each
        // VM staying where it was when it can.
        repaired_windows.push(t);
        let stay_sites: Vec<SiteId> = (0..instance.num_vms())
            .map(|v| plan.previous_site(instance, v, t))
            .collect();
        let order = fallback_order.get_or_insert_with(|| repair_order(costs));
        if !repair_window(costs, |v| stay_sites[v], &mut plan, t, order, &mut budget) {
            return Constructed {
                plan: repair(costs, &Plan::stay(instance)),
                repaired_windows,
                fell_back_to_repair: true,
            };
        }
    }
    Constructed {
        plan: Some(plan),
        repaired_windows,
        fell_back_to_repair: false,
    }
}

impl Constructed {
    /// The solver outcome: a feasible plan with notes on any repair, or, when there is none,
    /// unknown (a heuristic that finds nothing proves nothing) with what breaks the stay plan.
    pub(crate) fn into_outcome(self, costs: &Costs, started: Instant) -> Outcome {
        let mut notes = Vec::new();
        if !self.repaired_windows.is_empty() {
            notes.push(format!(
                "windows placed by repair after the heuristic got stuck: {:?}",
                self.repaired_windows
            ));
        }
        if self.fell_back_to_repair {
            notes.push("fell back to the repaired stay plan".to_string());
        }
        match self.plan {
            Some(plan) => Outcome {
                plan: Some(plan),
                status: Status::Feasible,
                bound_eur: None,
                reasons: Vec::new(),
                notes,
                warnings: Vec::new(),
                objective_eur: None,
            },
            None => {
                // Repair could not mend the stay plan, so the stay plan breaks something: say what.
                // That no plan exists is not proven, hence unknown rather than infeasible.
                let mut reasons =
                    super::stay(costs, &CommonSettings::default(), &NoKnobs {}, started).reasons;
                reasons
                    .push("repair of the stay plan found no feasible site for some VM".to_string());
                Outcome {
                    plan: None,
                    status: Status::Unknown,
                    bound_eur: None,
                    reasons,
                    notes,
                    warnings: Vec::new(),
                    objective_eur: None,
                }
            }
        }
    }
}
