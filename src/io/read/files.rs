//! The instance files of docs/FORMAT.md §1: sites.csv, vms.csv, links.csv, windows.csv and
//! usage.csv, each read row by row from its [`CsvFile`](super::table::CsvFile).

use super::lexers::*;
use super::table::*;
use crate::domain::instance::{Link, MigrationProfile, Site, SiteId, Vm, VmId};
use crate::error::InputError;
use ndarray::Array2;
use std::collections::{BTreeMap, HashMap};

/// What one file gave: its records, the line of each, and (for sites.csv and vms.csv) every id
/// read, also from rows that broke a later rule, so that other files' references to them are
/// not reported as unknown.
pub(crate) struct Rows<T> {
    pub(crate) items: Vec<T>,
    pub(crate) lines: Vec<u64>,
    pub(crate) ids: Vec<String>,
    /// The file broke no rule.
    pub(crate) clean: bool,
}

/// Reads every row of `table` with `read`, which gets the row and its id (the cell of
/// `id_column`, when given); a bad row's error goes to `errors` and the next row is read.
fn read_rows<'a, T>(
    table: &'a Table<'a>,
    id_column: Option<&str>,
    errors: &mut Errors,
    mut read: impl FnMut(&Row<'a>, &'a str) -> Result<T, InputError>,
) -> Rows<T> {
    let before = errors.len();
    let mut rows = Rows {
        items: Vec::new(),
        lines: Vec::new(),
        ids: Vec::new(),
        clean: true,
    };
    for row in table.rows() {
        if errors.full() {
            break;
        }
        let Some(row) = errors.take(row) else {
            continue;
        };
        let id = match id_column {
            Some(column) => match errors.take(row.req_id(column)) {
                Some(id) => {
                    rows.ids.push(id.to_string());
                    id
                }
                None => continue,
            },
            None => "",
        };
        if let Some(item) = errors.take(read(&row, id)) {
            rows.lines.push(row.line);
            rows.items.push(item);
        }
    }
    rows.clean = errors.len() == before && !errors.truncated;
    rows
}

/// Reads sites.csv: at least one site, ids unique.
pub(crate) fn read_sites(file: &CsvFile, errors: &mut Errors) -> Option<Rows<Site>> {
    let table = errors.take(file.table(&SITES_SCHEMA))?;
    let mut seen = UniqueIds::new("site");
    let mut rows = read_rows(&table, Some("site"), errors, |row, id| {
        seen.insert(row, "site", id)?;
        let hosts = row.req_u32("hosts", 0)?;
        let host_cpu = row.req_f64("host_cpu", Range::positive())?;
        let host_mem_gib = row.req_f64("host_mem_gib", Range::positive())?;
        let idle_w = row.req_f64("idle_w", Range::at_least(0.0))?;
        Ok(Site {
            id: id.to_string(),
            hosts,
            host_cpu,
            host_mem_gib,
            idle_w,
            peak_w: row.req_f64("peak_w", Range::at_least(idle_w).named("idle_w"))?,
            pue: row.req_f64("pue", Range::at_least(1.0))?,
            cpu_overcommit: row.f64_or("cpu_overcommit", 1.0, Range::at_least(1.0))?,
            max_migrations: row.opt_u32("max_migrations", 0)?,
            zone: {
                row.printable_text("zone", row.text("zone"), true)?;
                row.text("zone").to_string()
            },
            annotations: row.printable_annotations()?,
        })
    });
    if rows.clean && rows.items.is_empty() {
        rows.clean = false;
        errors.push(InputError::at_line(
            &file.name,
            1,
            "the file has a header but no rows; expected at least one site",
        ));
    }
    Some(rows)
}

