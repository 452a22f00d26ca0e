//! Facts derived once per instance and shared by the evaluator and every solver: migration
//! paths, where each VM may run, what each possible migration costs, and the window-site cost
//! formulas of docs/MODEL.md §2. One copy of each formula, so that solvers and the evaluator
//! cannot disagree.

use crate::domain::instance::{ceil_tol, Instance, MigrationKind, MigrationProfile, SiteId, VmId};
use crate::scoring::migration::{estimate, rate_bytes_s, MigrationEstimate};
use crate::scoring::network::{Network, Path};
use rayon::prelude::*;
use std::collections::HashMap;

/// Precomputed costing facts for one instance.
#[derive(Debug, Clone)]
pub struct Costs<'a> {
    /// The instance these costs are of.
    pub instance: &'a Instance,
    /// Migration paths and least latencies between the sites.
    pub network: Network,
    /// `allowed[v * S + s]`: VM v may run at s in the windows (allowed_sites and latency limit).
    allowed: Vec<bool>,
    /// Index into `profiles` of each VM's migration profile.
    profile_of: Vec<usize>,
    /// `estimates[p][a * S + b]`: migration of profile p from a to b (`None` when a == b).
    estimates: Vec<Vec<Option<MigrationEstimate>>>,
}

/// Bit-exact key of a migration profile, so that VMs with the same profile share estimates.
fn profile_key(p: &MigrationProfile) -> (MigrationKind, [u64; 6]) {
    (
        p.kind,
        [
            p.mem_used_gib.to_bits(),
            p.wss_gib.to_bits(),
            p.disk_gib.to_bits(),
            p.dirty_mib_s.to_bits(),
            p.disk_write_mib_s.to_bits(),
            p.boot_s.to_bits(),
        ],
    )
}

/// The window-site figures of docs/MODEL.md §2 for one load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SitePower {
    /// Active hosts n (whole hosts).
    pub active_hosts: f64,
    /// IT power, kW.
    pub it_kw: f64,
    /// Facility power (PUE × IT), kW.
    pub facility_kw: f64,
    /// Renewable power used, kW.
    pub renewable_used_kw: f64,
    /// Grid power, kW.
    pub grid_kw: f64,
    /// Energy cost of the grid power, EUR.
    pub energy_eur: f64,
    /// Carbon cost of the grid power, EUR.
    pub carbon_eur: f64,
    /// Emissions of the grid power, kg CO2e.
    pub carbon_kg: f64,
}

impl SitePower {
    /// The window-site cost: energy plus carbon, EUR.
    pub fn cost_eur(&self) -> f64 {
        self.energy_eur + self.carbon_eur
    }
}

/// The money parts of one migration in one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MigrationCost {
    /// Degraded service: penalty_eur_per_s × total time, EUR.
    pub penalty_eur: f64,
    /// Downtime: downtime_eur_per_s × downtime, EUR.
    pub downtime_eur: f64,
    /// Transfer: sent GB × the path's EUR/GB.
    pub transfer_eur: f64,
    /// Migration energy at the two sites' prices, EUR.
    pub energy_eur: f64,
}

impl MigrationCost {
    /// The migration's cost: the sum of its parts, EUR.
    pub fn total_eur(&self) -> f64 {
        self.penalty_eur + self.downtime_eur + self.transfer_eur + self.energy_eur
    }
}

