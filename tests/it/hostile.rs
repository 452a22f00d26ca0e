//! Hostile input, second pass (issue #21): the commands added last must not lose a user's
//! files, trust what they read, panic, or name the wrong cell. Each item through the command
//! line, as a careless or hostile user would run it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cli::{plan_dir, repo, wattshift};
use crate::common::TempDir;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A copy of an instance of `instances/` in `into`.
fn copy_instance(name: &str, into: &Path) -> PathBuf {
    let dir = into.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo(&format!("instances/{name}"))).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

/// Every file below `dir` (or `dir` itself, a file) with its bytes.
fn snapshot(paths: &[&Path]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for path in paths {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                let entry = entry.unwrap().path();
                out.extend(snapshot(&[&entry]));
            }
        } else if let Ok(bytes) = std::fs::read(path) {
            out.insert(path.to_path_buf(), bytes);
        }
    }
    out
}

/// Prices for the decomposition of `dir` (every price 0, or `value` for cpu's first).
fn prices_file(path: &Path, windows: usize, sites: usize, first_cpu: &str) {
    let zeros = vec!["0"; windows * sites];
    let mut cpu = zeros.clone();
    cpu[0] = first_cpu;
    std::fs::write(
        path,
        format!(
            "{{\"windows\":{windows},\"sites\":{sites},\"cpu\":[{}],\"mem\":[{}],\"busy\":[{}]}}",
            cpu.join(","),
            zeros.join(","),
            zeros.join(",")
        ),
    )
    .unwrap();
}

