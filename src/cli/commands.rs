//! The commands: each reads its input, calls the library, prints its result with `render`,
//! and returns what happened as an [`Exit`] or a [`Failure`]. `main` maps those to exit codes in
//! one place.

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wattshift::config::SolverConfig;
use wattshift::domain::instance::{MigrationProfile, Params};
use wattshift::error::InputError;
use wattshift::generate::GenerateOptions;
use wattshift::interrupt::Interrupt;
use wattshift::io::out_dir::{
    add_output_file, write_output_dir, write_output_file, OutputError, OutputRules, Writes,
};
use wattshift::io::read::{read_instance, read_instance_all, read_placement, ErrorReport};
use wattshift::io::write;
use wattshift::report::build_plan_report;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::scoring::migration::{estimate_batch, BatchEstimate, MigrationEstimate, Wave};
use wattshift::solvers::Status;

use super::args::BenchFormat;
use super::progress::{Reporter, Show};
use super::render;
use wattshift::page::{PlanPage, ProgressPoint};
use wattshift::progress::Progress;

/// How a command that ran to its end came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It did what was asked.
    Done,
    /// The instance (or the placement evaluated) breaks a constraint.
    Infeasible,
    /// No plan was found within the limits.
    NoPlan,
}

/// Why a command stopped without a result.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input: a file, a cell, a flag.
    #[error("{0}")]
    Input(#[from] InputError),
    /// Every error of bad input that one pass found.
    #[error("{}", errors_text(.0))]
    Inputs(ErrorReport),
    /// The output directory may not be written.
    #[error("{0}")]
    Output(#[from] OutputError),
    /// Flags that contradict each other or a value out of range.
    #[error("{0}")]
    Usage(String),
    /// The input is well formed, but what it asks for would do the wrong thing (an export of
    /// a plan that breaks a rule); exit code 1, like an infeasible plan.
    #[error("{0}")]
    Refused(String),
    /// wattshift broke its own contract (a solver's plan the evaluator rejects): a bug.
    #[error("{0}")]
    Bug(String),
}

/// One error per line (the first without a prefix: the caller prints `error: ` before it).
fn errors_text(report: &ErrorReport) -> String {
    let mut lines: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    if report.truncated {
        lines.push(format!(
            "stopped after {VALIDATE_MAX_ERRORS} errors; the rest of the instance was not checked"
        ));
    }
    lines.join("\nerror: ")
}

/// `init DIR`: the template instance of [`wattshift::generate::template`], written atomically
/// under the output-directory rules, then read back as a check.
pub fn init(dir: &Path, force: bool) -> Result<Exit, Failure> {
    let rules = OutputRules {
        force,
        protected: Vec::new(),
        on_wait: Some(say_waiting),
    };
    // The template's files are there to be edited, so even a template written earlier is
    // somebody's work: only a new or empty directory is written without --force.
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !force {
        return Err(Failure::Usage(format!(
            "{} is not empty; init writes only into a new or empty directory, since a template \
             is there to be edited. Choose another directory, or pass --force to replace what it \
             holds (never an instance you are using elsewhere)",
            dir.display()
        )));
    }
    Writes {
        dirs: vec![dir.to_path_buf()],
        force,
        ..Writes::default()
    }
    .check()?;
    write_output_dir(
        dir,
        &wattshift::generate::template::template_files(),
        &rules,
    )?;
    let instance = read_instance(dir)
        .map_err(|e| Failure::Bug(format!("the template does not validate: {e}")))?;
    println!(
        "wrote a template instance to {}: README.md, sites.csv, vms.csv, links.csv, \
         windows.csv, usage.csv and params.toml",
        dir.display()
    );
    print!("{}", render::instance(&instance));
    println!(
        "next: replace the example rows with your fleet (README.md says where each column comes \
         from), then `wattshift validate {}`",
        dir.display()
    );
    Ok(Exit::Done)
}

/// `man [COMMAND]`: the man page of wattshift, or of one of its commands, as roff on standard
/// output, rendered by clap_mangen from the same definitions as `--help`.
pub fn man(root: clap::Command, command: Option<&str>) -> Result<Exit, Failure> {
    let page = match command {
        None => root,
        Some(name) => {
            let names: Vec<String> = root
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let found = root.find_subcommand(name).cloned().ok_or_else(|| {
                Failure::Usage(format!(
                    "no command {name:?}; expected one of {}",
                    names.join(", ")
                ))
            })?;
            // The page's title and NAME section read `wattshift-plan`, as git's pages do.
            let title = format!("wattshift-{name}");
            found
                .name(title)
                .bin_name(format!("wattshift {name}"))
                .version(env!("CARGO_PKG_VERSION"))
                // The version is the page's; `-V` is the root command's flag alone.
                .disable_version_flag(true)
        }
    };
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut bytes)
        .map_err(|e| Failure::Bug(format!("cannot render the man page: {e}")))?;
    use std::io::Write;
    let _ = std::io::stdout().write_all(&bytes);
    Ok(Exit::Done)
}

/// The model format `path`'s extension names, `mps` or `lp` (any case), or a usage error.
fn model_format(path: &Path) -> Result<&'static str, Failure> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("mps") => Ok("mps"),
        Some("lp") => Ok("lp"),
        _ => Err(Failure::Usage(format!(
            "--write-model {}: the extension names the format; expected .mps (free MPS) or \
             .lp (CPLEX LP)",
            path.display()
        ))),
    }
}

/// Tells the user that another run holds the output directory's lock.
fn say_waiting(out: &Path) {
    eprintln!(
        "note: another wattshift run is writing beside {}; waiting for it",
        out.display()
    );
}

/// Runs `f` on a rayon pool of `threads` workers (0: one per core).
fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// `validate DIR`: checks an instance and prints what it holds.
/// The most errors `validate` reports from one pass.
pub const VALIDATE_MAX_ERRORS: usize = 100;

