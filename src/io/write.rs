//! Outputs of `plan` (docs/FORMAT.md §3): pure functions to bytes. `io::out_dir` writes them.
//!
//! Numbers are written with Rust's shortest round-trip formatting, so that every value reads back
//! to the same f64 and every EUR total is the sum of its parts as written.

use crate::domain::instance::Instance;
use crate::domain::plan::Plan;
use crate::io::read::{parse_rfc3339, LINKS_SCHEMA, SITES_SCHEMA, VMS_SCHEMA, WINDOWS_SCHEMA};
use crate::report::{PlanReport, Summary};
use crate::scoring::evaluate::Evaluation;
use crate::scoring::schedule::Slot;

/// A CSV table built row by row, quoting only where a field needs it.
struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    fn new(header: impl IntoIterator<Item = String>) -> Table {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = writer.write_record(header.into_iter().collect::<Vec<_>>());
        Table { writer }
    }

    fn row(&mut self, fields: Vec<String>) {
        let _ = self.writer.write_record(fields);
    }

    fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_default()
    }
}

fn header(columns: &[&str], annotations: &[(String, String)]) -> Vec<String> {
    columns
        .iter()
        .map(|c| c.to_string())
        .chain(annotations.iter().map(|(name, _)| name.clone()))
        .collect()
}

fn with_annotations(mut fields: Vec<String>, annotations: &[(String, String)]) -> Vec<String> {
    fields.extend(annotations.iter().map(|(_, value)| value.clone()));
    fields
}

/// Annotation columns (`x_*`) of the VMs, or of the sites: every row of a file has the same.
fn vm_annotations(instance: &Instance) -> &[(String, String)] {
    instance
        .vms
        .first()
        .map_or(&[], |vm| vm.annotations.as_slice())
}

fn site_annotations(instance: &Instance) -> &[(String, String)] {
    instance
        .sites
        .first()
        .map_or(&[], |site| site.annotations.as_slice())
}

/// Whether windows.csv gave any window a `start`: then the outputs carry `window_start` (and
/// migrations.csv `start_utc`) after their other columns.
pub fn has_window_starts(instance: &Instance) -> bool {
    instance.window_start.iter().any(|start| !start.is_empty())
}

/// The start of window `t` as a timestamp: the `start` of its first row, in site order, that
/// has one (docs/FORMAT.md §3).
pub fn window_timestamp(instance: &Instance, t: usize) -> Option<jiff::Timestamp> {
    if t >= instance.window_start.nrows() {
        return None;
    }
    instance
        .window_start
        .row(t)
        .iter()
        .find_map(|start| parse_rfc3339(start))
}

/// The start of window `t` in RFC 3339 UTC (`2024-05-01T08:00:00Z`), when windows.csv gives it.
pub fn window_start_utc(instance: &Instance, t: usize) -> Option<String> {
    window_timestamp(instance, t).map(|ts| ts.to_string())
}

/// `window_start` and then `start_utc` cells: a window's start in UTC and a moment `offset_s`
/// after it, to the millisecond; empty where the window has no start.
fn utc_after(instance: &Instance, t: usize, offset_s: f64) -> String {
    window_timestamp(instance, t)
        .and_then(|start| {
            let offset = jiff::SignedDuration::try_from_secs_f64(offset_s).ok()?;
            start.checked_add(offset).ok()
        })
        .and_then(|ts| ts.round(jiff::Unit::Millisecond).ok())
        .map_or(String::new(), |ts| ts.to_string())
}

/// placement.csv: `window, vm, site`, by window then VM, then `window_start` when windows.csv
/// has starts, then the VMs' `x_` columns.
pub fn placement_csv(instance: &Instance, plan: &Plan) -> Vec<u8> {
    let dated = has_window_starts(instance);
    let columns: &[&str] = if dated {
        &["window", "vm", "site", "window_start"]
    } else {
        &["window", "vm", "site"]
    };
    let mut table = Table::new(header(columns, vm_annotations(instance)));
    for t in 0..instance.num_windows() {
        let start = window_start_utc(instance, t).unwrap_or_default();
        for (v, vm) in instance.vms.iter().enumerate() {
            let site = &instance.sites[plan.site[[v, t]]].id;
            let mut fields = vec![t.to_string(), vm.id.clone(), site.clone()];
            if dated {
                fields.push(start.clone());
            }
            table.row(with_annotations(fields, &vm.annotations));
        }
    }
    table.into_bytes()
}

