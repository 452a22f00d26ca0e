//! The HiGHS driver: the size guard, the options, the interrupt callback, and what HiGHS
//! reports turned into an [`Outcome`].

use super::groups::*;
use super::model::*;
use super::Horizon;
use crate::domain::plan::Plan;
use crate::progress::Progress;
use crate::scoring::costs::Costs;
use crate::solvers::{CommonSettings, Outcome, Status};
use good_lp::solvers::highs::highs;
use good_lp::SolverModel;
use highs::{HighsModelStatus, HighsSolutionStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Memory one column of the flow MILP takes, bytes, built through good_lp and solved by HiGHS:
/// about 1 kB measured (600 k columns took 0.63 GB a few seconds into the solve, on the
/// 8-site, 500-VM, 24-window instance); twice that leaves room for the search tree.
pub(super) const BYTES_PER_COLUMN: u64 = 2000;

/// Flow columns built and handed to HiGHS per second, conservatively: 600 000 took about
/// 1.3 s on this kind of machine (2 cores), and 5.4 million about 7 s.
pub(super) const COLUMNS_PER_S: f64 = 300_000.0;

/// The most columns a model may have: half the memory available now, at
/// [`BYTES_PER_COLUMN`]; `None` where the available memory cannot be read.
pub(super) fn column_budget() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = text
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let bytes = kib.saturating_mul(1024) / 2;
    usize::try_from(bytes / BYTES_PER_COLUMN).ok()
}

/// What [`solve_model`] solves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// The MILP, to the gap or the time limit.
    Milp,
    /// The MILP's root node, for its bound.
    RootBound,
    /// The LP relaxation, for its optimum.
    Lp,
}

