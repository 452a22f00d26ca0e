//! The exact planner: SPEC section 3 over the whole horizon as one MILP, built with good_lp
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

use super::repair::repair;
use super::{Outcome, SolveSettings, Status};
use crate::costs::Costs;
use crate::evaluate::evaluate;
use crate::instance::{ceil_tol, MigrationKind, SiteId, VmId};
use crate::network::DirectedLink;
use crate::plan::Plan;
use good_lp::solvers::highs::highs;
use good_lp::{variable, Expression, ProblemVariables, SolverModel, Variable};
use highs::{HighsModelStatus, HighsSolutionStatus};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Host-count slack used to pin `n ≤ ⌈x⌉` as `n − 1 ≤ x − δ` where the grid price is negative.
/// Loads within δ hosts above a whole number of hosts are out of the formulation's reach.
const CEIL_DELTA: f64 = 1e-6;

/// A group of interchangeable VMs.
#[derive(Debug, Clone)]
struct Group {
    members: Vec<VmId>,
    /// The first member, whose data stand for the group's.
    rep: VmId,
}

/// Groups VMs whose every modelled attribute is equal, in order of their first member.
fn group_vms(costs: &Costs) -> Vec<Group> {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut labels: HashMap<Option<&str>, u64> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (v, vm) in instance.vms.iter().enumerate() {
        let next_label = labels.len() as u64;
        let label = *labels
            .entry(vm.anti_affinity.as_deref())
            .or_insert(next_label);
        let mut key = vec![
            vm.initial_site as u64,
            vm.cpu.to_bits(),
            vm.mem_gib.to_bits(),
            costs.profile_index(v) as u64,
            label,
            vm.penalty_eur_per_s.to_bits(),
            vm.downtime_eur_per_s.to_bits(),
        ];
        key.extend(instance.util.row(v).iter().map(|u| u.to_bits()));
        key.extend((0..num_sites).map(|s| costs.is_allowed(v, s) as u64));
        let next = groups.len();
        let g = *index.entry(key).or_insert(next);
        if g == next {
            groups.push(Group {
                members: vec![v],
                rep: v,
            });
        } else {
            groups[g].members.push(v);
        }
    }
    groups
}

/// One flow variable: group g moving (or staying) from a to b at the start of window t.
#[derive(Debug, Clone, Copy)]
struct Flow {
    group: usize,
    window: usize,
    from: SiteId,
    to: SiteId,
    var: Variable,
}

/// The per-site-window variables.
#[derive(Debug, Clone, Copy)]
struct SiteVars {
    hosts: Variable,
    /// Absent where renewables cover the most the site can draw.
    grid: Option<Variable>,
    /// Where the price is negative and renewables may cover part: 1 when facility ≥ renewable.
    grid_on: Option<Variable>,
    /// Where the price is negative and neither resource always dominates.
    ceilings: Option<Ceilings>,
}

#[derive(Debug, Clone, Copy)]
struct Ceilings {
    /// ⌈cpu load / cpu capacity⌉ and ⌈mem load / mem capacity⌉.
    hosts_by_cpu: Variable,
    hosts_by_mem: Variable,
    /// 1 when the CPU ceiling is the larger one.
    cpu_binds: Variable,
}

/// Sites each group can be at in each window: allowed, and reachable by feasible migrations.
fn reachable_sites(costs: &Costs, groups: &[Group]) -> Vec<Vec<Vec<SiteId>>> {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    groups
        .iter()
        .map(|group| {
            let v = group.rep;
            let mut previous = vec![instance.vms[v].initial_site];
            let mut per_window = Vec::with_capacity(instance.num_windows());
            for _ in 0..instance.num_windows() {
                let now: Vec<SiteId> = (0..num_sites)
                    .filter(|&b| costs.is_allowed(v, b))
                    .filter(|&b| {
                        previous.iter().any(|&a| {
                            a == b || costs.migration(v, a, b).is_some_and(|e| e.is_feasible())
                        })
                    })
                    .collect();
                per_window.push(now.clone());
                previous = now;
            }
            per_window
        })
        .collect()
}

