//! The parallel windowed solver: feasible plans, valid bounds, the same plan with any threads.

use std::time::Instant;

use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::solvers::{exact, windows, CommonSettings, NoKnobs, Status, WindowsSettings};

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn windows_plans_are_feasible_and_bounded_by_the_optimum() {
    for name in crate::oracle::TINY {
        let instance = crate::oracle::tiny(name);
        let costs = Costs::new(&instance);
        let optimum = exact::solve(
            &costs,
            &CommonSettings::default(),
            &NoKnobs {},
            Instant::now(),
        );
        let optimum = evaluate(&costs, optimum.plan.as_ref().unwrap()).objective_eur;
        let tolerance = 1e-6 * optimum.abs().max(1e-3);
        // Both whole-horizon bounds are bounds.
        let whole = exact::Horizon::whole(&costs);
        let settings = CommonSettings::default();
        let lp = exact::relaxation_bound(&costs, &whole, &settings, None).expect("an LP bound");
        let root = exact::lp_bound(&costs, &whole, &settings, None).expect("a root bound");
        for (what, bound) in [("LP", lp), ("root", root)] {
            assert!(
                bound <= optimum + tolerance,
                "{name}: {what} bound {bound} above the optimum {optimum}"
            );
        }
        // Blocks of one and two windows and one block over the whole horizon, site groups of
        // one, two (round-robin pairs) and every site, either whole-horizon bound, with and
        // without polishing.
        for (block_windows, neighbourhood_sites, root_bound, polish) in [
            (1, 3, true, true),
            (2, 1, false, false),
            (2, 2, true, true),
            (1, 0, false, false),
            (24, 2, false, false),
            (24, 2, true, true),
        ] {
            let settings = WindowsSettings {
                block_windows,
                neighbourhood_sites,
                root_bound,
                polish,
                ..WindowsSettings::default()
            };
            let case = format!("{name} ({settings:?})");
            let outcome = windows::solve(
                &costs,
                &CommonSettings::default(),
                &settings,
                Instant::now(),
            );
            let plan = outcome.plan.expect("a plan");
            let evaluation = evaluate(&costs, &plan);
            assert!(
                evaluation.is_feasible(),
                "{case}: {:?}",
                evaluation.violations
            );
            assert!(
                evaluation.objective_eur >= optimum - tolerance,
                "{case}: below the optimum"
            );
            let bound = outcome.bound_eur.expect("a bound");
            assert!(
                bound <= optimum + tolerance,
                "{case}: bound {bound} above the optimum {optimum}"
            );
            assert!(matches!(outcome.status, Status::Feasible | Status::Optimal));
        }
    }
}

/// A per-window candidate list binds the MILP: a VM held to one site in one window is there,
/// and free in the others.
#[test]
fn per_window_candidates_hold_a_vm_where_they_say() {
    let instance = crate::oracle::tiny("tiny-capacity");
    let costs = Costs::new(&instance);
    let settings = CommonSettings::default();
    let free = exact::solve(&costs, &settings, &NoKnobs {}, Instant::now());
    let free_plan = free.plan.expect("a plan");
    let windows = instance.num_windows();
    // Hold some VM, in its last window, to a site the optimum does not use there.
    let (v, site) = (0..instance.num_vms())
        .flat_map(|v| (0..instance.num_sites()).map(move |s| (v, s)))
        .find(|&(v, s)| {
            free_plan.site[[v, windows - 1]] != s
                && costs.is_allowed(v, s)
                && evaluate(&costs, &{
                    let mut p = free_plan.clone();
                    p.site[[v, windows - 1]] = s;
                    p
                })
                .is_feasible()
        })
        .expect("some VM can go elsewhere");
    let candidates: Vec<Vec<Vec<usize>>> = (0..instance.num_vms())
        .map(|u| {
            (0..windows)
                .map(|t| {
                    if u == v && t == windows - 1 {
                        vec![site]
                    } else {
                        (0..instance.num_sites()).collect()
                    }
                })
                .collect()
        })
        .collect();
    let horizon = exact::Horizon {
        candidates: Some(candidates),
        ..exact::Horizon::whole(&costs)
    };
    let stay = wattshift::domain::plan::Plan::stay(&instance);
    let held = exact::solve_horizon(&costs, &horizon, &stay, None, &settings, None);
    let plan = held.plan.expect("a plan with the VM held");
    assert_eq!(plan.site[[v, windows - 1]], site);
    let e = evaluate(&costs, &plan);
    assert!(e.is_feasible(), "{:?}", e.violations);
    let optimum = evaluate(&costs, &free_plan).objective_eur;
    assert!(e.objective_eur >= optimum - 1e-9 * optimum.abs().max(1.0));
}

