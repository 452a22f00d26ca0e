//! The flow MILP of a horizon, built with good_lp: its variables, one function per family of
//! rows, a plan as a starting solution, and a solution back into a plan.

use super::groups::*;
use super::Horizon;
use crate::domain::instance::{ceil_tol, SiteId, VmId};
use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use crate::scoring::network::DirectedLink;
use good_lp::{variable, Expression, ProblemVariables, Variable};
use std::collections::{BTreeMap, HashMap};

/// Host-count slack used to pin `n ≤ ⌈x⌉` as `n − 1 ≤ x − δ` where the grid price is negative.
/// Loads within δ hosts above a whole number of hosts are out of the formulation's reach.
pub(super) const CEIL_DELTA: f64 = 1e-6;

/// One flow variable: group g moving (or staying) from a to b at the start of window t.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flow {
    pub(super) group: usize,
    pub(super) window: usize,
    /// `None` for the first window of a free start, which comes from nowhere.
    pub(super) from: Option<SiteId>,
    pub(super) to: SiteId,
    pub(super) var: Variable,
}

/// The per-site-window variables.
#[derive(Debug, Clone, Copy)]
pub(super) struct SiteVars {
    pub(super) hosts: Variable,
    /// Absent where renewables cover the most the site can draw.
    pub(super) grid: Option<Variable>,
    /// Where the price is negative and renewables may cover part: 1 when facility ≥ renewable.
    pub(super) grid_on: Option<Variable>,
    /// Where the price is negative and neither resource always dominates.
    pub(super) ceilings: Option<Ceilings>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Ceilings {
    /// ⌈cpu load / cpu capacity⌉ and ⌈mem load / mem capacity⌉.
    pub(super) hosts_by_cpu: Variable,
    pub(super) hosts_by_mem: Variable,
    /// 1 when the CPU ceiling is the larger one.
    pub(super) cpu_binds: Variable,
}

/// good_lp's variables, with the HiGHS column of each: columns follow creation order, and
/// good_lp keeps a variable's index private.
pub(super) struct Columns {
    pub(super) vars: ProblemVariables,
    pub(super) index: HashMap<Variable, usize>,
    /// Integer variables are made continuous: the LP relaxation.
    pub(super) relaxed: bool,
}

impl Columns {
    /// An integer variable in `lo..=hi` (continuous in the LP relaxation).
    pub(super) fn integer(&mut self, lo: f64, hi: f64) -> Variable {
        let definition = variable().min(lo).max(hi);
        self.add(if self.relaxed {
            definition
        } else {
            definition.integer()
        })
    }

    pub(super) fn add(&mut self, definition: good_lp::VariableDefinition) -> Variable {
        let var = self.vars.add(definition);
        self.index.insert(var, self.index.len());
        var
    }

