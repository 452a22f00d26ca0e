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
        }
    }
    let csv = run("csv");
    assert_eq!(csv.lines().count(), 7);
    assert!(csv.starts_with("instance,config,solver,status,objective_eur"));
    assert!(run("markdown").starts_with("| instance | config |"));
    let table = run("table");
    assert!(table.lines().nth(1).unwrap().contains("exact"));
    // Results are deterministic, runtimes aside.
    let again: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    for (a, b) in rows.iter().zip(again.as_array().unwrap()) {
        assert_eq!(a["objective_eur"], b["objective_eur"]);
        assert_eq!(a["bound_eur"], b["bound_eur"]);
    }
}