/// Every writing flag of every command, aimed at the instance's own files, at its directory, at
/// the prices it reads and at a user's file: refused with exit 2 and nothing changed; with
/// --force only the user's file may be replaced, atomically and by the command's output.
#[test]
fn no_command_writes_over_what_it_did_not_write() {
    let tmp = TempDir::new("writers");
    let instance = copy_instance("paper-testbed", tmp.path());
    let out = tmp.path().join("out");
    let run = plan_dir(&instance, &out, &["-q", "--solver", "greedy"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let prices = tmp.path().join("prices.json");
    prices_file(&prices, 24, 2, "0");
    let user = tmp.path().join("user.txt");
    let user_mps = tmp.path().join("user.mps");
    let i = s(&instance).to_string();
    let o = s(&out).to_string();
    let p = s(&prices).to_string();
    let command = |words: &str| -> Vec<String> {
        words
            .replace("{I}", &i)
            .replace("{O}", &o)
            .replace("{P}", &p)
            .split(' ')
            .map(String::from)
            .collect()
    };
    // Each command, and the inputs besides the instance that it reads.
    let commands: Vec<(Vec<String>, Vec<PathBuf>)> = vec![
        (
            command("bound {I} --iterations 2 --placement TARGET"),
            vec![],
        ),
        (
            command("shard {I} --prices {P} --index 0 --count 1 --out TARGET"),
            vec![prices.clone()],
        ),
        (
            command("plan {I} --out {O}2 -q --solver greedy --write-model TARGET"),
            vec![],
        ),
        (
            command("bench {I} --solver greedy -q --export-csv TARGET"),
            vec![],
        ),
        (
            command("bench {I} --solver greedy -q --export-json TARGET"),
            vec![],
        ),
        (
            command("bench {I} --solver greedy -q --export-markdown TARGET"),
            vec![],
        ),
        (
            command("export watcher {O} --output TARGET"),
            vec![out.join("placement.csv"), out.join("summary.json")],
        ),
        (
            command("export openstack {O} --output TARGET"),
            vec![out.join("placement.csv")],
        ),
    ];
    let protected = [instance.as_path(), out.as_path(), prices.as_path()];
    for (words, inputs) in &commands {
        let model = words.iter().any(|w| w == "--write-model");
        let mut targets: Vec<PathBuf> = if model {
            vec![instance.join("model.mps"), instance.join("sites.csv")]
        } else {
            vec![
                instance.join("windows.csv"),
                instance.join("links.csv"),
                instance.clone(),
            ]
        };
        targets.extend(inputs.iter().cloned());
        for target in &targets {
            for force in [false, true] {
                let before = snapshot(&protected);
                let mut args: Vec<&str> = words
                    .iter()
                    .map(|w| if w == "TARGET" { s(target) } else { w.as_str() })
                    .collect();
                if force {
                    args.push("--force");
                }
                let run = wattshift(&args);
                assert_eq!(
                    run.status.code(),
                    Some(2),
                    "{args:?} wrote over {}: {}",
                    target.display(),
                    text(&run.stderr)
                );
                assert_eq!(snapshot(&protected), before, "{args:?} changed an input");
            }
        }
        // A user's file: refused without --force, replaced with it.
        let target = if model { &user_mps } else { &user };
        std::fs::write(target, "mine\n").unwrap();
        let mut args: Vec<&str> = words
            .iter()
            .map(|w| if w == "TARGET" { s(target) } else { w.as_str() })
            .collect();
        let run = wattshift(&args);
        assert_eq!(
            run.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&run.stderr)
        );
        assert!(
            text(&run.stderr).contains("--force"),
            "{}",
            text(&run.stderr)
        );
        assert_eq!(std::fs::read_to_string(target).unwrap(), "mine\n");
        args.push("--force");
        let before = snapshot(&protected);
        let run = wattshift(&args);
        assert!(run.status.success(), "{args:?}: {}", text(&run.stderr));
        assert_ne!(std::fs::read_to_string(target).unwrap(), "mine\n");
        assert_eq!(snapshot(&protected), before, "{args:?} changed an input");
        // An output file gets an ordinary file's mode, not a temporary file's 0600.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(target).unwrap().permissions().mode() & 0o777;
        assert_ne!(mode, 0o600, "{args:?}: mode {mode:o}");
        std::fs::remove_file(target).unwrap();
    }
}

/// Two flags of one run naming one file are refused before anything is written.
#[test]
fn bench_checks_every_target_before_writing_any() {
    let tmp = TempDir::new("bench-targets");
    let f = tmp.path().join("F");
    let report = tmp.path().join("report");
    let inside = report.join("bench.csv");
    for args in [
        vec!["--export-csv", s(&f), "--export-json", s(&f)],
        vec!["--report", s(&report), "--export-csv", s(&inside)],
    ] {
        let mut all = vec![
            "bench",
            "instances/paper-testbed",
            "--solver",
            "greedy",
            "-q",
        ];
        all.extend(args.iter());
        let run = wattshift(&all);
        assert_eq!(run.status.code(), Some(2), "{all:?}: {}", text(&run.stderr));
        assert!(
            text(&run.stderr).contains("name the same place"),
            "{}",
            text(&run.stderr)
        );
        assert!(!f.exists() && !report.exists());
    }
}

/// A file where the output should be a directory, and a directory where it should be a file,
/// are named for what they are, without the double comma or a useless --force.
#[test]
fn wrong_kinds_of_targets_are_named_for_what_they_are() {
    let tmp = TempDir::new("kinds");
    let file = tmp.write("a-file", "mine");
    let run = plan_dir(&repo("instances/paper-testbed"), &file, &["-q"]);
    assert_eq!(run.status.code(), Some(2));
    let message = text(&run.stderr);
    assert!(
        message.contains("is a file, not an output directory"),
        "{message}"
    );
    assert!(!message.contains(",,"), "{message}");
    let dir = tmp.path().join("d.mps");
    std::fs::create_dir(&dir).unwrap();
    let out = tmp.path().join("out");
    let run = plan_dir(
        &repo("instances/paper-testbed"),
        &out,
        &["-q", "--write-model", s(&dir), "--force"],
    );
    assert_eq!(run.status.code(), Some(2));
    let message = text(&run.stderr);
    assert!(message.contains("is a directory"), "{message}");
    assert!(!message.contains("pass --force"), "{message}");
    assert!(!out.exists());
}

/// `init .` and `generate --out .` from inside the target directory write in place: the shell
/// is not left in a deleted directory, and the instance validates.
#[test]
fn init_and_generate_into_the_current_directory_write_in_place() {
    let tmp = TempDir::new("in-place");
    for (name, args) in [
        ("init", vec!["init", "."]),
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
                ".",
            ],
        ),
    ] {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_wattshift"))
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_wattshift"))
            .args(["validate", "."])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        assert!(dir.join("sites.csv").is_file() && dir.join(".wattshift-output").is_file());
    }
}

