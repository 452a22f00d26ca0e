//! From sites to compute nodes: packs each window's VMs onto the nodes of their site, so that an
//! operator has a node for every VM, and measures where whole-node packing needs more nodes
//! than the plan's fluid host count (docs/MODEL.md §2 counts hosts as the larger of the CPU and
//! memory loads divided by one host's capacity, rounded up; real VMs do not split across nodes).
//!
//! # Packing
//! Window by window, site by site: first each VM that was on a node of this site in the window
//! before stays on it if it still fits (largest VMs first); then the others go first-fit
//! decreasing (largest first by their larger share of a node's CPU and memory), trying the
//! nodes already in use before empty ones, each list in NODES.csv order. A VM that stays at its
//! site therefore keeps its node, at the price of more nodes than a fresh packing might use.
//! Only where keeping nodes would leave a VM with none that a fresh packing places is the site
//! packed afresh: first-fit decreasing around the pinned VMs, which never change node. With
//! `repack`, a site is packed afresh wherever that needs fewer nodes, and VMs change nodes
//! within their site, moves the plan does not cost (the exports carry the default packing's
//! node changes as rebalances). A node holds its cores times the site's `cpu_overcommit` and
//! its memory. Same input, same packing.

use crate::domain::instance::{Instance, SiteId, VmId};
use crate::domain::plan::Plan;
use crate::scoring::evaluate::Evaluation;
use std::collections::BTreeMap;

/// One compute node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its site.
    pub site: SiteId,
    /// Its name (the Nova compute host name).
    pub name: String,
    /// Cores.
    pub cpu: f64,
    /// Memory, GiB.
    pub mem_gib: f64,
}

/// The nodes sites.csv describes: `hosts` identical nodes per site, named `SITE-001`, ….
pub fn nodes_of_sites(instance: &Instance) -> Vec<Node> {
    instance
        .sites
        .iter()
        .enumerate()
        .flat_map(|(s, site)| {
            (1..=site.hosts).map(move |i| Node {
                site: s,
                name: format!("{}-{i:03}", site.id),
                cpu: site.host_cpu,
                mem_gib: site.host_mem_gib,
            })
        })
        .collect()
}

/// One site in one window: nodes the packing uses against the plan's active hosts.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteWindowPacking {
    /// The window.
    pub window: usize,
    /// The site.
    pub site: SiteId,
    /// Nodes holding at least one VM.
    pub nodes_used: usize,
    /// The plan's fluid active hosts there.
    pub active_hosts: f64,
    /// VMs that fit on no node of the site.
    pub unplaced: Vec<VmId>,
}

/// A packing of a plan onto nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Packing {
    /// Each VM's node before window 0, at its initial site.
    pub initial: Vec<Option<usize>>,
    /// `node[v][t]`: the index in the node list of VM v's node in window t, `None` if it fits
    /// on none.
    pub node: Vec<Vec<Option<usize>>>,
    /// Per window and site (window-major), the packing against the plan's hosts.
    pub site_windows: Vec<SiteWindowPacking>,
    /// VMs that change node within a site from one window to the next (moves the site-level
    /// plan does not see).
    pub node_changes: usize,
}

impl Packing {
    /// Site-windows where the packing needs more nodes than the plan's active hosts, with how
    /// many more.
    pub fn excess(&self) -> Vec<(&SiteWindowPacking, usize)> {
        self.site_windows
            .iter()
            .filter_map(|p| {
                let more = p.nodes_used as f64 - p.active_hosts;
                (more > 0.5).then_some((p, more.round() as usize))
            })
            .collect()
    }
}

