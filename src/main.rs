//! The `wattshift` command line: parses arguments and hands over to `wattshift::commands`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wattshift::commands::{self, EstimateOptions, PlanOptions};
use wattshift::instance::{MigrationKind, MigrationProfile, Params};
use wattshift::solvers::SolveSettings;

#[derive(Parser)]
#[command(
    name = "wattshift",
    version,
    about = "Plans VM and VNF placement across data-center sites, window by window, with live-migration costs."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an instance directory and print what it holds.
    Validate { dir: PathBuf },
    /// Plan and write placement.csv, migrations.csv, site_windows.csv and summary.json.
    Plan(PlanArgs),
    /// Cost a placement CSV (window, vm, site) from any tool and report each broken constraint.
    Evaluate {
        dir: PathBuf,
        placement: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One migration's copy-round breakdown (or a batch's, with --count).
    Estimate(EstimateArgs),
}

#[derive(Args)]
struct PlanArgs {
    dir: PathBuf,
    /// Output directory (written atomically: all files or none).
    #[arg(long)]
    out: PathBuf,
    /// Solver: exact or stay.
    #[arg(long, default_value = "exact")]
    solver: String,
    /// Wall-clock limit in seconds; at the limit the best plan found is returned with its bound.
    #[arg(long, value_parser = positive_f64)]
    time_limit: Option<f64>,
    /// Relative optimality gap at which to stop.
    #[arg(long, default_value_t = 1e-6, value_parser = non_negative_f64)]
    gap: f64,
    /// Worker threads (0: one per core). The plan does not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print the MILP size and HiGHS's log to stderr.
    #[arg(long)]
    verbose: bool,
}

#[derive(Args)]
struct EstimateArgs {
    /// precopy, block, postcopy, offline, respawn or pinned.
    #[arg(long, default_value = "precopy", value_parser = parse_kind)]
    kind: MigrationKind,
    /// VM memory, GiB.
    #[arg(long, value_parser = positive_f64)]
    mem_gib: f64,
    /// Memory sent in the first round, GiB (default: mem-gib).
    #[arg(long, value_parser = positive_f64)]
    mem_used_gib: Option<f64>,
    /// Writable working set, GiB (default: mem-used-gib).
    #[arg(long, value_parser = positive_f64)]
    wss_gib: Option<f64>,
    /// Disk bytes a block or offline migration copies, GiB.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_f64)]
    disk_gib: f64,
    /// Memory dirtying rate, MiB/s.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_f64)]
    dirty_mib_s: f64,
    /// Disk write rate during block migration, MiB/s.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_f64)]
    disk_write_mib_s: f64,
    /// Bottleneck line rate of the path, Gbit/s (not needed for respawn).
    #[arg(long, value_parser = positive_f64)]
    bandwidth_gbps: Option<f64>,
    #[arg(long, default_value_t = 0.94, value_parser = efficiency)]
    link_efficiency: f64,
    /// Migrations sharing the path at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// Migrate this many identical VMs in waves of at most --concurrency.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    count: Option<u32>,
    #[arg(long, default_value_t = 300.0, value_parser = positive_f64)]
    max_downtime_ms: f64,
    #[arg(long, default_value_t = 30)]
    max_rounds: u32,
    #[arg(long, default_value_t = 3.0, value_parser = non_negative_f64)]
    setup_s: f64,
    #[arg(long, default_value_t = 0.05, value_parser = non_negative_f64)]
    resume_s: f64,
    /// Start time of a respawned instance, s.
    #[arg(long, default_value_t = 60.0, value_parser = non_negative_f64)]
    boot_s: f64,
    /// Window length, hours: a migration longer than this is infeasible.
    #[arg(long, default_value_t = 1.0, value_parser = positive_f64)]
    window_hours: f64,
    #[arg(long, default_value_t = 0.512, value_parser = non_negative_f64)]
    energy_j_per_mb: f64,
    #[arg(long, default_value_t = 20.165, value_parser = non_negative_f64)]
    energy_j_fixed: f64,
    /// Print JSON: total_s (the batch makespan) and per_vm for one VM of the first wave.
    #[arg(long)]
    json: bool,
}

fn parse_f64(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("expected a number, found '{s}'"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("expected a finite number, found '{s}'"))
    }
}

fn positive_f64(s: &str) -> Result<f64, String> {
    let v = parse_f64(s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("expected a number > 0, found '{s}'"))
    }
}

fn non_negative_f64(s: &str) -> Result<f64, String> {
    let v = parse_f64(s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("expected a number ≥ 0, found '{s}'"))
    }
}

fn efficiency(s: &str) -> Result<f64, String> {
    let v = parse_f64(s)?;
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(format!("expected a number in (0, 1], found '{s}'"))
    }
}

fn parse_kind(s: &str) -> Result<MigrationKind, String> {
    MigrationKind::from_name(s).ok_or_else(|| {
        format!("expected one of precopy, block, postcopy, offline, respawn, pinned; found '{s}'")
    })
}

fn estimate_options(a: EstimateArgs) -> Result<EstimateOptions, String> {
    let mem_used_gib = a.mem_used_gib.unwrap_or(a.mem_gib);
    if mem_used_gib > a.mem_gib {
        return Err(format!(
            "--mem-used-gib {mem_used_gib} exceeds --mem-gib {}",
            a.mem_gib
        ));
    }
    let wss_gib = a.wss_gib.unwrap_or(mem_used_gib);
    if wss_gib > mem_used_gib {
        return Err(format!(
            "--wss-gib {wss_gib} exceeds the memory used, {mem_used_gib} GiB"
        ));
    }
    let bandwidth_gbps = match (a.bandwidth_gbps, a.kind) {
        (Some(b), _) => b,
        (None, MigrationKind::Respawn | MigrationKind::Pinned) => 0.0,
        (None, _) => return Err("--bandwidth-gbps is needed for this kind".to_string()),
    };
    Ok(EstimateOptions {
        profile: MigrationProfile {
            kind: a.kind,
            mem_used_gib,
            wss_gib,
            disk_gib: a.disk_gib,
            dirty_mib_s: a.dirty_mib_s,
            disk_write_mib_s: a.disk_write_mib_s,
            boot_s: a.boot_s,
        },
        bandwidth_gbps,
        count: a.count,
        params: Params {
            window_hours: a.window_hours,
            link_efficiency: a.link_efficiency,
            concurrency: a.concurrency,
            max_downtime_ms: a.max_downtime_ms,
            max_rounds: a.max_rounds,
            setup_s: a.setup_s,
            resume_s: a.resume_s,
            energy_j_per_mb: a.energy_j_per_mb,
            energy_j_fixed: a.energy_j_fixed,
            ..Params::default()
        },
        json: a.json,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { dir } => commands::validate(&dir),
        Command::Plan(a) => {
            let options = PlanOptions {
                solver: a.solver,
                settings: SolveSettings {
                    time_limit_s: a.time_limit,
                    gap: a.gap,
                    threads: a.threads,
                    verbose: a.verbose,
                },
            };
            commands::plan(&a.dir, &a.out, &options)
        }
        Command::Evaluate {
            dir,
            placement,
            json,
        } => commands::evaluate_placement(&dir, &placement, json),
        Command::Estimate(a) => match estimate_options(a) {
            Ok(options) => commands::estimate(&options),
            Err(message) => {
                eprintln!("error: {message}");
                commands::EXIT_BAD_INPUT
            }
        },
    };
    ExitCode::from(code as u8)
}