/// `validate DIR`: every error one pass finds (up to [`VALIDATE_MAX_ERRORS`]), or what the
/// instance holds; with `json`, either as JSON on standard output.
pub fn validate(dir: &Path, json: bool) -> Result<Exit, Failure> {
    match read_instance_all(dir, VALIDATE_MAX_ERRORS) {
        Ok(instance) => {
            let overview = render::overview(&instance);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&overview).unwrap_or_default()
                );
            } else {
                print!("{}", render::instance(&instance));
                for found in &overview.starting_placement_breaks {
                    eprintln!("warning: {}", found.message);
                }
                for reason in &overview.infeasible_because {
                    eprintln!("error: {reason}");
                }
            }
            // Well-formed files, but no plan can exist: infeasible, as `plan` would find.
            Ok(if overview.infeasible_because.is_empty() {
                Exit::Done
            } else {
                Exit::Infeasible
            })
        }
        Err(report) => {
            if json {
                #[derive(Serialize)]
                struct ErrorsJson<'a> {
                    valid: bool,
                    errors: &'a [InputError],
                    truncated: bool,
                }
                let j = ErrorsJson {
                    valid: false,
                    errors: &report.errors,
                    truncated: report.truncated,
                };
                println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
            }
            Err(Failure::Inputs(report))
        }
    }
}

/// Options of `plan`: a solver configuration (name or path) and what the command line
/// overrides in it.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// A solver, a shipped configuration or a path to one.
    pub solver: String,
    /// Overrides the configuration's time limit, s.
    pub time_limit_s: Option<f64>,
    /// Overrides the configuration's gap.
    pub gap: Option<f64>,
    /// Overrides the configuration's threads.
    pub threads: Option<usize>,
    /// Overrides the configuration's seed.
    pub seed: Option<u64>,
    /// Print the solver's notes and HiGHS's log.
    pub verbose: bool,
    /// Replace an output directory that holds files wattshift did not write.
    pub force: bool,
    /// Print summary.json to standard output instead of the text summary.
    pub json: bool,
    /// Also write the whole-horizon MILP to this file (.mps or .lp).
    pub write_model: Option<PathBuf>,
    /// Also write report.html.
    pub report: bool,
    /// The stop request the solvers watch.
    pub interrupt: Interrupt,
    /// Where the solvers report their progress (and, with `verbose`, HiGHS's log lines).
    pub progress: Progress,
    /// How progress is shown on standard error.
    pub show: Show,
}

/// A progress record whose backend log lines go to standard error when `verbose`.
pub fn progress_for(verbose: bool) -> Progress {
    if verbose {
        Progress::with_log(std::sync::Arc::new(|line: &str| eprintln!("{line}")))
    } else {
        Progress::new()
    }
}

/// Resolves a configuration and applies the command line's overrides.
fn configure(options: &PlanOptions) -> Result<SolverConfig, InputError> {
    let mut config = wattshift::config::resolve(&options.solver)?;
    let s = &mut config.common;
    s.time_limit_s = options.time_limit_s.or(s.time_limit_s);
    s.gap = options.gap.unwrap_or(s.gap);
    s.threads = options.threads.unwrap_or(s.threads);
    s.seed = options.seed.unwrap_or(s.seed);
    s.verbose = options.verbose;
    s.interrupt = options.interrupt.clone();
    s.progress = options.progress.clone();
    s.validate()
        .map_err(|message| InputError::file(&options.solver, message))?;
    Ok(config)
}

/// `plan DIR --out OUT`: plans, writes the outputs atomically, prints a short summary.
pub fn plan(dir: &Path, out: &Path, options: &PlanOptions) -> Result<Exit, Failure> {
    let started = Instant::now();
    // A named configuration is checked before anything is read; `auto` once the instance is.
    let named = if options.solver == "auto" {
        None
    } else {
        Some(configure(options)?)
    };
    let rules = OutputRules {
        force: options.force,
        protected: vec![dir.to_path_buf()],
        on_wait: Some(say_waiting),
    };
    // Refuse the outputs before spending time on a solve whose plan could not be kept.
    if let Some(model) = &options.write_model {
        model_format(model)?;
    }
    let writes = Writes {
        dirs: vec![out.to_path_buf()],
        files: options.write_model.iter().cloned().collect(),
        inputs: vec![dir.to_path_buf()],
        force: options.force,
    };
    writes.check()?;
    let model_protected = [dir.to_path_buf(), out.to_path_buf()];
    let instance = read_instance(dir)?;
    let started = match &options.write_model {
        Some(model) => {
            let costs = Costs::new(&instance);
            let mut written = None;
            write_output_file(model, &model_protected, options.force, |path| {
                written = Some(wattshift::solvers::exact::write_model(&costs, path)?);
                Ok(())
            })?;
            if let (Some(file), false) = (written, options.show == Show::Nothing) {
                eprintln!(
                    "model: wrote {} ({} columns, {} rows, objective offset {} EUR)",
                    model.display(),
                    file.columns,
                    file.rows,
                    file.offset_eur
                );
            }
            // Writing the model, like reading the instance, is outside the solve's clock.
            Instant::now()
        }
        None => started,
    };
    let threads = named
        .as_ref()
        .map_or(options.threads.unwrap_or(0), |c| c.common.threads);
    let report = with_threads(threads, || -> Result<_, Failure> {
        let costs = Costs::new(&instance);
        let config = match &named {
            Some(config) => config.clone(),
            None => {
                let (solver, columns) = wattshift::solvers::auto_solver(&costs);
                if options.verbose {
                    eprintln!(
                        "auto: {solver} (the whole-horizon MILP would have about {columns} flow \
                         columns; exact takes at most {})",
                        wattshift::solvers::AUTO_EXACT_COLUMNS
                    );
                }
                configure(&PlanOptions {
                    solver: solver.to_string(),
                    ..options.clone()
                })?
            }
        };
        let settings = &config.common;
        settings.progress.restart();
        let reporter =
            Reporter::start(settings.progress.clone(), options.show, config.name.clone());
        let outcome = config.solver.solve(&costs, settings, started);
        let report = build_plan_report(
            &costs,
            &config.name,
            &outcome,
            settings,
            started.elapsed().as_secs_f64(),
        );
        let mut report = report;
        report.summary.settings = Some(config.to_json());
        report.summary.instance = Some(
            std::path::absolute(dir)
                .unwrap_or_else(|_| dir.to_path_buf())
                .display()
                .to_string(),
        );
        settings
            .progress
            .settle(report.summary.objective_eur, report.summary.bound_eur);
        reporter.finish();
        if settings.verbose {
            for note in &outcome.notes {
                eprintln!("{note}");
            }
        }
        Ok((report, settings.progress.snapshot().history))
    })?;
    let (report, history) = report;
    if let Some(solved) = &report.solved {
        if !solved.evaluation.is_feasible() {
            let costs = Costs::new(&instance);
            let broken = solved.evaluation.named_violations(&costs).join("\n  ");
            return Err(Failure::Bug(format!(
                "solver '{}' returned a plan that breaks constraints:\n  {broken}",
                report.summary.solver
            )));
        }
    }
    let mut files = write::plan_files(&instance, &report);
    // Beside a plan only: without one, summary.json stands alone (docs/FORMAT.md §3).
    if report.solved.is_some() {
        files.push(("progress.csv", write::progress_csv(&history)));
    }
    if options.report {
        if let Some(solved) = &report.solved {
            let costs = Costs::new(&instance);
            let summary = serde_json::to_value(&report.summary).unwrap_or_default();
            let points: Vec<ProgressPoint> = history
                .iter()
                .map(|e| ProgressPoint {
                    elapsed_s: e.elapsed_s,
                    objective_eur: e.objective_eur,
                    bound_eur: e.bound_eur,
                })
                .collect();
            let page = PlanPage {
                costs: &costs,
                plan: &solved.plan,
                evaluation: &solved.evaluation,
                slots: &solved.slots,
                summary: &summary,
                progress: &points,
                name: page_name(dir),
            };
            files.push(("report.html", page.html().into_bytes()));
        }
    }
    write_output_dir(out, &files, &rules)?;
    let s = &report.summary;
    for warning in &s.warnings {
        eprintln!("warning: {warning}");
    }
    if options.json {
        // Exactly the bytes of summary.json, and nothing else on standard output.
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(&write::summary_json(s));
        let _ = stdout.flush();
    } else {
        println!("{}", render::summary(s));
        for reason in &s.infeasible_because {
            println!("  infeasible: {reason}");
        }
    }
    Ok(match s.status {
        Status::Optimal | Status::Feasible => Exit::Done,
        Status::Infeasible => Exit::Infeasible,
        Status::Unknown => Exit::NoPlan,
    })
}