/// Packs `plan` onto `nodes` (see the module's description). `evaluation` is the plan's, for
/// its active hosts. The initial placement (every VM at its initial site) is packed first, as
/// where the VMs stand before window 0.
pub fn pack(
    instance: &Instance,
    plan: &Plan,
    evaluation: &Evaluation,
    nodes: &[Node],
    repack: bool,
) -> Packing {
    let sites = instance.num_sites();
    let windows = instance.num_windows();
    let vms = instance.num_vms();
    let by_site: Vec<Vec<usize>> = (0..sites)
        .map(|s| (0..nodes.len()).filter(|&n| nodes[n].site == s).collect())
        .collect();
    let initial_sites: Vec<SiteId> = instance.vms.iter().map(|vm| vm.initial_site).collect();
    let (initial, _) = pack_window(instance, nodes, &by_site, &initial_sites, None, false);
    let mut node: Vec<Vec<Option<usize>>> = vec![vec![None; windows]; vms];
    let mut site_windows = Vec::with_capacity(windows * sites);
    let mut node_changes = 0;
    let mut previous_sites = initial_sites.clone();
    let mut previous_nodes = initial.clone();
    for t in 0..windows {
        let here: Vec<SiteId> = (0..vms).map(|v| plan.site[[v, t]]).collect();
        let (placed, per_site) = pack_window(
            instance,
            nodes,
            &by_site,
            &here,
            Some((&previous_sites, &previous_nodes)),
            repack,
        );
        for (v, row) in node.iter_mut().enumerate() {
            if previous_sites[v] == here[v]
                && previous_nodes[v].is_some()
                && placed[v].is_some()
                && previous_nodes[v] != placed[v]
            {
                node_changes += 1;
            }
            row[t] = placed[v];
        }
        for (s, (nodes_used, unplaced)) in per_site.into_iter().enumerate() {
            site_windows.push(SiteWindowPacking {
                window: t,
                site: s,
                nodes_used,
                active_hosts: evaluation
                    .site_windows
                    .get(t * sites + s)
                    .map_or(0.0, |c| c.active_hosts),
                unplaced,
            });
        }
        previous_sites = here;
        previous_nodes = placed;
    }
    Packing {
        initial,
        node,
        site_windows,
        node_changes,
    }
}

/// One window's packing: each VM's node, and per site the nodes used and the VMs that fit
/// nowhere. `previous` is the window before (sites and nodes): at each site, VMs keep their
/// nodes (unless that leaves VMs without a node that a fresh packing places), and with `repack`
/// only where packing the site afresh needs no fewer nodes (and places no more VMs).
#[allow(clippy::type_complexity)]
fn pack_window(
    instance: &Instance,
    nodes: &[Node],
    by_site: &[Vec<usize>],
    site_of: &[SiteId],
    previous: Option<(&[SiteId], &[Option<usize>])>,
    repack: bool,
) -> (Vec<Option<usize>>, Vec<(usize, Vec<VmId>)>) {
    let mut placed = vec![None; site_of.len()];
    let mut per_site = Vec::with_capacity(by_site.len());
    for (s, site_nodes) in by_site.iter().enumerate() {
        let here: Vec<VmId> = (0..site_of.len()).filter(|&v| site_of[v] == s).collect();
        // A fresh packing still keeps pinned VMs where they are: they never move.
        let fresh = || pack_site(instance, nodes, site_nodes, s, &here, previous, true);
        let chosen = match previous {
            Some(previous) => {
                let sticky =
                    pack_site(instance, nodes, site_nodes, s, &here, Some(previous), false);
                if !repack && sticky.unplaced.is_empty() {
                    // Every VM kept its node or found one: nothing a fresh packing could beat.
                    sticky
                } else {
                    let fresh = fresh();
                    let key = |p: &SitePack| (p.unplaced.len(), p.nodes_used);
                    // Keeping nodes never leaves a VM without one that a fresh packing places.
                    let keep = if repack {
                        key(&sticky) <= key(&fresh)
                    } else {
                        sticky.unplaced.len() <= fresh.unplaced.len()
                    };
                    if keep {
                        sticky
                    } else {
                        fresh
                    }
                }
            }
            None => fresh(),
        };
        for (&v, &n) in here.iter().zip(&chosen.node) {
            placed[v] = n;
        }
        per_site.push((chosen.nodes_used, chosen.unplaced));
    }
    (placed, per_site)
}

