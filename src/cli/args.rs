//! The command line's arguments, as clap derives them. Every enumerated value is a
//! `ValueEnum`, so `--help` lists the values and clap checks them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use wattshift::domain::instance::{MigrationKind, MigrationProfile, Params};
use wattshift::generate::Region;
use wattshift::solvers::MAX_THREADS;

use super::commands::EstimateOptions;

/// The command line, as clap reads it.
#[derive(Parser)]
#[command(
    name = "wattshift",
    version,
    about = "Plans VM and VNF placement across data-center sites, window by window, with live-migration costs."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Check an instance directory and print what it holds, or every error one pass finds
    /// (at most 100), each with its file, line and column.
    #[command(after_help = "Example:\n  wattshift validate instances/eu-day --json")]
    Validate {
        /// Instance directory.
        dir: PathBuf,
        /// Print JSON instead of text: the overview, or `{"valid": false, "errors": [{file,
        /// line, column, message}, …], "truncated": …}` (exit code 2).
        #[arg(long)]
        json: bool,
    },
    /// Plan and write placement.csv, migrations.csv, site_windows.csv and summary.json.
    #[command(
        after_help = "Examples:\n  wattshift plan instances/eu-day --out out/eu-day\n  wattshift plan instances/eu-week --out out/eu-week --solver fleet --time-limit 2m --json"
    )]
    Plan(PlanArgs),
    /// Cost a placement CSV (window, vm, site) from any tool and report each broken constraint.
    #[command(
        after_help = "Example:\n  wattshift evaluate instances/eu-day out/eu-day/placement.csv --json"
    )]
    Evaluate {
        /// Instance directory.
        dir: PathBuf,
        /// Placement CSV: window, vm, site (as placement.csv).
        placement: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One migration's copy-round breakdown (or a batch's, with --count).
    #[command(
        after_help = "Example:\n  wattshift estimate --kind precopy --mem-gib 8 --wss-gib 1 --dirty-mib-s 40 --bandwidth-gbps 10"
    )]
    Estimate(EstimateArgs),
    /// Run solver configurations over instances and print a comparison table.
    #[command(
        after_help = "Example:\n  wattshift bench instances/eu-day instances/mixed-kinds --solver exact --solver local --time-limit 30s"
    )]
    Bench(BenchArgs),
    /// Write a realistic instance of any size drawn from real prices, carbon, PUE, SPECpower
    /// curves and PlanetLab traces; the same arguments and seed give the same bytes.
    #[command(
        after_help = "Example:\n  wattshift generate --sites 16 --vms 2000 --windows 168 --region all --out fleet-2k"
    )]
    Generate(GenerateArgs),
    /// The fleet decomposition alone: its proven lower bound and the plan re-routed at its
    /// prices, with the VM subproblems in this process or split over shard processes
    /// (docs/SCALE.md).
    #[command(
        after_help = "Example:\n  wattshift bound instances/eu-day --iterations 100 --shards 2 --json"
    )]
    Bound(BoundArgs),
    /// One shard of the decomposition's VM subproblems at given prices: what `bound --shards`
    /// runs in each process, and what a Ray task, a Kubernetes Indexed Job or a Slurm array task
    /// runs on another machine (docs/SCALE.md).
    #[command(
        after_help = "Example:\n  wattshift shard instances/eu-day --prices prices.json --index 0 --count 4 --out sums-0.json"
    )]
    Shard(ShardArgs),
    /// Write OUT/report.html for the plan in OUT: power per site with price and carbon,
    /// migrations per link, load against capacity, costs against staying, the migrations that
    /// pay most and least, and the solve. One self-contained file that opens offline.
    #[command(
        after_help = "Example:\n  wattshift report out/paper-testbed && chromium out/paper-testbed/report.html"
    )]
    Report {
        /// An output directory of `plan`.
        out: PathBuf,
        /// The instance directory, where it is no longer where summary.json says.
        #[arg(long)]
        instance: Option<PathBuf>,
    },
    /// Pack the plan in OUT onto compute nodes, window by window (VMs stay on their node where
    /// they can), write OUT/node_placement.csv, and report where whole-node packing needs more
    /// nodes than the plan's active hosts.
    #[command(
        after_help = "Examples:\n  wattshift hosts out/paper-testbed\n  wattshift hosts out/onboarding --nodes nodes.csv --json"
    )]
    Hosts {
        /// An output directory of `plan`.
        out: PathBuf,
        /// The compute nodes: a CSV with site, node, cpu, mem_gib. Default: the hosts sites.csv
        /// describes, named SITE-001, SITE-002, ….
        #[arg(long)]
        nodes: Option<PathBuf>,
        /// The instance directory, where it is no longer where summary.json says.
        #[arg(long)]
        instance: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Pack each site afresh wherever that needs fewer nodes, moving VMs between nodes
        /// within a site (moves the plan does not cost and the exports do not carry); by
        /// default a VM that stays at its site keeps its node.
        #[arg(long)]
        repack: bool,
    },
    /// The plan in OUT for OpenStack: a Watcher action plan, or a bash script of `openstack
    /// server migrate` commands (docs/OPENSTACK.md).
    #[command(
        after_help = "Examples:\n  wattshift export watcher out/onboarding --output action-plan.json\n  wattshift export openstack out/onboarding --nodes nodes.csv"
    )]
    Export {
        #[command(subcommand)]
        target: ExportTarget,
    },
    /// Fill one site's carbon or price column of an instance's windows.csv from a real feed:
    /// Carbon Aware SDK or Electricity Maps JSON, or an ENTSO-E day-ahead price export
    /// (docs/FEEDS.md).
    #[command(
        after_help = "Examples:\n  wattshift import entsoe day-ahead.csv --site fra1 --into my-fleet\n  wattshift import carbon-aware forecast.json --site fra1 --into my-fleet"
    )]
    Import {
        #[command(subcommand)]
        feed: ImportFeed,
    },
    /// Why the plan in OUT moves each VM it moves (cost and its parts, savings per window,
    /// payback, whether it comes back) and why VMs that would pay to move stay.
    #[command(
        after_help = "Examples:\n  wattshift explain out/paper-testbed\n  wattshift explain out/paper-testbed --vm vm01\n  wattshift explain out/paper-testbed --window 8 --json"
    )]
    Explain {
        /// An output directory of `plan`.
        out: PathBuf,
        /// One VM: its migrations with their savings per window, and why it stays where it does.
        #[arg(long)]
        vm: Option<String>,
        /// One window: its migrations only (with --vm, the stay is looked at from this window).
        #[arg(long)]
        window: Option<usize>,
        /// The instance directory, where it is no longer where summary.json says.
        #[arg(long)]
        instance: Option<PathBuf>,
        /// Print JSON: `migrations` (one entry each, with cost_eur and its parts) and `stays`.
        #[arg(long)]
        json: bool,
    },
    /// Write a template instance to fill in from your own fleet: every file with every column,
    /// example rows that validate and plan, and a README on what goes where (docs/FLEET.md).
    #[command(
        after_help = "Example:\n  wattshift init my-fleet && wattshift validate my-fleet && wattshift plan my-fleet --out my-plan"
    )]
    Init {
        /// Directory to write (new, empty, or an earlier output with --force).
        dir: PathBuf,
        /// Replace DIR even if it holds files that wattshift did not write.
        #[arg(long)]
        force: bool,
    },
    /// Print shell completions for wattshift's commands and flags.
    #[command(
        after_help = "Examples:\n  wattshift completions bash > ~/.local/share/bash-completion/completions/wattshift\n  wattshift completions zsh > ~/.zfunc/_wattshift\n  wattshift completions fish > ~/.config/fish/completions/wattshift.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of wattshift, or of one of its commands.
    #[command(
        after_help = "Examples:\n  wattshift man > wattshift.1 && man ./wattshift.1\n  wattshift man plan > wattshift-plan.1"
    )]
    Man {
        /// A command whose page to print instead (validate, plan, evaluate, …).
        command: Option<String>,
    },
}

