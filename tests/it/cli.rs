//! The command line end to end: outputs, exit codes, atomic writes, determinism.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::TempDir;
use wattshift::io::read::{read_instance, read_placement};
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;

pub fn wattshift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wattshift"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cannot run wattshift")
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn plan(instance: &str, out: &Path, extra: &[&str]) -> Output {
    plan_dir(&repo(instance), out, extra)
}

/// `wattshift plan DIR --out OUT` with more arguments.
pub fn plan_dir(dir: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "plan",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    wattshift(&args)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("summary.json")).expect("valid JSON")
}

/// Sums a column of a CSV file as written.
fn column_sum(path: &Path, column: &str) -> f64 {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let index = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .expect("column");
    reader
        .records()
        .map(|r| r.unwrap()[index].parse::<f64>().unwrap())
        .sum()
}

#[test]
fn plan_writes_every_output_and_the_summary_adds_up() {
    for name in crate::oracle::TINY {
        let tmp = TempDir::new("plan-outputs");
        let out = tmp.path().join("out");
        let result = plan(&format!("tests/data/{name}"), &out, &[]);
        assert_eq!(
            result.status.code(),
            Some(0),
            "{name}: {}",
            text(&result.stderr)
        );
        for file in [
            "placement.csv",
            "migrations.csv",
            "site_windows.csv",
            "summary.json",
        ] {
            assert!(out.join(file).is_file(), "{name}: {file} missing");
        }
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(summary["status"], "optimal");
        let objective = summary["objective_eur"].as_f64().unwrap();
        // The summary's objective is the evaluator's cost of the placement as written.
        let instance = read_instance(&repo(&format!("tests/data/{name}"))).unwrap();
        let placement = read_placement(&out.join("placement.csv"), &instance).unwrap();
        let costs = Costs::new(&instance);
        let evaluation = evaluate(&costs, &placement);
        assert!(evaluation.is_feasible());
        assert!((evaluation.objective_eur - objective).abs() <= 1e-6 * objective.abs().max(1e-9));
        // Every EUR figure is the sum of its parts as written.
        let site_cost = column_sum(&out.join("site_windows.csv"), "cost_eur");
        let migration_cost = column_sum(&out.join("migrations.csv"), "cost_eur");
        assert_eq!(summary["migration_eur"].as_f64().unwrap(), migration_cost);
        assert!((site_cost + migration_cost - objective).abs() <= 1e-12 * objective.abs().max(1.0));
        assert_eq!(
            summary["energy_eur"].as_f64().unwrap(),
            column_sum(&out.join("site_windows.csv"), "energy_eur")
        );
        let migrations = summary["migrations"].as_u64().unwrap() as usize;
        assert_eq!(migrations, evaluation.migrations.len());
        assert_eq!(summary["late_migrations"].as_u64(), Some(0), "{name}");
        let gap = summary["gap"].as_f64().unwrap_or(0.0);
        assert!(gap <= 1e-6, "{name}: gap {gap}");
        if let Some(baseline) = summary["baseline_eur"].as_f64() {
            let savings = summary["savings_eur"].as_f64().unwrap();
            assert_eq!(savings, baseline - objective);
        }
    }
}

