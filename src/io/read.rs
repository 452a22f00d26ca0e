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

use crate::error::InputError;
use crate::instance::{
    Instance, Link, MigrationKind, MigrationProfile, Params, Site, SiteId, Vm, VmId,
};
use crate::io::magnitudes::{check_magnitudes, Sources};
use crate::plan::Plan;
use ndarray::Array2;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

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

/// Reads a placement CSV (`window, vm, site`; `x_` columns are ignored) for `instance`.
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
        optional: &[],
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

/// Reads sites.csv: at least one site, ids unique.
fn read_sites(file: &CsvFile) -> Result<(Vec<Site>, Vec<u64>), InputError> {
    let table = file.table(&SITES_SCHEMA)?;
    let mut sites: Vec<Site> = Vec::new();
    let mut lines = Vec::new();
    let mut seen = UniqueIds::new("site");
    for row in table.rows() {
        let row = row?;
        let id = row.req_id("site")?;
        seen.insert(&row, "site", id)?;
        let hosts = row.req_u32("hosts", 0)?;
        let host_cpu = row.req_f64("host_cpu", Range::positive())?;
        let host_mem_gib = row.req_f64("host_mem_gib", Range::positive())?;
        let idle_w = row.req_f64("idle_w", Range::at_least(0.0))?;
        lines.push(row.line);
        sites.push(Site {
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
        });
    }
    if sites.is_empty() {
        return Err(InputError::at_line(
            &file.name,
            1,
            "the file has a header but no rows; expected at least one site",
        ));
    }
    Ok((sites, lines))
}

/// Reads vms.csv (zero rows is an empty fleet), resolving site ids against sites.csv.
fn read_vms(file: &CsvFile, site_ids: &IdIndex) -> Result<(Vec<Vm>, Vec<u64>), InputError> {
    let table = file.table(&VMS_SCHEMA)?;
    let mut vms = Vec::new();
    let mut lines = Vec::new();
    let mut seen = UniqueIds::new("vm");
    for row in table.rows() {
        let row = row?;
        let id = row.req_id("vm")?;
        seen.insert(&row, "vm", id)?;
        let initial_site = site_ids.lookup(&row, "site")?;
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
            Some(_) => Some(site_ids.lookup(&row, "anchor_site")?),
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
        let anti_affinity = Some(row.text("anti_affinity"))
            .filter(|label| !label.is_empty())
            .map(str::to_string);
        lines.push(row.line);
        vms.push(Vm {
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
        });
    }
    Ok((vms, lines))
}

/// Reads links.csv: distinct known sites, at most one row per unordered pair.
fn read_links(file: &CsvFile, site_ids: &IdIndex) -> Result<(Vec<Link>, Vec<u64>), InputError> {
    let table = file.table(&LINKS_SCHEMA)?;
    let mut links = Vec::new();
    let mut lines = Vec::new();
    // A row is a full-duplex link, so a pair is keyed with its smaller site index first.
    let mut pairs: HashMap<(SiteId, SiteId), u64> = HashMap::new();
    for row in table.rows() {
        let row = row?;
        let from = site_ids.lookup(&row, "from")?;
        let to = site_ids.lookup(&row, "to")?;
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
        lines.push(row.line);
        links.push(Link {
            from,
            to,
            bandwidth_gbps: row.req_f64("bandwidth_gbps", Range::positive())?,
            latency_ms: row.f64_or("latency_ms", 0.0, Range::at_least(0.0))?,
            eur_per_gb: row.f64_or("eur_per_gb", 0.0, Range::at_least(0.0))?,
        });
    }
    Ok((links, lines))
}

/// The tables of windows.csv, `[window, site]`, and the number of windows T.
struct Windows {
    count: usize,
    price_eur_mwh: Array2<f64>,
    renewable_kw: Array2<f64>,
    carbon_g_kwh: Array2<f64>,
    start: Array2<String>,
    /// The line of each (window, site) row.
    lines: Array2<u64>,
}

/// One row of windows.csv, kept until every (window, site) pair is known to be present.
struct WindowRow {
    window: usize,
    site: SiteId,
    price_eur_mwh: f64,
    renewable_kw: f64,
    carbon_g_kwh: f64,
    start: String,
    line: u64,
}

