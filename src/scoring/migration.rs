//! The copy-round model of one migration (docs/MODEL.md §1).
//!
//! A live pre-copy sends the used memory, then in each further round what the guest dirtied
//! during the previous one (at most its writable working set), until what is left can be sent
//! within the downtime limit. Block migration first copies the disk while the guest keeps
//! writing to it, then pre-copies memory at the bandwidth left over.

use crate::domain::instance::{le_tol, MigrationKind, MigrationProfile, Params};
use serde::Serialize;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// One copy round (or `count` identical rounds in a row): what each sends and how long that
/// takes at the memory-phase rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyRound {
    /// Bytes sent in the round.
    pub bytes: f64,
    /// Time it takes, s.
    pub seconds: f64,
    /// How many identical rounds in a row this stands for (1 but where pre-copy has stopped
    /// shrinking and repeats itself until `max_rounds`).
    pub count: u32,
}

/// Rounds computed one by one before a pre-copy that no longer shrinks is fast-forwarded.
const EXACT_ROUNDS: u32 = 10_000;

/// Why a migration cannot be made at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Infeasibility {
    /// The VM is pinned.
    Pinned,
    /// The two sites are not connected (only `respawn` needs no path).
    NoPath,
    /// Block migration: the guest writes to disk at least as fast as the path carries.
    DiskWritesOutpaceLink,
    /// Pre-copy did not get within the downtime limit in `max_rounds` rounds.
    NotConverged,
    /// The migration takes longer than a window.
    LongerThanWindow,
}

impl Infeasibility {
    /// A sentence saying why.
    pub fn describe(self) -> &'static str {
        match self {
            Infeasibility::Pinned => "the VM is pinned",
            Infeasibility::NoPath => "no path between the sites",
            Infeasibility::DiskWritesOutpaceLink => {
                "disk writes are at least as fast as the path's share (block migration)"
            }
            Infeasibility::NotConverged => "pre-copy does not converge within max_rounds",
            Infeasibility::LongerThanWindow => "the migration takes longer than a window",
        }
    }
}

/// What one migration costs in time, bytes and energy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationEstimate {
    /// How it moves.
    pub kind: MigrationKind,
    /// Per-migration rate b, bytes/s (path bottleneck × link_efficiency / sharing); 0 for respawn.
    pub rate_bytes_s: f64,
    /// Time spent copying the disk (block migration), s.
    pub disk_s: f64,
    /// Live memory copy rounds (pre-copy and block), before the stop-and-copy.
    pub rounds: Vec<CopyRound>,
    /// What is left for the stop-and-copy, bytes.
    pub final_bytes: f64,
    /// Setup to activation, s.
    pub total_s: f64,
    /// Time the guest is paused, s.
    pub downtime_s: f64,
    /// Bytes sent over the path.
    pub sent_bytes: f64,
    /// Whether pre-copy got within the downtime limit (always true for other kinds).
    pub converged: bool,
    /// Migration energy, J (shared equally by the two sites).
    pub energy_j: f64,
    /// Why it cannot be made, if it cannot.
    pub infeasible: Option<Infeasibility>,
}

impl MigrationEstimate {
    /// Live copy rounds, counting repeated ones.
    pub fn num_rounds(&self) -> u32 {
        self.rounds.iter().map(|r| r.count).sum()
    }

    /// Whether it can be made.
    pub fn is_feasible(&self) -> bool {
        self.infeasible.is_none()
    }

    /// Energy in kWh.
    pub fn energy_kwh(&self) -> f64 {
        self.energy_j / 3.6e6
    }
}

/// Per-migration rate b in bytes/s for a path of `bottleneck_gbps` shared by `sharing` migrations.
pub fn rate_bytes_s(bottleneck_gbps: f64, link_efficiency: f64, sharing: f64) -> f64 {
    bottleneck_gbps * 1e9 / 8.0 * link_efficiency / sharing
}

/// Result of the pre-copy memory phase at rate `c`.
struct MemoryPhase {
    rounds: Vec<CopyRound>,
    live_s: f64,
    final_bytes: f64,
    sent_bytes: f64,
    converged: bool,
}

