//! One data-driven test over the fixtures: each `tests/data/tiny-*/expected.toml` holds the
//! result an independent implementation found (status, optimum, baseline, the constraints that
//! bind), and every solver is checked against it (rust-analyzer's `check(input, expect)`).
//! The optimum comes from the file, not from an enumeration through our own evaluator, so a
//! bug shared by the evaluator and the solvers cannot hide here.

use std::path::Path;
use std::time::Instant;

use serde::Deserialize;
use wattshift::domain::plan::Plan;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::solvers::{exact, CommonSettings, NoKnobs, SolverSettings, Status, SOLVERS};

use crate::oracle::{enumerate_all, tiny};

/// The expected result of a fixture.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    status: String,
    objective_eur: f64,
    /// A number, or "infeasible" where staying breaks a constraint.
    baseline_eur: toml::Value,
    binding: Vec<String>,
}

fn expected(name: &str) -> Expected {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .join("expected.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every fixture directory, found on disk: a new fixture is checked without touching this file.
pub fn fixtures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("sites.csv").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn every_fixture_has_its_expected_result() {
    let names = fixtures();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let want = expected(&name);
        let instance = tiny(&name);
        let costs = Costs::new(&instance);

        // The stay baseline.
        let stay = evaluate(&costs, &Plan::stay(&instance));
        match &want.baseline_eur {
            toml::Value::Float(b) => {
                assert!(stay.is_feasible(), "{name}: staying should be feasible");
                assert!(
                    close(stay.objective_eur, *b),
                    "{name}: stay {}",
                    stay.objective_eur
                );
            }
            other => {
                assert_eq!(other.as_str(), Some("infeasible"), "{name}");
                assert!(
                    !stay.is_feasible(),
                    "{name}: staying should break a constraint"
                );
            }
        }

        // Exact: the status and optimum of the reference, and a bound not above it.
        let outcome = exact::solve(
            &costs,
            &CommonSettings::default(),
            &NoKnobs {},
            Instant::now(),
        );
        assert_eq!(outcome.status.name(), want.status, "{name}");
        let plan = outcome
            .plan
            .as_ref()
            .expect("an optimal outcome has a plan");
        let got = evaluate(&costs, plan);
        assert!(got.is_feasible(), "{name}: {:?}", got.violations);
        assert!(
            close(got.objective_eur, want.objective_eur),
            "{name}: exact {} against the reference {}",
            got.objective_eur,
            want.objective_eur
        );
        let bound = outcome.bound_eur.expect("a bound");
        assert!(bound <= want.objective_eur + 1e-9, "{name}: bound {bound}");
        for bound in [
            exact::relaxation_bound(
                &costs,
                &exact::Horizon::whole(&costs),
                &CommonSettings::default(),
                None,
            ),
            exact::lp_bound(
                &costs,
                &exact::Horizon::whole(&costs),
                &CommonSettings::default(),
                None,
            ),
        ]
        .into_iter()
        .flatten()
        {
            assert!(bound <= want.objective_eur + 1e-9, "{name}: bound {bound}");
        }

        // The fleet decomposition's bound: never above the optimum.
        let decomposition = wattshift::solvers::lagrange::lower_bound(
            &costs,
            Some(want.objective_eur),
            200,
            &|| false,
        );
        let bound = decomposition.bound_eur.expect("a decomposition bound");
        assert!(
            bound <= want.objective_eur + 1e-9,
            "{name}: decomposition bound {bound} above the optimum {}",
            want.objective_eur
        );

        // Every solver: a feasible plan never below the reference optimum; none claims optimal
        // for a plan above it.
        for (solver, _) in SOLVERS {
            let settings = SolverSettings::default_for(solver).unwrap();
            let outcome = settings.solve(&costs, &CommonSettings::default(), Instant::now());
            let Some(plan) = &outcome.plan else {
                assert_ne!(outcome.status, Status::Optimal, "{name}, {solver}");
                continue;
            };
            let e = evaluate(&costs, plan);
            assert!(e.is_feasible(), "{name}, {solver}: {:?}", e.violations);
            assert!(
                e.objective_eur >= want.objective_eur - 1e-9,
                "{name}, {solver}: {} below the reference optimum {}",
                e.objective_eur,
                want.objective_eur
            );
            if outcome.status == Status::Optimal {
                assert!(
                    close(e.objective_eur, want.objective_eur),
                    "{name}, {solver}"
                );
            }
            if let Some(bound) = outcome.bound_eur {
                assert!(
                    bound <= want.objective_eur + 1e-9,
                    "{name}, {solver}: bound {bound}"
                );
            }
        }

        // What binds: the constraints whose violations, ignored, allow a cheaper plan.
        let enumerated = enumerate_all(&costs);
        let mut binding: Vec<String> = enumerated
            .best_ignoring
            .iter()
            .filter(|(_, &relaxed)| {
                relaxed < want.objective_eur - 1e-9 * want.objective_eur.abs().max(1.0)
            })
            .map(|(kind, _)| kind.to_string())
            .collect();
        binding.sort();
        assert_eq!(binding, want.binding, "{name}: binding constraints");
    }
}

/// Where the cost is linear in the load (no idle power, no renewables, hosts to spare) the
/// decomposition is exact: its first prices are the true marginal costs, so its bound is the
/// optimum itself. A wrong path, a wrong site subproblem or a wrong sign would show here.
#[test]
fn the_decomposition_bound_is_the_optimum_where_costs_are_linear() {
    use crate::common::InstanceFiles;
    let windows: String = (0..4)
        .map(|t| format!("{t},a,{},0,0\n{t},b,{},0,0\n", 100 + 40 * t, 220 - 40 * t))
        .collect();
    let files = InstanceFiles::valid()
        .with(
            "sites.csv",
            "site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue\na,8,4,16,0,200,1.2\nb,8,4,16,0,200,1.5\n",
        )
        .with(
            "vms.csv",
            "vm,site,cpu,mem_gib,util,migration,penalty_eur_per_s\n\
             v1,a,4,16,0.9,postcopy,0.00001\nv2,b,2,8,0.5,postcopy,0\nv3,a,1,2,0.2,pinned,0\n",
        )
        .with(
            "links.csv",
            "from,to,bandwidth_gbps,latency_ms,eur_per_gb\na,b,10,1,0.001\n",
        )
        .with(
            "windows.csv",
            format!("window,site,price_eur_mwh,renewable_kw,carbon_g_kwh\n{windows}"),
        )
        .without("usage.csv")
        .without("params.toml");
    let instance = files.read().expect("valid instance");
    let costs = Costs::new(&instance);
    let outcome = exact::solve(
        &costs,
        &CommonSettings::default(),
        &NoKnobs {},
        Instant::now(),
    );
    assert_eq!(outcome.status, Status::Optimal);
    let optimum = evaluate(&costs, outcome.plan.as_ref().unwrap()).objective_eur;
    let stay = evaluate(&costs, &Plan::stay(&instance)).objective_eur;
    assert!(optimum < stay, "premise: moving pays ({optimum} vs {stay})");
    let bound = wattshift::solvers::lagrange::lower_bound(&costs, Some(optimum), 50, &|| false)
        .bound_eur
        .expect("a bound");
    assert!(
        (bound - optimum).abs() <= 1e-9 * optimum.abs().max(1.0),
        "bound {bound} against the optimum {optimum}"
    );
}