#[test]
fn the_schedule_keeps_every_link_within_concurrency() {
    let name = "tests/data/tiny-links-budget";
    let tmp = TempDir::new("schedule");
    let out = tmp.path().join("out");
    assert_eq!(plan(name, &out, &[]).status.code(), Some(0));
    let instance = read_instance(&repo(name)).unwrap();
    let costs = Costs::new(&instance);
    let mut reader = csv::Reader::from_path(out.join("migrations.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut intervals: Vec<(usize, usize, f64, f64)> = Vec::new(); // window, link, start, end
    let mut rows = 0;
    for record in reader.records() {
        let r = record.unwrap();
        rows += 1;
        let window: usize = r[col("window")].parse().unwrap();
        let vm = instance.vm_index(&r[col("vm")]).unwrap();
        let from = instance.site_index(&r[col("from")]).unwrap();
        let to = instance.site_index(&r[col("to")]).unwrap();
        let start: f64 = r[col("start_s")].parse().unwrap();
        let duration: f64 = r[col("duration_s")].parse().unwrap();
        assert!(start >= 0.0);
        assert_eq!(&r[col("late")], "false");
        assert!(start + duration <= instance.params.window_s());
        if let Some(path) = costs.migration_path(vm, from, to) {
            for &link in &path.links {
                intervals.push((window, link, start, start + duration));
            }
        }
    }
    assert!(rows >= 2, "the instance should migrate several VMs");
    for &(window, link, start, _) in &intervals {
        let running = intervals
            .iter()
            .filter(|&&(w, l, s, e)| w == window && l == link && s <= start && start < e)
            .count();
        assert!(running <= instance.params.concurrency as usize);
    }
}

#[test]
fn same_input_same_output_with_one_thread_and_two() {
    for name in ["tests/data/tiny-kinds", "tests/data/tiny-negative"] {
        let tmp = TempDir::new("determinism");
        let one = tmp.path().join("one");
        let two = tmp.path().join("two");
        assert_eq!(plan(name, &one, &["--threads", "1"]).status.code(), Some(0));
        assert_eq!(plan(name, &two, &["--threads", "2"]).status.code(), Some(0));
        for file in ["placement.csv", "migrations.csv", "site_windows.csv"] {
            assert_eq!(
                std::fs::read(one.join(file)).unwrap(),
                std::fs::read(two.join(file)).unwrap(),
                "{name}: {file} differs"
            );
        }
        // summary.json differs in runtime_s and the threads it records alone.
        let mut a = read_json(&one.join("summary.json"));
        let mut b = read_json(&two.join("summary.json"));
        assert_eq!(
            (a["threads"].as_u64(), b["threads"].as_u64()),
            (Some(1), Some(2))
        );
        for key in ["runtime_s", "threads"] {
            a[key] = serde_json::Value::Null;
            b[key] = serde_json::Value::Null;
        }
        assert_eq!(a, b, "{name}: summary differs");
    }
}

#[test]
fn plan_on_a_bad_instance_writes_nothing_and_exits_2() {
    let tmp = TempDir::new("bad-plan");
    let instance = tmp.path().join("instance");
    std::fs::create_dir(&instance).unwrap();
    for file in [
        "sites.csv",
        "vms.csv",
        "links.csv",
        "windows.csv",
        "params.toml",
    ] {
        std::fs::copy(
            repo("tests/data/tiny-capacity").join(file),
            instance.join(file),
        )
        .unwrap();
    }
    let sites = std::fs::read_to_string(instance.join("sites.csv")).unwrap();
    let broken: String = sites.replacen("1.5", "0.5", 1);
    std::fs::write(instance.join("sites.csv"), broken).unwrap();
    let out = tmp.path().join("out");
    let result = wattshift(&[
        "plan",
        instance.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("sites.csv, line 2, column 'pue'"),
        "{stderr}"
    );
    assert!(!out.exists(), "plan wrote output for a bad instance");
    // Nor does it leave a staging directory beside the output.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1);
}

#[test]
fn an_existing_output_directory_is_replaced_whole_only_with_force() {
    let tmp = TempDir::new("replace");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("stale.txt"), "old").unwrap();
    // A file wattshift did not write is never deleted without --force.
    let refused = plan("tests/data/tiny-capacity", &out, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("'stale.txt'"));
    assert!(out.join("stale.txt").exists());
    assert!(!out.join("summary.json").exists());
    assert_eq!(
        plan("tests/data/tiny-capacity", &out, &["--force"])
            .status
            .code(),
        Some(0)
    );
    assert!(!out.join("stale.txt").exists());
    assert!(out.join("summary.json").exists());
}

#[test]
fn an_infeasible_stay_baseline_exits_1_with_only_a_summary() {
    // In tiny-latency-anti staying breaks the latency limit or anti-affinity.
    let tmp = TempDir::new("stay-infeasible");
    let out = tmp.path().join("out");
    let result = plan("tests/data/tiny-latency-anti", &out, &["--solver", "stay"]);
    assert_eq!(result.status.code(), Some(1), "{}", text(&result.stdout));
    // Only the summary, beside the marker that says the directory is wattshift's.
    let files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != ".wattshift-output")
        .collect();
    assert_eq!(files, vec![std::ffi::OsString::from("summary.json")]);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["status"], "infeasible");
    assert!(summary["baseline_eur"].is_null());
    assert!(summary["savings_pct"].is_null());
    assert!(!summary["infeasible_because"].as_array().unwrap().is_empty());
}

#[test]
fn stay_is_the_baseline() {
    let tmp = TempDir::new("stay");
    let out = tmp.path().join("out");
    let result = plan("tests/data/tiny-capacity", &out, &["--solver", "stay"]);
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["status"], "feasible");
    assert_eq!(summary["migrations"], 0);
    assert_eq!(summary["savings_eur"].as_f64(), Some(0.0));
    assert_eq!(summary["objective_eur"], summary["baseline_eur"]);
}

