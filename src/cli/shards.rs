//! `bound` and `shard`: the fleet decomposition alone, its VM subproblems in this process or in
//! shard processes. The coordinator (`bound --shards N`) writes each iteration's prices to a
//! file, runs N `wattshift shard` processes on them and adds up the chunks they return in chunk
//! order, so the bound and the plan are those of one process (docs/SCALE.md says how the same
//! exchange runs on Ray, Kubernetes Indexed Jobs or Slurm arrays).

use super::args::{BoundArgs, ShardArgs};
use super::commands::{Exit, Failure};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use wattshift::error::InputError;
use wattshift::io::out_dir::{write_output_file, Writes};
use wattshift::io::read::{parse_prices, read_instance};
use wattshift::io::write;
use wattshift::progress::relative_gap;
use wattshift::scoring::costs::Costs;
use wattshift::solvers::fleet::bound_and_plan;
use wattshift::solvers::lagrange::{ChunkSum, Prices, PricesFile, VmSide};

/// What `bound --json` prints.
#[derive(Debug, Serialize)]
struct BoundReport {
    /// The best bound, EUR; null when some VM has nowhere to go.
    bound_eur: Option<f64>,
    /// Price updates run.
    iterations: usize,
    /// VM subproblems (groups of identical VMs) per iteration.
    vm_groups: usize,
    /// (site, window) subproblems per iteration.
    site_windows: usize,
    /// The plan re-routed at the best prices, EUR; null without one.
    plan_eur: Option<f64>,
    /// The plan's gap to the bound.
    gap: Option<f64>,
}

/// `wattshift bound DIR`: runs the decomposition for `iterations` price updates and re-routes
/// the repaired stay plan at its best prices; `shards > 0` solves the VM side in that many
/// processes of this program.
pub fn bound(args: &BoundArgs) -> Result<Exit, Failure> {
    let (dir, iterations, json) = (args.dir.as_path(), args.iterations, args.json);
    let (shards, threads) = (usize::from(args.shards), usize::from(args.threads));
    let placement = args.placement.as_deref();
    let writes = Writes {
        files: placement.map(Path::to_path_buf).into_iter().collect(),
        inputs: vec![dir.to_path_buf()],
        force: args.force,
        ..Writes::default()
    };
    writes.check()?;
    let instance = read_instance(dir)?;
    let costs = Costs::new(&instance);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start {threads} threads: {e}")))?;
    let decomposed = if shards == 0 {
        pool.install(|| bound_and_plan(&costs, iterations, None))
    } else {
        let work = tempfile::tempdir()
            .map_err(|e| Failure::Usage(format!("cannot make a temporary directory: {e}")))?;
        let chunks = VmSide::new(&costs).num_chunks();
        let failed: Mutex<Option<Failure>> = Mutex::new(None);
        let solve = |prices: &Prices| match run_shards(dir, work.path(), prices, shards, chunks) {
            Ok(sums) => Some(sums),
            Err(e) => {
                *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                None
            }
        };
        let decomposed = pool.install(|| bound_and_plan(&costs, iterations, Some(&solve)));
        if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(e);
        }
        decomposed
    };
    let plan_eur = decomposed.plan.as_ref().map(|p| p.1);
    let report = BoundReport {
        bound_eur: decomposed.bound.bound_eur,
        iterations: decomposed.bound.iterations,
        vm_groups: decomposed.bound.subproblems.0,
        site_windows: decomposed.bound.subproblems.1,
        plan_eur,
        gap: match (plan_eur, decomposed.bound.bound_eur) {
            // Null where the plan costs 0 and the bound is below it, as in summary.json.
            (Some(p), Some(b)) => Some(relative_gap(p, b)).filter(|g| g.is_finite()),
            _ => None,
        },
    };
    if let (Some(path), Some((plan, _))) = (placement, &decomposed.plan) {
        let bytes = write::placement_csv(&instance, plan);
        write_output_file(path, &writes.inputs, args.force, |temp| {
            std::fs::write(temp, &bytes).map_err(|e| e.to_string())
        })?;
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serialises")
        );
    } else {
        let show = |x: Option<f64>| x.map_or("none".to_string(), |x| format!("{x:.6} EUR"));
        println!(
            "bound {} after {} iterations ({} VM groups, {} site-windows); plan {}",
            show(report.bound_eur),
            report.iterations,
            report.vm_groups,
            report.site_windows,
            show(report.plan_eur)
        );
    }
    Ok(if decomposed.plan.is_some() {
        Exit::Done
    } else {
        Exit::NoPlan
    })
}

