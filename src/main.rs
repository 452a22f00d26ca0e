//! The `wattshift` command line: parses the arguments, runs the command, and maps what came out
//! to an exit code in one place (`exit_code`).

mod cli;

use clap::{CommandFactory, Parser};
use cli::args::{estimate_options, Cli, Command, RunArgs};
use cli::commands::{self, Exit, Failure, PlanOptions};
use cli::progress::Show;
use std::process::ExitCode;
use wattshift::generate::{GenerateOptions, DEFAULT_KIND_SHARES};
use wattshift::interrupt::Interrupt;

/// Runs the command the arguments name.
fn run(cli: Cli, interrupt: &Interrupt) -> Result<Exit, Failure> {
    match cli.command {
        Command::Validate { dir, json } => commands::validate(&dir, json),
        Command::Plan(a) => {
            let options = PlanOptions {
                solver: a.solver,
                gap: a.gap,
                force: a.force,
                json: a.json,
                write_model: a.write_model,
                report: a.report,
                ..run_options(&a.run, interrupt)
            };
            commands::plan(&a.dir, &a.out, &options)
        }
        Command::Evaluate {
            dir,
            placement,
            json,
        } => commands::evaluate_placement(&dir, &placement, json),
        Command::Bench(a) => {
            // One progress record for every run: bench restarts it before each.
            let shared = run_options(&a.run, interrupt);
            let options: Vec<PlanOptions> = a
                .solvers
                .into_iter()
                .map(|solver| PlanOptions {
                    solver,
                    ..shared.clone()
                })
                .collect();
            let format = if a.json {
                cli::args::BenchFormat::Json
            } else {
                a.format
            };
            let runs = match a.seeds {
                Some(seeds) => wattshift::bench::Runs::Seeds(seeds.0),
                None => wattshift::bench::Runs::Repeat(a.runs as usize),
            };
            let outputs = commands::BenchOutputs {
                format,
                runs,
                report: a.report,
                csv: a.export_csv,
                json: a.export_json,
                markdown: a.export_markdown,
                force: a.force,
            };
            commands::bench(&a.dirs, &options, &outputs)
        }
        Command::Generate(a) => {
            let options = GenerateOptions {
                sites: usize::from(a.sites),
                vms: a.vms as usize,
                windows: a.windows,
                seed: a.seed,
                year: a.year,
                start: a.start,
                window_hours: a.window_hours,
                zones: a.zones,
                region: a.region,
                kind_shares: a.kinds.unwrap_or(DEFAULT_KIND_SHARES),
                carbon_eur_per_t: a.carbon_eur_per_t,
                renewable_share: a.renewable_share,
                wind: a.wind,
                usd_per_eur: a.usd_eur,
                vnf_share: a.vnf_share,
                anti_affinity_share: a.anti_affinity_share,
                bandwidth_scale: a.bandwidth_scale,
                max_migrations: a.max_migrations,
                concurrency: a.concurrency,
                headroom: a.headroom,
                profiles: a.profiles.map(|k| k as usize),
            };
            commands::generate(&options, &a.out, a.force, a.json)
        }
        Command::Estimate(a) => commands::estimate(&estimate_options(a).map_err(Failure::Usage)?),
        Command::Bound(a) => cli::shards::bound(&a),
        Command::Init { dir, force } => commands::init(&dir, force),
        Command::Report { out, instance } => commands::report(&out, instance.as_deref()),
        Command::Import { feed } => {
            use cli::args::ImportFeed;
            let (feed, a) = match feed {
                ImportFeed::CarbonAware(a) => (commands::Feed::CarbonAware, a),
                ImportFeed::ElectricityMaps(a) => (commands::Feed::ElectricityMaps, a),
                ImportFeed::Entsoe(a) => (commands::Feed::Entsoe, a),
            };
            commands::import(feed, &a)
        }
        Command::Export { target } => match target {
            cli::args::ExportTarget::Watcher(a) => commands::export(&a, commands::Target::Watcher),
            cli::args::ExportTarget::Openstack(a) => {
                commands::export(&a, commands::Target::Openstack)
            }
        },
        Command::Hosts {
            out,
            nodes,
            instance,
            json,
            repack,
        } => commands::hosts(&out, nodes.as_deref(), instance.as_deref(), json, repack),
        Command::Explain {
            out,
            vm,
            window,
            instance,
            json,
        } => commands::explain(
            &out,
            &commands::ExplainOptions {
                vm,
                window,
                json,
                instance,
            },
        ),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "wattshift", &mut std::io::stdout());
            Ok(Exit::Done)
        }
        Command::Man { command } => commands::man(Cli::command(), command.as_deref()),
        Command::Shard(a) => cli::shards::shard(&a),
    }
}

/// What `plan` and `bench` take from their shared flags.
fn run_options(run: &RunArgs, interrupt: &Interrupt) -> PlanOptions {
    PlanOptions {
        time_limit_s: run.time_limit,
        threads: run.threads.map(usize::from),
        seed: run.seed,
        verbose: run.verbose,
        interrupt: interrupt.clone(),
        progress: commands::progress_for(run.verbose),
        show: Show::choose(run.quiet),
        ..PlanOptions::default()
    }
}

/// The exit codes of docs/FORMAT.md §4: 0 done, 1 infeasible, 2 bad input or usage, 3 no plan
/// within the limits (or a broken contract); after a signal, 128 + its number (130 for SIGINT,
/// 143 for SIGTERM) unless the input was bad.
fn exit_code(result: &Result<Exit, Failure>, signal: Option<i32>) -> u8 {
    let code: u8 = match result {
        Ok(Exit::Done) => 0,
        Ok(Exit::Infeasible) | Err(Failure::Refused(_)) => 1,
        Err(Failure::Input(_) | Failure::Inputs(_) | Failure::Output(_) | Failure::Usage(_)) => {
            return 2
        }
        Ok(Exit::NoPlan) | Err(Failure::Bug(_)) => 3,
    };
    match signal {
        Some(signal) => u8::try_from(128 + signal).unwrap_or(code),
        None => code,
    }
}

fn main() -> ExitCode {
    // A reader that closes the pipe early (`wattshift validate --json | head`) ends the process
    // quietly, as it does a C tool, instead of making a print panic.
    // SAFETY: setting a signal's disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let interrupt = Interrupt::new();
    if matches!(cli.command, Command::Plan(_) | Command::Bench(_)) {
        cli::signals::catch(&interrupt);
    }
    let result = run(cli, &interrupt);
    if let Err(failure) = &result {
        eprintln!("error: {failure}");
    }
    ExitCode::from(exit_code(&result, cli::signals::caught()))
}