/// Reads vms.csv (zero rows is an empty fleet), resolving site ids against sites.csv.
pub(crate) fn read_vms(
    file: &CsvFile,
    site_ids: &IdIndex,
    errors: &mut Errors,
) -> Option<Rows<Vm>> {
    let table = errors.take(file.table(&VMS_SCHEMA))?;
    let mut seen = UniqueIds::new("vm");
    let rows = read_rows(&table, Some("vm"), errors, |row, id| {
        seen.insert(row, "vm", id)?;
        let initial_site = site_ids.lookup(row, "site")?;
        let cpu = row.req_f64("cpu", Range::positive())?;
        let mem_gib = row.req_f64("mem_gib", Range::positive())?;
        let util = row.f64_or("util", 1.0, Range::closed(0.0, 1.0))?;
        let disk_gib = row.f64_or("disk_gib", 0.0, Range::at_least(0.0))?;
        // The memory defaults chain: mem_used_gib defaults to mem_gib, wss_gib to mem_used_gib,
        // and each bounds the next, so a default can never break the rule that follows it.
        let mem_used_gib = row.f64_or(
            "mem_used_gib",
            mem_gib,
            Range::positive_up_to(mem_gib, "mem_gib"),
        )?;
        let wss_gib = row.f64_or(
            "wss_gib",
            mem_used_gib,
            Range::positive_up_to(mem_used_gib, "mem_used_gib"),
        )?;
        let dirty_mib_s = row.f64_or("dirty_mib_s", 0.0, Range::at_least(0.0))?;
        let disk_write_mib_s = row.f64_or("disk_write_mib_s", 0.0, Range::at_least(0.0))?;
        let kind = row.migration_kind("migration")?;
        let boot_s = row.f64_or("boot_s", 60.0, Range::at_least(0.0))?;
        let allowed_sites = row.site_list("allowed_sites", site_ids)?;
        let anchor_site = match row.opt_id("anchor_site")? {
            Some(_) => Some(site_ids.lookup(row, "anchor_site")?),
            None => None,
        };
        let max_latency_ms = row.opt_f64("max_latency_ms", Range::at_least(0.0))?;
        if max_latency_ms.is_some() && anchor_site.is_none() {
            return Err(row.error(
                "max_latency_ms",
                format!(
                    "max_latency_ms is {} but anchor_site is empty; expected anchor_site too \
                     (the site its users reach it from), or an empty max_latency_ms",
                    quote(row.text("max_latency_ms"))
                ),
            ));
        }
        row.printable("anti_affinity", row.text("anti_affinity"))?;
        row.uuid_annotation()?;
        let anti_affinity = Some(row.text("anti_affinity"))
            .filter(|label| !label.is_empty())
            .map(str::to_string);
        Ok(Vm {
            id: id.to_string(),
            initial_site,
            cpu,
            mem_gib,
            util,
            profile: MigrationProfile {
                kind,
                mem_used_gib,
                wss_gib,
                disk_gib,
                dirty_mib_s,
                disk_write_mib_s,
                boot_s,
            },
            allowed_sites,
            anchor_site,
            max_latency_ms,
            anti_affinity,
            penalty_eur_per_s: row.f64_or("penalty_eur_per_s", 0.0, Range::at_least(0.0))?,
            downtime_eur_per_s: row.f64_or("downtime_eur_per_s", 0.0, Range::at_least(0.0))?,
            annotations: row.printable_annotations()?,
        })
    });
    Some(rows)
}

/// Reads links.csv: distinct known sites, at most one row per unordered pair.
pub(crate) fn read_links(
    file: &CsvFile,
    site_ids: &IdIndex,
    errors: &mut Errors,
) -> Option<Rows<Link>> {
    let table = errors.take(file.table(&LINKS_SCHEMA))?;
    // A row is a full-duplex link, so a pair is keyed with its smaller site index first.
    let mut pairs: HashMap<(SiteId, SiteId), u64> = HashMap::new();
    let rows = read_rows(&table, None, errors, |row, _| {
        let from = site_ids.lookup(row, "from")?;
        let to = site_ids.lookup(row, "to")?;
        if from == to {
            return Err(row.error(
                "to",
                format!(
                    "link from {} to itself; expected two distinct sites",
                    quote(site_ids.name(from))
                ),
            ));
        }
        let key = (from.min(to), from.max(to));
        if let Some(first) = pairs.get(&key) {
            return Err(row.error(
                "from",
                format!(
                    "duplicate link between {} and {} (first on line {first}); expected one row \
                     per pair of sites (a row is a full-duplex link, both directions)",
                    quote(site_ids.name(from)),
                    quote(site_ids.name(to))
                ),
            ));
        }
        pairs.insert(key, row.line);
        Ok(Link {
            from,
            to,
            bandwidth_gbps: row.req_f64("bandwidth_gbps", Range::positive())?,
            latency_ms: row.f64_or("latency_ms", 0.0, Range::at_least(0.0))?,
            eur_per_gb: row.f64_or("eur_per_gb", 0.0, Range::at_least(0.0))?,
        })
    });
    Some(rows)
}

