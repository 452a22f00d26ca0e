//! Safe outputs, signals, honest results and hard limits under hostile input (issue #10):
//! each item through the command line where it is about the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use wattshift::domain::instance::{
    Instance, Link, MigrationKind, MigrationProfile, Params, Site, Vm,
};
use wattshift::domain::plan::Plan;
use wattshift::io::read::read_instance;
use wattshift::report::build_plan_report;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::solvers::{self, CommonSettings, NoKnobs, Outcome, SolverSettings, Status};

use crate::common::{set_cell, InstanceFiles};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wattshift"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cannot run wattshift")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A copy of a fixture in a fresh temporary directory.
fn copy_instance(fixture: &str, into: &Path) -> PathBuf {
    let dir = into.join("instance");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo(fixture)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

fn plan(instance: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "plan",
        instance.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn out_never_deletes_the_instance_even_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let instance = copy_instance("tests/data/tiny-capacity", tmp.path());
    let before = listing(&instance);
    for extra in [&[][..], &["--force"][..]] {
        // OUT is the instance directory itself, or a directory that contains it.
        for out in [instance.clone(), tmp.path().to_path_buf()] {
            let result = plan(&instance, &out, extra);
            assert_eq!(result.status.code(), Some(2), "{}", text(&result.stderr));
            assert!(text(&result.stderr).contains("instance directory"));
            assert_eq!(listing(&instance), before);
        }
    }
    // `--out .` from inside the instance: the same refusal, with the path as given.
    let result = Command::new(env!("CARGO_BIN_EXE_wattshift"))
        .args(["plan", ".", "--out", "."])
        .current_dir(&instance)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert_eq!(listing(&instance), before);
}

#[test]
fn out_with_foreign_files_is_refused_and_named_and_force_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("home");
    std::fs::create_dir(&out).unwrap();
    for name in ["thesis.tex", "photos", ".bashrc"] {
        std::fs::write(out.join(name), "mine").unwrap();
    }
    let instance = repo("tests/data/tiny-capacity");
    let result = plan(&instance, &out, &[]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("3 entries"), "{stderr}");
    assert!(
        stderr.contains("'thesis.tex'") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(listing(&out), vec![".bashrc", "photos", "thesis.tex"]);
    // A file where the directory should be is refused too.
    let file = tmp.path().join("file");
    std::fs::write(&file, "mine").unwrap();
    assert_eq!(plan(&instance, &file, &[]).status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // With --force both are replaced.
    assert_eq!(plan(&instance, &out, &["--force"]).status.code(), Some(0));
    assert!(out.join("summary.json").is_file() && !out.join("thesis.tex").exists());
    assert_eq!(plan(&instance, &file, &["--force"]).status.code(), Some(0));
    assert!(file.join("summary.json").is_file());
}

#[test]
fn an_earlier_output_is_recognised_by_its_marker_not_its_file_names() {
    let tmp = tempfile::tempdir().unwrap();
    let instance = repo("tests/data/tiny-capacity");
    let out = tmp.path().join("out");
    assert_eq!(plan(&instance, &out, &[]).status.code(), Some(0));
    // Replaced again without --force.
    assert_eq!(
        plan(&instance, &out, &["--solver", "stay"]).status.code(),
        Some(0)
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"solver\": \"stay\""));
    // A file added by the user makes it foreign.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    assert_eq!(plan(&instance, &out, &[]).status.code(), Some(2));
    assert!(out.join("notes.txt").exists());
    // The same file names without wattshift's marker are not an earlier output.
    let lookalike = tmp.path().join("lookalike");
    std::fs::create_dir(&lookalike).unwrap();
    for name in [
        "placement.csv",
        "migrations.csv",
        "site_windows.csv",
        "summary.json",
    ] {
        std::fs::write(lookalike.join(name), "mine").unwrap();
    }
    assert_eq!(plan(&instance, &lookalike, &[]).status.code(), Some(2));
    std::fs::write(lookalike.join(".wattshift-output"), "placement.csv\n").unwrap();
    assert_eq!(plan(&instance, &lookalike, &[]).status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(lookalike.join("placement.csv")).unwrap(),
        "mine"
    );
}

#[test]
fn leftovers_of_killed_runs_are_swept_and_a_set_aside_output_is_put_back() {
    let tmp = tempfile::tempdir().unwrap();
    let instance = repo("tests/data/tiny-capacity");
    let out = tmp.path().join("out");
    assert_eq!(plan(&instance, &out, &[]).status.code(), Some(0));
    // A run killed between its two renames (where no atomic exchange exists) leaves the old
    // output aside and OUT missing; another left a staging directory.
    let aside = tmp.path().join(".out.wattshift-old-999999");
    std::fs::rename(&out, &aside).unwrap();
    let staging = tmp.path().join(".out.wattshift-staging-999998");
    std::fs::create_dir(&staging).unwrap();
    std::fs::copy(
        aside.join(".wattshift-output"),
        staging.join(".wattshift-output"),
    )
    .unwrap();
    std::fs::write(staging.join("placement.csv"), "partial").unwrap();
    // A directory of the user's with a similar name is not touched.
    let users = tmp.path().join(".out.wattshift-staging-mine");
    std::fs::create_dir(&users).unwrap();
    std::fs::write(users.join("keep.txt"), "mine").unwrap();

    assert_eq!(
        plan(&instance, &out, &["--solver", "stay"]).status.code(),
        Some(0)
    );
    assert!(out.join("summary.json").is_file());
    assert!(!aside.exists() && !staging.exists());
    assert!(users.join("keep.txt").exists());
}

#[test]
fn concurrent_runs_on_one_out_take_turns() {
    let tmp = tempfile::tempdir().unwrap();
    let instance = repo("tests/data/tiny-kinds");
    let out = tmp.path().join("out");
    let children: Vec<_> = (0..6)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_wattshift"))
                .args([
                    "plan",
                    instance.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                    "--solver",
                    "greedy",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let result = child.wait_with_output().unwrap();
        assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    }
    assert_eq!(
        listing(&out),
        vec![
            ".wattshift-output",
            "migrations.csv",
            "placement.csv",
            "progress.csv",
            "site_windows.csv",
            "summary.json"
        ]
    );
    assert_eq!(listing(tmp.path()), vec!["out"]);
}

/// Starts `plan` on a solve that takes tens of seconds, and sends it `signals` once its
/// search has run for a moment.
fn interrupted_plan(out: &Path, signals: &[i32]) -> (Output, Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wattshift"))
        .args([
            "plan",
            repo("instances/eu-day").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let sent = Instant::now();
    for &signal in signals {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, signal) };
        // Far enough apart that the two are not merged into one, close enough that the
        // second usually lands before the first one's write.
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.try_wait();
    let output = child.wait_with_output().unwrap();
    (output, sent.elapsed())
}

#[test]
fn sigint_keeps_the_best_plan_and_exits_130_and_a_second_aborts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (output, _) = interrupted_plan(&out, &[libc::SIGINT]);
    assert_eq!(output.status.code(), Some(130), "{}", text(&output.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["stop_reason"], "interrupted");
    assert!(matches!(
        summary["status"].as_str(),
        Some("feasible" | "optimal")
    ));
    // The bound proven so far: a number once HiGHS has run, null if the signal came before.
    if let Some(bound) = summary["bound_eur"].as_f64() {
        assert!(bound <= summary["objective_eur"].as_f64().unwrap() + 1e-9);
    } else {
        assert!(summary["bound_eur"].is_null());
    }
    assert!(out.join("placement.csv").is_file());

    let (output, _) = interrupted_plan(&tmp.path().join("aborted"), &[libc::SIGTERM]);
    assert_eq!(output.status.code(), Some(143));

    // A second Ctrl-C ends the process at once. Whether the first one's write finished before
    // it landed depends on how fast the search stopped; either way nothing partial is left:
    // OUT is absent or a complete output.
    let aborted = tmp.path().join("twice");
    let (output, _) = interrupted_plan(&aborted, &[libc::SIGINT, libc::SIGINT]);
    assert_eq!(output.status.code(), Some(130));
    if aborted.exists() {
        assert_eq!(
            listing(&aborted),
            vec![
                ".wattshift-output",
                "migrations.csv",
                "placement.csv",
                "site_windows.csv",
                "summary.json"
            ],
            "a second Ctrl-C left a partial output"
        );
    }
}

#[test]
fn extreme_but_valid_numbers_are_bad_input_at_their_cell() {
    let cases = [
        (
            "links.csv",
            set_cell(crate::common::LINKS_CSV, 2, "bandwidth_gbps", "1e300"),
            "links.csv, line 2, column 'bandwidth_gbps'",
        ),
        (
            "sites.csv",
            set_cell(crate::common::SITES_CSV, 2, "host_cpu", "1e308"),
            "sites.csv, line 2, column 'host_cpu'",
        ),
        (
            "params.toml",
            "carbon_eur_per_t = 1e308\n".to_string(),
            "params.toml, line 1, column 'carbon_eur_per_t'",
        ),
        (
            "vms.csv",
            set_cell(crate::common::VMS_CSV, 2, "mem_used_gib", "1e300"),
            "vms.csv, line 2, column 'mem_used_gib'",
        ),
        (
            "vms.csv",
            set_cell(crate::common::VMS_CSV, 2, "cpu", "1e-400"),
            "underflows to 0",
        ),
    ];
    for (file, content, expected) in cases {
        let dir = InstanceFiles::valid().with(file, content).write();
        let out = dir.path().join("out");
        let result = plan(dir.path(), &out, &[]);
        assert_eq!(result.status.code(), Some(2), "{file}");
        let stderr = text(&result.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!out.exists());
    }
}

#[test]
fn a_vm_too_big_for_any_site_is_infeasible_with_its_cause() {
    let vms = set_cell(crate::common::VMS_CSV, 2, "cpu", "1e20");
    let dir = InstanceFiles::valid().with("vms.csv", vms).write();
    let out = dir.path().join("out");
    let result = plan(dir.path(), &out, &[]);
    assert_eq!(result.status.code(), Some(1), "{}", text(&result.stderr));
    assert!(text(&result.stdout).contains("vm web1 needs 100000000000000000000 cores"));
    // A pinned VM at a site with no hosts.
    let sites = set_cell(crate::common::SITES_CSV, 2, "hosts", "0");
    let vms = set_cell(crate::common::VMS_CSV, 2, "migration", "pinned");
    let dir = InstanceFiles::valid()
        .with("sites.csv", sites)
        .with("vms.csv", vms)
        .write();
    let result = plan(dir.path(), &dir.path().join("out"), &[]);
    assert_eq!(result.status.code(), Some(1));
    let stdout = text(&result.stdout);
    assert!(
        stdout.contains("vm web1") && stdout.contains("pinned at a (0 hosts"),
        "{stdout}"
    );
}

#[test]
fn sizes_the_user_sets_are_bounded() {
    // A billion pre-copy rounds that never converge: counted, not listed.
    let result = run(&[
        "estimate",
        "--max-rounds",
        "1000000000",
        "--mem-gib",
        "4",
        "--dirty-mib-s",
        "2000",
        "--bandwidth-gbps",
        "1",
        "--json",
    ]);
    assert_eq!(result.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(json["per_vm"]["rounds"], 1_000_000_000u64);
    assert!(result.stdout.len() < 10_000);
    // Identical waves are computed once.
    let result = run(&[
        "estimate",
        "--count",
        "4294967295",
        "--mem-gib",
        "4",
        "--bandwidth-gbps",
        "1",
        "--json",
    ]);
    assert_eq!(result.status.code(), Some(0));
    assert!(result.stdout.len() < 10_000);
    for args in [
        &[
            "plan",
            "tests/data/tiny-capacity",
            "--out",
            "x",
            "--threads",
            "10000",
        ][..],
        &[
            "generate",
            "--sites",
            "4",
            "--vms",
            "100000000",
            "--windows",
            "2",
            "--out",
            "x",
        ],
        &[
            "generate",
            "--sites",
            "1000000",
            "--vms",
            "1",
            "--windows",
            "2",
            "--out",
            "x",
        ],
        &["estimate", "--mem-gib", "4", "--bandwidth-gbps", "1e300"],
    ] {
        let result = run(args);
        assert_eq!(result.status.code(), Some(2), "{args:?}");
        assert!(!text(&result.stderr).is_empty());
    }
    assert!(!repo("x").exists());
    // max_rounds at its largest still plans.
    let dir = InstanceFiles::valid()
        .with("params.toml", "max_rounds = 4294967295\n")
        .write();
    let result = plan(dir.path(), &dir.path().join("out"), &["--solver", "greedy"]);
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
}

#[test]
fn messages_name_the_real_problem() {
    let result = run(&[
        "plan",
        "tests/data/tiny-capacity",
        "--out",
        "x",
        "--time-limit",
        "-1",
    ]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("expected a duration > 0") && !stderr.contains("'-- -1'"),
        "{stderr}"
    );

    let sites = crate::common::SITES_CSV.replacen("a,4,", "\"a,4,", 1);
    let dir = InstanceFiles::valid().with("sites.csv", sites).write();
    let result = run(&["validate", dir.path().to_str().unwrap()]);
    assert!(text(&result.stderr).contains("line 2: a quoted field opens on this line"));

    let result = run(&["validate", "tests/data/tiny-capacity/sites.csv"]);
    assert!(text(&result.stderr).contains("is a file, not a directory"));

    let vms = set_cell(crate::common::VMS_CSV, 2, "vm", "web\u{1b}[31m1");
    let dir = InstanceFiles::valid().with("vms.csv", vms).write();
    let result = run(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("control character (U+001B)") && !stderr.contains('\u{1b}'));
}

#[test]
fn optimal_is_a_claim_the_report_checks() {
    let instance = read_instance(&repo("tests/data/tiny-capacity")).unwrap();
    let costs = Costs::new(&instance);
    let settings = CommonSettings::default();
    let plan = Plan::stay(&instance);
    let objective = evaluate(&costs, &plan).objective_eur;
    let outcome = Outcome {
        plan: Some(plan),
        status: Status::Optimal,
        bound_eur: Some(objective / 2.0),
        reasons: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
        objective_eur: Some(objective / 3.0),
    };
    let report = build_plan_report(&costs, "made-up", &outcome, &settings, 0.0);
    assert_eq!(report.summary.status, Status::Feasible);
    assert_eq!(
        report.summary.warnings.len(),
        2,
        "{:?}",
        report.summary.warnings
    );
}

/// An instance of two sites with `hosts` hosts of 128 cores each, and small VMs.
fn big_site_instance(hosts: [u32; 2], vm_cpu: Vec<f64>, prices: [f64; 4]) -> Instance {
    let site = |id: &str, hosts: u32, pue: f64| Site {
        id: id.into(),
        hosts,
        host_cpu: 128.0,
        host_mem_gib: 512.0,
        idle_w: 200.0,
        peak_w: 500.0,
        pue,
        cpu_overcommit: 1.0,
        max_migrations: None,
        zone: String::new(),
        annotations: Vec::new(),
    };
    let vms: Vec<Vm> = vm_cpu
        .iter()
        .enumerate()
        .map(|(i, &cpu)| Vm {
            id: format!("v{i}"),
            initial_site: i % 2,
            cpu,
            mem_gib: cpu,
            util: 0.5,
            profile: MigrationProfile {
                kind: MigrationKind::Postcopy,
                mem_used_gib: cpu,
                wss_gib: cpu,
                disk_gib: 0.0,
                dirty_mib_s: 0.0,
                disk_write_mib_s: 0.0,
                boot_s: 60.0,
            },
            allowed_sites: None,
            anchor_site: None,
            max_latency_ms: None,
            anti_affinity: None,
            penalty_eur_per_s: 0.0,
            downtime_eur_per_s: 0.0,
            annotations: Vec::new(),
        })
        .collect();
    let windows = 2;
    Instance {
        sites: vec![site("a", hosts[0], 1.2), site("b", hosts[1], 1.5)],
        util: ndarray::Array2::from_elem((vms.len(), windows), 0.5),
        vms,
        links: vec![Link {
            from: 0,
            to: 1,
            bandwidth_gbps: 10.0,
            latency_ms: 1.0,
            eur_per_gb: 0.0,
        }],
        params: Params::default(),
        price_eur_mwh: ndarray::Array2::from_shape_vec((windows, 2), prices.to_vec()).unwrap(),
        renewable_kw: ndarray::Array2::zeros((windows, 2)),
        carbon_g_kwh: ndarray::Array2::zeros((windows, 2)),
        window_start: ndarray::Array2::from_elem((windows, 2), String::new()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// On sites of 1 to 10^6 hosts, no heuristic beats a plan that `exact` calls optimal.
    #[test]
    fn no_heuristic_beats_an_optimal_plan_on_sites_of_any_size(
        log_hosts in prop::array::uniform2(0u32..=6),
        vm_cpu in prop::collection::vec(0.01f64..8.0, 1..4),
        prices in prop::array::uniform4(-20.0f64..200.0),
    ) {
        let hosts = log_hosts.map(|k| 10u32.pow(k));
        let instance = big_site_instance(hosts, vm_cpu, prices);
        let costs = Costs::new(&instance);
        let settings = CommonSettings::default();
        let exact = solvers::exact::solve(&costs, &settings, &NoKnobs {}, Instant::now());
        prop_assume!(exact.status == Status::Optimal);
        let optimum = evaluate(&costs, exact.plan.as_ref().unwrap());
        prop_assert!(optimum.is_feasible());
        let tolerance = 1e-6 * optimum.objective_eur.abs().max(1.0);
        for name in ["greedy", "pabfd", "paths", "local", "stay"] {
            let outcome = SolverSettings::default_for(name)
                .unwrap()
                .solve(&costs, &settings, Instant::now());
            if let Some(plan) = &outcome.plan {
                let e = evaluate(&costs, plan);
                if e.is_feasible() {
                    prop_assert!(
                        e.objective_eur >= optimum.objective_eur - tolerance,
                        "{name} beats exact's optimum: {} < {} (hosts {hosts:?})",
                        e.objective_eur,
                        optimum.objective_eur
                    );
                }
            }
        }
    }
}

/// Values at the edges of double precision.
fn extreme() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("{:e}", f64::MAX)),
        Just(format!("{:e}", -f64::MAX)),
        Just(format!("{:e}", f64::MIN_POSITIVE)),
        Just("5e-324".to_string()),
        Just("2.2e-310".to_string()),
        Just("1e300".to_string()),
        Just("1e-300".to_string()),
        Just("1e154".to_string()),
        Just("0".to_string()),
    ]
}

/// Every numeric column of the small valid instance, as (file, column).
const NUMERIC_CELLS: &[(&str, &str)] = &[
    ("sites.csv", "hosts"),
    ("sites.csv", "host_cpu"),
    ("sites.csv", "host_mem_gib"),
    ("sites.csv", "idle_w"),
    ("sites.csv", "peak_w"),
    ("sites.csv", "pue"),
    ("sites.csv", "cpu_overcommit"),
    ("vms.csv", "cpu"),
    ("vms.csv", "mem_gib"),
    ("vms.csv", "util"),
    ("vms.csv", "disk_gib"),
    ("vms.csv", "mem_used_gib"),
    ("vms.csv", "wss_gib"),
    ("vms.csv", "dirty_mib_s"),
    ("vms.csv", "disk_write_mib_s"),
    ("vms.csv", "boot_s"),
    ("vms.csv", "max_latency_ms"),
    ("vms.csv", "penalty_eur_per_s"),
    ("vms.csv", "downtime_eur_per_s"),
    ("links.csv", "bandwidth_gbps"),
    ("links.csv", "latency_ms"),
    ("links.csv", "eur_per_gb"),
    ("windows.csv", "price_eur_mwh"),
    ("windows.csv", "renewable_kw"),
    ("windows.csv", "carbon_g_kwh"),
];

fn original(file: &str) -> &'static str {
    match file {
        "sites.csv" => crate::common::SITES_CSV,
        "vms.csv" => crate::common::VMS_CSV,
        "links.csv" => crate::common::LINKS_CSV,
        _ => crate::common::WINDOWS_CSV,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// An extreme value in any numeric cell, or in params.toml, is bad input or gives a valid
    /// plan whose outputs hold no non-finite number.
    #[test]
    fn extreme_numbers_are_rejected_or_planned_with_finite_outputs(
        cell in 0..NUMERIC_CELLS.len(),
        line in 2usize..4,
        value in extreme(),
        param in prop::option::of((0usize..4, extreme())),
    ) {
        let (file, column) = NUMERIC_CELLS[cell];
        let mut files = InstanceFiles::valid()
            .with(file, set_cell(original(file), line, column, &value));
        if let Some((key, value)) = param {
            let key = ["window_hours", "carbon_eur_per_t", "setup_s", "energy_j_per_mb"][key];
            files = files.with("params.toml", format!("{key} = {value}\n"));
        }
        let Ok(instance) = files.read() else {
            return Ok(());
        };
        let costs = Costs::new(&instance);
        let settings = CommonSettings {
            time_limit_s: Some(5.0),
            ..CommonSettings::default()
        };
        for name in ["greedy", "stay"] {
            let outcome = SolverSettings::default_for(name)
                .unwrap()
                .solve(&costs, &settings, Instant::now());
            let report = build_plan_report(&costs, name, &outcome, &settings, 0.0);
            for (output, bytes) in &wattshift::io::write::plan_files(&instance, &report) {
                let text = String::from_utf8_lossy(bytes);
                let non_finite = text
                    .split([',', '\n', ' ', ':'])
                    .map(|cell| cell.trim().to_lowercase())
                    .any(|cell| matches!(cell.as_str(), "nan" | "inf" | "-inf" | "+inf"));
                prop_assert!(
                    !non_finite,
                    "{output} of {name} holds a non-finite number with {file} {column} = {value}"
                );
            }
            // serde_json writes a non-finite number as null: check the figures themselves.
            let s = &report.summary;
            let figures = [
                s.objective_eur, s.energy_eur, s.carbon_eur, s.migration_eur, s.grid_kwh,
                s.carbon_kg, s.baseline_eur, s.savings_eur, s.savings_pct, s.bound_eur, s.gap,
            ];
            prop_assert!(
                figures.iter().flatten().all(|x| x.is_finite()),
                "summary of {name} has a non-finite figure with {file} {column} = {value}: {s:?}"
            );
        }
    }
}

#[test]
fn bench_stops_after_the_run_in_progress_and_prints_the_table_so_far() {
    let child = Command::new(env!("CARGO_BIN_EXE_wattshift"))
        .args([
            "bench",
            repo("instances/eu-day").to_str().unwrap(),
            "--solver",
            "exact",
            "--solver",
            "greedy",
            "--format",
            "csv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    // The header and the interrupted exact run; greedy never started.
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.contains("exact") && !stdout.contains("greedy"),
        "{stdout}"
    );
}

#[test]
fn evaluate_costs_a_migration_without_a_path_finitely() {
    // m1 (postcopy) cannot reach D: no link leads there. Asking for it is a broken constraint
    // with a finite cost, not a NaN.
    let dir = repo("tests/data/tiny-links-budget");
    let instance = read_instance(&dir).unwrap();
    let mut placement = String::from("window,vm,site\n");
    for t in 0..instance.num_windows() {
        for vm in &instance.vms {
            let site = if vm.id == "m1" {
                "D".to_string()
            } else {
                instance.sites[vm.initial_site].id.clone()
            };
            placement.push_str(&format!("{t},{},{site}\n", vm.id));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("placement.csv");
    std::fs::write(&file, placement).unwrap();
    let result = run(&[
        "evaluate",
        dir.to_str().unwrap(),
        file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(result.status.code(), Some(1), "{}", text(&result.stderr));
    let json: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert!(
        json["objective_eur"].as_f64().is_some_and(f64::is_finite),
        "{json}"
    );
    assert!(json["violations"].to_string().contains("no path"), "{json}");
}