/// Reads windows.csv into `[window, site]` tables: windows 0..T-1 without gaps, every
/// (window, site) pair exactly once.
fn read_windows(file: &CsvFile, site_ids: &IdIndex) -> Result<Windows, InputError> {
    let table = file.table(&WINDOWS_SCHEMA)?;
    let mut rows = Vec::new();
    let mut line_of_pair: HashMap<(usize, SiteId), u64> = HashMap::new();
    // The first line of each window number, in window order, for the gap and pair checks.
    let mut first_line_of_window: BTreeMap<usize, u64> = BTreeMap::new();
    for row in table.rows() {
        let row = row?;
        let window = row.req_window_number("window")?;
        let site = site_ids.lookup(&row, "site")?;
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
        rows.push(WindowRow {
            window,
            site,
            price_eur_mwh,
            renewable_kw,
            carbon_g_kwh,
            start: start.to_string(),
            line: row.line,
        });
    }
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
    for (&window, &line) in &first_line_of_window {
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
fn read_usage(
    file: &CsvFile,
    vm_ids: &IdIndex,
    windows: usize,
    util: &mut Array2<f64>,
) -> Result<(), InputError> {
    let table = file.table(&Schema {
        required: &["window", "vm", "util"],
        optional: &[],
    })?;
    let mut seen: HashMap<(usize, VmId), u64> = HashMap::new();
    for row in table.rows() {
        let row = row?;
        let window = row.req_window("window", windows, "windows.csv")?;
        let vm = vm_ids.lookup(&row, "vm")?;
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
    }
    Ok(())
}

/// What a key of params.toml takes.
#[derive(Debug, Clone, Copy)]
enum ParamRule {
    /// A TOML float or integer in the range.
    Number(Range),
    /// A TOML integer at least this large (and at most `u32::MAX`).
    Integer { minimum: u32 },
}

/// The keys of params.toml in the order of docs/FORMAT.md §1, with their rules.
const PARAM_RULES: [(&str, ParamRule); 10] = [
    ("window_hours", ParamRule::Number(Range::positive())),
    ("carbon_eur_per_t", ParamRule::Number(Range::at_least(0.0))),
    (
        "link_efficiency",
        ParamRule::Number(Range::positive_up_to(1.0, "")),
    ),
    ("concurrency", ParamRule::Integer { minimum: 1 }),
    ("max_downtime_ms", ParamRule::Number(Range::positive())),
    ("max_rounds", ParamRule::Integer { minimum: 0 }),
    ("setup_s", ParamRule::Number(Range::at_least(0.0))),
    ("resume_s", ParamRule::Number(Range::at_least(0.0))),
    ("energy_j_per_mb", ParamRule::Number(Range::at_least(0.0))),
    ("energy_j_fixed", ParamRule::Number(Range::at_least(0.0))),
];

/// A checked value of params.toml.
enum ParamValue {
    Number(f64),
    Integer(u32),
}

/// Reads params.toml: known keys only, each with its type and range; absent keys keep their
/// defaults.
fn read_params(bytes: &[u8]) -> Result<(Params, BTreeMap<String, u64>), InputError> {
    const FILE: &str = "params.toml";
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        InputError::at_line(
            FILE,
            line_of_offset(before, before.len()),
            "the file is not valid UTF-8; expected a UTF-8 TOML file",
        )
    })?;
    // Spanned keys give every error its line.
    let table: BTreeMap<toml::Spanned<String>, toml::Value> =
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map_or(1, |span| line_of_offset(text.as_bytes(), span.start));
            InputError::at_line(
                FILE,
                line,
                format!("invalid TOML: {}", e.message().trim_end()),
            )
        })?;
    // Keys are checked in file order, so that the first error reported is the first in the file.
    let mut entries: Vec<_> = table.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);

    let mut params = Params::default();
    let mut lines = BTreeMap::new();
    for (key, value) in entries {
        let line = line_of_offset(text.as_bytes(), key.span().start);
        let name = key.get_ref().as_str();
        lines.insert(name.to_string(), line);
        let error = |message: String| InputError::at(FILE, line, name, message);
        let Some(&(_, rule)) = PARAM_RULES.iter().find(|(known, _)| *known == name) else {
            let known: Vec<&str> = PARAM_RULES.iter().map(|(known, _)| *known).collect();
            return Err(error(format!(
                "unknown key {}; expected one of: {}",
                quote(name),
                known.join(", ")
            )));
        };
        let checked = match rule {
            ParamRule::Integer { minimum } => {
                let expected =
                    format!("an integer ≥ {minimum} (a TOML integer, such as 4, not 4.0)");
                let toml::Value::Integer(number) = value else {
                    return Err(error(format!(
                        "expected {expected}, found {}",
                        describe_toml(&value)
                    )));
                };
                let number = u32::try_from(number)
                    .ok()
                    .filter(|&n| n >= minimum)
                    .ok_or_else(|| {
                        error(format!(
                            "expected {}, found {number}",
                            integer_rule(minimum, i128::from(number))
                        ))
                    })?;
                ParamValue::Integer(number)
            }
            ParamRule::Number(range) => {
                let number = match value {
                    toml::Value::Float(f) => f,
                    // Integers are exact as f64 up to 2^53; a larger one is a huge number anyway.
                    toml::Value::Integer(i) => i as f64,
                    _ => f64::NAN,
                };
                if !number.is_finite() || !range.contains(number) {
                    return Err(error(format!(
                        "expected {}, found {}",
                        range.with_rule("a number"),
                        describe_toml(&value)
                    )));
                }
                // Adding zero turns -0 into 0.
                ParamValue::Number(number + 0.0)
            }
        };
        match (name, checked) {
            ("window_hours", ParamValue::Number(x)) => params.window_hours = x,
            ("carbon_eur_per_t", ParamValue::Number(x)) => params.carbon_eur_per_t = x,
            ("link_efficiency", ParamValue::Number(x)) => params.link_efficiency = x,
            ("concurrency", ParamValue::Integer(n)) => params.concurrency = n,
            ("max_downtime_ms", ParamValue::Number(x)) => params.max_downtime_ms = x,
            ("max_rounds", ParamValue::Integer(n)) => params.max_rounds = n,
            ("setup_s", ParamValue::Number(x)) => params.setup_s = x,
            ("resume_s", ParamValue::Number(x)) => params.resume_s = x,
            ("energy_j_per_mb", ParamValue::Number(x)) => params.energy_j_per_mb = x,
            ("energy_j_fixed", ParamValue::Number(x)) => params.energy_j_fixed = x,
            // PARAM_RULES and this match name the same keys with the same kinds.
            _ => {
                return Err(error(
                    "internal error: params key without a setter".to_string(),
                ))
            }
        }
    }
    Ok((params, lines))
}

