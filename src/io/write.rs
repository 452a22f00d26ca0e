//! Outputs of `plan` (SPEC section 4): pure functions to bytes, and one atomic directory write.
//!
//! Numbers are written with Rust's shortest round-trip formatting, so that every value reads back
//! to the same f64 and every EUR total is the sum of its parts as written.

use crate::evaluate::Evaluation;
use crate::instance::Instance;
use crate::plan::Plan;
use crate::report::Summary;
use crate::schedule::Slot;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// placement.csv: `window, vm, site`, by window then VM.
pub fn placement_csv(instance: &Instance, plan: &Plan) -> Vec<u8> {
    let mut out = String::from("window,vm,site\n");
    for t in 0..instance.num_windows() {
        for (v, vm) in instance.vms.iter().enumerate() {
            let _ = writeln!(
                out,
                "{t},{},{}",
                vm.id,
                instance.sites[plan.site[[v, t]]].id
            );
        }
    }
    out.into_bytes()
}

/// migrations.csv, by window then VM, with each migration's slot in its window's schedule.
/// Beyond SPEC's columns it carries the cost's parts: penalty, downtime, transfer and energy.
pub fn migrations_csv(instance: &Instance, evaluation: &Evaluation, slots: &[Slot]) -> Vec<u8> {
    let mut out = String::from(
        "window,vm,from,to,kind,start_s,duration_s,downtime_s,sent_gb,rounds,converged,energy_kwh,cost_eur,late,penalty_eur,downtime_eur,transfer_eur,energy_eur\n",
    );
    for (m, slot) in evaluation.migrations.iter().zip(slots) {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            m.window,
            instance.vms[m.vm].id,
            instance.sites[m.from].id,
            instance.sites[m.to].id,
            m.kind,
            slot.start_s,
            m.duration_s,
            m.downtime_s,
            m.sent_bytes / 1e9,
            m.rounds,
            m.converged,
            m.energy_kwh,
            m.cost_eur,
            slot.late,
            m.penalty_eur,
            m.downtime_eur,
            m.transfer_eur,
            m.energy_eur,
        );
    }
    out.into_bytes()
}

/// site_windows.csv, by window then site. Beyond SPEC's columns it carries `busy_cpu` and
/// `carbon_eur`, so that the summary's carbon_eur is a sum of written parts too.
pub fn site_windows_csv(instance: &Instance, evaluation: &Evaluation) -> Vec<u8> {
    let mut out = String::from(
        "window,site,active_hosts,cpu_used,mem_used_gib,it_kw,facility_kw,renewable_used_kw,grid_kw,energy_eur,carbon_kg,cost_eur,busy_cpu,carbon_eur\n",
    );
    for sw in &evaluation.site_windows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            sw.window,
            instance.sites[sw.site].id,
            sw.active_hosts,
            sw.cpu_used,
            sw.mem_used_gib,
            sw.it_kw,
            sw.facility_kw,
            sw.renewable_used_kw,
            sw.grid_kw,
            sw.energy_eur,
            sw.carbon_kg,
            sw.cost_eur,
            sw.busy_cpu,
            sw.carbon_eur,
        );
    }
    out.into_bytes()
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
