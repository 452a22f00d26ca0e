//! Groups of interchangeable VMs, where each can be in each window, and why an instance has
//! no plan when a simple necessary condition already fails.

use super::Horizon;
use crate::domain::instance::{le_tol, MigrationKind, SiteId, VmId};
use crate::scoring::costs::Costs;
use std::collections::{BTreeMap, HashMap};

/// A group of interchangeable VMs.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) members: Vec<VmId>,
    /// The first member, whose data stand for the group's.
    pub(crate) rep: VmId,
}

/// Groups VMs whose every modelled attribute is equal, in order of their first member.
pub(crate) fn group_vms(costs: &Costs, horizon: &Horizon) -> Vec<Group> {
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
        // A VM with a migration allowance that can bind is a group of its own: the allowance
        // is per VM, and a group's flows do not say which member made which move.
        key.push(horizon.binding_moves_left(v).map_or(0, |_| v as u64 + 1));
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

/// Whether VM `v` can go from `a` to `b` at a window start.
pub(super) fn can_move(costs: &Costs, v: VmId, a: SiteId, b: SiteId) -> bool {
    a == b || costs.migration(v, a, b).is_some_and(|e| e.is_feasible())
}

/// Sites VM `v` can be at in window `first − 1` of any plan: reachable from its initial site
/// by feasible migrations (its initial site alone for `first = 0`).
pub(super) fn sites_before(costs: &Costs, v: VmId, first: usize) -> Vec<SiteId> {
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
pub(super) fn cheapest_arrival(
    costs: &Costs,
    v: VmId,
    before: &[SiteId],
    b: SiteId,
    t: usize,
) -> f64 {
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
pub(super) fn reachable_sites(
    costs: &Costs,
    groups: &[Group],
    horizon: &Horizon,
) -> Vec<Vec<Vec<SiteId>>> {
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
pub(super) fn fits_alone(costs: &Costs, v: VmId, s: SiteId) -> bool {
    let vm = &costs.instance.vms[v];
    let site = &costs.instance.sites[s];
    let hosts = site.hosts as f64;
    le_tol(vm.cpu / (site.host_cpu * site.cpu_overcommit), hosts)
        && le_tol(vm.mem_gib / site.host_mem_gib, hosts)
}

/// VMs that fit alone at none of the sites they can reach in some window: each makes the
/// instance infeasible on its own, and is named with its size and the sites it may use.
pub(super) fn too_big_anywhere(
    costs: &Costs,
    groups: &[Group],
    reach: &[Vec<Vec<SiteId>>],
) -> Vec<String> {
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

pub(super) fn diagnose(costs: &Costs, groups: &[Group], reach: &[Vec<Vec<SiteId>>]) -> Vec<String> {
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

/// The flow columns the model of `horizon` would have (an upper bound: flows of infeasible
/// migrations are dropped later), counted without building anything.
pub(super) fn estimated_flows(reach: &[Vec<Vec<SiteId>>]) -> usize {
    let mut flows = 0usize;
    for windows in reach {
        for (r, sites) in windows.iter().enumerate() {
            let sources = if r == 0 { 1 } else { windows[r - 1].len() };
            flows = flows.saturating_add(sources.saturating_mul(sites.len()));
        }
    }
    flows
}