/// `wattshift shard DIR --prices P --index I --count N --out R`: solves the chunks c with
/// c mod N = I at the prices and writes their sums as JSON.
pub fn shard(args: &ShardArgs) -> Result<Exit, Failure> {
    let (dir, prices, out) = (
        args.dir.as_path(),
        args.prices.as_path(),
        args.out.as_path(),
    );
    let (index, threads) = (args.index, usize::from(args.threads));
    let count = usize::try_from(args.count).unwrap_or(usize::MAX);
    if index >= count {
        return Err(Failure::Usage(format!(
            "--index {index} must be below --count {count}"
        )));
    }
    let writes = Writes {
        files: vec![out.to_path_buf()],
        inputs: vec![dir.to_path_buf(), prices.to_path_buf()],
        force: args.force,
        ..Writes::default()
    };
    writes.check()?;
    let instance = read_instance(dir)?;
    let costs = Costs::new(&instance);
    let name = prices.display().to_string();
    let text = std::fs::read_to_string(prices)
        .map_err(|e| InputError::file(&name, format!("cannot read it: {e}")))?;
    let prices = parse_prices(&name, &text, &instance)?;
    let side = VmSide::new(&costs);
    let chunks: Vec<usize> = (index..side.num_chunks()).step_by(count).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start {threads} threads: {e}")))?;
    let sums = pool
        .install(|| side.solve(&prices, &chunks, &|| false))
        .expect("no clock to run out");
    if !sums.iter().all(ChunkSum::is_finite) {
        return Err(InputError::file(
            &name,
            "these prices make the VM subproblems' cost overflow to a non-finite number; \
             expected smaller prices",
        )
        .into());
    }
    let bytes = serde_json::to_vec(&sums).expect("sums serialise");
    write_output_file(out, &writes.inputs, args.force, |temp| {
        std::fs::write(temp, &bytes).map_err(|e| e.to_string())
    })?;
    Ok(Exit::Done)
}

/// One iteration's VM side over `shards` processes: writes the prices, runs the shards, reads
/// and checks their sums; every chunk once, in chunk order.
fn run_shards(
    dir: &Path,
    work: &Path,
    prices: &Prices,
    shards: usize,
    chunks: usize,
) -> Result<Vec<ChunkSum>, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Usage(format!("cannot find this program to run shards: {e}")))?;
    let prices_path = work.join("prices.json");
    // The prices are this run's own file in its own directory, replaced each iteration.
    let bytes = serde_json::to_vec(&PricesFile::from(prices)).expect("prices serialise");
    write_output_file(&prices_path, &[], true, |temp| {
        std::fs::write(temp, &bytes).map_err(|e| e.to_string())
    })?;
    let outs: Vec<PathBuf> = (0..shards)
        .map(|i| work.join(format!("shard-{i}.json")))
        .collect();
    let children: Vec<_> = outs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            Command::new(&exe)
                .arg("shard")
                .arg(dir)
                .arg("--prices")
                .arg(&prices_path)
                .args(["--index", &i.to_string(), "--count", &shards.to_string()])
                .arg("--out")
                .arg(out)
                .args(["--threads", "1"])
                .spawn()
                .map_err(|e| Failure::Usage(format!("cannot start shard {i}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    for (i, mut child) in children.into_iter().enumerate() {
        let status = child
            .wait()
            .map_err(|e| Failure::Usage(format!("shard {i}: {e}")))?;
        if !status.success() {
            return Err(Failure::Bug(format!("shard {i} failed: {status}")));
        }
    }
    let mut sums: Vec<ChunkSum> = Vec::with_capacity(chunks);
    for (i, out) in outs.iter().enumerate() {
        let text = std::fs::read_to_string(out)
            .map_err(|e| Failure::Bug(format!("shard {i}'s result: {e}")))?;
        let mut part: Vec<ChunkSum> = serde_json::from_str(&text)
            .map_err(|e| Failure::Bug(format!("shard {i}'s result: {e}")))?;
        sums.append(&mut part);
        // The result was this run's own, in its own directory: the next iteration's shard
        // writes it anew (a shard never writes over a file).
        std::fs::remove_file(out)
            .map_err(|e| Failure::Bug(format!("cannot remove shard {i}'s result: {e}")))?;
    }
    sums.sort_by_key(|sum| sum.chunk);
    if sums.iter().map(|sum| sum.chunk).ne(0..chunks) {
        return Err(Failure::Bug(format!(
            "the shards returned chunks {:?}, not each of 0..{chunks} once",
            sums.iter().map(|sum| sum.chunk).collect::<Vec<_>>()
        )));
    }
    Ok(sums)
}
