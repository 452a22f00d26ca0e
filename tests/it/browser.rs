//! report.html in a real browser: headless Chromium (Debian's `chromium`, which
//! scripts/setup.sh installs) loads the page with no console error, every chart is present and
//! drawn, the cost table's numbers are summary.json's, and a screenshot is written.

use crate::cli::{plan_dir, repo};
use crate::common::TempDir;
use std::path::Path;
use std::process::Command;

/// Runs headless Chromium on `page` with `args`, within a minute; returns stdout and stderr.
fn chromium(page: &Path, profile: &Path, args: &[&str]) -> (String, String) {
    let binary = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("no chromium on PATH: run scripts/setup.sh, which installs Debian's chromium");
    let url = format!("file://{}", page.display());
    let output = Command::new("timeout")
        .arg("120")
        .arg(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .output()
        .expect("cannot run chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// The value of attribute `name` in the first tag that starts with `tag`.
fn attribute<'a>(html: &'a str, tag: &str, name: &str) -> Option<&'a str> {
    let start = html.find(tag)?;
    let end = start + html[start..].find('>')?;
    let key = format!("{name}=\"");
    let at = html[start..end].find(&key)? + start + key.len();
    Some(&html[at..at + html[at..].find('"')?])
}

#[test]
fn the_report_loads_in_chromium_with_every_chart_drawn_and_the_summarys_costs() {
    let tmp = TempDir::new("browser");
    let out = tmp.path().join("out");
    let run = plan_dir(&repo("instances/paper-testbed"), &out, &["-q", "--report"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no request to any address (the SVG namespace is a name, not a request).
    let without_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in ["http://", "https://", "src=", "@import", "url("] {
        assert!(
            !without_namespace.contains(needle),
            "the page refers to {needle}"
        );
    }

    let profile = tmp.path().join("profile");
    let (dom, log) = chromium(&page, &profile, &["--dump-dom"]);
    // 1. No console error, and none caught by the page.
    for line in log.lines() {
        assert!(
            !(line.contains("CONSOLE") && (line.contains("rror") || line.contains("Uncaught"))),
            "console: {line}"
        );
    }
    assert_eq!(attribute(&dom, "<body", "data-errors"), Some("0"), "{dom}");
    // 2. Every chart is present and drawn: two sites, the load, two windows of migrations and
    // the progress.
    let charts: usize = attribute(&dom, "<body", "data-charts")
        .unwrap()
        .parse()
        .unwrap();
    assert!(charts >= 6, "{charts} charts");
    assert_eq!(
        attribute(&dom, "<body", "data-drawn"),
        Some(charts.to_string().as_str())
    );
    for id in [
        "power-0", "power-1", "load", "gantt-8", "gantt-15", "progress",
    ] {
        let tag = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\"");
        assert_eq!(attribute(&dom, &tag, "data-rendered"), Some("yes"), "{id}");
        let marks: usize = attribute(&dom, &tag, "data-marks")
            .unwrap()
            .parse()
            .unwrap();
        assert!(marks > 0, "{id}");
    }
    // 3. The cost table's numbers are summary.json's.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in ["energy_eur", "carbon_eur", "migration_eur", "objective_eur"] {
        let tag = format!("<td data-key=\"{key}\"");
        let shown: f64 = attribute(&dom, &tag, "data-value")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(shown, summary[key].as_f64().unwrap(), "{key}");
    }
    let stay: f64 = attribute(&dom, "<td data-key=\"stay_objective_eur\"", "data-value")
        .unwrap()
        .parse()
        .unwrap();
    assert!((stay - summary["baseline_eur"].as_f64().unwrap()).abs() < 1e-12);
    // 4. A screenshot.
    let shot = tmp.path().join("report.png");
    chromium(
        &page,
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1100,2400",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}
