//! Paths: each VM in turn is taken out of the plan and put back on its cheapest path through
//! the windows, given where all the others are. A path is a VM's site in every window; its
//! cost is what it adds to the window-site costs plus its migrations, and the cheapest one is
//! a shortest path over (window, site) found by dynamic programming, so a single re-routing
//! can move a VM once and keep it there, move it and bring it back later, or leave it.
//!
//! Two prices are used for what a VM adds to a site:
//! - **fluid**: the site's cost with the fluid host count (load in hosts, not rounded up), so a
//!   VM pays its share of hosts wherever it goes, as in the MILP's LP relaxation. Rounds at
//!   this price move the fleet towards the sites that are cheap per core and per GiB over the
//!   horizon, which single moves priced exactly do not see (each would open a host);
//! - **exact**: docs/MODEL.md §2's cost with whole hosts, renewables and carbon, so that a round
//!   never makes the plan worse.
//!
//! Rounds at each price repeat until no VM changes its path; each re-routing lowers the total
//! cost at its price (fluid or exact), so rounds end. The plan stays feasible throughout: a
//! path only uses steps that fit among the other VMs (capacity, allowed sites and latency,
//! anti-affinity, migration feasibility, max_migrations, link budgets; the repair
//! `WindowState` of each window checks them), and the VM's current path is always one of the
//! candidates.

use super::lagrange::Prices as DualPrices;
use super::repair::{repair, repair_order, window_states, WindowState};
use super::{CommonSettings, Outcome, PathsSettings, Status};
use crate::domain::instance::{SiteId, VmId};
use crate::domain::plan::Plan;
use crate::rng::Rng;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use ndarray::Array2;
use rayon::prelude::*;
use std::time::Instant;

/// Most rounds at the fluid price (each re-routes every VM once).
const FLUID_ROUNDS: usize = 30;

/// A path is taken only when it beats the current one by more than this share of the plan's
/// cost (and 1e-12 EUR), so that rounding noise cannot make rounds go on for ever.
const IMPROVEMENT: f64 = 1e-12;

/// The price a round re-routes at.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Price<'p> {
    Fluid,
    Exact,
    /// The decomposition's prices of load ([`super::lagrange`]): a VM pays λ·(cpu, mem, busy)
    /// wherever it goes, which holds its energy and carbon and what the site's capacity is
    /// worth, with the exact migration costs.
    Dual(&'p DualPrices),
}

/// Plans by re-routing VMs on their cheapest paths: from the repaired stay plan, rounds at the
/// fluid price (plus congestion prices), then rounds at the exact price until no VM's path can
/// improve; the better of that and the repaired stay plan (by the evaluator) is returned.
///
/// Congestion prices come first, from 40 subgradient steps of a Lagrangian relaxation: every
/// VM takes its cheapest path alone (fluid price, no renewables, only its own constraints),
/// and the prices of site capacity (EUR per host, per window) and link time (EUR per second,
/// per window and direction) rise where those paths together overfill and fall where they
/// leave room. In the fluid rounds they make a VM that gains little from a scarce site leave it
/// to one that gains more, as the LP's duals would.
///
/// `settings.restarts` restarts run in parallel: restart 0 re-routes the VMs in repair's order
/// (fewest options first, then largest), restart r > 0 in an order shuffled with a stream
/// forked from `settings.seed` and r; the best by (objective, r) wins, so the plan does not
/// depend on the number of threads.
///
/// # Complexity
/// One re-routing costs O(T · S · (S · (L + log A) + 1)) for T windows, S sites, paths of L
/// links and A anti-affinity labels, so a round costs V times that for V VMs; a subgradient
/// step costs V · T · S² · L (in parallel). At most 30 fluid rounds per restart; exact rounds
/// until none improves or the time limit (the clock is read between re-routings).
pub fn solve(
    costs: &Costs,
    settings: &CommonSettings,
    knobs: &PathsSettings,
    started: Instant,
) -> Outcome {
    let instance = costs.instance;
    let Some(start) = repair(costs, &Plan::stay(instance)) else {
        let mut reasons = super::stay(costs, settings, &super::NoKnobs {}, started).reasons;
        reasons.push("repair of the stay plan found no feasible site for some VM".to_string());
        return Outcome {
            plan: None,
            status: Status::Unknown,
            bound_eur: None,
            reasons,
            notes: Vec::new(),
            warnings: Vec::new(),
            objective_eur: None,
        };
    };
    let (plan, notes) = improve(costs, start, settings, knobs, started);
    Outcome {
        plan: Some(plan),
        status: Status::Feasible,
        bound_eur: None,
        reasons: Vec::new(),
        notes,
        warnings: Vec::new(),
        objective_eur: None,
    }
}