/// Explains an infeasible instance where a simple necessary condition fails.
fn diagnose(costs: &Costs, groups: &[Group], reach: &[Vec<Vec<SiteId>>]) -> Vec<String> {
    let instance = costs.instance;
    let mut reasons = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        if let Some(t) = reach[g].iter().position(|sites| sites.is_empty()) {
            let vm = &instance.vms[group.rep];
            let why = if vm.profile.kind == MigrationKind::Pinned {
                "it is pinned and its initial site is not allowed"
            } else {
                "no allowed site within its latency limit is reachable by a feasible migration"
            };
            reasons.push(format!("vm {}: nowhere to run in window {t}: {why}", vm.id));
        }
    }
    for t in 0..instance.num_windows() {
        let cpu: f64 = instance.vms.iter().map(|v| v.cpu).sum();
        let mem: f64 = instance.vms.iter().map(|v| v.mem_gib).sum();
        let cpu_cap: f64 = instance
            .sites
            .iter()
            .map(|s| s.hosts as f64 * s.host_cpu * s.cpu_overcommit)
            .sum();
        let mem_cap: f64 = instance
            .sites
            .iter()
            .map(|s| s.hosts as f64 * s.host_mem_gib)
            .sum();
        if cpu > cpu_cap * (1.0 + 1e-9) || mem > mem_cap * (1.0 + 1e-9) {
            reasons.push(format!(
                "capacity: window {t}: the fleet needs {cpu} cores and {mem} GiB, all sites together have {cpu_cap} and {mem_cap}"
            ));
            break;
        }
    }
    let mut labelled: BTreeMap<&str, usize> = BTreeMap::new();
    for vm in &instance.vms {
        if let Some(label) = &vm.anti_affinity {
            *labelled.entry(label.as_str()).or_insert(0) += 1;
        }
    }
    for (label, count) in labelled {
        if count > instance.num_sites() {
            reasons.push(format!(
                "anti_affinity: {count} VMs labelled '{label}' but only {} sites",
                instance.num_sites()
            ));
        }
    }
    if reasons.is_empty() {
        reasons.push(
            "the constraints together admit no plan (capacity, migration limits and link budgets over time); no single constraint alone rules every plan out"
                .to_string(),
        );
    }
    reasons
}

/// good_lp's variables, with the HiGHS column of each: columns follow creation order, and
/// good_lp keeps a variable's index private.
struct Columns {
    vars: ProblemVariables,
    index: HashMap<Variable, usize>,
}

impl Columns {
    fn add(&mut self, definition: good_lp::VariableDefinition) -> Variable {
        let var = self.vars.add(definition);
        self.index.insert(var, self.index.len());
        var
    }

    fn of(&self, var: Variable) -> usize {
        self.index[&var]
    }
}

/// The MILP with its variables, ready to solve.
struct Formulation {
    vars: Columns,
    objective: Expression,
    constraints: Vec<good_lp::Constraint>,
    flows: Vec<Flow>,
    site_vars: BTreeMap<(usize, SiteId), SiteVars>,
}