fn precopy_memory_phase(profile: &MigrationProfile, c: f64, params: &Params) -> MemoryPhase {
    let wss = profile.wss_gib * GIB;
    let dirty = profile.dirty_mib_s * MIB;
    let stop_bytes = c * params.max_downtime_ms / 1000.0;
    let mut remaining = profile.mem_used_gib * GIB;
    let mut rounds: Vec<CopyRound> = Vec::new();
    let mut done: u32 = 0;
    let mut live_s = 0.0;
    let mut sent_bytes = 0.0;
    while !le_tol(remaining, stop_bytes) && done < params.max_rounds {
        let seconds = remaining / c;
        let next = wss.min(dirty * seconds);
        if next >= remaining && (next == remaining || done >= EXACT_ROUNDS) {
            // Pre-copy no longer shrinks: it will not converge, and every round left is (at
            // least at this precision) this one again. Memory and time must not grow with
            // max_rounds, so the rest is counted, not listed.
            let left = params.max_rounds - done;
            live_s += seconds * f64::from(left);
            sent_bytes += remaining * f64::from(left);
            rounds.push(CopyRound {
                bytes: remaining,
                seconds,
                count: left,
            });
            break;
        }
        live_s += seconds;
        sent_bytes += remaining;
        done += 1;
        rounds.push(CopyRound {
            bytes: remaining,
            seconds,
            count: 1,
        });
        remaining = next;
    }
    MemoryPhase {
        rounds,
        live_s,
        final_bytes: remaining,
        sent_bytes: sent_bytes + remaining,
        converged: le_tol(remaining, stop_bytes),
    }
}

/// An estimate of `kind` at `rate` that has sent nothing yet: no time, no bytes, no energy,
/// converged and feasible until the model says otherwise.
fn blank(kind: MigrationKind, rate: f64) -> MigrationEstimate {
    MigrationEstimate {
        kind,
        rate_bytes_s: rate,
        disk_s: 0.0,
        rounds: Vec::new(),
        final_bytes: 0.0,
        total_s: 0.0,
        downtime_s: 0.0,
        sent_bytes: 0.0,
        converged: true,
        energy_j: 0.0,
        infeasible: None,
    }
}

/// A migration between sites that no path connects: no time, no bytes, no energy, and the
/// reason. Its figures stay finite (zero), so that a placement that asks for it gets a finite,
/// infeasible cost from the evaluator; estimating it at a rate of 0 would give infinite times
/// and a NaN cost.
pub fn no_path(kind: MigrationKind) -> MigrationEstimate {
    MigrationEstimate {
        converged: false,
        infeasible: Some(Infeasibility::NoPath),
        ..blank(kind, 0.0)
    }
}