/// The rule an out-of-range integer broke: its minimum, or the `u32` maximum when it is too large.
fn integer_rule(minimum: u32, found: i128) -> String {
    if found < i128::from(minimum) {
        format!("an integer ≥ {minimum}")
    } else {
        format!("an integer ≥ {minimum} and ≤ {}", u32::MAX)
    }
}

/// A TOML value as a user would recognise it in an error message.
fn describe_toml(value: &toml::Value) -> String {
    match value {
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the float {f:?}"),
        toml::Value::String(s) => format!("the string {}", quote(s)),
        other => format!("a {}", other.type_str()),
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of_offset(text: &[u8], offset: usize) -> u64 {
    let before = text.get(..offset).unwrap_or(text);
    1 + before.iter().filter(|&&b| b == b'\n').count() as u64
}

// ---------------------------------------------------------------------------------------------
// Files on disk.

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes of `dir/name`, or `None` when the file does not exist.
fn load_bytes(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, InputError> {
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InputError::file(
            name,
            format!("cannot read {}: {e}", dir.join(name).display()),
        )),
    }
}

fn load_csv(dir: &Path, name: &str) -> Result<Option<CsvFile>, InputError> {
    match load_bytes(dir, name)? {
        Some(bytes) => Ok(Some(CsvFile::parse(name, &bytes)?)),
        None => Ok(None),
    }
}

fn load_required_csv(dir: &Path, name: &str) -> Result<CsvFile, InputError> {
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

/// A CSV file split into records, not yet interpreted.
struct CsvFile {
    /// The name errors give for this file.
    name: String,
    /// The header row, each cell checked to be UTF-8.
    header: Vec<String>,
    /// The data rows with the line each starts on (1-based, header on line 1).
    records: Vec<(u64, csv::ByteRecord)>,
}

impl CsvFile {
    fn parse(name: &str, bytes: &[u8]) -> Result<CsvFile, InputError> {
        let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        if let Some(line) = unclosed_quote_line(bytes) {
            return Err(InputError::at_line(
                name,
                line,
                "a quoted field opens on this line and is never closed; expected a closing '\"' \
                 (a quote inside a quoted field is written twice: \"\")",
            ));
        }
        // Flexible, so that a ragged row reaches us and is reported with its line; no headers,
        // so that the header is a record like any other and gets the same UTF-8 check.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {
                    let line = record
                        .position()
                        .map_or(records.len() as u64 + 1, |p| record_line(bytes, p));
                    records.push((line, std::mem::take(&mut record)));
                }
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(1, |p| p.line());
                    return Err(InputError::at_line(
                        name,
                        line,
                        format!("cannot parse CSV: {e}"),
                    ));
                }
            }
        }
        let mut records = records.into_iter();
        let Some((_, header_record)) = records.next() else {
            return Err(InputError::at_line(
                name,
                1,
                "the file is empty; expected a header row naming its columns",
            ));
        };
        let mut header = Vec::with_capacity(header_record.len());
        for (position, cell) in header_record.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(text) => header.push(text.to_string()),
                Err(e) => {
                    return Err(InputError::at_line(
                        name,
                        1,
                        format!(
                            "header cell {} is not valid UTF-8 (bad byte at offset {} of the \
                             cell); expected UTF-8 column names",
                            position + 1,
                            e.valid_up_to()
                        ),
                    ))
                }
            }
        }
        Ok(CsvFile {
            name: name.to_string(),
            header,
            records: records.collect(),
        })
    }

    /// Checks the header against `schema` and maps column names to positions.
    fn table(&self, schema: &Schema) -> Result<Table<'_>, InputError> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut annotations = Vec::new();
        for (position, column) in self.header.iter().enumerate() {
            if column.is_empty() {
                return Err(InputError::at_line(
                    &self.name,
                    1,
                    format!(
                        "header cell {} is empty; expected a column name (is there a trailing \
                         comma?)",
                        position + 1
                    ),
                ));
            }
            if index.insert(column.as_str(), position).is_some() {
                return Err(InputError::at(
                    &self.name,
                    1,
                    column.as_str(),
                    format!(
                        "duplicate column {}; expected each column once",
                        quote(column)
                    ),
                ));
            }
            if column.starts_with("x_") {
                annotations.push(position);
            } else if !schema.required.contains(&column.as_str())
                && !schema.optional.contains(&column.as_str())
            {
                let known: Vec<&str> = schema
                    .required
                    .iter()
                    .chain(schema.optional)
                    .copied()
                    .collect();
                return Err(InputError::at(
                    &self.name,
                    1,
                    column.as_str(),
                    format!(
                        "unknown column {}; expected one of: {} (annotation columns must start \
                         with \"x_\")",
                        quote(column),
                        known.join(", ")
                    ),
                ));
            }
        }
        for &required in schema.required {
            if !index.contains_key(required) {
                return Err(InputError::at(
                    &self.name,
                    1,
                    required,
                    format!("missing required column {}", quote(required)),
                ));
            }
        }
        Ok(Table {
            file: self,
            index,
            annotations,
        })
    }
}

