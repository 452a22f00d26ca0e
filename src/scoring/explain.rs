//! Why a plan moves a VM, and why it leaves another where it is, in the evaluator's figures.
//!
//! For a migration: its cost and the cost's parts (taken from the evaluator), what the VM saves
//! in each window of its stay at the new site, its payback and whether it comes back. The saving
//! in window w is what the VM's load would cost at its old site on top of the plan's load there,
//! less what it costs at its new site on top of the rest: [`marginal_eur`], the difference of
//! two window-site costs as the evaluator computes them, whole hosts opened or closed included.
//! Summed over the stay, it is exactly how much the plan's site costs would rise if the VM had
//! stayed behind (`tests/it/explain.rs` checks that through the evaluator).
//!
//! For a VM that does not move at a window: the site where its load would cost least over the
//! stretch until its next move, and why the plan did not take it. That verdict comes from the
//! evaluator itself: the plan with the VM moved there is evaluated, and the constraints it
//! breaks that the plan did not (capacity, allowed sites, latency, anti-affinity, migration
//! limits, link budgets, a migration that cannot be made) are the reason; failing those, the
//! change in the objective says whether the move costs more than it saves.

use crate::domain::instance::{MigrationKind, SiteId, VmId};
use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::{evaluate, Evaluation, Migration, Violation};

/// The plan's load per window and site: cores, memory and busy cores, `[t * S + s]`.
pub struct Loads {
    sites: usize,
    cpu: Vec<f64>,
    mem_gib: Vec<f64>,
    busy_cpu: Vec<f64>,
}

impl Loads {
    /// The loads of `plan`.
    pub fn new(costs: &Costs, plan: &Plan) -> Loads {
        let instance = costs.instance;
        let sites = instance.num_sites();
        let cells = instance.num_windows() * sites;
        let mut loads = Loads {
            sites,
            cpu: vec![0.0; cells],
            mem_gib: vec![0.0; cells],
            busy_cpu: vec![0.0; cells],
        };
        for (v, vm) in instance.vms.iter().enumerate() {
            for t in 0..instance.num_windows() {
                let cell = t * sites + plan.site[[v, t]];
                loads.cpu[cell] += vm.cpu;
                loads.mem_gib[cell] += vm.mem_gib;
                loads.busy_cpu[cell] += vm.cpu * instance.util[[v, t]];
            }
        }
        loads
    }
}

/// The cost of site `s` in window `t` with this load, EUR: the evaluator's window-site cost.
fn site_eur(costs: &Costs, t: usize, s: SiteId, cpu: f64, mem_gib: f64, busy_cpu: f64) -> f64 {
    let hosts = costs.active_hosts(s, cpu, mem_gib);
    costs.site_power(t, s, hosts, busy_cpu).cost_eur()
}

/// What VM `v`'s load costs at site `s` in window `t` on top of the rest of the plan's load
/// there, EUR: the site's cost with the VM less its cost without it.
pub fn marginal_eur(
    costs: &Costs,
    loads: &Loads,
    plan: &Plan,
    v: VmId,
    s: SiteId,
    t: usize,
) -> f64 {
    let instance = costs.instance;
    let vm = &instance.vms[v];
    let busy = vm.cpu * instance.util[[v, t]];
    let cell = t * loads.sites + s;
    let (mut cpu, mut mem, mut busy_cpu) =
        (loads.cpu[cell], loads.mem_gib[cell], loads.busy_cpu[cell]);
    if plan.site[[v, t]] == s {
        cpu -= vm.cpu;
        mem -= vm.mem_gib;
        busy_cpu -= busy;
    }
    // Sums taken apart again can leave a trace below zero.
    let (cpu, mem, busy_cpu) = (cpu.max(0.0), mem.max(0.0), busy_cpu.max(0.0));
    site_eur(costs, t, s, cpu + vm.cpu, mem + vm.mem_gib, busy_cpu + busy)
        - site_eur(costs, t, s, cpu, mem, busy_cpu)
}

/// What VM `v`'s load saves in each window of `windows` at site `to` against site `from`, at
/// the plan's marginal costs ([`marginal_eur`]), EUR.
#[allow(clippy::too_many_arguments)]
fn savings<'a>(
    costs: &'a Costs,
    loads: &'a Loads,
    plan: &'a Plan,
    v: VmId,
    from: SiteId,
    to: SiteId,
    windows: std::ops::Range<usize>,
) -> impl Iterator<Item = f64> + 'a {
    windows.map(move |w| {
        marginal_eur(costs, loads, plan, v, from, w) - marginal_eur(costs, loads, plan, v, to, w)
    })
}