/// Costs one migration of `profile` at per-migration rate `rate` (bytes/s; ignored by respawn).
/// The window limit is checked too: a migration longer than a window is infeasible.
///
/// ```
/// use wattshift::domain::instance::{MigrationKind, MigrationProfile, Params};
/// use wattshift::scoring::migration::{estimate, rate_bytes_s};
///
/// // 8 GiB in use, 1 GiB working set dirtied at 100 MiB/s, over 10 Gbit/s.
/// let profile = MigrationProfile {
///     kind: MigrationKind::Precopy,
///     mem_used_gib: 8.0,
///     wss_gib: 1.0,
///     disk_gib: 0.0,
///     dirty_mib_s: 100.0,
///     disk_write_mib_s: 0.0,
///     boot_s: 60.0,
/// };
/// let params = Params::default();
/// let e = estimate(&profile, rate_bytes_s(10.0, params.link_efficiency, 1.0), &params);
/// assert!(e.converged && e.num_rounds() >= 2);
/// assert!(e.downtime_s <= 0.3 + params.resume_s);
/// ```
pub fn estimate(profile: &MigrationProfile, rate: f64, params: &Params) -> MigrationEstimate {
    let setup = params.setup_s;
    let resume = params.resume_s;
    let mut out = blank(profile.kind, rate);
    let mem = profile.mem_used_gib * GIB;
    let disk = profile.disk_gib * GIB;
    match profile.kind {
        MigrationKind::Pinned => {
            out.infeasible = Some(Infeasibility::Pinned);
            return out;
        }
        MigrationKind::Precopy => {
            let phase = precopy_memory_phase(profile, rate, params);
            out.total_s = setup + phase.live_s + phase.final_bytes / rate + resume;
            out.downtime_s = phase.final_bytes / rate + resume;
            out.sent_bytes = phase.sent_bytes;
            out.converged = phase.converged;
            out.final_bytes = phase.final_bytes;
            out.rounds = phase.rounds;
        }
        MigrationKind::Block => {
            let c = rate - profile.disk_write_mib_s * MIB;
            if c <= 0.0 {
                // The disk copy never ends: the figures are those of a copy that fills the
                // window and more, with the guest never paused. They stay finite, so that a
                // placement that asks for this migration still gets a finite (and infeasible)
                // cost from the evaluator.
                out.infeasible = Some(Infeasibility::DiskWritesOutpaceLink);
                out.converged = false;
                out.disk_s = params.window_s();
                out.total_s = setup + params.window_s();
                out.downtime_s = 0.0;
                out.sent_bytes = rate * params.window_s();
                out.energy_j =
                    params.energy_j_per_mb * out.sent_bytes / 1e6 + params.energy_j_fixed;
                return out;
            }
            let phase = precopy_memory_phase(profile, c, params);
            out.disk_s = disk / c;
            out.total_s = setup + out.disk_s + phase.live_s + phase.final_bytes / c + resume;
            out.downtime_s = phase.final_bytes / c + resume;
            out.sent_bytes = disk * rate / c + phase.sent_bytes;
            out.converged = phase.converged;
            out.final_bytes = phase.final_bytes;
            out.rounds = phase.rounds;
        }
        MigrationKind::Postcopy => {
            out.total_s = setup + mem / rate + resume;
            out.downtime_s = resume;
            out.sent_bytes = mem;
        }
        MigrationKind::Offline => {
            out.total_s = setup + (mem + disk) / rate + resume;
            out.downtime_s = out.total_s;
            out.sent_bytes = mem + disk;
        }
        MigrationKind::Respawn => {
            out.rate_bytes_s = 0.0;
            out.total_s = profile.boot_s;
        }
    }
    out.energy_j = params.energy_j_per_mb * out.sent_bytes / 1e6 + params.energy_j_fixed;
    if !out.converged {
        out.infeasible = Some(Infeasibility::NotConverged);
    } else if !le_tol(out.total_s, params.window_s()) {
        out.infeasible = Some(Infeasibility::LongerThanWindow);
    }
    out
}

/// A batch of identical migrations over one path, in waves of at most `concurrency`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchEstimate {
    /// Sum of the waves' durations, s.
    pub total_s: f64,
    /// The waves in order; identical waves in a row are one entry with its `repeats`.
    pub waves: Vec<Wave>,
}

/// `repeats` waves in a row of `migrations` migrations each, sharing the path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wave {
    /// Migrations sharing the path in each of these waves.
    pub migrations: u32,
    /// How many such waves in a row.
    pub repeats: u32,
    /// One migration of the wave.
    pub estimate: MigrationEstimate,
}

