//! Reading an instance directory (docs/FORMAT.md §1) and a placement file, refusing bad input.
//!
//! Every rule of docs/FORMAT.md §1 is enforced here, so that a value of [`Instance`] is valid by
//! construction and the model code never re-checks it. Every error is an [`InputError`] that names
//! the file, the 1-based line (the header is line 1), the column by its header name, what was
//! found and what was expected. Nothing here panics on any input: cells are reached through a
//! column map built from the header, and every count is bounded by the number of rows read.
//!
//! The files are read whole and parsed with the `csv` crate as byte records, so that bytes that
//! are not UTF-8 can be reported at their line and column instead of failing the whole file.
//! Cells are never trimmed: `" 1"` is not a number. A UTF-8 byte-order mark at the start of a
//! file is accepted and skipped, since spreadsheet programs write one.

mod files;
mod lexers;
mod nodes;
mod params;
mod placement;
mod prices;
mod table;

pub(crate) use lexers::parse_rfc3339;
pub use nodes::read_nodes;
pub use placement::read_placement;
pub use prices::{parse_prices, MAX_PRICE_MAGNITUDE};
pub(crate) use table::{record_line, UTF8_BOM};
pub(crate) use table::{LINKS_SCHEMA, SITES_SCHEMA, VMS_SCHEMA, WINDOWS_SCHEMA};

use crate::domain::instance::{Instance, Params};
use crate::error::InputError;
use crate::io::magnitudes::{check_magnitudes, Sources};
use files::{read_links, read_sites, read_usage, read_vms, read_windows, Rows};
use ndarray::Array2;
use params::read_params;
use std::collections::BTreeMap;
use std::path::Path;
use table::{CsvFile, Errors, IdIndex};

/// Reads and validates the instance in directory `dir`.
///
/// Reads `sites.csv`, `vms.csv`, `windows.csv`, `links.csv` (required with more than one site,
/// optional and still validated with one), and the optional `usage.csv` and `params.toml`.
/// Files are checked in that order, each from top to bottom, and the first broken rule is
/// returned.
pub fn read_instance(dir: &Path) -> Result<Instance, InputError> {
    read_instance_all(dir, 1).map_err(|mut report| report.errors.swap_remove(0))
}

/// Every error one pass over an instance finds, in the order [`read_instance`] checks, up to
/// a cap.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    /// At least one error; the first is the one [`read_instance`] returns.
    pub errors: Vec<InputError>,
    /// Reading stopped at the cap, with rows or files left unchecked.
    pub truncated: bool,
}