/// migrations.csv, by window then VM, with each migration's slot in its window's schedule.
/// Beyond the columns of docs/FORMAT.md §3 it carries the cost's parts (penalty, downtime,
/// transfer, energy), `window_start` and `start_utc` (when windows.csv has starts) and the VMs'
/// `x_` columns.
pub fn migrations_csv(instance: &Instance, evaluation: &Evaluation, slots: &[Slot]) -> Vec<u8> {
    let dated = has_window_starts(instance);
    let mut columns = vec![
        "window",
        "vm",
        "from",
        "to",
        "kind",
        "start_s",
        "duration_s",
        "downtime_s",
        "sent_gb",
        "rounds",
        "converged",
        "energy_kwh",
        "cost_eur",
        "late",
        "penalty_eur",
        "downtime_eur",
        "transfer_eur",
        "energy_eur",
    ];
    if dated {
        columns.extend(["window_start", "start_utc"]);
    }
    let mut table = Table::new(header(&columns, vm_annotations(instance)));
    for (m, slot) in evaluation.migrations.iter().zip(slots) {
        let vm = &instance.vms[m.vm];
        let mut fields = vec![
            m.window.to_string(),
            vm.id.clone(),
            instance.sites[m.from].id.clone(),
            instance.sites[m.to].id.clone(),
            m.kind.to_string(),
            slot.start_s.to_string(),
            m.duration_s.to_string(),
            m.downtime_s.to_string(),
            (m.sent_bytes / 1e9).to_string(),
            m.rounds.to_string(),
            m.converged.to_string(),
            m.energy_kwh.to_string(),
            m.cost_eur.to_string(),
            slot.late.to_string(),
            m.penalty_eur.to_string(),
            m.downtime_eur.to_string(),
            m.transfer_eur.to_string(),
            m.energy_eur.to_string(),
        ];
        if dated {
            fields.push(utc_after(instance, m.window, 0.0));
            fields.push(utc_after(instance, m.window, slot.start_s));
        }
        table.row(with_annotations(fields, &vm.annotations));
    }
    table.into_bytes()
}

/// site_windows.csv, by window then site. Beyond the columns of docs/FORMAT.md §3 it carries `busy_cpu` and
/// `carbon_eur` (so that the summary's carbon_eur is a sum of written parts too), `window_start`
/// (when windows.csv has starts; this row's own start) and the sites' `x_` columns.
pub fn site_windows_csv(instance: &Instance, evaluation: &Evaluation) -> Vec<u8> {
    let dated = has_window_starts(instance);
    let mut columns = vec![
        "window",
        "site",
        "active_hosts",
        "cpu_used",
        "mem_used_gib",
        "it_kw",
        "facility_kw",
        "renewable_used_kw",
        "grid_kw",
        "energy_eur",
        "carbon_kg",
        "cost_eur",
        "busy_cpu",
        "carbon_eur",
    ];
    if dated {
        columns.push("window_start");
    }
    let mut table = Table::new(header(&columns, site_annotations(instance)));
    for sw in &evaluation.site_windows {
        let site = &instance.sites[sw.site];
        let mut fields = vec![
            sw.window.to_string(),
            site.id.clone(),
            sw.active_hosts.to_string(),
            sw.cpu_used.to_string(),
            sw.mem_used_gib.to_string(),
            sw.it_kw.to_string(),
            sw.facility_kw.to_string(),
            sw.renewable_used_kw.to_string(),
            sw.grid_kw.to_string(),
            sw.energy_eur.to_string(),
            sw.carbon_kg.to_string(),
            sw.cost_eur.to_string(),
            sw.busy_cpu.to_string(),
            sw.carbon_eur.to_string(),
        ];
        if dated {
            let own = instance
                .window_start
                .get([sw.window, sw.site])
                .and_then(|start| parse_rfc3339(start));
            fields.push(own.map_or_else(
                || window_start_utc(instance, sw.window).unwrap_or_default(),
                |ts| ts.to_string(),
            ));
        }
        table.row(with_annotations(fields, &site.annotations));
    }
    table.into_bytes()
}

/// Every file of a plan report: placement.csv, migrations.csv, site_windows.csv and
/// summary.json, or only summary.json when there is no plan.
pub fn plan_files(instance: &Instance, report: &PlanReport) -> Vec<(&'static str, Vec<u8>)> {
    let summary = ("summary.json", summary_json(&report.summary));
    let Some(solved) = &report.solved else {
        return vec![summary];
    };
    vec![
        ("placement.csv", placement_csv(instance, &solved.plan)),
        (
            "migrations.csv",
            migrations_csv(instance, &solved.evaluation, &solved.slots),
        ),
        (
            "site_windows.csv",
            site_windows_csv(instance, &solved.evaluation),
        ),
        summary,
    ]
}