/// The 1-based line a record starts on. The csv reader gives the position where it began
/// reading the record, which is before any blank lines it skipped on the way, so the line
/// breaks between that position and the record's first byte are counted here.
fn record_line(bytes: &[u8], position: &csv::Position) -> u64 {
    let skipped = usize::try_from(position.byte())
        .ok()
        .and_then(|start| bytes.get(start..))
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .filter(|&&b| b == b'\n')
        .count();
    position.line() + skipped as u64
}

/// The columns a file may have; any other column must start with `x_`.
pub(crate) struct Schema {
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

impl Schema {
    /// Every column, required ones first, in the order files are written.
    pub(crate) fn columns(&self) -> impl Iterator<Item = &'static str> {
        self.required.iter().chain(self.optional).copied()
    }
}

/// The columns of sites.csv, as read and as written.
pub(crate) const SITES_SCHEMA: Schema = Schema {
    required: &[
        "site",
        "hosts",
        "host_cpu",
        "host_mem_gib",
        "idle_w",
        "peak_w",
        "pue",
    ],
    optional: &["cpu_overcommit", "max_migrations", "zone"],
};

/// The columns of vms.csv, as read and as written.
pub(crate) const VMS_SCHEMA: Schema = Schema {
    required: &["vm", "site", "cpu", "mem_gib"],
    optional: &[
        "util",
        "disk_gib",
        "mem_used_gib",
        "wss_gib",
        "dirty_mib_s",
        "disk_write_mib_s",
        "migration",
        "boot_s",
        "allowed_sites",
        "anchor_site",
        "max_latency_ms",
        "anti_affinity",
        "penalty_eur_per_s",
        "downtime_eur_per_s",
    ],
};

/// The columns of links.csv, as read and as written.
pub(crate) const LINKS_SCHEMA: Schema = Schema {
    required: &["from", "to", "bandwidth_gbps"],
    optional: &["latency_ms", "eur_per_gb"],
};

/// The columns of windows.csv, as read and as written.
pub(crate) const WINDOWS_SCHEMA: Schema = Schema {
    required: &["window", "site", "price_eur_mwh"],
    optional: &["renewable_kw", "carbon_g_kwh", "start"],
};

/// A CSV file whose header has been checked against its schema.
struct Table<'a> {
    file: &'a CsvFile,
    /// Position of each header name.
    index: HashMap<&'a str, usize>,
    /// Positions of the `x_` columns, in header order.
    annotations: Vec<usize>,
}

impl<'a> Table<'a> {
    /// The data rows in file order, each checked for its width and for UTF-8.
    fn rows(&'a self) -> impl Iterator<Item = Result<Row<'a>, InputError>> + 'a {
        self.file
            .records
            .iter()
            .map(move |(line, record)| self.row(*line, record))
    }