/// One site's packing in one window: the node of each VM in `here` (in its order), the nodes
/// used and the VMs that fit nowhere.
struct SitePack {
    node: Vec<Option<usize>>,
    nodes_used: usize,
    unplaced: Vec<VmId>,
}

/// Packs the VMs `here` onto `site_nodes`: those that stay at the site keep their node from
/// `previous` where it fits (when given; only the pinned ones with `pinned_only`), the rest go
/// first-fit decreasing, nodes in use first.
fn pack_site(
    instance: &Instance,
    nodes: &[Node],
    site_nodes: &[usize],
    s: SiteId,
    here: &[VmId],
    previous: Option<(&[SiteId], &[Option<usize>])>,
    pinned_only: bool,
) -> SitePack {
    let overcommit = instance.sites[s].cpu_overcommit;
    let mut cpu_left: BTreeMap<usize, f64> = site_nodes
        .iter()
        .map(|&n| (n, nodes[n].cpu * overcommit))
        .collect();
    let mut mem_left: BTreeMap<usize, f64> =
        site_nodes.iter().map(|&n| (n, nodes[n].mem_gib)).collect();
    let mut used: BTreeMap<usize, bool> = site_nodes.iter().map(|&n| (n, false)).collect();
    let (cap_cpu, cap_mem) = site_nodes.iter().fold((0.0f64, 0.0f64), |(c, m), &n| {
        (c.max(nodes[n].cpu * overcommit), m.max(nodes[n].mem_gib))
    });
    let size = |v: VmId| {
        let vm = &instance.vms[v];
        (vm.cpu / cap_cpu.max(1e-12)).max(vm.mem_gib / cap_mem.max(1e-12))
    };
    let mut order: Vec<usize> = (0..here.len()).collect();
    order.sort_by(|&a, &b| {
        size(here[b])
            .total_cmp(&size(here[a]))
            .then(here[a].cmp(&here[b]))
    });
    let mut node = vec![None; here.len()];
    let fits =
        |n: usize, v: VmId, cpu_left: &BTreeMap<usize, f64>, mem_left: &BTreeMap<usize, f64>| {
            let vm = &instance.vms[v];
            vm.cpu <= cpu_left[&n] + 1e-9 && vm.mem_gib <= mem_left[&n] + 1e-9
        };
    let mut rest = Vec::new();
    for &i in &order {
        let v = here[i];
        let keep = previous
            .filter(|_| {
                !pinned_only
                    || instance.vms[v].profile.kind
                        == crate::domain::instance::MigrationKind::Pinned
            })
            .filter(|(sites, _)| sites[v] == s)
            .and_then(|(_, nodes)| nodes[v])
            .filter(|n| cpu_left.contains_key(n));
        match keep {
            Some(n) if fits(n, v, &cpu_left, &mem_left) => {
                *cpu_left.entry(n).or_default() -= instance.vms[v].cpu;
                *mem_left.entry(n).or_default() -= instance.vms[v].mem_gib;
                used.insert(n, true);
                node[i] = Some(n);
            }
            _ => rest.push(i),
        }
    }
    let mut unplaced = Vec::new();
    for i in rest {
        let v = here[i];
        let choice = site_nodes
            .iter()
            .copied()
            .filter(|n| used[n])
            .chain(site_nodes.iter().copied().filter(|n| !used[n]))
            .find(|&n| fits(n, v, &cpu_left, &mem_left));
        match choice {
            Some(n) => {
                *cpu_left.entry(n).or_default() -= instance.vms[v].cpu;
                *mem_left.entry(n).or_default() -= instance.vms[v].mem_gib;
                used.insert(n, true);
                node[i] = Some(n);
            }
            None => unplaced.push(v),
        }
    }
    unplaced.sort_unstable();
    SitePack {
        node,
        nodes_used: used.values().filter(|&&u| u).count(),
        unplaced,
    }
}