pub(super) fn solve_model(
    costs: &Costs,
    horizon: &Horizon,
    base: &Plan,
    start: Option<&Plan>,
    settings: &CommonSettings,
    time_limit_s: Option<f64>,
    mode: Mode,
) -> Outcome {
    let instance = costs.instance;
    let groups = group_vms(costs, horizon);
    let reach = reachable_sites(costs, &groups, horizon);
    let infeasible = |reasons: Vec<String>, notes: Vec<String>| Outcome {
        plan: None,
        status: Status::Infeasible,
        bound_eur: None,
        reasons,
        notes,
        warnings: Vec::new(),
        objective_eur: None,
    };
    if reach.iter().any(|w| w.iter().any(|sites| sites.is_empty()))
        || !too_big_anywhere(costs, &groups, &reach).is_empty()
    {
        return infeasible(diagnose(costs, &groups, &reach), Vec::new());
    }
    // Without a plan from HiGHS, a feasible start is still a plan to return; the user is told
    // why (a model too large for the memory or the time, HiGHS stopped or failed).
    let fallback = |mut notes: Vec<String>, why: String, bound_eur: Option<f64>| {
        notes.push(why.clone());
        let status = if start.is_some() {
            Status::Feasible
        } else {
            Status::Unknown
        };
        Outcome {
            plan: start.cloned(),
            status,
            bound_eur,
            reasons: Vec::new(),
            notes,
            warnings: vec![why],
            objective_eur: None,
        }
    };
    let give_up = |why: String| fallback(Vec::new(), why, None);
    let flows_estimate = estimated_flows(&reach);
    if let Some(budget) = column_budget() {
        if flows_estimate > budget {
            return give_up(format!(
                "the MILP would have about {flows_estimate} flow columns (about {:.1} GB to build \
                 and solve), more than half the memory available allows ({budget} columns); it \
                 was not built. Use `windows`, `local` or `paths` at this size",
                flows_estimate as f64 * BYTES_PER_COLUMN as f64 / 1e9
            ));
        }
    }
    // Handing a model to HiGHS takes time the clock cannot interrupt (good_lp's copy into
    // HiGHS): a model whose build would take more than half the time left is not started.
    if let Some(limit) = time_limit_s {
        let build_s = flows_estimate as f64 / COLUMNS_PER_S;
        if build_s > limit / 2.0 {
            return give_up(format!(
                "the MILP would have about {flows_estimate} flow columns, about {build_s:.1} s to \
                 build, more than half the {limit:.1} s left; it was not built"
            ));
        }
    }
    let build_deadline = time_limit_s.and_then(crate::solvers::settings::deadline_in);
    let out_of_time =
        || settings.interrupt.is_requested() || build_deadline.is_some_and(|d| Instant::now() >= d);
    let Some(formulation) = formulate(
        costs,
        &groups,
        &reach,
        horizon,
        mode == Mode::Lp,
        &out_of_time,
    ) else {
        return give_up(format!(
            "the time limit ran out while the MILP (about {flows_estimate} flow columns) was \
             being built; the start plan is kept"
        ));
    };
    let num_columns = formulation.vars.index.len();
    let mut notes = vec![format!(
        "MILP for windows {}..{}: {} VMs in {} groups, {} columns ({} flows), {} rows",
        horizon.first,
        horizon.end,
        instance.num_vms(),
        groups.len(),
        num_columns,
        formulation.flows.len(),
        formulation.constraints.len()
    )];
    let start_columns =
        start.and_then(|p| starting_columns(costs, &groups, horizon, &formulation, p, num_columns));
    notes.push(if start_columns.is_some() {
        "start: given".into()
    } else {
        "start: none".into()
    });
    if num_columns == 0 {
        // No VMs: nothing to decide.
        return Outcome {
            plan: Some(base.clone()),
            status: Status::Optimal,
            bound_eur: None,
            reasons: Vec::new(),
            notes,
            warnings: Vec::new(),
            objective_eur: None,
        };
    }
    let Formulation {
        vars,
        objective,
        constraints,
        flows,
        ..
    } = formulation;
    let Columns {
        vars,
        index: column_of,
        ..
    } = vars;
    let mut problem = vars.minimise(objective).using(highs);
    for (i, c) in constraints.into_iter().enumerate() {
        if i % 4096 == 0 && out_of_time() {
            return fallback(
                notes,
                "the time limit ran out while the MILP was handed to HiGHS".into(),
                None,
            );
        }
        problem.add_constraint(c);
    }
    let mut model = match problem.try_into_inner() {
        Ok(model) => model,
        Err(e) => return fallback(notes, format!("HiGHS rejected the model: {e}"), None),
    };
    // HiGHS's log goes through the callback to the progress's sink (standard error in the
    // binary), never to standard output.
    let verbose = settings.verbose && settings.progress.logs();
    if verbose {
        model.set_option("output_flag", true);
        model.set_option("log_to_console", false);
    } else {
        model.make_quiet();
    }
    // HiGHS runs single-threaded so that the same input gives the same plan whatever
    // --threads says; its scheduler is global to the process, and the parallel solvers run
    // several single-threaded HiGHS instances side by side instead.
    model.set_option("threads", 1);
    model.set_option("random_seed", 0);
    model.set_option("mip_rel_gap", settings.gap);
    model.set_option("mip_abs_gap", 1e-9);
    if mode == Mode::RootBound {
        // The root node with HiGHS's cuts: its dual bound is much tighter than the bare LP's,
        // because cuts on the integer host counts recover most of the idle power the LP spreads.
        model.set_option("mip_max_nodes", 1);
        // Only the bound matters here: no time on primal heuristics.
        model.set_option("mip_heuristic_effort", 0.0);
    }
    // HiGHS gets what is left of the limit once the model is built and handed over.
    if let Some(deadline) = build_deadline {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .as_secs_f64();
        if left <= 0.0 {
            return fallback(
                notes,
                "the time limit ran out while the MILP was handed to HiGHS".into(),
                None,
            );
        }
        model.set_option("time_limit", left);
    }
    if let Some(columns) = &start_columns {
        // A start that HiGHS cannot use is only a missed head start.
        let _ = model.try_set_solution(Some(columns), None, None, None);
    }
    if settings.interrupt.is_requested() {
        return fallback(notes, "interrupted before HiGHS started".into(), None);
    }
    let whole = *horizon == Horizon::whole(costs);
    let watch = std::sync::Arc::new(Watch {
        interrupt: settings.interrupt.clone(),
        abandoned: AtomicBool::new(false),
        progress: settings.progress.clone(),
        report_bound: whole && mode != Mode::Lp,
        report_plan: whole && mode == Mode::Milp,
        columns: num_columns,
        latest: std::sync::Mutex::new(Latest::default()),
    });
    watch_model(&mut model, &watch, verbose);
    let solved = match solve_watched(model, &watch, build_deadline) {
        Solve::Returned(Ok(solved)) => solved,
        Solve::Returned(Err(e)) => return fallback(notes, format!("HiGHS failed: {e:?}"), None),
        Solve::Abandoned => {
            // HiGHS is past its time limit inside a step it does not interrupt (a root
            // separation round, say): its best plan and bound so far are kept, and it is left
            // to stop at its next check.
            let latest = watch
                .latest
                .lock()
                .map(|l| l.clone())
                .unwrap_or_else(|e| e.into_inner().clone());
            let why = format!(
                "HiGHS overran its time limit by more than {OVERRUN_GRACE_S} s inside a step it \
                 does not interrupt; its best plan and bound so far are kept"
            );
            notes.push(why.clone());
            let bound = latest.dual_bound.filter(|b| b.is_finite());
            return match (mode, latest.incumbent) {
                (Mode::Milp, Some((objective, columns))) => Outcome {
                    plan: Some(disaggregate(
                        &groups, horizon, base, &flows, &column_of, &columns,
                    )),
                    status: Status::Feasible,
                    bound_eur: bound,
                    reasons: Vec::new(),
                    notes,
                    warnings: Vec::new(),
                    objective_eur: Some(objective).filter(|x| x.is_finite()),
                },
                (Mode::Lp, _) => Outcome {
                    plan: None,
                    status: Status::Unknown,
                    bound_eur: None,
                    reasons: Vec::new(),
                    notes,
                    warnings: Vec::new(),
                    objective_eur: None,
                },
                _ => fallback(notes, why, bound),
            };
        }
    };
    let model_status = solved.status();
    if mode == Mode::Lp {
        // An LP optimum is a bound; its fractional flows are no plan.
        let bound = (model_status == HighsModelStatus::Optimal).then(|| solved.objective_value());
        notes.push(format!("HiGHS LP: {model_status:?}, bound {bound:?}"));
        return Outcome {
            plan: None,
            status: Status::Unknown,
            bound_eur: bound,
            reasons: Vec::new(),
            notes,
            warnings: Vec::new(),
            objective_eur: None,
        };
    }
    let has_solution = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
    let mut bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite());
    if model_status == HighsModelStatus::Optimal && bound.is_none() {
        bound = Some(solved.objective_value());
    }
    notes.push(format!("HiGHS: {model_status:?}, bound {bound:?}"));
    match model_status {
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible
            if start.is_some() =>
        {
            // A feasible start contradicts this: HiGHS's numerics, not the instance.
            return fallback(
                notes,
                "HiGHS reported infeasible; keeping the start".into(),
                None,
            );
        }
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return infeasible(diagnose(costs, &groups, &reach), notes);
        }
        _ if !has_solution => {
            return fallback(notes, "HiGHS found no plan within the limits".into(), bound);
        }
        _ => {}
    }
    let columns = solved.get_solution().columns().to_vec();
    let plan = disaggregate(&groups, horizon, base, &flows, &column_of, &columns);
    let status = if model_status == HighsModelStatus::Optimal {
        Status::Optimal
    } else {
        Status::Feasible
    };
    let mut warnings = Vec::new();
    if model_status == HighsModelStatus::ReachedInterrupt {
        warnings
            .push("HiGHS was stopped by a signal; its best plan and bound so far are kept".into());
    }
    Outcome {
        plan: Some(plan),
        status,
        bound_eur: bound,
        reasons: Vec::new(),
        notes,
        warnings,
        objective_eur: Some(solved.objective_value()).filter(|x| x.is_finite()),
    }
}

