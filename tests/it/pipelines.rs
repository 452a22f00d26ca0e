//! What a pipeline sees: progress on stderr in a stable form, data alone on stdout (the
//! summary's JSON with `--json`, no HiGHS log even with `--verbose`), `-q`, durations with
//! units, and `--seed`.

use crate::cli::{repo, wattshift};
use crate::common::TempDir;
use std::collections::BTreeMap;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// The `key=value` fields of a progress line.
fn fields(line: &str) -> BTreeMap<String, String> {
    line.strip_prefix("progress: ")
        .expect("a progress line")
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn number(fields: &BTreeMap<String, String>, key: &str) -> Option<f64> {
    let value = &fields[key];
    (value != "-").then(|| value.parse().unwrap_or_else(|_| panic!("{key}={value}")))
}

#[test]
fn progress_lines_on_stderr_end_with_the_plan_and_bound_of_the_summary() {
    let tmp = TempDir::new("progress");
    let out = tmp.path().join("out");
    let dir = repo("instances/eu-day");
    let run = wattshift(&[
        "plan",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--solver",
        "fleet",
        "--time-limit",
        "4s",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert!(!lines.is_empty(), "no progress lines in {stderr}");
    assert!(!text(&run.stdout).contains("progress:"));
    let mut last_elapsed = -1.0;
    for line in &lines {
        let f = fields(line);
        let elapsed = number(&f, "elapsed_s").unwrap();
        assert!(elapsed >= last_elapsed, "{line}");
        last_elapsed = elapsed;
        if let (Some(p), Some(b), Some(g)) = (
            number(&f, "objective_eur"),
            number(&f, "bound_eur"),
            number(&f, "gap"),
        ) {
            assert!(b <= p + 1e-9 * p.abs().max(1.0), "{line}");
            assert!((g - (p - b).max(0.0) / p.abs()).abs() < 1e-9, "{line}");
        }
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let last = fields(lines.last().unwrap());
    let objective = summary["objective_eur"].as_f64().unwrap();
    assert!((number(&last, "objective_eur").unwrap() - objective).abs() <= 1e-9 * objective);
    if let Some(bound) = summary["bound_eur"].as_f64() {
        assert!(number(&last, "bound_eur").unwrap() >= bound - 1e-9 * bound.abs().max(1.0));
    }
}

#[test]
fn quiet_runs_show_no_progress_and_verbose_runs_keep_the_highs_log_off_stdout() {
    let tmp = TempDir::new("quiet");
    let dir = repo("tests/data/tiny-capacity");
    let out = tmp.path().join("out");
    let quiet = wattshift(&[
        "plan",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(quiet.status.success());
    assert!(!text(&quiet.stderr).contains("progress:"));
    let verbose = wattshift(&[
        "plan",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--solver",
        "exact",
        "-v",
        "-q",
    ]);
    assert!(verbose.status.success());
    let (stdout, stderr) = (text(&verbose.stdout), text(&verbose.stderr));
    assert!(stderr.contains("HiGHS"), "no HiGHS log on stderr: {stderr}");
    assert!(!stdout.contains("HiGHS"), "HiGHS log on stdout: {stdout}");
    assert!(!stdout.contains("Solving report"), "{stdout}");
}

#[test]
fn json_prints_exactly_the_summary_file() {
    let tmp = TempDir::new("json");
    let out = tmp.path().join("out");
    let dir = repo("tests/data/tiny-kinds");
    let run = wattshift(&[
        "plan",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(run.stdout, std::fs::read(out.join("summary.json")).unwrap());
}

#[test]
fn time_limits_take_units_and_seeds_are_flags() {
    let tmp = TempDir::new("units");
    let out = tmp.path().join("out");
    let dir = repo("tests/data/tiny-kinds");
    for limit in ["90", "90s", "1.5m", "1h"] {
        let run = wattshift(&[
            "plan",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--time-limit",
            limit,
            "--seed",
            "7",
            "-q",
        ]);
        assert!(run.status.success(), "{limit}: {}", text(&run.stderr));
    }
    for bad in ["0", "-5", "2x", "m", "1e400h"] {
        let run = wattshift(&[
            "plan",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--time-limit",
            bad,
        ]);
        assert_eq!(run.status.code(), Some(2), "{bad}");
        assert!(
            text(&run.stderr).contains("90s"),
            "{bad}: {}",
            text(&run.stderr)
        );
    }
    let bench = wattshift(&[
        "bench",
        dir.to_str().unwrap(),
        "--solver",
        "local",
        "--seed",
        "3",
        "--time-limit",
        "1m",
        "-q",
        "--format",
        "csv",
    ]);
    assert!(bench.status.success(), "{}", text(&bench.stderr));
    assert!(!text(&bench.stderr).contains("progress:"));
}

#[test]
fn a_summary_records_what_reruns_its_plan() {
    let tmp = TempDir::new("provenance");
    let dir = repo("tests/data/tiny-latency-anti");
    let first = tmp.path().join("first");
    let run = wattshift(&[
        "plan",
        dir.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
        "--solver",
        "local",
        "--seed",
        "5",
        "--threads",
        "2",
        "-q",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["wattshift_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["threads"], 2);
    assert!(summary["time_limit_s"].is_null());
    let settings = &summary["settings"];
    assert_eq!(settings["solver"], "local");
    assert_eq!(settings["seed"], 5);
    assert!(settings["restarts"].is_u64(), "{settings}");
    // The recorded settings, as a configuration file, give the same plan.
    let config = tmp.write(
        "rerun.toml",
        toml::to_string(settings).expect("settings as TOML"),
    );
    let second = tmp.path().join("second");
    let rerun = wattshift(&[
        "plan",
        dir.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "--solver",
        config.to_str().unwrap(),
        "-q",
    ]);
    assert!(rerun.status.success(), "{}", text(&rerun.stderr));
    assert_eq!(
        std::fs::read(first.join("placement.csv")).unwrap(),
        std::fs::read(second.join("placement.csv")).unwrap()
    );
    let again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(second.join("summary.json")).unwrap()).unwrap();
    assert_eq!(&again["settings"], settings);
}

#[test]
fn every_command_help_ends_with_an_example_of_itself() {
    for command in [
        "validate", "plan", "evaluate", "estimate", "bench", "generate", "bound", "shard",
    ] {
        let help = wattshift(&[command, "--help"]);
        assert!(help.status.success());
        let help = text(&help.stdout);
        let example = help
            .rsplit_once("Example")
            .unwrap_or_else(|| panic!("{command} --help has no example:\n{help}"))
            .1;
        assert!(
            example.contains(&format!("wattshift {command} ")),
            "{command}: {example}"
        );
    }
    // Arguments that had no help line before.
    let generate = text(&wattshift(&["generate", "--help"]).stdout);
    assert!(generate.contains("Hours per window"), "{generate}");
    let plan = text(&wattshift(&["plan", "--help"]).stdout);
    assert!(plan.contains("Instance directory"), "{plan}");
}
