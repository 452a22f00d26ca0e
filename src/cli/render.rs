//! The text the commands print, as pure functions of their results: each is tested below.

use wattshift::domain::instance::{Instance, MigrationKind};
use wattshift::report::Summary;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::Evaluation;
use wattshift::scoring::explain::{MigrationExplanation, StayExplanation, Verdict};
use wattshift::scoring::migration::BatchEstimate;

use super::commands::EstimateOptions;
use serde::Serialize;

/// `n` and the noun, singular for one: "1 host", "2 hosts".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What `validate` reports about a valid instance: sizes, kinds, prices, connectivity. Printed
/// as text by [`instance`] and as JSON by `validate --json`.
#[derive(Debug, Serialize)]
pub struct Overview {
    pub valid: bool,
    pub sites: usize,
    pub vms: usize,
    pub links: usize,
    pub windows: usize,
    pub window_hours: f64,
    /// The first window's start (RFC 3339 UTC) when windows.csv has `start`.
    pub start_utc: Option<String>,
    pub site_list: Vec<SiteOverview>,
    /// VMs per migration kind, kinds without VMs left out, in the format's order.
    pub migration_kinds: Vec<KindCount>,
    /// Ordered pairs of distinct sites with no network path between them (respawn only).
    pub unreachable_pairs: usize,
    pub carbon_eur_per_t: f64,
    pub link_efficiency: f64,
    pub concurrency: u32,
    /// Classes of identical VMs, and the whole-horizon MILP's flow columns (about).
    pub vm_classes: usize,
    pub flow_columns: u64,
    /// The rules the starting placement breaks (warnings: a plan can still fix them).
    pub starting_placement_breaks: Vec<wattshift::scoring::start::StartBreak>,
    /// What makes every plan infeasible that validate can see (anti-affinity groups larger
    /// than the sites they may share).
    pub infeasible_because: Vec<String>,
}

/// One site of an [`Overview`].
#[derive(Debug, Serialize)]
pub struct SiteOverview {
    pub site: String,
    pub zone: String,
    pub hosts: u32,
    pub host_cpu: f64,
    pub host_mem_gib: f64,
    pub pue: f64,
    pub price_min_eur_mwh: f64,
    pub price_max_eur_mwh: f64,
    pub vms_at_start: usize,
}

/// VMs of one migration kind.
#[derive(Debug, Serialize)]
pub struct KindCount {
    pub kind: String,
    pub vms: usize,
}

/// The [`Overview`] of a valid instance.
pub fn overview(instance: &Instance) -> Overview {
    let costs = Costs::new(instance);
    let params = &instance.params;
    let site_list = instance
        .sites
        .iter()
        .enumerate()
        .map(|(s, site)| {
            let prices = instance.price_eur_mwh.column(s);
            SiteOverview {
                site: site.id.clone(),
                zone: site.zone.clone(),
                hosts: site.hosts,
                host_cpu: site.host_cpu,
                host_mem_gib: site.host_mem_gib,
                pue: site.pue,
                price_min_eur_mwh: prices.iter().cloned().fold(f64::INFINITY, f64::min),
                price_max_eur_mwh: prices.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                vms_at_start: instance.vms.iter().filter(|v| v.initial_site == s).count(),
            }
        })
        .collect();
    let migration_kinds = MigrationKind::ALL
        .into_iter()
        .map(|kind| KindCount {
            kind: kind.to_string(),
            vms: instance
                .vms
                .iter()
                .filter(|v| v.profile.kind == kind)
                .count(),
        })
        .filter(|k| k.vms > 0)
        .collect();
    let mut unreachable_pairs = 0;
    for a in 0..instance.num_sites() {
        for b in 0..instance.num_sites() {
            if a != b && costs.network.path(a, b).is_none() {
                unreachable_pairs += 1;
            }
        }
    }
    let size = wattshift::solvers::exact::problem_size(&costs);
    Overview {
        valid: true,
        sites: instance.num_sites(),
        vms: instance.num_vms(),
        links: instance.links.len(),
        windows: instance.num_windows(),
        window_hours: params.window_hours,
        start_utc: wattshift::io::write::window_start_utc(instance, 0),
        site_list,
        migration_kinds,
        unreachable_pairs,
        carbon_eur_per_t: params.carbon_eur_per_t,
        link_efficiency: params.link_efficiency,
        concurrency: params.concurrency,
        vm_classes: size.vm_classes,
        flow_columns: size.flow_columns as u64,
        starting_placement_breaks: wattshift::scoring::start::starting_placement_breaks(&costs),
        infeasible_because: wattshift::scoring::start::unspreadable_groups(&costs),
    }
}