/// How long past its time limit a HiGHS solve may run before it is left behind, s. HiGHS
/// reads its clock between the steps of its search, and some steps (a root separation round
/// on a model of 17 000 columns took 5 s) run long.
const OVERRUN_GRACE_S: f64 = 0.25;

/// What HiGHS's callback sees during one solve, shared with the thread that runs it: the stop
/// tokens, where progress and log lines go, whether this model's objective is the whole plan's
/// cost (so that its primal and dual bounds are the plan's and may be reported), and the best
/// solution and dual bound HiGHS reported so far.
struct Watch {
    interrupt: crate::interrupt::Interrupt,
    /// Set when the solve is left behind: HiGHS stops at its next check.
    abandoned: AtomicBool,
    progress: Progress,
    /// Report the MIP's dual bound (the whole horizon's model).
    report_bound: bool,
    /// Report the MIP's incumbents too (the whole horizon's MILP, not its root node alone).
    report_plan: bool,
    /// The model's columns: the length of a solution HiGHS reports.
    columns: usize,
    latest: std::sync::Mutex<Latest>,
}

/// The best solution (objective, column values) and the dual bound HiGHS last reported.
#[derive(Debug, Clone, Default)]
struct Latest {
    incumbent: Option<(f64, Vec<f64>)>,
    dual_bound: Option<f64>,
}