    fn row(&'a self, line: u64, record: &'a csv::ByteRecord) -> Result<Row<'a>, InputError> {
        let name = &self.file.name;
        let width = self.file.header.len();
        if record.len() < width {
            let first_missing = self
                .file
                .header
                .get(record.len())
                .map_or("", String::as_str);
            return Err(InputError::at(
                name,
                line,
                first_missing,
                format!(
                    "the row has {} but the header has {width}; expected a value (or an empty \
                     cell) for every column",
                    fields(record.len())
                ),
            ));
        }
        if record.len() > width {
            return Err(InputError::at_line(
                name,
                line,
                format!(
                    "the row has {} but the header has {width}; expected one field per column \
                     (quote a value that contains a comma)",
                    fields(record.len())
                ),
            ));
        }
        let mut fields = Vec::with_capacity(width);
        for (position, cell) in record.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(text) => fields.push(text),
                Err(e) => {
                    let column = self.file.header.get(position).map_or("", String::as_str);
                    return Err(InputError::at(
                        name,
                        line,
                        column,
                        format!(
                            "the cell is not valid UTF-8 (bad byte at offset {} of the cell); \
                             expected UTF-8 text",
                            e.valid_up_to()
                        ),
                    ));
                }
            }
        }
        Ok(Row {
            table: self,
            line,
            fields,
        })
    }
}

/// One data row with typed getters. A getter for a column the header lacks sees an empty cell,
/// which is how an optional column takes its default.
struct Row<'a> {
    table: &'a Table<'a>,
    /// 1-based line the row starts on.
    line: u64,
    fields: Vec<&'a str>,
}

impl<'a> Row<'a> {
    fn error(&self, column: &str, message: impl Into<String>) -> InputError {
        InputError::at(&self.table.file.name, self.line, column, message)
    }

    /// The cell of `column`, empty when the file has no such column.
    fn text(&self, column: &str) -> &'a str {
        self.table
            .index
            .get(column)
            .and_then(|&position| self.fields.get(position))
            .copied()
            .unwrap_or("")
    }

    /// The `x_` cells, name and value, in header order.
    /// The annotations, refusing control characters (they are written into the outputs).
    fn printable_annotations(&self) -> Result<Vec<(String, String)>, InputError> {
        let annotations = self.annotations();
        for (name, value) in &annotations {
            self.printable_text(name, value, true)?;
        }
        Ok(annotations)
    }

    fn annotations(&self) -> Vec<(String, String)> {
        self.table
            .annotations
            .iter()
            .filter_map(|&position| {
                let name = self.table.file.header.get(position)?;
                let value = self.fields.get(position)?;
                Some((name.clone(), value.to_string()))
            })
            .collect()
    }

    fn req_id(&self, column: &str) -> Result<&'a str, InputError> {
        self.opt_id(column)?.ok_or_else(|| {
            self.error(
                column,
                "expected an identifier (non-empty, without \";\"), found an empty cell",
            )
        })
    }

    fn opt_id(&self, column: &str) -> Result<Option<&'a str>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        if cell.contains(';') {
            return Err(self.error(
                column,
                format!(
                    "expected an identifier without \";\", found {}",
                    quote(cell)
                ),
            ));
        }
        self.printable(column, cell)?;
        Ok(Some(cell))
    }

    /// Refuses text with control characters (terminal escapes, NUL, line breaks): ids and
    /// labels are printed to terminals and written into outputs.
    fn printable(&self, column: &str, cell: &str) -> Result<(), InputError> {
        self.printable_text(column, cell, false)
    }

    /// As [`Row::printable`]; with `layout`, tabs and line breaks are allowed (free text such
    /// as a zone or an annotation, which CSV quoting carries safely).
    fn printable_text(&self, column: &str, cell: &str, layout: bool) -> Result<(), InputError> {
        let allowed = |c: char| layout && matches!(c, '\t' | '\n' | '\r');
        match cell.chars().find(|&c| c.is_control() && !allowed(c)) {
            None => Ok(()),
            Some(c) => Err(self.error(
                column,
                format!(
                    "found a control character (U+{:04X}) in {}; expected printable text",
                    c as u32,
                    quote(cell)
                ),
            )),
        }
    }

    fn req_f64(&self, column: &str, range: Range) -> Result<f64, InputError> {
        self.opt_f64(column, range)?.ok_or_else(|| {
            self.error(
                column,
                format!(
                    "expected {}, found an empty cell",
                    range.with_rule("a number")
                ),
            )
        })
    }

    fn f64_or(&self, column: &str, default: f64, range: Range) -> Result<f64, InputError> {
        Ok(self.opt_f64(column, range)?.unwrap_or(default))
    }

    fn opt_f64(&self, column: &str, range: Range) -> Result<Option<f64>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        let number = parse_decimal(cell).ok_or_else(|| {
            self.error(
                column,
                format!(
                    "expected {} (such as 2, -0.5 or 1.5e3), found {}",
                    range.with_rule("a decimal number"),
                    quote(cell)
                ),
            )
        })?;
        if !number.is_finite() {
            return Err(self.error(
                column,
                format!(
                    "expected {}, found {}, which overflows double precision",
                    range.with_rule("a finite number"),
                    quote(cell)
                ),
            ));
        }
        if number == 0.0 && underflows(cell) {
            return Err(self.error(
                column,
                format!(
                    "found {}, which underflows to 0 in double precision (the smallest positive \
                     number is about 4.9e-324); expected 0 written as 0, or a larger number",
                    quote(cell)
                ),
            ));
        }
        if !range.contains(number) {
            return Err(self.error(
                column,
                format!(
                    "expected {}, found {}",
                    range.with_rule("a number"),
                    quote(cell)
                ),
            ));
        }
        // Adding zero turns -0 into 0, so that "-0" never shows up in an output.
        Ok(Some(number + 0.0))
    }

    fn req_u32(&self, column: &str, minimum: u32) -> Result<u32, InputError> {
        self.opt_u32(column, minimum)?.ok_or_else(|| {
            self.error(
                column,
                format!("expected an integer ≥ {minimum}, found an empty cell"),
            )
        })
    }

    fn opt_u32(&self, column: &str, minimum: u32) -> Result<Option<u32>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        match parse_integer(cell) {
            Some(n) if n >= i128::from(minimum) && n <= i128::from(u32::MAX) => {
                Ok(u32::try_from(n).ok())
            }
            Some(n) => Err(self.error(
                column,
                format!(
                    "expected {}, found {}",
                    integer_rule(minimum, n),
                    quote(cell)
                ),
            )),
            None => Err(self.error(
                column,
                format!(
                    "expected an integer ≥ {minimum} written without fraction or exponent, \
                     found {}",
                    quote(cell)
                ),
            )),
        }
    }

    /// A window number in windows.csv, where the set of windows is still being learnt.
    fn req_window_number(&self, column: &str) -> Result<usize, InputError> {
        Ok(self.req_u32(column, 0)? as usize)
    }

    /// A window number in `0..windows`, the windows of `source`.
    fn req_window(&self, column: &str, windows: usize, source: &str) -> Result<usize, InputError> {
        let cell = self.text(column);
        let expected = format!(
            "expected a window from 0 to {} ({source} has {windows} windows)",
            windows.saturating_sub(1)
        );
        match parse_integer(cell) {
            Some(n) if n >= 0 && n < windows as i128 => Ok(n as usize),
            Some(_) => Err(self.error(column, format!("{expected}, found {}", quote(cell)))),
            None => Err(self.error(
                column,
                format!(
                    "{expected}, written as an integer without fraction or exponent, found {}",
                    quote(cell)
                ),
            )),
        }
    }

    /// The migration kind; an empty cell is `precopy`.
    fn migration_kind(&self, column: &str) -> Result<MigrationKind, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(MigrationKind::Precopy);
        }
        MigrationKind::from_name(cell).ok_or_else(|| {
            let names: Vec<&str> = MigrationKind::ALL.iter().map(|k| k.name()).collect();
            self.error(
                column,
                format!(
                    "expected one of {}, found {}",
                    names.join(", "),
                    quote(cell)
                ),
            )
        })
    }

    /// Site ids joined by `;`, sorted and deduplicated; an empty cell means every site (`None`).
    fn site_list(
        &self,
        column: &str,
        site_ids: &IdIndex,
    ) -> Result<Option<Vec<SiteId>>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        let mut sites = Vec::new();
        for part in cell.split(';') {
            if part.is_empty() {
                return Err(self.error(
                    column,
                    format!(
                        "expected site ids joined by \";\" (such as a;b), found an empty id in {}",
                        quote(cell)
                    ),
                ));
            }
            sites.push(site_ids.lookup_value(self, column, part)?);
        }
        sites.sort_unstable();
        sites.dedup();
        Ok(Some(sites))
    }
}