/// Re-routes VMs in `plan` (which must be feasible): fluid rounds, then exact rounds. Returns
/// the best plan seen by the evaluator (never worse than `plan`) and notes.
pub fn improve(
    costs: &Costs,
    plan: Plan,
    settings: &CommonSettings,
    knobs: &PathsSettings,
    started: Instant,
) -> (Plan, Vec<String>) {
    let start_eur = evaluate(costs, &plan).objective_eur;
    // The prices get at most a quarter of the time left, so that the re-routing they serve
    // has time to run.
    let price_deadline = settings
        .time_left_s(started)
        .and_then(|left| super::settings::deadline_in(left / 4.0));
    let prices = congestion_prices(costs, PRICE_ITERATIONS, &|| {
        settings.out_of_time(started) || price_deadline.is_some_and(|d| Instant::now() >= d)
    });
    restarts(
        costs,
        plan,
        start_eur,
        &prices,
        Price::Fluid,
        settings,
        knobs,
        started,
    )
}

/// Re-routes VMs in `plan` (which must be feasible) at the decomposition's `dual` prices, then
/// at the exact price, as [`improve`] does at the fluid price (restarts in parallel, the best
/// plan by the evaluator, never worse than `plan`). The fleet planner's Lagrangian heuristic:
/// at prices near the dual optimum, each VM's cheapest path is where the relaxation sends it,
/// and the capacity checks of the rounds make those paths one feasible plan.
pub fn improve_at_prices(
    costs: &Costs,
    plan: Plan,
    dual: &DualPrices,
    settings: &CommonSettings,
    knobs: &PathsSettings,
    started: Instant,
) -> (Plan, Vec<String>) {
    let start_eur = evaluate(costs, &plan).objective_eur;
    let none = Prices::none(costs);
    restarts(
        costs,
        plan,
        start_eur,
        &none,
        Price::Dual(dual),
        settings,
        knobs,
        started,
    )
}

/// `knobs.restarts` runs of [`reroute_rounds`] in parallel from `plan`, each in its own order;
/// the best by (objective, restart) if it is no worse than `start_eur`, else `plan`.
#[allow(clippy::too_many_arguments)]
fn restarts(
    costs: &Costs,
    plan: Plan,
    start_eur: f64,
    prices: &Prices,
    first: Price,
    settings: &CommonSettings,
    knobs: &PathsSettings,
    started: Instant,
) -> (Plan, Vec<String>) {
    let restarts = knobs.restarts.max(1);
    let results: Vec<(Plan, f64, String)> = (0..restarts)
        .into_par_iter()
        .map(|r| {
            let mut order = repair_order(costs);
            if r > 0 {
                let mut rng = Rng::new(settings.seed).fork(r as u64);
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.below(i + 1));
                }
            }
            let (plan, note) = reroute_rounds(
                costs,
                plan.clone(),
                prices,
                first,
                &order,
                settings,
                started,
            );
            let e = evaluate(costs, &plan);
            let objective = if e.is_feasible() {
                e.objective_eur
            } else {
                f64::INFINITY
            };
            (plan, objective, format!("restart {r}: {note}"))
        })
        .collect();
    let mut notes: Vec<String> = results.iter().map(|r| r.2.clone()).collect();
    let best = results
        .into_iter()
        .enumerate()
        .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1).then(a.0.cmp(&b.0)))
        .map(|(_, r)| r);
    match best {
        Some((best, objective, _)) if objective <= start_eur => (best, notes),
        _ => {
            notes.push("kept the start plan".to_string());
            (plan, notes)
        }
    }
}

/// Rounds at `first` (fluid or dual: at most [`FLUID_ROUNDS`]), then exact rounds, re-routing
/// the VMs in `order`; returns the plan and a note.
fn reroute_rounds(
    costs: &Costs,
    plan: Plan,
    prices: &Prices,
    first: Price,
    order: &[VmId],
    settings: &CommonSettings,
    started: Instant,
) -> (Plan, String) {
    let out_of_time = || {
        settings
            .time_left_s(started)
            .is_some_and(|left| left <= 0.0)
    };
    let mut search = PathSearch::new(costs, plan, prices);
    let mut fluid_rounds = 0;
    while fluid_rounds < FLUID_ROUNDS && !out_of_time() {
        fluid_rounds += 1;
        if search.round(order, first, &out_of_time) == 0 {
            break;
        }
    }
    let mut exact_rounds = 0;
    while !out_of_time() {
        exact_rounds += 1;
        if search.round(order, Price::Exact, &out_of_time) == 0 {
            break;
        }
    }
    (
        search.plan,
        format!(
            "{fluid_rounds} {} and {exact_rounds} exact rounds",
            if matches!(first, Price::Dual(_)) {
                "dual-price"
            } else {
                "fluid"
            }
        ),
    )
}