/// How a watched solve ended.
enum Solve {
    /// HiGHS returned.
    Returned(Result<highs::SolvedModel, highs::HighsStatus>),
    /// HiGHS ran past its deadline by more than [`OVERRUN_GRACE_S`] and was left behind.
    Abandoned,
}

/// A HiGHS model moved to the thread that solves it.
struct OnThread<T>(T);
// SAFETY: a HiGHS instance may be used from any thread as long as one thread at a time uses
// it: the model is moved to the solving thread and back, never shared.
unsafe impl<T> Send for OnThread<T> {}

impl<T> OnThread<T> {
    fn into_inner(self) -> T {
        self.0
    }
}

/// Solves `model` on its own thread and waits for it until `deadline` plus
/// [`OVERRUN_GRACE_S`]; past that the solve is abandoned (told to stop at HiGHS's next check)
/// and the caller goes on with what the callback recorded. Every HiGHS step that reads the
/// clock stops at the deadline anyway; this bounds the ones that do not.
fn solve_watched(
    model: highs::Model,
    watch: &std::sync::Arc<Watch>,
    deadline: Option<Instant>,
) -> Solve {
    let (sender, receiver) = std::sync::mpsc::channel();
    let keep = std::sync::Arc::clone(watch);
    let model = OnThread(model);
    let spawned = std::thread::Builder::new()
        .name("highs".into())
        .spawn(move || {
            let solved = model.into_inner().try_solve();
            let _ = sender.send(OnThread(solved));
            // The callback's data outlives the model: HiGHS calls it no more once it returned.
            drop(keep);
        });
    if spawned.is_err() {
        // No thread to be had: the model went with the closure, and HiGHS did not run.
        return Solve::Returned(Err(highs::HighsStatus::Error));
    }
    let received = match deadline {
        None => receiver.recv().ok(),
        Some(deadline) => {
            let wait = deadline.saturating_duration_since(Instant::now())
                + std::time::Duration::from_secs_f64(OVERRUN_GRACE_S);
            receiver.recv_timeout(wait).ok()
        }
    };
    match received {
        Some(solved) => Solve::Returned(solved.into_inner()),
        None => {
            watch.abandoned.store(true, Ordering::SeqCst);
            Solve::Abandoned
        }
    }
}