/// Identifiers of one file (sites or VMs), for lookups with helpful errors.
struct IdIndex {
    /// What an id names, e.g. "site".
    noun: &'static str,
    /// The file that defines the ids.
    file: &'static str,
    ids: Vec<String>,
    position: HashMap<String, usize>,
}

impl IdIndex {
    fn new<'s>(noun: &'static str, file: &'static str, ids: impl Iterator<Item = &'s str>) -> Self {
        let ids: Vec<String> = ids.map(str::to_string).collect();
        let mut position = HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            position.entry(id.clone()).or_insert(i);
        }
        IdIndex {
            noun,
            file,
            ids,
            position,
        }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn name(&self, index: usize) -> &str {
        self.ids.get(index).map_or("", String::as_str)
    }

    /// Looks up the id in the cell of `column`, which must be non-empty.
    fn lookup(&self, row: &Row<'_>, column: &str) -> Result<usize, InputError> {
        let id = row.req_id(column)?;
        self.lookup_value(row, column, id)
    }

    fn lookup_value(&self, row: &Row<'_>, column: &str, id: &str) -> Result<usize, InputError> {
        self.position.get(id).copied().ok_or_else(|| {
            row.error(
                column,
                format!(
                    "unknown {} {} ({} has: {})",
                    self.noun,
                    quote(id),
                    self.file,
                    self.listing()
                ),
            )
        })
    }

    /// The ids for an error message, shortened when there are many.
    fn listing(&self) -> String {
        const SHOWN: usize = 10;
        if self.ids.is_empty() {
            return "none".to_string();
        }
        let shown: Vec<&str> = self.ids.iter().take(SHOWN).map(String::as_str).collect();
        let mut listing = shown.join(", ");
        if self.ids.len() > SHOWN {
            listing.push_str(&format!(", … ({} in all)", self.ids.len()));
        }
        listing
    }
}