/// Subgradient iterations of [`congestion_prices`].
const PRICE_ITERATIONS: usize = 40;

/// Congestion prices: what the fluid price adds where capacity or link time is scarce, as a
/// Lagrangian relaxation's multipliers would.
struct Prices {
    /// EUR per host of load, `[[window, site]]`.
    host: Array2<f64>,
    /// EUR per second of migration, `[[window, directed link]]`.
    link: Array2<f64>,
}

impl Prices {
    fn none(costs: &Costs) -> Prices {
        let instance = costs.instance;
        Prices {
            host: Array2::zeros((instance.num_windows(), instance.num_sites())),
            link: Array2::zeros((instance.num_windows(), 2 * instance.links.len())),
        }
    }

    /// What moving VM `v` from `a` to `b` in window `t` pays in link prices.
    fn migration_eur(&self, costs: &Costs, v: VmId, a: SiteId, b: SiteId, t: usize) -> f64 {
        if a == b {
            return 0.0;
        }
        match (costs.migration(v, a, b), costs.migration_path(v, a, b)) {
            (Some(e), Some(path)) => path
                .links
                .iter()
                .map(|&l| self.link[[t, l]] * e.total_s)
                .sum(),
            _ => 0.0,
        }
    }
}

/// VM `v`'s share of hosts at site `s`: the larger of its CPU and memory shares.
fn host_share(costs: &Costs, v: VmId, s: SiteId) -> f64 {
    let vm = &costs.instance.vms[v];
    costs.fluid_hosts(s, vm.cpu, vm.mem_gib)
}

/// The cheapest path over (window, site) from `initial` (the site before window 0) through
/// `allowed` sites: `step(t, a, b)` is the cost of being at `a` in window t − 1 and at `b` in
/// window t (`None` where that is not possible), `at(t, b)` the cost of being at `b` in window
/// t. Ties go to staying, then to the lowest site; among ends, to `prefer_end`, then to the
/// lowest site. Returns the path and its cost, or `None` when there is none.
///
/// `min_move_in`, where given, holds for each site b a lower bound on every step into b from
/// another site (`step(t, a, b)` for a ≠ b, in every window); moves into b are then tried from
/// the sites before in order of their cost so far, and no further once that cost plus the
/// bound cannot beat the best way in, which skips most of the S² steps where moves cost more
/// than sites differ. Among equally cheap ways in, the first tried wins.
///
/// # Complexity
/// O(T · S²) calls of `step` and O(T · S) of `at` for T windows and S allowed sites.
#[allow(clippy::too_many_arguments)]
pub(super) fn cheapest_path(
    windows: usize,
    initial: SiteId,
    allowed: &[SiteId],
    prefer_end: Option<SiteId>,
    min_move_in: Option<&[f64]>,
    max_moves: Option<u32>,
    step: impl Fn(usize, SiteId, SiteId) -> Option<f64>,
    at: impl Fn(usize, SiteId) -> f64,
) -> Option<(Vec<SiteId>, f64)> {
    if let Some(limit) = max_moves.filter(|&k| (k as usize) < windows) {
        return cheapest_path_within(windows, initial, allowed, prefer_end, limit, step, at);
    }
    let num_sites = allowed.iter().max().map_or(0, |&s| s + 1).max(initial + 1);
    let mut dist = vec![f64::INFINITY; num_sites];
    let mut came = vec![vec![usize::MAX; num_sites]; windows];
    let mut by_dist: Vec<SiteId> = Vec::with_capacity(allowed.len());
    for (t, came_t) in came.iter_mut().enumerate() {
        let mut next = vec![f64::INFINITY; num_sites];
        if min_move_in.is_some() {
            by_dist.clear();
            by_dist.extend(allowed.iter().copied().filter(|&a| dist[a].is_finite()));
            by_dist.sort_by(|&a, &b| dist[a].total_cmp(&dist[b]).then(a.cmp(&b)));
        }
        for &b in allowed {
            // (cost so far, site before) of the cheapest way into b.
            let mut best = (f64::INFINITY, usize::MAX);
            let consider = |best: &mut (f64, SiteId), a: SiteId, before: f64| {
                if before < best.0 {
                    if let Some(cost) = step(t, a, b) {
                        if before + cost < best.0 {
                            *best = (before + cost, a);
                        }
                    }
                }
            };
            if t == 0 {
                consider(&mut best, initial, 0.0);
            } else {
                // Staying first, so that ties go to it.
                consider(&mut best, b, dist[b]);
                match min_move_in {
                    None => {
                        for &a in allowed {
                            if a != b && dist[a].is_finite() {
                                consider(&mut best, a, dist[a]);
                            }
                        }
                    }
                    // Sites before in order of their cost so far, until no move from one can
                    // beat the best way in.
                    Some(m) => {
                        for &a in &by_dist {
                            if dist[a] + m[b] >= best.0 {
                                break;
                            }
                            if a != b {
                                consider(&mut best, a, dist[a]);
                            }
                        }
                    }
                }
            }
            if best.0.is_finite() {
                came_t[b] = best.1;
                next[b] = best.0 + at(t, b);
            }
        }
        dist = next;
    }
    let mut ends: Vec<SiteId> = prefer_end.into_iter().collect();
    ends.extend(allowed.iter().copied());
    let mut end = *ends
        .iter()
        .find(|&&b| dist.get(b).is_some_and(|d| d.is_finite()))?;
    for &b in &ends {
        if dist[b] < dist[end] {
            end = b;
        }
    }
    let mut path = vec![end; windows];
    for t in (1..windows).rev() {
        path[t - 1] = came[t][path[t]];
    }
    Some((path, dist[end]))
}