/// HiGHS's callback: asks it to stop once the [`crate::interrupt::Interrupt`] is requested, forwards log lines to
/// the progress's log sink, and reports the whole horizon's incumbents and dual bounds.
unsafe extern "C" fn callback(
    kind: std::os::raw::c_int,
    message: *const std::os::raw::c_char,
    data_out: *const highs_sys::HighsCallbackDataOut,
    data_in: *mut highs_sys::HighsCallbackDataIn,
    user_data: *mut std::os::raw::c_void,
) {
    if user_data.is_null() {
        return;
    }
    // SAFETY: `user_data` is the `Watch` that the solving thread keeps alive (an `Arc`) until
    // the solve returns; `message`, `data_out` and `data_in` are HiGHS's, valid for this call.
    let watch = unsafe { &*(user_data as *const Watch) };
    if kind == highs_sys::kHighsCallbackLogging as std::os::raw::c_int {
        if !message.is_null() {
            let line = unsafe { std::ffi::CStr::from_ptr(message) }.to_string_lossy();
            watch.progress.log(line.trim_end_matches('\n'));
        }
        return;
    }
    if !data_out.is_null() {
        let out = unsafe { &*data_out };
        if watch.report_bound {
            watch.progress.bound(out.mip_dual_bound);
        }
        if watch.report_plan {
            watch.progress.plan(out.mip_primal_bound);
        }
        if let Ok(mut latest) = watch.latest.lock() {
            if out.mip_dual_bound.is_finite() {
                latest.dual_bound = Some(out.mip_dual_bound);
            }
            let improving =
                kind == highs_sys::kHighsCallbackMipImprovingSolution as std::os::raw::c_int;
            if improving && !out.mip_solution.is_null() && watch.columns > 0 {
                // SAFETY: HiGHS's improving solution holds one value per column of the model.
                let values = unsafe { std::slice::from_raw_parts(out.mip_solution, watch.columns) };
                latest.incumbent = Some((out.objective_function_value, values.to_vec()));
            }
        }
    }
    let stop = watch.interrupt.is_requested() || watch.abandoned.load(Ordering::SeqCst);
    if !data_in.is_null() && stop {
        unsafe { (*data_in).user_interrupt = 1 };
    }
}

/// Installs [`callback`] on `model` for `watch`: HiGHS polls the stop token in its simplex,
/// interior point and branch-and-bound loops and then returns its best solution and bound so
/// far; with `verbose`, its log goes to the progress's sink instead of standard output.
fn watch_model(model: &mut highs::Model, watch: &std::sync::Arc<Watch>, verbose: bool) {
    let ptr = model.as_mut_ptr();
    // SAFETY: `ptr` is the live HiGHS instance of `model`; `watch` outlives the solve (see
    // `callback`).
    unsafe {
        highs_sys::Highs_setCallback(
            ptr,
            Some(callback),
            std::sync::Arc::as_ptr(watch) as *mut std::os::raw::c_void,
        );
        let mut kinds = vec![
            highs_sys::kHighsCallbackSimplexInterrupt,
            highs_sys::kHighsCallbackIpmInterrupt,
            highs_sys::kHighsCallbackMipInterrupt,
            highs_sys::kHighsCallbackMipImprovingSolution,
        ];
        if verbose {
            kinds.push(highs_sys::kHighsCallbackLogging);
        }
        for kind in kinds {
            highs_sys::Highs_startCallback(ptr, kind);
        }
    }
}

/// The size of a model [`super::write_model`] wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelFile {
    /// Columns (variables).
    pub columns: usize,
    /// Rows (constraints).
    pub rows: usize,
    /// The objective's constant term, EUR, written as the model's objective offset.
    pub offset_eur: f64,
}