/// The ids seen so far in a file's id column, to report a duplicate with its first line.
struct UniqueIds {
    noun: &'static str,
    first_line: HashMap<String, u64>,
}

impl UniqueIds {
    fn new(noun: &'static str) -> Self {
        UniqueIds {
            noun,
            first_line: HashMap::new(),
        }
    }

    fn insert(&mut self, row: &Row<'_>, column: &str, id: &str) -> Result<(), InputError> {
        if let Some(first) = self.first_line.get(id) {
            return Err(row.error(
                column,
                format!(
                    "duplicate {} {} (first on line {first}); expected unique {} ids",
                    self.noun,
                    quote(id),
                    self.noun
                ),
            ));
        }
        self.first_line.insert(id.to_string(), row.line);
        Ok(())
    }
}

/// An interval of allowed values, with the text an error message shows.
#[derive(Debug, Clone, Copy)]
struct Range {
    /// Lower bound and whether it is allowed itself.
    low: Option<(f64, bool)>,
    /// Upper bound and whether it is allowed itself.
    high: Option<(f64, bool)>,
    /// The column a bound comes from, when it is another cell of the row (e.g. "idle_w").
    bound_name: &'static str,
}

impl Range {
    const fn any() -> Range {
        Range {
            low: None,
            high: None,
            bound_name: "",
        }
    }

    const fn at_least(low: f64) -> Range {
        Range {
            low: Some((low, true)),
            ..Range::any()
        }
    }

    const fn positive() -> Range {
        Range {
            low: Some((0.0, false)),
            ..Range::any()
        }
    }

    const fn closed(low: f64, high: f64) -> Range {
        Range {
            low: Some((low, true)),
            high: Some((high, true)),
            bound_name: "",
        }
    }

    /// The interval (0, high], where `high` may be the value of another column.
    const fn positive_up_to(high: f64, bound_name: &'static str) -> Range {
        Range {
            low: Some((0.0, false)),
            high: Some((high, true)),
            bound_name,
        }
    }

    /// Names the column a bound comes from, for the message.
    fn named(self, bound_name: &'static str) -> Range {
        Range { bound_name, ..self }
    }

    fn contains(&self, x: f64) -> bool {
        let above = match self.low {
            Some((low, true)) => x >= low,
            Some((low, false)) => x > low,
            None => true,
        };
        let below = match self.high {
            Some((high, true)) => x <= high,
            Some((high, false)) => x < high,
            None => true,
        };
        above && below
    }

    /// `noun` followed by the rule, e.g. "a number ≥ 1", or just `noun` when any value goes.
    fn with_rule(&self, noun: &str) -> String {
        let rule = self.describe();
        if rule.is_empty() {
            noun.to_string()
        } else {
            format!("{noun} {rule}")
        }
    }

    /// The rule as a phrase that follows "a number", e.g. "≥ 1" or "in (0, 8] (at most mem_gib)".
    fn describe(&self) -> String {
        let text = match (self.low, self.high) {
            (None, None) => return String::new(),
            (Some((low, true)), None) => format!("≥ {low}"),
            (Some((low, false)), None) => format!("> {low}"),
            (None, Some((high, true))) => format!("≤ {high}"),
            (None, Some((high, false))) => format!("< {high}"),
            (Some((low, low_in)), Some((high, high_in))) => format!(
                "in {}{low}, {high}{}",
                if low_in { '[' } else { '(' },
                if high_in { ']' } else { ')' }
            ),
        };
        match (self.bound_name, self.high) {
            ("", _) => text,
            (name, Some(_)) => format!("{text} (at most {name})"),
            (name, None) => format!("{text} (at least {name})"),
        }
    }
}

/// Parses a decimal number with an optional exponent: `[+-]digits[.digits][(e|E)[+-]digits]`,
/// where either the integer or the fraction digits may be absent but not both. Refuses what
/// Rust's float parser also takes but the format does not: `inf`, `NaN`, hex, underscores,
/// surrounding spaces.
/// The line on which a quoted field opens that the file never closes, if any. A quote
/// toggles the state; a doubled quote inside a field toggles it twice, as it should.
fn unclosed_quote_line(bytes: &[u8]) -> Option<u64> {
    let mut line = 1u64;
    let mut opened_on = None;
    for &b in bytes {
        match b {
            b'"' => {
                opened_on = match opened_on {
                    None => Some(line),
                    Some(_) => None,
                }
            }
            b'\n' => line += 1,
            _ => {}
        }
    }
    opened_on
}