/// A byte count for a person, in decimal units as sent_gb is (1 GB = 10^9 bytes): `512 B`,
/// `306.6 MB`, `8.590 GB`, `1.200 TB`.
pub fn size(bytes: f64) -> String {
    let b = bytes.abs();
    if !b.is_finite() {
        return format!("{bytes} B");
    }
    if b < 1e3 {
        format!("{bytes:.0} B")
    } else if b < 1e6 {
        format!("{:.1} kB", bytes / 1e3)
    } else if b < 1e9 {
        format!("{:.1} MB", bytes / 1e6)
    } else if b < 1e12 {
        format!("{:.3} GB", bytes / 1e9)
    } else {
        format!("{:.3} TB", bytes / 1e12)
    }
}

/// A short description of an instance: sizes, kinds, prices, connectivity.
pub fn instance(instance: &Instance) -> String {
    let o = overview(instance);
    let mut out = String::new();
    out.push_str(&format!(
        "valid instance: {}, {}, {}, {} of {} h{}\n",
        count(o.sites, "site", "sites"),
        count(o.vms, "VM", "VMs"),
        count(o.links, "link", "links"),
        count(o.windows, "window", "windows"),
        o.window_hours,
        o.start_utc
            .as_deref()
            .map_or(String::new(), |start| format!(" from {start}"))
    ));
    for site in &o.site_list {
        out.push_str(&format!(
            "  site {}{}: {} × {} cores, {} GiB, PUE {}, price {}..{} EUR/MWh, {} at start\n",
            site.site,
            if site.zone.is_empty() {
                String::new()
            } else {
                format!(" ({})", site.zone)
            },
            count(site.hosts as usize, "host", "hosts"),
            site.host_cpu,
            site.host_mem_gib,
            site.pue,
            site.price_min_eur_mwh,
            site.price_max_eur_mwh,
            count(site.vms_at_start, "VM", "VMs"),
        ));
    }
    if !o.migration_kinds.is_empty() {
        let kinds: Vec<String> = o
            .migration_kinds
            .iter()
            .map(|k| format!("{} {}", k.vms, k.kind))
            .collect();
        out.push_str(&format!("  migration kinds: {}\n", kinds.join(", ")));
    }
    if o.unreachable_pairs > 0 {
        out.push_str(&format!(
            "  {} ordered site pairs have no path (respawn only)\n",
            o.unreachable_pairs
        ));
    }
    out.push_str(&format!(
        "  carbon price {} EUR/t, link efficiency {}, concurrency {}\n",
        o.carbon_eur_per_t, o.link_efficiency, o.concurrency
    ));
    out.push_str(&format!(
        "  model size: {} VMs in {} {} of identical VMs; the whole-horizon MILP would \
         have about {} flow columns\n",
        o.vms,
        o.vm_classes,
        if o.vm_classes == 1 {
            "class"
        } else {
            "classes"
        },
        o.flow_columns
    ));
    out
}

fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".to_string(), |v| format!("{v:.digits$}"))
}