/// `bench DIR... --solver A --solver B`: every configuration on every instance.
/// What `bench` prints and writes besides.
#[derive(Debug, Clone)]
pub struct BenchOutputs {
    /// The format on standard output.
    pub format: BenchFormat,
    /// How often each configuration runs.
    pub runs: wattshift::bench::Runs,
    /// An output directory for report.html and the exports.
    pub report: Option<PathBuf>,
    /// Export files.
    pub csv: Option<PathBuf>,
    /// JSON export.
    pub json: Option<PathBuf>,
    /// Markdown export.
    pub markdown: Option<PathBuf>,
    /// Replace existing export files and a foreign report directory.
    pub force: bool,
}

/// `bench`: every configuration on every instance, as often as asked; prints the table (or
/// the statistics over runs) and writes the exports and the report.
pub fn bench(
    dirs: &[PathBuf],
    options: &[PlanOptions],
    outputs: &BenchOutputs,
) -> Result<Exit, Failure> {
    let configs = options
        .iter()
        .map(configure)
        .collect::<Result<Vec<_>, _>>()?;
    // Refuse the targets, all of them, before spending time on the runs.
    let protected: Vec<PathBuf> = dirs.to_vec();
    Writes {
        dirs: outputs.report.iter().cloned().collect(),
        files: [&outputs.csv, &outputs.json, &outputs.markdown]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        inputs: protected.clone(),
        force: outputs.force,
    }
    .check()?;
    let report_rules = OutputRules {
        force: outputs.force,
        protected: protected.clone(),
        on_wait: Some(say_waiting),
    };
    let instances = dirs
        .iter()
        .map(|dir| Ok((dir.display().to_string(), read_instance(dir)?)))
        .collect::<Result<Vec<_>, InputError>>()?;
    let threads = configs.first().map_or(0, |c| c.common.threads);
    let show = options.first().map_or(Show::Nothing, |o| o.show);
    let progress = options
        .first()
        .map(|o| o.progress.clone())
        .unwrap_or_default();
    let reporter = Reporter::start(progress, show, String::new());
    let rows = with_threads(threads, || {
        wattshift::bench::run(&instances, &configs, &outputs.runs)
    });
    reporter.finish();
    let runs = outputs.runs.count();
    let export = |format: BenchFormat| -> String {
        use wattshift::bench::*;
        match (format, runs > 1) {
            (BenchFormat::Table, false) => to_table(&rows),
            (BenchFormat::Table, true) => stats_table(&stats(&rows)),
            (BenchFormat::Csv, _) => to_csv(&rows),
            (BenchFormat::Json, false) => to_json(&rows),
            (BenchFormat::Json, true) => runs_json(&rows),
            (BenchFormat::Markdown, false) => to_markdown(&rows),
            (BenchFormat::Markdown, true) => stats_markdown(&stats(&rows)),
        }
    };
    for (file, format) in [
        (&outputs.csv, BenchFormat::Csv),
        (&outputs.json, BenchFormat::Json),
        (&outputs.markdown, BenchFormat::Markdown),
    ] {
        if let Some(file) = file {
            let text = export(format);
            write_output_file(file, &protected, outputs.force, |path| {
                std::fs::write(path, text.as_bytes()).map_err(|e| e.to_string())
            })?;
        }
    }
    if let Some(dir) = &outputs.report {
        let files = vec![
            (
                "report.html",
                wattshift::bench::to_html(&rows, runs).into_bytes(),
            ),
            ("bench.csv", export(BenchFormat::Csv).into_bytes()),
            ("bench.json", export(BenchFormat::Json).into_bytes()),
            ("bench.md", export(BenchFormat::Markdown).into_bytes()),
        ];
        write_output_dir(dir, &files, &report_rules)?;
    }
    print!("{}", export(outputs.format));
    Ok(if rows.iter().all(|r| r.feasible) {
        Exit::Done
    } else {
        Exit::Infeasible
    })
}

