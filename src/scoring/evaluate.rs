//! The one evaluator: costs any plan exactly as docs/MODEL.md §2 says and lists every broken
//! constraint (which, where, by how much). Every solver's output and every test goes through it.

use crate::domain::instance::{le_tol, MigrationKind, SiteId, VmId};
use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
use crate::scoring::migration::Infeasibility;
use crate::scoring::network::DirectedLink;
use std::collections::BTreeMap;
use std::fmt;

/// Figures of one site in one window (a row of site_windows.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct SiteWindow {
    /// Window index.
    pub window: usize,
    /// Site index.
    pub site: SiteId,
    /// Active hosts n.
    pub active_hosts: f64,
    /// Cores placed (Σ cpu).
    pub cpu_used: f64,
    /// Memory placed, GiB.
    pub mem_used_gib: f64,
    /// Σ cpu × util over the VMs there.
    pub busy_cpu: f64,
    /// IT power, kW.
    pub it_kw: f64,
    /// Facility power, kW.
    pub facility_kw: f64,
    /// Renewable power used, kW.
    pub renewable_used_kw: f64,
    /// Grid power, kW.
    pub grid_kw: f64,
    /// Energy cost, EUR.
    pub energy_eur: f64,
    /// Carbon cost, EUR.
    pub carbon_eur: f64,
    /// Emissions, kg CO2e.
    pub carbon_kg: f64,
    /// energy_eur + carbon_eur.
    pub cost_eur: f64,
}

/// One migration of a plan (a row of migrations.csv, less its schedule).
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The window at whose start it migrates.
    pub window: usize,
    /// The VM.
    pub vm: VmId,
    /// Its site in the window before.
    pub from: SiteId,
    /// Its site in this window.
    pub to: SiteId,
    /// How it moves.
    pub kind: MigrationKind,
    /// Total time, s.
    pub duration_s: f64,
    /// Downtime, s.
    pub downtime_s: f64,
    /// Bytes sent.
    pub sent_bytes: f64,
    /// Live copy rounds.
    pub rounds: u32,
    /// Whether pre-copy converged.
    pub converged: bool,
    /// Migration energy, kWh.
    pub energy_kwh: f64,
    /// Degraded-service cost, EUR.
    pub penalty_eur: f64,
    /// Downtime cost, EUR.
    pub downtime_eur: f64,
    /// Transfer cost, EUR.
    pub transfer_eur: f64,
    /// Energy cost, EUR.
    pub energy_eur: f64,
    /// penalty + downtime + transfer + energy.
    pub cost_eur: f64,
    /// Link directions it occupies (none for respawn).
    pub links: Vec<DirectedLink>,
}

/// A broken constraint, with where and by how much.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// More hosts needed than the site has.
    Capacity {
        /// The window.
        window: usize,
        /// The site.
        site: SiteId,
        /// Hosts the load needs.
        needed_hosts: f64,
        /// Hosts the site has.
        hosts: u32,
    },
    /// The VM runs at a site outside its allowed_sites.
    NotAllowed {
        /// The window.
        window: usize,
        /// The VM.
        vm: VmId,
        /// The site it may not use.
        site: SiteId,
    },
    /// The site is too far from the VM's anchor (`latency_ms` is `None` when unreachable).
    Latency {
        /// The window.
        window: usize,
        /// The VM.
        vm: VmId,
        /// The site.
        site: SiteId,
        /// Least latency from the VM's anchor, ms; `None` when no path leads there.
        latency_ms: Option<f64>,
        /// The VM's limit, ms.
        limit_ms: f64,
    },
    /// VMs sharing an anti-affinity label share a site.
    AntiAffinity {
        /// The window.
        window: usize,
        /// The site.
        site: SiteId,
        /// The shared label.
        label: String,
        /// The VMs that share it there.
        vms: Vec<VmId>,
    },
    /// A migration that cannot be made.
    MigrationInfeasible {
        /// The window.
        window: usize,
        /// The VM.
        vm: VmId,
        /// From site.
        from: SiteId,
        /// To site.
        to: SiteId,
        /// Why it cannot be made.
        reason: Infeasibility,
    },
    /// More migrations in plus out of a site than its max_migrations.
    MaxMigrations {
        /// The window.
        window: usize,
        /// The site.
        site: SiteId,
        /// Migrations in plus out.
        count: u32,
        /// The site's limit.
        limit: u32,
    },
    /// A VM that migrates more often over the horizon than params.toml's
    /// max_migrations_per_vm; reported at the window of its first migration over the limit.
    MigrationsPerVm {
        /// The window of its first migration over the limit.
        window: usize,
        /// The VM.
        vm: VmId,
        /// Its migrations over the whole horizon.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// A link direction busier than concurrency × window length.
    LinkBudget {
        /// The window.
        window: usize,
        /// The link direction.
        link: DirectedLink,
        /// Migration time crossing it, s.
        busy_s: f64,
        /// Its budget, s.
        budget_s: f64,
    },
}

