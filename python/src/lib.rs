//! `wattshift._native`: the Rust core for the `wattshift` Python package. Functions take an
//! instance directory (the package writes DataFrames to one) and return the CLI's documents
//! as text; the solve runs without the GIL. Bad input raises `InputError` with `file`, `line`
//! and `column`.

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::path::Path;
use std::time::Instant;
use wattshift::config::resolve;
use wattshift::domain::instance::{MigrationKind, MigrationProfile, Params};
use wattshift::error::InputError as RustInputError;
use wattshift::io::read::{read_instance, read_placement};
use wattshift::io::write;
use wattshift::report::build_plan_report;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate as evaluate_plan;
use wattshift::scoring::migration::{estimate as estimate_one, estimate_batch, rate_bytes_s};

create_exception!(_native, InputError, PyValueError, "Bad input, with its place: `file`, `line` (1-based, the header is line 1, or None) and `column` (the header name, or None).");

/// The Python exception for a Rust input error, with its place as attributes.
fn input_error(py: Python<'_>, e: RustInputError) -> PyErr {
    let err = InputError::new_err(e.to_string());
    let value = err.value(py);
    let _ = value.setattr("file", e.file.clone());
    let _ = value.setattr("line", e.line);
    let _ = value.setattr("column", e.column.clone());
    let _ = value.setattr("message", e.message.clone());
    err
}

/// What `plan` returns: summary.json, placement.csv, migrations.csv and site_windows.csv as
/// text (the last three empty when there is no plan).
type PlanFiles = (String, String, String, String);

/// Plans the instance in `dir` as `wattshift plan` does, without writing anything, and returns
/// the four outputs as text and whether a signal (Ctrl-C) stopped the solve. The solve runs on
/// its own thread while this one, every 50 ms, lets Python run its signal handlers (a
/// KeyboardInterrupt there stops the solve as the CLI's Ctrl-C does: the best plan so far is
/// kept) and calls `progress(elapsed_s, objective_eur, bound_eur, phase)` whenever the best
/// plan, the bound or the phase changed.
#[pyfunction]
#[pyo3(signature = (dir, solver="auto", time_limit=None, gap=None, threads=None, seed=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn plan(
    py: Python<'_>,
    dir: &str,
    solver: &str,
    time_limit: Option<f64>,
    gap: Option<f64>,
    threads: Option<usize>,
    seed: Option<u64>,
    progress: Option<PyObject>,
) -> PyResult<(String, String, String, String, bool)> {
    let interrupt = wattshift::interrupt::Interrupt::new();
    let record = wattshift::progress::Progress::new();
    let (token, watched) = (interrupt.clone(), record.clone());
    let mut interrupted = false;
    let mut callback_error: Option<PyErr> = None;
    let result = py.allow_threads(|| {
        std::thread::scope(|scope| {
            let solve = scope
                .spawn(|| plan_files(dir, solver, time_limit, gap, threads, seed, token, watched));
            let mut last: Option<(Option<f64>, Option<f64>, String)> = None;
            while !solve.is_finished() {
                std::thread::sleep(std::time::Duration::from_millis(50));
                Python::with_gil(|py| {
                    if !interrupted && py.check_signals().is_err() {
                        interrupted = true;
                        interrupt.request();
                    }
                    let Some(callback) = &progress else { return };
                    if callback_error.is_some() {
                        return;
                    }
                    let now = record.snapshot();
                    let key = (now.objective_eur, now.bound_eur, now.phase.clone());
                    if last.as_ref() != Some(&key) {
                        last = Some(key);
                        if let Err(e) = callback.call1(
                            py,
                            (now.elapsed_s, now.objective_eur, now.bound_eur, now.phase),
                        ) {
                            // A callback that fails stops the solve; its error is raised.
                            callback_error = Some(e);
                            interrupt.request();
                        }
                    }
                });
            }
            solve
                .join()
                .unwrap_or_else(|_| Ok(Err("the solve panicked".to_string())))
        })
    });
    if let Some(e) = callback_error {
        return Err(e);
    }
    match result {
        Ok(Ok((a, b, c, d))) => Ok((a, b, c, d, interrupted)),
        Ok(Err(message)) => Err(PyValueError::new_err(message)),
        Err(e) => Err(input_error(py, e)),
    }
}