#[test]
fn windows_gives_the_same_plan_with_one_thread_and_two() {
    let options = wattshift::generate::GenerateOptions {
        sites: 3,
        vms: 12,
        windows: 8,
        seed: 4,
        ..Default::default()
    };
    let instance = wattshift::generate::generate(&options).unwrap().instance;
    let costs = Costs::new(&instance);
    // Coordination never makes the start worse: it beats or matches staying put; and on this
    // small instance it lands within a few percent of the exact optimum.
    let stay = evaluate(&costs, &wattshift::domain::plan::Plan::stay(&instance)).objective_eur;
    let exact = exact::solve(
        &costs,
        &CommonSettings::default(),
        &NoKnobs {},
        Instant::now(),
    );
    let optimum = evaluate(&costs, exact.plan.as_ref().unwrap()).objective_eur;
    // Blocks of two windows in groups of three sites (the default), and one block over the
    // whole horizon in round-robin pairs of sites.
    for (block_windows, neighbourhood_sites) in [(2, 3), (8, 2)] {
        let settings = WindowsSettings {
            block_windows,
            neighbourhood_sites,
            ..WindowsSettings::default()
        };
        let common = CommonSettings::default();
        let one = in_pool(1, || {
            windows::solve(&costs, &common, &settings, Instant::now())
        });
        let two = in_pool(2, || {
            windows::solve(&costs, &common, &settings, Instant::now())
        });
        assert_eq!(one.plan, two.plan, "{settings:?}");
        assert_eq!(one.bound_eur, two.bound_eur, "{settings:?}");
        let e = evaluate(&costs, one.plan.as_ref().unwrap());
        assert!(e.is_feasible(), "{settings:?}");
        assert!(e.objective_eur <= stay + 1e-12, "{settings:?}");
        assert!(
            e.objective_eur <= optimum + 0.05 * optimum.abs(),
            "{settings:?}: {} vs {optimum}",
            e.objective_eur
        );
    }
}

/// Under `max_migrations_per_vm`, blocks re-solved side by side share each VM's allowance:
/// with blocks of two windows (several per colour round), every plan keeps the limit, is the
/// same with one thread and two, never beats the exact optimum under the limit and stays
/// within a few percent of it.
#[test]
fn windows_keeps_max_migrations_per_vm_across_blocks() {
    let options = wattshift::generate::GenerateOptions {
        sites: 3,
        vms: 12,
        windows: 12,
        seed: 7,
        ..Default::default()
    };
    let mut instance = wattshift::generate::generate(&options).unwrap().instance;
    // Moves that cost nothing, so that VMs follow the prices from site to site.
    instance.params.energy_j_fixed = 0.0;
    instance.params.energy_j_per_mb = 0.0;
    for vm in &mut instance.vms {
        vm.penalty_eur_per_s = 0.0;
        vm.downtime_eur_per_s = 0.0;
    }
    for link in &mut instance.links {
        link.eur_per_gb = 0.0;
    }
    let free = {
        let costs = Costs::new(&instance);
        let plan = exact::solve(
            &costs,
            &CommonSettings::default(),
            &NoKnobs {},
            Instant::now(),
        )
        .plan
        .unwrap();
        (0..instance.num_vms())
            .map(|v| plan.migrations_of(&instance, v))
            .max()
            .unwrap()
    };
    assert!(
        free >= 2,
        "the free optimum moves a VM {free} times: the limit would not bind"
    );
    for cap in [1, free - 1] {
        instance.params.max_migrations_per_vm = Some(cap);
        let costs = Costs::new(&instance);
        let exact = exact::solve(
            &costs,
            &CommonSettings::default(),
            &NoKnobs {},
            Instant::now(),
        );
        assert_eq!(exact.status, wattshift::solvers::Status::Optimal);
        let optimum = evaluate(&costs, exact.plan.as_ref().unwrap()).objective_eur;
        let settings = WindowsSettings {
            block_windows: 2,
            ..WindowsSettings::default()
        };
        let common = CommonSettings::default();
        let one = in_pool(1, || {
            windows::solve(&costs, &common, &settings, Instant::now())
        });
        let two = in_pool(2, || {
            windows::solve(&costs, &common, &settings, Instant::now())
        });
        assert_eq!(one.plan, two.plan, "cap {cap}");
        let plan = one.plan.as_ref().unwrap();
        let e = evaluate(&costs, plan);
        assert!(
            e.is_feasible(),
            "cap {cap}: {:?}",
            e.named_violations(&costs)
        );
        for v in 0..instance.num_vms() {
            assert!(plan.migrations_of(&instance, v) <= cap);
        }
        assert!(e.objective_eur >= optimum - 1e-9 * optimum.abs().max(1.0));
        assert!(
            e.objective_eur <= optimum + 0.05 * optimum.abs(),
            "cap {cap}: {} vs {optimum}",
            e.objective_eur
        );
    }
}