/// The feeds `import` reads.
#[derive(Subcommand)]
pub enum ImportFeed {
    /// A Carbon Aware SDK response (/emissions/forecasts/current or /emissions/bylocation) into
    /// carbon_g_kwh.
    #[command(
        name = "carbon-aware",
        after_help = "Example:\n  wattshift import carbon-aware forecast.json --site fra1 --into my-fleet"
    )]
    CarbonAware(ImportArgs),
    /// Electricity Maps carbon-intensity history or forecast JSON into carbon_g_kwh.
    #[command(
        name = "electricitymaps",
        after_help = "Example:\n  wattshift import electricitymaps history.json --site fra1 --into my-fleet"
    )]
    ElectricityMaps(ImportArgs),
    /// An ENTSO-E Transparency Platform day-ahead price CSV export (hourly or 15-minute) into
    /// price_eur_mwh.
    #[command(
        name = "entsoe",
        after_help = "Example:\n  wattshift import entsoe day-ahead.csv --site fra1 --into my-fleet"
    )]
    Entsoe(ImportArgs),
}

/// The arguments of every import.
#[derive(Args)]
pub struct ImportArgs {
    /// The feed's file.
    pub file: PathBuf,
    /// The site whose column to fill.
    #[arg(long)]
    pub site: String,
    /// The instance directory whose windows.csv is rewritten (atomically, and only if the
    /// instance still validates).
    #[arg(long)]
    pub into: PathBuf,
    /// The feed's location to read, where it holds several (Carbon Aware SDK responses).
    #[arg(long)]
    pub location: Option<String>,
}

