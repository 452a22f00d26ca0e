//! Repair: turns any plan into one that satisfies every constraint, changing as little as it can.
//! The exact solver starts HiGHS from the repaired stay plan, so that a time limit always
//! leaves a plan when repair succeeds.

use crate::costs::Costs;
use crate::instance::{le_tol, MigrationKind, SiteId, VmId};
use crate::network::DirectedLink;
use crate::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};

/// The state of one window while VMs are placed into it one by one.
struct WindowState<'c, 'a> {
    costs: &'c Costs<'a>,
    window: usize,
    cpu_used: Vec<f64>,
    mem_used: Vec<f64>,
    migrations_at: Vec<u32>,
    link_busy_s: BTreeMap<DirectedLink, f64>,
    labels: BTreeSet<(String, SiteId)>,
}

impl<'c, 'a> WindowState<'c, 'a> {
    fn new(costs: &'c Costs<'a>, window: usize) -> Self {
        let num_sites = costs.instance.num_sites();
        WindowState {
            costs,
            window,
            cpu_used: vec![0.0; num_sites],
            mem_used: vec![0.0; num_sites],
            migrations_at: vec![0; num_sites],
            link_busy_s: BTreeMap::new(),
            labels: BTreeSet::new(),
        }
    }

    /// Whether VM `v`, at `from` in the previous window, may be put at `to` now.
    fn fits(&self, v: VmId, from: SiteId, to: SiteId) -> bool {
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
        if let Some(label) = &vm.anti_affinity {
            if self.labels.contains(&(label.clone(), to)) {
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
            for link in &path.links {
                let busy = self.link_busy_s.get(link).copied().unwrap_or(0.0);
                if !le_tol(busy + estimate.total_s, budget_s) {
                    return false;
                }
            }
        }
        true
    }

    fn place(&mut self, v: VmId, from: SiteId, to: SiteId) {
        let costs = self.costs;
        let vm = &costs.instance.vms[v];
        self.cpu_used[to] += vm.cpu;
        self.mem_used[to] += vm.mem_gib;
        if let Some(label) = &vm.anti_affinity {
            self.labels.insert((label.clone(), to));
        }
        if from != to {
            self.migrations_at[from] += 1;
            self.migrations_at[to] += 1;
            if let (Some(estimate), Some(path)) = (
                costs.migration(v, from, to),
                costs.migration_path(v, from, to),
            ) {
                for &link in &path.links {
                    *self.link_busy_s.entry(link).or_insert(0.0) += estimate.total_s;
                }
            }
        }
    }

    /// A rough marginal cost of VM `v` at `to` this window, EUR: its share of hosts and
    /// busy power at the site's grid price, plus the migration's cost.
    fn marginal_cost(&self, v: VmId, from: SiteId, to: SiteId) -> f64 {
        let costs = self.costs;
        let instance = costs.instance;
        let vm = &instance.vms[v];
        let site = &instance.sites[to];
        let t = self.window;
        let host_share =
            (vm.cpu / (site.host_cpu * site.cpu_overcommit)).max(vm.mem_gib / site.host_mem_gib);
        let it_kw = (host_share * site.idle_w
            + (site.peak_w - site.idle_w) * vm.cpu * instance.util[[v, t]] / site.host_cpu)
            / 1000.0;
        let energy =
            site.pue * it_kw * instance.params.window_hours * instance.grid_eur_per_kwh(t, to);
        let migration = if from == to {
            0.0
        } else {
            costs.migration(v, from, to).map_or(f64::INFINITY, |e| {
                costs.migration_cost(v, from, to, t, e).total_eur()
            })
        };
        energy + migration
    }
}

/// Repairs `plan` window by window: each VM keeps its planned site when that is feasible given
/// the VMs placed before it, else stays where it was, else goes to the cheapest site that fits.
/// VMs with the fewest options are placed first. Returns `None` when some VM fits nowhere.
///
/// # Complexity
/// O(T · V · (log V + S · L)) for T windows, V VMs, S sites and paths of L links.
pub fn repair(costs: &Costs, plan: &Plan) -> Option<Plan> {
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
    // Pinned and restricted VMs first, then the largest, so that the big ones find room.
    order.sort_by(|&a, &b| {
        let (va, vb) = (&instance.vms[a], &instance.vms[b]);
        options(a)
            .cmp(&options(b))
            .then(vb.mem_gib.total_cmp(&va.mem_gib))
            .then(vb.cpu.total_cmp(&va.cpu))
            .then(a.cmp(&b))
    });
    let mut repaired = plan.clone();
    for t in 0..instance.num_windows() {
        let mut state = WindowState::new(costs, t);
        for &v in &order {
            let from = repaired.previous_site(instance, v, t);
            let wanted = plan.site[[v, t]];
            let chosen = if state.fits(v, from, wanted) {
                Some(wanted)
            } else if state.fits(v, from, from) {
                Some(from)
            } else {
                (0..num_sites)
                    .filter(|&s| state.fits(v, from, s))
                    .map(|s| (state.marginal_cost(v, from, s), s))
                    .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)))
                    .map(|(_, s)| s)
            };
            let to = chosen?;
            state.place(v, from, to);
            repaired.site[[v, t]] = to;
        }
    }
    Some(repaired)
}
