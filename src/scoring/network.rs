//! The site network: which path a migration takes, and how far each site is from a VM's users.
//!
//! A migration takes the widest path (largest bottleneck bandwidth), ties broken by least latency,
//! then fewest hops, then the smallest sequence of site row positions from source to destination
//! (docs/FORMAT.md §1). Latency limits use the least-latency path, whatever its width.

use crate::domain::instance::{le_tol, tolerance, Instance, SiteId};
use petgraph::algo::dijkstra;
use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::visit::EdgeRef;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One direction of one link: `2 × link index` for the direction written in links.csv
/// (`from` → `to`), `2 × link index + 1` for the reverse.
pub type DirectedLink = usize;

/// A migration path between two sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Sites from source to destination, both included.
    pub sites: Vec<SiteId>,
    /// Link directions crossed, in order.
    pub links: Vec<DirectedLink>,
    /// Smallest line rate along the path, 10^9 bit/s.
    pub bottleneck_gbps: f64,
    /// Sum of the links' latencies, ms.
    pub latency_ms: f64,
    /// Sum of the links' transfer costs, EUR per 10^9 bytes.
    pub eur_per_gb: f64,
}

/// All-pairs migration paths and least latencies, computed once per instance.
#[derive(Debug, Clone)]
pub struct Network {
    num_sites: usize,
    /// `paths[a * S + b]`: the migration path from a to b (`None` when a == b or unreachable).
    paths: Vec<Option<Path>>,
    /// `latency_ms[a * S + b]`: least latency from a to b (`Some(0)` when a == b).
    latency_ms: Vec<Option<f64>>,
}

/// The graph: sites as nodes, links as undirected edges weighted by their row in links.csv.
fn build_graph(instance: &Instance) -> UnGraph<SiteId, usize> {
    let mut graph = UnGraph::with_capacity(instance.num_sites(), instance.links.len());
    for s in 0..instance.num_sites() {
        graph.add_node(s);
    }
    for (i, link) in instance.links.iter().enumerate() {
        graph.add_edge(NodeIndex::new(link.from), NodeIndex::new(link.to), i);
    }
    graph
}

/// A label in the tie-breaking search: a path to a node, compared by (latency, hops, sequence).
#[derive(Debug, Clone)]
struct Label {
    latency_ms: f64,
    sites: Vec<SiteId>,
    links: Vec<DirectedLink>,
}

impl Label {
    /// Order of preference: least latency (ties within the tolerance of docs/MODEL.md §3), fewest hops,
    /// then the smallest sequence of site positions.
    fn preference(&self, other: &Label) -> Ordering {
        let bound = self.latency_ms.min(other.latency_ms);
        if (self.latency_ms - other.latency_ms).abs() > tolerance(bound) {
            return self.latency_ms.total_cmp(&other.latency_ms);
        }
        self.sites
            .len()
            .cmp(&other.sites.len())
            .then_with(|| self.sites.cmp(&other.sites))
    }
}

struct HeapEntry(Label);

impl PartialEq for HeapEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapEntry {}
impl PartialOrd for HeapEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapEntry {
    // BinaryHeap is a max-heap: reverse so that the preferred label pops first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.preference(&self.0)
    }
}

impl Network {
    /// Computes every pair's migration path and least latency.
    ///
    /// # Complexity
    /// O(S · W · (S + E) log S) for S sites, E links and W distinct bottleneck widths from a
    /// source (at most the number of distinct link bandwidths): one tie-breaking Dijkstra per
    /// source and width, over the links at least that wide, settles the preferred path to every
    /// destination whose bottleneck it is. The labels a search settles do not depend on where it
    /// stops, so this gives exactly the paths of one search per pair.
    pub fn new(instance: &Instance) -> Network {
        let num_sites = instance.num_sites();
        let graph = build_graph(instance);
        let mut paths = vec![None; num_sites * num_sites];
        let mut latency_ms = vec![None; num_sites * num_sites];
        for a in 0..num_sites {
            let distances = dijkstra(&graph, NodeIndex::new(a), None, |edge| {
                instance.links[*edge.weight()].latency_ms
            });
            for (node, distance) in distances {
                latency_ms[a * num_sites + node.index()] = Some(distance);
            }
            let widest = widest_bottlenecks(instance, &graph, a);
            let mut widths: Vec<f64> = widest.iter().flatten().copied().collect();
            widths.sort_by(f64::total_cmp);
            widths.dedup_by(|x, y| x.to_bits() == y.to_bits());
            for width in widths {
                let mut found = preferred_paths(instance, &graph, a, width);
                for b in 0..num_sites {
                    if b != a && widest[b].is_some_and(|w| w.to_bits() == width.to_bits()) {
                        paths[a * num_sites + b] = found[b].take();
                    }
                }
            }
        }
        Network {
            num_sites,
            paths,
            latency_ms,
        }
    }

