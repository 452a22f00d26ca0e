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

use super::repair::repair;
use super::{CommonSettings, NoKnobs, Outcome, Status};
use crate::domain::instance::{ceil_tol, le_tol, MigrationKind, SiteId, VmId};
use crate::domain::plan::Plan;
use crate::interrupt::Interrupt;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use crate::scoring::network::DirectedLink;
use good_lp::solvers::highs::highs;
use good_lp::{variable, Expression, ProblemVariables, SolverModel, Variable};
use highs::{HighsModelStatus, HighsSolutionStatus};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Host-count slack used to pin `n ≤ ⌈x⌉` as `n − 1 ≤ x − δ` where the grid price is negative.
/// Loads within δ hosts above a whole number of hosts are out of the formulation's reach.
const CEIL_DELTA: f64 = 1e-6;

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
        }
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

/// A group of interchangeable VMs.
#[derive(Debug, Clone)]
struct Group {
    members: Vec<VmId>,
    /// The first member, whose data stand for the group's.
    rep: VmId,
}

/// Groups VMs whose every modelled attribute is equal, in order of their first member.
fn group_vms(costs: &Costs, horizon: &Horizon) -> Vec<Group> {
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
        let start = if horizon.free_start {
            vm.initial_site
        } else {
            horizon.initial[v]
        };
        let mut key = vec![
            start as u64,
            horizon
                .fixed_end
                .as_ref()
                .map_or(u64::MAX, |fixed| fixed[v] as u64),
            vm.cpu.to_bits(),
            vm.mem_gib.to_bits(),
            costs.profile_index(v) as u64,
            label,
            vm.penalty_eur_per_s.to_bits(),
            vm.downtime_eur_per_s.to_bits(),
        ];
        key.extend((horizon.first..horizon.end).map(|t| instance.util[[v, t]].to_bits()));
        key.extend((0..num_sites).map(|s| costs.is_allowed(v, s) as u64));
        if let Some(candidates) = &horizon.candidates {
            for sites in &candidates[v] {
                key.push(sites.len() as u64);
                key.extend(sites.iter().map(|&s| s as u64));
            }
        }
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
    /// `None` for the first window of a free start, which comes from nowhere.
    from: Option<SiteId>,
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

/// Whether VM `v` can go from `a` to `b` at a window start.
fn can_move(costs: &Costs, v: VmId, a: SiteId, b: SiteId) -> bool {
    a == b || costs.migration(v, a, b).is_some_and(|e| e.is_feasible())
}

/// Sites VM `v` can be at in window `first − 1` of any plan: reachable from its initial site
/// by feasible migrations (its initial site alone for `first = 0`).
fn sites_before(costs: &Costs, v: VmId, first: usize) -> Vec<SiteId> {
    let mut sites = vec![costs.instance.vms[v].initial_site];
    for _ in 0..first {
        sites = (0..costs.instance.num_sites())
            .filter(|&b| costs.is_allowed(v, b))
            .filter(|&b| sites.iter().any(|&a| can_move(costs, v, a, b)))
            .collect();
    }
    sites
}

/// The least a free start's first placement at `b` can cost VM `v`: nothing if it could
/// already be there, else its cheapest feasible migration from where it could be.
fn cheapest_arrival(costs: &Costs, v: VmId, before: &[SiteId], b: SiteId, t: usize) -> f64 {
    if before.contains(&b) {
        return 0.0;
    }
    before
        .iter()
        .filter_map(|&a| {
            costs
                .migration(v, a, b)
                .filter(|e| e.is_feasible())
                .map(|e| (a, e))
        })
        .map(|(a, e)| costs.migration_cost(v, a, b, t, e).total_eur())
        .fold(f64::INFINITY, f64::min)
}

/// Sites each group can be at in each modelled window (relative to `horizon.first`): allowed,
/// and reachable by feasible migrations; the fixed window holds only its fixed site.
fn reachable_sites(costs: &Costs, groups: &[Group], horizon: &Horizon) -> Vec<Vec<Vec<SiteId>>> {
    let num_sites = costs.instance.num_sites();
    groups
        .iter()
        .map(|group| {
            let v = group.rep;
            let mut previous = if horizon.free_start {
                sites_before(costs, v, horizon.first)
            } else {
                vec![horizon.initial[v]]
            };
            let mut per_window = Vec::new();
            let candidate = |r: usize, b: SiteId| {
                horizon
                    .candidates
                    .as_ref()
                    .is_none_or(|c| c[v][r].contains(&b))
            };
            for r in 0..horizon.end - horizon.first {
                let now: Vec<SiteId> = (0..num_sites)
                    .filter(|&b| costs.is_allowed(v, b) && candidate(r, b))
                    .filter(|&b| previous.iter().any(|&a| can_move(costs, v, a, b)))
                    .collect();
                per_window.push(now.clone());
                previous = now;
            }
            if let Some(fixed) = &horizon.fixed_end {
                let b = fixed[v];
                let reachable = previous.iter().any(|&a| can_move(costs, v, a, b));
                per_window.push(if reachable { vec![b] } else { Vec::new() });
            }
            per_window
        })
        .collect()
}

/// Explains an infeasible instance where a simple necessary condition fails.
/// Whether VM `v` alone fits in the whole of site `s` (tolerance of docs/MODEL.md §3).
fn fits_alone(costs: &Costs, v: VmId, s: SiteId) -> bool {
    let vm = &costs.instance.vms[v];
    let site = &costs.instance.sites[s];
    let hosts = site.hosts as f64;
    le_tol(vm.cpu / (site.host_cpu * site.cpu_overcommit), hosts)
        && le_tol(vm.mem_gib / site.host_mem_gib, hosts)
}

/// VMs that fit alone at none of the sites they can reach in some window: each makes the
/// instance infeasible on its own, and is named with its size and the sites it may use.
fn too_big_anywhere(costs: &Costs, groups: &[Group], reach: &[Vec<Vec<SiteId>>]) -> Vec<String> {
    let instance = costs.instance;
    let mut reasons = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let v = group.rep;
        let Some(t) = reach[g]
            .iter()
            .position(|sites| !sites.is_empty() && !sites.iter().any(|&s| fits_alone(costs, v, s)))
        else {
            continue;
        };
        let vm = &instance.vms[v];
        let sites: Vec<String> = reach[g][t]
            .iter()
            .map(|&s| {
                let site = &instance.sites[s];
                format!(
                    "{} ({} hosts: {} cores, {} GiB)",
                    site.id,
                    site.hosts,
                    site.hosts as f64 * site.host_cpu * site.cpu_overcommit,
                    site.hosts as f64 * site.host_mem_gib
                )
            })
            .collect();
        let place = if vm.profile.kind == MigrationKind::Pinned {
            "it is pinned at"
        } else {
            "the sites it can reach are"
        };
        reasons.push(format!(
            "capacity: vm {} needs {} cores and {} GiB, more than a whole site holds in window \
             {t}; {place} {}",
            vm.id,
            vm.cpu,
            vm.mem_gib,
            sites.join(", ")
        ));
    }
    reasons
}