/// One human line (and a few more) of a summary.
pub fn summary(s: &Summary) -> String {
    let mut out = format!(
        "solver {}: {} ({})",
        s.solver,
        s.status,
        stop_reason_text(s.stop_reason)
    );
    if let Some(objective) = s.objective_eur {
        out.push_str(&format!(
            "\n  objective {objective:.6} EUR (energy {} + carbon {} + migrations {})",
            fmt_opt(s.energy_eur, 6),
            fmt_opt(s.carbon_eur, 6),
            fmt_opt(s.migration_eur, 6)
        ));
        if s.baseline_violations.is_empty() {
            {
                out.push_str(&format!(
                    "\n  baseline (stay) {} EUR, savings {} EUR ({} %), {} kg CO2e saved",
                    fmt_opt(s.baseline_eur, 6),
                    fmt_opt(s.savings_eur, 6),
                    fmt_opt(s.savings_pct, 2),
                    fmt_opt(s.carbon_saved_kg, 3)
                ));
            }
        } else {
            {
                out.push_str(&format!(
                    "\n  no stay baseline: staying breaks {} ({})",
                    count(s.baseline_violations.len(), "rule", "rules"),
                    s.baseline_violations.first().map_or("", String::as_str)
                ));
                if let Some(repaired) = s.repaired_baseline_eur {
                    out.push_str(&format!(
                        "\n  baseline (stay, repaired) {repaired:.6} EUR, savings {} EUR",
                        fmt_opt(s.repaired_savings_eur, 6)
                    ));
                }
            }
        }
        out.push_str(&format!(
            "\n  {} ({} late{}), grid {} kWh, {} kg CO2e",
            count(s.migrations.unwrap_or(0), "migration", "migrations"),
            s.late_migrations.unwrap_or(0),
            match (s.most_migrations_per_vm, s.median_migrations_per_vm) {
                (Some(most), Some(median)) if s.migrations.unwrap_or(0) > 0 =>
                    format!("; per VM at most {most}, median {median}"),
                _ => String::new(),
            },
            fmt_opt(s.grid_kwh, 3),
            fmt_opt(s.carbon_kg, 3)
        ));
        out.push_str(&format!(
            "\n  bound {} EUR, gap {}",
            fmt_opt(s.bound_eur, 6),
            s.gap
                .map_or("-".to_string(), |g| format!("{:.4} %", 100.0 * g)),
        ));
    }
    out.push_str(&format!("\n  runtime {:.2} s", s.runtime_s));
    out
}

/// A stop reason as the text summary says it.
fn stop_reason_text(reason: wattshift::solvers::StopReason) -> &'static str {
    use wattshift::solvers::StopReason;
    match reason {
        StopReason::Optimal => "proven optimal",
        StopReason::GapReached => "gap reached",
        StopReason::TimeLimit => "time limit",
        StopReason::Interrupted => "interrupted",
        StopReason::NoImprovement => "no improvement found",
        StopReason::Infeasible => "infeasible",
    }
}

/// What `evaluate` prints: the costs, then every broken constraint.
pub fn evaluation(evaluation: &Evaluation, violations: &[String]) -> String {
    let mut out = format!(
        "objective {:.6} EUR (energy {:.6} + carbon {:.6} + migrations {:.6}), {}, grid {:.3} kWh, \
         {:.3} kg CO2e\n",
        evaluation.objective_eur,
        evaluation.energy_eur,
        evaluation.carbon_eur,
        evaluation.migration_eur,
        count(evaluation.migrations.len(), "migration", "migrations"),
        evaluation.grid_kwh,
        evaluation.carbon_kg
    );
    if violations.is_empty() {
        out.push_str("feasible: every constraint holds\n");
    } else {
        out.push_str(&format!(
            "infeasible: {} broken constraints\n",
            violations.len()
        ));
        for v in violations {
            out.push_str(&format!("  {v}\n"));
        }
    }
    out
}