    /// The migration path from `a` to `b`; `None` when they are the same site or not connected.
    pub fn path(&self, a: SiteId, b: SiteId) -> Option<&Path> {
        self.paths[a * self.num_sites + b].as_ref()
    }

    /// Least latency from `a` to `b`, ms; `None` when there is no path.
    pub fn latency_ms(&self, a: SiteId, b: SiteId) -> Option<f64> {
        self.latency_ms[a * self.num_sites + b]
    }

    /// Whether a VM anchored at `anchor` with limit `max_latency_ms` may run at `site`.
    pub fn within_latency(&self, anchor: SiteId, site: SiteId, max_latency_ms: f64) -> bool {
        match self.latency_ms(anchor, site) {
            Some(latency) => le_tol(latency, max_latency_ms),
            None => false,
        }
    }
}

/// Largest bottleneck bandwidth from `source` to every site (maximin Dijkstra).
fn widest_bottlenecks(
    instance: &Instance,
    graph: &UnGraph<SiteId, usize>,
    source: SiteId,
) -> Vec<Option<f64>> {
    let mut best: Vec<Option<f64>> = vec![None; graph.node_count()];
    let mut done = vec![false; graph.node_count()];
    best[source] = Some(f64::INFINITY);
    loop {
        // Sites are few (tens), so a linear scan beats a heap here and keeps the code obvious.
        let next = (0..best.len())
            .filter(|&s| !done[s] && best[s].is_some())
            .max_by(|&x, &y| best[x].unwrap_or(0.0).total_cmp(&best[y].unwrap_or(0.0)));
        let Some(u) = next else { break };
        done[u] = true;
        let width_u = best[u].unwrap_or(0.0);
        for edge in graph.edges(NodeIndex::new(u)) {
            let other = if edge.source().index() == u {
                edge.target()
            } else {
                edge.source()
            };
            let width = width_u.min(instance.links[*edge.weight()].bandwidth_gbps);
            let v = other.index();
            if !done[v] && best[v].is_none_or(|w| width > w) {
                best[v] = Some(width);
            }
        }
    }
    best[source] = None;
    best
}

/// Among paths from `a` using only links at least `bottleneck` wide, the preferred one to every
/// site (`None` for `a` itself and for sites those links do not reach).
fn preferred_paths(
    instance: &Instance,
    graph: &UnGraph<SiteId, usize>,
    a: SiteId,
    bottleneck: f64,
) -> Vec<Option<Path>> {
    let mut found: Vec<Option<Path>> = vec![None; graph.node_count()];
    let mut settled = vec![false; graph.node_count()];
    let mut best: Vec<Option<Label>> = vec![None; graph.node_count()];
    let start = Label {
        latency_ms: 0.0,
        sites: vec![a],
        links: Vec::new(),
    };
    best[a] = Some(start.clone());
    let mut heap = BinaryHeap::new();
    heap.push(HeapEntry(start));
    while let Some(HeapEntry(label)) = heap.pop() {
        let Some(&u) = label.sites.last() else {
            continue;
        };
        if settled[u] {
            continue;
        }
        settled[u] = true;
        if u != a {
            let mut eur_per_gb = 0.0;
            let mut bottleneck_gbps = f64::INFINITY;
            for &directed in &label.links {
                let link = &instance.links[directed / 2];
                eur_per_gb += link.eur_per_gb;
                bottleneck_gbps = bottleneck_gbps.min(link.bandwidth_gbps);
            }
            found[u] = Some(Path {
                sites: label.sites.clone(),
                links: label.links.clone(),
                bottleneck_gbps,
                latency_ms: label.latency_ms,
                eur_per_gb,
            });
        }
        for edge in graph.edges(NodeIndex::new(u)) {
            let link_index = *edge.weight();
            let link = &instance.links[link_index];
            if link.bandwidth_gbps < bottleneck {
                continue;
            }
            let (v, directed) = if link.from == u {
                (link.to, 2 * link_index)
            } else {
                (link.from, 2 * link_index + 1)
            };
            if settled[v] {
                continue;
            }
            let mut sites = label.sites.clone();
            sites.push(v);
            let mut links = label.links.clone();
            links.push(directed);
            let candidate = Label {
                latency_ms: label.latency_ms + link.latency_ms,
                sites,
                links,
            };
            let better = match &best[v] {
                None => true,
                Some(current) => candidate.preference(current) == Ordering::Less,
            };
            if better {
                best[v] = Some(candidate.clone());
                heap.push(HeapEntry(candidate));
            }
        }
    }
    found
}
