//! The heuristics (greedy, pabfd, paths, local) on every shipped small instance and a generated one:
//! their plans pass the evaluator, local never worsens its start, no heuristic beats brute
//! force, and the plans do not depend on the number of threads.

use std::path::Path;
use std::time::Instant;

use wattshift::domain::instance::Instance;
use wattshift::domain::plan::Plan;
use wattshift::generate::{generate, GenerateOptions};
use wattshift::io::read::read_instance;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::solvers::repair::repair;
use wattshift::solvers::{
    CommonSettings, LocalSettings, Outcome, PathsSettings, SolverSettings, StartSolver, Status,
    WindowsSettings,
};

use crate::oracle::{tiny, TINY};

const HEURISTICS: [&str; 4] = ["greedy", "pabfd", "paths", "local"];

const SHIPPED: [&str; 4] = [
    "instances/paper-testbed",
    "instances/mesh-latency",
    "instances/mixed-kinds",
    "instances/eu-day",
];

/// The settings this file runs every heuristic with.
#[derive(Debug, Clone)]
struct Settings {
    common: CommonSettings,
    iterations: usize,
    restarts: usize,
    start: StartSolver,
}

/// Fewer proposals than the default, so that the whole file runs in seconds.
fn settings() -> Settings {
    Settings {
        common: CommonSettings {
            seed: 5,
            ..CommonSettings::default()
        },
        iterations: 3000,
        restarts: 3,
        start: StartSolver::Paths,
    }
}

/// `settings` with another seed or start.
fn with_seed(seed: u64) -> Settings {
    let mut s = settings();
    s.common.seed = seed;
    s
}

fn starting_from(start: StartSolver) -> Settings {
    Settings {
        start,
        ..settings()
    }
}

/// The solver called `name` with the knobs of `s`.
fn knobs(name: &str, s: &Settings) -> SolverSettings {
    match SolverSettings::default_for(name).unwrap_or_else(|| panic!("{name} is not registered")) {
        SolverSettings::Paths(_) => SolverSettings::Paths(PathsSettings {
            restarts: s.restarts,
        }),
        SolverSettings::Local(_) => SolverSettings::Local(LocalSettings {
            restarts: s.restarts,
            iterations: s.iterations,
            start: s.start,
        }),
        SolverSettings::Windows(w) => SolverSettings::Windows(WindowsSettings {
            restarts: s.restarts,
            iterations: s.iterations,
            start: s.start,
            ..w
        }),
        other => other,
    }
}