/// A violation with the instance's names, for messages.
pub struct NamedViolation<'a, 'b> {
    /// The violation.
    pub violation: &'b Violation,
    /// The costs, for the names of sites and VMs.
    pub costs: &'b Costs<'a>,
}

impl fmt::Display for NamedViolation<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let instance = self.costs.instance;
        let site = |s: SiteId| instance.sites[s].id.as_str();
        let vm = |v: VmId| instance.vms[v].id.as_str();
        match self.violation {
            Violation::Capacity { window, site: s, needed_hosts, hosts } => write!(
                f,
                "capacity: window {window}, site {}: needs {needed_hosts} hosts, has {hosts} (over by {})",
                site(*s),
                needed_hosts - *hosts as f64
            ),
            Violation::NotAllowed { window, vm: v, site: s } => write!(
                f,
                "allowed_sites: window {window}, vm {} runs at {}, which is not in its allowed_sites",
                vm(*v),
                site(*s)
            ),
            Violation::Latency { window, vm: v, site: s, latency_ms, limit_ms } => match latency_ms {
                Some(latency) => write!(
                    f,
                    "latency: window {window}, vm {} at {}: {latency} ms from its anchor, limit {limit_ms} ms (over by {})",
                    vm(*v),
                    site(*s),
                    latency - limit_ms
                ),
                None => write!(
                    f,
                    "latency: window {window}, vm {} at {}: no path from its anchor",
                    vm(*v),
                    site(*s)
                ),
            },
            Violation::AntiAffinity { window, site: s, label, vms } => {
                let names: Vec<&str> = vms.iter().map(|&v| vm(v)).collect();
                write!(
                    f,
                    "anti_affinity: window {window}, site {}: {} VMs labelled '{label}' ({}), at most 1 allowed",
                    site(*s),
                    vms.len(),
                    names.join(", ")
                )
            }
            Violation::MigrationInfeasible { window, vm: v, from, to, reason } => write!(
                f,
                "migration: window {window}, vm {} from {} to {}: {}",
                vm(*v),
                site(*from),
                site(*to),
                reason.describe()
            ),
            Violation::MaxMigrations { window, site: s, count, limit } => write!(
                f,
                "max_migrations: window {window}, site {}: {count} migrations in plus out, limit {limit} (over by {})",
                site(*s),
                count - limit
            ),
            Violation::MigrationsPerVm { window, vm: v, count, limit } => write!(
                f,
                "max_migrations_per_vm: vm {} migrates {count} times, limit {limit} (over by {}; the first over the limit is in window {window})",
                vm(*v),
                count - limit
            ),
            Violation::LinkBudget { window, link, busy_s, budget_s } => {
                let l = &instance.links[link / 2];
                let (a, b) = if link % 2 == 0 { (l.from, l.to) } else { (l.to, l.from) };
                write!(
                    f,
                    "link budget: window {window}, link {}->{}: {busy_s} s of migration, budget {budget_s} s (over by {} s)",
                    site(a),
                    site(b),
                    busy_s - budget_s
                )
            }
        }
    }
}