    pub(super) fn of(&self, var: Variable) -> usize {
        self.index[&var]
    }
}

/// The MILP with its variables, ready to solve.
pub(super) struct Formulation {
    pub(super) vars: Columns,
    pub(super) objective: Expression,
    pub(super) constraints: Vec<good_lp::Constraint>,
    pub(super) flows: Vec<Flow>,
    pub(super) site_vars: BTreeMap<(usize, SiteId), SiteVars>,
}

pub(super) fn formulate(
    costs: &Costs,
    groups: &[Group],
    reach: &[Vec<Vec<SiteId>>],
    horizon: &Horizon,
    relaxed: bool,
    out_of_time: &dyn Fn() -> bool,
) -> Option<Formulation> {
    let mut model = Builder::new(costs, groups, reach, horizon, relaxed);
    // The order of the families (and of the loops within them) fixes the order of columns and
    // rows, and so HiGHS's path: same input, same model, same plan.
    for t in horizon.first..horizon.model_end() {
        if out_of_time() {
            return None;
        }
        model.flows_and_conservation(t);
    }
    // The fixed window after the horizon has a fixed placement: its site costs are constant.
    for t in horizon.first..horizon.end {
        if out_of_time() {
            return None;
        }
        for s in 0..costs.instance.num_sites() {
            model.site_window(t, s);
        }
    }
    model.anti_affinity(out_of_time)?;
    model.migration_limits_and_link_budgets();
    model.moves_per_vm();
    Some(model.finish())
}

/// The model under construction: what the families of rows share.
struct Builder<'c, 'a> {
    costs: &'c Costs<'a>,
    groups: &'c [Group],
    reach: &'c [Vec<Vec<SiteId>>],
    horizon: &'c Horizon,
    vars: Columns,
    objective: Expression,
    constraints: Vec<good_lp::Constraint>,
    flows: Vec<Flow>,
    /// `into[(g, t, b)]`: the flows of group g into site b in window t (indices into `flows`).
    into: HashMap<(usize, usize, SiteId), Vec<usize>>,
    /// `out_of[(g, t, a)]`: the flows of group g out of `a` at the start of window t.
    out_of: HashMap<(usize, usize, Option<SiteId>), Vec<usize>>,
    site_vars: BTreeMap<(usize, SiteId), SiteVars>,
}

/// The load of one site in one window, as expressions over the counts present there.
struct SiteLoad {
    cpu: Expression,
    mem: Expression,
    busy: Expression,
    /// The most `busy` can be: every member of every group present here.
    busy_max: f64,
    /// The groups that can be here.
    present: Vec<usize>,
}

impl<'c, 'a> Builder<'c, 'a> {
    fn new(
        costs: &'c Costs<'a>,
        groups: &'c [Group],
        reach: &'c [Vec<Vec<SiteId>>],
        horizon: &'c Horizon,
        relaxed: bool,
    ) -> Self {
        Builder {
            costs,
            groups,
            reach,
            horizon,
            vars: Columns {
                vars: ProblemVariables::new(),
                index: HashMap::new(),
                relaxed,
            },
            objective: Expression::default(),
            constraints: Vec::new(),
            flows: Vec::new(),
            into: HashMap::new(),
            out_of: HashMap::new(),
            site_vars: BTreeMap::new(),
        }
    }

    fn finish(self) -> Formulation {
        Formulation {
            vars: self.vars,
            objective: self.objective,
            constraints: self.constraints,
            flows: self.flows,
            site_vars: self.site_vars,
        }
    }

    /// The flows of window `t`, priced, and their conservation: every group's members leave
    /// their start (or last window's sites) exactly once.
    fn flows_and_conservation(&mut self, t: usize) {
        let costs = self.costs;
        let first = self.horizon.first;
        let r = t - first;
        for (g, group) in self.groups.iter().enumerate() {
            let v = group.rep;
            let size = group.members.len() as f64;
            let sources: Vec<Option<SiteId>> = if t == first {
                vec![self.horizon.start(v)]
            } else {
                self.reach[g][r - 1].iter().copied().map(Some).collect()
            };
            for &a in &sources {
                for &b in &self.reach[g][r] {
                    let migration = match a {
                        None => None,
                        Some(a) if a == b => None,
                        Some(a) => match costs.migration(v, a, b) {
                            Some(e) if e.is_feasible() => Some((a, e)),
                            _ => continue,
                        },
                    };
                    let var = self.vars.integer(0.0, size);
                    if let Some((a, e)) = migration {
                        self.objective
                            .add_mul(costs.migration_cost(v, a, b, t, e).total_eur(), var);
                    } else if a.is_none() {
                        // The relaxation still pays the least this placement could cost.
                        let before = sites_before(costs, v, first);
                        self.objective
                            .add_mul(cheapest_arrival(costs, v, &before, b, t), var);
                    }
                    let index = self.flows.len();
                    self.flows.push(Flow {
                        group: g,
                        window: t,
                        from: a,
                        to: b,
                        var,
                    });
                    self.into.entry((g, t, b)).or_default().push(index);
                    self.out_of.entry((g, t, a)).or_default().push(index);
                }
            }
            if t == first {
                let out = self.sum_of(self.out_of.get(&(g, first, sources[0])), 1.0);
                self.constraints.push(out.eq(size));
            } else {
                for &a in sources.iter().flatten() {
                    let mut balance = self.sum_of(self.out_of.get(&(g, t, Some(a))), 1.0);
                    balance += self.sum_of(self.into.get(&(g, t - 1, a)), -1.0);
                    self.constraints.push(balance.eq(0.0));
                }
            }
        }
    }

    /// `weight` × the sum of the flows `indices` points at.
    fn sum_of(&self, indices: Option<&Vec<usize>>, weight: f64) -> Expression {
        let mut sum = Expression::default();
        for &i in indices.map_or(&[][..], |x| x.as_slice()) {
            sum.add_mul(weight, self.flows[i].var);
        }
        sum
    }