/// `evaluate DIR PLACEMENT_CSV`: costs a placement and lists every broken constraint.
pub fn evaluate_placement(dir: &Path, placement: &Path, json: bool) -> Result<Exit, Failure> {
    let instance = read_instance(dir)?;
    let plan = read_placement(placement, &instance)?;
    let costs = Costs::new(&instance);
    let evaluation = evaluate(&costs, &plan);
    let violations: Vec<String> = evaluation.named_violations(&costs);
    if json {
        #[derive(Serialize)]
        struct EvaluationJson<'a> {
            feasible: bool,
            objective_eur: f64,
            energy_eur: f64,
            carbon_eur: f64,
            migration_eur: f64,
            grid_kwh: f64,
            carbon_kg: f64,
            migrations: usize,
            violations: &'a [String],
        }
        let j = EvaluationJson {
            feasible: evaluation.is_feasible(),
            objective_eur: evaluation.objective_eur,
            energy_eur: evaluation.energy_eur,
            carbon_eur: evaluation.carbon_eur,
            migration_eur: evaluation.migration_eur,
            grid_kwh: evaluation.grid_kwh,
            carbon_kg: evaluation.carbon_kg,
            migrations: evaluation.migrations.len(),
            violations: &violations,
        };
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        print!("{}", render::evaluation(&evaluation, &violations));
    }
    Ok(if evaluation.is_feasible() {
        Exit::Done
    } else {
        Exit::Infeasible
    })
}

/// Inputs of `estimate`, in the units of vms.csv, links.csv and params.toml.
#[derive(Debug, Clone)]
pub struct EstimateOptions {
    /// The VM's memory, disk and rates, and its kind.
    pub profile: MigrationProfile,
    /// The path's bottleneck, Gbit/s.
    pub bandwidth_gbps: f64,
    /// Migrate this many identical VMs in waves.
    pub count: Option<u32>,
    /// Efficiency, concurrency, downtime limit, rounds, timings, energy.
    pub params: Params,
    /// Print JSON.
    pub json: bool,
}

#[derive(Serialize)]
struct PerVmJson {
    total_s: f64,
    downtime_s: f64,
    sent_bytes: f64,
    rounds: u32,
    converged: bool,
    energy_j: f64,
    feasible: bool,
    infeasible: Option<&'static str>,
}

#[derive(Serialize)]
struct EstimateJson<'a> {
    total_s: f64,
    per_vm: PerVmJson,
    waves: Vec<WaveJson<'a>>,
}

#[derive(Serialize)]
struct WaveJson<'a> {
    migrations: u32,
    repeats: u32,
    estimate: &'a MigrationEstimate,
}

