//! One rule for extreme but valid numbers: every derived quantity (rates, bytes, seconds,
//! power, EUR) must be finite, and the input cell that makes one non-finite is bad input.
//!
//! The reader has checked each cell on its own; this pass checks what the model makes of them,
//! with each quantity's largest value over any plan, so that nothing non-finite can reach a
//! solver, an output file, a summary or the terminal whatever the plan:
//! - per site: capacity per host and in all, its most IT and facility power (every VM of the
//!   fleet at the site), the site's most cost and emissions in each window, and the sum of those
//!   over the whole instance;
//! - per link: its rate in bytes/s, latency and transfer price summed over all links;
//! - per VM: its bytes, rates, the fleet's total load, and its migration at every link rate of
//!   the instance (each path's bottleneck is one of them): time, downtime, bytes, energy and
//!   each part of its cost, and over all windows;
//! - params.toml: the window length in seconds and the link budgets.
//!
//! Errors name the cell (file, line, column) and the value, and say which quantity it makes
//! non-finite.

use crate::domain::instance::Instance;
use crate::error::InputError;
use crate::scoring::migration::{estimate, rate_bytes_s};
use ndarray::Array2;
use std::collections::BTreeMap;

/// Where each row of an instance came from, for errors found after reading.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Line of each site in sites.csv.
    pub site_lines: Vec<u64>,
    /// Line of each VM in vms.csv.
    pub vm_lines: Vec<u64>,
    /// Line of each link in links.csv.
    pub link_lines: Vec<u64>,
    /// Line of each (window, site) row in windows.csv.
    pub window_lines: Array2<u64>,
    /// Line of each key given in params.toml.
    pub param_lines: BTreeMap<String, u64>,
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// The error for a cell whose value makes `what` non-finite.
fn overflow(file: &str, line: u64, column: &str, value: f64, what: &str) -> InputError {
    InputError::at(
        file,
        line,
        column,
        format!(
            "the value {} makes {what} overflow to a non-finite number; expected a value \
             small enough for every quantity derived from it to be finite",
            show(value)
        ),
    )
}