    /// y[g, s, t]: how many of group g are at site s in window t.
    fn count_at(&self, g: usize, t: usize, s: SiteId) -> Expression {
        self.sum_of(self.into.get(&(g, t, s)), 1.0)
    }

    /// The load at site `s` in window `t`; `None` when no group can be there.
    fn load(&self, t: usize, s: SiteId) -> Option<SiteLoad> {
        let instance = self.costs.instance;
        let present: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.into.contains_key(&(g, t, s)))
            .collect();
        if present.is_empty() {
            return None;
        }
        let mut load = SiteLoad {
            cpu: Expression::default(),
            mem: Expression::default(),
            busy: Expression::default(),
            busy_max: 0.0,
            present,
        };
        for &g in &load.present {
            let v = self.groups[g].rep;
            let vm = &instance.vms[v];
            let y = self.count_at(g, t, s);
            load.cpu.add_mul(vm.cpu, y.clone());
            load.mem.add_mul(vm.mem_gib, y.clone());
            let u = vm.cpu * instance.util[[v, t]];
            load.busy.add_mul(u, y);
            load.busy_max += u * self.groups[g].members.len() as f64;
        }
        Some(load)
    }

    /// Site `s` in window `t`: its active hosts, capacity, grid power and cost, and, where the
    /// grid price is negative, the rows that keep hosts and grid power exact.
    fn site_window(&mut self, t: usize, s: SiteId) {
        // Nobody can be here: no hosts, no grid power, no cost.
        let Some(load) = self.load(t, s) else {
            return;
        };
        let hosts = self.capacity(s, &load);
        let mut vars_here = SiteVars {
            hosts,
            grid: None,
            grid_on: None,
            ceilings: None,
        };
        let rate = self.grid_power(t, s, &load, &mut vars_here);
        if rate < 0.0 && self.costs.instance.sites[s].idle_w > 0.0 {
            self.exact_hosts(s, &load, &mut vars_here);
        }
        self.site_vars.insert((t, s), vars_here);
    }

    /// The active hosts n of site `s` and its CPU and memory capacity rows; returns n.
    fn capacity(&mut self, s: SiteId, load: &SiteLoad) -> Variable {
        let site = &self.costs.instance.sites[s];
        let cap_cpu = site.host_cpu * site.cpu_overcommit;
        let hosts = self.vars.integer(0.0, site.hosts as f64);
        // The tolerance of docs/MODEL.md §3 on the active-hosts ceiling n ≥ load / capacity
        // is relative to the bound compared, n: 1e-9 · max(1, n). `load ≤ cap·n·(1 + 1e-9)
        // + cap·1e-9` holds wherever the evaluator's ceiling does and exceeds it by at most
        // 1e-9 of one host, so the MILP stays a relaxation without letting a small VM run
        // free on a large site. (A tolerance scaled by the site's whole capacity let a VM
        // of 0.01 cores run with n = 0 on a site of 100 000 hosts of 128 cores.)
        self.constraints
            .push((load.cpu.clone() - cap_cpu * (1.0 + TOL) * hosts).leq(cap_cpu * TOL));
        self.constraints.push(
            (load.mem.clone() - site.host_mem_gib * (1.0 + TOL) * hosts)
                .leq(site.host_mem_gib * TOL),
        );
        hosts
    }