/// What `export` writes.
#[derive(Subcommand)]
pub enum ExportTarget {
    /// An OpenStack Watcher action plan (JSON): a `migrate` action per migration, ordered by
    /// `parents` as the plan's schedule is; on stdout, or in --output.
    #[command(
        after_help = "Example:\n  wattshift export watcher out/onboarding --nodes nodes.csv --output action-plan.json"
    )]
    Watcher(ExportArgs),
    /// A bash script that migrates with `openstack server migrate`, window by window and wave by
    /// wave, stopping at the first failure; a dry run unless run with --execute. Written to
    /// OUT/openstack-migrate.sh, or to --output.
    #[command(
        after_help = "Example:\n  wattshift export openstack out/onboarding --nodes nodes.csv && bash out/onboarding/openstack-migrate.sh"
    )]
    Openstack(ExportArgs),
}

/// The arguments of both exports.
#[derive(Args)]
pub struct ExportArgs {
    /// An output directory of `plan`.
    pub out: PathBuf,
    /// The compute nodes: a CSV with site, node, cpu, mem_gib (default: the hosts of sites.csv,
    /// named SITE-001, …).
    #[arg(long)]
    pub nodes: Option<PathBuf>,
    /// Write to this file instead (an existing file is replaced only with --force).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Replace an existing --output file.
    #[arg(long)]
    pub force: bool,
    /// The instance directory, where it is no longer where summary.json says.
    #[arg(long)]
    pub instance: Option<PathBuf>,
    /// When window 0 starts (RFC 3339, such as 2024-05-01T08:00:00Z), where windows.csv gives
    /// no start times: the exports keep the plan's clock from it.
    #[arg(long, value_parser = rfc3339)]
    pub start: Option<jiff::Timestamp>,
    /// Only the migrations: leave out the compute nodes the plan switches on and off.
    #[arg(long)]
    pub migrations_only: bool,
}

/// `--solver`: any text (a configuration may be a path, checked once read), offering the
/// solvers and the shipped configurations as the values that shell completions list.
#[derive(Clone)]
struct SolverName;

