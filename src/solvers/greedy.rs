//! Greedy: window by window, the most power-hungry VMs first, each to the site where it costs
//! least this window given where all the others are, moving only when the window's saving pays
//! for the migration.

use super::repair::{construct, WindowStart, WindowState};
use super::{CommonSettings, NoKnobs, Outcome};
use crate::domain::instance::{MigrationKind, SiteId, VmId};
use crate::scoring::costs::Costs;
use std::time::Instant;

/// Plans window by window. Each window starts with every VM where it was in the previous one;
/// then the VMs come pinned first (they have no choice), then in decreasing order of power
/// (cpu × util in the window, then memory, then row order), and each is taken out and put
/// back at the feasible site where its marginal energy cost plus migration cost is least. The
/// marginal energy cost of a VM at a site is what it adds to the site's window cost with all
/// the other VMs where they are: its busy power, a host switched on if it needs one (the fluid
/// host count of docs/MODEL.md §2), all with PUE, beyond the renewable power still unused there,
/// at the grid price with carbon. A VM leaves its previous site only when the window's saving
/// exceeds the migration's cost (ties stay; among moves, the lowest site index wins).
/// Feasibility is checked incrementally as repair does (capacity, allowed sites and latency,
/// anti-affinity, migration feasibility, max_migrations, link budgets). A window where some
/// VM fits nowhere is placed by repair instead, so the plan is feasible whenever the repaired
/// stay plan is.
///
/// Each choice looks at one VM and one window: a move whose migration costs more than one
/// window saves is never made, even if it would pay over several windows, nor are moves that
/// pay only together (emptying a host takes several); `local` finds those.
///
/// # Complexity
/// O(T · V · (log V + S · (L + log A))) for T windows, V VMs, S sites, paths of L links and
/// A anti-affinity labels; a stuck window adds repair's O(V · (log V + S · L)).
pub fn solve(
    costs: &Costs,
    _common: &CommonSettings,
    _knobs: &NoKnobs,
    started: Instant,
) -> Outcome {
    let instance = costs.instance;
    let num_sites = instance.num_sites();
    let order = |t: usize| -> Vec<VmId> {
        let mut order: Vec<VmId> = (0..instance.num_vms()).collect();
        let movable = |v: VmId| instance.vms[v].profile.kind != MigrationKind::Pinned;
        let power = |v: VmId| instance.vms[v].cpu * instance.util[[v, t]];
        order.sort_by(|&a, &b| {
            movable(a)
                .cmp(&movable(b))
                .then(power(b).total_cmp(&power(a)))
                .then(instance.vms[b].mem_gib.total_cmp(&instance.vms[a].mem_gib))
                .then(a.cmp(&b))
        });
        order
    };
    // What the VM adds to the site's window cost, the others being where they are.
    let marginal = |state: &WindowState, v: VmId, s: SiteId| {
        state.site_cost_eur(s, &[v]) - state.site_cost_eur(s, &[])
    };
    let choose = |state: &WindowState, v: VmId, from: SiteId| -> Option<SiteId> {
        let stay_eur = state.fits(v, from, from).then(|| marginal(state, v, from));
        let best_move = (0..num_sites)
            .filter(|&s| s != from && state.fits(v, from, s))
            .map(|s| {
                let eur = marginal(state, v, s) + state.migration_cost_eur(v, from, s);
                (eur, s)
            })
            .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        match (stay_eur, best_move) {
            // Saving (stay − move energy) must exceed the migration's cost.
            (Some(stay_eur), Some((move_eur, s))) if move_eur < stay_eur => Some(s),
            (Some(_), _) => Some(from),
            (None, best_move) => best_move.map(|(_, s)| s),
        }
    };
    construct(costs, WindowStart::Previous, order, choose).into_outcome(costs, started)
}