/// `estimate`: one migration's copy-round breakdown (or a batch's, with `count`).
pub fn estimate(options: &EstimateOptions) -> Result<Exit, Failure> {
    let params = &options.params;
    // Without --count, one migration at the agreed share of the path (docs/MODEL.md §1);
    // with --count N, N migrations in waves that share the path among themselves.
    let batch: BatchEstimate = match options.count {
        Some(n) => estimate_batch(&options.profile, options.bandwidth_gbps, n, params),
        None => {
            let rate = wattshift::scoring::migration::rate_bytes_s(
                options.bandwidth_gbps,
                params.link_efficiency,
                params.concurrency as f64,
            );
            let one = wattshift::scoring::migration::estimate(&options.profile, rate, params);
            BatchEstimate {
                total_s: one.total_s,
                waves: vec![Wave {
                    migrations: 1,
                    repeats: 1,
                    estimate: one,
                }],
            }
        }
    };
    let Some(first) = batch.waves.first().map(|w| &w.estimate) else {
        return Err(Failure::Usage("--count must be at least 1".into()));
    };
    if let Some(message) = non_finite_estimate(&batch, options) {
        return Err(Failure::Usage(message));
    }
    if options.json {
        let j = EstimateJson {
            total_s: batch.total_s,
            per_vm: PerVmJson {
                total_s: first.total_s,
                downtime_s: first.downtime_s,
                sent_bytes: first.sent_bytes,
                rounds: first.num_rounds(),
                converged: first.converged,
                energy_j: first.energy_j,
                feasible: first.is_feasible(),
                infeasible: first.infeasible.map(|r| r.describe()),
            },
            waves: batch
                .waves
                .iter()
                .map(|w| WaveJson {
                    migrations: w.migrations,
                    repeats: w.repeats,
                    estimate: &w.estimate,
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        print!("{}", render::estimate(&batch, options));
    }
    Ok(Exit::Done)
}

/// Which flag makes a figure of the estimate non-finite, as a message; `None` when every figure
/// is finite.
fn non_finite_estimate(batch: &BatchEstimate, options: &EstimateOptions) -> Option<String> {
    let finite = |e: &MigrationEstimate| {
        [
            e.rate_bytes_s,
            e.disk_s,
            e.final_bytes,
            e.total_s,
            e.downtime_s,
            e.sent_bytes,
            e.energy_j,
        ]
        .iter()
        .chain(
            e.rounds
                .iter()
                .flat_map(|r| [r.bytes, r.seconds])
                .collect::<Vec<_>>()
                .iter(),
        )
        .all(|x| x.is_finite())
    };
    if batch.total_s.is_finite() && batch.waves.iter().all(|w| finite(&w.estimate)) {
        return None;
    }
    let p = &options.profile;
    // The link is to blame where the same migration is finite at 1 GB/s: a rate so small
    // (1e-320 Gbit/s) that the times overflow, or one so large that the rate does.
    let at_reference = wattshift::scoring::migration::estimate(p, 1e9, &options.params);
    let (flag, value) = if !(options.bandwidth_gbps * 1e9).is_finite()
        || batch
            .waves
            .iter()
            .any(|w| !w.estimate.rate_bytes_s.is_finite())
        || finite(&at_reference)
    {
        ("--bandwidth-gbps", options.bandwidth_gbps)
    } else {
        [
            ("--mem-gib", p.mem_used_gib),
            ("--disk-gib", p.disk_gib),
            ("--dirty-mib-s", p.dirty_mib_s),
            ("--boot-s", p.boot_s),
            ("--setup-s", options.params.setup_s),
            ("--energy-j-per-mb", options.params.energy_j_per_mb),
        ]
        .into_iter()
        .fold(("--mem-gib", p.mem_used_gib), |best, c| {
            if c.1 > best.1 {
                c
            } else {
                best
            }
        })
    };
    let value = wattshift::io::magnitudes::show(value);
    Some(format!(
        "{flag} {value} makes the migration's time, bytes or energy overflow to a non-finite \
         number; expected a smaller value (or a larger --bandwidth-gbps)"
    ))
}

/// `generate --out DIR`: writes a realistic instance drawn from the real data.
pub fn generate(
    options: &GenerateOptions,
    out: &Path,
    force: bool,
    json: bool,
) -> Result<Exit, Failure> {
    let rules = OutputRules {
        force,
        protected: Vec::new(),
        on_wait: Some(say_waiting),
    };
    Writes {
        dirs: vec![out.to_path_buf()],
        force,
        ..Writes::default()
    }
    .check()?;
    let generated = wattshift::generate::generate(options).map_err(Failure::Usage)?;
    let mut files = write::instance_files(&generated.instance);
    files.push(("README.md", generated.readme.into_bytes()));
    write_output_dir(out, &files, &rules)?;
    // The generator wrote something the reader refuses: a bug, reported as such.
    let instance = read_instance(out)
        .map_err(|e| Failure::Bug(format!("the generated instance does not validate: {e}")))?;
    if json {
        #[derive(Serialize)]
        struct GeneratedJson<'a> {
            out: String,
            year: u16,
            seed: u64,
            zones: &'a [String],
            instance: render::Overview,
        }
        let j = GeneratedJson {
            out: out.display().to_string(),
            year: options.year,
            seed: options.seed,
            zones: &generated.zones,
            instance: render::overview(&instance),
        };
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
        return Ok(Exit::Done);
    }
    print!(
        "{}",
        render::generated(
            options.year,
            options.windows,
            options.window_hours,
            &instance.window_start[[0, 0]],
            &generated.zones,
        )
    );
    print!("{}", render::instance(&instance));
    Ok(Exit::Done)
}

/// A plan's output directory read back: its summary, the instance it was planned on, the plan
/// from placement.csv and the evaluator's verdict on it.
pub struct Output {
    /// summary.json as written.
    pub summary: serde_json::Value,
    /// The instance directory.
    pub dir: PathBuf,
    /// The instance (from `--instance` or the summary's `instance`).
    pub instance: wattshift::domain::instance::Instance,
    /// placement.csv.
    pub plan: wattshift::domain::plan::Plan,
}

/// Reads the output directory `out` of `plan`, with the instance at `instance` or at the path
/// its summary records.
pub fn read_output(out: &Path, instance: Option<&Path>) -> Result<Output, Failure> {
    // wattshift writes its outputs as regular files: a link in their place may lead anywhere,
    // and nothing of a file outside what the user named is read or echoed.
    for name in ["summary.json", "placement.csv", "progress.csv"] {
        let path = out.join(name);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(InputError::file(
                path.display().to_string(),
                "is a symbolic link; an output directory holds the regular files `wattshift \
                 plan` wrote, so it is not read",
            )
            .into());
        }
    }
    let summary_path = out.join("summary.json");
    let bytes = std::fs::read(&summary_path).map_err(|e| {
        InputError::file(
            summary_path.display().to_string(),
            format!(
                "cannot read it ({e}); expected an output directory written by `wattshift plan`"
            ),
        )
    })?;
    let summary: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        InputError::at_line(
            summary_path.display().to_string(),
            e.line() as u64,
            format!("not the JSON `wattshift plan` writes: {e}"),
        )
    })?;
    let dir = match instance {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from(summary["instance"].as_str().ok_or_else(|| {
            InputError::file(
                summary_path.display().to_string(),
                "records no instance directory (written by an older wattshift?); give it with \
                 --instance DIR",
            )
        })?),
    };
    let instance = read_instance(&dir)?;
    let placement = out.join("placement.csv");
    if !placement.is_file() {
        return Err(Failure::Input(InputError::file(
            placement.display().to_string(),
            "not found: the plan found no plan, so there is nothing to explain or report",
        )));
    }
    let plan = read_placement(&placement, &instance)?;
    Ok(Output {
        summary,
        dir,
        instance,
        plan,
    })
}

/// `report OUT`: writes OUT/report.html for the plan in OUT, beside its outputs.
pub fn report(out: &Path, instance: Option<&Path>) -> Result<Exit, Failure> {
    let output = read_output(out, instance)?;
    let costs = Costs::new(&output.instance);
    let evaluation = evaluate(&costs, &output.plan);
    let slots = schedule_of(&output.instance, &evaluation);
    let progress = read_progress(&out.join("progress.csv"))?;
    let page = PlanPage {
        costs: &costs,
        plan: &output.plan,
        evaluation: &evaluation,
        slots: &slots,
        summary: &output.summary,
        progress: &progress,
        name: page_name(Path::new(
            output.summary["instance"].as_str().unwrap_or_default(),
        )),
    };
    let rules = OutputRules {
        force: false,
        protected: Vec::new(),
        on_wait: Some(say_waiting),
    };
    let path = out.join("report.html");
    add_output_file(out, "report.html", page.html().as_bytes(), &rules)?;
    println!("wrote {}", path.display());
    Ok(Exit::Done)
}

/// The migrations' slots in their windows, as `plan` schedules them.
fn schedule_of(
    instance: &wattshift::domain::instance::Instance,
    evaluation: &wattshift::scoring::evaluate::Evaluation,
) -> Vec<wattshift::scoring::schedule::Slot> {
    let params = &instance.params;
    wattshift::scoring::schedule::schedule(
        &evaluation.migrations,
        params.concurrency,
        params.window_s(),
    )
}

/// The compute nodes: NODES.csv where given, else the hosts sites.csv describes.
fn node_list(
    path: Option<&Path>,
    instance: &wattshift::domain::instance::Instance,
) -> Result<Vec<wattshift::nodes::Node>, Failure> {
    Ok(match path {
        Some(path) => wattshift::io::read::read_nodes(path, instance)?,
        None => wattshift::nodes::nodes_of_sites(instance),
    })
}