impl clap::builder::TypedValueParser for SolverName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let names = std::iter::once("auto")
            .chain(wattshift::solvers::SOLVERS.iter().map(|(name, _)| *name))
            .chain(wattshift::config::SHIPPED.iter().map(|(name, _)| *name));
        let mut unique: Vec<&str> = Vec::new();
        for name in names {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        Some(Box::new(
            unique.into_iter().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// An RFC 3339 date-time with an offset.
fn rfc3339(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse::<jiff::Timestamp>().map_err(|e| {
        format!("expected an RFC 3339 date-time with an offset, such as 2024-05-01T08:00:00Z ({e})")
    })
}

#[derive(Args)]
pub struct BoundArgs {
    /// Instance directory.
    pub dir: PathBuf,
    /// Price updates of the decomposition.
    #[arg(long, default_value_t = 300)]
    pub iterations: usize,
    /// Shard processes for the VM subproblems (0: in this process). The bound and the plan do
    /// not depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub shards: u16,
    /// Worker threads (0: one per core; at most 1024).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=MAX_THREADS as i64))]
    pub threads: u16,
    /// Also write the plan as a placement CSV (window, vm, site) to this file: never inside
    /// the instance, and never over an existing file without --force.
    #[arg(long)]
    pub placement: Option<PathBuf>,
    /// Replace an existing --placement file.
    #[arg(long)]
    pub force: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ShardArgs {
    /// Instance directory.
    pub dir: PathBuf,
    /// The prices, as JSON (windows, sites, cpu, mem, busy; `[window · sites + site]`).
    #[arg(long)]
    pub prices: PathBuf,
    /// This shard's index, 0 to count − 1: it solves the chunks c with c mod count = index.
    #[arg(long)]
    pub index: usize,
    /// Shards in all.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,
    /// Where to write the chunks' sums, as JSON: never inside the instance nor over the prices
    /// file, and never over an existing file without --force.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing --out file.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (0: one per core; at most 1024).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=MAX_THREADS as i64))]
    pub threads: u16,
}

/// What `plan` and `bench` share: limits, threads, seed, and what they print on stderr.
#[derive(Args)]
pub struct RunArgs {
    /// Wall-clock limit (overrides the configuration's): 90, 90s, 2m or 1h (seconds without a
    /// unit); at the limit the best plan found is returned with its bound.
    #[arg(long, allow_negative_numbers = true, value_parser = duration_s)]
    pub time_limit: Option<f64>,
    /// Worker threads (0: one per core; at most 1024). The plans do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(0..=MAX_THREADS as i64))]
    pub threads: Option<u16>,
    /// Seed of the randomised searches (overrides the configuration's; default 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also print the solver's notes and HiGHS's log, to stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// No progress on stderr (warnings and errors still show).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Instance directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// A solver or configuration, as for plan; repeat for each.
    #[arg(long = "solver", required = true, value_parser = SolverName, hide_possible_values = true)]
    pub solvers: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
    /// table, csv, json or markdown.
    #[arg(long, value_enum, default_value_t = BenchFormat::Table)]
    pub format: BenchFormat,
    /// Print JSON (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Runs of each configuration on each instance (with its own seed); with more than one,
    /// the table gives the mean, standard deviation and best of each figure.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub runs: u32,
    /// One run per seed, A to B inclusive (e.g. 1..10), instead of --runs.
    #[arg(long, value_name = "A..B", conflicts_with = "runs", value_parser = seed_range)]
    pub seeds: Option<Seeds>,
    /// Also write an HTML report to this output directory (report.html: best plan and bound
    /// over time per configuration and instance, the final gaps, the table), with bench.csv,
    /// bench.json and bench.md.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Also write the results as CSV to this file (every run).
    #[arg(long, value_name = "FILE")]
    pub export_csv: Option<PathBuf>,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,
    /// Also write the table as Markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
    /// Replace existing export files and a --report directory that holds files wattshift did
    /// not write.
    #[arg(long)]
    pub force: bool,
}

/// The seeds of `--seeds A..B`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeds(pub Vec<u64>);

/// `A..B`, both included, A ≤ B, at most 10 000 seeds.
fn seed_range(text: &str) -> Result<Seeds, String> {
    let (a, b) = text
        .split_once("..")
        .ok_or_else(|| format!("expected A..B such as 1..10, found {text:?}"))?;
    let parse = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("expected a whole number, found {s:?} in {text:?}"))
    };
    let (a, b) = (parse(a)?, parse(b.trim_start_matches('='))?);
    if a > b {
        return Err(format!("{a} is greater than {b}; expected A ≤ B"));
    }
    if b - a >= 10_000 {
        return Err(format!("{} seeds; at most 10 000", b - a + 1));
    }
    Ok(Seeds((a..=b).collect()))
}

/// Output formats of `bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array of rows.
    Json,
    /// A Markdown table.
    #[value(alias = "md")]
    Markdown,
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Sites, 1 to 1024.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub sites: u16,
    /// VMs, 0 to 1,000,000.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub vms: u32,
    /// Windows of the horizon.
    #[arg(long)]
    pub windows: usize,
    /// Seed: the same arguments and seed give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (written atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace OUT even if it holds files that wattshift did not write.
    #[arg(long)]
    pub force: bool,
    /// Print JSON instead of text: out, year, seed, zones and the instance's overview (as
    /// validate --json).
    #[arg(long)]
    pub json: bool,
    /// Year of the price series: 2022 (prices and carbon for 10 EU and 4 US zones) or 2024.
    #[arg(long, default_value_t = 2024, value_parser = clap::value_parser!(u16).range(2022..=2024))]
    pub year: u16,
    /// First window, YYYY-MM-DD or YYYY-MM-DDTHH (UTC); default: a day drawn from the seed.
    #[arg(long)]
    pub start: Option<String>,
    /// Hours per window (0.25 for quarter-hours).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1.0, value_parser = positive_f64)]
    pub window_hours: f64,
    /// Grid zones of the sites, comma-separated (e.g. DE-LU,FR,NL), cycled over the sites.
    #[arg(long, value_delimiter = ',')]
    pub zones: Option<Vec<String>>,
    /// Where sites go when --zones is not given: eu, us or all.
    #[arg(long, value_enum, default_value_t = Region::Eu)]
    pub region: Region,
    /// Shares of migration kinds, e.g. precopy=0.6,block=0.1,postcopy=0.1,offline=0.05,respawn=0.1,pinned=0.05.
    #[arg(long, value_parser = parse_kind_shares)]
    pub kinds: Option<[f64; 6]>,
    /// Carbon price, EUR per tonne CO2e.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0, value_parser = non_negative_f64)]
    pub carbon_eur_per_t: f64,
    /// Peak on-site solar power as a share of each site's peak facility power.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.2, value_parser = non_negative_f64)]
    pub renewable_share: f64,
    /// Add wind-like variability to on-site renewables.
    #[arg(long)]
    pub wind: bool,
    /// US dollars per euro for US prices (default: ECB annual average of the year).
    #[arg(long, allow_negative_numbers = true, value_parser = positive_f64)]
    pub usd_eur: Option<f64>,
    /// Share of latency-bound VNFs.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.1, value_parser = share)]
    pub vnf_share: f64,
    /// Share of VMs in anti-affinity pairs.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.1, value_parser = share)]
    pub anti_affinity_share: f64,
    /// Multiplies every link's bandwidth.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1.0, value_parser = positive_f64)]
    pub bandwidth_scale: f64,
    /// Migrations in plus out per site and window.
    #[arg(long)]
    pub max_migrations: Option<u32>,
    /// Migrations that may share a link at once.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// Draw only K VM templates and make every VM a copy of one at a site of its own, so that
    /// a large fleet has few classes of identical VMs (1 to 100,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub profiles: Option<u32>,
    /// Total host capacity over the fleet's initial need.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1.6, value_parser = positive_f64)]
    pub headroom: f64,
}

fn share(s: &str) -> Result<f64, String> {
    let v = parse_f64(s)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("expected a number in [0, 1], found '{s}'"))
    }
}