/// The cost and feasibility of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Window-major: `site_windows[t * S + s]`.
    pub site_windows: Vec<SiteWindow>,
    /// By window, then VM.
    pub migrations: Vec<Migration>,
    /// Every broken constraint, in window order.
    pub violations: Vec<Violation>,
    /// Σ energy cost, EUR.
    pub energy_eur: f64,
    /// Σ carbon cost, EUR.
    pub carbon_eur: f64,
    /// Σ migration cost, EUR.
    pub migration_eur: f64,
    /// Σ grid energy, kWh.
    pub grid_kwh: f64,
    /// Σ emissions, kg CO2e.
    pub carbon_kg: f64,
    /// Σ site_windows.cost_eur + Σ migrations.cost_eur, summed in that order.
    pub objective_eur: f64,
}

impl Evaluation {
    /// Whether every constraint holds.
    pub fn is_feasible(&self) -> bool {
        self.violations.is_empty()
    }

    /// Every violation as a sentence with the instance's names.
    pub fn named_violations(&self, costs: &Costs) -> Vec<String> {
        self.violations
            .iter()
            .map(|violation| NamedViolation { violation, costs }.to_string())
            .collect()
    }
}

/// Costs `plan` and checks every constraint of docs/MODEL.md §2.
///
/// # Complexity
/// O(T · (V + S) + M · L) for T windows, V VMs, S sites, M migrations and paths of L links.
pub fn evaluate(costs: &Costs, plan: &Plan) -> Evaluation {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    let windows = instance.num_windows();
    let params = &instance.params;
    let mut site_windows = Vec::with_capacity(windows * num_sites);
    let mut migrations = Vec::new();
    let mut violations = Vec::new();
    let mut cpu_used = vec![0.0; num_sites];
    let mut mem_used = vec![0.0; num_sites];
    let mut busy = vec![0.0; num_sites];
    let mut migrations_at = vec![0u32; num_sites];
    let mut link_busy_s: BTreeMap<DirectedLink, f64> = BTreeMap::new();
    let mut labelled: BTreeMap<(&str, SiteId), Vec<VmId>> = BTreeMap::new();
    let budget_s = params.concurrency as f64 * params.window_s();
    // Each VM's migrations over the horizon and so far, for max_migrations_per_vm.
    let per_vm_limit = params.max_migrations_per_vm;
    let moves_of_vm: Vec<u32> = match per_vm_limit {
        Some(_) => (0..instance.num_vms())
            .map(|v| plan.migrations_of(instance, v))
            .collect(),
        None => Vec::new(),
    };
    let mut moves_so_far = vec![0u32; moves_of_vm.len()];

    for t in 0..windows {
        cpu_used.fill(0.0);
        mem_used.fill(0.0);
        busy.fill(0.0);
        migrations_at.fill(0);
        link_busy_s.clear();
        labelled.clear();
        for (v, vm) in instance.vms.iter().enumerate() {
            let s = plan.site[[v, t]];
            cpu_used[s] += vm.cpu;
            mem_used[s] += vm.mem_gib;
            busy[s] += vm.cpu * instance.util[[v, t]];
            if let Some(allowed) = &vm.allowed_sites {
                if !allowed.contains(&s) {
                    violations.push(Violation::NotAllowed {
                        window: t,
                        vm: v,
                        site: s,
                    });
                }
            }
            if let (Some(anchor), Some(limit_ms)) = (vm.anchor_site, vm.max_latency_ms) {
                if !costs.network.within_latency(anchor, s, limit_ms) {
                    violations.push(Violation::Latency {
                        window: t,
                        vm: v,
                        site: s,
                        latency_ms: costs.network.latency_ms(anchor, s),
                        limit_ms,
                    });
                }
            }
            if let Some(label) = &vm.anti_affinity {
                labelled.entry((label.as_str(), s)).or_default().push(v);
            }
            let from = plan.previous_site(instance, v, t);
            if from == s {
                continue;
            }
            if let Some(limit) = per_vm_limit {
                moves_so_far[v] += 1;
                if moves_so_far[v] == limit.saturating_add(1) {
                    violations.push(Violation::MigrationsPerVm {
                        window: t,
                        vm: v,
                        count: moves_of_vm[v],
                        limit,
                    });
                }
            }
            let Some(estimate) = costs.migration(v, from, s) else {
                continue;
            };
            if let Some(reason) = estimate.infeasible {
                violations.push(Violation::MigrationInfeasible {
                    window: t,
                    vm: v,
                    from,
                    to: s,
                    reason,
                });
            }
            let cost = costs.migration_cost(v, from, s, t, estimate);
            let links = costs
                .migration_path(v, from, s)
                .map_or(Vec::new(), |p| p.links.clone());
            for &link in &links {
                *link_busy_s.entry(link).or_insert(0.0) += estimate.total_s;
            }
            migrations_at[from] += 1;
            migrations_at[s] += 1;
            migrations.push(Migration {
                window: t,
                vm: v,
                from,
                to: s,
                kind: vm.profile.kind,
                duration_s: estimate.total_s,
                downtime_s: estimate.downtime_s,
                sent_bytes: estimate.sent_bytes,
                rounds: estimate.num_rounds(),
                converged: estimate.converged,
                energy_kwh: estimate.energy_kwh(),
                penalty_eur: cost.penalty_eur,
                downtime_eur: cost.downtime_eur,
                transfer_eur: cost.transfer_eur,
                energy_eur: cost.energy_eur,
                cost_eur: cost.total_eur(),
                links,
            });
        }
        for ((label, s), vms) in &labelled {
            if vms.len() > 1 {
                violations.push(Violation::AntiAffinity {
                    window: t,
                    site: *s,
                    label: label.to_string(),
                    vms: vms.clone(),
                });
            }
        }
        for (s, site) in instance.sites.iter().enumerate() {
            let hosts = costs.active_hosts(s, cpu_used[s], mem_used[s]);
            if hosts > site.hosts as f64 {
                violations.push(Violation::Capacity {
                    window: t,
                    site: s,
                    needed_hosts: hosts,
                    hosts: site.hosts,
                });
            }
            if let Some(limit) = site.max_migrations {
                if migrations_at[s] > limit {
                    violations.push(Violation::MaxMigrations {
                        window: t,
                        site: s,
                        count: migrations_at[s],
                        limit,
                    });
                }
            }
            let power = costs.site_power(t, s, hosts, busy[s]);
            site_windows.push(SiteWindow {
                window: t,
                site: s,
                active_hosts: hosts,
                cpu_used: cpu_used[s],
                mem_used_gib: mem_used[s],
                busy_cpu: busy[s],
                it_kw: power.it_kw,
                facility_kw: power.facility_kw,
                renewable_used_kw: power.renewable_used_kw,
                grid_kw: power.grid_kw,
                energy_eur: power.energy_eur,
                carbon_eur: power.carbon_eur,
                carbon_kg: power.carbon_kg,
                cost_eur: power.cost_eur(),
            });
        }
        for (&link, &busy_s) in &link_busy_s {
            if !le_tol(busy_s, budget_s) {
                violations.push(Violation::LinkBudget {
                    window: t,
                    link,
                    busy_s,
                    budget_s,
                });
            }
        }
    }

    let window_hours = params.window_hours;
    let mut energy_eur = 0.0;
    let mut carbon_eur = 0.0;
    let mut grid_kwh = 0.0;
    let mut carbon_kg = 0.0;
    let mut objective_eur = 0.0;
    for sw in &site_windows {
        energy_eur += sw.energy_eur;
        carbon_eur += sw.carbon_eur;
        grid_kwh += sw.grid_kw * window_hours;
        carbon_kg += sw.carbon_kg;
        objective_eur += sw.cost_eur;
    }
    let mut migration_eur = 0.0;
    for m in &migrations {
        migration_eur += m.cost_eur;
        objective_eur += m.cost_eur;
    }
    Evaluation {
        site_windows,
        migrations,
        violations,
        energy_eur,
        carbon_eur,
        migration_eur,
        grid_kwh,
        carbon_kg,
        objective_eur,
    }
}
