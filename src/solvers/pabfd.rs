//! Power-aware best fit decreasing (PABFD), after Beloglazov and Buyya (2012) and CloudSim's
//! `power` package, adapted from hosts to sites and priced.

use super::repair::{construct, WindowStart, WindowState};
use super::{CommonSettings, NoKnobs, Outcome};
use crate::domain::instance::{MigrationKind, SiteId, VmId};
use crate::scoring::costs::Costs;
use std::time::Instant;

/// Plans window by window as PABFD allocates VMs to hosts: each window is packed from scratch,
/// the VMs in decreasing order of CPU demand (cpu × util in the window; pinned VMs, which have
/// no choice, first), each placed where its power increase costs least given the VMs placed
/// before it. Here a site is one pool of hosts, so the power increase of a VM at a site is the
/// change of the site's facility power with the fluid active-host count of docs/MODEL.md §2 (a
/// VM that needs one more host pays that host's idle power), and it is weighed as the
/// window-site cost is: grid power beyond the site's renewables, at the site's price with
/// carbon (`Instance::grid_eur_per_kwh`). A VM placed away from its previous site also pays its
/// migration's cost. Ties go to the previous site, then to the lowest site index. Only feasible
/// sites are candidates (capacity, allowed sites and latency, anti-affinity, migration
/// feasibility, max_migrations, link budgets, checked incrementally as repair does); a window
/// where some VM fits nowhere is placed by repair instead, so the plan is feasible whenever the
/// repaired stay plan is.
///
/// Packing from scratch is what sets PABFD apart from `greedy`, which starts each window from
/// the previous placement: a VM placed early cannot see the small VMs that will want to stay
/// at its site later, so PABFD can switch on a host that staying would not need, and may plan
/// worse than staying.
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
        let demand = |v: VmId| instance.vms[v].cpu * instance.util[[v, t]];
        order.sort_by(|&a, &b| {
            movable(a)
                .cmp(&movable(b))
                .then(demand(b).total_cmp(&demand(a)))
                .then(a.cmp(&b))
        });
        order
    };
    let choose = |state: &WindowState, v: VmId, from: SiteId| -> Option<SiteId> {
        (0..num_sites)
            .filter(|&s| state.fits(v, from, s))
            .map(|s| {
                let increase_eur = state.site_cost_eur(s, &[v]) - state.site_cost_eur(s, &[]);
                let eur = increase_eur + state.migration_cost_eur(v, from, s);
                (eur, s != from, s)
            })
            .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)))
            .map(|(_, _, s)| s)
    };
    construct(costs, WindowStart::Empty, order, choose).into_outcome(costs, started)
}