    /// Grid power and its cost at site `s` in window `t`; exact where renewables are absent,
    /// pinned to max(0, facility − renewable) by a binary where the price is negative. Returns
    /// the grid price per kW over the window (0 where renewables cover every placement).
    fn grid_power(
        &mut self,
        t: usize,
        s: SiteId,
        load: &SiteLoad,
        vars_here: &mut SiteVars,
    ) -> f64 {
        let instance = self.costs.instance;
        let site = &instance.sites[s];
        let hosts_max = site.hosts as f64;
        let k_it_hosts = site.pue * site.idle_w / 1000.0;
        let k_it_busy = site.pue * (site.peak_w - site.idle_w) / site.host_cpu / 1000.0;
        let renewable = instance.renewable_kw[[t, s]];
        let grid_max = (k_it_hosts * hosts_max + k_it_busy * load.busy_max - renewable).max(0.0);
        if grid_max <= 0.0 {
            // Renewables cover the most this site can draw: grid power is 0 whatever the
            // placement, and so is its cost.
            return 0.0;
        }
        let hosts = vars_here.hosts;
        let grid = self.vars.add(variable().min(0.0).max(grid_max));
        vars_here.grid = Some(grid);
        let facility = k_it_hosts * hosts + load.busy.clone() * k_it_busy;
        let rate = instance.grid_eur_per_kwh(t, s) * instance.params.window_hours;
        self.objective.add_mul(rate, grid);
        if renewable <= 0.0 {
            // Without renewables grid power is facility power, exactly.
            self.constraints
                .push((Expression::from(grid) - facility).eq(0.0));
        } else {
            self.constraints
                .push((Expression::from(grid) - facility.clone()).geq(-renewable));
            if rate < 0.0 {
                // A negative price would inflate grid power: pin grid = max(0, F − R) with
                // z = 1 when F ≥ R: grid ≤ F − R·z and grid ≤ grid_max·z.
                let grid_on = self.vars.integer(0.0, 1.0);
                self.constraints
                    .push((Expression::from(grid) - facility + renewable * grid_on).leq(0.0));
                self.constraints
                    .push((Expression::from(grid) - grid_max * grid_on).leq(0.0));
                vars_here.grid_on = Some(grid_on);
            }
        }
        rate
    }

    /// Where the grid price is negative, a minimiser would switch on idle hosts: pin
    /// n = max(⌈cpu/cap⌉, ⌈mem/cap⌉) from above too. Where one resource dominates for every VM
    /// that can be here, its ceiling alone is the maximum: cap·(n − 1 + δ) ≤ load; otherwise
    /// two ceilings and a binary choose the larger.
    fn exact_hosts(&mut self, s: SiteId, load: &SiteLoad, vars_here: &mut SiteVars) {
        let instance = self.costs.instance;
        let site = &instance.sites[s];
        let hosts_max = site.hosts as f64;
        let cap_cpu = site.host_cpu * site.cpu_overcommit;
        let hosts = vars_here.hosts;
        let ratio = |g: usize| {
            let vm = &instance.vms[self.groups[g].rep];
            (vm.cpu / cap_cpu, vm.mem_gib / site.host_mem_gib)
        };
        let cpu_dominates = load.present.iter().all(|&g| ratio(g).0 >= ratio(g).1);
        let mem_dominates = load.present.iter().all(|&g| ratio(g).1 >= ratio(g).0);
        let below_ceiling = |k: Variable, load: &Expression, cap: f64| {
            (cap * k - load.clone()).leq(cap * (1.0 - CEIL_DELTA))
        };
        if cpu_dominates {
            self.constraints
                .push(below_ceiling(hosts, &load.cpu, cap_cpu));
        } else if mem_dominates {
            self.constraints
                .push(below_ceiling(hosts, &load.mem, site.host_mem_gib));
        } else {
            let hosts_by_cpu = self.vars.integer(0.0, hosts_max);
            let hosts_by_mem = self.vars.integer(0.0, hosts_max);
            let cpu_binds = self.vars.integer(0.0, 1.0);
            for (k, load, cap) in [
                (hosts_by_cpu, &load.cpu, cap_cpu),
                (hosts_by_mem, &load.mem, site.host_mem_gib),
            ] {
                self.constraints.push((load.clone() - cap * k).leq(TOL));
                self.constraints.push(below_ceiling(k, load, cap));
            }
            // n = max of the two ceilings: n ≤ the one that binds.
            self.constraints.push(
                (Expression::from(hosts) - hosts_by_cpu + hosts_max * cpu_binds).leq(hosts_max),
            );
            self.constraints
                .push((Expression::from(hosts) - hosts_by_mem - hosts_max * cpu_binds).leq(0.0));
            vars_here.ceilings = Some(Ceilings {
                hosts_by_cpu,
                hosts_by_mem,
                cpu_binds,
            });
        }
    }