/// node_placement.csv: `window, vm, site, node`, one row per VM and window (by window, then
/// VM), `node` empty where the VM fits on no node of its site; then `window_start` when
/// windows.csv has starts.
pub fn node_placement_csv(
    instance: &Instance,
    plan: &Plan,
    packing: &crate::nodes::Packing,
    nodes: &[crate::nodes::Node],
) -> Vec<u8> {
    let dated = has_window_starts(instance);
    let columns: &[&str] = if dated {
        &["window", "vm", "site", "node", "window_start"]
    } else {
        &["window", "vm", "site", "node"]
    };
    let mut table = Table::new(columns.iter().map(|c| c.to_string()));
    for t in 0..instance.num_windows() {
        let start = window_start_utc(instance, t).unwrap_or_default();
        for (v, vm) in instance.vms.iter().enumerate() {
            let node = packing
                .node
                .get(v)
                .and_then(|row| row.get(t).copied().flatten())
                .map_or(String::new(), |n| nodes[n].name.clone());
            let mut fields = vec![
                t.to_string(),
                vm.id.clone(),
                instance.sites[plan.site[[v, t]]].id.clone(),
                node,
            ];
            if dated {
                fields.push(start.clone());
            }
            table.row(fields);
        }
    }
    table.into_bytes()
}

/// progress.csv: `elapsed_s, objective_eur, bound_eur`, one row per new best plan or bound
/// (at most [`crate::progress::MAX_EVENTS`]), empty cells where a value is not known yet.
pub fn progress_csv(events: &[crate::progress::Event]) -> Vec<u8> {
    let mut table = Table::new(["elapsed_s", "objective_eur", "bound_eur"].map(String::from));
    let cell = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or(String::new(), |x| x.to_string())
    };
    for e in events {
        table.row(vec![
            e.elapsed_s.to_string(),
            cell(e.objective_eur),
            cell(e.bound_eur),
        ]);
    }
    table.into_bytes()
}

