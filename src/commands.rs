//! The commands behind the command line. Each returns the process exit code of docs/FORMAT.md §4
//! (0 success, 1 infeasible, 2 bad input or usage, 3 no plan within the limits) and prints its
//! report; `main` only parses arguments.

use crate::costs::Costs;
use crate::error::InputError;
use crate::evaluate::evaluate;
use crate::instance::{Instance, MigrationKind, MigrationProfile, Params};
use crate::interrupt::Interrupt;
use crate::io::out_dir::{check_output_dir, write_output_dir, OutputRules};
use crate::io::read::{read_instance, read_placement};
use crate::migration::{estimate_batch, BatchEstimate, MigrationEstimate};
use crate::report::build_plan_report;
use crate::solvers;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

pub const EXIT_OK: i32 = 0;
pub const EXIT_INFEASIBLE: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_NO_PLAN: i32 = 3;

fn report_input_error(e: &InputError) -> i32 {
    eprintln!("error: {e}");
    EXIT_BAD_INPUT
}

/// Runs `f` on a rayon pool of `threads` workers (0: one per core).
fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// `validate DIR`: checks an instance and prints what it holds.
pub fn validate(dir: &Path) -> i32 {
    let instance = match read_instance(dir) {
        Ok(i) => i,
        Err(e) => return report_input_error(&e),
    };
    print!("{}", describe(&instance));
    EXIT_OK
}

/// A short description of an instance: sizes, kinds, prices, connectivity.
pub fn describe(instance: &Instance) -> String {
    let costs = Costs::new(instance);
    let mut out = String::new();
    let params = &instance.params;
    out.push_str(&format!(
        "valid instance: {} sites, {} VMs, {} links, {} windows of {} h\n",
        instance.num_sites(),
        instance.num_vms(),
        instance.links.len(),
        instance.num_windows(),
        params.window_hours
    ));
    for (s, site) in instance.sites.iter().enumerate() {
        let prices = instance.price_eur_mwh.column(s);
        let lo = prices.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = prices.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let vms = instance.vms.iter().filter(|v| v.initial_site == s).count();
        out.push_str(&format!(
            "  site {}{}: {} hosts × {} cores, {} GiB, PUE {}, price {lo}..{hi} EUR/MWh, {vms} VMs at start\n",
            site.id,
            if site.zone.is_empty() { String::new() } else { format!(" ({})", site.zone) },
            site.hosts,
            site.host_cpu,
            site.host_mem_gib,
            site.pue,
        ));
    }
    let mut kinds = Vec::new();
    for kind in MigrationKind::ALL {
        let n = instance
            .vms
            .iter()
            .filter(|v| v.profile.kind == kind)
            .count();
        if n > 0 {
            kinds.push(format!("{n} {kind}"));
        }
    }
    if !kinds.is_empty() {
        out.push_str(&format!("  migration kinds: {}\n", kinds.join(", ")));
    }
    let mut unreachable = 0;
    for a in 0..instance.num_sites() {
        for b in 0..instance.num_sites() {
            if a != b && costs.network.path(a, b).is_none() {
                unreachable += 1;
            }
        }
    }
    if unreachable > 0 {
        out.push_str(&format!(
            "  {unreachable} ordered site pairs have no path (respawn only)\n"
        ));
    }
    out.push_str(&format!(
        "  carbon price {} EUR/t, link efficiency {}, concurrency {}\n",
        params.carbon_eur_per_t, params.link_efficiency, params.concurrency
    ));
    out
}

/// Options of `plan`: a solver configuration (name or path) and what the command line
/// overrides in it.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub solver: String,
    pub time_limit_s: Option<f64>,
    pub gap: Option<f64>,
    pub threads: Option<usize>,
    pub verbose: bool,
    /// Replace an output directory that holds files wattshift did not write.
    pub force: bool,
    /// The stop request the solvers watch.
    pub interrupt: Interrupt,
}