/// The tables of windows.csv, `[window, site]`, and the number of windows T.
pub(crate) struct Windows {
    pub(crate) count: usize,
    pub(crate) price_eur_mwh: Array2<f64>,
    pub(crate) renewable_kw: Array2<f64>,
    pub(crate) carbon_g_kwh: Array2<f64>,
    pub(crate) start: Array2<String>,
    /// The line of each (window, site) row.
    pub(crate) lines: Array2<u64>,
}

/// One row of windows.csv, kept until every (window, site) pair is known to be present.
pub(crate) struct WindowRow {
    pub(crate) window: usize,
    pub(crate) site: SiteId,
    pub(crate) price_eur_mwh: f64,
    pub(crate) renewable_kw: f64,
    pub(crate) carbon_g_kwh: f64,
    pub(crate) start: String,
    pub(crate) line: u64,
}

/// Reads windows.csv into `[window, site]` tables: windows 0..T-1 without gaps, every
/// (window, site) pair exactly once.
pub(crate) fn read_windows(
    file: &CsvFile,
    site_ids: &IdIndex,
    errors: &mut Errors,
) -> Option<Windows> {
    let table = errors.take(file.table(&WINDOWS_SCHEMA))?;
    let mut line_of_pair: HashMap<(usize, SiteId), u64> = HashMap::new();
    // The first line of each window number, in window order, for the gap and pair checks.
    let mut first_line_of_window: BTreeMap<usize, u64> = BTreeMap::new();
    let read = read_rows(&table, None, errors, |row, _| {
        let window = row.req_window_number("window")?;
        let site = site_ids.lookup(row, "site")?;
        if let Some(first) = line_of_pair.get(&(window, site)) {
            return Err(row.error(
                "site",
                format!(
                    "duplicate row for window {window} and site {} (first on line {first}); \
                     expected every (window, site) pair exactly once",
                    quote(site_ids.name(site))
                ),
            ));
        }
        line_of_pair.insert((window, site), row.line);
        first_line_of_window.entry(window).or_insert(row.line);
        let price_eur_mwh = row.req_f64("price_eur_mwh", Range::any())?;
        let renewable_kw = row.f64_or("renewable_kw", 0.0, Range::at_least(0.0))?;
        let carbon_g_kwh = row.f64_or("carbon_g_kwh", 0.0, Range::at_least(0.0))?;
        let start = row.text("start");
        if !start.is_empty() && !is_rfc3339_date_time(start) {
            return Err(row.error(
                "start",
                format!(
                    "expected an RFC 3339 date-time such as 2024-01-31T13:00:00Z or \
                     2024-01-31T14:00:00+01:00 (or an empty cell), found {}",
                    quote(start)
                ),
            ));
        }
        Ok(WindowRow {
            window,
            site,
            price_eur_mwh,
            renewable_kw,
            carbon_g_kwh,
            start: start.to_string(),
            line: row.line,
        })
    });
    if !read.clean {
        return None;
    }
    errors.take(check_windows(
        file,
        site_ids,
        read.items,
        &line_of_pair,
        &first_line_of_window,
    ))
}