/// Whether a decimal that parsed to 0 was written with a non-zero digit before its exponent.
fn underflows(text: &str) -> bool {
    text.split(['e', 'E'])
        .next()
        .is_some_and(|mantissa| mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

fn parse_decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut at = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        at += 1;
    }
    let integer_digits = count_digits(bytes, at);
    at += integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        fraction_digits = count_digits(bytes, at);
        at += fraction_digits;
    }
    if integer_digits + fraction_digits == 0 {
        return None;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent_digits = count_digits(bytes, at);
        if exponent_digits == 0 {
            return None;
        }
        at += exponent_digits;
    }
    if at != bytes.len() {
        return None;
    }
    text.parse().ok()
}

/// Parses a whole number written as `[+-]digits`, without fraction or exponent. The result is
/// wide enough that any range check on it is exact; absurdly long digit strings fail.
fn parse_integer(text: &str) -> Option<i128> {
    let bytes = text.as_bytes();
    let sign = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = count_digits(bytes, sign);
    if digits == 0 || sign + digits != bytes.len() {
        return None;
    }
    text.parse().ok()
}

fn count_digits(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// Checks the RFC 3339 `date-time` form: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with real
/// month lengths (leap years included), a leap second allowed, and `t`/`z` accepted as RFC 3339
/// allows.
fn is_rfc3339_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<u32> {
        let digits = bytes.get(from..from + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize, expected: &[u8]| bytes.get(i).is_some_and(|b| expected.contains(b));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(0, 4),
        number(5, 2),
        number(8, 2),
        number(11, 2),
        number(14, 2),
        number(17, 2),
    ) else {
        return false;
    };
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        let digits = count_digits(bytes, i + 1);
        if digits == 0 {
            return false;
        }
        i += 1 + digits;
    }
    if at(i, b"Zz") {
        return i + 1 == bytes.len();
    }
    if at(i, b"+-") && at(i + 3, b":") {
        if let (Some(offset_hour), Some(offset_minute)) = (number(i + 1, 2), number(i + 4, 2)) {
            return offset_hour <= 23 && offset_minute <= 59 && i + 6 == bytes.len();
        }
    }
    false
}

/// "1 field" or "n fields".
fn fields(count: usize) -> String {
    if count == 1 {
        "1 field".to_string()
    } else {
        format!("{count} fields")
    }
}

/// A cell value quoted for a message, shortened when long so that one huge cell cannot flood
/// the terminal.
fn quote(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_numbers_follow_the_format() {
        for good in ["0", "1", "-2.5", "+3", ".5", "5.", "1e3", "1.5E-7", "-0"] {
            assert!(parse_decimal(good).is_some(), "{good}");
        }
        for bad in [
            "", " 1", "1 ", "NaN", "inf", "-inf", "infinity", "0x10", "1_000", "1e", "e5", ".",
            "-", "1.2.3", "1,5", "١",
        ] {
            assert!(parse_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn integers_have_no_fraction_or_exponent() {
        assert_eq!(parse_integer("42"), Some(42));
        assert_eq!(parse_integer("-3"), Some(-3));
        for bad in ["", "1.0", "1e2", " 1", "+", "0x1"] {
            assert_eq!(parse_integer(bad), None, "{bad}");
        }
        assert_eq!(parse_integer(&"9".repeat(60)), None);
    }

    #[test]
    fn rfc3339_date_times() {
        for good in [
            "2024-01-31T13:00:00Z",
            "2024-02-29T23:59:60+01:00",
            "2024-01-31t13:00:00.123z",
            "2024-01-31T13:00:00-05:30",
        ] {
            assert!(is_rfc3339_date_time(good), "{good}");
        }
        for bad in [
            "2024-01-31",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-31 13:00:00Z",
            "2024-01-31T13:00:00",
            "2024-01-31T24:00:00Z",
            "2024-01-31T13:00:00.Z",
            "2024-01-31T13:00:00+0100",
            "2024-01-31T13:00:00Z ",
            "٢٠٢٤-01-31T13:00:00Z",
        ] {
            assert!(!is_rfc3339_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn ranges_describe_themselves() {
        assert_eq!(Range::at_least(1.0).describe(), "≥ 1");
        assert_eq!(Range::positive().describe(), "> 0");
        assert_eq!(Range::closed(0.0, 1.0).describe(), "in [0, 1]");
        assert_eq!(
            Range::positive_up_to(8.0, "mem_gib").describe(),
            "in (0, 8] (at most mem_gib)"
        );
        assert_eq!(
            Range::at_least(120.0).named("idle_w").describe(),
            "≥ 120 (at least idle_w)"
        );
    }
}
