//! From a plan to operations (issue #22): a starting placement that breaks the rules is
//! reported where it matters (validate, the plan's baseline, explain), and the summary and
//! explain say what a reader can believe.

use std::path::{Path, PathBuf};

use crate::cli::{plan_dir, repo, wattshift};
use crate::common::TempDir;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// The testbed with two columns added to vms.csv, each VM's cells given by `cells(k)` for the
/// k-th VM (0-based).
fn testbed_with(tmp: &TempDir, name: &str, cells: impl Fn(usize) -> (String, String)) -> PathBuf {
    let dir = tmp.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo("instances/paper-testbed")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let vms = std::fs::read_to_string(dir.join("vms.csv")).unwrap();
    let mut out = String::new();
    for (k, line) in vms.lines().enumerate() {
        if k == 0 {
            out.push_str(&format!("{line},allowed_sites,anti_affinity\n"));
        } else {
            let (allowed, label) = cells(k - 1);
            out.push_str(&format!("{line},{allowed},{label}\n"));
        }
    }
    std::fs::write(dir.join("vms.csv"), out).unwrap();
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// vm01 starts outside its allowed sites and vm02, vm03 share a site with their group: validate
/// warns about each, plan gives the repaired baseline, explain calls the moves forced.
#[test]
fn a_starting_placement_that_breaks_the_rules_is_reported() {
    let tmp = TempDir::new("start-breaks");
    let dir = testbed_with(&tmp, "breaks", |k| match k {
        0 => ("eemshaven".into(), String::new()),
        1 | 2 => (String::new(), "pair".into()),
        _ => (String::new(), String::new()),
    });
    let run = wattshift(&["validate", s(&dir)]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let warnings = text(&run.stderr);
    assert!(
        warnings.contains("warning: the starting placement breaks a rule")
            && warnings.contains("vm01")
            && warnings.contains("pair"),
        "{warnings}"
    );
    let run = wattshift(&["validate", s(&dir), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let breaks = json["starting_placement_breaks"].as_array().unwrap();
    let rules: Vec<&str> = breaks.iter().map(|b| b["rule"].as_str().unwrap()).collect();
    assert!(
        rules.contains(&"allowed_sites") && rules.contains(&"anti_affinity"),
        "{rules:?}"
    );
    assert!(breaks
        .iter()
        .any(|b| b["vms"] == serde_json::json!(["vm01"])));

    let out = tmp.path().join("out");
    let run = plan_dir(&dir, &out, &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let said = text(&run.stdout);
    assert!(said.contains("no stay baseline: staying breaks"), "{said}");
    assert!(said.contains("baseline (stay, repaired)"), "{said}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["baseline_eur"].is_null());
    let repaired = summary["repaired_baseline_eur"].as_f64().unwrap();
    let objective = summary["objective_eur"].as_f64().unwrap();
    // An exact plan is never worse than the repaired stay plan, which is feasible.
    assert!(objective <= repaired + 1e-9, "{objective} > {repaired}");
    assert!(
        (summary["repaired_savings_eur"].as_f64().unwrap() - (repaired - objective)).abs() < 1e-12
    );

    let run = wattshift(&["explain", s(&out), "--json"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let explained: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let forced: Vec<&serde_json::Value> = explained["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["window"] == 0 && !m["forced_by"].is_null())
        .collect();
    assert!(
        forced.iter().any(|m| m["vm"] == "vm01"
            && m["forced_by"]
                .as_str()
                .unwrap()
                .starts_with("allowed_sites")),
        "{explained}"
    );
    let run = wattshift(&["explain", s(&out)]);
    assert!(text(&run.stdout).contains("forced by the starting placement's allowed_sites"));
}

/// Three VMs of one group on two sites: no plan keeps them apart; validate says so and exits 1.
#[test]
fn an_anti_affinity_group_larger_than_its_sites_is_an_error() {
    let tmp = TempDir::new("unspreadable");
    let dir = testbed_with(&tmp, "three", |k| {
        (
            String::new(),
            if k < 3 { "trio".into() } else { String::new() },
        )
    });
    let run = wattshift(&["validate", s(&dir)]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("error: anti-affinity group \"trio\" has 3 VMs but they can be spread over at most 2 sites"),
        "{}",
        text(&run.stderr)
    );
    // Two of them fit: no error.
    let dir = testbed_with(&tmp, "two", |k| {
        (
            String::new(),
            if k < 2 { "duo".into() } else { String::new() },
        )
    });
    let run = wattshift(&["validate", s(&dir)]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(!text(&run.stderr).contains("error:"));
}

/// The summary gives the stop reason and the CO2e saved, explain's headline is the plan's own
/// saving, and its two lists share no migration.
#[test]
fn savings_a_reader_can_believe() {
    let tmp = TempDir::new("believe");
    let out = tmp.path().join("out");
    let run = plan_dir(&repo("instances/onboarding"), &out, &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let said = text(&run.stdout);
    assert!(
        said.starts_with("solver exact: optimal (proven optimal)"),
        "{said}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let saved = summary["carbon_saved_kg"].as_f64().unwrap();
    assert!(
        said.contains(&format!("{saved:.3} kg CO2e saved")),
        "{said}"
    );
    assert!(
        saved > 0.0,
        "onboarding moves render-1 to Stockholm's cleaner grid"
    );
    assert_eq!(summary["most_migrations_per_vm"], 1);

    let out = tmp.path().join("testbed");
    let run = plan_dir(&repo("instances/paper-testbed"), &out, &["-q"]);
    assert!(run.status.success());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let run = wattshift(&["explain", s(&out)]);
    let said = text(&run.stdout);
    let headline = said.lines().next().unwrap();
    let savings = summary["savings_eur"].as_f64().unwrap();
    assert!(
        headline.contains(&format!("the plan saves {savings:.6} EUR against staying")),
        "{headline}"
    );
    // The testbed plan has 18 migrations: ten that pay most, and the other eight.
    let section = |title: &str| -> Vec<String> {
        let start = said.find(title).unwrap() + title.len();
        said[start..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(String::from)
            .collect()
    };
    let most = section("migrations that pay most:");
    let least = section("migrations that pay least:");
    assert_eq!((most.len(), least.len()), (10, 8), "{said}");
    assert!(least.iter().all(|l| !most.contains(l)), "{said}");
}

/// `man plan` lists no `-V` (plan refuses it), and shell completions offer the solvers and the
/// shipped configurations for `--solver`, which still takes a path.
#[test]
fn completions_offer_solver_names_and_man_plan_no_version_flag() {
    let run = wattshift(&["man", "plan"]);
    assert!(run.status.success());
    let page = text(&run.stdout);
    assert!(
        !page.contains("\\-V") && !page.contains("\\-\\-version"),
        "{page}"
    );
    let run = wattshift(&["completions", "bash"]);
    let script = text(&run.stdout);
    for name in ["auto", "exact", "fleet", "windows-6", "local-fast"] {
        assert!(script.contains(name), "{name} not offered");
    }
    let tmp = TempDir::new("solver-path");
    let config = tmp.write("mine.toml", "solver = \"greedy\"\n");
    let out = tmp.path().join("out");
    let run = plan_dir(
        &repo("instances/paper-testbed"),
        &out,
        &["-q", "--solver", s(&config)],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
}

/// The plan report holds the savings over time and the migration matrix, whose cells add up to
/// the plan's migrations; the Gantt axes fit their migrations, not the window.
#[test]
fn the_report_shows_savings_over_time_and_flows_between_sites() {
    let tmp = TempDir::new("report-flows");
    let out = tmp.path().join("out");
    let run = plan_dir(&repo("instances/onboarding"), &out, &["-q", "--report"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"savings\""), "no savings chart");
    let table = &html[html.find("<table id=\"flows\">").expect("a flow matrix")..];
    let table = &table[..table.find("</table>").unwrap()];
    let total: usize = table
        .split("<td>")
        .skip(1)
        .filter_map(|cell| cell.split('<').next()?.parse::<usize>().ok())
        .sum();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(total as u64, summary["migrations"].as_u64().unwrap());
    // Onboarding's moves take minutes: no Gantt axis runs to the hour's 3 600 s.
    assert!(
        !html.contains(">4000<") && !html.contains(">3600<"),
        "a Gantt axis runs to the window"
    );
}

/// At more sites than the report draws one by one, the rest are added up in one chart, and
/// every site appears on the page.
#[test]
fn the_report_shows_every_site_of_a_large_fleet() {
    let tmp = TempDir::new("report-sites");
    let dir = tmp.path().join("g");
    let run = wattshift(&[
        "generate",
        "--sites",
        "16",
        "--vms",
        "40",
        "--windows",
        "4",
        "--seed",
        "2",
        "--region",
        "all",
        "--out",
        s(&dir),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let out = tmp.path().join("out");
    let run = plan_dir(&dir, &out, &["-q", "--solver", "greedy", "--report"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(
        html.matches(" id=\"power-").count(),
        12,
        "11 sites and the rest"
    );
    assert!(html.contains("id=\"power-rest\"") && html.contains("The other 5 sites together"));
    let instance = wattshift::io::read::read_instance(&dir).unwrap();
    for site in &instance.sites {
        assert!(html.contains(&site.id), "{} is missing", site.id);
    }
}