/// Resolves a configuration and applies the command line's overrides.
fn configure(options: &PlanOptions) -> Result<crate::config::SolverConfig, InputError> {
    let mut config = crate::config::resolve(&options.solver)?;
    let s = &mut config.common;
    s.time_limit_s = options.time_limit_s.or(s.time_limit_s);
    s.gap = options.gap.unwrap_or(s.gap);
    s.threads = options.threads.unwrap_or(s.threads);
    s.verbose = options.verbose;
    s.interrupt = options.interrupt.clone();
    s.validate()
        .map_err(|message| InputError::file(&options.solver, message))?;
    Ok(config)
}

/// `plan DIR --out OUT`: plans, writes the outputs atomically, prints a short summary.
pub fn plan(dir: &Path, out: &Path, options: &PlanOptions) -> i32 {
    let started = Instant::now();
    let config = match configure(options) {
        Ok(c) => c,
        Err(e) => return report_input_error(&e),
    };
    let rules = OutputRules {
        force: options.force,
        protected: vec![dir.to_path_buf()],
    };
    // Refuse an output directory before spending time on a solve whose plan could not be kept.
    if let Err(e) = check_output_dir(out, &rules) {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    let instance = match read_instance(dir) {
        Ok(i) => i,
        Err(e) => return report_input_error(&e),
    };
    let settings = &config.common;
    let report = with_threads(settings.threads, || {
        let costs = Costs::new(&instance);
        let outcome = config.solver.solve(&costs, settings, started);
        for note in &outcome.notes {
            if settings.verbose {
                eprintln!("{note}");
            }
        }
        build_plan_report(
            &costs,
            &config.name,
            &outcome,
            settings,
            started.elapsed().as_secs_f64(),
        )
    });
    if let Some(evaluation) = &report.evaluation {
        if !evaluation.is_feasible() {
            // A solver returned a plan that the evaluator rejects: a bug, never a result.
            eprintln!(
                "error: solver '{}' returned a plan that breaks constraints:",
                config.name
            );
            let costs = Costs::new(&instance);
            for line in evaluation.named_violations(&costs) {
                eprintln!("  {line}");
            }
            return EXIT_NO_PLAN;
        }
    }
    if let Err(e) = write_output_dir(out, &report.files, &rules) {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    let s = &report.summary;
    for warning in &s.warnings {
        eprintln!("warning: {warning}");
    }
    println!("{}", summary_line(s));
    for reason in &s.infeasible_because {
        println!("  infeasible: {reason}");
    }
    match report.summary.status {
        solvers::Status::Optimal | solvers::Status::Feasible => EXIT_OK,
        solvers::Status::Infeasible => EXIT_INFEASIBLE,
        solvers::Status::Unknown => EXIT_NO_PLAN,
    }
}

/// Output formats of `bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchFormat {
    Table,
    Csv,
    Json,
    Markdown,
}

/// `bench DIR... --solver A --solver B`: every configuration on every instance.
pub fn bench(dirs: &[std::path::PathBuf], options: &[PlanOptions], format: BenchFormat) -> i32 {
    let mut configs = Vec::new();
    for o in options {
        match configure(o) {
            Ok(c) => configs.push(c),
            Err(e) => return report_input_error(&e),
        }
    }
    let mut instances = Vec::new();
    for dir in dirs {
        match read_instance(dir) {
            Ok(i) => instances.push((dir.display().to_string(), i)),
            Err(e) => return report_input_error(&e),
        }
    }
    let threads = configs.first().map_or(0, |c| c.common.threads);
    let rows = with_threads(threads, || crate::bench::run(&instances, &configs));
    let text = match format {
        BenchFormat::Table => crate::bench::to_table(&rows),
        BenchFormat::Csv => crate::bench::to_csv(&rows),
        BenchFormat::Json => crate::bench::to_json(&rows),
        BenchFormat::Markdown => crate::bench::to_markdown(&rows),
    };
    print!("{text}");
    if rows.iter().all(|r| r.feasible) {
        EXIT_OK
    } else {
        EXIT_INFEASIBLE
    }
}

fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".to_string(), |v| format!("{v:.digits$}"))
}