/// The work of [`plan`], without the GIL.
#[allow(clippy::too_many_arguments)]
fn plan_files(
    dir: &str,
    solver: &str,
    time_limit: Option<f64>,
    gap: Option<f64>,
    threads: Option<usize>,
    seed: Option<u64>,
    interrupt: wattshift::interrupt::Interrupt,
    progress: wattshift::progress::Progress,
) -> Result<Result<PlanFiles, String>, RustInputError> {
    let (dir, solver) = (dir.to_string(), solver.to_string());
    let run = move || -> Result<Result<PlanFiles, String>, RustInputError> {
        let started = Instant::now();
        let instance = read_instance(Path::new(&dir))?;
        let costs = Costs::new(&instance);
        let name = if solver == "auto" {
            wattshift::solvers::auto_solver(&costs).0.to_string()
        } else {
            solver
        };
        let mut config = resolve(&name)?;
        let s = &mut config.common;
        s.interrupt = interrupt;
        s.progress = progress;
        s.progress.restart();
        s.time_limit_s = time_limit.or(s.time_limit_s);
        s.gap = gap.unwrap_or(s.gap);
        s.threads = threads.unwrap_or(s.threads);
        s.seed = seed.unwrap_or(s.seed);
        if let Err(message) = s.validate() {
            return Ok(Err(message));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.common.threads)
            .build()
            .map_err(|e| RustInputError::file("threads", e.to_string()))?;
        let report = pool.install(|| {
            let outcome = config.solver.solve(&costs, &config.common, started);
            let mut report = build_plan_report(
                &costs,
                &config.name,
                &outcome,
                &config.common,
                started.elapsed().as_secs_f64(),
            );
            report.summary.settings = Some(config.to_json());
            report.summary.instance = std::path::absolute(&dir)
                .ok()
                .map(|p| p.display().to_string());
            report
        });
        let files = write::plan_files(&instance, &report);
        let text = |name: &str| {
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(String::new(), |(_, b)| {
                    String::from_utf8_lossy(b).to_string()
                })
        };
        Ok(Ok((
            text("summary.json"),
            text("placement.csv"),
            text("migrations.csv"),
            text("site_windows.csv"),
        )))
    };
    run()
}

/// Costs the placement CSV `placement` for the instance in `dir`, as `wattshift evaluate
/// --json` does, and returns that JSON (with the violations named).
#[pyfunction]
fn evaluate(py: Python<'_>, dir: &str, placement: &str) -> PyResult<String> {
    let (dir, placement) = (dir.to_string(), placement.to_string());
    let result = py.allow_threads(move || -> Result<String, RustInputError> {
        let instance = read_instance(Path::new(&dir))?;
        let plan = read_placement(Path::new(&placement), &instance)?;
        let costs = Costs::new(&instance);
        let e = evaluate_plan(&costs, &plan);
        let j = serde_json::json!({
            "feasible": e.is_feasible(),
            "objective_eur": e.objective_eur,
            "energy_eur": e.energy_eur,
            "carbon_eur": e.carbon_eur,
            "migration_eur": e.migration_eur,
            "grid_kwh": e.grid_kwh,
            "carbon_kg": e.carbon_kg,
            "migrations": e.migrations.len(),
            "violations": e.named_violations(&costs),
        });
        Ok(j.to_string())
    });
    result.map_err(|e| input_error(py, e))
}

