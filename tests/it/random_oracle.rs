//! Random tiny instances: the exact planner never panics, every plan it returns passes the
//! evaluator, and its objective equals the best found by enumerating every placement.

use std::time::Instant;

use ndarray::Array2;
use proptest::prelude::*;
use wattshift::domain::instance::{
    Instance, Link, MigrationKind, MigrationProfile, Params, Site, Vm,
};
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::solvers::{exact, CommonSettings, NoKnobs, Status};

fn site(
    i: usize,
    hosts: u32,
    idle_w: f64,
    pue: f64,
    overcommit: f64,
    max_mig: Option<u32>,
) -> Site {
    Site {
        id: format!("s{i}"),
        hosts,
        host_cpu: 4.0,
        host_mem_gib: 16.0,
        idle_w,
        peak_w: idle_w + 150.0,
        pue,
        cpu_overcommit: overcommit,
        max_migrations: max_mig,
        zone: String::new(),
        annotations: Vec::new(),
    }
}

prop_compose! {
    fn arb_instance()(
        num_sites in 2usize..=3,
        num_vms in 1usize..=3,
        windows in 1usize..=2,
        seed_prices in prop::collection::vec(-100.0f64..300.0, 9),
        renewables in prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..0.6], 9),
        hosts in prop::collection::vec(0u32..=2, 3),
        idle in prop::collection::vec(prop_oneof![Just(0.0), 50.0f64..200.0], 3),
        max_mig in prop::collection::vec(prop_oneof![Just(None), Just(Some(0u32)), Just(Some(1u32))], 3),
        vm_cpu in prop::collection::vec(1u32..=4, 3),
        vm_mem in prop::collection::vec(1u32..=12, 3),
        vm_site in prop::collection::vec(0usize..3, 3),
        kinds in prop::collection::vec(0usize..6, 3),
        dirty in prop::collection::vec(prop_oneof![Just(0.0), 1.0f64..400.0], 3),
        utils in prop::collection::vec(0.0f64..=1.0, 6),
        anti in prop::collection::vec(prop::bool::ANY, 3),
        restrict in prop::collection::vec(prop::bool::ANY, 3),
        bandwidth in prop::collection::vec(prop_oneof![Just(0.0), 0.1f64..20.0], 3),
        penalty in 0.0f64..0.01,
        window_hours in prop_oneof![Just(1.0), Just(0.05)],
        carbon_price in prop_oneof![Just(0.0), Just(100.0)],
        concurrency in 1u32..=2,
        per_vm in prop_oneof![Just(None), Just(Some(0u32)), Just(Some(1u32))],
    ) -> Instance {
        let sites: Vec<Site> = (0..num_sites)
            .map(|i| site(i, hosts[i] + 1, idle[i], 1.0 + i as f64 * 0.2, if i == 1 { 2.0 } else { 1.0 }, max_mig[i]))
            .collect();
        let vms: Vec<Vm> = (0..num_vms)
            .map(|v| Vm {
                id: format!("v{v}"),
                initial_site: vm_site[v] % num_sites,
                cpu: vm_cpu[v] as f64,
                mem_gib: vm_mem[v] as f64,
                util: utils[v],
                profile: MigrationProfile {
                    kind: MigrationKind::ALL[kinds[v]],
                    mem_used_gib: vm_mem[v] as f64 * 0.5,
                    wss_gib: vm_mem[v] as f64 * 0.25,
                    disk_gib: 10.0,
                    dirty_mib_s: dirty[v],
                    disk_write_mib_s: dirty[v] / 10.0,
                    boot_s: 30.0,
                },
                allowed_sites: restrict[v].then(|| vec![(v + 1) % num_sites, (v + 2) % num_sites]),
                anchor_site: None,
                max_latency_ms: None,
                anti_affinity: anti[v].then(|| "pair".to_string()),
                penalty_eur_per_s: penalty,
                downtime_eur_per_s: penalty * 10.0,
                annotations: Vec::new(),
            })
            .collect();
        let mut links = Vec::new();
        for (i, &gbps) in bandwidth.iter().enumerate().take(num_sites) {
            let (a, b) = (i, (i + 1) % num_sites);
            if gbps > 0.0 && a < b {
                links.push(Link { from: a, to: b, bandwidth_gbps: gbps, latency_ms: 1.0, eur_per_gb: 0.01 });
            }
        }
        let price = Array2::from_shape_fn((windows, num_sites), |(t, s)| seed_prices[t * 3 + s]);
        let renewable = Array2::from_shape_fn((windows, num_sites), |(t, s)| renewables[t * 3 + s]);
        let carbon = Array2::from_shape_fn((windows, num_sites), |(t, s)| 100.0 + 50.0 * (t + s) as f64);
        let util = Array2::from_shape_fn((num_vms, windows), |(v, t)| utils[(v * 2 + t) % 6]);
        Instance {
            sites,
            vms,
            links,
            params: Params {
                window_hours,
                carbon_eur_per_t: carbon_price,
                concurrency,
                max_migrations_per_vm: per_vm,
                ..Params::default()
            },
            price_eur_mwh: price,
            renewable_kw: renewable,
            carbon_g_kwh: carbon,
            window_start: Array2::from_elem((windows, num_sites), String::new()),
            util,
        }
    }
}

/// The best feasible objective over every placement, if any.
fn brute_force(costs: &Costs) -> Option<f64> {
    crate::oracle::enumerate_all(costs)
        .best
        .map(|(objective, _)| objective)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    #[test]
    fn exact_equals_brute_force_on_random_tiny_instances(instance in arb_instance()) {
        let costs = Costs::new(&instance);
        let best = brute_force(&costs);
        let outcome = exact::solve(&costs, &CommonSettings::default(), &NoKnobs {}, Instant::now());
        match best {
            None => {
                prop_assert_eq!(outcome.status, Status::Infeasible);
                prop_assert!(outcome.plan.is_none());
                prop_assert!(!outcome.reasons.is_empty());
            }
            Some(best) => {
                prop_assert_eq!(outcome.status, Status::Optimal);
                let plan = outcome.plan.expect("plan");
                let evaluation = evaluate(&costs, &plan);
                prop_assert!(evaluation.is_feasible(), "{:?}", evaluation.violations);
                let tolerance = 1e-6 * best.abs().max(1e-3);
                prop_assert!(
                    (evaluation.objective_eur - best).abs() <= tolerance,
                    "exact {} vs brute force {}", evaluation.objective_eur, best
                );
                let bound = outcome.bound_eur.expect("an optimal outcome has a bound");
                prop_assert!((bound - best).abs() <= tolerance, "bound {} vs optimum {}", bound, best);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The fleet decomposition's bound is never above the brute-force optimum, whatever the
    /// target its steps aim at.
    #[test]
    fn the_decomposition_bound_never_exceeds_brute_force(
        instance in arb_instance(),
        target_scale in prop_oneof![Just(None), (0.5f64..3.0).prop_map(Some)],
    ) {
        let costs = Costs::new(&instance);
        if let Some(best) = brute_force(&costs) {
            let target = target_scale.map(|k| best.abs().max(1e-3) * k);
            let out = wattshift::solvers::lagrange::lower_bound(&costs, target, 100, &|| false);
            if let Some(bound) = out.bound_eur {
                let tolerance = 1e-9 * best.abs().max(1.0);
                prop_assert!(bound <= best + tolerance, "bound {} above the optimum {}", bound, best);
            }
        }
    }
}