/// One migration of a plan, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationExplanation {
    /// The migration as the evaluator costs it: window, VM, sites, kind, times, cost and parts.
    pub migration: Migration,
    /// What the VM saves at its new site in each window of its stay there (from the
    /// migration's window until it moves again), against its old site, EUR; negative where it
    /// costs more.
    pub savings_eur: Vec<f64>,
    /// Σ savings_eur.
    pub saving_eur: f64,
    /// saving_eur − the migration's cost.
    pub net_eur: f64,
    /// Windows until the savings add up to the cost (1 is within the first window); `None`
    /// when they never do during the stay.
    pub payback_windows: Option<usize>,
    /// The window at whose start it moves back to its old site, if it does.
    pub returns_at: Option<usize>,
    /// Where the move is forced, whatever it saves: the rule the starting placement breaks
    /// that it mends (a first move out of a site the VM may not use, too far from its users,
    /// shared with its anti-affinity group, or over capacity).
    pub forced_by: Option<String>,
}

/// Every migration of `plan`, explained, in the evaluation's order (window, then VM).
pub fn explain_migrations(
    costs: &Costs,
    plan: &Plan,
    evaluation: &Evaluation,
) -> Vec<MigrationExplanation> {
    let instance = costs.instance;
    let windows = instance.num_windows();
    let loads = Loads::new(costs, plan);
    let breaks = crate::scoring::start::starting_placement_breaks(costs);
    // The rule a window-0 move of VM `v` out of `from` mends, if the start breaks one there.
    let forced_by = |v: usize, from: usize| -> Option<String> {
        let vm = &instance.vms[v].id;
        let site = &instance.sites[from].id;
        breaks
            .iter()
            .find(|b| &b.site == site && (b.vms.contains(vm) || b.rule == "capacity"))
            .map(|b| match b.rule {
                "capacity" => format!("capacity: the starting placement overloads {site}"),
                "allowed_sites" => format!("allowed_sites: {vm} may not run at {site}"),
                "latency" => format!("latency: {site} is too far from {vm}'s users"),
                _ => format!("anti_affinity: {vm} shares {site} with its group at the start"),
            })
    };
    evaluation
        .migrations
        .iter()
        .map(|m| {
            let v = m.vm;
            let stay_end = (m.window + 1..windows)
                .find(|&w| plan.site[[v, w]] != m.to)
                .unwrap_or(windows);
            let savings_eur: Vec<f64> =
                savings(costs, &loads, plan, v, m.from, m.to, m.window..stay_end).collect();
            let mut cumulative = 0.0;
            let payback_windows = savings_eur.iter().position(|s| {
                cumulative += s;
                cumulative >= m.cost_eur
            });
            let saving_eur: f64 = savings_eur.iter().sum();
            MigrationExplanation {
                migration: m.clone(),
                saving_eur,
                net_eur: saving_eur - m.cost_eur,
                payback_windows: payback_windows.map(|k| k + 1),
                returns_at: (m.window + 1..windows)
                    .find(|&w| plan.site[[v, w]] == m.from && plan.site[[v, w - 1]] != m.from),
                forced_by: if m.window == 0 {
                    forced_by(v, m.from)
                } else {
                    None
                },
                savings_eur,
            }
        })
        .collect()
}

/// Why the plan did not move a VM to its cheapest other site.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The VM is pinned.
    Pinned,
    /// The move breaks constraints the plan keeps: the evaluator's violations, named.
    Breaks(Vec<String>),
    /// The move keeps every constraint but raises the objective by this much, EUR: its
    /// migrations cost more than it saves.
    CostsMore(f64),
    /// The move keeps every constraint and lowers the objective by this much, EUR: a better
    /// plan, which an exact plan never leaves (a heuristic's or a time-limited one may).
    WouldSave(f64),
}