/// One migration's copy-round breakdown (or a batch's, with `count`), as `wattshift estimate
/// --json` prints it. Sizes in GiB, rates in MiB/s, bandwidth in Gbit/s.
#[pyfunction]
#[pyo3(signature = (kind, mem_gib, bandwidth_gbps=None, mem_used_gib=None, wss_gib=None, disk_gib=0.0, dirty_mib_s=0.0, disk_write_mib_s=0.0, boot_s=60.0, count=None, concurrency=1, link_efficiency=0.94, max_downtime_ms=300.0, max_rounds=30, setup_s=3.0, resume_s=0.05, window_hours=1.0, energy_j_per_mb=0.512, energy_j_fixed=20.165))]
#[allow(clippy::too_many_arguments)]
fn estimate(
    kind: &str,
    mem_gib: f64,
    bandwidth_gbps: Option<f64>,
    mem_used_gib: Option<f64>,
    wss_gib: Option<f64>,
    disk_gib: f64,
    dirty_mib_s: f64,
    disk_write_mib_s: f64,
    boot_s: f64,
    count: Option<u32>,
    concurrency: u32,
    link_efficiency: f64,
    max_downtime_ms: f64,
    max_rounds: u32,
    setup_s: f64,
    resume_s: f64,
    window_hours: f64,
    energy_j_per_mb: f64,
    energy_j_fixed: f64,
) -> PyResult<String> {
    let kind = MigrationKind::ALL
        .into_iter()
        .find(|k| k.name() == kind)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "kind {kind:?}: expected precopy, block, postcopy, offline, respawn or pinned"
            ))
        })?;
    let positive = |name: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(PyValueError::new_err(format!(
                "{name} must be a number > 0, not {v}"
            )))
        }
    };
    let non_negative = |name: &str, v: f64| {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(PyValueError::new_err(format!(
                "{name} must be a number ≥ 0, not {v}"
            )))
        }
    };
    let mem_gib = positive("mem_gib", mem_gib)?;
    let mem_used_gib = positive("mem_used_gib", mem_used_gib.unwrap_or(mem_gib))?.min(mem_gib);
    let wss_gib = positive("wss_gib", wss_gib.unwrap_or(mem_used_gib))?.min(mem_used_gib);
    let needs_path = !matches!(kind, MigrationKind::Respawn | MigrationKind::Pinned);
    let bandwidth = match (bandwidth_gbps, needs_path) {
        (Some(b), _) => positive("bandwidth_gbps", b)?,
        (None, false) => 1.0,
        (None, true) => {
            return Err(PyValueError::new_err(format!(
                "bandwidth_gbps is required for {kind}"
            )))
        }
    };
    if concurrency == 0 || !(link_efficiency > 0.0 && link_efficiency <= 1.0) {
        return Err(PyValueError::new_err(
            "concurrency must be ≥ 1 and link_efficiency in (0, 1]",
        ));
    }
    let profile = MigrationProfile {
        kind,
        mem_used_gib,
        wss_gib,
        disk_gib: non_negative("disk_gib", disk_gib)?,
        dirty_mib_s: non_negative("dirty_mib_s", dirty_mib_s)?,
        disk_write_mib_s: non_negative("disk_write_mib_s", disk_write_mib_s)?,
        boot_s: non_negative("boot_s", boot_s)?,
    };
    let params = Params {
        concurrency,
        link_efficiency,
        max_downtime_ms: positive("max_downtime_ms", max_downtime_ms)?,
        max_rounds,
        setup_s: non_negative("setup_s", setup_s)?,
        resume_s: non_negative("resume_s", resume_s)?,
        window_hours: positive("window_hours", window_hours)?,
        energy_j_per_mb: non_negative("energy_j_per_mb", energy_j_per_mb)?,
        energy_j_fixed: non_negative("energy_j_fixed", energy_j_fixed)?,
        ..Params::default()
    };
    let (total_s, first, waves) = match count {
        Some(0) => return Err(PyValueError::new_err("count must be at least 1")),
        Some(n) => {
            let batch = estimate_batch(&profile, bandwidth, n, &params);
            let Some(first) = batch.waves.first().map(|w| w.estimate.clone()) else {
                return Err(PyRuntimeError::new_err("no wave"));
            };
            (batch.total_s, first, batch.waves.len())
        }
        None => {
            let rate = rate_bytes_s(bandwidth, params.link_efficiency, params.concurrency as f64);
            let one = estimate_one(&profile, rate, &params);
            (one.total_s, one, 1)
        }
    };
    let j = serde_json::json!({
        "total_s": total_s,
        "waves": waves,
        "per_vm": {
            "total_s": first.total_s,
            "downtime_s": first.downtime_s,
            "sent_bytes": first.sent_bytes,
            "rounds": first.num_rounds(),
            "converged": first.converged,
            "energy_j": first.energy_j,
            "feasible": first.is_feasible(),
            "infeasible": first.infeasible.map(|r| r.describe()),
        },
    });
    Ok(j.to_string())
}