/// Migrates `count` identical VMs over a path of `bottleneck_gbps` in waves of at most
/// `params.concurrency`; the m migrations of a wave share the path equally, each at
/// bandwidth × efficiency / m, and the batch's makespan is the sum of its waves. Identical
/// waves are computed once, so time and memory do not grow with `count`.
pub fn estimate_batch(
    profile: &MigrationProfile,
    bottleneck_gbps: f64,
    count: u32,
    params: &Params,
) -> BatchEstimate {
    let concurrency = params.concurrency.max(1);
    let full = count / concurrency;
    let last = count % concurrency;
    let mut waves = Vec::new();
    let mut total_s = 0.0;
    for (migrations, repeats) in [(concurrency, full), (last, 1)] {
        if migrations == 0 || repeats == 0 {
            continue;
        }
        let rate = rate_bytes_s(bottleneck_gbps, params.link_efficiency, migrations as f64);
        let estimate = estimate(profile, rate, params);
        total_s += estimate.total_s * f64::from(repeats);
        waves.push(Wave {
            migrations,
            repeats,
            estimate,
        });
    }
    BatchEstimate { total_s, waves }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(kind: MigrationKind) -> MigrationProfile {
        MigrationProfile {
            kind,
            mem_used_gib: 2.0,
            wss_gib: 0.5,
            disk_gib: 10.0,
            dirty_mib_s: 10.0,
            disk_write_mib_s: 1.0,
            boot_s: 40.0,
        }
    }

    #[test]
    fn postcopy_offline_respawn_follow_the_table() {
        let params = Params::default();
        let rate = 100e6;
        let p = estimate(&profile(MigrationKind::Postcopy), rate, &params);
        assert_eq!(p.total_s, 3.0 + 2.0 * GIB / rate + 0.05);
        assert_eq!(p.downtime_s, 0.05);
        assert_eq!(p.sent_bytes, 2.0 * GIB);
        let o = estimate(&profile(MigrationKind::Offline), rate, &params);
        assert_eq!(o.total_s, 3.0 + 12.0 * GIB / rate + 0.05);
        assert_eq!(o.downtime_s, o.total_s);
        let r = estimate(&profile(MigrationKind::Respawn), rate, &params);
        assert_eq!((r.total_s, r.downtime_s, r.sent_bytes), (40.0, 0.0, 0.0));
        assert_eq!(r.energy_j, params.energy_j_fixed);
        assert_eq!(
            estimate(&profile(MigrationKind::Pinned), rate, &params).infeasible,
            Some(Infeasibility::Pinned)
        );
    }

    #[test]
    fn precopy_rounds_shrink_to_the_working_set_and_converge() {
        let params = Params::default();
        let rate = 100e6;
        let e = estimate(&profile(MigrationKind::Precopy), rate, &params);
        assert!(e.converged);
        assert_eq!(e.rounds[0].bytes, 2.0 * GIB);
        // The second round sends what was dirtied during the first, capped by the working set.
        let dirtied = (10.0 * MIB * e.rounds[0].seconds).min(0.5 * GIB);
        assert_eq!(e.rounds[1].bytes, dirtied);
        assert!(e.final_bytes <= rate * 0.3);
        let sum: f64 = e.rounds.iter().map(|r| r.bytes).sum::<f64>() + e.final_bytes;
        assert_eq!(e.sent_bytes, sum);
    }

    #[test]
    fn precopy_fails_when_dirtying_outruns_the_link() {
        let params = Params::default();
        let mut p = profile(MigrationKind::Precopy);
        p.dirty_mib_s = 200.0;
        let e = estimate(&p, 100e6, &params);
        assert!(!e.converged);
        assert_eq!(e.num_rounds(), params.max_rounds);
        assert_eq!(e.infeasible, Some(Infeasibility::NotConverged));
    }

    #[test]
    fn block_needs_more_bandwidth_than_disk_writes() {
        let params = Params::default();
        let mut p = profile(MigrationKind::Block);
        p.disk_write_mib_s = 200.0;
        let e = estimate(&p, 100e6, &params);
        assert_eq!(e.infeasible, Some(Infeasibility::DiskWritesOutpaceLink));
        let ok = estimate(&profile(MigrationKind::Block), 100e6, &params);
        let c = 100e6 - MIB;
        assert_eq!(ok.disk_s, 10.0 * GIB / c);
        assert!(ok.sent_bytes > 12.0 * GIB);
    }

    #[test]
    fn a_migration_longer_than_the_window_is_infeasible() {
        let params = Params {
            window_hours: 0.001,
            ..Params::default()
        };
        let e = estimate(&profile(MigrationKind::Offline), 100e6, &params);
        assert_eq!(e.infeasible, Some(Infeasibility::LongerThanWindow));
    }

    #[test]
    fn batches_run_in_waves_that_share_the_path() {
        let params = Params {
            concurrency: 3,
            ..Params::default()
        };
        let b = estimate_batch(&profile(MigrationKind::Postcopy), 1.0, 10, &params);
        let sizes: Vec<(u32, u32)> = b.waves.iter().map(|w| (w.migrations, w.repeats)).collect();
        assert_eq!(sizes, vec![(3, 3), (1, 1)]);
        let sum: f64 = b
            .waves
            .iter()
            .map(|w| w.estimate.total_s * f64::from(w.repeats))
            .sum();
        assert_eq!(b.total_s, sum);
        assert!(b.waves[0].estimate.total_s > b.waves[1].estimate.total_s);
    }
}
