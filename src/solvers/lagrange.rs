//! A lower bound that scales with the fleet: Lagrangian decomposition of the plan's cost into
//! one subproblem per VM (group) and one per (site, window), coordinated by prices.
//!
//! # The decomposition
//! Write the load of site s in window t as L = (cpu, mem, busy) and the plan's cost as
//! `Σ_{t,s} C_ts(L_ts) + Σ_v migrations(v)`, where C_ts is docs/MODEL.md §2's window-site cost
//! (whole active hosts n, grid power max(0, facility − renewable), its price and carbon). The
//! loads are tied to the placement by `L_ts = Σ_{v at s in t} a_vt`, with a_vt = (cpu, mem,
//! cpu·util). Pricing that tie with λ_ts = (λ_cpu, λ_mem, λ_busy) and dropping the other
//! constraints that couple VMs (anti-affinity, migration limits, link budgets — dropping a
//! constraint only lowers the optimum) gives, for every λ,
//!
//! `bound(λ) = Σ_v min_path_v(λ) + Σ_{t,s} min_L (C_ts(L) − λ_ts·L)  ≤  optimum`:
//! - **per VM** (identical VMs share one): its cheapest path over (window, site) from its
//!   initial site through its allowed sites, paying λ_ts·a_vt in each window and the exact cost
//!   of each feasible migration; solved exactly by dynamic programming, O(T·S²);
//! - **per (site, window)**: the cheapest integer number of active hosts n ≤ hosts and load L
//!   within n hosts' capacity (busy ≤ cpu), with renewables and negative prices exactly as the
//!   cost defines them; solved exactly (see [`site_subproblem`]).
//!
//! Any feasible plan's loads are feasible in both, so each `bound(λ)` is a proven lower bound.
//! The prices follow projected-free subgradient steps of Polyak's size toward a target (the
//! best plan known), halved when the bound stalls; the best bound over the iterations is kept.
//! Subproblems run in parallel with rayon and are collected in index order, so the bound does
//! not depend on the number of threads.

use super::exact::{group_vms, Group, Horizon};
use crate::domain::instance::{SiteId, VmId};
use crate::progress::Progress;
use crate::scoring::costs::Costs;
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Prices of load per (window, site): EUR per core placed, per GiB placed, per busy core.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// EUR per core placed, `[window, site]`.
    pub cpu: Array2<f64>,
    /// EUR per GiB placed, `[window, site]`.
    pub mem: Array2<f64>,
    /// EUR per busy core (cpu × util), `[window, site]`.
    pub busy: Array2<f64>,
}

impl Prices {
    /// The fluid prices, renewables aside: a core's share of an idle host and a busy core's
    /// power, with PUE, at the grid price (negative where the price is: a site that earns from
    /// power then pays VMs to come, as the sites' own subproblems would have it).
    pub fn fluid(costs: &Costs) -> Prices {
        let instance = costs.instance;
        let shape = (instance.num_windows(), instance.num_sites());
        let rate =
            |t: usize, s: usize| instance.grid_eur_per_kwh(t, s) * instance.params.window_hours;
        Prices {
            cpu: Array2::from_shape_fn(shape, |(t, s)| {
                let site = &instance.sites[s];
                rate(t, s) * site.pue * site.idle_w / 1000.0 / (site.host_cpu * site.cpu_overcommit)
            }),
            mem: Array2::zeros(shape),
            busy: Array2::from_shape_fn(shape, |(t, s)| {
                let site = &instance.sites[s];
                rate(t, s) * site.pue * (site.peak_w - site.idle_w) / site.host_cpu / 1000.0
            }),
        }
    }
}

/// What the decomposition proved.
#[derive(Debug, Clone, PartialEq)]
pub struct LagrangeBound {
    /// The best bound over the iterations, EUR; `None` when some VM has no path at all (the
    /// instance is then infeasible) or no iteration finished.
    pub bound_eur: Option<f64>,
    /// The prices at which the best bound was found.
    pub prices: Prices,
    /// Iterations run.
    pub iterations: usize,
    /// Subproblems per iteration: VM groups, and (site, window) pairs.
    pub subproblems: (usize, usize),
}