    /// Anti-affinity: at most one VM of a label per site and window. `None` when the clock ran
    /// out.
    fn anti_affinity(&mut self, out_of_time: &dyn Fn() -> bool) -> Option<()> {
        let instance = self.costs.instance;
        let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (g, group) in self.groups.iter().enumerate() {
            if let Some(label) = &instance.vms[group.rep].anti_affinity {
                by_label.entry(label.as_str()).or_default().push(g);
            }
        }
        for members in by_label.values() {
            let total: usize = members.iter().map(|&g| self.groups[g].members.len()).sum();
            if total < 2 {
                continue;
            }
            for t in self.horizon.first..self.horizon.end {
                if out_of_time() {
                    return None;
                }
                for s in 0..instance.num_sites() {
                    let mut sum = Expression::default();
                    let mut any = false;
                    for &g in members {
                        if self.into.contains_key(&(g, t, s)) {
                            sum += self.count_at(g, t, s);
                            any = true;
                        }
                    }
                    if any {
                        self.constraints.push(sum.leq(1.0));
                    }
                }
            }
        }
        Some(())
    }

    /// `max_migrations_per_vm`: a row for each VM whose allowance can bind (a group of its
    /// own, see [`super::groups::group_vms`]) over its migration flows.
    fn moves_per_vm(&mut self) {
        let mut moves: BTreeMap<usize, Expression> = BTreeMap::new();
        for flow in &self.flows {
            let v = self.groups[flow.group].rep;
            if self.horizon.binding_moves_left(v).is_none() {
                continue;
            }
            if flow.from.is_some_and(|a| a != flow.to) {
                moves.entry(flow.group).or_default().add_mul(1.0, flow.var);
            }
        }
        for (g, sum) in moves {
            let v = self.groups[g].rep;
            debug_assert_eq!(self.groups[g].members.len(), 1);
            let left = self.horizon.binding_moves_left(v).unwrap_or(u32::MAX);
            self.constraints.push(sum.leq(left as f64));
        }
    }

    /// Per-site migration limits, then per-link time budgets, window by window; a row only
    /// where the flows could exceed it.
    fn migration_limits_and_link_budgets(&mut self) {
        let costs = self.costs;
        let instance = costs.instance;
        let params = &instance.params;
        let budget_s = params.concurrency as f64 * params.window_s();
        let mut per_site: BTreeMap<(usize, SiteId), (Expression, f64)> = BTreeMap::new();
        let mut per_link: BTreeMap<(usize, DirectedLink), (Expression, f64)> = BTreeMap::new();
        for flow in &self.flows {
            let Some(from) = flow.from.filter(|&a| a != flow.to) else {
                continue;
            };
            let group = &self.groups[flow.group];
            let size = group.members.len() as f64;
            for s in [from, flow.to] {
                if instance.sites[s].max_migrations.is_some() {
                    let entry = per_site
                        .entry((flow.window, s))
                        .or_insert((Expression::default(), 0.0));
                    entry.0.add_mul(1.0, flow.var);
                    entry.1 += size;
                }
            }
            if let (Some(path), Some(e)) = (
                costs.migration_path(group.rep, from, flow.to),
                costs.migration(group.rep, from, flow.to),
            ) {
                for &link in &path.links {
                    let entry = per_link
                        .entry((flow.window, link))
                        .or_insert((Expression::default(), 0.0));
                    entry.0.add_mul(e.total_s, flow.var);
                    entry.1 += e.total_s * size;
                }
            }
        }
        for ((_, s), (sum, most)) in per_site {
            let limit = instance.sites[s].max_migrations.unwrap_or(u32::MAX) as f64;
            if most > limit {
                self.constraints.push(sum.leq(limit));
            }
        }
        for (_, (sum, most)) in per_link {
            if most > budget_s * (1.0 + 1e-9) {
                self.constraints.push(sum.leq(budget_s * (1.0 + 1e-9)));
            }
        }
    }
}

/// The relative tolerance of docs/MODEL.md §3, as the capacity rows use it.
const TOL: f64 = 1e-9;

