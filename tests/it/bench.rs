//! Solver configurations as data, and the bench command.

use crate::cli::wattshift;
use crate::common::TempDir;
use wattshift::config::{parse, resolve, SHIPPED};
use wattshift::solvers::SolverSettings;

#[test]
fn every_shipped_configuration_parses_and_names_a_solver() {
    for (name, text) in SHIPPED {
        let config = parse(name, text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(wattshift::solvers::SolverSettings::default_for(config.solver.name()).is_some());
        assert!(!config.description.is_empty(), "{name} has no description");
        // The file in solvers/ is the one built in.
        let on_disk = std::fs::read_to_string(format!(
            "{}/solvers/{name}.toml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(&on_disk, text);
    }
    let SolverSettings::Windows(windows) = resolve("windows-12").unwrap().solver else {
        panic!("windows-12 is not a windows configuration");
    };
    assert_eq!(windows.block_windows, 12);
    let SolverSettings::Windows(day) = resolve("windows-day").unwrap().solver else {
        panic!("windows-day is not a windows configuration");
    };
    assert_eq!(
        (
            day.block_windows,
            day.neighbourhood_sites,
            day.candidate_sites,
            day.iterations
        ),
        (24, 2, 5, 1_000_000)
    );
    assert_eq!(resolve("greedy").unwrap().solver.name(), "greedy");
}

#[test]
fn bad_configurations_are_refused_with_their_place() {
    let e = parse("x", "solver = \"exact\"\nblock = 3\n", "x.toml").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("x.toml", Some(2)));
    assert!(e.message.contains("unknown field"), "{e}");
    let e = parse("x", "solver = \"magic\"\n", "x.toml").unwrap_err();
    assert!(e.message.contains("unknown solver \"magic\""), "{e}");
    let e = parse("x", "solver = \"exact\"\ntime_limit_s = -1\n", "x.toml").unwrap_err();
    assert!(e.message.contains("time_limit_s"), "{e}");
    assert!(resolve("no-such-thing").is_err());
}

#[test]
fn plan_takes_a_configuration_by_name_or_path() {
    let tmp = TempDir::new("config");
    let file = tmp.write("mine.toml", "solver = \"windows\"\nblock_windows = 1\n");
    let out = tmp.path().join("out");
    let dir = format!("{}/tests/data/tiny-capacity", env!("CARGO_MANIFEST_DIR"));
    let result = wattshift(&[
        "plan",
        &dir,
        "--out",
        out.to_str().unwrap(),
        "--solver",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["solver"], "mine");
    let result = wattshift(&[
        "plan",
        &dir,
        "--out",
        out.to_str().unwrap(),
        "--solver",
        "windows-6",
    ]);
    assert_eq!(result.status.code(), Some(0));
    let bad = tmp.write("bad.toml", "solver = 3\n");
    let result = wattshift(&[
        "plan",
        &dir,
        "--out",
        tmp.path().join("o2").to_str().unwrap(),
        "--solver",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("bad.toml, line 1"));
}

#[test]
fn bench_compares_configurations_in_every_format() {
    let dirs = [
        format!("{}/tests/data/tiny-capacity", env!("CARGO_MANIFEST_DIR")),
        format!("{}/tests/data/tiny-negative", env!("CARGO_MANIFEST_DIR")),
    ];
    let run = |format: &str| {
        let output = wattshift(&[
            "bench", &dirs[0], &dirs[1], "--solver", "exact", "--solver", "greedy", "--solver",
            "stay", "--format", format,
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for row in rows {
        assert_eq!(row["feasible"], true);
        // exact proves optimality on tiny instances, so the best bound is the optimum and
        // no configuration beats it.
        let gap = row["gap_to_best_bound"].as_f64().unwrap();
        assert!(gap >= 0.0);
        if row["config"] == "exact" {
            assert!(gap <= 1e-6, "{row}");
            // The best plan any configuration found is exact's, and the stop reason is plan's.
            assert_eq!(row["gap_to_best_plan"], 0.0, "{row}");
            assert_eq!(row["stop_reason"], "optimal", "{row}");
        }
        if row["config"] == "stay" {
            assert_eq!(row["savings_eur"], 0.0, "{row}");
        }
        assert!(
            row["gap_to_best_plan"].as_f64().unwrap() <= gap + 1e-12,
            "{row}"
        );
    }
    let csv = run("csv");
    assert_eq!(csv.lines().count(), 7);
    assert!(csv.starts_with("instance,config,solver,status,stop_reason,objective_eur,savings_eur"));
    assert!(run("markdown").starts_with("| instance | config |"));
    let table = run("table");
    assert!(table.lines().nth(1).unwrap().contains("exact"));
    // One name per column: every header of the table is a field of the CSV and the JSON.
    let csv_header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for name in table.lines().next().unwrap().split_whitespace() {
        assert!(
            csv_header.contains(&name),
            "table column {name} is not in the CSV"
        );
        assert!(
            rows[0].get(name).is_some(),
            "table column {name} is not in the JSON"
        );
    }
    // Results are deterministic, runtimes aside.
    let again: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    for (a, b) in rows.iter().zip(again.as_array().unwrap()) {
        assert_eq!(a["objective_eur"], b["objective_eur"]);
        assert_eq!(a["bound_eur"], b["bound_eur"]);
    }
}

/// `--seeds` runs each configuration once per seed; the statistics are those of the runs; the
/// CSV, JSON and Markdown exports and the HTML report are written in the same run, and an
/// existing export file is not overwritten without --force.
#[test]
fn runs_over_seeds_report_statistics_and_export_every_format_at_once() {
    use crate::common::TempDir;
    let tmp = TempDir::new("bench-runs");
    let (csv, json, md, report) = (
        tmp.path().join("b.csv"),
        tmp.path().join("b.json"),
        tmp.path().join("b.md"),
        tmp.path().join("report"),
    );
    let testbed = crate::cli::repo("instances/paper-testbed");
    let args = [
        "bench",
        testbed.to_str().unwrap(),
        "--solver",
        "greedy",
        "--solver",
        "local-fast",
        "--seeds",
        "1..3",
        "-q",
        "--export-csv",
        csv.to_str().unwrap(),
        "--export-json",
        json.to_str().unwrap(),
        "--export-markdown",
        md.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    let run = crate::cli::wattshift(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let table = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(
        table.contains("objective_mean") && table.contains("runtime_std_s"),
        "{table}"
    );

    // Every run in the CSV, with its seed.
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().count(), 7, "{rows}");
    assert!(rows.lines().next().unwrap().ends_with(",run,seed"));
    for seed in 1..=3 {
        assert_eq!(
            rows.lines()
                .filter(|l| l.ends_with(&format!(",{seed},{seed}")))
                .count(),
            2
        );
    }
    // The statistics are those of the runs.
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 6);
    let stats = j["stats"].as_array().unwrap();
    assert_eq!(stats.len(), 2);
    for s in stats {
        let objectives: Vec<f64> = runs
            .iter()
            .filter(|r| r["config"] == s["config"])
            .map(|r| r["objective_eur"].as_f64().unwrap())
            .collect();
        let mean = objectives.iter().sum::<f64>() / 3.0;
        let best = objectives.iter().copied().fold(f64::INFINITY, f64::min);
        let std = (objectives.iter().map(|o| (o - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!((s["objective_eur"]["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
        assert_eq!(s["objective_eur"]["best"].as_f64().unwrap(), best);
        assert!((s["objective_eur"]["std"].as_f64().unwrap() - std).abs() < 1e-12);
        assert_eq!(s["runs"], 3);
    }
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert_eq!(markdown.lines().count(), 4, "{markdown}");
    // The report: a chart per instance, the gaps, the table; and the exports beside it.
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("id=\"gaps\"") && html.contains("id=\"progress-0\""));
    assert!(html.contains("<table id=\"bench\""));
    for file in ["bench.csv", "bench.json", "bench.md"] {
        assert!(report.join(file).is_file(), "{file}");
    }

    // An existing export is kept without --force.
    std::fs::write(&csv, "mine\n").unwrap();
    let run = crate::cli::wattshift(&args);
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "mine\n");
    let bad = crate::cli::wattshift(&[
        "bench",
        testbed.to_str().unwrap(),
        "--solver",
        "greedy",
        "--seeds",
        "5..2",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}
