//! The exact planner against brute force: on tiny instances, enumerate every placement through
//! the evaluator and compare the best with what the MILP proves optimal.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use ndarray::Array2;
use wattshift::domain::instance::{Instance, MigrationKind};
use wattshift::domain::plan::Plan;
use wattshift::io::read::read_instance;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::{evaluate, Violation};
use wattshift::solvers::{exact, CommonSettings, NoKnobs, Status};

pub const TINY: &[&str] = &[
    "tiny-capacity",
    "tiny-kinds",
    "tiny-latency-anti",
    "tiny-links-budget",
    "tiny-negative",
    "tiny-block-rounds",
    "tiny-migration-cap",
];

pub fn tiny(name: &str) -> Instance {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    read_instance(&dir).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What enumeration found: the best feasible objective, and every kind of broken constraint met.
pub struct Enumerated {
    pub best: Option<(f64, Plan)>,
    /// Per kind of constraint: the best objective among plans that break only that kind.
    pub best_ignoring: BTreeMap<&'static str, f64>,
    violation_kinds: BTreeSet<&'static str>,
    plans: usize,
}

const ALL_VIOLATION_KINDS: [&str; 8] = [
    "capacity",
    "allowed_sites",
    "latency",
    "anti_affinity",
    "migration",
    "max_migrations",
    "link_budget",
    "max_migrations_per_vm",
];

fn violation_kind(v: &Violation) -> &'static str {
    match v {
        Violation::Capacity { .. } => "capacity",
        Violation::NotAllowed { .. } => "allowed_sites",
        Violation::Latency { .. } => "latency",
        Violation::AntiAffinity { .. } => "anti_affinity",
        Violation::MigrationInfeasible { .. } => "migration",
        Violation::MaxMigrations { .. } => "max_migrations",
        Violation::LinkBudget { .. } => "link_budget",
        Violation::MigrationsPerVm { .. } => "max_migrations_per_vm",
    }
}

/// Evaluates every placement of a tiny instance.
pub fn enumerate_all(costs: &Costs) -> Enumerated {
    let instance = costs.instance;
    let (vms, windows, sites) = (
        instance.num_vms(),
        instance.num_windows(),
        instance.num_sites(),
    );
    let cells = vms * windows;
    let total = sites.checked_pow(cells as u32).expect("too many plans");
    assert!(total <= 200_000, "{total} plans are too many to enumerate");
    let mut out = Enumerated {
        best: None,
        best_ignoring: BTreeMap::new(),
        violation_kinds: BTreeSet::new(),
        plans: total,
    };
    let mut digits = vec![0usize; cells];
    for _ in 0..total {
        let plan = Plan {
            site: Array2::from_shape_fn((vms, windows), |(v, t)| digits[v * windows + t]),
        };
        let evaluation = evaluate(costs, &plan);
        if evaluation.is_feasible() {
            let better = out
                .best
                .as_ref()
                .is_none_or(|(b, _)| evaluation.objective_eur < *b);
            if better {
                out.best = Some((evaluation.objective_eur, plan));
            }
        } else {
            let kinds: BTreeSet<&str> = evaluation.violations.iter().map(violation_kind).collect();
            if kinds.len() == 1 {
                let kind = *kinds.iter().next().expect("one kind");
                let entry = out.best_ignoring.entry(kind).or_insert(f64::INFINITY);
                *entry = entry.min(evaluation.objective_eur);
            }
            out.violation_kinds.extend(kinds);
        }
        for d in digits.iter_mut() {
            *d += 1;
            if *d < sites {
                break;
            }
            *d = 0;
        }
    }
    out
}

#[test]
fn exact_matches_brute_force_on_every_tiny_instance() {
    let mut kinds_used = BTreeSet::new();
    let mut violations_met = BTreeSet::new();
    for name in TINY {
        let instance = tiny(name);
        let costs = Costs::new(&instance);
        for vm in &instance.vms {
            kinds_used.insert(vm.profile.kind);
        }
        let brute = enumerate_all(&costs);
        violations_met.extend(brute.violation_kinds.iter().copied());
        let outcome = exact::solve(
            &costs,
            &CommonSettings::default(),
            &NoKnobs {},
            Instant::now(),
        );
        let (best, _) = brute
            .best
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no feasible plan"));
        assert_eq!(outcome.status, Status::Optimal, "{name}");
        let plan = outcome.plan.expect("an optimal outcome has a plan");
        let evaluation = evaluate(&costs, &plan);
        assert!(
            evaluation.is_feasible(),
            "{name}: {:?}",
            evaluation.violations
        );
        let tolerance = 1e-6 * best.abs().max(1e-3);
        assert!(
            (evaluation.objective_eur - best).abs() <= tolerance,
            "{name}: exact {} vs brute force {best} over {} plans",
            evaluation.objective_eur,
            brute.plans
        );
        let bound = outcome.bound_eur.expect("an optimal outcome has a bound");
        assert!(
            bound <= best + tolerance,
            "{name}: bound {bound} above the optimum {best}"
        );
        // The optimum must beat staying put where staying is feasible, or the instance tests little.
        let stay = evaluate(&costs, &Plan::stay(&instance));
        if stay.is_feasible() {
            assert!(
                *best < stay.objective_eur,
                "{name}: staying is already optimal"
            );
        }
    }
    for kind in MigrationKind::ALL {
        assert!(kinds_used.contains(&kind), "no tiny instance uses {kind}");
    }
    for kind in ALL_VIOLATION_KINDS {
        assert!(
            violations_met.contains(kind),
            "no tiny instance exercises {kind}"
        );
    }
}