/// What `estimate` prints: each wave's copy rounds and totals.
pub fn estimate(batch: &BatchEstimate, options: &EstimateOptions) -> String {
    let mut out = String::new();
    let many = options.count.is_some();
    let mut first_wave = 1u64;
    for wave in &batch.waves {
        let (m, e) = (wave.migrations, &wave.estimate);
        if many {
            let last_wave = first_wave + u64::from(wave.repeats) - 1;
            if wave.repeats == 1 {
                out.push_str(&format!(
                    "wave {first_wave} ({m} {} sharing the path):\n",
                    if m == 1 { "migration" } else { "migrations" }
                ));
            } else {
                out.push_str(&format!(
                    "waves {first_wave}–{last_wave} ({m} migrations each sharing the path):\n"
                ));
            }
            first_wave = last_wave + 1;
        }
        out.push_str(&format!(
            "  {} at {:.3} MB/s per migration\n",
            e.kind,
            e.rate_bytes_s / 1e6
        ));
        if e.disk_s > 0.0 {
            out.push_str(&format!(
                "  disk copy: {:.3} GB in {:.3} s\n",
                options.profile.disk_gib * 1024f64.powi(3) / 1e9,
                e.disk_s
            ));
        }
        let mut first_round = 1u64;
        for round in &e.rounds {
            if round.count == 1 {
                out.push_str(&format!(
                    "  round {:>2}: {:>16.0} bytes ({:>9}) in {:>10.3} s\n",
                    first_round,
                    round.bytes,
                    size(round.bytes),
                    round.seconds
                ));
            } else {
                out.push_str(&format!(
                    "  rounds {}–{}: {:.0} bytes ({}) each in {:.3} s each (no longer shrinking)\n",
                    first_round,
                    first_round + u64::from(round.count) - 1,
                    round.bytes,
                    size(round.bytes),
                    round.seconds
                ));
            }
            first_round += u64::from(round.count);
        }
        if matches!(e.kind, MigrationKind::Precopy | MigrationKind::Block) {
            out.push_str(&format!(
                "  stop-and-copy: {:.0} bytes ({})\n",
                e.final_bytes,
                size(e.final_bytes)
            ));
        }
        out.push_str(&format!(
            "  total {:.3} s, downtime {:.3} s, sent {:.0} bytes ({}), energy {:.1} J, converged {}, {}\n",
            e.total_s,
            e.downtime_s,
            e.sent_bytes,
            size(e.sent_bytes),
            e.energy_j,
            if e.converged { "yes" } else { "no" },
            match e.infeasible {
                None => "feasible".to_string(),
                Some(r) => format!("infeasible: {}", r.describe()),
            }
        ));
        if !many {
            break;
        }
    }
    if many {
        out.push_str(&format!(
            "batch of {}: {} waves, makespan {:.3} s\n",
            options.count.unwrap_or(1),
            batch
                .waves
                .iter()
                .map(|w| u64::from(w.repeats))
                .sum::<u64>(),
            batch.total_s
        ));
    }
    out
}

/// The line `generate` prints before the description of what it wrote.
pub fn generated(
    year: u16,
    windows: usize,
    window_hours: f64,
    first: &str,
    zones: &[String],
) -> String {
    format!(
        "generated from {year} data: {windows} windows of {window_hours} h from {first}, zones {}\n",
        zones.join(", ")
    )
}

/// A window for a person: its number, and its start in UTC where windows.csv gives it.
fn window_name(instance: &Instance, t: usize) -> String {
    match wattshift::io::write::window_start_utc(instance, t) {
        Some(start) => format!("window {t} ({start})"),
        None => format!("window {t}"),
    }
}

/// One migration on one line: where, what it costs, what it saves and when it pays back.
fn migration_line(instance: &Instance, m: &MigrationExplanation) -> String {
    let sites = &instance.sites;
    let stay = m.savings_eur.len();
    let payback = match (&m.forced_by, m.payback_windows) {
        (Some(rule), _) => format!("forced by the starting placement's {rule}"),
        (None, Some(k)) => format!("pays back in {}", count(k, "window", "windows")),
        (None, None) => "never pays back during its stay".to_string(),
    };
    let back = m
        .returns_at
        .map_or(String::new(), |w| format!("; back at window {w}"));
    format!(
        "{}: {} {} → {} ({}, {:.1} s, downtime {:.3} s): cost {:.6} EUR, saves {:.6} EUR over {}, net {:+.6} EUR; {payback}{back}",
        window_name(instance, m.migration.window),
        instance.vms[m.migration.vm].id,
        sites[m.migration.from].id,
        sites[m.migration.to].id,
        m.migration.kind,
        m.migration.duration_s,
        m.migration.downtime_s,
        m.migration.cost_eur,
        m.saving_eur,
        count(stay, "window", "windows"),
        m.net_eur,
    )
}