/// `hosts OUT`: packs the plan onto nodes, writes node_placement.csv into OUT, and reports the
/// packing against the plan's fluid host counts.
pub fn hosts(
    out: &Path,
    nodes: Option<&Path>,
    instance: Option<&Path>,
    json: bool,
    repack: bool,
) -> Result<Exit, Failure> {
    use wattshift::nodes::pack;
    let output = read_output(out, instance)?;
    let instance = &output.instance;
    let nodes = node_list(nodes, instance)?;
    let costs = Costs::new(instance);
    let evaluation = evaluate(&costs, &output.plan);
    let packing = pack(instance, &output.plan, &evaluation, &nodes, repack);
    let rules = OutputRules {
        force: false,
        protected: Vec::new(),
        on_wait: Some(say_waiting),
    };
    add_output_file(
        out,
        "node_placement.csv",
        &write::node_placement_csv(instance, &output.plan, &packing, &nodes),
        &rules,
    )?;
    let excess = packing.excess();
    let unplaced: usize = packing.site_windows.iter().map(|p| p.unplaced.len()).sum();
    let extra: usize = excess.iter().map(|(_, more)| more).sum();
    let worst = excess.iter().map(|(_, more)| *more).max().unwrap_or(0);
    let site = |s: usize| instance.sites[s].id.clone();
    if json {
        let j = serde_json::json!({
            "node_placement": out.join("node_placement.csv").display().to_string(),
            "nodes": nodes.len(),
            "site_windows": packing.site_windows.len(),
            "excess_site_windows": excess.len(),
            "excess_nodes": extra,
            "most_excess": worst,
            "unplaced": unplaced,
            "node_changes": packing.node_changes,
            "excess": excess.iter().map(|(p, more)| serde_json::json!({
                "window": p.window,
                "site": site(p.site),
                "nodes_used": p.nodes_used,
                "active_hosts": p.active_hosts,
                "more": more,
            })).collect::<Vec<_>>(),
            "unplaced_vms": packing.site_windows.iter().flat_map(|p| p.unplaced.iter().map(move |&v| serde_json::json!({
                "window": p.window,
                "site": site(p.site),
                "vm": instance.vms[v].id,
            }))).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        println!(
            "packed {} onto {} in {}: wrote {}",
            render::count(instance.num_vms(), "VM", "VMs"),
            render::count(nodes.len(), "node", "nodes"),
            render::count(instance.num_windows(), "window", "windows"),
            out.join("node_placement.csv").display()
        );
        if excess.is_empty() && unplaced == 0 {
            println!("  every site and window fits on the plan's active hosts");
        } else if excess.is_empty() {
            println!(
                "  no site-window needs more nodes than the plan's active hosts, but some VMs fit \
                 on no node (below)"
            );
        } else {
            println!(
                "  {} of {} site-windows need more nodes than the plan's active hosts: {} more in all, at most {worst} at one",
                excess.len(),
                packing.site_windows.len(),
                render::count(extra, "node", "nodes")
            );
            for (p, more) in excess.iter().take(10) {
                println!(
                    "    window {} at {}: {} used, {} active hosts (+{more})",
                    p.window,
                    site(p.site),
                    p.nodes_used,
                    p.active_hosts
                );
            }
        }
        if unplaced > 0 {
            println!(
                "  {} fit on no node of their site (node left empty in node_placement.csv)",
                render::count(unplaced, "VM-window", "VM-windows")
            );
        }
        println!(
            "  {} within a site between windows",
            render::count(packing.node_changes, "node change", "node changes")
        );
    }
    Ok(Exit::Done)
}

/// Which `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A Watcher action plan.
    Watcher,
    /// An `openstack` bash script.
    Openstack,
}

/// `export watcher|openstack OUT`: the plan's migrations between compute nodes, as a Watcher
/// action plan or an `openstack` script.
pub fn export(args: &super::args::ExportArgs, target: Target) -> Result<Exit, Failure> {
    use wattshift::nodes::pack;
    let out = &args.out;
    let output = read_output(out, args.instance.as_deref())?;
    let protected: Vec<PathBuf> = vec![out.clone(), output.dir.clone()];
    Writes {
        files: args.output.iter().cloned().collect(),
        inputs: protected.clone(),
        force: args.force,
        ..Writes::default()
    }
    .check()?;
    let instance = &output.instance;
    let nodes = node_list(args.nodes.as_deref(), instance)?;
    let costs = Costs::new(instance);
    let evaluation = evaluate(&costs, &output.plan);
    // An export is followed as written: a plan that breaks a rule is refused, whoever made it.
    if !evaluation.is_feasible() {
        let broken = evaluation.named_violations(&costs);
        return Err(Failure::Refused(format!(
            "{} breaks {}; nothing was exported (`wattshift evaluate` lists the same):\n  {}",
            out.join("placement.csv").display(),
            render::count(broken.len(), "constraint", "constraints"),
            broken.join("\n  ")
        )));
    }
    let slots = schedule_of(instance, &evaluation);
    let packing = pack(instance, &output.plan, &evaluation, &nodes, false);
    let unplaced: Vec<String> = packing
        .site_windows
        .iter()
        .flat_map(|p| {
            p.unplaced.iter().map(move |&v| {
                format!(
                    "{} in window {} at {}",
                    instance.vms[v].id, p.window, instance.sites[p.site].id
                )
            })
        })
        .collect();
    if !unplaced.is_empty() {
        let shown: Vec<&str> = unplaced.iter().take(10).map(String::as_str).collect();
        return Err(Failure::Refused(format!(
            "{} fit on no compute node of their site, so the export could name no host for \
             them and the cloud's scheduler would choose any; nothing was exported. Give nodes \
             that hold them (--nodes; `wattshift hosts` reports the packing): {}{}",
            render::count(unplaced.len(), "VM-window", "VM-windows"),
            shown.join(", "),
            if unplaced.len() > shown.len() {
                format!(" and {} more", unplaced.len() - shown.len())
            } else {
                String::new()
            }
        )));
    }
    if packing.node_changes > 0 {
        eprintln!(
            "note: {} within its site, where keeping nodes would leave an arriving VM without \
             one; the export includes them as rebalances before the window's migrations (moves \
             the plan does not cost)",
            render::count(packing.node_changes, "VM changes node", "VMs change node")
        );
    }
    let (moves, skipped) =
        wattshift::openstack::moves(instance, &evaluation, &slots, &packing, &nodes);
    let power = if args.migrations_only {
        Vec::new()
    } else {
        wattshift::openstack::power_changes(instance, &packing, &nodes)
    };
    let clock = wattshift::openstack::window_clock(instance, args.start);
    if let Some(m) = moves
        .iter()
        .find(|m| m.destination_node.is_empty() || m.source_node.is_empty())
    {
        return Err(Failure::Bug(format!(
            "the migration of {} in window {} has no node on one side, though every VM was \
             packed",
            m.vm, m.window
        )));
    }
    let text = match target {
        Target::Watcher => {
            let mut seed = serde_json::to_vec(&output.summary).unwrap_or_default();
            for n in &nodes {
                seed.extend_from_slice(n.name.as_bytes());
                seed.push(0);
            }
            let plan =
                wattshift::openstack::watcher_plan(instance, &moves, &skipped, &power, &seed);
            serde_json::to_string_pretty(&plan).unwrap_or_default() + "\n"
        }
        Target::Openstack => wattshift::openstack::openstack_script(
            instance,
            &moves,
            &skipped,
            &power,
            clock.as_deref(),
        ),
    };
    match (&args.output, target) {
        (Some(file), _) => {
            write_output_file(file, &protected, args.force, |path| {
                std::fs::write(path, text.as_bytes()).map_err(|e| e.to_string())
            })?;
            eprintln!("wrote {}", file.display());
        }
        (None, Target::Watcher) => print!("{text}"),
        (None, Target::Openstack) => {
            let rules = OutputRules {
                force: false,
                protected: Vec::new(),
                on_wait: Some(say_waiting),
            };
            add_output_file(out, "openstack-migrate.sh", text.as_bytes(), &rules)?;
            eprintln!(
                "wrote {} (a dry run; `bash {} --execute` migrates)",
                out.join("openstack-migrate.sh").display(),
                out.join("openstack-migrate.sh").display()
            );
        }
    }
    Ok(Exit::Done)
}

/// The report's title: the instance directory's name.
fn page_name(instance: &Path) -> String {
    std::path::absolute(instance)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| instance.display().to_string())
}