/// Each constraint binds somewhere: with its violations ignored, enumeration finds a cheaper plan.
#[test]
fn every_constraint_binds_in_some_tiny_instance() {
    let mut binding = BTreeSet::new();
    for name in TINY {
        let instance = tiny(name);
        let enumerated = enumerate_all(&Costs::new(&instance));
        let best = enumerated.best.expect("feasible").0;
        for (kind, relaxed_best) in &enumerated.best_ignoring {
            if *relaxed_best < best - 1e-9 * best.abs().max(1.0) {
                binding.insert(*kind);
            }
        }
    }
    for kind in ALL_VIOLATION_KINDS {
        assert!(binding.contains(kind), "{kind} binds in no tiny instance");
    }
}

#[test]
fn an_infeasible_instance_is_reported_with_its_reason() {
    let mut instance = tiny("tiny-capacity");
    // More CPU than all sites together hold.
    for vm in instance.vms.iter_mut() {
        vm.cpu = 1000.0;
    }
    let costs = Costs::new(&instance);
    assert!(enumerate_all(&costs).best.is_none());
    let outcome = exact::solve(
        &costs,
        &CommonSettings::default(),
        &NoKnobs {},
        Instant::now(),
    );
    assert_eq!(outcome.status, Status::Infeasible);
    assert!(outcome.plan.is_none());
    assert!(
        outcome.reasons.iter().any(|r| r.contains("capacity")),
        "reasons: {:?}",
        outcome.reasons
    );
}

/// `max_migrations_per_vm` on every tiny instance, at limits 0, 1 and 2: exact equals the
/// brute-force optimum under the limit, and every solver's plan keeps it (the evaluator checks)
/// and is never below that optimum. With limit 0 no VM may move, so the optimum is staying.
#[test]
fn every_solver_keeps_max_migrations_per_vm() {
    use wattshift::solvers::{SolverSettings, SOLVERS};
    let mut binding = 0;
    for name in TINY {
        for cap in [0, 1, 2] {
            let mut instance = tiny(name);
            let free = instance.params.max_migrations_per_vm.is_none();
            instance.params.max_migrations_per_vm = Some(cap);
            let costs = Costs::new(&instance);
            let brute = enumerate_all(&costs);
            let Some((best, _)) = brute.best.as_ref() else {
                let outcome = exact::solve(
                    &costs,
                    &CommonSettings::default(),
                    &NoKnobs {},
                    Instant::now(),
                );
                assert_eq!(outcome.status, Status::Infeasible, "{name}, cap {cap}");
                continue;
            };
            if free && brute.best_ignoring.contains_key("max_migrations_per_vm") {
                binding += 1;
            }
            let tolerance = 1e-6 * best.abs().max(1e-3);
            for (solver, _) in SOLVERS {
                let settings = SolverSettings::default_for(solver).unwrap();
                let common = CommonSettings {
                    time_limit_s: Some(20.0),
                    ..CommonSettings::default()
                };
                let outcome = settings.solve(&costs, &common, Instant::now());
                let Some(plan) = &outcome.plan else {
                    assert_ne!(
                        outcome.status,
                        Status::Optimal,
                        "{name}, cap {cap}, {solver}"
                    );
                    continue;
                };
                let e = evaluate(&costs, plan);
                assert!(
                    e.is_feasible(),
                    "{name}, cap {cap}, {solver}: {:?}",
                    e.named_violations(&costs)
                );
                assert!(
                    e.objective_eur >= best - tolerance,
                    "{name}, cap {cap}, {solver}: {} below the optimum {best}",
                    e.objective_eur
                );
                if *solver == "exact" {
                    assert_eq!(outcome.status, Status::Optimal, "{name}, cap {cap}");
                    assert!(
                        (e.objective_eur - best).abs() <= tolerance,
                        "{name}, cap {cap}: exact {} vs brute force {best}",
                        e.objective_eur
                    );
                }
                if let Some(bound) = outcome.bound_eur {
                    assert!(
                        bound <= best + tolerance,
                        "{name}, cap {cap}, {solver}: bound {bound} above {best}"
                    );
                }
            }
        }
    }
    // The limit binds (a cheaper plan breaks only it) on most instances and limits.
    assert!(binding >= 8, "the limit binds in only {binding} cases");
}