fn diagnose(costs: &Costs, groups: &[Group], reach: &[Vec<Vec<SiteId>>]) -> Vec<String> {
    let instance = costs.instance;
    let mut reasons = too_big_anywhere(costs, groups, reach);
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
    /// Integer variables are made continuous: the LP relaxation.
    relaxed: bool,
}

impl Columns {
    /// An integer variable in `lo..=hi` (continuous in the LP relaxation).
    fn integer(&mut self, lo: f64, hi: f64) -> Variable {
        let definition = variable().min(lo).max(hi);
        self.add(if self.relaxed {
            definition
        } else {
            definition.integer()
        })
    }

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

fn formulate(
    costs: &Costs,
    groups: &[Group],
    reach: &[Vec<Vec<SiteId>>],
    horizon: &Horizon,
    relaxed: bool,
    out_of_time: &dyn Fn() -> bool,
) -> Option<Formulation> {
    let instance = costs.instance;
    let params = &instance.params;
    let first = horizon.first;
    let num_sites = instance.num_sites();
    let mut vars = Columns {
        vars: ProblemVariables::new(),
        index: HashMap::new(),
        relaxed,
    };
    let mut objective = Expression::default();
    let mut constraints = Vec::new();
    let mut flows: Vec<Flow> = Vec::new();

    // Flows, window by window, with conservation.
    // into[(g, t, b)] and out_of[(g, t, a)] hold indices into `flows`.
    let mut into: HashMap<(usize, usize, SiteId), Vec<usize>> = HashMap::new();
    let mut out_of: HashMap<(usize, usize, Option<SiteId>), Vec<usize>> = HashMap::new();
    for t in first..horizon.model_end() {
        if out_of_time() {
            return None;
        }
        let r = t - first;
        for (g, group) in groups.iter().enumerate() {
            let v = group.rep;
            let size = group.members.len() as f64;
            let sources: Vec<Option<SiteId>> = if t == first {
                vec![horizon.start(v)]
            } else {
                reach[g][r - 1].iter().copied().map(Some).collect()
            };
            for &a in &sources {
                for &b in &reach[g][r] {
                    let migration = match a {
                        None => None,
                        Some(a) if a == b => None,
                        Some(a) => match costs.migration(v, a, b) {
                            Some(e) if e.is_feasible() => Some((a, e)),
                            _ => continue,
                        },
                    };
                    let var = vars.integer(0.0, size);
                    if let Some((a, e)) = migration {
                        objective.add_mul(costs.migration_cost(v, a, b, t, e).total_eur(), var);
                    } else if a.is_none() {
                        // The relaxation still pays the least this placement could cost.
                        let before = sites_before(costs, v, first);
                        objective.add_mul(cheapest_arrival(costs, v, &before, b, t), var);
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
            if t == first {
                let mut out = Expression::default();
                for &i in out_of
                    .get(&(g, first, sources[0]))
                    .map_or(&[][..], |x| x.as_slice())
                {
                    out.add_mul(1.0, flows[i].var);
                }
                constraints.push(out.eq(size));
            } else {
                for &a in sources.iter().flatten() {
                    let mut balance = Expression::default();
                    for &i in out_of
                        .get(&(g, t, Some(a)))
                        .map_or(&[][..], |x| x.as_slice())
                    {
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
    // The fixed window after the horizon has a fixed placement: its site costs are constant.
    for t in first..horizon.end {
        if out_of_time() {
            return None;
        }
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
            let hosts = vars.integer(0.0, hosts_max);
            // The tolerance of docs/MODEL.md §3 on the active-hosts ceiling n ≥ load / capacity
            // is relative to the bound compared, n: 1e-9 · max(1, n). `load ≤ cap·n·(1 + 1e-9)
            // + cap·1e-9` holds wherever the evaluator's ceiling does and exceeds it by at most
            // 1e-9 of one host, so the MILP stays a relaxation without letting a small VM run
            // free on a large site. (A tolerance scaled by the site's whole capacity let a VM
            // of 0.01 cores run with n = 0 on a site of 100 000 hosts of 128 cores.)
            let tol = 1e-9;
            constraints.push((cpu_load.clone() - cap_cpu * (1.0 + tol) * hosts).leq(cap_cpu * tol));
            constraints.push(
                (mem_load.clone() - site.host_mem_gib * (1.0 + tol) * hosts)
                    .leq(site.host_mem_gib * tol),
            );
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
                    let grid_on = vars.integer(0.0, 1.0);
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
                    let hosts_by_cpu = vars.integer(0.0, hosts_max);
                    let hosts_by_mem = vars.integer(0.0, hosts_max);
                    let cpu_binds = vars.integer(0.0, 1.0);
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
        for t in first..horizon.end {
            if out_of_time() {
                return None;
            }
            for s in 0..num_sites {
                let mut sum = Expression::default();
                let mut any = false;
                for &g in members {
                    if into.contains_key(&(g, t, s)) {
                        sum += count_at(g, t, s);
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
        let Some(from) = flow.from.filter(|&a| a != flow.to) else {
            continue;
        };
        let group = &groups[flow.group];
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
            constraints.push(sum.leq(limit));
        }
    }
    for (_, (sum, most)) in per_link {
        if most > budget_s * (1.0 + 1e-9) {
            constraints.push(sum.leq(budget_s * (1.0 + 1e-9)));
        }
    }

    Some(Formulation {
        vars,
        objective,
        constraints,
        flows,
        site_vars,
    })
}

/// Column values of a plan, as a starting solution. `None` when the plan uses a flow the
/// model does not have (it is then infeasible and no use as a start).
fn starting_columns(
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
fn disaggregate(
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

/// Memory one column of the flow MILP takes, bytes, built through good_lp and solved by HiGHS:
/// about 1 kB measured (600 k columns took 0.63 GB a few seconds into the solve, on the
/// 8-site, 500-VM, 24-window instance); twice that leaves room for the search tree.
const BYTES_PER_COLUMN: u64 = 2000;

/// The flow columns the model of `horizon` would have (an upper bound: flows of infeasible
/// migrations are dropped later), counted without building anything.
fn estimated_flows(reach: &[Vec<Vec<SiteId>>]) -> usize {
    let mut flows = 0usize;
    for windows in reach {
        for (r, sites) in windows.iter().enumerate() {
            let sources = if r == 0 { 1 } else { windows[r - 1].len() };
            flows = flows.saturating_add(sources.saturating_mul(sites.len()));
        }
    }
    flows
}

/// The most columns a model may have: half the memory available now, at
/// [`BYTES_PER_COLUMN`]; `None` where the available memory cannot be read.
fn column_budget() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = text
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let bytes = kib.saturating_mul(1024) / 2;
    usize::try_from(bytes / BYTES_PER_COLUMN).ok()
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

/// What [`solve_model`] solves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The MILP, to the gap or the time limit.
    Milp,
    /// The MILP's root node, for its bound.
    RootBound,
    /// The LP relaxation, for its optimum.
    Lp,
}

fn solve_model(
    costs: &Costs,
    horizon: &Horizon,
    base: &Plan,
    start: Option<&Plan>,
    settings: &CommonSettings,
    time_limit_s: Option<f64>,
    mode: Mode,
) -> Outcome {
    let instance = costs.instance;
    let groups = group_vms(costs, horizon);
    let reach = reachable_sites(costs, &groups, horizon);
    let infeasible = |reasons: Vec<String>, notes: Vec<String>| Outcome {
        plan: None,
        status: Status::Infeasible,
        bound_eur: None,
        reasons,
        notes,
        warnings: Vec::new(),
        objective_eur: None,
    };
    if reach.iter().any(|w| w.iter().any(|sites| sites.is_empty()))
        || !too_big_anywhere(costs, &groups, &reach).is_empty()
    {
        return infeasible(diagnose(costs, &groups, &reach), Vec::new());
    }
    // A model too large for the memory, or one whose build would outrun the time limit, is
    // not built: the start (if any) is kept, and the user is told why.
    let give_up = |why: String| {
        let status = if start.is_some() {
            Status::Feasible
        } else {
            Status::Unknown
        };
        Outcome {
            plan: start.cloned(),
            status,
            bound_eur: None,
            reasons: Vec::new(),
            notes: vec![why.clone()],
            warnings: vec![why],
            objective_eur: None,
        }
    };
    let flows_estimate = estimated_flows(&reach);
    if let Some(budget) = column_budget() {
        if flows_estimate > budget {
            return give_up(format!(
                "the MILP would have about {flows_estimate} flow columns (about {:.1} GB to build \
                 and solve), more than half the memory available allows ({budget} columns); it \
                 was not built. Use `windows`, `local` or `paths` at this size",
                flows_estimate as f64 * BYTES_PER_COLUMN as f64 / 1e9
            ));
        }
    }
    let build_deadline =
        time_limit_s.map(|limit| Instant::now() + std::time::Duration::from_secs_f64(limit));
    let out_of_time =
        || settings.interrupt.is_requested() || build_deadline.is_some_and(|d| Instant::now() >= d);
    let Some(formulation) = formulate(
        costs,
        &groups,
        &reach,
        horizon,
        mode == Mode::Lp,
        &out_of_time,
    ) else {
        return give_up(format!(
            "the time limit ran out while the MILP (about {flows_estimate} flow columns) was \
             being built; the start plan is kept"
        ));
    };
    let num_columns = formulation.vars.index.len();
    let mut notes = vec![format!(
        "MILP for windows {}..{}: {} VMs in {} groups, {} columns ({} flows), {} rows",
        horizon.first,
        horizon.end,
        instance.num_vms(),
        groups.len(),
        num_columns,
        formulation.flows.len(),
        formulation.constraints.len()
    )];
    let start_columns =
        start.and_then(|p| starting_columns(costs, &groups, horizon, &formulation, p, num_columns));
    notes.push(if start_columns.is_some() {
        "start: given".into()
    } else {
        "start: none".into()
    });
    // Without a plan from HiGHS, a feasible start is still a plan to return.
    let fallback = |mut notes: Vec<String>, why: String, bound_eur: Option<f64>| {
        notes.push(why.clone());
        let status = if start.is_some() {
            Status::Feasible
        } else {
            Status::Unknown
        };
        Outcome {
            plan: start.cloned(),
            status,
            bound_eur,
            reasons: Vec::new(),
            notes,
            warnings: vec![why],
            objective_eur: None,
        }
    };
    if num_columns == 0 {
        // No VMs: nothing to decide.
        return Outcome {
            plan: Some(base.clone()),
            status: Status::Optimal,
            bound_eur: None,
            reasons: Vec::new(),
            notes,
            warnings: Vec::new(),
            objective_eur: None,
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
        ..
    } = vars;
    let mut problem = vars.minimise(objective).using(highs);
    for c in constraints {
        problem.add_constraint(c);
    }
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
    if mode == Mode::RootBound {
        // The root node with HiGHS's cuts: its dual bound is much tighter than the bare LP's,
        // because cuts on the integer host counts recover most of the idle power the LP spreads.
        model.set_option("mip_max_nodes", 1);
        // Only the bound matters here: no time on primal heuristics.
        model.set_option("mip_heuristic_effort", 0.0);
    }
    // HiGHS gets what is left of the limit once the model is built and handed over.
    if let Some(deadline) = build_deadline {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .as_secs_f64();
        if left <= 0.0 {
            return fallback(
                notes,
                "the time limit ran out while the MILP was handed to HiGHS".into(),
                None,
            );
        }
        model.set_option("time_limit", left);
    }
    if let Some(columns) = &start_columns {
        // A start that HiGHS cannot use is only a missed head start.
        let _ = model.try_set_solution(Some(columns), None, None, None);
    }
    if settings.interrupt.is_requested() {
        return fallback(notes, "interrupted before HiGHS started".into(), None);
    }
    watch_interrupt(&mut model, &settings.interrupt);
    let solved = match model.try_solve() {
        Ok(solved) => solved,
        Err(e) => return fallback(notes, format!("HiGHS failed: {e:?}"), None),
    };
    let model_status = solved.status();
    if mode == Mode::Lp {
        // An LP optimum is a bound; its fractional flows are no plan.
        let bound = (model_status == HighsModelStatus::Optimal).then(|| solved.objective_value());
        notes.push(format!("HiGHS LP: {model_status:?}, bound {bound:?}"));
        return Outcome {
            plan: None,
            status: Status::Unknown,
            bound_eur: bound,
            reasons: Vec::new(),
            notes,
            warnings: Vec::new(),
            objective_eur: None,
        };
    }
    let has_solution = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
    let mut bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite());
    if model_status == HighsModelStatus::Optimal && bound.is_none() {
        bound = Some(solved.objective_value());
    }
    notes.push(format!("HiGHS: {model_status:?}, bound {bound:?}"));
    match model_status {
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible
            if start.is_some() =>
        {
            // A feasible start contradicts this: HiGHS's numerics, not the instance.
            return fallback(
                notes,
                "HiGHS reported infeasible; keeping the start".into(),
                None,
            );
        }
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return infeasible(diagnose(costs, &groups, &reach), notes);
        }
        _ if !has_solution => {
            return fallback(notes, "HiGHS found no plan within the limits".into(), bound);
        }
        _ => {}
    }
    let columns = solved.get_solution().columns().to_vec();
    let plan = disaggregate(&groups, horizon, base, &flows, &column_of, &columns);
    let status = if model_status == HighsModelStatus::Optimal {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let mut warnings = Vec::new();
    if model_status == HighsModelStatus::ReachedInterrupt {
        warnings
            .push("HiGHS was stopped by a signal; its best plan and bound so far are kept".into());
    }
    Outcome {
        plan: Some(plan),
        status,
        bound_eur: bound,
        reasons: Vec::new(),
        notes,
        warnings,
        objective_eur: Some(solved.objective_value()).filter(|x| x.is_finite()),
    }
}

/// HiGHS's callback: asks it to stop once the [`Interrupt`] behind `data` is requested.
unsafe extern "C" fn interrupt_callback(
    _kind: std::os::raw::c_int,
    _message: *const std::os::raw::c_char,
    _data_out: *const highs_sys::HighsCallbackDataOut,
    data_in: *mut highs_sys::HighsCallbackDataIn,
    user_data: *mut std::os::raw::c_void,
) {
    if data_in.is_null() || user_data.is_null() {
        return;
    }
    // SAFETY: `user_data` is the `AtomicBool` of an `Interrupt` that `watch_interrupt`'s
    // caller keeps alive (in its settings) until the solve returns; `data_in` is HiGHS's.
    let requested = unsafe { &*(user_data as *const AtomicBool) }.load(Ordering::SeqCst);
    if requested {
        unsafe { (*data_in).user_interrupt = 1 };
    }
}

/// Lets a requested stop end a HiGHS solve: HiGHS polls the token in its simplex, interior
/// point and branch-and-bound loops and then returns its best solution and bound so far.
fn watch_interrupt(model: &mut highs::Model, interrupt: &Interrupt) {
    let flag: *const AtomicBool = interrupt.flag();
    let ptr = model.as_mut_ptr();
    // SAFETY: `ptr` is the live HiGHS instance of `model`; the flag outlives the solve, since
    // the settings that own the token are borrowed for the whole of `solve_model`.
    unsafe {
        highs_sys::Highs_setCallback(
            ptr,
            Some(interrupt_callback),
            flag as *mut std::os::raw::c_void,
        );
        for kind in [
            highs_sys::kHighsCallbackSimplexInterrupt,
            highs_sys::kHighsCallbackIpmInterrupt,
            highs_sys::kHighsCallbackMipInterrupt,
        ] {
            highs_sys::Highs_startCallback(ptr, kind);
        }
    }
}

/// Solves the whole horizon exactly (to `settings.gap`) or until the time limit, starting
/// HiGHS from the repaired stay plan.
pub fn solve(
    costs: &Costs,
    settings: &CommonSettings,
    _knobs: &NoKnobs,
    started: Instant,
) -> Outcome {
    let instance = costs.instance;
    let stay = Plan::stay(instance);
    let start = repair(costs, &stay);
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
        notes.push("the stay plan could not be repaired: no start".into());
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