fn parse_kind_shares(s: &str) -> Result<[f64; 6], String> {
    let mut shares = [0.0; 6];
    for part in s.split(',') {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("expected KIND=SHARE, found '{part}'"))?;
        let kind = MigrationKind::from_name(name).ok_or_else(|| {
            format!("expected one of precopy, block, postcopy, offline, respawn, pinned; found '{name}'")
        })?;
        let index = MigrationKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(0);
        shares[index] = non_negative_f64(value)?;
    }
    if shares.iter().sum::<f64>() <= 0.0 {
        return Err("the shares must not all be 0".to_string());
    }
    Ok(shares)
}

#[derive(Args)]
pub struct PlanArgs {
    /// Instance directory.
    pub dir: PathBuf,
    /// Output directory (written atomically: all files or none).
    #[arg(long)]
    pub out: PathBuf,
    /// Solver or configuration: auto (exact where its MILP is small, else fleet), a solver
    /// (exact, windows, fleet, greedy, pabfd, paths, local, stay), a configuration shipped in
    /// solvers/ (e.g. windows-6), or a path to a .toml file.
    #[arg(long, default_value = "auto", value_parser = SolverName, hide_possible_values = true)]
    pub solver: String,
    /// Relative optimality gap at which to stop (default 1e-6).
    #[arg(long, allow_negative_numbers = true, value_parser = non_negative_f64)]
    pub gap: Option<f64>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Print summary.json to stdout (the same bytes as the file) instead of the text summary.
    #[arg(long)]
    pub json: bool,
    /// Replace OUT even if it holds files that wattshift did not write (never the instance),
    /// and an existing --write-model file.
    #[arg(long)]
    pub force: bool,
    /// Also write the whole-horizon MILP that `exact` solves to this file, for any MILP
    /// solver: free MPS for .mps, CPLEX LP for .lp. Its optimum is the optimal plan's
    /// objective_eur (constants are in the objective offset).
    #[arg(long, value_name = "FILE")]
    pub write_model: Option<PathBuf>,
    /// Also write report.html: a self-contained page with the plan's charts and tables (as
    /// `wattshift report OUT` writes it).
    #[arg(long)]
    pub report: bool,
}