/// One shard of the fleet decomposition's VM subproblems at given prices, as `wattshift
/// shard` computes it: the chunks c with c mod `count` = `index`, their sums as JSON. What a Ray
/// task runs (`wattshift.ray`).
#[pyfunction]
#[pyo3(signature = (dir, prices, index, count, threads=1))]
fn shard(
    py: Python<'_>,
    dir: &str,
    prices: &str,
    index: usize,
    count: usize,
    threads: usize,
) -> PyResult<String> {
    use wattshift::solvers::lagrange::VmSide;
    if count == 0 || index >= count {
        return Err(PyValueError::new_err(format!(
            "index {index} must be below count {count}"
        )));
    }
    let (dir, prices) = (dir.to_string(), prices.to_string());
    let result = py.allow_threads(move || -> Result<Result<String, String>, RustInputError> {
        let instance = read_instance(Path::new(&dir))?;
        let costs = Costs::new(&instance);
        let prices = match wattshift::io::read::parse_prices("prices", &prices, &instance) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let side = VmSide::new(&costs);
        let chunks: Vec<usize> = (index..side.num_chunks()).step_by(count).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| RustInputError::file("threads", e.to_string()))?;
        let sums = pool.install(|| side.solve(&prices, &chunks, &|| false));
        Ok(Ok(serde_json::to_string(&sums).unwrap_or_default()))
    });
    match result {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(message)) => Err(PyValueError::new_err(message)),
        Err(e) => Err(input_error(py, e)),
    }
}

/// The fleet decomposition with its VM side solved by `solve`, a Python callable that takes an
/// iteration's prices (JSON) and returns the shards' sums (a list of JSON texts, as `shard`
/// returns them), for instance by Ray tasks. Returns the report of `wattshift bound --json`
/// and the re-routed plan's placement.csv. The same input gives the same bound and plan however
/// the VM side is split.
#[pyfunction]
fn decompose(
    py: Python<'_>,
    dir: &str,
    iterations: usize,
    solve: PyObject,
) -> PyResult<(String, String)> {
    use std::sync::Mutex;
    use wattshift::solvers::lagrange::{ChunkSum, Prices, PricesFile, VmSide};
    let dir = dir.to_string();
    let failed: Mutex<Option<PyErr>> = Mutex::new(None);
    let result = py.allow_threads(|| -> Result<(String, String), RustInputError> {
        let instance = read_instance(Path::new(&dir))?;
        let costs = Costs::new(&instance);
        let chunks = VmSide::new(&costs).num_chunks();
        let call = |prices: &Prices| -> Option<Vec<ChunkSum>> {
            let text = serde_json::to_string(&PricesFile::from(prices)).ok()?;
            let outcome = Python::with_gil(|py| -> PyResult<Vec<String>> {
                solve.call1(py, (text,))?.extract(py)
            });
            let parts = match outcome {
                Ok(parts) => parts,
                Err(e) => {
                    *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                    return None;
                }
            };
            let mut sums: Vec<ChunkSum> = Vec::with_capacity(chunks);
            for part in parts {
                match serde_json::from_str::<Vec<ChunkSum>>(&part) {
                    Ok(mut some) => sums.append(&mut some),
                    Err(e) => {
                        *failed.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(PyValueError::new_err(format!("a shard's sums: {e}")));
                        return None;
                    }
                }
            }
            sums.sort_by_key(|sum| sum.chunk);
            if sums.iter().map(|sum| sum.chunk).ne(0..chunks) {
                *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(PyValueError::new_err(
                    format!("the shards returned {} chunk sums, not each of 0..{chunks} once", sums.len()),
                ));
                return None;
            }
            Some(sums)
        };
        let decomposed = wattshift::solvers::fleet::bound_and_plan(&costs, iterations, Some(&call));
        let plan_eur = decomposed.plan.as_ref().map(|p| p.1);
        let report = serde_json::json!({
            "bound_eur": decomposed.bound.bound_eur,
            "iterations": decomposed.bound.iterations,
            "vm_groups": decomposed.bound.subproblems.0,
            "site_windows": decomposed.bound.subproblems.1,
            "plan_eur": plan_eur,
            "gap": match (plan_eur, decomposed.bound.bound_eur) {
                (Some(p), Some(b)) => Some(wattshift::progress::relative_gap(p, b)).filter(|g| g.is_finite()),
                _ => None,
            },
        });
        let placement = decomposed
            .plan
            .as_ref()
            .map(|(plan, _)| String::from_utf8_lossy(&write::placement_csv(&instance, plan)).to_string())
            .unwrap_or_default();
        Ok((report.to_string(), placement))
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    result.map_err(|e| input_error(py, e))
}

/// The module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(shard, m)?)?;
    m.add_function(wrap_pyfunction!(decompose, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
