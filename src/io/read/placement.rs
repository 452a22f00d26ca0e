//! A placement CSV (`window, vm, site`) from any tool, for `evaluate`.

use super::table::*;
use crate::domain::instance::{Instance, SiteId};
use crate::domain::plan::Plan;
use crate::error::InputError;
use ndarray::Array2;
use std::path::Path;

/// Reads a placement CSV (`window, vm, site`; `window_start` and `x_` columns are ignored) for
/// `instance`.
///
/// Every (vm, window) pair must appear exactly once; errors name the file by `path` as given.
pub fn read_placement(path: &Path, instance: &Instance) -> Result<Plan, InputError> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(InputError::file(
                name,
                "file not found; expected a placement CSV with columns window, vm, site",
            ))
        }
        Err(e) => return Err(InputError::file(name, format!("cannot read the file: {e}"))),
    };
    let file = CsvFile::parse(&name, &bytes)?;
    let table = file.table(&Schema {
        required: &["window", "vm", "site"],
        // What placement.csv carries when windows.csv has starts; not checked against them.
        optional: &["window_start"],
    })?;
    let site_ids = IdIndex::new(
        "site",
        "sites.csv",
        instance.sites.iter().map(|s| s.id.as_str()),
    );
    let vm_ids = IdIndex::new("vm", "vms.csv", instance.vms.iter().map(|v| v.id.as_str()));
    let windows = instance.num_windows();
    let vms = instance.num_vms();

    // One slot per (vm, window), holding the site and the line that set it; the size is the
    // instance's own, not anything the file claims.
    let mut placed: Vec<Option<(SiteId, u64)>> = vec![None; vms.saturating_mul(windows)];
    let mut first_line_of_vm: Vec<Option<u64>> = vec![None; vms];
    for row in table.rows() {
        let row = row?;
        let window = row.req_window("window", windows, "the instance")?;
        let vm = vm_ids.lookup(&row, "vm")?;
        let site = site_ids.lookup(&row, "site")?;
        let slot = placed.get_mut(vm * windows + window);
        match slot {
            Some(Some((_, first))) => {
                return Err(row.error(
                    "vm",
                    format!(
                        "duplicate row for vm {} in window {window} (first on line {first}); \
                         expected one row per VM and window",
                        quote(vm_ids.name(vm))
                    ),
                ))
            }
            Some(slot) => *slot = Some((site, row.line)),
            None => return Err(row.error("window", "internal error: placement slot out of range")),
        }
        if let Some(first) = first_line_of_vm.get_mut(vm) {
            first.get_or_insert(row.line);
        }
    }

    let mut sites = Vec::with_capacity(placed.len());
    for vm in 0..vms {
        for window in 0..windows {
            match placed.get(vm * windows + window).copied().flatten() {
                Some((site, _)) => sites.push(site),
                None => {
                    let vm_name = quote(vm_ids.name(vm));
                    return Err(match first_line_of_vm.get(vm).copied().flatten() {
                        Some(line) => InputError::at(
                            &name,
                            line,
                            "window",
                            format!(
                                "vm {vm_name} has no row for window {window}; expected one row \
                                 per VM and window (windows 0 to {})",
                                windows.saturating_sub(1)
                            ),
                        ),
                        None => InputError::at(
                            &name,
                            1,
                            "vm",
                            format!(
                                "vm {vm_name} has no rows (first missing: window {window}); \
                                 expected one row per VM and window"
                            ),
                        ),
                    });
                }
            }
        }
    }
    let site = Array2::from_shape_vec((vms, windows), sites).map_err(|e| {
        InputError::file(
            &name,
            format!("internal error: placement shape mismatch ({e})"),
        )
    })?;
    Ok(Plan { site })
}

// ---------------------------------------------------------------------------------------------
// The files of an instance.