/// The whole-file rules of windows.csv, once every row has been read without error, and its
/// tables.
fn check_windows(
    file: &CsvFile,
    site_ids: &IdIndex,
    rows: Vec<WindowRow>,
    line_of_pair: &HashMap<(usize, SiteId), u64>,
    first_line_of_window: &BTreeMap<usize, u64>,
) -> Result<Windows, InputError> {
    if rows.is_empty() {
        return Err(InputError::at_line(
            &file.name,
            1,
            "the file has a header but no rows; expected at least one window for every site",
        ));
    }

    // The windows present, in order, must be exactly 0, 1, ..., T-1. Checking the sorted
    // distinct numbers against their rank finds a gap without allocating anything sized by the
    // largest number, which a typo could make huge.
    for (rank, (&window, &line)) in first_line_of_window.iter().enumerate() {
        if window != rank {
            return Err(InputError::at(
                &file.name,
                line,
                "window",
                format!(
                    "no row has window {rank}, but this row has window {window}; expected windows \
                     numbered 0, 1, 2, … without gaps"
                ),
            ));
        }
    }
    let count = first_line_of_window.len();
    let num_sites = site_ids.len();
    // Every pair visited before the first missing one is present, so this loop is bounded by
    // the number of rows.
    for (&window, &line) in first_line_of_window {
        for site in 0..num_sites {
            if !line_of_pair.contains_key(&(window, site)) {
                return Err(InputError::at(
                    &file.name,
                    line,
                    "site",
                    format!(
                        "window {window} has no row for site {}; expected every (window, site) \
                         pair exactly once",
                        quote(site_ids.name(site))
                    ),
                ));
            }
        }
    }

    // Now rows.len() == count × num_sites, and each row fills its own cell.
    let cells = count.saturating_mul(num_sites);
    let mut price = vec![0.0; cells];
    let mut renewable = vec![0.0; cells];
    let mut carbon = vec![0.0; cells];
    let mut start = vec![String::new(); cells];
    let mut lines = vec![0u64; cells];
    for row in rows {
        if let Some(l) = lines.get_mut(row.window * num_sites + row.site) {
            *l = row.line;
        }
        let cell = row.window * num_sites + row.site;
        if let (Some(p), Some(r), Some(c), Some(s)) = (
            price.get_mut(cell),
            renewable.get_mut(cell),
            carbon.get_mut(cell),
            start.get_mut(cell),
        ) {
            *p = row.price_eur_mwh;
            *r = row.renewable_kw;
            *c = row.carbon_g_kwh;
            *s = row.start;
        }
    }
    let shape = (count, num_sites);
    let shape_error =
        |e: ndarray::ShapeError| InputError::file(&file.name, format!("internal error: {e}"));
    Ok(Windows {
        count,
        price_eur_mwh: Array2::from_shape_vec(shape, price).map_err(shape_error)?,
        renewable_kw: Array2::from_shape_vec(shape, renewable).map_err(shape_error)?,
        carbon_g_kwh: Array2::from_shape_vec(shape, carbon).map_err(shape_error)?,
        start: Array2::from_shape_vec(shape, start).map_err(shape_error)?,
        lines: Array2::from_shape_vec(shape, lines).map_err(shape_error)?,
    })
}

/// Applies usage.csv to `util` (`[vm, window]`): at most one row per (window, vm).
pub(crate) fn read_usage(
    file: &CsvFile,
    vm_ids: &IdIndex,
    windows: usize,
    util: &mut Array2<f64>,
    errors: &mut Errors,
) {
    let Some(table) = errors.take(file.table(&Schema {
        required: &["window", "vm", "util"],
        optional: &[],
    })) else {
        return;
    };
    let mut seen: HashMap<(usize, VmId), u64> = HashMap::new();
    read_rows(&table, None, errors, |row, _| {
        let window = row.req_window("window", windows, "windows.csv")?;
        let vm = vm_ids.lookup(row, "vm")?;
        if let Some(first) = seen.get(&(window, vm)) {
            return Err(row.error(
                "vm",
                format!(
                    "duplicate row for window {window} and vm {} (first on line {first}); \
                     expected at most one util per VM and window",
                    quote(vm_ids.name(vm))
                ),
            ));
        }
        seen.insert((window, vm), row.line);
        let value = row.req_f64("util", Range::closed(0.0, 1.0))?;
        if let Some(cell) = util.get_mut([vm, window]) {
            *cell = value;
        }
        Ok(())
    });
}