fn shipped(name: &str) -> Instance {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    read_instance(&dir).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn generated() -> Instance {
    let options = GenerateOptions {
        sites: 4,
        vms: 40,
        windows: 12,
        ..GenerateOptions::default()
    };
    generate(&options).expect("generates").instance
}

/// Every instance of this file, by name.
fn instances() -> Vec<(String, Instance)> {
    let mut all: Vec<(String, Instance)> = TINY
        .iter()
        .map(|name| (name.to_string(), tiny(name)))
        .collect();
    all.extend(SHIPPED.iter().map(|name| (name.to_string(), shipped(name))));
    all.push(("generated 4x40x12".to_string(), generated()));
    all
}

fn run(costs: &Costs, solver: &str, settings: &Settings) -> Outcome {
    knobs(solver, settings).solve(costs, &settings.common, Instant::now())
}

/// Runs `solver` and checks that it returned a feasible plan; returns the evaluator's objective.
fn feasible_objective(name: &str, costs: &Costs, solver: &str, settings: &Settings) -> f64 {
    let outcome = run(costs, solver, settings);
    assert_eq!(
        outcome.status,
        Status::Feasible,
        "{name}, {solver}: {:?}",
        outcome.reasons
    );
    assert_eq!(
        outcome.bound_eur, None,
        "{name}, {solver}: no bound claimed"
    );
    let plan = outcome.plan.expect("a feasible outcome has a plan");
    let evaluation = evaluate(costs, &plan);
    assert!(
        evaluation.is_feasible(),
        "{name}, {solver}: {:?}",
        evaluation.violations
    );
    evaluation.objective_eur
}

#[test]
fn heuristic_plans_pass_the_evaluator_and_local_never_worsens_its_start() {
    for (name, instance) in instances() {
        let costs = Costs::new(&instance);
        let stay = evaluate(&costs, &Plan::stay(&instance));
        // The heuristics promise a plan whenever the repaired stay plan exists.
        let repaired = repair(&costs, &Plan::stay(&instance))
            .unwrap_or_else(|| panic!("{name}: the test expects a repairable stay plan"));
        let repaired = evaluate(&costs, &repaired);
        let greedy = feasible_objective(&name, &costs, "greedy", &settings());
        let pabfd = feasible_objective(&name, &costs, "pabfd", &settings());
        let paths = feasible_objective(&name, &costs, "paths", &settings());
        // Paths starts from the repaired stay plan and only takes cheaper paths.
        assert!(
            paths <= repaired.objective_eur,
            "{name}: paths {paths} > its start, the repaired stay plan {}",
            repaired.objective_eur
        );
        let local = feasible_objective(&name, &costs, "local", &settings());
        assert!(
            local <= paths,
            "{name}: local {local} > its default start paths {paths}"
        );
        for (start, start_objective) in [(StartSolver::Greedy, greedy), (StartSolver::Pabfd, pabfd)]
        {
            let from_start = starting_from(start);
            let improved = feasible_objective(&name, &costs, "local", &from_start);
            assert!(
                improved <= start_objective,
                "{name}: local {improved} > its start {start:?} {start_objective}"
            );
        }
        let from_stay = starting_from(StartSolver::Stay);
        if stay.is_feasible() {
            let local_from_stay = feasible_objective(&name, &costs, "local", &from_stay);
            assert!(
                local_from_stay <= stay.objective_eur,
                "{name}: local {local_from_stay} > its start stay {}",
                stay.objective_eur
            );
        } else {
            // Without a start there is nothing to improve: local passes the start's verdict on.
            let outcome = run(&costs, "local", &from_stay);
            assert_eq!(outcome.status, Status::Infeasible, "{name}");
            assert!(
                outcome.plan.is_none() && !outcome.reasons.is_empty(),
                "{name}"
            );
        }
    }
}

/// The optimum is exact's, proven by HiGHS, not an enumeration through the evaluator the
/// heuristics are judged by (tests/it/fixtures.rs also checks both against the independent
/// reference values).
#[test]
fn no_heuristic_beats_exacts_proven_optimum_on_tiny_instances() {
    for name in TINY {
        let instance = tiny(name);
        let costs = Costs::new(&instance);
        let outcome = wattshift::solvers::exact::solve(
            &costs,
            &CommonSettings::default(),
            &wattshift::solvers::NoKnobs {},
            Instant::now(),
        );
        assert_eq!(outcome.status, Status::Optimal, "{name}");
        let optimum = outcome.bound_eur.expect("a proven bound");
        for solver in HEURISTICS {
            let objective = feasible_objective(name, &costs, solver, &settings());
            assert!(
                objective >= optimum - 1e-9,
                "{name}, {solver}: {objective} below exact's proven optimum {optimum}"
            );
        }
    }
}

#[test]
fn heuristic_plans_are_the_same_with_one_thread_and_with_two() {
    let pool = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    };
    let (one, two) = (pool(1), pool(2));
    for (name, instance) in instances() {
        for solver in HEURISTICS {
            let solve = || {
                let costs = Costs::new(&instance);
                let outcome = run(&costs, solver, &settings());
                (outcome.status, outcome.plan)
            };
            let with_one = one.install(solve);
            let with_two = two.install(solve);
            assert!(with_one.1.is_some(), "{name}, {solver}: no plan");
            assert_eq!(with_one, with_two, "{name}, {solver}: depends on threads");
        }
    }
}

#[test]
fn local_search_gives_the_same_plan_for_the_same_seed() {
    let instance = shipped("instances/eu-day");
    let costs = Costs::new(&instance);
    let plan_with = |seed: u64| run(&costs, "local", &with_seed(seed)).plan.expect("a plan");
    assert_eq!(plan_with(9), plan_with(9));
}

#[test]
fn local_search_cannot_be_told_to_start_from_itself_or_an_unknown_solver() {
    // A start solver is an enum of the solvers that start from no one else's plan: a cycle
    // cannot be written, and the configuration names the key that tried.
    for start in ["local", "windows", "no-such-solver"] {
        let text = format!("solver = \"local\"\nstart_solver = \"{start}\"\n");
        let error = wattshift::config::parse("cycle", &text, "cycle.toml").unwrap_err();
        assert_eq!(error.line, Some(2), "{error}");
        assert_eq!(error.column.as_deref(), Some("start_solver"), "{error}");
        assert!(error.message.contains(start), "{error}");
    }
}