/// Writes the whole horizon's MILP, the model `exact` solves, to `path`, in the format its
/// extension names (`.mps`: free MPS; `.lp`: CPLEX LP), through HiGHS's own writer. The
/// objective's constant goes into the objective offset, so the file's optimum is the plan's
/// `objective_eur`. Flow columns are named `flow_g{group}_t{window}_{from}_{to}` (site indices
/// in sites.csv's order, `start` for the first window of a free start), the site-window
/// columns `hosts_t{window}_s{site}`, `grid_…`, `gridon_…`, `ceilcpu_…`, `ceilmem_…` and
/// `cpubinds_…`; HiGHS names the rows.
pub(super) fn write_whole_model(
    costs: &Costs,
    horizon: &Horizon,
    path: &std::path::Path,
) -> Result<ModelFile, String> {
    let groups = group_vms(costs, horizon);
    let reach = reachable_sites(costs, &groups, horizon);
    if reach.iter().any(|w| w.iter().any(|sites| sites.is_empty()))
        || !too_big_anywhere(costs, &groups, &reach).is_empty()
    {
        return Err(format!(
            "the instance has no feasible plan, so there is no model to write: {}",
            diagnose(costs, &groups, &reach).join("; ")
        ));
    }
    let flows_estimate = estimated_flows(&reach);
    if let Some(budget) = column_budget() {
        if flows_estimate > budget {
            return Err(format!(
                "the MILP would have about {flows_estimate} flow columns (about {:.1} GB to \
                 build), more than half the memory available allows ({budget} columns)",
                flows_estimate as f64 * BYTES_PER_COLUMN as f64 / 1e9
            ));
        }
    }
    let formulation = formulate(costs, &groups, &reach, horizon, false, &|| false)
        .ok_or_else(|| "the model could not be built".to_string())?;
    let columns = formulation.vars.index.len();
    if columns == 0 {
        return Err("the instance has no VMs, so the model would be empty".into());
    }
    let mut names = vec![String::new(); columns];
    let site = |s: Option<crate::domain::instance::SiteId>| {
        s.map_or("start".to_string(), |s| format!("s{s}"))
    };
    for flow in &formulation.flows {
        if let Some(name) = names.get_mut(formulation.vars.of(flow.var)) {
            *name = format!(
                "flow_g{}_t{}_{}_{}",
                flow.group,
                flow.window,
                site(flow.from),
                site(Some(flow.to))
            );
        }
    }
    for (&(t, s), vars) in &formulation.site_vars {
        let mut name = |var: Option<good_lp::Variable>, what: &str| {
            if let Some(slot) = var.and_then(|v| names.get_mut(formulation.vars.of(v))) {
                *slot = format!("{what}_t{t}_s{s}");
            }
        };
        name(Some(vars.hosts), "hosts");
        name(vars.grid, "grid");
        name(vars.grid_on, "gridon");
        if let Some(c) = vars.ceilings {
            name(Some(c.hosts_by_cpu), "ceilcpu");
            name(Some(c.hosts_by_mem), "ceilmem");
            name(Some(c.cpu_binds), "cpubinds");
        }
    }
    for (col, name) in names.iter_mut().enumerate() {
        if name.is_empty() {
            *name = format!("x{col}");
        }
    }
    let offset_eur = good_lp::IntoAffineExpression::constant(&formulation.objective);
    let Formulation {
        vars,
        objective,
        constraints,
        ..
    } = formulation;
    let rows = constraints.len();
    let mut problem = vars.vars.minimise(objective).using(highs);
    for c in constraints {
        problem.add_constraint(c);
    }
    let mut model = problem
        .try_into_inner()
        .map_err(|e| format!("HiGHS rejected the model: {e}"))?;
    model.make_quiet();
    let path_c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| format!("{} contains a NUL byte", path.display()))?;
    let ptr = model.as_mut_ptr();
    // SAFETY: `ptr` is the live HiGHS instance of `model`, and every string passed is a
    // NUL-terminated copy that outlives the call.
    unsafe {
        for (col, name) in names.iter().enumerate() {
            let name = std::ffi::CString::new(name.as_str()).unwrap_or_default();
            highs_sys::Highs_passColName(ptr, col as highs_sys::HighsInt, name.as_ptr());
        }
        highs_sys::Highs_changeObjectiveOffset(ptr, offset_eur);
        let status = highs_sys::Highs_writeModel(ptr, path_c.as_ptr());
        if status == highs_sys::kHighsStatusError {
            return Err(format!("HiGHS could not write {}", path.display()));
        }
    }
    Ok(ModelFile {
        columns,
        rows,
        offset_eur,
    })
}