#[test]
fn a_time_limit_still_returns_a_plan_with_its_bound() {
    let tmp = TempDir::new("time-limit");
    let out = tmp.path().join("out");
    let result = plan("tests/data/tiny-kinds", &out, &["--time-limit", "0.000001"]);
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let summary = read_json(&out.join("summary.json"));
    let status = summary["status"].as_str().unwrap();
    assert!(status == "feasible" || status == "optimal", "{status}");
    assert!(summary["objective_eur"].as_f64().is_some());
}

#[test]
fn unknown_solver_and_bad_flags_are_usage_errors() {
    let tmp = TempDir::new("usage");
    let out = tmp.path().join("out");
    let result = plan("tests/data/tiny-capacity", &out, &["--solver", "magic"]);
    assert_eq!(result.status.code(), Some(2));
    assert!(text(&result.stderr).contains("magic: no such solver or configuration"));
    let result = plan("tests/data/tiny-capacity", &out, &["--time-limit", "-3"]);
    assert_eq!(result.status.code(), Some(2));
    assert!(!out.exists());
}

#[test]
fn evaluate_reports_each_broken_constraint_and_exits_1() {
    let tmp = TempDir::new("evaluate");
    let dir = repo("tests/data/tiny-latency-anti");
    let instance = read_instance(&dir).unwrap();
    // Everyone at the first site in every window.
    let mut placement = String::from("window,vm,site\n");
    for t in 0..instance.num_windows() {
        for vm in &instance.vms {
            placement.push_str(&format!("{t},{},{}\n", vm.id, instance.sites[0].id));
        }
    }
    let path = tmp.write("placement.csv", placement);
    let result = wattshift(&["evaluate", dir.to_str().unwrap(), path.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1));
    let stdout = text(&result.stdout);
    assert!(stdout.contains("infeasible"), "{stdout}");
    assert!(stdout.contains("window 0"), "{stdout}");

    // The plan's own placement evaluates clean, to the summary's objective.
    let out = tmp.path().join("out");
    assert_eq!(
        plan("tests/data/tiny-latency-anti", &out, &[])
            .status
            .code(),
        Some(0)
    );
    let placement = out.join("placement.csv");
    let result = wattshift(&[
        "evaluate",
        dir.to_str().unwrap(),
        placement.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(result.status.code(), Some(0));
    let j: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(j["objective_eur"], summary["objective_eur"]);
    assert_eq!(j["feasible"], true);
}

/// Every class of bad input exits 2 from `validate` and `plan`, with file, line, column and what
/// was expected on stderr, and `plan` writes nothing.
#[test]
fn bad_input_of_every_class_exits_2_naming_its_place() {
    use crate::common::{drop_column, set_cell, InstanceFiles, SITES_CSV, VMS_CSV, WINDOWS_CSV};
    let valid = InstanceFiles::valid();
    let mut not_utf8 = VMS_CSV.as_bytes().to_vec();
    let at = VMS_CSV.find(",web,").unwrap() + 2;
    not_utf8[at] = 0xFF;
    let cases: Vec<(&str, InstanceFiles, &str, &str)> = vec![
        (
            "missing file",
            valid.clone().without("windows.csv"),
            "windows.csv: file not found",
            "every instance needs",
        ),
        (
            "missing column",
            valid
                .clone()
                .with("sites.csv", drop_column(SITES_CSV, "pue")),
            "sites.csv, line 1, column 'pue'",
            "missing required column",
        ),
        (
            "unknown column",
            valid
                .clone()
                .with("sites.csv", SITES_CSV.replacen("x_owner", "owner", 1)),
            "sites.csv, line 1, column 'owner'",
            "x_",
        ),
        (
            "malformed number",
            valid
                .clone()
                .with("sites.csv", set_cell(SITES_CSV, 2, "pue", "1.2.3")),
            "sites.csv, line 2, column 'pue'",
            "expected",
        ),
        (
            "out of range",
            valid
                .clone()
                .with("sites.csv", set_cell(SITES_CSV, 3, "pue", "0.9")),
            "sites.csv, line 3, column 'pue'",
            "expected a number ≥ 1, found \"0.9\"",
        ),
        (
            "integer with a fraction",
            valid
                .clone()
                .with("sites.csv", set_cell(SITES_CSV, 2, "hosts", "4.0")),
            "sites.csv, line 2, column 'hosts'",
            "without fraction or exponent",
        ),
        (
            "unknown site",
            valid
                .clone()
                .with("vms.csv", set_cell(VMS_CSV, 4, "site", "zz")),
            "vms.csv, line 4, column 'site'",
            "unknown site \"zz\"",
        ),
        (
            "duplicate id",
            valid
                .clone()
                .with("vms.csv", set_cell(VMS_CSV, 3, "vm", "web1")),
            "vms.csv, line 3, column 'vm'",
            "duplicate",
        ),
        (
            "window missing for a site",
            valid.clone().with(
                "windows.csv",
                WINDOWS_CSV
                    .lines()
                    .filter(|l| !l.starts_with("1,a,"))
                    .map(|l| format!("{l}\n"))
                    .collect::<String>(),
            ),
            "windows.csv, line",
            "window 1 has no row for site \"a\"",
        ),
        (
            "ragged row",
            valid.clone().with(
                "sites.csv",
                SITES_CSV.replacen("2,3,FR,bob\n", "2,3,FR,bob,extra\n", 1),
            ),
            "sites.csv, line 3",
            "the row has 12 fields but the header has 11",
        ),
        (
            "not UTF-8",
            valid.clone().with("vms.csv", not_utf8),
            "vms.csv, line 3, column 'anti_affinity'",
            "not valid UTF-8",
        ),
    ];
    for (class, files, place, expected) in cases {
        let dir = files.write();
        let result = wattshift(&["validate", dir.path().to_str().unwrap()]);
        assert_eq!(
            result.status.code(),
            Some(2),
            "{class}: {}",
            text(&result.stdout)
        );
        let stderr = text(&result.stderr);
        assert!(stderr.contains(place), "{class}: {stderr}");
        assert!(stderr.contains(expected), "{class}: {stderr}");
        let out = dir.path().join("plan-out");
        let result = wattshift(&[
            "plan",
            dir.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(result.status.code(), Some(2), "{class}");
        assert!(!out.exists(), "{class}: plan wrote output");
    }
    // And the valid instance itself validates.
    let dir = valid.write();
    let result = wattshift(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    assert!(text(&result.stdout).contains("3 sites, 3 VMs"));
}

#[test]
fn annotation_columns_are_carried_into_the_outputs_quoted_where_needed() {
    let tmp = TempDir::new("annotations");
    let out = tmp.path().join("out");
    assert_eq!(
        plan("instances/paper-testbed", &out, &[]).status.code(),
        Some(0)
    );
    let mut reader = csv::Reader::from_path(out.join("site_windows.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let campus = headers
        .iter()
        .position(|h| h == "x_campus")
        .expect("x_campus carried");
    let site = headers.iter().position(|h| h == "site").unwrap();
    for record in reader.records() {
        let r = record.unwrap();
        if &r[site] == "fredericia" {
            assert_eq!(&r[campus], "Google Fredericia, Denmark (TTM PUE)");
        }
    }
    // The placement, annotations and all, reads back as a placement.
    let instance = read_instance(&repo("instances/paper-testbed")).unwrap();
    assert!(read_placement(&out.join("placement.csv"), &instance).is_ok());
}

/// `plan --help` names every solver there is, and the configuration reference in FORMAT.md
/// names every key a configuration file takes.
#[test]
fn help_and_format_reference_name_every_solver_and_configuration_key() {
    let help = text(&wattshift(&["plan", "--help"]).stdout);
    let format = std::fs::read_to_string(repo("docs/FORMAT.md")).unwrap();
    for (name, _) in wattshift::solvers::SOLVERS {
        assert!(help.contains(name), "plan --help does not name {name}");
        assert!(
            format.contains(&format!("`{name}`")),
            "FORMAT.md does not name {name}"
        );
    }
    // Every key: the common ones, and every field of the knob structs (`start` is written
    // `start_solver`).
    let settings = std::fs::read_to_string(repo("src/solvers/settings.rs")).unwrap();
    let mut keys: Vec<String> = [
        "solver",
        "description",
        "time_limit_s",
        "gap",
        "seed",
        "threads",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    for knobs in [
        "struct PathsSettings",
        "struct LocalSettings",
        "struct WindowsSettings",
    ] {
        let start = settings.find(knobs).unwrap();
        let end = start + settings[start..].find('}').unwrap();
        keys.extend(
            settings[start..end]
                .lines()
                .filter_map(|line| line.trim().strip_prefix("pub "))
                .filter_map(|line| line.split_once(':'))
                .map(|(key, _)| if key == "start" { "start_solver" } else { key }.to_string()),
        );
    }
    assert!(keys.len() >= 10, "{keys:?}");
    for key in keys {
        assert!(
            format.contains(&format!("| `{key}` |")),
            "FORMAT.md's configuration table lacks {key}"
        );
    }
}