/// A number as a person reads it: plain where it is short, in exponent form where it is huge
/// or tiny.
pub fn show(value: f64) -> String {
    if value != 0.0 && (value.abs() >= 1e9 || value.abs() < 1e-6) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

fn param_error(sources: &Sources, key: &str, value: f64, what: &str) -> InputError {
    match sources.param_lines.get(key) {
        Some(&line) => overflow("params.toml", line, key, value, what),
        None => InputError::file(
            "params.toml",
            format!("the default of {key} makes {what} overflow to a non-finite number"),
        ),
    }
}

/// Checks that every derived quantity of `instance` is finite (see the module docs).
pub fn check_magnitudes(instance: &Instance, sources: &Sources) -> Result<(), InputError> {
    let params = &instance.params;
    let window_s = params.window_s();
    if !window_s.is_finite() || !(params.concurrency as f64 * window_s).is_finite() {
        return Err(param_error(
            sources,
            "window_hours",
            params.window_hours,
            "the window length in seconds",
        ));
    }
    let site_line = |s: usize| sources.site_lines.get(s).copied().unwrap_or(0);
    let vm_line = |v: usize| sources.vm_lines.get(v).copied().unwrap_or(0);
    let link_line = |l: usize| sources.link_lines.get(l).copied().unwrap_or(0);

    // The fleet's total load: the most any one site can carry in any plan.
    let mut fleet_cpu = 0.0f64;
    let mut fleet_mem = 0.0f64;
    // The VM with the most cores, to blame where the fleet's load makes a site's power
    // overflow though the site's own figures are fine.
    let mut largest_cpu: Option<usize> = None;
    for (v, vm) in instance.vms.iter().enumerate() {
        if largest_cpu.is_none_or(|l| vm.cpu > instance.vms[l].cpu) {
            largest_cpu = Some(v);
        }
        fleet_cpu += vm.cpu;
        if !fleet_cpu.is_finite() {
            return Err(overflow(
                "vms.csv",
                vm_line(v),
                "cpu",
                vm.cpu,
                "the fleet's total CPU",
            ));
        }
        fleet_mem += vm.mem_gib;
        if !(fleet_mem * GIB).is_finite() {
            return Err(overflow(
                "vms.csv",
                vm_line(v),
                "mem_gib",
                vm.mem_gib,
                "the fleet's total memory in bytes",
            ));
        }
    }

    // Sites: capacity and the most power and cost a window can see.
    let mut facility_max_kw = Vec::with_capacity(instance.num_sites());
    for (s, site) in instance.sites.iter().enumerate() {
        let line = site_line(s);
        let cap_cpu = site.host_cpu * site.cpu_overcommit;
        if !(cap_cpu * site.hosts as f64).is_finite() {
            let (column, value) = if (site.host_cpu * site.hosts as f64).is_finite() {
                ("cpu_overcommit", site.cpu_overcommit)
            } else {
                ("host_cpu", site.host_cpu)
            };
            return Err(overflow(
                "sites.csv",
                line,
                column,
                value,
                "the site's CPU capacity",
            ));
        }
        if !(site.host_mem_gib * site.hosts as f64 * GIB).is_finite() {
            return Err(overflow(
                "sites.csv",
                line,
                "host_mem_gib",
                site.host_mem_gib,
                "the site's memory capacity in bytes",
            ));
        }
        // Hosts the whole fleet would need here (at least the site's own), then its power.
        let hosts_max = (fleet_cpu / cap_cpu)
            .max(fleet_mem / site.host_mem_gib)
            .ceil()
            .max(site.hosts as f64)
            + 1.0;
        let it_kw = (hosts_max * site.idle_w
            + (site.peak_w - site.idle_w) * fleet_cpu / site.host_cpu)
            / 1000.0;
        if !it_kw.is_finite() {
            // The site's own figures at its own size: if they are finite, the fleet's load is
            // what overflows, and the VM with the most cores is named.
            let own_kw = ((site.hosts as f64 + 1.0) * site.idle_w
                + (site.peak_w - site.idle_w) * (site.hosts as f64 + 1.0) * cap_cpu
                    / site.host_cpu)
                / 1000.0;
            if let (true, Some(v)) = (own_kw.is_finite(), largest_cpu) {
                return Err(overflow(
                    "vms.csv",
                    vm_line(v),
                    "cpu",
                    instance.vms[v].cpu,
                    &format!(
                        "the IT power of site {} (sites.csv line {line}) with every VM there",
                        site.id
                    ),
                ));
            }
            let (column, value) = if (site.hosts as f64 + 1.0) * site.idle_w > site.peak_w {
                ("idle_w", site.idle_w)
            } else {
                ("peak_w", site.peak_w)
            };
            return Err(overflow(
                "sites.csv",
                line,
                column,
                value,
                "the site's most IT power (every VM there)",
            ));
        }
        let facility_kw = site.pue * it_kw;
        if !facility_kw.is_finite() {
            return Err(overflow(
                "sites.csv",
                line,
                "pue",
                site.pue,
                "the site's most facility power",
            ));
        }
        facility_max_kw.push(facility_kw);
    }

    // Windows: the most a site can cost and emit in each window, and the instance's total.
    let mut total_eur = 0.0f64;
    for t in 0..instance.num_windows() {
        for (s, &facility_kw) in facility_max_kw.iter().enumerate() {
            let line = sources.window_lines.get((t, s)).copied().unwrap_or(0);
            let price = instance.price_eur_mwh[[t, s]];
            let carbon = instance.carbon_g_kwh[[t, s]];
            let carbon_eur = carbon * params.carbon_eur_per_t / 1e6;
            if !carbon_eur.is_finite() {
                return Err(if carbon > params.carbon_eur_per_t {
                    overflow(
                        "windows.csv",
                        line,
                        "carbon_g_kwh",
                        carbon,
                        "the carbon cost per kWh",
                    )
                } else {
                    param_error(
                        sources,
                        "carbon_eur_per_t",
                        params.carbon_eur_per_t,
                        "the carbon cost per kWh",
                    )
                });
            }
            let kwh = facility_kw * params.window_hours;
            let eur = kwh * (price / 1000.0 + carbon_eur);
            let kg = kwh * carbon / 1000.0;
            if !kwh.is_finite() {
                return Err(param_error(
                    sources,
                    "window_hours",
                    params.window_hours,
                    "a site's most energy in a window",
                ));
            }
            if !eur.is_finite() || !kg.is_finite() {
                let (column, value) = if (price / 1000.0).abs() >= carbon_eur.abs() {
                    ("price_eur_mwh", price)
                } else {
                    ("carbon_g_kwh", carbon)
                };
                return Err(overflow(
                    "windows.csv",
                    line,
                    column,
                    value,
                    "the site's most cost or emissions in this window",
                ));
            }
            total_eur += eur.abs();
            if !total_eur.is_finite() {
                return Err(overflow(
                    "windows.csv",
                    line,
                    "price_eur_mwh",
                    price,
                    "the total energy cost of the instance",
                ));
            }
        }
    }

    // Links: rates, and the sums a path can reach.
    let mut latency_sum = 0.0f64;
    let mut eur_per_gb_sum = 0.0f64;
    let mut rates: Vec<(f64, usize)> = Vec::new();
    for (l, link) in instance.links.iter().enumerate() {
        let line = link_line(l);
        let rate = rate_bytes_s(
            link.bandwidth_gbps,
            params.link_efficiency,
            params.concurrency as f64,
        );
        if !rate.is_finite() || !(link.bandwidth_gbps * 1e9 / 8.0).is_finite() {
            return Err(overflow(
                "links.csv",
                line,
                "bandwidth_gbps",
                link.bandwidth_gbps,
                "the link's rate in bytes/s",
            ));
        }
        if !(rate * window_s).is_finite() {
            return Err(overflow(
                "links.csv",
                line,
                "bandwidth_gbps",
                link.bandwidth_gbps,
                "the bytes the link carries in a window",
            ));
        }
        latency_sum += link.latency_ms;
        if !latency_sum.is_finite() {
            return Err(overflow(
                "links.csv",
                line,
                "latency_ms",
                link.latency_ms,
                "the latency of a path",
            ));
        }
        eur_per_gb_sum += link.eur_per_gb;
        if !eur_per_gb_sum.is_finite() {
            return Err(overflow(
                "links.csv",
                line,
                "eur_per_gb",
                link.eur_per_gb,
                "the transfer price of a path",
            ));
        }
        if !rates.iter().any(|(r, _)| r.to_bits() == rate.to_bits()) {
            rates.push((rate, l));
        }
    }

    // The most a site's migration energy can cost: its largest PUE at its largest price.
    let energy_eur_per_kwh = instance
        .sites
        .iter()
        .enumerate()
        .map(|(s, site)| {
            let most = instance
                .price_eur_mwh
                .column(s)
                .iter()
                .fold(0.0f64, |a, &p| a.max(p));
            site.pue * most / 1000.0
        })
        .fold(0.0f64, f64::max);

    // VMs: their bytes and rates, then their migrations at every rate.
    let windows = instance.num_windows().max(1) as f64;
    for (v, vm) in instance.vms.iter().enumerate() {
        let line = vm_line(v);
        let p = &vm.profile;
        for (column, value, scale, what) in [
            (
                "mem_used_gib",
                p.mem_used_gib,
                GIB,
                "the memory to send in bytes",
            ),
            ("wss_gib", p.wss_gib, GIB, "the working set in bytes"),
            ("disk_gib", p.disk_gib, GIB, "the disk to copy in bytes"),
            (
                "dirty_mib_s",
                p.dirty_mib_s,
                MIB,
                "the dirtying rate in bytes/s",
            ),
            (
                "disk_write_mib_s",
                p.disk_write_mib_s,
                MIB,
                "the disk write rate in bytes/s",
            ),
        ] {
            if !(value * scale).is_finite() {
                return Err(overflow("vms.csv", line, column, value, what));
            }
        }
        // The penalties over a migration that fills a window, in every window.
        for (column, value) in [
            ("penalty_eur_per_s", vm.penalty_eur_per_s),
            ("downtime_eur_per_s", vm.downtime_eur_per_s),
        ] {
            if !(value * window_s * windows).is_finite() {
                return Err(overflow(
                    "vms.csv",
                    line,
                    column,
                    value,
                    "the VM's migration penalties over the horizon",
                ));
            }
        }
        let rates_here: Vec<(f64, Option<usize>)> = if rates.is_empty() {
            // Without links only a respawn moves, and it needs no link.
            if p.kind == crate::domain::instance::MigrationKind::Respawn {
                vec![(0.0, None)]
            } else {
                Vec::new()
            }
        } else {
            rates.iter().map(|&(r, l)| (r, Some(l))).collect()
        };
        for (rate, link) in rates_here {
            let e = estimate(p, rate, params);
            let cost_parts = [
                vm.penalty_eur_per_s * e.total_s * windows,
                vm.downtime_eur_per_s * e.downtime_s * windows,
                e.sent_bytes / 1e9 * eur_per_gb_sum * windows,
                e.energy_kwh() * energy_eur_per_kwh * windows,
            ];
            let finite = [e.total_s, e.downtime_s, e.sent_bytes, e.energy_j]
                .iter()
                .chain(cost_parts.iter())
                .all(|x| x.is_finite());
            if finite {
                continue;
            }
            // The energy alone overflows while time and bytes are finite: the energy
            // parameters are to blame.
            if [e.total_s, e.downtime_s, e.sent_bytes]
                .iter()
                .all(|x| x.is_finite())
                && !(e.energy_j.is_finite() && (e.energy_kwh() * energy_eur_per_kwh).is_finite())
            {
                let (key, value) = if (params.energy_j_per_mb * e.sent_bytes / 1e6).is_finite() {
                    ("energy_j_fixed", params.energy_j_fixed)
                } else {
                    ("energy_j_per_mb", params.energy_j_per_mb)
                };
                if !(value * e.sent_bytes.max(1.0)).is_finite() || !e.energy_j.is_finite() {
                    return Err(param_error(
                        sources,
                        key,
                        value,
                        &format!("the migration energy of VM {} (vms.csv line {line})", vm.id),
                    ));
                }
            }
            // Blame the link when the VM migrates with finite figures at 1 GB/s.
            let reference = estimate(p, 1e9, params);
            let fine_at_reference = [
                reference.total_s,
                reference.downtime_s,
                reference.sent_bytes,
                reference.energy_j,
            ]
            .iter()
            .all(|x| x.is_finite());
            if let (true, Some(l)) = (fine_at_reference, link) {
                return Err(overflow(
                    "links.csv",
                    link_line(l),
                    "bandwidth_gbps",
                    instance.links[l].bandwidth_gbps,
                    &format!(
                        "the migration time, bytes or cost of VM {} (vms.csv line {line})",
                        vm.id
                    ),
                ));
            }
            // Otherwise blame the VM's largest size.
            let via = link.map_or(String::new(), |l| {
                format!(
                    " over the link on links.csv line {} (bandwidth_gbps {})",
                    link_line(l),
                    instance.links[l].bandwidth_gbps
                )
            });
            let (column, value) = [
                ("mem_used_gib", p.mem_used_gib),
                ("disk_gib", p.disk_gib),
                ("boot_s", p.boot_s),
                ("penalty_eur_per_s", vm.penalty_eur_per_s),
                ("downtime_eur_per_s", vm.downtime_eur_per_s),
            ]
            .into_iter()
            .fold(("mem_used_gib", p.mem_used_gib), |best, c| {
                if c.1 > best.1 {
                    c
                } else {
                    best
                }
            });
            return Err(overflow(
                "vms.csv",
                line,
                column,
                value,
                &format!("the VM's migration time, bytes, energy or cost{via}"),
            ));
        }
    }
    Ok(())
}