/// summary.json, pretty-printed with a trailing newline.
pub fn summary_json(summary: &Summary) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(summary).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// An instance as the files of docs/FORMAT.md §1 (sites.csv, vms.csv, links.csv, windows.csv,
/// usage.csv where utilisation varies by window, params.toml), every column written out.
/// Reading them back gives the same instance.
pub fn instance_files(instance: &Instance) -> Vec<(&'static str, Vec<u8>)> {
    let f = |x: f64| x.to_string();
    let mut sites = Table::new(header(
        &SITES_SCHEMA.columns().collect::<Vec<_>>(),
        site_annotations(instance),
    ));
    for s in &instance.sites {
        sites.row(with_annotations(
            vec![
                s.id.clone(),
                s.hosts.to_string(),
                f(s.host_cpu),
                f(s.host_mem_gib),
                f(s.idle_w),
                f(s.peak_w),
                f(s.pue),
                f(s.cpu_overcommit),
                s.max_migrations.map_or(String::new(), |m| m.to_string()),
                s.zone.clone(),
            ],
            &s.annotations,
        ));
    }
    let site_id = |s: usize| instance.sites[s].id.clone();
    let mut vms = Table::new(header(
        &VMS_SCHEMA.columns().collect::<Vec<_>>(),
        vm_annotations(instance),
    ));
    for v in &instance.vms {
        let p = &v.profile;
        vms.row(with_annotations(
            vec![
                v.id.clone(),
                site_id(v.initial_site),
                f(v.cpu),
                f(v.mem_gib),
                f(v.util),
                f(p.disk_gib),
                f(p.mem_used_gib),
                f(p.wss_gib),
                f(p.dirty_mib_s),
                f(p.disk_write_mib_s),
                p.kind.to_string(),
                f(p.boot_s),
                v.allowed_sites.as_ref().map_or(String::new(), |list| {
                    list.iter()
                        .map(|&s| site_id(s))
                        .collect::<Vec<_>>()
                        .join(";")
                }),
                v.anchor_site.map_or(String::new(), site_id),
                v.max_latency_ms.map_or(String::new(), f),
                v.anti_affinity.clone().unwrap_or_default(),
                f(v.penalty_eur_per_s),
                f(v.downtime_eur_per_s),
            ],
            &v.annotations,
        ));
    }
    let mut links = Table::new(LINKS_SCHEMA.columns().map(String::from));
    for l in &instance.links {
        links.row(vec![
            site_id(l.from),
            site_id(l.to),
            f(l.bandwidth_gbps),
            f(l.latency_ms),
            f(l.eur_per_gb),
        ]);
    }
    let mut windows = Table::new(WINDOWS_SCHEMA.columns().map(String::from));
    for t in 0..instance.num_windows() {
        for s in 0..instance.num_sites() {
            windows.row(vec![
                t.to_string(),
                site_id(s),
                f(instance.price_eur_mwh[[t, s]]),
                f(instance.renewable_kw[[t, s]]),
                f(instance.carbon_g_kwh[[t, s]]),
                instance.window_start[[t, s]].clone(),
            ]);
        }
    }
    let mut files = vec![
        ("sites.csv", sites.into_bytes()),
        ("vms.csv", vms.into_bytes()),
        ("links.csv", links.into_bytes()),
        ("windows.csv", windows.into_bytes()),
    ];
    let varies = |v: usize| {
        instance
            .util
            .row(v)
            .iter()
            .any(|&u| u.to_bits() != instance.vms[v].util.to_bits())
    };
    if (0..instance.num_vms()).any(varies) {
        let mut usage = Table::new(["window", "vm", "util"].map(String::from));
        for t in 0..instance.num_windows() {
            for (v, vm) in instance.vms.iter().enumerate() {
                if varies(v) {
                    usage.row(vec![t.to_string(), vm.id.clone(), f(instance.util[[v, t]])]);
                }
            }
        }
        files.push(("usage.csv", usage.into_bytes()));
    }
    // Every key, in the order of the format, through serde: floats keep their shortest form.
    let params = toml::to_string(&instance.params).unwrap_or_default();
    files.push(("params.toml", params.into_bytes()));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read::read_instance;
    use crate::report::build_plan_report;
    use crate::scoring::costs::Costs;
    use crate::solvers::{CommonSettings, SolverSettings};
    use std::path::Path;
    use std::time::Instant;

    fn testbed() -> Instance {
        read_instance(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny-kinds")).unwrap()
    }

    fn report(instance: &Instance) -> PlanReport {
        let costs = Costs::new(instance);
        let common = CommonSettings::default();
        let outcome =
            SolverSettings::default_for("exact")
                .unwrap()
                .solve(&costs, &common, Instant::now());
        build_plan_report(&costs, "exact", &outcome, &common, 0.0)
    }

    fn lines(bytes: &[u8]) -> Vec<String> {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn placement_csv_has_one_row_per_vm_and_window() {
        let instance = testbed();
        let report = report(&instance);
        let rows = lines(&placement_csv(
            &instance,
            &report.solved.as_ref().unwrap().plan,
        ));
        assert_eq!(rows[0], "window,vm,site");
        assert_eq!(rows.len(), 1 + instance.num_vms() * instance.num_windows());
    }

    #[test]
    fn migrations_csv_carries_the_contract_columns_then_the_parts() {
        let instance = testbed();
        let report = report(&instance);
        let solved = report.solved.as_ref().unwrap();
        let rows = lines(&migrations_csv(
            &instance,
            &solved.evaluation,
            &solved.slots,
        ));
        assert!(rows[0].starts_with(
            "window,vm,from,to,kind,start_s,duration_s,downtime_s,sent_gb,rounds,converged,\
             energy_kwh,cost_eur,late,penalty_eur,downtime_eur,transfer_eur,energy_eur"
        ));
        assert_eq!(rows.len(), 1 + solved.evaluation.migrations.len());
    }

    #[test]
    fn site_windows_csv_has_one_row_per_site_and_window() {
        let instance = testbed();
        let report = report(&instance);
        let rows = lines(&site_windows_csv(
            &instance,
            &report.solved.as_ref().unwrap().evaluation,
        ));
        assert!(rows[0].starts_with("window,site,active_hosts,cpu_used,mem_used_gib,it_kw"));
        assert_eq!(
            rows.len(),
            1 + instance.num_sites() * instance.num_windows()
        );
    }

    #[test]
    fn summary_json_reads_back_with_its_figures() {
        let instance = testbed();
        let report = report(&instance);
        let json: serde_json::Value =
            serde_json::from_slice(&summary_json(&report.summary)).unwrap();
        assert_eq!(json["status"], "optimal");
        assert_eq!(json["stop_reason"], "optimal");
        assert_eq!(json["objective_eur"].as_f64(), report.summary.objective_eur);
        // Without a plan only the summary is written.
        let empty = PlanReport {
            summary: report.summary.clone(),
            solved: None,
        };
        let files: Vec<&str> = plan_files(&instance, &empty).iter().map(|f| f.0).collect();
        assert_eq!(files, vec!["summary.json"]);
    }

    #[test]
    fn instance_files_read_back_as_the_same_instance() {
        let instance = testbed();
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in instance_files(&instance) {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        assert_eq!(read_instance(dir.path()).unwrap(), instance);
    }
}