fn formulate(costs: &Costs, groups: &[Group], reach: &[Vec<Vec<SiteId>>]) -> Formulation {
    let instance = costs.instance;
    let params = &instance.params;
    let windows = instance.num_windows();
    let num_sites = instance.num_sites();
    let mut vars = Columns {
        vars: ProblemVariables::new(),
        index: HashMap::new(),
    };
    let mut objective = Expression::default();
    let mut constraints = Vec::new();
    let mut flows: Vec<Flow> = Vec::new();

    // Flows, window by window, with conservation.
    // into[(g, t, b)] and out_of[(g, t, a)] hold indices into `flows`.
    let mut into: HashMap<(usize, usize, SiteId), Vec<usize>> = HashMap::new();
    let mut out_of: HashMap<(usize, usize, SiteId), Vec<usize>> = HashMap::new();
    for t in 0..windows {
        for (g, group) in groups.iter().enumerate() {
            let v = group.rep;
            let size = group.members.len() as f64;
            let sources: Vec<SiteId> = if t == 0 {
                vec![instance.vms[v].initial_site]
            } else {
                reach[g][t - 1].clone()
            };
            for &a in &sources {
                for &b in &reach[g][t] {
                    let migration = if a == b {
                        None
                    } else {
                        match costs.migration(v, a, b) {
                            Some(e) if e.is_feasible() => Some(e),
                            _ => continue,
                        }
                    };
                    let var = vars.add(variable().integer().min(0.0).max(size));
                    if let Some(e) = migration {
                        objective.add_mul(costs.migration_cost(v, a, b, t, e).total_eur(), var);
                    }
                    let index = flows.len();
                    flows.push(Flow {
                        group: g,
                        window: t,
                        from: a,
                        to: b,
                        var,
                    });
                    into.entry((g, t, b)).or_default().push(index);
                    out_of.entry((g, t, a)).or_default().push(index);
                }
            }
            if t == 0 {
                let mut out = Expression::default();
                for &i in out_of
                    .get(&(g, 0, sources[0]))
                    .map_or(&[][..], |x| x.as_slice())
                {
                    out.add_mul(1.0, flows[i].var);
                }
                constraints.push(out.eq(size));
            } else {
                for &a in &sources {
                    let mut balance = Expression::default();
                    for &i in out_of.get(&(g, t, a)).map_or(&[][..], |x| x.as_slice()) {
                        balance.add_mul(1.0, flows[i].var);
                    }
                    for &i in into.get(&(g, t - 1, a)).map_or(&[][..], |x| x.as_slice()) {
                        balance.add_mul(-1.0, flows[i].var);
                    }
                    constraints.push(balance.eq(0.0));
                }
            }
        }
    }

    // y[g,s,t] as expressions, and the per-site sums.
    let count_at = |g: usize, t: usize, s: SiteId| -> Expression {
        let mut e = Expression::default();
        for &i in into.get(&(g, t, s)).map_or(&[][..], |x| x.as_slice()) {
            e.add_mul(1.0, flows[i].var);
        }
        e
    };

    let mut site_vars = BTreeMap::new();
    for t in 0..windows {
        for s in 0..num_sites {
            let present: Vec<usize> = (0..groups.len())
                .filter(|&g| into.contains_key(&(g, t, s)))
                .collect();
            if present.is_empty() {
                // Nobody can be here: no hosts, no grid power, no cost.
                continue;
            }
            let site = &instance.sites[s];
            let hosts_max = site.hosts as f64;
            let cap_cpu = site.host_cpu * site.cpu_overcommit;
            let mut cpu_load = Expression::default();
            let mut mem_load = Expression::default();
            let mut busy = Expression::default();
            let mut busy_max = 0.0;
            for &g in &present {
                let v = groups[g].rep;
                let vm = &instance.vms[v];
                let y = count_at(g, t, s);
                cpu_load.add_mul(vm.cpu, y.clone());
                mem_load.add_mul(vm.mem_gib, y.clone());
                let u = vm.cpu * instance.util[[v, t]];
                busy.add_mul(u, y);
                busy_max += u * groups[g].members.len() as f64;
            }
            let hosts = vars.add(variable().integer().min(0.0).max(hosts_max));
            // Tolerance of SPEC section 2 on the active-hosts ceilings.
            let tol = 1e-9 * (hosts_max * cap_cpu.max(site.host_mem_gib)).max(1.0);
            constraints.push((cpu_load.clone() - cap_cpu * hosts).leq(tol));
            constraints.push((mem_load.clone() - site.host_mem_gib * hosts).leq(tol));
            let k_it_hosts = site.pue * site.idle_w / 1000.0;
            let k_it_busy = site.pue * (site.peak_w - site.idle_w) / site.host_cpu / 1000.0;
            let renewable = instance.renewable_kw[[t, s]];
            let grid_max = (k_it_hosts * hosts_max + k_it_busy * busy_max - renewable).max(0.0);
            let mut vars_here = SiteVars {
                hosts,
                grid: None,
                grid_on: None,
                ceilings: None,
            };
            if grid_max <= 0.0 {
                // Renewables cover the most this site can draw: grid power is 0 whatever the
                // placement, and so is its cost.
                site_vars.insert((t, s), vars_here);
                continue;
            }
            let grid = vars.add(variable().min(0.0).max(grid_max));
            vars_here.grid = Some(grid);
            let facility = k_it_hosts * hosts + busy * k_it_busy;
            let rate = instance.grid_eur_per_kwh(t, s) * params.window_hours;
            objective.add_mul(rate, grid);
            if renewable <= 0.0 {
                // Without renewables grid power is facility power, exactly.
                constraints.push((Expression::from(grid) - facility).eq(0.0));
            } else {
                constraints.push((Expression::from(grid) - facility.clone()).geq(-renewable));
                if rate < 0.0 {
                    // A negative price would inflate grid power: pin grid = max(0, F − R) with
                    // z = 1 when F ≥ R: grid ≤ F − R·z and grid ≤ grid_max·z.
                    let grid_on = vars.add(variable().binary());
                    constraints
                        .push((Expression::from(grid) - facility + renewable * grid_on).leq(0.0));
                    constraints.push((Expression::from(grid) - grid_max * grid_on).leq(0.0));
                    vars_here.grid_on = Some(grid_on);
                }
            }
            if rate < 0.0 && site.idle_w > 0.0 {
                // A negative price would switch on idle hosts: pin n = max(⌈cpu/cap⌉, ⌈mem/cap⌉)
                // from above too. Where one resource dominates for every VM that can be here,
                // its ceiling alone is the maximum: cap·(n − 1 + δ) ≤ load.
                let ratio = |g: usize| {
                    let vm = &instance.vms[groups[g].rep];
                    (vm.cpu / cap_cpu, vm.mem_gib / site.host_mem_gib)
                };
                let cpu_dominates = present.iter().all(|&g| ratio(g).0 >= ratio(g).1);
                let mem_dominates = present.iter().all(|&g| ratio(g).1 >= ratio(g).0);
                let below_ceiling = |k: Variable, load: &Expression, cap: f64| {
                    (cap * k - load.clone()).leq(cap * (1.0 - CEIL_DELTA))
                };
                if cpu_dominates {
                    constraints.push(below_ceiling(hosts, &cpu_load, cap_cpu));
                } else if mem_dominates {
                    constraints.push(below_ceiling(hosts, &mem_load, site.host_mem_gib));
                } else {
                    let hosts_by_cpu = vars.add(variable().integer().min(0.0).max(hosts_max));
                    let hosts_by_mem = vars.add(variable().integer().min(0.0).max(hosts_max));
                    let cpu_binds = vars.add(variable().binary());
                    for (k, load, cap) in [
                        (hosts_by_cpu, &cpu_load, cap_cpu),
                        (hosts_by_mem, &mem_load, site.host_mem_gib),
                    ] {
                        constraints.push((load.clone() - cap * k).leq(tol));
                        constraints.push(below_ceiling(k, load, cap));
                    }
                    // n = max of the two ceilings: n ≤ the one that binds.
                    constraints.push(
                        (Expression::from(hosts) - hosts_by_cpu + hosts_max * cpu_binds)
                            .leq(hosts_max),
                    );
                    constraints.push(
                        (Expression::from(hosts) - hosts_by_mem - hosts_max * cpu_binds).leq(0.0),
                    );
                    vars_here.ceilings = Some(Ceilings {
                        hosts_by_cpu,
                        hosts_by_mem,
                        cpu_binds,
                    });
                }
            }
            site_vars.insert((t, s), vars_here);
        }
    }

    // Anti-affinity: at most one VM of a label per site and window.
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (g, group) in groups.iter().enumerate() {
        if let Some(label) = &instance.vms[group.rep].anti_affinity {
            by_label.entry(label.as_str()).or_default().push(g);
        }
    }
    for members in by_label.values() {
        let total: usize = members.iter().map(|&g| groups[g].members.len()).sum();
        if total < 2 {
            continue;
        }
        for t in 0..windows {
            for s in 0..num_sites {
                let mut sum = Expression::default();
                let mut any = false;
                for &g in members {
                    if into.contains_key(&(g, t, s)) {
                        sum = sum + count_at(g, t, s);
                        any = true;
                    }
                }
                if any {
                    constraints.push(sum.leq(1.0));
                }
            }
        }
    }

    // Per-site migration limits and per-link time budgets, window by window.
    let budget_s = params.concurrency as f64 * params.window_s();
    let mut per_site: BTreeMap<(usize, SiteId), (Expression, f64)> = BTreeMap::new();
    let mut per_link: BTreeMap<(usize, DirectedLink), (Expression, f64)> = BTreeMap::new();
    for flow in &flows {
        if flow.from == flow.to {
            continue;
        }
        let group = &groups[flow.group];
        let size = group.members.len() as f64;
        for s in [flow.from, flow.to] {
            if instance.sites[s].max_migrations.is_some() {
                let entry = per_site
                    .entry((flow.window, s))
                    .or_insert((Expression::default(), 0.0));
                entry.0.add_mul(1.0, flow.var);
                entry.1 += size;
            }
        }
        if let (Some(path), Some(e)) = (
            costs.migration_path(group.rep, flow.from, flow.to),
            costs.migration(group.rep, flow.from, flow.to),
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
            constraints.push(sum.leq(limit));
        }
    }
    for (_, (sum, most)) in per_link {
        if most > budget_s * (1.0 + 1e-9) {
            constraints.push(sum.leq(budget_s * (1.0 + 1e-9)));
        }
    }

    Formulation {
        vars,
        objective,
        constraints,
        flows,
        site_vars,
    }
}