#[derive(Args)]
pub struct EstimateArgs {
    /// precopy, block, postcopy, offline, respawn or pinned.
    #[arg(long, value_enum, default_value_t = MigrationKind::Precopy)]
    pub kind: MigrationKind,
    /// VM memory, GiB.
    #[arg(long, allow_negative_numbers = true, value_parser = positive_f64)]
    pub mem_gib: f64,
    /// Memory sent in the first round, GiB (default: mem-gib).
    #[arg(long, allow_negative_numbers = true, value_parser = positive_f64)]
    pub mem_used_gib: Option<f64>,
    /// Writable working set, GiB (default: mem-used-gib).
    #[arg(long, allow_negative_numbers = true, value_parser = positive_f64)]
    pub wss_gib: Option<f64>,
    /// Disk bytes a block or offline migration copies, GiB.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0, value_parser = non_negative_f64)]
    pub disk_gib: f64,
    /// Memory dirtying rate, MiB/s.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0, value_parser = non_negative_f64)]
    pub dirty_mib_s: f64,
    /// Disk write rate during block migration, MiB/s.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0, value_parser = non_negative_f64)]
    pub disk_write_mib_s: f64,
    /// Bottleneck line rate of the path, Gbit/s (not needed for respawn).
    #[arg(long, allow_negative_numbers = true, value_parser = positive_f64)]
    pub bandwidth_gbps: Option<f64>,
    /// Share of the link's bandwidth that carries data (0 to 1).
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.94, value_parser = efficiency)]
    pub link_efficiency: f64,
    /// Migrations sharing the path at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// Migrate this many identical VMs in waves of at most --concurrency.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub count: Option<u32>,
    /// Downtime at which pre-copy stops and copies the rest, ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 300.0, value_parser = positive_f64)]
    pub max_downtime_ms: f64,
    /// Most pre-copy rounds before the stop-and-copy.
    #[arg(long, default_value_t = 30)]
    pub max_rounds: u32,
    /// Set-up time of a migration, s.
    #[arg(long, allow_negative_numbers = true, default_value_t = 3.0, value_parser = non_negative_f64)]
    pub setup_s: f64,
    /// Time to resume the guest after the stop-and-copy, s.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.05, value_parser = non_negative_f64)]
    pub resume_s: f64,
    /// Start time of a respawned instance, s.
    #[arg(long, allow_negative_numbers = true, default_value_t = 60.0, value_parser = non_negative_f64)]
    pub boot_s: f64,
    /// Window length, hours: a migration longer than this is infeasible.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1.0, value_parser = positive_f64)]
    pub window_hours: f64,
    /// Migration energy per MB sent, J.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.512, value_parser = non_negative_f64)]
    pub energy_j_per_mb: f64,
    /// Fixed migration energy, J.
    #[arg(long, allow_negative_numbers = true, default_value_t = 20.165, value_parser = non_negative_f64)]
    pub energy_j_fixed: f64,
    /// Print JSON: total_s (the batch makespan) and per_vm for one VM of the first wave.
    #[arg(long)]
    pub json: bool,
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

/// A duration in seconds: a number > 0, optionally followed by `s`, `m` or `h`.
pub fn duration_s(s: &str) -> Result<f64, String> {
    let text = s.trim();
    let (number, scale) = match text.chars().last() {
        Some('s') => (&text[..text.len() - 1], 1.0),
        Some('m') => (&text[..text.len() - 1], 60.0),
        Some('h') => (&text[..text.len() - 1], 3600.0),
        _ => (text, 1.0),
    };
    match parse_f64(number.trim()) {
        Ok(v) if v > 0.0 && (v * scale).is_finite() => Ok(v * scale),
        _ => Err(format!(
            "expected a duration > 0 such as 90, 90s, 2m or 1h, found '{s}'"
        )),
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

/// The estimate command's options, checked against each other.
pub fn estimate_options(a: EstimateArgs) -> Result<EstimateOptions, String> {
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
