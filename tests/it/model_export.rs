//! `plan --write-model`: the whole-horizon MILP in free MPS or LP, read back by HiGHS as any
//! other solver would read it, has the exact plan's cost as its optimum; and the file is
//! written as safely as the other outputs.

use crate::cli::{repo, wattshift};
use crate::common::TempDir;
use std::ffi::CString;
use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// The optimum HiGHS finds for a model file, read through its C API as a user of another
/// solver would read it (nothing of wattshift's in between), solved to a zero gap.
fn solve_file(path: &Path) -> f64 {
    let file = CString::new(path.to_str().unwrap()).unwrap();
    let option = |name: &str| CString::new(name).unwrap();
    // SAFETY: one HiGHS instance, created and destroyed here; every string outlives its call.
    unsafe {
        let highs = highs_sys::Highs_create();
        highs_sys::Highs_setBoolOptionValue(highs, option("output_flag").as_ptr(), 0);
        highs_sys::Highs_setDoubleOptionValue(highs, option("mip_rel_gap").as_ptr(), 0.0);
        highs_sys::Highs_setDoubleOptionValue(highs, option("mip_abs_gap").as_ptr(), 0.0);
        let read = highs_sys::Highs_readModel(highs, file.as_ptr());
        assert_ne!(read, highs_sys::kHighsStatusError, "{}", path.display());
        let run = highs_sys::Highs_run(highs);
        assert_ne!(run, highs_sys::kHighsStatusError, "{}", path.display());
        assert_eq!(
            highs_sys::Highs_getModelStatus(highs),
            highs_sys::kHighsModelStatusOptimal,
            "{}",
            path.display()
        );
        let objective = highs_sys::Highs_getObjectiveValue(highs);
        highs_sys::Highs_destroy(highs);
        objective
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 + 1e-7 * a.abs().max(b.abs())
}

/// Plans `dir` exactly to a zero gap with `--write-model file`, and returns the summary's
/// objective and the evaluator's cost of the placement written.
fn plan_and_write(dir: &Path, out: &Path, model: &Path) -> (f64, f64) {
    let run = wattshift(&[
        "plan",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--solver",
        "exact",
        "--gap",
        "0",
        "--write-model",
        model.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        run.status.success(),
        "{}: {}",
        dir.display(),
        text(&run.stderr)
    );
    assert!(
        text(&run.stderr).contains("model: wrote"),
        "{}",
        text(&run.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["status"], "optimal", "{}", dir.display());
    let evaluated = wattshift(&[
        "evaluate",
        dir.to_str().unwrap(),
        out.join("placement.csv").to_str().unwrap(),
        "--json",
    ]);
    assert!(evaluated.status.success(), "{}", text(&evaluated.stderr));
    let evaluated: serde_json::Value = serde_json::from_slice(&evaluated.stdout).unwrap();
    (
        summary["objective_eur"].as_f64().unwrap(),
        evaluated["objective_eur"].as_f64().unwrap(),
    )
}

#[test]
fn every_fixture_model_read_back_by_highs_has_the_exact_plans_cost() {
    let tmp = TempDir::new("model");
    let data = repo("tests/data");
    let names = crate::fixtures::fixtures();
    assert!(names.len() >= 6, "{names:?}");
    for (i, name) in names.iter().enumerate() {
        // Both formats, alternately.
        let extension = if i % 2 == 0 { "mps" } else { "lp" };
        let model = tmp.path().join(format!("{name}.{extension}"));
        let out = tmp.path().join(name);
        let (objective, evaluated) = plan_and_write(&data.join(name), &out, &model);
        assert!(
            close(objective, evaluated),
            "{name}: {objective} {evaluated}"
        );
        let optimum = solve_file(&model);
        assert!(
            close(optimum, evaluated),
            "{name}: the model's optimum {optimum}, the exact plan's cost {evaluated}"
        );
        let written = std::fs::read_to_string(&model).unwrap();
        assert!(written.contains("flow_g0_t0_"), "{name}: columns are named");
    }
    // The shipped testbed too: its negative prices make the host counts exact by binaries.
    for extension in ["mps", "lp"] {
        let model = tmp.path().join(format!("testbed.{extension}"));
        let out = tmp.path().join(format!("testbed-{extension}"));
        let (_, evaluated) = plan_and_write(&repo("instances/paper-testbed"), &out, &model);
        assert!(close(solve_file(&model), evaluated));
    }
}

#[test]
fn a_model_file_is_refused_where_it_would_overwrite_or_be_lost() {
    let tmp = TempDir::new("model-safety");
    let dir = repo("instances/paper-testbed");
    let out = tmp.path().join("out");
    let plan = |model: &Path, extra: &[&str]| {
        let mut args = vec![
            "plan",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--write-model",
            model.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        wattshift(&args)
    };
    // A user's file is never overwritten without --force, and nothing else is written.
    let mine = tmp.path().join("mine.mps");
    std::fs::write(&mine, "my notes\n").unwrap();
    let run = plan(&mine, &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("exists"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my notes\n");
    assert!(!out.exists());
    // With --force it is replaced, atomically, and no temporary file is left.
    let run = plan(&mine, &["--force"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(std::fs::read_to_string(&mine).unwrap().contains("ROWS"));
    // Inside OUT (which is replaced whole) or inside the instance: refused.
    for inside in [out.join("model.mps"), dir.join("model.mps")] {
        let run = plan(&inside, &["--force"]);
        assert_eq!(run.status.code(), Some(2), "{}", inside.display());
        assert!(
            text(&run.stderr).contains("inside"),
            "{}",
            text(&run.stderr)
        );
        assert!(!inside.exists());
    }
    // An extension that names no format: a usage error before anything is read.
    let run = plan(&tmp.path().join("model.txt"), &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains(".mps"), "{}", text(&run.stderr));
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".wattshift-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