/// One staying VM on a line or two: its cheapest other site and why the plan did not take it.
fn stay_lines(instance: &Instance, s: &StayExplanation) -> String {
    let vm = &instance.vms[s.vm].id;
    let here = &instance.sites[s.site].id;
    let Some(b) = s.alternative else {
        return format!("{vm} stays at {here}: the instance has no other site\n");
    };
    let span = if s.end == s.first + 1 {
        format!("window {}", s.first)
    } else {
        format!("windows {}–{}", s.first, s.end - 1)
    };
    let there = &instance.sites[b].id;
    let mut out = if s.saving_eur > 0.0 {
        format!(
            "{vm} stays at {here} in {span}; its load would cost least at {there}, {:.6} EUR less, and its migrations {:+.6} EUR\n",
            s.saving_eur, s.migration_eur
        )
    } else {
        format!(
            "{vm} stays at {here} in {span}, where its load costs least; at the next cheapest site, {there}, it would cost {:.6} EUR more, and its migrations {:+.6} EUR\n",
            -s.saving_eur, s.migration_eur
        )
    };
    match &s.verdict {
        Verdict::Pinned => out.push_str("  not taken: the VM is pinned\n"),
        Verdict::Breaks(reasons) => {
            out.push_str("  not taken: the move breaks constraints the plan keeps:\n");
            const SHOWN: usize = 3;
            for reason in reasons.iter().take(SHOWN) {
                out.push_str(&format!("    {reason}\n"));
            }
            if reasons.len() > SHOWN {
                out.push_str(&format!(
                    "    … and {} more (--json lists them all)\n",
                    reasons.len() - SHOWN
                ));
            }
        }
        Verdict::CostsMore(eur) => out.push_str(&format!(
            "  not taken: the migrations cost more than it saves; the objective would rise by {eur:.6} EUR\n"
        )),
        Verdict::WouldSave(eur) => out.push_str(&format!(
            "  a better plan: the move keeps every constraint and lowers the objective by {eur:.6} EUR (the plan is not optimal)\n"
        )),
    }
    out
}