/// The shipped testbed with vm01 pinned, planned staying.
fn pinned_testbed(tmp: &TempDir) -> (PathBuf, PathBuf) {
    let dir = copy_instance("paper-testbed", tmp.path());
    let vms = std::fs::read_to_string(dir.join("vms.csv")).unwrap();
    let vms = vms.replacen(",block,0.000001\n", ",pinned,0.000001\n", 1);
    std::fs::write(dir.join("vms.csv"), vms).unwrap();
    let out = tmp.path().join("out");
    let run = plan_dir(&dir, &out, &["-q", "--solver", "stay"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    (dir, out)
}

/// An export evaluates the plan first: a pinned VM moved by hand, or a VM that fits on no
/// node, is refused with the reason and nothing is written.
#[test]
fn exports_refuse_a_plan_that_breaks_a_rule_or_fits_no_node() {
    let tmp = TempDir::new("export-checks");
    let (dir, out) = pinned_testbed(&tmp);
    let placement = out.join("placement.csv");
    let moved = std::fs::read_to_string(&placement)
        .unwrap()
        .replace("3,vm01,fredericia", "3,vm01,eemshaven");
    std::fs::write(&placement, moved).unwrap();
    for target in ["openstack", "watcher"] {
        let run = wattshift(&["export", target, s(&out)]);
        assert_eq!(
            run.status.code(),
            Some(1),
            "{target}: {}",
            text(&run.stderr)
        );
        assert!(
            text(&run.stderr).contains("pinned"),
            "{}",
            text(&run.stderr)
        );
        assert!(run.stdout.is_empty());
    }
    assert!(!out.join("openstack-migrate.sh").exists());
    // Nodes too small for the VMs (1 core, 1 GiB): the export would name no host.
    let run = plan_dir(&dir, &out, &["-q", "--solver", "stay"]);
    assert!(run.status.success());
    let nodes = tmp.write(
        "nodes.csv",
        "site,node,cpu,mem_gib\nfredericia,f1,1,1\neemshaven,e1,1,1\n",
    );
    let run = wattshift(&["export", "openstack", s(&out), "--nodes", s(&nodes)]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("fit on no compute node") && text(&run.stderr).contains("vm01"),
        "{}",
        text(&run.stderr)
    );
    assert!(!out.join("openstack-migrate.sh").exists());
    // `hosts` says so too, instead of "every site and window fits".
    let run = wattshift(&["hosts", s(&out), "--nodes", s(&nodes)]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let said = text(&run.stdout);
    assert!(!said.contains("every site and window fits"), "{said}");
    assert!(said.contains("fit on no node"), "{said}");
}

/// Ids that a spreadsheet would run as a formula or a client would take for an option, and an
/// `x_uuid` that is no UUID, are refused at their cell.
#[test]
fn ids_a_spreadsheet_or_a_shell_would_run_are_refused_at_their_cell() {
    let tmp = TempDir::new("ids");
    for (file, bad) in [
        ("vms.csv", "--os-auth-url=http://evil/"),
        ("vms.csv", "=HYPERLINK(\"http://evil\")"),
        ("vms.csv", "+1"),
        ("vms.csv", "@SUM(A1)"),
        ("sites.csv", "-fredericia"),
    ] {
        let dir = copy_instance("paper-testbed", &tmp.path().join(format!("{}", bad.len())));
        let original = std::fs::read_to_string(dir.join(file)).unwrap();
        let (from, column) = if file == "vms.csv" {
            ("vm01,", "vm")
        } else {
            ("fredericia,", "site")
        };
        let quoted = format!("\"{}\",", bad.replace('"', "\"\""));
        std::fs::write(dir.join(file), original.replacen(from, &quoted, 1)).unwrap();
        let run = wattshift(&["validate", s(&dir)]);
        assert_eq!(run.status.code(), Some(2), "{bad}");
        let message = text(&run.stderr);
        assert!(
            message.contains(&format!("{file}, line 2, column '{column}'"))
                && message.contains("does not begin with"),
            "{bad}: {message}"
        );
    }
    let dir = copy_instance("paper-testbed", &tmp.path().join("uuid"));
    let vms = std::fs::read_to_string(dir.join("vms.csv")).unwrap();
    let lines: Vec<String> = vms.lines().map(String::from).collect();
    let with_uuids = |bad: Option<&str>| -> String {
        let mut out = format!("{},x_uuid\n", lines[0]);
        for (k, line) in lines.iter().enumerate().skip(1) {
            let uuid = match bad {
                Some(bad) if k == 3 => bad.to_string(),
                _ => format!("6f1c2a8e-0b1d-4c55-9a51-1d0f6f1e2a{k:02}"),
            };
            out.push_str(&format!("{line},{uuid}\n"));
        }
        out
    };
    std::fs::write(dir.join("vms.csv"), with_uuids(None)).unwrap();
    assert!(wattshift(&["validate", s(&dir)]).status.success());
    std::fs::write(
        dir.join("vms.csv"),
        with_uuids(Some("\"6f1c\r\nrm -rf /\"")),
    )
    .unwrap();
    let run = wattshift(&["validate", s(&dir)]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("line 4, column 'x_uuid'"),
        "{}",
        text(&run.stderr)
    );
}

/// The testbed's copy and an import into it of `body` (written to a feed file).
fn import(tmp: &TempDir, feed: &str, name: &str, body: &str, extra: &[&str]) -> (PathBuf, Output) {
    let dir = tmp.path().join("testbed");
    if !dir.exists() {
        copy_instance("paper-testbed", tmp.path());
        std::fs::rename(tmp.path().join("paper-testbed"), &dir).unwrap();
    }
    let file = tmp.write(name, body);
    let mut args = vec![
        "import",
        feed,
        s(&file),
        "--site",
        "eemshaven",
        "--into",
        s(&dir),
    ];
    args.extend_from_slice(extra);
    let run = wattshift(&args);
    (dir, run)
}

/// A day of hourly Carbon Aware emissions data for `location`s, each hour `value(h)`.
fn bylocation(locations: &[(&str, f64)], duration: &str) -> String {
    let mut items = Vec::new();
    for (location, value) in locations {
        for h in 0..24 {
            items.push(format!(
                "{{\"location\":\"{location}\",\"time\":\"2024-05-01T{h:02}:00:00Z\",\"rating\":{value},\"duration\":{duration}}}"
            ));
        }
    }
    format!("[{}]", items.join(",\n"))
}

/// ENTSO-E prices for the testbed's day (2024-05-01 UTC) in the header's zone, each 7.
fn entsoe_day(header: &str, offset_h: i64) -> String {
    let mut out = format!("\"{header}\",\"Day-ahead Price [EUR/MWh]\"\n");
    let start = jiff::civil::date(2024, 5, 1).at(0, 0, 0, 0);
    for h in -1..25 {
        let from = start + jiff::SignedDuration::from_hours(h + offset_h);
        let to = from + jiff::SignedDuration::from_hours(1);
        out.push_str(&format!(
            "\"{} - {}\",\"7\"\n",
            from.strftime("%d.%m.%Y %H:%M"),
            to.strftime("%d.%m.%Y %H:%M")
        ));
    }
    out
}

/// Imports refuse what they do not understand, name the row, never panic, and keep the file
/// they rewrite as it was: its mode, a link to it, its byte-order mark and line ends.
#[test]
fn imports_say_what_they_do_not_understand() {
    let tmp = TempDir::new("imports");
    let (dir, _) = import(
        &tmp,
        "entsoe",
        "warmup.csv",
        &entsoe_day("MTU (UTC)", 0),
        &[],
    );
    let windows = dir.join("windows.csv");
    // Refused, with windows.csv untouched.
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "entsoe",
            "bare.csv",
            entsoe_day("MTU", 0),
            "names no time zone",
        ),
        (
            "entsoe",
            "msk.csv",
            entsoe_day("MTU (MSK)", 3),
            "names no time zone",
        ),
        (
            "carbon-aware",
            "two.json",
            bylocation(
                &[("westeurope", 1.0), ("northeurope", 1000.0)],
                "\"01:00:00\"",
            ),
            "2 locations",
        ),
        (
            "carbon-aware",
            "long.json",
            bylocation(&[("a", 1.0)], "1e18"),
            "minutes",
        ),
        (
            "carbon-aware",
            "span.json",
            bylocation(&[("a", 1.0)], "\"01:61:00\""),
            "TimeSpan",
        ),
        (
            "electricitymaps",
            "gap.json",
            format!(
                "{{\"history\":[{}]}}",
                (0..24)
                    .filter(|h| *h != 5)
                    .map(|h| format!(
                        "{{\"datetime\":\"2024-05-01T{h:02}:00:00Z\",\"carbonIntensity\":300}}"
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "no data from 2024-05-01T05:00:00Z to 2024-05-01T06:00:00Z",
        ),
    ];
    for (feed, name, body, says) in &cases {
        let before = std::fs::read(&windows).unwrap();
        let (_, run) = import(&tmp, feed, name, body, &[]);
        assert_eq!(run.status.code(), Some(2), "{name}: {}", text(&run.stderr));
        assert!(
            text(&run.stderr).contains(says),
            "{name}: {}",
            text(&run.stderr)
        );
        assert_eq!(std::fs::read(&windows).unwrap(), before, "{name}");
    }
    // Duplicates and the hour the clocks skip are named at their line.
    let mut dup = entsoe_day("MTU (UTC)", 0);
    dup.push_str("\"01.05.2024 10:00 - 01.05.2024 11:00\",\"9\"\n");
    let (_, run) = import(&tmp, "entsoe", "dup.csv", &dup, &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("line 28") && text(&run.stderr).contains("overlaps line 13"),
        "{}",
        text(&run.stderr)
    );
    // A location is chosen with --location; EET/EEST is read as its own zone.
    let (_, run) = import(
        &tmp,
        "carbon-aware",
        "two.json",
        &bylocation(
            &[("westeurope", 1.0), ("northeurope", 1000.0)],
            "\"01:00:00\"",
        ),
        &["--location", "northeurope"],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let (_, run) = import(
        &tmp,
        "entsoe",
        "eet.csv",
        &entsoe_day("MTU (EET/EEST)", 3),
        &[],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    // The file keeps its mode, its link, its byte-order mark and its CRLF line ends.
    use std::os::unix::fs::PermissionsExt;
    let real = tmp.path().join("real-windows.csv");
    let original = std::fs::read_to_string(&windows).unwrap();
    let crlf = format!("\u{feff}{}", original.replace('\n', "\r\n"));
    std::fs::write(&real, &crlf).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::remove_file(&windows).unwrap();
    std::os::unix::fs::symlink(&real, &windows).unwrap();
    let (_, run) = import(&tmp, "entsoe", "utc.csv", &entsoe_day("MTU (UTC)", 0), &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(std::fs::symlink_metadata(&windows)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let rewritten = std::fs::read(&real).unwrap();
    assert!(rewritten.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(
        rewritten.windows(2).filter(|w| w == b"\r\n").count(),
        rewritten.iter().filter(|&&b| b == b'\n').count()
    );
    assert!(wattshift(&["validate", s(&dir)]).status.success());
}

/// A feed value the instance refuses is named at the feed's row, not at windows.csv's inf.
#[test]
fn a_refused_feed_value_is_named_at_its_row() {
    let tmp = TempDir::new("feed-value");
    let dir = copy_instance("paper-testbed", tmp.path());
    let params = std::fs::read_to_string(dir.join("params.toml")).unwrap();
    std::fs::write(dir.join("params.toml"), params + "carbon_eur_per_t = 1e9\n").unwrap();
    let mut body = bylocation(&[("a", 300.0)], "\"01:00:00\"");
    let k = body.match_indices("\"rating\":300").nth(7).unwrap().0;
    body.replace_range(k..k + "\"rating\":300".len(), "\"rating\":1e308");
    let file = tmp.write("huge.json", &body);
    let run = wattshift(&[
        "import",
        "carbon-aware",
        s(&file),
        "--site",
        "eemshaven",
        "--into",
        s(&dir),
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    let message = text(&run.stderr);
    assert!(
        message.contains("huge.json") && message.contains("data point 7"),
        "{message}"
    );
    assert!(!message.contains("found inf"), "{message}");
}

/// Limits too large for the clock are no limit, not a panic; a shard's prices are checked; a
/// huge progress record gives a page of ordinary size.
#[test]
fn extreme_limits_and_prices_are_no_panic() {
    let tmp = TempDir::new("extremes");
    for solver in ["paths", "exact", "local", "fleet", "windows"] {
        for limit in ["1e20", "5e19"] {
            let out = tmp.path().join(format!("{solver}-{limit}"));
            let run = plan_dir(
                &repo("instances/paper-testbed"),
                &out,
                &["-q", "--solver", solver, "--time-limit", limit],
            );
            assert_eq!(
                run.status.code(),
                Some(0),
                "{solver} {limit}: {}",
                text(&run.stderr)
            );
        }
    }
    let config = tmp.write("huge.toml", "solver = \"local\"\ntime_limit_s = 1e20\n");
    let out = tmp.path().join("config");
    let run = plan_dir(
        &repo("instances/paper-testbed"),
        &out,
        &["-q", "--solver", s(&config)],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    // Prices: 1e308 and a wrong count are refused at the file; a negative price is a price.
    let prices = tmp.path().join("prices.json");
    let result = tmp.path().join("result.json");
    let shard = || {
        wattshift(&[
            "shard",
            "instances/paper-testbed",
            "--prices",
            s(&prices),
            "--index",
            "0",
            "--count",
            "1",
            "--out",
            s(&result),
            "--force",
        ])
    };
    for (first, ok) in [("1e308", false), ("-3.5", true)] {
        prices_file(&prices, 24, 2, first);
        let run = shard();
        assert_eq!(
            run.status.code(),
            Some(if ok { 0 } else { 2 }),
            "{first}: {}",
            text(&run.stderr)
        );
        if ok {
            assert!(!std::fs::read_to_string(&result).unwrap().contains("null"));
        } else {
            assert!(
                text(&run.stderr).contains("cpu[0]"),
                "{}",
                text(&run.stderr)
            );
        }
    }
    prices_file(&prices, 23, 2, "0");
    let run = shard();
    assert_eq!(run.status.code(), Some(2));
    // 500 000 progress records: the page stays small.
    let out = tmp.path().join("progress");
    let run = plan_dir(&repo("instances/paper-testbed"), &out, &["-q"]);
    assert!(run.status.success());
    let mut progress = String::from("elapsed_s,objective_eur,bound_eur\n");
    for k in 0..500_000 {
        progress.push_str(&format!(
            "{},{},{}\n",
            k as f64 * 1e-3,
            1.0 - k as f64 * 1e-7,
            -1.0
        ));
    }
    std::fs::write(out.join("progress.csv"), progress).unwrap();
    let run = wattshift(&["report", s(&out)]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let size = std::fs::metadata(out.join("report.html")).unwrap().len();
    assert!(size < 2_000_000, "report.html is {size} bytes");
}

/// Instances of many sites validate and plan: the path computation scales.
#[test]
fn many_sites_generate_and_validate() {
    let tmp = TempDir::new("many-sites");
    let out = tmp.path().join("g");
    let run = wattshift(&[
        "generate",
        "--sites",
        "512",
        "--vms",
        "10",
        "--windows",
        "2",
        "--seed",
        "3",
        "--out",
        s(&out),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(wattshift(&["validate", s(&out)]).status.success());
}

/// Errors name the cell that causes them.
#[test]
fn messages_name_the_cell_that_causes_them() {
    let tmp = TempDir::new("cells");
    let cases: [(&str, &str, &str, &str); 2] = [
        (
            "vms.csv",
            "vm01,fredericia,1,",
            "vm01,fredericia,1e308,",
            "vms.csv, line 2, column 'cpu'",
        ),
        (
            "params.toml",
            "window_hours = 1.0",
            "window_hours = 1.0\nenergy_j_per_mb = 1e308",
            "params.toml, line 3, column 'energy_j_per_mb'",
        ),
    ];
    for (file, from, to, expected) in cases {
        let dir = copy_instance("paper-testbed", &tmp.path().join(file));
        let original = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(original.contains(from), "{file}");
        std::fs::write(dir.join(file), original.replacen(from, to, 1)).unwrap();
        let run = wattshift(&["validate", s(&dir)]);
        assert_eq!(run.status.code(), Some(2));
        assert!(
            text(&run.stderr).contains(expected),
            "{expected}: {}",
            text(&run.stderr)
        );
    }
    let dir = copy_instance("paper-testbed", &tmp.path().join("tiny"));
    let params = std::fs::read_to_string(dir.join("params.toml")).unwrap();
    std::fs::write(
        dir.join("params.toml"),
        params + "carbon_eur_per_t = 1e-400\n",
    )
    .unwrap();
    let run = wattshift(&["validate", s(&dir)]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("column 'carbon_eur_per_t'")
            && text(&run.stderr).contains("underflows"),
        "{}",
        text(&run.stderr)
    );
    let run = wattshift(&[
        "estimate",
        "--kind",
        "precopy",
        "--mem-gib",
        "2",
        "--bandwidth-gbps",
        "1e-320",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("--bandwidth-gbps"),
        "{}",
        text(&run.stderr)
    );
}

/// A file of an output directory that links elsewhere is not read, and a placement whose
/// first line is no header is not echoed.
#[test]
fn files_outside_what_the_user_named_are_not_echoed() {
    let tmp = TempDir::new("echo");
    let out = tmp.path().join("out");
    let run = plan_dir(&repo("instances/paper-testbed"), &out, &["-q"]);
    assert!(run.status.success());
    let secret = tmp.write("secret.txt", "root:SECRET-HASH:20228:0:99999:7:::\n");
    std::fs::remove_file(out.join("placement.csv")).unwrap();
    std::os::unix::fs::symlink(&secret, out.join("placement.csv")).unwrap();
    for command in ["report", "explain", "hosts"] {
        let run = wattshift(&[command, s(&out)]);
        assert_eq!(run.status.code(), Some(2), "{command}");
        assert!(
            text(&run.stderr).contains("symbolic link"),
            "{}",
            text(&run.stderr)
        );
        assert!(
            !text(&run.stderr).contains("SECRET"),
            "{}",
            text(&run.stderr)
        );
    }
    let run = wattshift(&["evaluate", "instances/paper-testbed", s(&secret)]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        !text(&run.stderr).contains("SECRET"),
        "{}",
        text(&run.stderr)
    );
}