/// [`cheapest_path`] with at most `limit` moves (params.toml's `max_migrations_per_vm`): the
/// DP runs over (window, site, moves so far), so each layer is the shortest path among the
/// paths that made that many moves. Ties go to staying, then to the lowest site before, then
/// to fewer moves; among ends to `prefer_end`, then to the lowest site.
///
/// # Complexity
/// O(T · S² · (K + 1)) calls of `step` for K = `limit`.
fn cheapest_path_within(
    windows: usize,
    initial: SiteId,
    allowed: &[SiteId],
    prefer_end: Option<SiteId>,
    limit: u32,
    step: impl Fn(usize, SiteId, SiteId) -> Option<f64>,
    at: impl Fn(usize, SiteId) -> f64,
) -> Option<(Vec<SiteId>, f64)> {
    let num_sites = allowed.iter().max().map_or(0, |&s| s + 1).max(initial + 1);
    let layers = limit as usize + 1;
    let cell = |k: usize, s: SiteId| k * num_sites + s;
    let mut dist = vec![f64::INFINITY; layers * num_sites];
    // came[t][cell(k, b)]: the cell of window t − 1 the cheapest way into (k, b) came from.
    let mut came = vec![vec![usize::MAX; layers * num_sites]; windows];
    for (t, came_t) in came.iter_mut().enumerate() {
        let mut next = vec![f64::INFINITY; layers * num_sites];
        for &b in allowed {
            let here = at(t, b);
            for k in 0..layers {
                let mut best = (f64::INFINITY, usize::MAX);
                let mut consider = |a: SiteId, from_cell: usize, before: f64| {
                    if before.is_finite() && before < best.0 {
                        if let Some(cost) = step(t, a, b) {
                            if before + cost < best.0 {
                                best = (before + cost, from_cell);
                            }
                        }
                    }
                };
                if t == 0 {
                    // From the site before window 0: staying uses no move, moving one.
                    if (b == initial && k == 0) || (b != initial && k == 1) {
                        consider(initial, usize::MAX - 1, 0.0);
                    }
                } else {
                    consider(b, cell(k, b), dist[cell(k, b)]);
                    if k > 0 {
                        for &a in allowed {
                            if a != b {
                                consider(a, cell(k - 1, a), dist[cell(k - 1, a)]);
                            }
                        }
                    }
                }
                if best.0.is_finite() {
                    came_t[cell(k, b)] = best.1;
                    next[cell(k, b)] = best.0 + here;
                }
            }
        }
        dist = next;
    }
    let mut ends: Vec<SiteId> = prefer_end.into_iter().collect();
    ends.extend(allowed.iter().copied());
    let mut end: Option<usize> = None;
    for &b in &ends {
        for k in 0..layers {
            let c = cell(k, b);
            if dist[c].is_finite() && end.is_none_or(|e| dist[c] < dist[e]) {
                end = Some(c);
            }
        }
    }
    let end = end?;
    let mut path = vec![0; windows];
    let mut c = end;
    for t in (0..windows).rev() {
        path[t] = c % num_sites;
        c = came[t][c];
    }
    Some((path, dist[end]))
}