/// A VM that does not move at a window, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct StayExplanation {
    /// The VM.
    pub vm: VmId,
    /// Where it is.
    pub site: SiteId,
    /// The stretch considered: windows `first..end`, until its next move or the horizon's end.
    pub first: usize,
    /// One past the stretch's last window.
    pub end: usize,
    /// The site where its load would cost least over the stretch (`None` with one site).
    pub alternative: Option<SiteId>,
    /// What its load would save there over the stretch, EUR (site costs only).
    pub saving_eur: f64,
    /// How much more the plan's migrations would cost with the move, EUR: the move there, and
    /// the change in its next move, if any.
    pub migration_eur: f64,
    /// saving_eur − migration_eur, from the evaluator's objective of the plan with the move.
    pub net_eur: f64,
    /// Why the plan did not take it.
    pub verdict: Verdict,
}

/// The VM `v` not moving at window `t` (its site is the one it had before `t`), explained; `None`
/// when it does move there.
pub fn explain_stay(
    costs: &Costs,
    plan: &Plan,
    evaluation: &Evaluation,
    loads: &Loads,
    v: VmId,
    t: usize,
) -> Option<StayExplanation> {
    let instance = costs.instance;
    let windows = instance.num_windows();
    if t >= windows {
        return None;
    }
    let site = plan.site[[v, t]];
    if plan.previous_site(instance, v, t) != site {
        return None;
    }
    let end = (t + 1..windows)
        .find(|&w| plan.site[[v, w]] != site)
        .unwrap_or(windows);
    let saving = |b: SiteId| -> f64 { savings(costs, loads, plan, v, site, b, t..end).sum() };
    let alternative = (0..instance.num_sites())
        .filter(|&b| b != site)
        .map(|b| (b, saving(b)))
        .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)));
    let Some((b, saving_eur)) = alternative else {
        return Some(StayExplanation {
            vm: v,
            site,
            first: t,
            end,
            alternative: None,
            saving_eur: 0.0,
            migration_eur: 0.0,
            net_eur: 0.0,
            verdict: Verdict::Breaks(vec!["the instance has one site".into()]),
        });
    };
    let mut moved = plan.clone();
    for w in t..end {
        moved.site[[v, w]] = b;
    }
    let after = evaluate(costs, &moved);
    let migration_eur = after.migration_eur - evaluation.migration_eur;
    let net_eur = evaluation.objective_eur - after.objective_eur;
    let broken: Vec<&Violation> = after
        .violations
        .iter()
        .filter(|x| !evaluation.violations.contains(x))
        .collect();
    let verdict = if instance.vms[v].profile.kind == MigrationKind::Pinned {
        Verdict::Pinned
    } else if !broken.is_empty() {
        let named = Evaluation {
            violations: broken.into_iter().cloned().collect(),
            ..after
        };
        Verdict::Breaks(named.named_violations(costs))
    } else if net_eur > 0.0 {
        Verdict::WouldSave(net_eur)
    } else {
        Verdict::CostsMore(-net_eur)
    };
    Some(StayExplanation {
        vm: v,
        site,
        first: t,
        end,
        alternative: Some(b),
        saving_eur,
        migration_eur,
        net_eur,
        verdict,
    })
}

/// VMs that stay from window 0 whose load would cost less elsewhere, ranked by what the move
/// would save before its migrations (largest first), at most `most`, explained. Cheap to rank
/// (marginal costs only), then each of the `most` is checked through the evaluator.
pub fn blocked_stays(
    costs: &Costs,
    plan: &Plan,
    evaluation: &Evaluation,
    most: usize,
) -> Vec<StayExplanation> {
    let instance = costs.instance;
    let loads = Loads::new(costs, plan);
    let windows = instance.num_windows();
    let mut ranked: Vec<(f64, VmId)> = Vec::new();
    for v in 0..instance.num_vms() {
        if windows == 0 || plan.previous_site(instance, v, 0) != plan.site[[v, 0]] {
            continue;
        }
        let site = plan.site[[v, 0]];
        let end = (1..windows)
            .find(|&w| plan.site[[v, w]] != site)
            .unwrap_or(windows);
        let best = (0..instance.num_sites())
            .filter(|&b| b != site)
            .map(|b| savings(costs, &loads, plan, v, site, b, 0..end).sum::<f64>())
            .fold(f64::NEG_INFINITY, f64::max);
        if best > 0.0 {
            ranked.push((best, v));
        }
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked
        .into_iter()
        .take(most)
        .filter_map(|(_, v)| explain_stay(costs, plan, evaluation, &loads, v, 0))
        .collect()
}
