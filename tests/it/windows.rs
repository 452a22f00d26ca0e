//! The parallel windowed solver: feasible plans, valid bounds, the same plan with any threads.

use std::time::Instant;

use wattshift::costs::Costs;
use wattshift::evaluate::evaluate;
use wattshift::solvers::{exact, windows, SolveSettings, Status};

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
        let optimum = exact::solve(&costs, &SolveSettings::default(), Instant::now());
        let optimum = evaluate(&costs, optimum.plan.as_ref().unwrap()).objective_eur;
        let settings = SolveSettings {
            block_windows: 1,
            ..SolveSettings::default()
        };
        let outcome = windows::solve(&costs, &settings, Instant::now());
        let plan = outcome.plan.expect("a plan");
        let evaluation = evaluate(&costs, &plan);
        assert!(
            evaluation.is_feasible(),
            "{name}: {:?}",
            evaluation.violations
        );
        let tolerance = 1e-6 * optimum.abs().max(1e-3);
        assert!(
            evaluation.objective_eur >= optimum - tolerance,
            "{name}: below the optimum"
        );
        let bound = outcome.bound_eur.expect("a bound");
        assert!(
            bound <= optimum + tolerance,
            "{name}: bound {bound} above the optimum {optimum}"
        );
        assert!(matches!(outcome.status, Status::Feasible | Status::Optimal));
    }
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
    let settings = SolveSettings {
        block_windows: 2,
        ..SolveSettings::default()
    };
    let one = in_pool(1, || windows::solve(&costs, &settings, Instant::now()));
    let two = in_pool(2, || windows::solve(&costs, &settings, Instant::now()));
    assert_eq!(one.plan, two.plan);
    assert_eq!(one.bound_eur, two.bound_eur);
    let plan = one.plan.unwrap();
    let e = evaluate(&costs, &plan);
    assert!(e.is_feasible());
    // Coordination never makes the start worse: it beats or matches staying put.
    let stay = evaluate(&costs, &wattshift::plan::Plan::stay(&instance));
    assert!(e.objective_eur <= stay.objective_eur + 1e-12);
    // And it lands within a few percent of the exact optimum on this small instance.
    let exact = exact::solve(&costs, &SolveSettings::default(), Instant::now());
    let optimum = evaluate(&costs, exact.plan.as_ref().unwrap()).objective_eur;
    assert!(
        e.objective_eur <= optimum + 0.05 * optimum.abs(),
        "{} vs {optimum}",
        e.objective_eur
    );
}
