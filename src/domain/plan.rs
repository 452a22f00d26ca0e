//! A plan: each VM's site in each window. Solvers produce it; the evaluator costs it.

use crate::domain::instance::{Instance, SiteId};
use ndarray::Array2;

/// Site of every VM in every window, `site[[vm, window]]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Plan {
    /// `site[[v, t]]`: VM v's site in window t.
    pub site: Array2<SiteId>,
}

impl Plan {
    /// The baseline: every VM stays at its initial site in every window.
    pub fn stay(instance: &Instance) -> Plan {
        let windows = instance.num_windows();
        Plan {
            site: Array2::from_shape_fn((instance.num_vms(), windows), |(v, _)| {
                instance.vms[v].initial_site
            }),
        }
    }

    /// Site of VM `v` before window `t` (its initial site for t = 0).
    pub fn previous_site(&self, instance: &Instance, v: usize, t: usize) -> SiteId {
        if t == 0 {
            instance.vms[v].initial_site
        } else {
            self.site[[v, t - 1]]
        }
    }

    /// How many times VM `v` changes site over the horizon, the move into window 0 included.
    pub fn migrations_of(&self, instance: &Instance, v: usize) -> u32 {
        self.migrations_in(instance, v, 0, instance.num_windows())
    }

    /// How many times VM `v` changes site into the windows `first..end`.
    pub fn migrations_in(&self, instance: &Instance, v: usize, first: usize, end: usize) -> u32 {
        (first..end.min(instance.num_windows()))
            .filter(|&t| self.site[[v, t]] != self.previous_site(instance, v, t))
            .count() as u32
    }
}