/// One human line (and a few more) of a summary.
pub fn summary_line(s: &crate::report::Summary) -> String {
    let mut out = format!("solver {}: {}", s.solver, s.status);
    if let Some(objective) = s.objective_eur {
        out.push_str(&format!(
            "\n  objective {objective:.6} EUR (energy {} + carbon {} + migrations {})",
            fmt_opt(s.energy_eur, 6),
            fmt_opt(s.carbon_eur, 6),
            fmt_opt(s.migration_eur, 6)
        ));
        out.push_str(&format!(
            "\n  baseline (stay) {} EUR, savings {} EUR ({} %)",
            fmt_opt(s.baseline_eur, 6),
            fmt_opt(s.savings_eur, 6),
            fmt_opt(s.savings_pct, 2)
        ));
        out.push_str(&format!(
            "\n  {} migrations ({} late), grid {} kWh, {} kg CO2e",
            s.migrations.unwrap_or(0),
            s.late_migrations.unwrap_or(0),
            fmt_opt(s.grid_kwh, 3),
            fmt_opt(s.carbon_kg, 3)
        ));
        out.push_str(&format!(
            "\n  bound {} EUR, gap {}",
            fmt_opt(s.bound_eur, 6),
            s.gap
                .map_or("-".to_string(), |g| format!("{:.4} %", 100.0 * g)),
        ));
    }
    out.push_str(&format!("\n  runtime {:.2} s", s.runtime_s));
    out
}

/// `evaluate DIR PLACEMENT_CSV`: costs a placement and lists every broken constraint.
pub fn evaluate_placement(dir: &Path, placement: &Path, json: bool) -> i32 {
    let instance = match read_instance(dir) {
        Ok(i) => i,
        Err(e) => return report_input_error(&e),
    };
    let plan = match read_placement(placement, &instance) {
        Ok(p) => p,
        Err(e) => return report_input_error(&e),
    };
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
        println!(
            "objective {} EUR (energy {} + carbon {} + migrations {}), {} migrations, grid {} kWh, {} kg CO2e",
            evaluation.objective_eur,
            evaluation.energy_eur,
            evaluation.carbon_eur,
            evaluation.migration_eur,
            evaluation.migrations.len(),
            evaluation.grid_kwh,
            evaluation.carbon_kg
        );
        if violations.is_empty() {
            println!("feasible: every constraint holds");
        } else {
            println!("infeasible: {} broken constraints", violations.len());
            for v in &violations {
                println!("  {v}");
            }
        }
    }
    if evaluation.is_feasible() {
        EXIT_OK
    } else {
        EXIT_INFEASIBLE
    }
}

