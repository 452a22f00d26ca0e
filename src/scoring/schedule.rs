//! The migration schedule inside each window: when each migration starts, so that no link
//! direction carries more than `concurrency` migrations at once.

use crate::scoring::evaluate::Migration;
use crate::scoring::network::DirectedLink;
use std::collections::BTreeMap;

/// When a migration starts, as an offset from the start of its window, and whether it ends late.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// Start within the window, s.
    pub start_s: f64,
    /// start_s + duration_s exceeds the window.
    pub late: bool,
}

/// Schedules each window's migrations on their links: longest first, each at the earliest time
/// when every link direction of its path has fewer than `concurrency` migrations running.
/// Migrations occupy `[start_s, start_s + duration_s)`; respawn uses no link and starts at 0.
/// Returns one slot per migration, in the order given. Each window stands on its own.
///
/// # Complexity
/// O(Σ_t M_t² · L) for M_t migrations in window t and paths of L links.
pub fn schedule(migrations: &[Migration], concurrency: u32, window_s: f64) -> Vec<Slot> {
    let mut slots = vec![
        Slot {
            start_s: 0.0,
            late: false
        };
        migrations.len()
    ];
    let mut by_window: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, m) in migrations.iter().enumerate() {
        by_window.entry(m.window).or_default().push(i);
    }
    for indices in by_window.values() {
        let mut order = indices.clone();
        order.sort_by(|&a, &b| {
            migrations[b]
                .duration_s
                .total_cmp(&migrations[a].duration_s)
                .then(migrations[a].vm.cmp(&migrations[b].vm))
        });
        // Intervals already placed on each link direction.
        let mut busy: BTreeMap<DirectedLink, Vec<(f64, f64)>> = BTreeMap::new();
        for i in order {
            let m = &migrations[i];
            let start = earliest_start(&busy, &m.links, m.duration_s, concurrency);
            for &link in &m.links {
                busy.entry(link)
                    .or_default()
                    .push((start, start + m.duration_s));
            }
            slots[i] = Slot {
                start_s: start,
                late: start + m.duration_s > window_s,
            };
        }
    }
    slots
}

/// Number of intervals on `intervals` running at instant `x`.
fn running_at(intervals: &[(f64, f64)], x: f64) -> usize {
    intervals.iter().filter(|&&(s, e)| s <= x && x < e).count()
}

/// Whether `[start, start + duration)` fits on every link with fewer than `concurrency` others.
fn fits(
    busy: &BTreeMap<DirectedLink, Vec<(f64, f64)>>,
    links: &[DirectedLink],
    start: f64,
    duration: f64,
    concurrency: u32,
) -> bool {
    let end = start + duration;
    links.iter().all(|link| {
        let Some(intervals) = busy.get(link) else {
            return true;
        };
        // The count inside the new interval peaks at its start or at another's start.
        std::iter::once(start)
            .chain(
                intervals
                    .iter()
                    .map(|&(s, _)| s)
                    .filter(|&s| s > start && s < end),
            )
            .all(|x| running_at(intervals, x) < concurrency as usize)
    })
}

fn earliest_start(
    busy: &BTreeMap<DirectedLink, Vec<(f64, f64)>>,
    links: &[DirectedLink],
    duration: f64,
    concurrency: u32,
) -> f64 {
    let mut candidates: Vec<f64> = vec![0.0];
    for link in links {
        if let Some(intervals) = busy.get(link) {
            candidates.extend(intervals.iter().map(|&(_, e)| e));
        }
    }
    candidates.sort_by(|a, b| a.total_cmp(b));
    candidates.dedup();
    candidates
        .into_iter()
        .find(|&c| fits(busy, links, c, duration, concurrency))
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::instance::MigrationKind;

    fn migration(vm: usize, duration_s: f64, links: Vec<DirectedLink>) -> Migration {
        Migration {
            window: 0,
            vm,
            from: 0,
            to: 1,
            kind: MigrationKind::Precopy,
            duration_s,
            downtime_s: 0.0,
            sent_bytes: 0.0,
            rounds: 1,
            converged: true,
            energy_kwh: 0.0,
            penalty_eur: 0.0,
            downtime_eur: 0.0,
            transfer_eur: 0.0,
            energy_eur: 0.0,
            cost_eur: 0.0,
            links,
        }
    }

    #[test]
    fn no_link_carries_more_than_concurrency() {
        let ms = vec![
            migration(0, 100.0, vec![0]),
            migration(1, 60.0, vec![0, 2]),
            migration(2, 50.0, vec![2]),
            migration(3, 40.0, vec![0]),
            migration(4, 10.0, vec![]),
        ];
        let slots = schedule(&ms, 2, 3600.0);
        for link in [0, 2] {
            for probe in 0..200 {
                let x = probe as f64;
                let running = ms
                    .iter()
                    .zip(&slots)
                    .filter(|(m, s)| {
                        m.links.contains(&link) && s.start_s <= x && x < s.start_s + m.duration_s
                    })
                    .count();
                assert!(running <= 2, "link {link} at {x}: {running}");
            }
        }
        // Two fit at once on link 0; the third waits for the shorter of the first two.
        assert_eq!(slots[0].start_s, 0.0);
        assert_eq!(slots[1].start_s, 0.0);
        assert_eq!(slots[3].start_s, 60.0);
        assert_eq!(slots[2].start_s, 0.0);
        assert_eq!(slots[4].start_s, 0.0);
        assert!(slots.iter().all(|s| !s.late));
    }

    #[test]
    fn a_migration_that_cannot_finish_in_time_is_late() {
        let ms = vec![migration(0, 80.0, vec![1]), migration(1, 80.0, vec![1])];
        let slots = schedule(&ms, 1, 100.0);
        assert_eq!(slots[1].start_s, 80.0);
        assert!(slots[1].late);
    }
}
