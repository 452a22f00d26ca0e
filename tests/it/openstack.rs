//! From a plan to OpenStack: node packing (`hosts`), Watcher action plans and the `openstack`
//! script, each checked for what an operator relies on.

use crate::cli::{plan_dir, repo, wattshift};
use crate::common::TempDir;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn plan(name: &str, tmp: &TempDir) -> std::path::PathBuf {
    let out = tmp.path().join(name);
    let run = plan_dir(&repo(&format!("instances/{name}")), &out, &["-q"]);
    assert!(run.status.success(), "{name}: {}", text(&run.stderr));
    out
}

/// CSV rows as maps from header to cell.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Every VM on a node of its site in every window, no node over its cores × overcommit or its
/// memory, never fewer nodes than the plan's active hosts, and the excess reported.
#[test]
fn hosts_packs_every_vm_onto_a_node_of_its_site_within_capacity() {
    let tmp = TempDir::new("hosts");
    for name in ["eu-day", "onboarding", "mixed-kinds"] {
        let out = plan(name, &tmp);
        let run = wattshift(&["hosts", out.to_str().unwrap(), "--json"]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let instance =
            wattshift::io::read::read_instance(&repo(&format!("instances/{name}"))).unwrap();
        let placement = rows(&out.join("node_placement.csv"));
        assert_eq!(placement.len(), instance.num_vms() * instance.num_windows());
        let mut load: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
        let mut used: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for row in &placement {
            let node = &row["node"];
            assert!(node.starts_with(&format!("{}-", row["site"])), "{row:?}");
            let vm = instance.vms.iter().find(|v| v.id == row["vm"]).unwrap();
            let cell = load
                .entry((row["window"].clone(), node.clone()))
                .or_default();
            cell.0 += vm.cpu;
            cell.1 += vm.mem_gib;
            used.entry((row["window"].clone(), row["site"].clone()))
                .or_default()
                .insert(node.clone());
        }
        for ((_, node), (cpu, mem)) in &load {
            let site = instance
                .sites
                .iter()
                .find(|s| node.starts_with(&format!("{}-", s.id)))
                .unwrap();
            assert!(
                *cpu <= site.host_cpu * site.cpu_overcommit + 1e-9,
                "{name} {node}"
            );
            assert!(*mem <= site.host_mem_gib + 1e-9, "{name} {node}");
        }
        let sites = rows(&out.join("site_windows.csv"));
        let mut excess = 0;
        for row in &sites {
            let nodes = used
                .get(&(row["window"].clone(), row["site"].clone()))
                .map_or(0, BTreeSet::len) as f64;
            let hosts: f64 = row["active_hosts"].parse().unwrap();
            assert!(
                nodes >= hosts,
                "{name}: packing below the fluid count {row:?}"
            );
            excess += (nodes - hosts) as usize;
        }
        assert_eq!(report["excess_nodes"], excess, "{name}");
        assert_eq!(report["unplaced"], 0, "{name}");
    }
}

#[test]
fn hosts_reads_a_node_list_and_reports_vms_that_fit_nowhere() {
    let tmp = TempDir::new("hosts-nodes");
    let out = plan("paper-testbed", &tmp);
    // Fredericia's one node holds four of its ten 1-core VMs; Eemshaven has none.
    let nodes = tmp.path().join("nodes.csv");
    std::fs::write(&nodes, "site,node,cpu,mem_gib\nfredericia,fr-a,4,64\n").unwrap();
    let run = wattshift(&[
        "hosts",
        out.to_str().unwrap(),
        "--nodes",
        nodes.to_str().unwrap(),
        "--json",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(report["unplaced"].as_u64().unwrap() > 0);
    let placement = rows(&out.join("node_placement.csv"));
    assert!(placement.iter().any(|r| r["node"].is_empty()));
    assert!(placement
        .iter()
        .all(|r| r["node"].is_empty() || r["node"] == "fr-a"));
    // Bad node lists name the file, line and column, and nothing is written.
    for (content, line, column) in [
        ("site,node,cpu,mem_gib\nnowhere,a,4,64\n", 2, "site"),
        (
            "site,node,cpu,mem_gib\nfredericia,a,4,64\nfredericia,a,4,64\n",
            3,
            "node",
        ),
        ("site,node,cpu,mem_gib\nfredericia,a,0,64\n", 2, "cpu"),
    ] {
        std::fs::write(&nodes, content).unwrap();
        let run = wattshift(&[
            "hosts",
            out.to_str().unwrap(),
            "--nodes",
            nodes.to_str().unwrap(),
        ]);
        assert_eq!(run.status.code(), Some(2));
        let message = text(&run.stderr);
        assert!(
            message.contains(&format!("line {line}, column '{column}'")),
            "{message}"
        );
    }
}

/// The schedule Watcher's applier would follow: each action starts when its parents have ended
/// and runs for its migration's duration. Returns each migrate action's (start, end, vm).
fn simulate(
    actions: &[serde_json::Value],
    duration: &BTreeMap<String, f64>,
) -> Vec<(f64, f64, String)> {
    let mut end: BTreeMap<String, f64> = BTreeMap::new();
    let mut out = Vec::new();
    for a in actions {
        // Parents come earlier in the list: the plan is in topological order.
        let start = a["parents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                *end.get(p.as_str().unwrap())
                    .expect("a parent listed before its child")
            })
            .fold(0.0, f64::max);
        let uuid = a["uuid"].as_str().unwrap().to_string();
        if a["action_type"] == "sleep" {
            let d = a["input_parameters"]["duration"].as_f64().unwrap();
            end.insert(uuid, start + d);
        } else if a["action_type"] == "migrate" {
            let resource = a["input_parameters"]["resource_id"]
                .as_str()
                .unwrap()
                .to_string();
            let d = duration[&resource];
            end.insert(uuid, start + d);
            out.push((start, start + d, resource));
        } else {
            end.insert(uuid, start);
        }
    }
    out
}

#[test]
fn the_watcher_plan_matches_watchers_schema_and_keeps_the_link_concurrency() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("docs/watcher-action-plan.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let tmp = TempDir::new("watcher");
    for (name, concurrency) in [("paper-testbed", 3usize), ("onboarding", 2)] {
        let out = plan(name, &tmp);
        let run = wattshift(&["export", "watcher", out.to_str().unwrap()]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let plan: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&plan)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        // The same plan exports the same UUIDs.
        let again = wattshift(&["export", "watcher", out.to_str().unwrap()]);
        assert_eq!(run.stdout, again.stdout);

        let migrations = rows(&out.join("migrations.csv"));
        let actions = plan["actions"].as_array().unwrap();
        let migrates: Vec<&serde_json::Value> = actions
            .iter()
            .filter(|a| a["action_type"] == "migrate")
            .collect();
        let respawns = migrations.iter().filter(|r| r["kind"] == "respawn").count();
        assert_eq!(migrates.len() + respawns, migrations.len(), "{name}");
        assert_eq!(plan["skipped"].as_array().unwrap().len(), respawns);
        for a in &migrates {
            let p = &a["input_parameters"];
            assert_ne!(p["source_node"], p["destination_node"], "{a}");
        }
        // Each window's migrations, run as Watcher would, never exceed the link's
        // concurrency (every migration of these two instances shares one link direction at a
        // time), and a window's start after the previous window's end.
        let instance =
            wattshift::io::read::read_instance(&repo(&format!("instances/{name}"))).unwrap();
        let server = |vm: &str| {
            let v = instance.vms.iter().find(|v| v.id == vm).unwrap();
            v.annotations
                .iter()
                .find(|(k, _)| k == "x_uuid")
                .map_or(vm.to_string(), |(_, u)| u.clone())
        };
        let mut duration = BTreeMap::new();
        let mut direction = BTreeMap::new();
        for r in migrations.iter().filter(|r| r["kind"] != "respawn") {
            duration.insert(server(&r["vm"]), r["duration_s"].parse::<f64>().unwrap());
            direction.insert(server(&r["vm"]), (r["from"].clone(), r["to"].clone()));
        }
        let runs = simulate(actions, &duration);
        // The clock: no migration starts before its window does (the plan's first window with
        // a migration at 0 s), as Watcher's sleep actions hold each window back.
        let window_of = |a: &serde_json::Value| -> usize {
            let d = a["description"].as_str().unwrap();
            let rest = &d[d.find("in window ").unwrap() + "in window ".len()..];
            rest[..rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len())]
                .parse()
                .unwrap()
        };
        let first = migrates.iter().map(|a| window_of(a)).min().unwrap();
        let window_s = instance.params.window_s();
        for (a, (start, _, _)) in migrates.iter().zip(&runs) {
            let due = (window_of(a) - first) as f64 * window_s;
            assert!(
                *start >= due - 1e-6,
                "{name}: {a} at {start} s, due {due} s"
            );
        }
        for (start, _, vm) in &runs {
            let busy = runs
                .iter()
                .filter(|(s, e, other)| {
                    direction[other] == direction[vm] && s <= start && *start < *e
                })
                .count();
            assert!(
                busy <= concurrency,
                "{name}: {busy} on one link at {start} s"
            );
        }
    }
}

/// The script runs nothing without --execute; with it, a fake `openstack` on PATH records each
/// call, window by window, and the first failure stops the script.
#[test]
fn the_openstack_script_is_a_dry_run_until_executed_and_stops_at_a_failure() {
    let tmp = TempDir::new("openstack-script");
    let out = plan("onboarding", &tmp);
    let run = wattshift(&["export", "openstack", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let script = out.join("openstack-migrate.sh");
    let body = std::fs::read_to_string(&script).unwrap();
    assert!(
        body.contains("# window 0, starting 2024-03-12T06:00:00Z"),
        "{body}"
    );
    assert!(body.contains("--block-migration"));
    assert!(body.contains("openstack server migration confirm"));

    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = tmp.path().join("calls.log");
    let fake = bin.join("openstack");
    std::fs::write(
        &fake,
        format!(
            "#!/usr/bin/env bash\necho \"$*\" >> {}\nif [ -n \"${{FAIL_ON:-}}\" ] && [[ \"$*\" == *\"$FAIL_ON\"* ]]; then exit 7; fi\n",
            log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let bash = |args: &[&str], fail_on: &str| {
        std::process::Command::new("bash")
            .arg(&script)
            .args(args)
            .env("PATH", &path)
            .env("FAIL_ON", fail_on)
            .output()
            .unwrap()
    };
    // A dry run calls nothing.
    let dry = bash(&[], "");
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(!log.exists());
    assert!(text(&dry.stdout).contains("+ openstack server migrate"));
    // Executed: every migration, once; cold ones confirmed.
    let executed = bash(&["--execute"], "");
    assert!(executed.status.success(), "{}", text(&executed.stderr));
    let calls = std::fs::read_to_string(&log).unwrap();
    let migrates: Vec<&str> = calls
        .lines()
        .filter(|l| l.starts_with("server migrate "))
        .collect();
    assert_eq!(migrates.len(), 4, "{calls}");
    assert_eq!(
        calls
            .lines()
            .filter(|l| l.starts_with("server migration confirm "))
            .count(),
        2
    );
    assert!(migrates
        .iter()
        .any(|l| l.contains("--live-migration --block-migration --host=fra1-small-")));
    // Every server id comes after `--`, so no id reaches the client as an option.
    assert!(
        migrates.iter().all(|l| l.contains(" --wait -- ")),
        "{calls}"
    );
    // A failure in the first wave stops the script before the next wave.
    std::fs::remove_file(&log).unwrap();
    let failed = bash(&["--execute"], "6f1c2a8e-0b1d-4c55-9a51-1d0f6f1e2a05");
    assert!(!failed.status.success());
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        !calls.contains("2a04"),
        "shop's later wave ran after a failure: {calls}"
    );
}

/// A VM that stays may have to change node so that an arrival fits: the export carries that
/// move as a rebalance before the arrival, which waits for it; pinned VMs never move.
#[test]
fn exports_carry_the_rebalances_the_packing_needs() {
    use crate::common::TempDir;
    let tmp = TempDir::new("rebalance");
    let dir = tmp.path().join("instance");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    // Two sites of two 2-core hosts. a, b and d start at s1 (a and b fill one node, d half the
    // other); c, 2 cores, starts at s2. In window 1, b goes to s2 and c comes to s1: c fits only
    // if a or d moves to the other's node.
    write("sites.csv", "site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue\ns1,2,2,64,100,200,1.2\ns2,2,2,64,100,200,1.2\n");
    write("links.csv", "from,to,bandwidth_gbps\ns1,s2,10\n");
    write(
        "vms.csv",
        "vm,site,cpu,mem_gib\na,s1,1,1\nb,s1,1,1\nd,s1,1,1\nc,s2,2,2\n",
    );
    write(
        "windows.csv",
        "window,site,price_eur_mwh\n0,s1,50\n0,s2,50\n1,s1,50\n1,s2,50\n",
    );
    let out = tmp.path().join("out");
    let run = plan_dir(&dir, &out, &["-q", "--solver", "stay"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    std::fs::write(
        out.join("placement.csv"),
        "window,vm,site\n0,a,s1\n0,b,s1\n0,d,s1\n0,c,s2\n1,a,s1\n1,b,s2\n1,d,s1\n1,c,s1\n",
    )
    .unwrap();
    let run = wattshift(&["export", "watcher", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("1 VM changes node"),
        "{}",
        text(&run.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let actions = plan["actions"].as_array().unwrap();
    let migrate = |vm: &str| {
        actions
            .iter()
            .find(|a| a["action_type"] == "migrate" && a["input_parameters"]["resource_id"] == vm)
            .unwrap_or_else(|| panic!("no action for {vm}: {actions:?}"))
    };
    let rebalance = actions
        .iter()
        .find(|a| a["description"].as_str().unwrap().contains("rebalance"))
        .expect("a rebalance");
    let moved = rebalance["input_parameters"]["resource_id"]
        .as_str()
        .unwrap();
    assert!(moved == "a" || moved == "d", "{rebalance}");
    let p = &rebalance["input_parameters"];
    assert!(p["source_node"].as_str().unwrap().starts_with("s1-"));
    assert!(p["destination_node"].as_str().unwrap().starts_with("s1-"));
    assert_ne!(p["source_node"], p["destination_node"]);
    // c's arrival waits for it, and lands on a node of s1.
    let c = migrate("c");
    assert!(c["parents"]
        .as_array()
        .unwrap()
        .contains(&rebalance["uuid"]));
    assert!(c["input_parameters"]["destination_node"]
        .as_str()
        .unwrap()
        .starts_with("s1-"));
    migrate("b");

    // Pinned: the rebalance a pinned VM would need cannot be made, so c fits on no node of s1
    // and the export is refused, naming it, instead of leaving Nova's scheduler to pick a host.
    write(
        "vms.csv",
        "vm,site,cpu,mem_gib,migration\na,s1,1,1,pinned\nb,s1,1,1,\nd,s1,1,1,pinned\nc,s2,2,2,\n",
    );
    let run = wattshift(&[
        "export",
        "watcher",
        out.to_str().unwrap(),
        "--instance",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    assert!(run.stdout.is_empty());
    assert!(
        text(&run.stderr).contains("fit on no compute node")
            && text(&run.stderr).contains("c in window 1 at s1"),
        "{}",
        text(&run.stderr)
    );
}

/// On a fake clock (`date` and `sleep` on PATH that read and advance a file), the executed
/// script starts no migration before its window, powers a node on before the first VM arrives
/// and off only after the last has left, and disables a node's service before powering it off.
#[test]
fn the_script_keeps_the_plans_clock_and_switches_hosts() {
    let tmp = TempDir::new("clock");
    let out = plan("paper-testbed", &tmp);
    let run = wattshift(&["export", "openstack", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let script = out.join("openstack-migrate.sh");
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let clock = tmp.path().join("clock");
    let log = tmp.path().join("calls.log");
    // 2024-05-01T00:00:00Z, the testbed's window 0.
    let epoch0: i64 = 1_714_521_600;
    std::fs::write(&clock, format!("{epoch0}\n")).unwrap();
    let tools = [
        ("date", format!("#!/bin/sh\ncat {}\n", clock.display())),
        (
            "sleep",
            format!(
                "#!/bin/sh\necho $(( $(cat {c}) + $1 )) > {c}.new && mv {c}.new {c}\n",
                c = clock.display()
            ),
        ),
        (
            "openstack",
            format!(
                "#!/bin/sh\necho \"$(cat {}) $*\" >> {}\n",
                clock.display(),
                log.display()
            ),
        ),
    ];
    for (name, body) in &tools {
        let path = bin.join(name);
        std::fs::write(&path, body).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let executed = std::process::Command::new("bash")
        .arg(&script)
        .arg("--execute")
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(executed.status.success(), "{}", text(&executed.stderr));
    assert!(
        text(&executed.stdout).contains("waiting"),
        "{}",
        text(&executed.stdout)
    );
    let calls: Vec<(i64, String)> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| {
            let (at, call) = l.split_once(' ').unwrap();
            (at.parse().unwrap(), call.to_string())
        })
        .collect();
    // The migrations, in order of their windows, against the calls.
    let migrations = rows(&out.join("migrations.csv"));
    let migrate_calls: Vec<&(i64, String)> = calls
        .iter()
        .filter(|(_, c)| c.starts_with("server migrate "))
        .collect();
    assert_eq!(migrate_calls.len(), migrations.len());
    let window_of = |at: i64| ((at - epoch0) / 3600) as usize;
    for ((at, call), m) in migrate_calls.iter().zip(&migrations) {
        let window: usize = m["window"].parse().unwrap();
        let start: f64 = m["start_s"].parse().unwrap();
        let due = epoch0 + window as i64 * 3600 + start.ceil() as i64;
        assert!(*at >= due, "{call} at {at}, due {due}");
        assert_eq!(window_of(*at), window, "{call}");
    }
    // Power: on before the window's first arrival, off after its last departure, the service
    // enabled after power on and disabled before power off.
    let position = |pred: &dyn Fn(&str) -> bool| calls.iter().position(|(_, c)| pred(c));
    let mut switched = 0;
    for (k, (at, call)) in calls.iter().enumerate() {
        let window = window_of(*at);
        let migrations_here: Vec<usize> = calls
            .iter()
            .enumerate()
            .filter(|(_, (a, c))| c.starts_with("server migrate ") && window_of(*a) == window)
            .map(|(i, _)| i)
            .collect();
        if let Some(node) = call.strip_prefix("baremetal node power on -- ") {
            switched += 1;
            assert!(
                migrations_here.iter().all(|&i| i > k),
                "{call} after an arrival"
            );
            let enable = position(&|c: &str| {
                c == format!("compute service set --enable -- {node} nova-compute")
            })
            .unwrap();
            assert!(enable > k);
        }
        if let Some(node) = call.strip_prefix("baremetal node power off -- ") {
            switched += 1;
            assert!(
                migrations_here.iter().all(|&i| i < k),
                "{call} before a departure"
            );
            let disable = position(&|c: &str| {
                c == format!("compute service set --disable --disable-reason wattshift -- {node} nova-compute")
            })
            .unwrap();
            assert!(disable < k);
        }
    }
    // The testbed's plan fills Eemshaven's host at 08:00 and empties it at 15:00.
    assert_eq!(switched, 2, "{calls:?}");
    // Without start times, --execute is refused; --migrations-only leaves the hosts alone.
    let run = wattshift(&[
        "export",
        "openstack",
        out.to_str().unwrap(),
        "--migrations-only",
        "--output",
        tmp.path().join("only.sh").to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let only = std::fs::read_to_string(tmp.path().join("only.sh")).unwrap();
    assert!(!only.contains("baremetal") && !only.contains("compute service set"));
    // An instance without start times: the script refuses --execute, unless the export is
    // given --start.
    let dir = tmp.path().join("no-starts");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo("instances/paper-testbed")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let windows = std::fs::read_to_string(dir.join("windows.csv")).unwrap();
    let stripped: String = windows
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    std::fs::write(dir.join("windows.csv"), stripped).unwrap();
    let plain = tmp.path().join("plain");
    let run = crate::cli::plan_dir(&dir, &plain, &["-q"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    for (extra, refused) in [
        (&[][..], true),
        (&["--start", "2024-05-01T00:00:00Z"][..], false),
    ] {
        let file = tmp.path().join(format!("plain-{refused}.sh"));
        let mut args = vec!["export", "openstack", plain.to_str().unwrap(), "--output"];
        args.push(file.to_str().unwrap());
        args.extend_from_slice(extra);
        let run = wattshift(&args);
        assert!(run.status.success(), "{}", text(&run.stderr));
        std::fs::write(&clock, format!("{epoch0}\n")).unwrap();
        let executed = std::process::Command::new("bash")
            .arg(&file)
            .arg("--execute")
            .env("PATH", &path)
            .output()
            .unwrap();
        assert_eq!(
            executed.status.success(),
            !refused,
            "{}",
            text(&executed.stderr)
        );
        if refused {
            assert!(text(&executed.stderr).contains("refusing to --execute"));
        }
    }
}