/// Column values of a plan, as a starting solution. `None` when the plan uses a flow the
/// model does not have (it is then infeasible and no use as a start).
pub(super) fn starting_columns(
    costs: &Costs,
    groups: &[Group],
    horizon: &Horizon,
    formulation: &Formulation,
    plan: &Plan,
    num_columns: usize,
) -> Option<Vec<f64>> {
    let instance = costs.instance;
    let mut values = vec![0.0; num_columns];
    let mut counts: HashMap<(usize, usize, Option<SiteId>, SiteId), f64> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        for &v in &group.members {
            for t in horizon.first..horizon.model_end() {
                let key = (g, t, horizon.previous(plan, v, t), plan.site[[v, t]]);
                *counts.entry(key).or_insert(0.0) += 1.0;
            }
        }
    }
    let mut used = 0usize;
    for flow in &formulation.flows {
        if let Some(&count) = counts.get(&(flow.group, flow.window, flow.from, flow.to)) {
            values[formulation.vars.of(flow.var)] = count;
            used += 1;
        }
    }
    if used != counts.len() {
        return None;
    }
    let evaluation = evaluate(costs, plan);
    let num_sites = instance.num_sites();
    for (&(t, s), sv) in &formulation.site_vars {
        let row = &evaluation.site_windows[t * num_sites + s];
        values[formulation.vars.of(sv.hosts)] = row.active_hosts;
        if let Some(grid) = sv.grid {
            values[formulation.vars.of(grid)] = row.grid_kw;
        }
        if let Some(grid_on) = sv.grid_on {
            let on = row.facility_kw >= instance.renewable_kw[[t, s]];
            values[formulation.vars.of(grid_on)] = if on { 1.0 } else { 0.0 };
        }
        if let Some(c) = sv.ceilings {
            let site = &instance.sites[s];
            let by_cpu = ceil_tol(row.cpu_used / (site.host_cpu * site.cpu_overcommit));
            let by_mem = ceil_tol(row.mem_used_gib / site.host_mem_gib);
            values[formulation.vars.of(c.hosts_by_cpu)] = by_cpu;
            values[formulation.vars.of(c.hosts_by_mem)] = by_mem;
            values[formulation.vars.of(c.cpu_binds)] = if by_cpu >= by_mem { 1.0 } else { 0.0 };
        }
    }
    Some(values)
}

/// Turns group flows back into a per-VM plan: in each window, the members at a site move in
/// VM order along that site's outgoing flows. Windows outside the horizon keep `base`'s sites.
pub(super) fn disaggregate(
    groups: &[Group],
    horizon: &Horizon,
    base: &Plan,
    flows: &[Flow],
    column_of: &HashMap<Variable, usize>,
    columns: &[f64],
) -> Plan {
    let mut plan = base.clone();
    // at[g][s]: members of group g at site s before the window being decoded, in VM order.
    let mut at: Vec<BTreeMap<Option<SiteId>, Vec<VmId>>> = groups
        .iter()
        .map(|group| BTreeMap::from([(horizon.start(group.rep), group.members.clone())]))
        .collect();
    let mut by_window: Vec<Vec<&Flow>> = vec![Vec::new(); horizon.end - horizon.first];
    for flow in flows {
        if flow.window < horizon.end {
            by_window[flow.window - horizon.first].push(flow);
        }
    }
    for (r, window_flows) in by_window.iter().enumerate() {
        let t = horizon.first + r;
        let mut next: Vec<BTreeMap<Option<SiteId>, Vec<VmId>>> =
            vec![BTreeMap::new(); groups.len()];
        // Moves first, stays last, so that rounding noise never strands a member.
        let mut ordered: Vec<&&Flow> = window_flows.iter().collect();
        ordered.sort_by_key(|f| (f.group, f.from, f.from == Some(f.to), f.to));
        for flow in ordered {
            let count = columns[column_of[&flow.var]].round().max(0.0) as usize;
            let source = at[flow.group].entry(flow.from).or_default();
            let moved: Vec<VmId> = if flow.from == Some(flow.to) {
                std::mem::take(source)
            } else {
                source.drain(..count.min(source.len())).collect()
            };
            next[flow.group]
                .entry(Some(flow.to))
                .or_default()
                .extend(moved);
        }
        // Members left over (only possible through numerical noise) stay where they were;
        // a free start has no "where they were", so they take their first reachable site.
        for (g, left) in at.iter_mut().enumerate() {
            for (&s, members) in left.iter_mut() {
                let s = s.unwrap_or(base.site[[groups[g].rep, t]]);
                next[g].entry(Some(s)).or_default().append(members);
            }
        }
        for sites in next.iter_mut() {
            for (s, members) in sites.iter_mut() {
                members.sort_unstable();
                for &v in members.iter() {
                    if let Some(s) = *s {
                        plan.site[[v, t]] = s;
                    }
                }
            }
        }
        at = next;
    }
    plan
}