impl<'a> Costs<'a> {
    /// Derives paths, allowed sites and every distinct migration estimate.
    ///
    /// # Complexity
    /// O(S² · (S + E) log S) for the network, plus O(P · S²) copy-round estimates for P distinct
    /// migration profiles, plus O(V · S) for the allowed sites.
    pub fn new(instance: &'a Instance) -> Costs<'a> {
        let network = Network::new(instance);
        let num_sites = instance.num_sites();
        let mut allowed = vec![true; instance.num_vms() * num_sites];
        for (v, vm) in instance.vms.iter().enumerate() {
            for s in 0..num_sites {
                let listed = vm
                    .allowed_sites
                    .as_ref()
                    .is_none_or(|list| list.contains(&s));
                let near = match (vm.anchor_site, vm.max_latency_ms) {
                    (Some(anchor), Some(limit)) => network.within_latency(anchor, s, limit),
                    _ => true,
                };
                allowed[v * num_sites + s] = listed && near;
            }
        }
        let mut index: HashMap<(MigrationKind, [u64; 6]), usize> = HashMap::new();
        let mut profiles: Vec<&MigrationProfile> = Vec::new();
        let mut profile_of = Vec::with_capacity(instance.num_vms());
        for vm in &instance.vms {
            let next = profiles.len();
            let p = *index.entry(profile_key(&vm.profile)).or_insert(next);
            if p == next {
                profiles.push(&vm.profile);
            }
            profile_of.push(p);
        }
        let params = &instance.params;
        // Profiles are independent; rayon keeps their order, so the result does not depend on
        // the number of threads.
        let estimates = profiles
            .par_iter()
            .map(|profile| {
                let mut table = vec![None; num_sites * num_sites];
                for a in 0..num_sites {
                    for b in 0..num_sites {
                        if a == b {
                            continue;
                        }
                        let path = network.path(a, b);
                        let estimate = match (profile.kind, path) {
                            (MigrationKind::Respawn, _) => estimate(profile, 0.0, params),
                            (_, Some(path)) => {
                                let rate = rate_bytes_s(
                                    path.bottleneck_gbps,
                                    params.link_efficiency,
                                    params.concurrency as f64,
                                );
                                estimate(profile, rate, params)
                            }
                            // A pinned VM stops before any division by the rate.
                            (MigrationKind::Pinned, None) => estimate(profile, 0.0, params),
                            (_, None) => crate::scoring::migration::no_path(profile.kind),
                        };
                        table[a * num_sites + b] = Some(estimate);
                    }
                }
                table
            })
            .collect();
        Costs {
            instance,
            network,
            allowed,
            profile_of,
            estimates,
        }
    }

    /// Whether VM `v` may run at site `s` in the windows (allowed_sites and latency limit).
    pub fn is_allowed(&self, v: VmId, s: SiteId) -> bool {
        self.allowed[v * self.instance.num_sites() + s]
    }

    /// Index of VM `v`'s migration profile; VMs with equal profiles share one.
    pub fn profile_index(&self, v: VmId) -> usize {
        self.profile_of[v]
    }

    /// The copy-round estimate of moving VM `v` from `a` to `b` (`None` when a == b).
    pub fn migration(&self, v: VmId, a: SiteId, b: SiteId) -> Option<&MigrationEstimate> {
        self.estimates[self.profile_of[v]][a * self.instance.num_sites() + b].as_ref()
    }

    /// The path a migration from `a` to `b` occupies; `None` for respawn, which uses no link.
    pub fn migration_path(&self, v: VmId, a: SiteId, b: SiteId) -> Option<&Path> {
        if self.instance.vms[v].profile.kind == MigrationKind::Respawn {
            None
        } else {
            self.network.path(a, b)
        }
    }

    /// What moving VM `v` from `a` to `b` at the start of window `t` costs.
    pub fn migration_cost(
        &self,
        v: VmId,
        a: SiteId,
        b: SiteId,
        t: usize,
        estimate: &MigrationEstimate,
    ) -> MigrationCost {
        let instance = self.instance;
        let vm = &instance.vms[v];
        let eur_per_gb = self.migration_path(v, a, b).map_or(0.0, |p| p.eur_per_gb);
        let half_kwh = estimate.energy_kwh() / 2.0;
        // A negative price never pays for a migration.
        let site_price = |s: SiteId| {
            half_kwh * instance.sites[s].pue * instance.price_eur_mwh[[t, s]].max(0.0) / 1000.0
        };
        MigrationCost {
            penalty_eur: vm.penalty_eur_per_s * estimate.total_s,
            downtime_eur: vm.downtime_eur_per_s * estimate.downtime_s,
            transfer_eur: estimate.sent_bytes / 1e9 * eur_per_gb,
            energy_eur: site_price(a) + site_price(b),
        }
    }

    /// The fluid host count at site `s`: the load in hosts, the larger of CPU and memory, not
    /// rounded up (what the MILP's LP relaxation sees).
    pub fn fluid_hosts(&self, s: SiteId, cpu_used: f64, mem_used_gib: f64) -> f64 {
        let site = &self.instance.sites[s];
        (cpu_used / (site.host_cpu * site.cpu_overcommit)).max(mem_used_gib / site.host_mem_gib)
    }

    /// What VM `v` alone costs at site `s` in window `t` at the fluid price, renewables aside,
    /// EUR: its fluid share of hosts and its busy power, with PUE, at the grid price (with
    /// carbon). The heuristics rank and price sites with it.
    pub fn fluid_vm_eur(&self, v: VmId, s: SiteId, t: usize) -> f64 {
        let instance = self.instance;
        let vm = &instance.vms[v];
        let site = &instance.sites[s];
        let it_kw = (self.fluid_hosts(s, vm.cpu, vm.mem_gib) * site.idle_w
            + (site.peak_w - site.idle_w) * vm.cpu * instance.util[[v, t]] / site.host_cpu)
            / 1000.0;
        site.pue * it_kw * instance.params.window_hours * instance.grid_eur_per_kwh(t, s)
    }

    /// Active hosts needed at site `s` for a load (fluid capacity, docs/MODEL.md §2).
    pub fn active_hosts(&self, s: SiteId, cpu_used: f64, mem_used_gib: f64) -> f64 {
        let site = &self.instance.sites[s];
        let by_cpu = ceil_tol(cpu_used / (site.host_cpu * site.cpu_overcommit));
        let by_mem = ceil_tol(mem_used_gib / site.host_mem_gib);
        by_cpu.max(by_mem).max(0.0)
    }

    /// Power, cost and emissions of site `s` in window `t` with `active_hosts` hosts on and
    /// `busy_cpu` cores' worth of work (Σ cpu × util).
    pub fn site_power(&self, t: usize, s: SiteId, active_hosts: f64, busy_cpu: f64) -> SitePower {
        let instance = self.instance;
        let site = &instance.sites[s];
        let window_hours = instance.params.window_hours;
        let it_kw = (active_hosts * site.idle_w
            + (site.peak_w - site.idle_w) * busy_cpu / site.host_cpu)
            / 1000.0;
        let facility_kw = site.pue * it_kw;
        let renewable_kw = instance.renewable_kw[[t, s]];
        let grid_kw = (facility_kw - renewable_kw).max(0.0);
        let carbon = instance.carbon_g_kwh[[t, s]];
        SitePower {
            active_hosts,
            it_kw,
            facility_kw,
            renewable_used_kw: facility_kw.min(renewable_kw),
            grid_kw,
            energy_eur: grid_kw * window_hours * instance.price_eur_mwh[[t, s]] / 1000.0,
            carbon_eur: grid_kw * window_hours * carbon * instance.params.carbon_eur_per_t / 1e6,
            carbon_kg: grid_kw * window_hours * carbon / 1000.0,
        }
    }
}