/// progress.csv of an output directory; empty when the file is absent (an older output).
fn read_progress(path: &Path) -> Result<Vec<ProgressPoint>, Failure> {
    let Ok(mut reader) = csv::Reader::from_path(path) else {
        return Ok(Vec::new());
    };
    let mut points = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let bad = |message: String| {
            Failure::Input(InputError::at_line(
                path.display().to_string(),
                i as u64 + 2,
                message,
            ))
        };
        let record = record.map_err(|e| bad(e.to_string()))?;
        let cell = |k: usize| -> Result<Option<f64>, Failure> {
            match record.get(k).unwrap_or("") {
                "" => Ok(None),
                text => text
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| bad(format!("expected a number, found {text:?}"))),
            }
        };
        points.push(ProgressPoint {
            elapsed_s: cell(0)?.unwrap_or(0.0),
            objective_eur: cell(1)?,
            bound_eur: cell(2)?,
        });
    }
    Ok(points)
}

/// What `explain` looks at.
#[derive(Debug, Clone, Default)]
pub struct ExplainOptions {
    /// One VM, by id.
    pub vm: Option<String>,
    /// One window.
    pub window: Option<usize>,
    /// Print JSON.
    pub json: bool,
    /// The instance, where the summary's path no longer holds it.
    pub instance: Option<PathBuf>,
}

/// `explain OUT`: why each migration of the plan pays (or not), and why VMs that would pay to
/// move stay; for one VM or window with `--vm` and `--window`.
pub fn explain(out: &Path, options: &ExplainOptions) -> Result<Exit, Failure> {
    use wattshift::scoring::explain::{blocked_stays, explain_migrations, explain_stay, Loads};
    let output = read_output(out, options.instance.as_deref())?;
    let instance = &output.instance;
    let costs = Costs::new(instance);
    let evaluation = evaluate(&costs, &output.plan);
    let vm = match &options.vm {
        Some(id) => Some(
            instance
                .vms
                .iter()
                .position(|v| &v.id == id)
                .ok_or_else(|| Failure::Usage(format!("--vm {id}: no such VM in the instance")))?,
        ),
        None => None,
    };
    if let Some(t) = options.window {
        if t >= instance.num_windows() {
            return Err(Failure::Usage(format!(
                "--window {t}: the instance has windows 0 to {}",
                instance.num_windows().saturating_sub(1)
            )));
        }
    }
    let migrations: Vec<_> = explain_migrations(&costs, &output.plan, &evaluation)
        .into_iter()
        .filter(|m| {
            vm.is_none_or(|v| m.migration.vm == v)
                && options.window.is_none_or(|t| m.migration.window == t)
        })
        .collect();
    let stays: Vec<_> = match vm {
        Some(v) => {
            let loads = Loads::new(&costs, &output.plan);
            explain_stay(
                &costs,
                &output.plan,
                &evaluation,
                &loads,
                v,
                options.window.unwrap_or(0),
            )
            .into_iter()
            .collect()
        }
        None => blocked_stays(&costs, &output.plan, &evaluation, EXPLAIN_CANDIDATES)
            .into_iter()
            // Would have paid: what it saves exceeds what its migrations cost.
            .filter(|s| {
                use wattshift::scoring::explain::Verdict;
                match s.verdict {
                    Verdict::Breaks(_) | Verdict::Pinned => s.saving_eur > s.migration_eur,
                    Verdict::WouldSave(_) => true,
                    Verdict::CostsMore(_) => false,
                }
            })
            .take(EXPLAIN_SHOWN)
            .collect(),
    };
    if options.json {
        let j = render::explain_json(instance, &migrations, &stays);
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else if vm.is_some() {
        print!("{}", render::explain_vm(instance, &migrations, &stays));
    } else {
        print!(
            "{}",
            render::explain_ranked(instance, &migrations, &stays, &output.summary)
        );
    }
    Ok(Exit::Done)
}

/// Staying VMs checked through the evaluator for `explain`'s summary, and how many it shows.
const EXPLAIN_CANDIDATES: usize = 50;
const EXPLAIN_SHOWN: usize = 10;

/// Which feed `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Carbon Aware SDK JSON.
    CarbonAware,
    /// Electricity Maps JSON.
    ElectricityMaps,
    /// ENTSO-E day-ahead price CSV.
    Entsoe,
}

