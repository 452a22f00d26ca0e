//! What an instance's starting placement and its anti-affinity groups say before any plan:
//! the rules the starting placement breaks (so that `validate` warns and `plan` says why there
//! is no stay baseline), and the groups no plan can spread (more VMs than the sites they may
//! share).

use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::{evaluate, Violation};

/// A rule the starting placement breaks: what the evaluator says of the stay plan in window 0,
/// where every VM is at its initial site (the stay plan repeats it in every later window).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StartBreak {
    /// The rule: `capacity`, `allowed_sites`, `latency` or `anti_affinity`.
    pub rule: &'static str,
    /// The VMs concerned, by id (none for a site over its capacity).
    pub vms: Vec<String>,
    /// The site.
    pub site: String,
    /// The evaluator's sentence.
    pub message: String,
}

/// The rules the starting placement breaks, in the evaluator's order.
///
/// # Complexity
/// One evaluation of the stay plan: O(T · (V + S)).
pub fn starting_placement_breaks(costs: &Costs) -> Vec<StartBreak> {
    let instance = costs.instance;
    let evaluation = evaluate(costs, &Plan::stay(instance));
    let named = evaluation.named_violations(costs);
    let vm = |v: usize| instance.vms[v].id.clone();
    let site = |s: usize| instance.sites[s].id.clone();
    evaluation
        .violations
        .iter()
        .zip(named)
        .filter_map(|(violation, message)| {
            let (rule, vms, at) = match violation {
                Violation::Capacity {
                    window: 0, site, ..
                } => ("capacity", Vec::new(), *site),
                Violation::NotAllowed {
                    window: 0,
                    vm: v,
                    site,
                } => ("allowed_sites", vec![vm(*v)], *site),
                Violation::Latency {
                    window: 0,
                    vm: v,
                    site,
                    ..
                } => ("latency", vec![vm(*v)], *site),
                Violation::AntiAffinity {
                    window: 0,
                    site,
                    vms,
                    ..
                } => ("anti_affinity", vms.iter().map(|&v| vm(v)).collect(), *site),
                _ => return None,
            };
            Some(StartBreak {
                rule,
                vms,
                site: site(at),
                message: format!("the starting placement breaks a rule: {message}"),
            })
        })
        .collect()
}

/// Anti-affinity groups that no plan can spread: more VMs than there are sites to give each
/// its own among the sites each may use (a maximum matching of the group's VMs to sites is
/// smaller than the group). Each is named with its size and the sites its VMs may use.
///
/// # Complexity
/// O(G · S · E) per group of G VMs over S sites and E allowed (VM, site) pairs (augmenting
/// paths).
pub fn unspreadable_groups(costs: &Costs) -> Vec<String> {
    let instance = costs.instance;
    let sites = instance.num_sites();
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (v, vm) in instance.vms.iter().enumerate() {
        if let Some(label) = &vm.anti_affinity {
            groups.entry(label.as_str()).or_default().push(v);
        }
    }
    let mut out = Vec::new();
    for (label, members) in groups {
        // Kuhn's augmenting paths: site_of[s] is the member matched to site s.
        let mut site_of: Vec<Option<usize>> = vec![None; sites];
        fn augment(
            costs: &Costs,
            members: &[usize],
            k: usize,
            seen: &mut [bool],
            site_of: &mut [Option<usize>],
        ) -> bool {
            for s in 0..site_of.len() {
                if seen[s] || !costs.is_allowed(members[k], s) {
                    continue;
                }
                seen[s] = true;
                if site_of[s].is_none_or(|other| augment(costs, members, other, seen, site_of)) {
                    site_of[s] = Some(k);
                    return true;
                }
            }
            false
        }
        let matched = (0..members.len())
            .filter(|&k| augment(costs, &members, k, &mut vec![false; sites], &mut site_of))
            .count();
        if matched < members.len() {
            let usable: Vec<&str> = (0..sites)
                .filter(|&s| members.iter().any(|&v| costs.is_allowed(v, s)))
                .map(|s| instance.sites[s].id.as_str())
                .collect();
            out.push(format!(
                "anti-affinity group {label:?} has {} VMs but they can be spread over at most {} \
                 sites ({}): no plan keeps them apart, so the instance is infeasible",
                members.len(),
                matched,
                if usable.is_empty() {
                    "none".to_string()
                } else {
                    usable.join(", ")
                }
            ));
        }
    }
    out
}