/// One (site, window) subproblem: `min over n ∈ 0..=hosts and loads within n hosts of
/// C(n, busy) − λ·L`. Returns the value and the minimising load (cpu, mem, busy).
///
/// For a fixed n the loads form the box mem ∈ [0, M(n)] and the triangle 0 ≤ busy ≤ cpu ≤
/// C(n); the cost is linear in mem and cpu, and piecewise linear in busy with one kink where
/// facility power meets the renewable power, so the minimum lies at a vertex of the triangle
/// cut by that kink. Over n: where the grid price is not negative, the value is convex in n
/// (a partial minimum of a jointly convex function), so an integer ternary search finds it;
/// where it is negative, the cost is concave and the minimum is at n = 0 or n = hosts.
///
/// # Complexity
/// O(log hosts).
#[allow(clippy::too_many_arguments)]
pub fn site_subproblem(
    hosts: u32,
    cap_cpu: f64,
    cap_mem: f64,
    kw_per_host: f64,
    kw_per_busy: f64,
    renewable_kw: f64,
    eur_per_kw: f64,
    lambda: (f64, f64, f64),
) -> (f64, (f64, f64, f64)) {
    let (l_cpu, l_mem, l_busy) = lambda;
    // Capacity with the tolerance of docs/MODEL.md §3, as the MILP's rows allow it.
    let tol = 1e-9;
    let at = |n: f64| -> (f64, (f64, f64, f64)) {
        let c = n * cap_cpu * (1.0 + tol) + cap_cpu * tol;
        let m = n * cap_mem * (1.0 + tol) + cap_mem * tol;
        let mem = if l_mem > 0.0 { m } else { 0.0 };
        let grid = |busy: f64| (kw_per_host * n + kw_per_busy * busy - renewable_kw).max(0.0);
        let value = |cpu: f64, busy: f64| eur_per_kw * grid(busy) - l_cpu * cpu - l_busy * busy;
        let mut points = vec![(0.0, 0.0), (c, 0.0), (c, c)];
        if kw_per_busy > 0.0 {
            let kink = (renewable_kw - kw_per_host * n) / kw_per_busy;
            if kink > 0.0 && kink < c {
                points.push((kink, kink));
                points.push((c, kink));
            }
        }
        let mut best = (f64::INFINITY, (0.0, 0.0, 0.0));
        for (cpu, busy) in points {
            let v = value(cpu, busy) - l_mem * mem;
            if v < best.0 {
                best = (v, (cpu, mem, busy));
            }
        }
        best
    };
    let hosts = hosts as i64;
    let f = |n: i64| at(n as f64);
    if eur_per_kw < 0.0 {
        let (a, b) = (f(0), f(hosts));
        return if b.0 < a.0 { b } else { a };
    }
    let (mut lo, mut hi) = (0i64, hosts);
    while hi - lo > 2 {
        let m1 = lo + (hi - lo) / 3;
        let m2 = hi - (hi - lo) / 3;
        if f(m1).0 <= f(m2).0 {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    let mut best = f(lo);
    for n in lo + 1..=hi {
        let candidate = f(n);
        if candidate.0 < best.0 {
            best = candidate;
        }
    }
    best
}

/// A path over the windows and its cost at the prices.
type Path = (Vec<SiteId>, f64);

/// What one VM's migrations cost, tabulated once per VM group and iteration: a migration
/// from a to b in window t costs `fixed[a·S + b] + half_kwh[a·S + b]·q[t, a] +
/// half_kwh[a·S + b]·q[t, b]`, where q is the site's energy price with PUE, the split of
/// `Costs::migration_cost`; infeasible ones are infinite. The path DP then reads two numbers
/// per step instead of deriving the cost again (3.4 times faster at 16 sites), and skips
/// the moves into a site that cannot beat staying there.
struct MigrationTable {
    fixed: Vec<f64>,
    half_kwh: Vec<f64>,
    /// The cheapest move into each site: the least fixed part from another site (the energy
    /// part is never negative).
    min_in: Vec<f64>,
}

impl MigrationTable {
    fn new(costs: &Costs, v: VmId) -> MigrationTable {
        let sites = costs.instance.num_sites();
        let mut fixed = vec![f64::INFINITY; sites * sites];
        let mut half_kwh = vec![0.0; sites * sites];
        for a in 0..sites {
            for b in 0..sites {
                if a == b {
                    fixed[a * sites + b] = 0.0;
                    continue;
                }
                if let Some(e) = costs.migration(v, a, b).filter(|e| e.is_feasible()) {
                    let cost = costs.migration_cost(v, a, b, 0, e);
                    fixed[a * sites + b] = cost.penalty_eur + cost.downtime_eur + cost.transfer_eur;
                    half_kwh[a * sites + b] = e.energy_kwh() / 2.0;
                }
            }
        }
        let min_in = (0..sites)
            .map(|b| {
                (0..sites)
                    .filter(|&a| a != b)
                    .map(|a| fixed[a * sites + b])
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        MigrationTable {
            fixed,
            half_kwh,
            min_in,
        }
    }
}

/// A VM group's cheapest path at `prices` (the DP `paths` uses): its sites per window and the
/// path's cost, or `None` when no path exists. Infeasible migrations are not taken. `q` is
/// each (window, site)'s energy price for migrations, EUR per kWh with PUE.
fn cheapest_path(costs: &Costs, prices: &Prices, q: &Array2<f64>, v: VmId) -> Option<Path> {
    let instance = costs.instance;
    let sites = instance.num_sites();
    let vm = &instance.vms[v];
    let table = MigrationTable::new(costs, v);
    let allowed: Vec<SiteId> = (0..sites).filter(|&s| costs.is_allowed(v, s)).collect();
    super::paths::cheapest_path(
        instance.num_windows(),
        vm.initial_site,
        &allowed,
        None,
        Some(&table.min_in),
        // Every member of the group has the same allowance, so the group's path keeps it.
        instance.params.max_migrations_per_vm,
        |t, a, b| {
            let k = a * sites + b;
            let (fixed, half_kwh) = (table.fixed[k], table.half_kwh[k]);
            fixed
                .is_finite()
                .then(|| fixed + (half_kwh * q[[t, a]] + half_kwh * q[[t, b]]))
        },
        |t, s| {
            prices.cpu[[t, s]] * vm.cpu
                + prices.mem[[t, s]] * vm.mem_gib
                + prices.busy[[t, s]] * vm.cpu * instance.util[[v, t]]
        },
    )
}

/// VM groups per chunk of the VM side. Each chunk's sums are added up in group order and the
/// chunks' in chunk order, whether they run in this process or as shards in others, so the
/// bound is the same to the last bit however the work is split.
pub const CHUNK_GROUPS: usize = 256;

/// One chunk of VM groups' share of an iteration: what their cheapest paths cost at the prices
/// and the loads they place, `[window · sites + site]`. Shards exchange these as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkSum {
    /// The chunk's index: groups `chunk · CHUNK_GROUPS ..`.
    pub chunk: usize,
    /// Σ group size × path cost, EUR; `None` when some VM of the chunk has no path at all.
    pub value: Option<f64>,
    /// Cores placed.
    pub cpu: Vec<f64>,
    /// GiB placed.
    pub mem: Vec<f64>,
    /// Busy cores placed.
    pub busy: Vec<f64>,
}

impl ChunkSum {
    /// Whether every figure is finite (a value of `None` is no path, not an overflow).
    pub fn is_finite(&self) -> bool {
        self.value.is_none_or(f64::is_finite)
            && [&self.cpu, &self.mem, &self.busy]
                .iter()
                .all(|v| v.iter().all(|x| x.is_finite()))
    }
}

/// The VM side of the decomposition: the groups of identical VMs, split into chunks.
pub struct VmSide<'c, 'a> {
    costs: &'c Costs<'a>,
    groups: Vec<Group>,
    /// Migrations' energy price per (window, site), EUR per kWh with PUE, as
    /// `Costs::migration_cost` has it (a negative price never pays for a migration).
    q: Array2<f64>,
}

impl<'c, 'a> VmSide<'c, 'a> {
    /// Groups the instance's VMs.
    pub fn new(costs: &'c Costs<'a>) -> Self {
        let instance = costs.instance;
        let q = Array2::from_shape_fn((instance.num_windows(), instance.num_sites()), |(t, s)| {
            instance.sites[s].pue * instance.price_eur_mwh[[t, s]].max(0.0) / 1000.0
        });
        VmSide {
            costs,
            groups: group_vms(costs, &Horizon::whole(costs)),
            q,
        }
    }

    /// Groups of identical VMs: one subproblem each.
    pub fn num_groups(&self) -> usize {
        self.groups.len()
    }

    /// Chunks of [`CHUNK_GROUPS`] groups.
    pub fn num_chunks(&self) -> usize {
        self.groups.len().div_ceil(CHUNK_GROUPS)
    }

    /// Solves the groups of `chunks` at `prices` (the groups of each chunk in parallel), or
    /// `None` when `out_of_time` says so before a group's turn.
    pub fn solve(
        &self,
        prices: &Prices,
        chunks: &[usize],
        out_of_time: &(dyn Fn() -> bool + Sync),
    ) -> Option<Vec<ChunkSum>> {
        let instance = self.costs.instance;
        let sites = instance.num_sites();
        let cells = instance.num_windows() * sites;
        let mut sums = Vec::with_capacity(chunks.len());
        for &chunk in chunks {
            let from = (chunk * CHUNK_GROUPS).min(self.groups.len());
            let to = (from + CHUNK_GROUPS).min(self.groups.len());
            let groups = &self.groups[from..to];
            let paths: Vec<Option<Option<Path>>> = groups
                .par_iter()
                .map(|group| {
                    (!out_of_time()).then(|| cheapest_path(self.costs, prices, &self.q, group.rep))
                })
                .collect();
            let mut sum = ChunkSum {
                chunk,
                value: Some(0.0),
                cpu: vec![0.0; cells],
                mem: vec![0.0; cells],
                busy: vec![0.0; cells],
            };
            for (group, path) in groups.iter().zip(paths) {
                let Some((path, cost)) = path? else {
                    sum.value = None;
                    continue;
                };
                let size = group.members.len() as f64;
                sum.value = sum.value.map(|v| v + size * cost);
                let vm = &instance.vms[group.rep];
                for (t, &s) in path.iter().enumerate() {
                    sum.cpu[t * sites + s] += size * vm.cpu;
                    sum.mem[t * sites + s] += size * vm.mem_gib;
                    sum.busy[t * sites + s] += size * vm.cpu * instance.util[[group.rep, t]];
                }
            }
            sums.push(sum);
        }
        Some(sums)
    }
}

/// Prices as shards exchange them: `[window · sites + site]` per family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricesFile {
    /// Windows.
    pub windows: usize,
    /// Sites.
    pub sites: usize,
    /// EUR per core placed.
    pub cpu: Vec<f64>,
    /// EUR per GiB placed.
    pub mem: Vec<f64>,
    /// EUR per busy core.
    pub busy: Vec<f64>,
}

impl From<&Prices> for PricesFile {
    fn from(prices: &Prices) -> Self {
        let (windows, sites) = prices.cpu.dim();
        let flat = |a: &Array2<f64>| a.iter().copied().collect();
        PricesFile {
            windows,
            sites,
            cpu: flat(&prices.cpu),
            mem: flat(&prices.mem),
            busy: flat(&prices.busy),
        }
    }
}

impl TryFrom<PricesFile> for Prices {
    type Error = String;

    fn try_from(file: PricesFile) -> Result<Self, String> {
        let shape = (file.windows, file.sites);
        let array = |name: &str, v: Vec<f64>| {
            Array2::from_shape_vec(shape, v)
                .map_err(|_| format!("{name}: expected {} x {} prices", shape.0, shape.1))
        };
        Ok(Prices {
            cpu: array("cpu", file.cpu)?,
            mem: array("mem", file.mem)?,
            busy: array("busy", file.busy)?,
        })
    }
}

/// Solves the VM side of one iteration: every chunk's sums in chunk order, or `None` when the
/// clock ran out. In this process ([`VmSide::solve`]) or in shards elsewhere.
pub type SolveVmSide<'f> = dyn Fn(&Prices) -> Option<Vec<ChunkSum>> + 'f;

/// Runs the decomposition: up to `max_iterations` price updates, stopping early when
/// `out_of_time` says so; `target_eur` (the cost of a known feasible plan, if any) sets the
/// step sizes. Every iteration reads the clock before each subproblem.
pub fn lower_bound(
    costs: &Costs,
    target_eur: Option<f64>,
    max_iterations: usize,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> LagrangeBound {
    resume(
        costs,
        None,
        target_eur,
        max_iterations,
        out_of_time,
        &Progress::new(),
    )
}

/// Runs the decomposition on from `previous`'s best prices (the fluid prices without one), with
/// steps aimed at `target_eur` (typically a better plan found since), for up to
/// `max_iterations` more price updates; the bound returned is the best of both runs, and the
/// iterations count both. Each new best bound goes to `progress`.
pub fn resume(
    costs: &Costs,
    previous: Option<LagrangeBound>,
    target_eur: Option<f64>,
    max_iterations: usize,
    out_of_time: &(dyn Fn() -> bool + Sync),
    progress: &Progress,
) -> LagrangeBound {
    let side = VmSide::new(costs);
    let chunks: Vec<usize> = (0..side.num_chunks()).collect();
    let solve = |prices: &Prices| side.solve(prices, &chunks, out_of_time);
    resume_with(
        costs,
        previous,
        target_eur,
        max_iterations,
        out_of_time,
        &solve,
        progress,
    )
}

/// [`resume`] with the VM side solved by `vm_side`, which may hand the chunks to other
/// processes or machines (see docs/SCALE.md); the site side and the price updates run here.
pub fn resume_with(
    costs: &Costs,
    previous: Option<LagrangeBound>,
    target_eur: Option<f64>,
    max_iterations: usize,
    out_of_time: &(dyn Fn() -> bool + Sync),
    vm_side: &SolveVmSide,
    progress: &Progress,
) -> LagrangeBound {
    let instance = costs.instance;
    let windows = instance.num_windows();
    let sites = instance.num_sites();
    let mut out = previous.unwrap_or_else(|| LagrangeBound {
        bound_eur: None,
        prices: Prices::fluid(costs),
        iterations: 0,
        subproblems: (0, 0),
    });
    out.subproblems = (
        group_vms(costs, &Horizon::whole(costs)).len(),
        windows * sites,
    );
    let mut prices = out.prices.clone();
    if windows == 0 {
        return out;
    }
    let cells: Vec<(usize, SiteId)> = (0..windows)
        .flat_map(|t| (0..sites).map(move |s| (t, s)))
        .collect();
    let mut theta = 1.0;
    let mut stalled = 0;
    // The last step's direction, for the deflection.
    let mut d_cpu = Array2::<f64>::zeros((windows, sites));
    let mut d_mem = Array2::<f64>::zeros((windows, sites));
    let mut d_busy = Array2::<f64>::zeros((windows, sites));
    for _ in 0..max_iterations {
        if out_of_time() {
            break;
        }
        // The VM subproblems, one per group, chunk by chunk.
        let Some(sums) = vm_side(&prices) else {
            break;
        };
        let mut value = 0.0;
        // Subgradient: the loads the paths place, minus the loads the sites chose.
        let mut g_cpu = Array2::<f64>::zeros((windows, sites));
        let mut g_mem = Array2::<f64>::zeros((windows, sites));
        let mut g_busy = Array2::<f64>::zeros((windows, sites));
        for sum in &sums {
            let Some(v) = sum.value else {
                // A VM with nowhere to go: no plan exists, so there is no finite bound to give.
                out.bound_eur = None;
                return out;
            };
            value += v;
            for (k, &(t, s)) in cells.iter().enumerate() {
                g_cpu[[t, s]] += sum.cpu[k];
                g_mem[[t, s]] += sum.mem[k];
                g_busy[[t, s]] += sum.busy[k];
            }
        }
        // The (site, window) subproblems, in parallel.
        let chosen: Vec<(f64, (f64, f64, f64))> = cells
            .par_iter()
            .map(|&(t, s)| {
                let site = &instance.sites[s];
                site_subproblem(
                    site.hosts,
                    site.host_cpu * site.cpu_overcommit,
                    site.host_mem_gib,
                    site.pue * site.idle_w / 1000.0,
                    site.pue * (site.peak_w - site.idle_w) / site.host_cpu / 1000.0,
                    instance.renewable_kw[[t, s]],
                    instance.grid_eur_per_kwh(t, s) * instance.params.window_hours,
                    (prices.cpu[[t, s]], prices.mem[[t, s]], prices.busy[[t, s]]),
                )
            })
            .collect();
        for (&(t, s), (v, (cpu, mem, busy))) in cells.iter().zip(&chosen) {
            value += v;
            g_cpu[[t, s]] -= cpu;
            g_mem[[t, s]] -= mem;
            g_busy[[t, s]] -= busy;
        }
        out.iterations += 1;
        if out.bound_eur.is_none_or(|b| value > b) && value.is_finite() {
            if out
                .bound_eur
                .is_some_and(|b| value - b > 1e-9 * b.abs().max(1.0))
            {
                stalled = 0;
            }
            out.bound_eur = Some(value);
            out.prices = prices.clone();
            progress.bound(value);
        } else {
            stalled += 1;
            if stalled >= 25 {
                theta /= 2.0;
                stalled = 0;
            }
        }
        // Polyak's step toward the target (without one, toward a bound a tenth higher), in a
        // metric scaled per site to one host's capacity, so that cores, GiB and busy cores
        // weigh alike; the direction keeps some of the last one (Camerini, Fratta and
        // Maffioli's deflection), which damps the zig-zag of bang-bang subproblems.
        let scale = |s: usize| {
            let site = &instance.sites[s];
            (
                1.0 / (site.host_cpu * site.cpu_overcommit).powi(2),
                1.0 / site.host_mem_gib.powi(2),
                1.0 / site.host_cpu.powi(2),
            )
        };
        let mut norm2 = 0.0;
        for &(t, s) in &cells {
            let (wc, wm, wb) = scale(s);
            let gc = g_cpu[[t, s]] + 0.5 * d_cpu[[t, s]];
            let gm = g_mem[[t, s]] + 0.5 * d_mem[[t, s]];
            let gb = g_busy[[t, s]] + 0.5 * d_busy[[t, s]];
            d_cpu[[t, s]] = gc;
            d_mem[[t, s]] = gm;
            d_busy[[t, s]] = gb;
            norm2 += wc * gc * gc + wm * gm * gm + wb * gb * gb;
        }
        if norm2 <= 0.0 {
            // The relaxed plan fits the sites' choices exactly: this bound is the optimum of
            // the relaxation.
            break;
        }
        let target = target_eur.unwrap_or(value + 0.1 * value.abs().max(1e-3));
        let step = theta * (target - value).max(1e-12 * value.abs().max(1.0)) / norm2;
        for &(t, s) in &cells {
            let (wc, wm, wb) = scale(s);
            prices.cpu[[t, s]] += step * wc * d_cpu[[t, s]];
            prices.mem[[t, s]] += step * wm * d_mem[[t, s]];
            prices.busy[[t, s]] += step * wb * d_busy[[t, s]];
        }
        if theta < 1e-5 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over n and a grid of loads for the site subproblem.
    #[allow(clippy::too_many_arguments)]
    fn brute(
        hosts: u32,
        cap_cpu: f64,
        cap_mem: f64,
        a: f64,
        b: f64,
        r: f64,
        p: f64,
        l: (f64, f64, f64),
    ) -> f64 {
        let mut best = f64::INFINITY;
        for n in 0..=hosts {
            let c = n as f64 * cap_cpu;
            let m = n as f64 * cap_mem;
            for i in 0..=40 {
                let cpu = c * i as f64 / 40.0;
                for j in 0..=i {
                    let busy = c * j as f64 / 40.0;
                    for mem in [0.0, m] {
                        let grid = (a * n as f64 + b * busy - r).max(0.0);
                        let v = p * grid - l.0 * cpu - l.1 * mem - l.2 * busy;
                        best = best.min(v);
                    }
                }
            }
        }
        best
    }

    #[test]
    fn the_site_subproblem_is_no_worse_than_brute_force() {
        let cases = [
            (5, 4.0, 16.0, 0.1, 0.05, 0.0, 0.1, (0.01, 0.0, 0.02)),
            (5, 4.0, 16.0, 0.1, 0.05, 0.3, 0.1, (0.05, 0.001, 0.03)),
            (7, 8.0, 32.0, 0.2, 0.01, 0.5, -0.05, (0.0, 0.0, 0.0)),
            (7, 8.0, 32.0, 0.2, 0.01, 0.5, -0.05, (-0.01, 0.002, 0.01)),
            (3, 2.0, 8.0, 0.0, 0.1, 0.1, 0.2, (0.03, -0.01, -0.02)),
            (0, 2.0, 8.0, 0.1, 0.1, 0.0, 0.2, (0.03, 0.01, 0.02)),
        ];
        for (h, c, m, a, b, r, p, l) in cases {
            let (got, _) = site_subproblem(h, c, m, a, b, r, p, l);
            let want = brute(h, c, m, a, b, r, p, l);
            // Exact at the vertices; the grid can only find something at least as high.
            assert!(
                got <= want + 1e-9,
                "{got} > brute force {want} for {:?}",
                (h, p, l)
            );
            assert!(
                got >= want - 1e-6 * want.abs().max(1.0) - 0.05,
                "{got} far below {want}"
            );
        }
    }
}
