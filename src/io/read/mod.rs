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
mod params;
mod placement;
mod table;

pub use placement::read_placement;
pub(crate) use table::{LINKS_SCHEMA, SITES_SCHEMA, VMS_SCHEMA, WINDOWS_SCHEMA};

use crate::domain::instance::{Instance, Params};
use crate::error::InputError;
use crate::io::magnitudes::{check_magnitudes, Sources};
use files::{read_links, read_sites, read_usage, read_vms, read_windows};
use ndarray::Array2;
use params::read_params;
use std::collections::BTreeMap;
use std::path::Path;
use table::{CsvFile, IdIndex};

/// Reads and validates the instance in directory `dir`.
///
/// Reads `sites.csv`, `vms.csv`, `windows.csv`, `links.csv` (required with more than one site,
/// optional and still validated with one), and the optional `usage.csv` and `params.toml`.
/// Files are checked in that order, each from top to bottom, and the first broken rule is
/// returned.
pub fn read_instance(dir: &Path) -> Result<Instance, InputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(InputError::file(
            dir.display().to_string(),
            "is a file, not a directory; expected an instance directory holding sites.csv, \
             vms.csv, windows.csv and (with more than one site) links.csv",
        ));
    }
    let sites_file = load_required_csv(dir, "sites.csv")?;
    let (sites, site_lines) = read_sites(&sites_file)?;
    let site_ids = IdIndex::new("site", "sites.csv", sites.iter().map(|s| s.id.as_str()));

    let vms_file = load_required_csv(dir, "vms.csv")?;
    let (vms, vm_lines) = read_vms(&vms_file, &site_ids)?;

    let (links, link_lines) = match load_csv(dir, "links.csv")? {
        Some(file) => read_links(&file, &site_ids)?,
        None if sites.len() > 1 => {
            return Err(InputError::file(
                "links.csv",
                format!(
                    "file not found in {}; an instance with more than one site needs links.csv \
                     (sites.csv has {} sites)",
                    dir.display(),
                    sites.len()
                ),
            ))
        }
        None => (Vec::new(), Vec::new()),
    };

    let windows_file = load_required_csv(dir, "windows.csv")?;
    let windows = read_windows(&windows_file, &site_ids)?;

    let vm_ids = IdIndex::new("vm", "vms.csv", vms.iter().map(|v| v.id.as_str()));
    let mut util = Array2::from_shape_fn((vms.len(), windows.count), |(v, _)| {
        vms.get(v).map_or(1.0, |vm| vm.util)
    });
    if let Some(file) = load_csv(dir, "usage.csv")? {
        read_usage(&file, &vm_ids, windows.count, &mut util)?;
    }

    let (params, param_lines) = match load_bytes(dir, "params.toml")? {
        Some(bytes) => read_params(&bytes)?,
        None => (Params::default(), BTreeMap::new()),
    };

    let sources = Sources {
        site_lines,
        vm_lines,
        link_lines,
        window_lines: windows.lines,
        param_lines,
    };
    let instance = Instance {
        sites,
        vms,
        links,
        params,
        price_eur_mwh: windows.price_eur_mwh,
        renewable_kw: windows.renewable_kw,
        carbon_g_kwh: windows.carbon_g_kwh,
        window_start: windows.start,
        util,
    };
    check_magnitudes(&instance, &sources)?;
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