/// `import FEED FILE --site S --into DIR`: fills one site's carbon or price column of
/// DIR/windows.csv from a feed, each window the overlap-weighted average of the feed over it,
/// and rewrites windows.csv atomically once the whole instance still validates, keeping the
/// file's mode, byte-order mark and line ends, and writing through a symbolic link.
pub fn import(feed: Feed, args: &super::args::ImportArgs) -> Result<Exit, Failure> {
    use wattshift::feeds::{average_over, carbon_aware, electricity_maps, entsoe, Column};
    let (file, site, dir) = (args.file.as_path(), args.site.as_str(), args.into.as_path());
    if args.location.is_some() && feed != Feed::CarbonAware {
        return Err(Failure::Usage(
            "--location chooses among the locations of a Carbon Aware SDK response; the other \
             feeds hold one zone each"
                .into(),
        ));
    }
    let name = file.display().to_string();
    let reader = std::fs::File::open(file)
        .map_err(|e| InputError::file(&name, format!("cannot read the file: {e}")))?;
    let (feed_data, column, unit) = match feed {
        Feed::CarbonAware => (
            carbon_aware(&name, reader, args.location.as_deref())?,
            Column::Carbon,
            "gCO2e/kWh (the SDK's g/kWh ratings, as they are)",
        ),
        Feed::ElectricityMaps => (
            electricity_maps(&name, reader)?,
            Column::Carbon,
            "gCO2e/kWh (Electricity Maps' carbonIntensity, gCO2eq/kWh, as it is)",
        ),
        Feed::Entsoe => (
            entsoe(&name, reader)?,
            Column::Price,
            "EUR/MWh (ENTSO-E's day-ahead prices, as they are)",
        ),
    };
    let intervals = &feed_data.intervals;
    let instance = read_instance(dir)?;
    let s = instance
        .sites
        .iter()
        .position(|x| x.id == site)
        .ok_or_else(|| {
            Failure::Usage(format!(
                "--site {site}: no such site in {}/sites.csv",
                dir.display()
            ))
        })?;
    let window_s = instance.params.window_s();
    let length = jiff::SignedDuration::try_from_secs_f64(window_s)
        .map_err(|e| InputError::file("params.toml", format!("window_hours: {e}")))?;
    // The windows' spans and values, or the first window the feed does not cover.
    let mut spans = Vec::with_capacity(instance.num_windows());
    let mut values = Vec::with_capacity(instance.num_windows());
    for t in 0..instance.num_windows() {
        let text = &instance.window_start[[t, s]];
        let start: jiff::Timestamp = text.parse().map_err(|_| {
            InputError::file(
                "windows.csv",
                format!(
                    "window {t} of site {site} has no start; an import aligns the feed by each \
                     window's start, so every row of the site needs one"
                ),
            )
        })?;
        let end = start
            .checked_add(length)
            .map_err(|e| InputError::file("windows.csv", format!("window {t}: {e}")))?;
        let value = average_over(intervals, start, end).map_err(|(from, to)| {
            InputError::file(
                &name,
                format!(
                    "window {t} of site {site} ({start} to {end}) is not fully covered: the feed \
                     has no data from {from} to {to}; nothing was written"
                ),
            )
        })?;
        spans.push((start, end));
        values.push(value);
    }
    // windows.csv with the site's cells replaced, every other byte of meaning kept.
    let link = dir.join("windows.csv");
    // Written through a symbolic link: the file it names is the one replaced.
    let path = std::fs::canonicalize(&link)
        .map_err(|e| InputError::file("windows.csv", format!("cannot read it: {e}")))?;
    let original = std::fs::read(&path)
        .map_err(|e| InputError::file("windows.csv", format!("cannot read it: {e}")))?;
    let updated = wattshift::io::rewrite::replace_column(&original, site, column.name(), &values)
        .map_err(|message| InputError::file("windows.csv", message))?;
    // The instance must still validate with the new windows.csv before it is written; a value
    // it refuses is named at the feed's row that brought it.
    let check = tempfile::tempdir()
        .map_err(|e| Failure::Bug(format!("cannot make a temporary directory: {e}")))?;
    for entry in std::fs::read_dir(dir)
        .map_err(|e| InputError::file(dir.display().to_string(), e.to_string()))?
    {
        let entry =
            entry.map_err(|e| InputError::file(dir.display().to_string(), e.to_string()))?;
        let file_name = entry.file_name();
        if entry.path().is_file() && file_name != "windows.csv" {
            let _ = std::fs::copy(entry.path(), check.path().join(&file_name));
        }
    }
    std::fs::write(check.path().join("windows.csv"), &updated)
        .map_err(|e| Failure::Bug(format!("cannot write a temporary file: {e}")))?;
    if let Err(e) = read_instance(check.path()) {
        let refused_here = e.file == "windows.csv" && e.column.as_deref() == Some(column.name());
        let window = refused_here
            .then_some(e.line)
            .flatten()
            .and_then(|line| wattshift::io::rewrite::window_of_line(&updated, site, line));
        if let Some(t) = window {
            let (from, to) = spans[t];
            if let Some(row) = wattshift::feeds::largest_over(&feed_data, from, to) {
                return Err(feed_data
                    .error_at(
                        &name,
                        row.row,
                        format!(
                            "the value {} (imported into window {t} of site {site}, windows.csv \
                             line {}) is refused there: {}; nothing was written",
                            wattshift::io::magnitudes::show(row.value),
                            e.line.unwrap_or(0),
                            e.message
                        ),
                    )
                    .into());
            }
        }
        return Err(e.into());
    }
    write_output_file(&path, &[], true, |temp| {
        std::fs::write(temp, &updated).map_err(|e| e.to_string())?;
        // The file keeps its mode (a temporary file is created 0600).
        if let Ok(meta) = std::fs::metadata(&path) {
            std::fs::set_permissions(temp, meta.permissions()).map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    println!(
        "filled {} of site {site} over {} in {} from {} ({} intervals): {lo:.2} to {hi:.2} {unit}",
        column.name(),
        render::count(values.len(), "window", "windows"),
        link.display(),
        file.display(),
        intervals.len()
    );
    Ok(Exit::Done)
}
