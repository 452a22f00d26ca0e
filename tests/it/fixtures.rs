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
fn fixtures() -> Vec<String> {
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