/// `explain OUT` without `--vm`: the migrations that pay most and least, and the VMs that
/// would have paid to move but could not.
pub fn explain_ranked(
    instance: &Instance,
    migrations: &[MigrationExplanation],
    stays: &[StayExplanation],
    summary: &serde_json::Value,
) -> String {
    let mut out = String::new();
    let total: f64 = migrations.iter().map(|m| m.migration.cost_eur).sum();
    // The headline is the plan's own saving: single-VM savings do not add up where VMs move
    // together to empty a host.
    let plan_saving = match (
        summary["savings_eur"].as_f64(),
        summary["repaired_savings_eur"].as_f64(),
    ) {
        (Some(s), _) => format!("the plan saves {s:.6} EUR against staying"),
        (None, Some(s)) => format!(
            "staying breaks a rule; the plan saves {s:.6} EUR against the repaired stay plan"
        ),
        (None, None) => "the plan has no stay baseline to compare with".to_string(),
    };
    out.push_str(&format!(
        "{} costing {total:.6} EUR; {plan_saving}\n",
        count(migrations.len(), "migration", "migrations")
    ));
    out.push_str(
        "(each migration's saving below is its VM's own, with every other VM where the plan \
         puts it; VMs that move together to empty a host save more together than the sum)\n",
    );
    let mut ranked: Vec<&MigrationExplanation> = migrations.iter().collect();
    ranked.sort_by(|a, b| b.net_eur.total_cmp(&a.net_eur));
    if !ranked.is_empty() {
        out.push_str("\nmigrations that pay most:\n");
        for m in ranked.iter().take(10) {
            out.push_str(&format!("  {}\n", migration_line(instance, m)));
        }
        if ranked.len() > 10 {
            out.push_str("\nmigrations that pay least:\n");
            // Never one of those above: the two lists do not overlap.
            for m in ranked.iter().rev().take((ranked.len() - 10).min(10)) {
                out.push_str(&format!("  {}\n", migration_line(instance, m)));
            }
        }
    }
    out.push_str("\nVMs that would have paid to move but could not:\n");
    if stays.is_empty() {
        out.push_str("  none: every VM that stays costs least where it is, or would not repay its migrations\n");
    }
    for s in stays {
        for line in stay_lines(instance, s).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

/// `explain OUT --vm V`: each of its migrations with its savings per window, and its stay.
pub fn explain_vm(
    instance: &Instance,
    migrations: &[MigrationExplanation],
    stays: &[StayExplanation],
) -> String {
    let mut out = String::new();
    for m in migrations {
        out.push_str(&format!("{}\n", migration_line(instance, m)));
        out.push_str(&format!(
            "  cost parts: penalty {:.6} + downtime {:.6} + transfer {:.6} + energy {:.6} EUR\n",
            m.migration.penalty_eur,
            m.migration.downtime_eur,
            m.migration.transfer_eur,
            m.migration.energy_eur
        ));
        let mut cumulative = 0.0;
        for (i, saving) in m.savings_eur.iter().enumerate() {
            cumulative += saving;
            out.push_str(&format!(
                "    {}: saves {saving:+.6} EUR (total {cumulative:+.6})\n",
                window_name(instance, m.migration.window + i)
            ));
        }
    }
    if migrations.is_empty() {
        out.push_str("no migration\n");
    }
    for s in stays {
        out.push_str(&stay_lines(instance, s));
    }
    out
}

/// `explain --json`: `migrations` (one entry per migration, with its cost and parts) and
/// `stays`.
pub fn explain_json(
    instance: &Instance,
    migrations: &[MigrationExplanation],
    stays: &[StayExplanation],
) -> serde_json::Value {
    let site = |s: usize| instance.sites[s].id.clone();
    let migrations: Vec<serde_json::Value> = migrations
        .iter()
        .map(|m| {
            serde_json::json!({
                "window": m.migration.window,
                "window_start": wattshift::io::write::window_start_utc(instance, m.migration.window),
                "vm": instance.vms[m.migration.vm].id,
                "from": site(m.migration.from),
                "to": site(m.migration.to),
                "kind": m.migration.kind.to_string(),
                "duration_s": m.migration.duration_s,
                "downtime_s": m.migration.downtime_s,
                "cost_eur": m.migration.cost_eur,
                "penalty_eur": m.migration.penalty_eur,
                "downtime_eur": m.migration.downtime_eur,
                "transfer_eur": m.migration.transfer_eur,
                "energy_eur": m.migration.energy_eur,
                "savings_eur": m.savings_eur,
                "saving_eur": m.saving_eur,
                "net_eur": m.net_eur,
                "payback_windows": m.payback_windows,
                "returns_at": m.returns_at,
                "forced_by": m.forced_by,
            })
        })
        .collect();
    let stays: Vec<serde_json::Value> = stays
        .iter()
        .map(|s| {
            let (verdict, reasons, eur) = match &s.verdict {
                Verdict::Pinned => ("pinned", Vec::new(), None),
                Verdict::Breaks(reasons) => ("breaks", reasons.clone(), None),
                Verdict::CostsMore(eur) => ("costs_more", Vec::new(), Some(*eur)),
                Verdict::WouldSave(eur) => ("would_save", Vec::new(), Some(*eur)),
            };
            serde_json::json!({
                "vm": instance.vms[s.vm].id,
                "site": site(s.site),
                "first_window": s.first,
                "end_window": s.end,
                "alternative": s.alternative.map(site),
                "saving_eur": s.saving_eur,
                "migration_eur": s.migration_eur,
                "net_eur": s.net_eur,
                "verdict": verdict,
                "reasons": reasons,
                "objective_change_eur": eur,
            })
        })
        .collect();
    serde_json::json!({ "migrations": migrations, "stays": stays })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use wattshift::domain::instance::{MigrationProfile, Params};
    use wattshift::domain::plan::Plan;
    use wattshift::io::read::read_instance;
    use wattshift::scoring::migration::estimate_batch;
    use wattshift::solvers::Status;

    fn testbed() -> Instance {
        read_instance(&Path::new(env!("CARGO_MANIFEST_DIR")).join("instances/paper-testbed"))
            .unwrap()
    }

    #[test]
    fn sizes_are_given_in_decimal_units_a_person_reads() {
        assert_eq!(size(512.0), "512 B");
        assert_eq!(size(8_048_987.0), "8.0 MB");
        assert_eq!(size(300_647_711.0), "300.6 MB");
        assert_eq!(size(9_371_077_692.0), "9.371 GB");
        assert_eq!(size(1.2e12), "1.200 TB");
        assert_eq!(size(f64::INFINITY), "inf B");
    }

    #[test]
    fn an_evaluation_is_rounded_for_reading() {
        let instance = testbed();
        let costs = Costs::new(&instance);
        let e = wattshift::scoring::evaluate::evaluate(&costs, &Plan::stay(&instance));
        let text = evaluation(&e, &[]);
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("objective {:.6} EUR (energy ", e.objective_eur)),
            "{first}"
        );
        // No number carries more than six decimals.
        for word in first.split([' ', '(', ')', ',']) {
            if let Some((_, decimals)) = word.split_once('.') {
                assert!(decimals.len() <= 6, "{word} in {first}");
            }
        }
    }

    #[test]
    fn an_instance_is_described_by_its_sizes_and_sites() {
        let text = instance(&testbed());
        assert!(
            text.starts_with(
                "valid instance: 2 sites, 10 VMs, 1 link, 24 windows of 1 h from \
                 2024-05-01T00:00:00Z\n"
            ),
            "{text}"
        );
        // One of a thing is singular.
        assert!(text.contains(": 1 host × 16 cores"), "{text}");
        assert!(text.contains(", 0 VMs at start"), "{text}");
        assert!(text.contains("  migration kinds: 10 block\n"), "{text}");
    }

    #[test]
    fn a_summary_without_a_plan_shows_its_status_and_runtime() {
        let text = summary(&Summary {
            objective_eur: None,
            energy_eur: None,
            carbon_eur: None,
            migration_eur: None,
            grid_kwh: None,
            carbon_kg: None,
            migrations: None,
            baseline_eur: None,
            savings_eur: None,
            savings_pct: None,
            carbon_saved_kg: None,
            repaired_baseline_eur: None,
            repaired_savings_eur: None,
            most_migrations_per_vm: None,
            median_migrations_per_vm: None,
            solver: "exact".into(),
            status: Status::Unknown,
            stop_reason: wattshift::solvers::StopReason::TimeLimit,
            bound_eur: None,
            gap: None,
            late_migrations: None,
            runtime_s: 1.234,
            infeasible_because: Vec::new(),
            baseline_violations: Vec::new(),
            windows: 1,
            sites: 1,
            vms: 1,
            warnings: Vec::new(),
            wattshift_version: String::new(),
            time_limit_s: None,
            threads: 1,
            settings: None,
            instance: None,
        });
        assert_eq!(text, "solver exact: unknown (time limit)\n  runtime 1.23 s");
    }

    #[test]
    fn an_evaluation_lists_what_breaks() {
        let instance = testbed();
        let costs = Costs::new(&instance);
        let e = wattshift::scoring::evaluate::evaluate(&costs, &Plan::stay(&instance));
        let text = evaluation(&e, &[]);
        assert!(
            text.ends_with("feasible: every constraint holds\n"),
            "{text}"
        );
        let text = evaluation(&e, &["capacity: x".to_string()]);
        assert!(
            text.ends_with("infeasible: 1 broken constraints\n  capacity: x\n"),
            "{text}"
        );
    }

    #[test]
    fn an_estimate_shows_rounds_and_repeated_waves() {
        let profile = MigrationProfile {
            kind: MigrationKind::Precopy,
            mem_used_gib: 2.0,
            wss_gib: 0.5,
            disk_gib: 0.0,
            dirty_mib_s: 10.0,
            disk_write_mib_s: 0.0,
            boot_s: 60.0,
        };
        let params = Params {
            concurrency: 3,
            ..Params::default()
        };
        let options = EstimateOptions {
            profile: profile.clone(),
            bandwidth_gbps: 1.0,
            count: Some(10),
            params: params.clone(),
            json: false,
        };
        let text = estimate(&estimate_batch(&profile, 1.0, 10, &params), &options);
        assert!(
            text.starts_with("waves 1–3 (3 migrations each sharing the path):\n"),
            "{text}"
        );
        assert!(
            text.contains("wave 4 (1 migration sharing the path):\n"),
            "{text}"
        );
        assert!(text.contains("  round  1:"), "{text}");
        assert!(text.contains("batch of 10: 4 waves"), "{text}");
    }

    #[test]
    fn the_generated_line_names_year_windows_and_zones() {
        let text = generated(
            2024,
            24,
            1.0,
            "2024-05-01T00:00:00Z",
            &["DE-LU".into(), "FR".into()],
        );
        assert_eq!(text, "generated from 2024 data: 24 windows of 1 h from 2024-05-01T00:00:00Z, zones DE-LU, FR\n");
    }
}