/// Inputs of `estimate`, in the units of vms.csv, links.csv and params.toml.
#[derive(Debug, Clone)]
pub struct EstimateOptions {
    pub profile: MigrationProfile,
    pub bandwidth_gbps: f64,
    pub count: Option<u32>,
    pub params: Params,
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
pub fn estimate(options: &EstimateOptions) -> i32 {
    let params = &options.params;
    // Without --count, one migration at the agreed share of the path (docs/MODEL.md §1);
    // with --count N, N migrations in waves that share the path among themselves.
    let batch: BatchEstimate = match options.count {
        Some(n) => estimate_batch(&options.profile, options.bandwidth_gbps, n, params),
        None => {
            let rate = crate::migration::rate_bytes_s(
                options.bandwidth_gbps,
                params.link_efficiency,
                params.concurrency as f64,
            );
            let one = crate::migration::estimate(&options.profile, rate, params);
            BatchEstimate {
                total_s: one.total_s,
                waves: vec![crate::migration::Wave {
                    migrations: 1,
                    repeats: 1,
                    estimate: one,
                }],
            }
        }
    };
    let Some(first) = batch.waves.first().map(|w| &w.estimate) else {
        eprintln!("error: --count must be at least 1");
        return EXIT_BAD_INPUT;
    };
    if let Some(message) = non_finite_estimate(&batch, options) {
        eprintln!("error: {message}");
        return EXIT_BAD_INPUT;
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
        print!("{}", describe_estimate(&batch, options));
    }
    EXIT_OK
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
    let (flag, value) = if !(options.bandwidth_gbps * 1e9).is_finite()
        || batch
            .waves
            .iter()
            .any(|w| !w.estimate.rate_bytes_s.is_finite())
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
    let value = crate::io::magnitudes::show(value);
    Some(format!(
        "{flag} {value} makes the migration's time, bytes or energy overflow to a non-finite \
         number; expected a smaller value (or a larger --bandwidth-gbps)"
    ))
}

fn describe_estimate(batch: &BatchEstimate, options: &EstimateOptions) -> String {
    let mut out = String::new();
    let many = options.count.is_some();
    let mut first_wave = 1u64;
    for wave in &batch.waves {
        let (m, e) = (wave.migrations, &wave.estimate);
        if many {
            let last_wave = first_wave + u64::from(wave.repeats) - 1;
            if wave.repeats == 1 {
                out.push_str(&format!(
                    "wave {first_wave} ({m} {} sharing the path):\n",
                    if m == 1 { "migration" } else { "migrations" }
                ));
            } else {
                out.push_str(&format!(
                    "waves {first_wave}–{last_wave} ({m} migrations each sharing the path):\n"
                ));
            }
            first_wave = last_wave + 1;
        }
        out.push_str(&format!(
            "  {} at {:.3} MB/s per migration\n",
            e.kind,
            e.rate_bytes_s / 1e6
        ));
        if e.disk_s > 0.0 {
            out.push_str(&format!(
                "  disk copy: {:.3} GB in {:.3} s\n",
                options.profile.disk_gib * 1024f64.powi(3) / 1e9,
                e.disk_s
            ));
        }
        let mut first_round = 1u64;
        for round in &e.rounds {
            if round.count == 1 {
                out.push_str(&format!(
                    "  round {:>2}: {:>16.0} bytes in {:>10.3} s\n",
                    first_round, round.bytes, round.seconds
                ));
            } else {
                out.push_str(&format!(
                    "  rounds {}–{}: {:.0} bytes each in {:.3} s each (no longer shrinking)\n",
                    first_round,
                    first_round + u64::from(round.count) - 1,
                    round.bytes,
                    round.seconds
                ));
            }
            first_round += u64::from(round.count);
        }
        if matches!(e.kind, MigrationKind::Precopy | MigrationKind::Block) {
            out.push_str(&format!("  stop-and-copy: {:.0} bytes\n", e.final_bytes));
        }
        out.push_str(&format!(
            "  total {:.3} s, downtime {:.3} s, sent {:.0} bytes ({:.3} GB), energy {:.1} J, converged {}, {}\n",
            e.total_s,
            e.downtime_s,
            e.sent_bytes,
            e.sent_bytes / 1e9,
            e.energy_j,
            if e.converged { "yes" } else { "no" },
            match e.infeasible {
                None => "feasible".to_string(),
                Some(r) => format!("infeasible: {}", r.describe()),
            }
        ));
        if !many {
            break;
        }
    }
    if many {
        out.push_str(&format!(
            "batch of {}: {} waves, makespan {:.3} s\n",
            options.count.unwrap_or(1),
            batch
                .waves
                .iter()
                .map(|w| u64::from(w.repeats))
                .sum::<u64>(),
            batch.total_s
        ));
    }
    out
}

/// `generate --out DIR`: writes a realistic instance drawn from the real data.
pub fn generate(options: &crate::generate::GenerateOptions, out: &Path, force: bool) -> i32 {
    let rules = OutputRules {
        force,
        protected: Vec::new(),
    };
    if let Err(e) = check_output_dir(out, &rules) {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    let generated = match crate::generate::generate(options) {
        Ok(g) => g,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut files = crate::io::write::instance_files(&generated.instance);
    files.push(("README.md", generated.readme.into_bytes()));
    if let Err(e) = write_output_dir(out, &files, &rules) {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    match read_instance(out) {
        Ok(instance) => {
            println!(
                "generated from {} data: {} windows of {} h from {}, zones {}",
                options.year,
                options.windows,
                options.window_hours,
                instance.window_start[[0, 0]],
                generated.zones.join(", ")
            );
            print!("{}", describe(&instance));
            EXIT_OK
        }
        Err(e) => {
            // The generator wrote something the reader refuses: a bug, reported as such.
            eprintln!("error: the generated instance does not validate: {e}");
            EXIT_NO_PLAN
        }
    }
}