#[test]
fn heuristics_that_find_no_plan_say_what_breaks_the_stay_plan() {
    let mut instance = tiny("tiny-capacity");
    // More CPU than all sites together hold: there is no plan, and no heuristic can prove it.
    for vm in instance.vms.iter_mut() {
        vm.cpu = 1000.0;
    }
    let costs = Costs::new(&instance);
    for solver in HEURISTICS {
        let outcome = run(&costs, solver, &settings());
        assert!(outcome.plan.is_none(), "{solver}");
        assert_eq!(outcome.status, Status::Unknown, "{solver}");
        assert!(
            outcome.reasons.iter().any(|r| r.contains("capacity")),
            "{solver}: {:?}",
            outcome.reasons
        );
    }
}

/// One VM at the dear site `a`: moving to `b` saves less than the migration costs in any one
/// window but more over the horizon. Greedy, which weighs one window at a time, stays; paths,
/// which prices the whole path, moves at once and stays at `b`.
#[test]
fn paths_takes_a_move_that_pays_only_over_several_windows() {
    use crate::common::InstanceFiles;
    let windows: String = (0..4)
        .map(|t| format!("{t},a,200,0,0\n{t},b,100,0,0\n"))
        .collect();
    let files = InstanceFiles::valid()
        .with(
            "sites.csv",
            "site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue\na,2,4,16,100,200,1\nb,2,4,16,100,200,1\n",
        )
        .with("vms.csv", "vm,site,cpu,mem_gib,util\nv1,a,4,16,0\n")
        .with(
            "links.csv",
            "from,to,bandwidth_gbps,latency_ms,eur_per_gb\na,b,10,1,0.0014\n",
        )
        .with(
            "windows.csv",
            format!("window,site,price_eur_mwh,renewable_kw,carbon_g_kwh\n{windows}"),
        )
        .without("usage.csv")
        .without("params.toml");
    let instance = files.read().expect("valid instance");
    let costs = Costs::new(&instance);
    // The premise: 0.01 EUR saved per window, a migration dearer than that, four windows.
    let estimate = costs.migration(0, 0, 1).expect("a migration to b");
    let move_eur = costs.migration_cost(0, 0, 1, 0, estimate).total_eur();
    assert!(
        move_eur > 0.01 && move_eur < 0.04,
        "premise: migration costs {move_eur} EUR"
    );
    let greedy = run(&costs, "greedy", &settings()).plan.unwrap();
    assert!(
        greedy.site.iter().all(|&s| s == 0),
        "greedy moved: {greedy:?}"
    );
    let paths = run(&costs, "paths", &settings()).plan.unwrap();
    assert!(
        paths.site.iter().all(|&s| s == 1),
        "paths stayed: {paths:?}"
    );
    let saved = evaluate(&costs, &greedy).objective_eur - evaluate(&costs, &paths).objective_eur;
    assert!((saved - (0.04 - move_eur)).abs() < 1e-9, "saved {saved}");
}

/// `fleet`: the same plan and the same bound with one thread and with two, and its bound never
/// above exact's proven optimum.
#[test]
fn fleet_is_deterministic_and_its_bound_holds() {
    let pool = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    };
    let fleet = SolverSettings::Fleet(wattshift::solvers::FleetSettings {
        iterations: 3000,
        bound_iterations: 50,
        ..Default::default()
    });
    for (name, instance) in instances() {
        let costs = Costs::new(&instance);
        let run = || fleet.solve(&costs, &CommonSettings::default(), Instant::now());
        let one = pool(1).install(run);
        let two = pool(2).install(run);
        assert_eq!(one.plan, two.plan, "{name}");
        assert_eq!(one.bound_eur, two.bound_eur, "{name}");
        let plan = one.plan.expect("a plan");
        let e = evaluate(&costs, &plan);
        assert!(e.is_feasible(), "{name}");
        if let Some(bound) = one.bound_eur {
            assert!(
                bound <= e.objective_eur + 1e-9,
                "{name}: bound above its own plan"
            );
        }
    }
}