/// VM `v`'s cheapest path on its own at the fluid price plus `prices`, over allowed sites and
/// feasible migrations (the constraints between VMs are what the prices stand for).
fn priced_path(costs: &Costs, prices: &Prices, v: VmId) -> Option<Vec<SiteId>> {
    let instance = costs.instance;
    let allowed: Vec<SiteId> = (0..instance.num_sites())
        .filter(|&s| costs.is_allowed(v, s))
        .collect();
    let step = |t: usize, a: SiteId, b: SiteId| {
        if a == b {
            return Some(0.0);
        }
        let e = costs.migration(v, a, b).filter(|e| e.is_feasible())?;
        Some(
            costs.migration_cost(v, a, b, t, e).total_eur()
                + prices.migration_eur(costs, v, a, b, t),
        )
    };
    let at = |t: usize, b: SiteId| {
        costs.fluid_vm_eur(v, b, t) + prices.host[[t, b]] * host_share(costs, v, b)
    };
    cheapest_path(
        instance.num_windows(),
        instance.vms[v].initial_site,
        &allowed,
        None,
        None,
        instance.params.max_migrations_per_vm,
        step,
        at,
    )
    .map(|(path, _)| path)
}

/// Congestion prices by subgradient steps on the capacity and link-time constraints: every VM
/// takes its cheapest priced path on its own (in parallel), prices rise where the paths
/// together overfill a site or a link and fall where they leave room. Deterministic: the paths
/// are independent, so the threads only share the work.
/// `out_of_time` is read before every VM's path: a step that the clock cuts short is dropped,
/// and the prices of the last whole step are kept.
fn congestion_prices(
    costs: &Costs,
    iterations: usize,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Prices {
    let instance = costs.instance;
    let windows = instance.num_windows();
    let num_sites = instance.num_sites();
    let num_links = 2 * instance.links.len();
    let mut prices = Prices::none(costs);
    if windows == 0 {
        return prices;
    }
    let params = &instance.params;
    let budget_s = params.concurrency as f64 * params.window_s();
    // Scales: a host's idle cost in each window, and a typical migration cost per second.
    let host_eur = Array2::from_shape_fn((windows, num_sites), |(t, s)| {
        let site = &instance.sites[s];
        (site.pue * site.idle_w / 1000.0 * params.window_hours * instance.grid_eur_per_kwh(t, s))
            .abs()
    });
    let mean_host_eur = host_eur.mean().unwrap_or(0.0).max(1e-12);
    for k in 0..iterations {
        if out_of_time() {
            break;
        }
        let paths: Vec<Option<Vec<SiteId>>> = (0..instance.num_vms())
            .into_par_iter()
            .map(|v| {
                if out_of_time() {
                    None
                } else {
                    priced_path(costs, &prices, v)
                }
            })
            .collect();
        if out_of_time() {
            break;
        }
        let mut cpu = Array2::<f64>::zeros((windows, num_sites));
        let mut mem = Array2::<f64>::zeros((windows, num_sites));
        let mut link_s = Array2::<f64>::zeros((windows, num_links));
        for (v, path) in paths.iter().enumerate() {
            let Some(path) = path else { continue };
            let vm = &instance.vms[v];
            for t in 0..windows {
                cpu[[t, path[t]]] += vm.cpu;
                mem[[t, path[t]]] += vm.mem_gib;
                let from = if t == 0 { vm.initial_site } else { path[t - 1] };
                if from != path[t] {
                    if let (Some(e), Some(p)) = (
                        costs.migration(v, from, path[t]),
                        costs.migration_path(v, from, path[t]),
                    ) {
                        for &l in &p.links {
                            link_s[[t, l]] += e.total_s;
                        }
                    }
                }
            }
        }
        let step = 1.0 / (1.0 + k as f64).sqrt();
        for t in 0..windows {
            for s in 0..num_sites {
                let site = &instance.sites[s];
                let need = costs.fluid_hosts(s, cpu[[t, s]], mem[[t, s]]);
                let excess = (need - site.hosts as f64) / (site.hosts as f64).max(1.0);
                let p = &mut prices.host[[t, s]];
                *p = (*p + step * mean_host_eur * excess).max(0.0);
            }
            for l in 0..num_links {
                let excess = (link_s[[t, l]] - budget_s) / budget_s;
                let p = &mut prices.link[[t, l]];
                // A second of migration is priced against an hour of a host.
                *p = (*p + step * mean_host_eur / 3600.0 * excess).max(0.0);
            }
        }
    }
    prices
}

/// A feasible plan with one [`WindowState`] per window holding all its VMs.
struct PathSearch<'c, 'a> {
    costs: &'c Costs<'a>,
    plan: Plan,
    states: Vec<WindowState<'c, 'a>>,
    /// Congestion prices added at the fluid price.
    prices: &'c Prices,
}

impl<'c, 'a> PathSearch<'c, 'a> {
    fn new(costs: &'c Costs<'a>, plan: Plan, prices: &'c Prices) -> Self {
        let states = window_states(costs, &plan);
        PathSearch {
            costs,
            plan,
            states,
            prices,
        }
    }

    /// Re-routes every VM of `order` once; returns how many changed their path.
    fn round(&mut self, order: &[VmId], price: Price, out_of_time: &dyn Fn() -> bool) -> usize {
        let mut changed = 0;
        for &v in order {
            if out_of_time() {
                break;
            }
            changed += self.reroute(v, price) as usize;
        }
        changed
    }

    /// Takes VM `v` out and puts it back on its cheapest path at `price`; returns whether the
    /// path changed (only for a strictly cheaper one).
    fn reroute(&mut self, v: VmId, price: Price) -> bool {
        let costs = self.costs;
        let instance = costs.instance;
        let windows = instance.num_windows();
        let num_sites = instance.num_sites();
        let initial = instance.vms[v].initial_site;
        let current: Vec<SiteId> = (0..windows).map(|t| self.plan.site[[v, t]]).collect();
        let allowed: Vec<SiteId> = (0..num_sites).filter(|&s| costs.is_allowed(v, s)).collect();
        if windows == 0
            || (allowed.len() <= 1 && current.iter().all(|&s| allowed.first() == Some(&s)))
        {
            return false;
        }
        for t in 0..windows {
            let from = if t == 0 { initial } else { current[t - 1] };
            self.states[t].remove(v, from, current[t]);
        }
        // What the VM adds to site s in window t, at the price.
        let prices = self.prices;
        let adds = |state: &WindowState, s: SiteId| match price {
            Price::Fluid => {
                state.fluid_site_cost_eur(s, &[v]) - state.fluid_site_cost_eur(s, &[])
                    + prices.host[[state.window(), s]] * host_share(costs, v, s)
            }
            Price::Exact => state.site_cost_eur(s, &[v]) - state.site_cost_eur(s, &[]),
            Price::Dual(dual) => {
                let (t, vm) = (state.window(), &instance.vms[v]);
                dual.cpu[[t, s]] * vm.cpu
                    + dual.mem[[t, s]] * vm.mem_gib
                    + dual.busy[[t, s]] * vm.cpu * instance.util[[v, t]]
            }
        };
        let moves = |state: &WindowState, a: SiteId, b: SiteId| match price {
            Price::Fluid => {
                state.migration_cost_eur(v, a, b)
                    + prices.migration_eur(costs, v, a, b, state.window())
            }
            Price::Exact | Price::Dual(_) => state.migration_cost_eur(v, a, b),
        };
        // The current path's cost at this price.
        let mut current_eur = 0.0;
        for t in 0..windows {
            let from = if t == 0 { initial } else { current[t - 1] };
            let state = &self.states[t];
            current_eur += adds(state, current[t]) + moves(state, from, current[t]);
        }
        let states = &self.states;
        let step = |t: usize, a: SiteId, b: SiteId| {
            let state = &states[t];
            state.fits(v, a, b).then(|| moves(state, a, b))
        };
        let at = |t: usize, b: SiteId| adds(&states[t], b);
        let found = cheapest_path(
            windows,
            initial,
            &allowed,
            Some(current[windows - 1]),
            None,
            instance.params.max_migrations_per_vm,
            step,
            at,
        );
        let threshold = IMPROVEMENT * current_eur.abs().max(1.0);
        let (path, better) = match found {
            Some((path, eur)) if eur < current_eur - threshold => (path, true),
            _ => (current, false),
        };
        for (t, &site) in path.iter().enumerate() {
            let from = if t == 0 { initial } else { path[t - 1] };
            self.states[t].place(v, from, site);
            self.plan.site[[v, t]] = site;
        }
        better
    }
}