/// Column values of a plan, as a starting solution. `None` when the plan uses a flow the
/// model does not have (it is then infeasible and no use as a start).
fn starting_columns(
    costs: &Costs,
    groups: &[Group],
    formulation: &Formulation,
    plan: &Plan,
    num_columns: usize,
) -> Option<Vec<f64>> {
    let instance = costs.instance;
    let mut values = vec![0.0; num_columns];
    let mut counts: HashMap<(usize, usize, SiteId, SiteId), f64> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        for &v in &group.members {
            for t in 0..instance.num_windows() {
                let key = (g, t, plan.previous_site(instance, v, t), plan.site[[v, t]]);
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
/// VM order along that site's outgoing flows.
fn disaggregate(
    costs: &Costs,
    groups: &[Group],
    flows: &[Flow],
    column_of: &HashMap<Variable, usize>,
    columns: &[f64],
) -> Plan {
    let instance = costs.instance;
    let mut plan = Plan::stay(instance);
    // at[g][s]: members of group g at site s before the window being decoded, in VM order.
    let mut at: Vec<BTreeMap<SiteId, Vec<VmId>>> = groups
        .iter()
        .map(|group| {
            let mut m = BTreeMap::new();
            m.insert(instance.vms[group.rep].initial_site, group.members.clone());
            m
        })
        .collect();
    let mut by_window: Vec<Vec<&Flow>> = vec![Vec::new(); instance.num_windows()];
    for flow in flows {
        by_window[flow.window].push(flow);
    }
    for (t, window_flows) in by_window.iter().enumerate() {
        let mut next: Vec<BTreeMap<SiteId, Vec<VmId>>> = vec![BTreeMap::new(); groups.len()];
        // Moves first, stays last, so that rounding noise never strands a member.
        let mut ordered: Vec<&&Flow> = window_flows.iter().collect();
        ordered.sort_by_key(|f| (f.group, f.from, f.from == f.to, f.to));
        for flow in ordered {
            let count = columns[column_of[&flow.var]].round().max(0.0) as usize;
            let source = at[flow.group].entry(flow.from).or_default();
            let moved: Vec<VmId> = if flow.from == flow.to {
                std::mem::take(source)
            } else {
                source.drain(..count.min(source.len())).collect()
            };
            next[flow.group].entry(flow.to).or_default().extend(moved);
        }
        // Members left over (only possible through numerical noise) stay where they were.
        for (g, left) in at.iter_mut().enumerate() {
            for (&s, members) in left.iter_mut() {
                next[g].entry(s).or_default().append(members);
            }
        }
        for (g, sites) in next.iter_mut().enumerate() {
            for (&s, members) in sites.iter_mut() {
                members.sort_unstable();
                for &v in members.iter() {
                    plan.site[[v, t]] = s;
                }
            }
            let _ = g;
        }
        at = next;
    }
    plan
}

/// Solves the whole horizon exactly (to `settings.gap`) or until the time limit.
pub fn solve(costs: &Costs, settings: &SolveSettings, started: Instant) -> Outcome {
    let instance = costs.instance;
    let groups = group_vms(costs);
    let reach = reachable_sites(costs, &groups);
    if reach.iter().any(|w| w.iter().any(|sites| sites.is_empty())) {
        return Outcome {
            plan: None,
            status: Status::Infeasible,
            bound_eur: None,
            reasons: diagnose(costs, &groups, &reach),
            notes: Vec::new(),
        };
    }
    let formulation = formulate(costs, &groups, &reach);
    let num_columns = formulation.vars.index.len();
    let num_rows = formulation.constraints.len();
    let mut notes = vec![format!(
        "MILP: {} VMs in {} groups, {} columns ({} flows), {} rows",
        instance.num_vms(),
        groups.len(),
        num_columns,
        formulation.flows.len(),
        num_rows
    )];
    let start_plan = repair(costs, &Plan::stay(instance));
    let start_columns = start_plan
        .as_ref()
        .and_then(|p| starting_columns(costs, &groups, &formulation, p, num_columns));
    notes.push(match &start_columns {
        Some(_) => "start: repaired stay plan".to_string(),
        None => "start: none (the stay plan could not be repaired)".to_string(),
    });

    if num_columns == 0 {
        // No VMs: the empty plan is the only plan.
        let plan = Plan::stay(instance);
        let objective = evaluate(costs, &plan).objective_eur;
        return Outcome {
            plan: Some(plan),
            status: Status::Optimal,
            bound_eur: Some(objective),
            reasons: Vec::new(),
            notes,
        };
    }

    let Formulation {
        vars,
        objective,
        constraints,
        flows,
        ..
    } = formulation;
    let Columns {
        vars,
        index: column_of,
    } = vars;
    let mut problem = vars.minimise(objective).using(highs);
    for c in constraints {
        problem.add_constraint(c);
    }
    // Without a plan from HiGHS, the repaired start is still a feasible plan to return.
    let fallback = |mut notes: Vec<String>, why: String, bound_eur: Option<f64>| {
        notes.push(why);
        let status = if start_plan.is_some() {
            Status::Feasible
        } else {
            Status::Unknown
        };
        Outcome {
            plan: start_plan.clone(),
            status,
            bound_eur,
            reasons: Vec::new(),
            notes,
        }
    };
    let mut model = match problem.try_into_inner() {
        Ok(model) => model,
        Err(e) => return fallback(notes, format!("HiGHS rejected the model: {e}"), None),
    };
    if settings.verbose {
        model.set_option("output_flag", true);
        model.set_option("log_to_console", true);
    } else {
        model.make_quiet();
    }
    // HiGHS runs single-threaded so that the same input gives the same plan whatever
    // --threads says; its scheduler is global to the process, and the parallel solvers run
    // several single-threaded HiGHS instances side by side instead.
    model.set_option("threads", 1);
    model.set_option("random_seed", 0);
    model.set_option("mip_rel_gap", settings.gap);
    model.set_option("mip_abs_gap", 1e-9);
    if let Some(limit) = settings.time_limit_s {
        let left = (limit - started.elapsed().as_secs_f64()).max(0.0);
        model.set_option("time_limit", left);
    }
    if let Some(columns) = &start_columns {
        // A start that HiGHS cannot use is only a missed head start.
        let _ = model.try_set_solution(Some(columns), None, None, None);
    }
    let solved = match model.try_solve() {
        Ok(solved) => solved,
        Err(e) => return fallback(notes, format!("HiGHS failed: {e:?}"), None),
    };
    let model_status = solved.status();
    let has_solution = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite());
    notes.push(format!("HiGHS: {model_status:?}, bound {bound:?}"));
    match model_status {
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible
            if start_plan.is_some() =>
        {
            // The repaired start satisfies every constraint, so this is HiGHS's numerics.
            return fallback(
                notes,
                "HiGHS reported infeasible; keeping the feasible start".into(),
                None,
            );
        }
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return Outcome {
                plan: None,
                status: Status::Infeasible,
                bound_eur: None,
                reasons: diagnose(costs, &groups, &reach),
                notes,
            };
        }
        _ if !has_solution => {
            return fallback(notes, "HiGHS found no plan within the limits".into(), bound);
        }
        _ => {}
    }
    let columns = solved.get_solution().columns().to_vec();
    let plan = disaggregate(costs, &groups, &flows, &column_of, &columns);
    let status = if model_status == HighsModelStatus::Optimal {
        Status::Optimal
    } else {
        Status::Feasible
    };
    Outcome {
        plan: Some(plan),
        status,
        bound_eur: bound,
        reasons: Vec::new(),
        notes,
    }
}
