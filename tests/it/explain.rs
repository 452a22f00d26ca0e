//! `explain`: every figure agrees with the evaluator, on every fixture and the testbed.

use crate::cli::{plan_dir, repo, wattshift};
use crate::common::TempDir;
use std::path::Path;
use wattshift::domain::plan::Plan;
use wattshift::io::read::{read_instance, read_placement};
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::scoring::explain::{explain_migrations, explain_stay, Loads, Verdict};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The site costs (energy and carbon) of a plan, as the evaluator sums them.
fn site_costs(costs: &Costs, plan: &Plan) -> f64 {
    let e = evaluate(costs, plan);
    e.energy_eur + e.carbon_eur
}

/// Plans `dir` exactly and checks `explain`'s figures against the evaluator.
fn check(dir: &Path, tmp: &TempDir, name: &str) {
    let out = tmp.path().join(name);
    let run = plan_dir(dir, &out, &["--solver", "exact", "-q"]);
    assert!(run.status.success(), "{name}");
    let instance = read_instance(dir).unwrap();
    let plan = read_placement(&out.join("placement.csv"), &instance).unwrap();
    let costs = Costs::new(&instance);
    let evaluation = evaluate(&costs, &plan);
    let explained = explain_migrations(&costs, &plan, &evaluation);
    assert_eq!(explained.len(), evaluation.migrations.len(), "{name}");
    let base = site_costs(&costs, &plan);
    for m in &explained {
        // The saving over the stay is what the plan's site costs rise by if the VM stays
        // behind at its old site over those windows.
        let mut behind = plan.clone();
        for w in m.migration.window..m.migration.window + m.savings_eur.len() {
            behind.site[[m.migration.vm, w]] = m.migration.from;
        }
        let rise = site_costs(&costs, &behind) - base;
        assert!(
            close(m.saving_eur, rise),
            "{name}: {} vs {rise}",
            m.saving_eur
        );
        assert!(close(m.net_eur, m.saving_eur - m.migration.cost_eur));
        let parts = m.migration.penalty_eur
            + m.migration.downtime_eur
            + m.migration.transfer_eur
            + m.migration.energy_eur;
        assert!(close(parts, m.migration.cost_eur), "{name}");
        if let Some(k) = m.payback_windows {
            let first_k: f64 = m.savings_eur[..k].iter().sum();
            assert!(first_k >= m.migration.cost_eur);
            // 1 is the least payback (within the first window), also for a move that costs
            // nothing; a later one means the windows before it did not pay.
            if k > 1 {
                let before: f64 = m.savings_eur[..k - 1].iter().sum();
                assert!(before < m.migration.cost_eur);
            }
        } else {
            assert!(m.saving_eur < m.migration.cost_eur || m.savings_eur.is_empty());
        }
    }
    // An exact plan leaves no move that keeps every constraint and lowers the objective.
    let loads = Loads::new(&costs, &plan);
    for v in 0..instance.num_vms() {
        if let Some(stay) = explain_stay(&costs, &plan, &evaluation, &loads, v, 0) {
            if let Some(b) = stay.alternative {
                let mut moved = plan.clone();
                for w in stay.first..stay.end {
                    moved.site[[v, w]] = b;
                }
                let after = evaluate(&costs, &moved);
                assert!(close(
                    stay.net_eur,
                    evaluation.objective_eur - after.objective_eur
                ));
                assert!(
                    !matches!(stay.verdict, Verdict::WouldSave(x) if x > 1e-7 * evaluation.objective_eur.abs().max(1.0)),
                    "{name}: {:?}",
                    stay.verdict
                );
            }
        }
    }

    // The command line prints the same figures, one JSON entry per migration.
    let run = wattshift(&["explain", out.to_str().unwrap(), "--json"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let listed = j["migrations"].as_array().unwrap();
    assert_eq!(listed.len(), evaluation.migrations.len(), "{name}");
    let csv = std::fs::read_to_string(out.join("migrations.csv")).unwrap();
    for (entry, row) in listed.iter().zip(csv.lines().skip(1)) {
        let cells: Vec<&str> = row.split(',').collect();
        // cost_eur and its parts as migrations.csv has them (the evaluator's).
        for (key, column) in [
            ("cost_eur", 12),
            ("penalty_eur", 14),
            ("downtime_eur", 15),
            ("transfer_eur", 16),
            ("energy_eur", 17),
        ] {
            let written: f64 = cells[column].parse().unwrap();
            assert_eq!(entry[key].as_f64().unwrap(), written, "{name} {key}");
        }
        assert_eq!(entry["vm"], cells[1]);
    }
}

#[test]
fn explain_agrees_with_the_evaluator_on_every_fixture() {
    let tmp = TempDir::new("explain");
    let names = crate::fixtures::fixtures();
    for name in &names {
        check(&repo("tests/data").join(name), &tmp, name);
    }
    check(&repo("instances/paper-testbed"), &tmp, "paper-testbed");
    check(&repo("instances/onboarding"), &tmp, "onboarding");
}

/// One VM, one window, and the errors of a wrong VM or window.
#[test]
fn explain_takes_a_vm_and_a_window() {
    let tmp = TempDir::new("explain-vm");
    let out = tmp.path().join("out");
    let run = plan_dir(&repo("instances/paper-testbed"), &out, &["-q"]);
    assert!(run.status.success());
    let out = out.to_str().unwrap();
    let run = wattshift(&["explain", out, "--vm", "vm01"]);
    let text = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(run.status.success());
    assert!(text.contains("vm01 fredericia → eemshaven"), "{text}");
    assert!(text.contains("back at window 15"), "{text}");
    assert!(text.contains("cost parts: penalty"), "{text}");
    let run = wattshift(&["explain", out, "--vm", "vm10"]);
    let text = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(text.contains("vm10 stays at fredericia"), "{text}");
    let run = wattshift(&["explain", out, "--window", "8", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let listed = j["migrations"].as_array().unwrap();
    assert_eq!(listed.len(), 9);
    assert!(listed.iter().all(|m| m["window"] == 8));
    assert_eq!(listed[0]["window_start"], "2024-05-01T08:00:00Z");
    assert_eq!(
        wattshift(&["explain", out, "--vm", "nope"]).status.code(),
        Some(2)
    );
    assert_eq!(
        wattshift(&["explain", out, "--window", "24"]).status.code(),
        Some(2)
    );
    let missing = tmp.path().join("missing");
    assert_eq!(
        wattshift(&["explain", missing.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}
