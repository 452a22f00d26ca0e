//! `wattshift report OUT` beside a plan's outputs, under the output directory's rules.

use crate::cli::{plan_dir, repo, wattshift};
use crate::common::TempDir;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn report_adds_report_html_to_an_output_and_the_next_plan_may_replace_it() {
    let tmp = TempDir::new("report");
    let instance = tmp.path().join("testbed");
    copy_dir(&repo("instances/paper-testbed"), &instance);
    let out = tmp.path().join("out");
    assert!(plan_dir(&instance, &out, &["-q"]).status.success());
    let run = wattshift(&["report", out.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("id=\"costs\""));
    assert!(html.contains("wattshift plan: testbed"));
    let marker = std::fs::read_to_string(out.join(".wattshift-output")).unwrap();
    assert!(marker.lines().any(|l| l == "report.html"), "{marker}");
    assert!(!marker.contains(".partial"), "{marker}");
    // The report is wattshift's: the next plan replaces the directory without --force.
    assert!(plan_dir(&instance, &out, &["-q"]).status.success());

    // A file of the user's in OUT: report refuses and writes nothing.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let run = wattshift(&["report", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!out.join("report.html").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    std::fs::remove_file(out.join("notes.txt")).unwrap();

    // The instance moved: report says so, and --instance finds it.
    let moved = tmp.path().join("moved");
    std::fs::rename(&instance, &moved).unwrap();
    let run = wattshift(&["report", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    let run = wattshift(&[
        "report",
        out.to_str().unwrap(),
        "--instance",
        moved.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.join("report.html").is_file());

    // Not an output of plan at all.
    let run = wattshift(&["report", tmp.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
}

/// Every shipped instance's plan report holds its sections, with no NaN and nothing fetched.
#[test]
fn plan_report_holds_every_section() {
    let tmp = TempDir::new("report-sections");
    for name in ["paper-testbed", "onboarding", "mixed-kinds"] {
        let out = tmp.path().join(name);
        let run = plan_dir(
            &repo(&format!("instances/{name}")),
            &out,
            &["-q", "--report"],
        );
        assert!(run.status.success(), "{name}");
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        for section in [
            "Costs against staying put",
            "The solve",
            "Power per site",
            "Load per site and window",
            "Migrations",
        ] {
            assert!(html.contains(section), "{name}: {section}");
        }
        assert!(!html.contains("NaN") && !html.contains("inf<"), "{name}");
        let progress = std::fs::read_to_string(out.join("progress.csv")).unwrap();
        assert!(progress.starts_with("elapsed_s,objective_eur,bound_eur\n"));
    }
}
