//! Outputs of `plan` (SPEC section 4): pure functions to bytes, and one atomic directory write.
//!
//! Numbers are written with Rust's shortest round-trip formatting, so that every value reads back
//! to the same f64 and every EUR total is the sum of its parts as written.

use crate::evaluate::Evaluation;
use crate::instance::Instance;
use crate::plan::Plan;
use crate::report::Summary;
use crate::schedule::Slot;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

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

/// placement.csv: `window, vm, site`, by window then VM, then the VMs' `x_` columns.
pub fn placement_csv(instance: &Instance, plan: &Plan) -> Vec<u8> {
    let mut table = Table::new(header(&["window", "vm", "site"], vm_annotations(instance)));
    for t in 0..instance.num_windows() {
        for (v, vm) in instance.vms.iter().enumerate() {
            let site = &instance.sites[plan.site[[v, t]]].id;
            table.row(with_annotations(
                vec![t.to_string(), vm.id.clone(), site.clone()],
                &vm.annotations,
            ));
        }
    }
    table.into_bytes()
}

/// migrations.csv, by window then VM, with each migration's slot in its window's schedule.
/// Beyond SPEC's columns it carries the cost's parts (penalty, downtime, transfer, energy) and
/// the VMs' `x_` columns.
pub fn migrations_csv(instance: &Instance, evaluation: &Evaluation, slots: &[Slot]) -> Vec<u8> {
    let columns = [
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
    let mut table = Table::new(header(&columns, vm_annotations(instance)));
    for (m, slot) in evaluation.migrations.iter().zip(slots) {
        let vm = &instance.vms[m.vm];
        let fields = vec![
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
        table.row(with_annotations(fields, &vm.annotations));
    }
    table.into_bytes()
}

/// site_windows.csv, by window then site. Beyond SPEC's columns it carries `busy_cpu` and
/// `carbon_eur` (so that the summary's carbon_eur is a sum of written parts too) and the sites'
/// `x_` columns.
pub fn site_windows_csv(instance: &Instance, evaluation: &Evaluation) -> Vec<u8> {
    let columns = [
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
    let mut table = Table::new(header(&columns, site_annotations(instance)));
    for sw in &evaluation.site_windows {
        let site = &instance.sites[sw.site];
        let fields = vec![
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
        table.row(with_annotations(fields, &site.annotations));
    }
    table.into_bytes()
}

/// summary.json, pretty-printed with a trailing newline.
pub fn summary_json(summary: &Summary) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(summary).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Writes `files` into directory `out` all at once: they go to a fresh sibling directory first,
/// which then replaces `out`. On any failure nothing under `out` changes.
/// An existing `out` must be a directory; files in it that are not among `files` are dropped.
pub fn write_dir_atomically(out: &Path, files: &[(&str, Vec<u8>)]) -> std::io::Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let name = out
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} names no directory", out.display())))?
        .to_string_lossy()
        .to_string();
    if out.exists() && !out.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} exists and is not a directory",
            out.display()
        )));
    }
    let staging = parent.join(format!(".{name}.wattshift-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| {
        fs::create_dir(&staging)?;
        for (file, bytes) in files {
            let mut f = fs::File::create(staging.join(file))?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        if out.exists() {
            // Move the old directory aside first: rename cannot replace a non-empty directory.
            let old = parent.join(format!(".{name}.wattshift-old-{}", std::process::id()));
            let _ = fs::remove_dir_all(&old);
            fs::rename(out, &old)?;
            if let Err(e) = fs::rename(&staging, out) {
                let _ = fs::rename(&old, out);
                return Err(e);
            }
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&staging, out)?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}
