//! `bound` and `shard`: the fleet decomposition alone, its VM subproblems in this process or in
//! shard processes. The coordinator (`bound --shards N`) writes each iteration's prices to a
//! file, runs N `wattshift shard` processes on them and adds up the chunks they return in chunk
//! order, so the bound and the plan are those of one process (docs/SCALE.md says how the same
//! exchange runs on Ray, Kubernetes Indexed Jobs or Slurm arrays).

use super::commands::{Exit, Failure};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use wattshift::error::InputError;
use wattshift::io::read::read_instance;
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
pub fn bound(
    dir: &Path,
    iterations: usize,
    shards: usize,
    threads: usize,
    placement: Option<&Path>,
    json: bool,
) -> Result<Exit, Failure> {
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
        write_file(path, &write::placement_csv(&instance, plan))?;
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
pub fn shard(
    dir: &Path,
    prices: &Path,
    index: usize,
    count: usize,
    out: &Path,
    threads: usize,
) -> Result<Exit, Failure> {
    if index >= count {
        return Err(Failure::Usage(format!(
            "--index {index} must be below --count {count}"
        )));
    }
    let instance = read_instance(dir)?;
    let costs = Costs::new(&instance);
    let text = std::fs::read_to_string(prices)
        .map_err(|e| InputError::file(prices.display().to_string(), e.to_string()))?;
    let file: PricesFile = serde_json::from_str(&text)
        .map_err(|e| InputError::file(prices.display().to_string(), e.to_string()))?;
    if (file.windows, file.sites) != (instance.num_windows(), instance.num_sites()) {
        return Err(InputError::file(
            prices.display().to_string(),
            format!(
                "prices for {} windows x {} sites, but the instance has {} x {}",
                file.windows,
                file.sites,
                instance.num_windows(),
                instance.num_sites()
            ),
        )
        .into());
    }
    let prices =
        Prices::try_from(file).map_err(|e| InputError::file(prices.display().to_string(), e))?;
    let side = VmSide::new(&costs);
    let chunks: Vec<usize> = (index..side.num_chunks()).step_by(count).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start {threads} threads: {e}")))?;
    let sums = pool
        .install(|| side.solve(&prices, &chunks, &|| false))
        .expect("no clock to run out");
    write_file(
        out,
        serde_json::to_string(&sums)
            .expect("sums serialise")
            .as_bytes(),
    )?;
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
    write_file(
        &prices_path,
        serde_json::to_string(&PricesFile::from(prices))
            .expect("prices serialise")
            .as_bytes(),
    )?;
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

/// Writes a file whole: to a temporary file beside it, then renamed over it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let failed =
        |e: std::io::Error| Failure::Usage(format!("cannot write {}: {e}", path.display()));
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(failed)?;
    std::io::Write::write_all(&mut file, bytes).map_err(failed)?;
    file.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}