/// Reads and validates the instance in `dir` as [`read_instance`] does, but on bad input goes
/// on past a bad row to the next, and past a bad file to the next one it can check, and returns
/// up to `cap` errors. A file that depends on a bad one is read as far as it can be: references
/// to ids that were read are resolved even when the rest of their row was bad; usage.csv is
/// skipped when windows.csv is bad, and the cross-file limits (docs/FORMAT.md §6) are checked
/// only when every file is good.
pub fn read_instance_all(dir: &Path, cap: usize) -> Result<Instance, ErrorReport> {
    let mut errors = Errors::new(cap);
    let report = |errors: Errors| ErrorReport {
        errors: errors.list,
        truncated: errors.truncated,
    };
    if dir.exists() && !dir.is_dir() {
        errors.push(InputError::file(
            dir.display().to_string(),
            "is a file, not a directory; expected an instance directory holding sites.csv, \
             vms.csv, windows.csv and (with more than one site) links.csv",
        ));
        return Err(report(errors));
    }
    // Every other file names sites, so nothing more can be checked without sites.csv's ids.
    let Some(sites) = errors
        .take(load_required_csv(dir, "sites.csv"))
        .and_then(|file| read_sites(&file, &mut errors))
    else {
        return Err(report(errors));
    };
    let site_ids = IdIndex::new("site", "sites.csv", sites.ids.iter().map(String::as_str));

    let vms = if errors.full() {
        None
    } else {
        errors
            .take(load_required_csv(dir, "vms.csv"))
            .and_then(|file| read_vms(&file, &site_ids, &mut errors))
    };

    let links = if errors.full() {
        None
    } else {
        match errors.take(load_csv(dir, "links.csv")) {
            Some(Some(file)) => read_links(&file, &site_ids, &mut errors),
            Some(None) if site_ids.len() > 1 => {
                errors.push(InputError::file(
                    "links.csv",
                    format!(
                        "file not found in {}; an instance with more than one site needs \
                         links.csv (sites.csv has {} sites)",
                        dir.display(),
                        site_ids.len()
                    ),
                ));
                None
            }
            Some(None) => Some(Rows {
                items: Vec::new(),
                lines: Vec::new(),
                ids: Vec::new(),
                clean: true,
            }),
            None => None,
        }
    };

    let windows = if errors.full() {
        None
    } else {
        errors
            .take(load_required_csv(dir, "windows.csv"))
            .and_then(|file| read_windows(&file, &site_ids, &mut errors))
    };

    let vm_ids = IdIndex::new(
        "vm",
        "vms.csv",
        vms.iter().flat_map(|v| v.ids.iter().map(String::as_str)),
    );
    let mut util = Array2::from_shape_fn(
        (
            vms.as_ref().map_or(0, |v| v.items.len()),
            windows.as_ref().map_or(0, |w| w.count),
        ),
        |(v, _)| {
            vms.as_ref()
                .and_then(|vms| vms.items.get(v))
                .map_or(1.0, |vm| vm.util)
        },
    );
    // usage.csv is read against the window count and the VM ids, so only when both are sound.
    if let (Some(windows), Some(vms)) = (&windows, &vms) {
        if vms.clean && !errors.full() {
            if let Some(Some(file)) = errors.take(load_csv(dir, "usage.csv")) {
                read_usage(&file, &vm_ids, windows.count, &mut util, &mut errors);
            }
        }
    }

    let params = if errors.full() {
        None
    } else {
        match errors.take(load_bytes(dir, "params.toml")) {
            Some(Some(bytes)) => errors.take(read_params(&bytes)),
            Some(None) => Some((Params::default(), BTreeMap::new())),
            None => None,
        }
    };

    let (Some(vms), Some(links), Some(windows), Some((params, param_lines))) =
        (vms, links, windows, params)
    else {
        return Err(report(errors));
    };
    if !errors.is_empty() || !sites.clean || !vms.clean || !links.clean {
        return Err(report(errors));
    }

    let sources = Sources {
        site_lines: sites.lines,
        vm_lines: vms.lines,
        link_lines: links.lines,
        window_lines: windows.lines,
        param_lines,
    };
    let instance = Instance {
        sites: sites.items,
        vms: vms.items,
        links: links.items,
        params,
        price_eur_mwh: windows.price_eur_mwh,
        renewable_kw: windows.renewable_kw,
        carbon_g_kwh: windows.carbon_g_kwh,
        window_start: windows.start,
        util,
    };
    if let Err(error) = check_magnitudes(&instance, &sources) {
        errors.push(error);
        return Err(report(errors));
    }
    Ok(instance)
}

/// The bytes of `dir/name`, or `None` when the file does not exist.
pub(crate) fn load_bytes(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, InputError> {
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InputError::file(
            name,
            format!("cannot read {}: {e}", dir.join(name).display()),
        )),
    }
}

pub(crate) fn load_csv(dir: &Path, name: &str) -> Result<Option<CsvFile>, InputError> {
    match load_bytes(dir, name)? {
        Some(bytes) => Ok(Some(CsvFile::parse(name, &bytes)?)),
        None => Ok(None),
    }
}

pub(crate) fn load_required_csv(dir: &Path, name: &str) -> Result<CsvFile, InputError> {
    load_csv(dir, name)?.ok_or_else(|| {
        InputError::file(
            name,
            format!(
                "file not found in {}; every instance needs sites.csv, vms.csv, windows.csv \
                 (and links.csv with more than one site)",
                dir.display()
            ),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// A small table reader: a header, a column map, and typed getters per row.
