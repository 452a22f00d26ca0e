//! What a pipeline sees: progress on stderr in a stable form, data alone on stdout (the
//! summary's JSON with `--json`, no HiGHS log even with `--verbose`), `-q`, durations with
//! units, and `--seed`.

use crate::cli::{plan_dir, repo, wattshift};
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
    let run = plan_dir(&dir, &out, &["--solver", "fleet", "--time-limit", "4s"]);
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
    let quiet = plan_dir(&dir, &out, &["-q"]);
    assert!(quiet.status.success());
    assert!(!text(&quiet.stderr).contains("progress:"));
    let verbose = plan_dir(&dir, &out, &["--solver", "exact", "-v", "-q"]);
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
    let run = plan_dir(&dir, &out, &["--json"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(run.stdout, std::fs::read(out.join("summary.json")).unwrap());
}

#[test]
fn time_limits_take_units_and_seeds_are_flags() {
    let tmp = TempDir::new("units");
    let out = tmp.path().join("out");
    let dir = repo("tests/data/tiny-kinds");
    for limit in ["90", "90s", "1.5m", "1h"] {
        let run = plan_dir(&dir, &out, &["--time-limit", limit, "--seed", "7", "-q"]);
        assert!(run.status.success(), "{limit}: {}", text(&run.stderr));
    }
    for bad in ["0", "-5", "2x", "m", "1e400h"] {
        let run = plan_dir(&dir, &out, &["--time-limit", bad]);
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
    let run = plan_dir(
        &dir,
        &first,
        &["--solver", "local", "--seed", "5", "--threads", "2", "-q"],
    );
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
    let rerun = plan_dir(&dir, &second, &["--solver", config.to_str().unwrap(), "-q"]);
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
    let commands = command_names();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in commands.iter().map(String::as_str) {
        let help = wattshift(&[command, "--help"]);
        assert!(help.status.success());
        let help = text(&help.stdout);
        assert_every_argument_has_help(command, &help);
        let example = help
            .rsplit_once("Example")
            .unwrap_or_else(|| panic!("{command} --help has no example:\n{help}"))
            .1;
        assert!(
            example.contains(&format!("wattshift {command} ")),
            "{command}: {example}"
        );
        // Commands with commands of their own: each of those too.
        if let Some((_, list)) = help.split_once("Commands:") {
            for sub in list
                .lines()
                .skip(1)
                .take_while(|l| !l.trim().is_empty())
                .filter_map(|l| l.split_whitespace().next())
                .filter(|name| *name != "help")
            {
                let help = text(&wattshift(&[command, sub, "--help"]).stdout);
                assert_every_argument_has_help(&format!("{command} {sub}"), &help);
                let example = help.rsplit_once("Example").map_or("", |e| e.1);
                assert!(
                    example.contains(&format!("wattshift {command} {sub} ")),
                    "{command} {sub} --help has no example:\n{help}"
                );
            }
        }
    }
    // Arguments that had no help line before.
    let generate = text(&wattshift(&["generate", "--help"]).stdout);
    assert!(generate.contains("Hours per window"), "{generate}");
    let plan = text(&wattshift(&["plan", "--help"]).stdout);
    assert!(plan.contains("Instance directory"), "{plan}");
}

/// The commands `wattshift --help` lists (but `help`), so that a new one is checked too.
fn command_names() -> Vec<String> {
    let help = text(&wattshift(&["--help"]).stdout);
    help.split_once("Commands:")
        .expect("a Commands section")
        .1
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Every entry of the Arguments and Options sections has a description, on its line or
/// indented below it.
fn assert_every_argument_has_help(command: &str, help: &str) {
    let lines: Vec<&str> = help.lines().collect();
    let mut in_section = false;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("Arguments:") || line.starts_with("Options:") {
            in_section = true;
            continue;
        }
        if !line.starts_with(' ') {
            in_section = false;
            continue;
        }
        let entry = line.trim_start();
        let indent = line.len() - entry.len();
        if !in_section || indent > 6 || !(entry.starts_with('-') || entry.starts_with('<')) {
            continue;
        }
        let described_here = entry
            .split_once("  ")
            .is_some_and(|(_, d)| !d.trim().is_empty());
        let described_below = lines.get(i + 1).is_some_and(|next| {
            let body = next.trim_start();
            !body.is_empty() && next.len() - body.len() > indent + 2
        });
        assert!(
            described_here || described_below,
            "{command}: no help for {entry:?}\n{help}"
        );
    }
}

/// Shell completions and man pages come from the same definitions as --help.
#[test]
fn completions_and_man_pages_cover_every_command() {
    let commands = command_names();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = wattshift(&["completions", shell]);
        assert!(run.status.success(), "{shell}: {}", text(&run.stderr));
        let script = text(&run.stdout);
        assert!(script.contains("write-model"), "{shell}");
        for command in &commands {
            assert!(script.contains(command.as_str()), "{shell}: {command}");
        }
    }
    // The bash script is valid bash.
    let tmp = TempDir::new("completions");
    let path = tmp.path().join("wattshift.bash");
    std::fs::write(&path, wattshift(&["completions", "bash"]).stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash");
    assert!(check.status.success(), "{}", text(&check.stderr));
    let bad = wattshift(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("bash"), "the values are listed");

    let page = text(&wattshift(&["man"]).stdout);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.contains(".TH wattshift 1"), "{page}");
    for command in &commands {
        // The page lists each command's own page, as `wattshift\-plan(1)`.
        assert!(
            page.contains(&format!("wattshift\\-{command}(1)")),
            "{command}: {page}"
        );
        let sub = wattshift(&["man", command]);
        assert!(sub.status.success(), "{command}");
        let sub = text(&sub.stdout);
        assert!(sub.contains(&format!(".TH wattshift-{command} 1")), "{sub}");
    }
    let plan = text(&wattshift(&["man", "plan"]).stdout);
    assert!(plan.contains("\\-\\-write\\-model"), "{plan}");
    assert_eq!(wattshift(&["man", "nope"]).status.code(), Some(2));
}

/// `validate --json` on a valid instance: the overview as JSON, nothing on standard error.
#[test]
fn validate_json_describes_a_valid_instance() {
    let dir = repo("instances/paper-testbed");
    let run = wattshift(&["validate", dir.to_str().unwrap(), "--json"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(run.stderr.is_empty(), "{}", text(&run.stderr));
    let j: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    assert_eq!(j["valid"], true);
    assert_eq!(j["sites"], 2);
    assert_eq!(j["vms"], 10);
    assert_eq!(j["windows"], 24);
    assert_eq!(j["start_utc"], "2024-05-01T00:00:00Z");
    assert_eq!(j["site_list"][1]["price_min_eur_mwh"], -200.0);
    assert_eq!(j["migration_kinds"][0]["kind"], "block");
    assert_eq!(j["migration_kinds"][0]["vms"], 10);
}

/// `validate` goes past a bad row and a bad file: every error of the pass, in the reader's
/// order, each with file, line and column; the first is the one every other command reports.
#[test]
fn validate_lists_every_error_of_one_pass_and_exits_2() {
    use crate::common::{set_cell, InstanceFiles, VMS_CSV, WINDOWS_CSV};
    let vms = set_cell(&set_cell(VMS_CSV, 2, "cpu", "x"), 4, "mem_gib", "-1");
    let windows = set_cell(WINDOWS_CSV, 3, "price_eur_mwh", "cheap");
    let files = InstanceFiles::valid()
        .with("vms.csv", vms)
        .with("windows.csv", windows)
        .with("params.toml", "concurrency = 0\n");
    let first = files.read().expect_err("bad instance");
    let dir = files.write();
    let run = wattshift(&["validate", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(run.status.code(), Some(2));
    let j: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    assert_eq!(j["valid"], false);
    assert_eq!(j["truncated"], false);
    let places: Vec<(String, Option<u64>, Option<String>)> = j["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty());
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64(),
                e["column"].as_str().map(str::to_string),
            )
        })
        .collect();
    let at = |file: &str, line: u64, column: &str| {
        (file.to_string(), Some(line), Some(column.to_string()))
    };
    assert_eq!(
        places,
        vec![
            at("vms.csv", 2, "cpu"),
            at("vms.csv", 4, "mem_gib"),
            at("windows.csv", 3, "price_eur_mwh"),
            at("params.toml", 1, "concurrency"),
        ]
    );
    assert_eq!(j["errors"][0]["message"], first.message.as_str());
    assert_eq!(j["errors"][0]["line"], first.line.unwrap());

    // As text, one `error:` line each on stderr, and nothing on stdout.
    let run = wattshift(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stdout.is_empty());
    let stderr = text(&run.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        4
    );
    assert!(stderr.starts_with(&format!("error: {first}\n")), "{stderr}");
}

/// A file with more bad rows than the cap: the first 100 errors and `truncated`.
#[test]
fn validate_caps_its_errors_and_says_so() {
    use crate::common::InstanceFiles;
    let mut vms = String::from("vm,site,cpu,mem_gib\n");
    for i in 0..150 {
        vms.push_str(&format!("v{i},a,-1,1\n"));
    }
    let dir = InstanceFiles::valid()
        .with("vms.csv", vms)
        .without("usage.csv")
        .write();
    let run = wattshift(&["validate", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(run.status.code(), Some(2));
    let j: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    let errors = j["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 100);
    assert_eq!(j["truncated"], true);
    assert_eq!(errors[99]["line"], 101);
    assert!(text(&run.stderr).contains("stopped after 100 errors"));
}

/// With `start` in windows.csv every output row that names a window carries its start in UTC,
/// and migrations.csv each migration's start; a placement.csv so written reads back.
#[test]
fn outputs_carry_window_starts_in_utc_when_windows_csv_has_them() {
    let tmp = TempDir::new("starts");
    let out = tmp.path().join("out");
    let dir = repo("instances/paper-testbed");
    let run = plan_dir(&dir, &out, &["-q"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let placement = read("placement.csv");
    let mut lines = placement.lines();
    assert_eq!(lines.next(), Some("window,vm,site,window_start"));
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let t: u32 = cells[0].parse().unwrap();
        assert_eq!(cells[3], format!("2024-05-01T{t:02}:00:00Z"), "{line}");
    }
    let migrations = read("migrations.csv");
    let header: Vec<&str> = migrations.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    assert_eq!(&header[..14], &wattshift_columns()[..]);
    let (start_s, window_start, start_utc) = (
        column("start_s"),
        column("window_start"),
        column("start_utc"),
    );
    assert!(window_start > column("energy_eur"));
    let mut moved_within_window = 0;
    for line in migrations.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let begin: jiff::Timestamp = cells[window_start].parse().unwrap();
        let at: jiff::Timestamp = cells[start_utc].parse().unwrap();
        let offset: f64 = cells[start_s].parse().unwrap();
        let gap = (at - begin).as_secs_f64();
        assert!((gap - offset).abs() <= 0.0005, "{line}");
        if offset > 0.0 {
            moved_within_window += 1;
        }
    }
    assert!(
        moved_within_window > 0,
        "the testbed's waves start after the window's start"
    );
    assert!(read("site_windows.csv")
        .lines()
        .next()
        .unwrap()
        .ends_with(",carbon_eur,window_start,x_campus"));

    // evaluate reads placement.csv with its window_start column.
    let run = wattshift(&[
        "evaluate",
        dir.to_str().unwrap(),
        out.join("placement.csv").to_str().unwrap(),
        "--json",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let evaluated: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    assert_eq!(evaluated["objective_eur"], summary["objective_eur"]);
}

/// SPEC's columns of migrations.csv, in order.
fn wattshift_columns() -> [&'static str; 14] {
    [
        "window",
        "vm",
        "from",
        "to",
        "kind",
        "start_s",
        "duration_s",
        "downtime_s",
        "sent_gb",
        "rounds",
        "converged",
        "energy_kwh",
        "cost_eur",
        "late",
    ]
}

/// Starts given with an offset are written in UTC; without any start, no extra column.
#[test]
fn window_starts_are_converted_to_utc_and_absent_without_starts() {
    use crate::common::{drop_column, set_cell, InstanceFiles, WINDOWS_CSV};
    let tmp = TempDir::new("utc");
    // Window 1's first site (a) starts at 01:00+01:00, which is midnight UTC.
    let dated = InstanceFiles::valid().write();
    let out = tmp.path().join("dated");
    let run = plan_dir(dated.path(), &out, &["-q"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let placement = std::fs::read_to_string(out.join("placement.csv")).unwrap();
    let row = placement
        .lines()
        .find(|l| l.starts_with("1,web1,"))
        .unwrap();
    assert!(row.contains(",2024-01-01T00:00:00Z,"), "{row}");
    let site_windows = std::fs::read_to_string(out.join("site_windows.csv")).unwrap();
    assert!(site_windows.contains("\n1,b,"), "{site_windows}");
    let row_b = site_windows
        .lines()
        .find(|l| l.starts_with("1,b,"))
        .unwrap();
    assert!(row_b.contains(",2024-01-01T01:00:00Z,"), "{row_b}");

    let undated = InstanceFiles::valid()
        .with("windows.csv", drop_column(WINDOWS_CSV, "start"))
        .write();
    let empty = InstanceFiles::valid()
        .with(
            "windows.csv",
            (2..=7).fold(WINDOWS_CSV.to_string(), |csv, line| {
                set_cell(&csv, line, "start", "")
            }),
        )
        .write();
    for (name, dir) in [("undated", &undated), ("empty", &empty)] {
        let out = tmp.path().join(name);
        let run = plan_dir(dir.path(), &out, &["-q"]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        for file in ["placement.csv", "migrations.csv", "site_windows.csv"] {
            let content = std::fs::read_to_string(out.join(file)).unwrap();
            assert!(!content.contains("window_start"), "{name} {file}");
        }
    }
}

/// Every command that prints a result prints it as JSON with `--json`, and nothing else on
/// standard output.
#[test]
fn every_result_command_has_json() {
    let tmp = TempDir::new("json");
    let day = repo("instances/paper-testbed");
    let day = day.to_str().unwrap();
    let out = tmp.path().join("plan");
    let generated = tmp.path().join("generated");
    let placement = out.join("placement.csv");
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("validate", vec!["validate", day, "--json"]),
        (
            "plan",
            vec!["plan", day, "--out", out.to_str().unwrap(), "--json", "-q"],
        ),
        (
            "evaluate",
            vec!["evaluate", day, placement.to_str().unwrap(), "--json"],
        ),
        (
            "estimate",
            vec![
                "estimate",
                "--kind",
                "precopy",
                "--mem-gib",
                "4",
                "--bandwidth-gbps",
                "10",
                "--json",
            ],
        ),
        (
            "bench",
            vec!["bench", day, "--solver", "greedy", "--json", "-q"],
        ),
        (
            "generate",
            vec![
                "generate",
                "--sites",
                "2",
                "--vms",
                "4",
                "--windows",
                "3",
                "--out",
                generated.to_str().unwrap(),
                "--json",
            ],
        ),
        ("bound", vec!["bound", day, "--iterations", "5", "--json"]),
    ];
    for (name, args) in runs {
        let run = wattshift(&args);
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&run.stdout);
        assert!(parsed.is_ok(), "{name}: {}", text(&run.stdout));
    }
}

/// `init` writes a template that validates and plans, and never writes over a directory that
/// holds anything, its own earlier template included (which is there to be edited).
#[test]
fn init_writes_a_template_that_validates_and_plans() {
    let tmp = TempDir::new("init");
    let dir = tmp.path().join("fleet");
    let run = wattshift(&["init", dir.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    for file in [
        "README.md",
        "sites.csv",
        "vms.csv",
        "links.csv",
        "windows.csv",
        "usage.csv",
        "params.toml",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    // Every column of the format is in the headers.
    let vms = std::fs::read_to_string(dir.join("vms.csv")).unwrap();
    for column in [
        "dirty_mib_s",
        "wss_gib",
        "allowed_sites",
        "downtime_eur_per_s",
    ] {
        assert!(vms.lines().next().unwrap().contains(column), "{column}");
    }
    let run = wattshift(&["validate", dir.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let out = tmp.path().join("plan");
    let run = plan_dir(&dir, &out, &["-q", "--json"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["status"], "optimal");

    // An edited template is not written over, and neither is any other non-empty directory.
    let edited = "site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue\nmine,1,8,32,50,200,1.1\n";
    std::fs::write(dir.join("sites.csv"), edited).unwrap();
    let run = wattshift(&["init", dir.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("not empty"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("sites.csv")).unwrap(),
        edited
    );
}

/// summary.json says why the search stopped.
#[test]
fn the_summary_says_why_the_search_stopped() {
    use crate::common::InstanceFiles;
    let tmp = TempDir::new("stop");
    let reason = |dir: &std::path::Path, name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let mut args = vec!["-q", "--json"];
        args.extend_from_slice(extra);
        let run = plan_dir(dir, &out, &args);
        let summary: serde_json::Value = serde_json::from_slice(&run.stdout)
            .unwrap_or_else(|_| panic!("{name}: {}", text(&run.stderr)));
        summary["stop_reason"].as_str().unwrap().to_string()
    };
    let testbed = repo("instances/paper-testbed");
    assert_eq!(reason(&testbed, "exact", &["--solver", "exact"]), "optimal");
    assert_eq!(
        reason(&testbed, "greedy", &["--solver", "greedy"]),
        "no_improvement"
    );
    let eu_day = repo("instances/eu-day");
    assert_eq!(
        reason(&eu_day, "loose", &["--solver", "exact", "--gap", "0.2"]),
        "gap_reached"
    );
    assert_eq!(
        reason(
            &eu_day,
            "cut",
            &["--solver", "local", "--time-limit", "0.3"]
        ),
        "time_limit"
    );
    // The stay plan of the small instance breaks allowed_sites.
    let bad = InstanceFiles::valid().write();
    assert_eq!(
        reason(bad.path(), "stay", &["--solver", "stay"]),
        "infeasible"
    );
}
