//! The instance reader: a valid instance reads with the right values, and every class of bad
//! input is refused with its exact place (file, line, column) and a message that says what was
//! expected. Fuzzing checks that no input makes the reader panic.

use crate::common::{
    drop_column, remove_line, reorder_columns, replace_once, set_cell, InstanceFiles, TempDir,
    LINKS_CSV, PARAMS_TOML, SITES_CSV, USAGE_CSV, VMS_CSV, WINDOWS_CSV,
};
use proptest::prelude::*;
use proptest::sample::Index;
use wattshift::domain::instance::{Instance, MigrationKind};
use wattshift::error::InputError;
use wattshift::io::read::read_placement;

/// Asserts that reading `files` fails at exactly this place, with a message containing every
/// fragment, and returns the error for further checks.
#[track_caller]
fn assert_error(
    files: InstanceFiles,
    file: &str,
    line: Option<u64>,
    column: Option<&str>,
    fragments: &[&str],
) -> InputError {
    let error = match files.read() {
        Ok(_) => panic!("expected an error at {file}:{line:?}:{column:?}, but the instance read"),
        Err(error) => error,
    };
    assert_eq!(
        (error.file.as_str(), error.line, error.column.as_deref()),
        (file, line, column),
        "wrong place for: {error}"
    );
    for fragment in fragments {
        assert!(
            error.message.contains(fragment),
            "message {:?} lacks {fragment:?}",
            error.message
        );
    }
    error
}

/// The valid instance with one cell of one file changed.
fn with_cell(file: &str, line: usize, column: &str, value: &str) -> InstanceFiles {
    let valid = InstanceFiles::valid();
    let text = String::from_utf8(valid.get(file).to_vec()).unwrap();
    valid.with(file, set_cell(&text, line, column, value))
}

// ---------------------------------------------------------------------------------------------
// Valid input.

#[test]
fn valid_instance_reads_with_its_values() {
    let instance = InstanceFiles::valid().read().unwrap();

    assert_eq!(instance.num_sites(), 3);
    let b = &instance.sites[1];
    assert_eq!(b.id, "b");
    assert_eq!((b.hosts, b.host_cpu, b.host_mem_gib), (2, 16.0, 128.0));
    assert_eq!((b.idle_w, b.peak_w, b.pue), (80.0, 250.0, 1.5));
    assert_eq!((b.cpu_overcommit, b.max_migrations), (2.0, Some(3)));
    assert_eq!(b.zone, "FR");
    assert_eq!(
        b.annotations,
        vec![("x_owner".to_string(), "bob".to_string())]
    );
    // Defaults of sites.csv, and an empty annotation carried as it is.
    let a = &instance.sites[0];
    assert_eq!((a.cpu_overcommit, a.max_migrations), (1.0, None));
    let c = &instance.sites[2];
    assert_eq!((c.max_migrations, c.zone.as_str()), (Some(0), ""));
    assert_eq!(c.annotations, vec![("x_owner".to_string(), String::new())]);

    assert_eq!(instance.num_vms(), 3);
    // web1 takes every default: the memory chain gives mem_used = wss = mem_gib.
    let web1 = &instance.vms[0];
    assert_eq!(
        (web1.initial_site, web1.cpu, web1.mem_gib, web1.util),
        (0, 4.0, 16.0, 0.5)
    );
    let p = &web1.profile;
    assert_eq!(p.kind, MigrationKind::Precopy);
    assert_eq!((p.mem_used_gib, p.wss_gib, p.disk_gib), (16.0, 16.0, 0.0));
    assert_eq!(
        (p.dirty_mib_s, p.disk_write_mib_s, p.boot_s),
        (0.0, 0.0, 60.0)
    );
    assert_eq!(web1.allowed_sites, None);
    assert_eq!((web1.anchor_site, web1.max_latency_ms), (None, None));
    assert_eq!(web1.anti_affinity, None);
    assert_eq!(
        (web1.penalty_eur_per_s, web1.downtime_eur_per_s),
        (0.0, 0.0)
    );
    assert_eq!(
        web1.annotations,
        vec![("x_team".to_string(), "red".to_string())]
    );
    // web2: wss defaults to its mem_used, not to mem_gib; allowed_sites sorted and deduplicated.
    let web2 = &instance.vms[1];
    assert_eq!(web2.util, 1.0);
    let p = &web2.profile;
    assert_eq!(p.kind, MigrationKind::Block);
    assert_eq!((p.mem_used_gib, p.wss_gib, p.disk_gib), (12.0, 12.0, 40.0));
    assert_eq!((p.dirty_mib_s, p.disk_write_mib_s), (100.0, 5.0));
    assert_eq!(web2.allowed_sites, Some(vec![1, 2]));
    assert_eq!(
        (web2.anchor_site, web2.max_latency_ms),
        (Some(0), Some(20.0))
    );
    assert_eq!(web2.anti_affinity.as_deref(), Some("web"));
    assert_eq!(
        (web2.penalty_eur_per_s, web2.downtime_eur_per_s),
        (0.01, 0.1)
    );
    // db: an anchor without a latency limit is allowed.
    let db = &instance.vms[2];
    assert_eq!(db.initial_site, 1);
    assert_eq!((db.profile.mem_used_gib, db.profile.wss_gib), (48.0, 8.0));
    assert_eq!(
        (db.profile.kind, db.profile.boot_s),
        (MigrationKind::Postcopy, 30.0)
    );
    assert_eq!((db.anchor_site, db.max_latency_ms), (Some(1), None));

    assert_eq!(instance.links.len(), 2);
    let bc = &instance.links[1];
    assert_eq!((bc.from, bc.to, bc.bandwidth_gbps), (1, 2, 1.0));
    assert_eq!((bc.latency_ms, bc.eur_per_gb), (0.0, 0.0));
    assert_eq!(instance.links[0].eur_per_gb, 0.01);

    // Windows: [window, site], whatever the row order in the file.
    assert_eq!(instance.num_windows(), 2);
    assert_eq!(instance.price_eur_mwh.shape(), &[2, 3]);
    assert_eq!(instance.price_eur_mwh[[0, 1]], -5.5);
    assert_eq!(instance.price_eur_mwh[[1, 2]], 100.0);
    assert_eq!(instance.renewable_kw[[1, 1]], 2.5);
    assert_eq!(instance.renewable_kw[[1, 0]], 0.0);
    assert_eq!(instance.carbon_g_kwh[[0, 1]], 0.0);
    assert_eq!(instance.carbon_g_kwh[[1, 1]], 50.0);
    assert_eq!(instance.window_start[[1, 0]], "2024-01-01T01:00:00+01:00");
    assert_eq!(instance.window_start[[0, 2]], "");

    // util is [vm, window]: vms.csv's value, overridden by usage.csv.
    assert_eq!(instance.util.shape(), &[3, 2]);
    assert_eq!(instance.util[[0, 0]], 0.5);
    assert_eq!(instance.util[[0, 1]], 0.25);
    assert_eq!(instance.util[[1, 0]], 1.0);
    assert_eq!(instance.util[[2, 0]], 0.0);
    assert_eq!(instance.util[[2, 1]], 0.8);

    let params = &instance.params;
    assert_eq!((params.window_hours, params.concurrency), (0.5, 2));
    assert_eq!(params.carbon_eur_per_t, 80.0);
    // Keys not given keep their defaults.
    assert_eq!((params.link_efficiency, params.max_rounds), (0.94, 30));
    assert_eq!((params.setup_s, params.resume_s), (3.0, 0.05));
}

#[test]
fn optional_files_take_their_defaults() {
    let instance = InstanceFiles::valid()
        .without("usage.csv")
        .without("params.toml")
        .read()
        .unwrap();
    assert_eq!(
        instance.params,
        wattshift::domain::instance::Params::default()
    );
    assert_eq!(instance.util[[0, 1]], 0.5);
    assert_eq!(instance.util[[2, 0]], 0.8);
}

#[test]
fn an_empty_params_file_takes_every_default() {
    let instance = InstanceFiles::valid()
        .with("params.toml", "# nothing set\n")
        .read()
        .unwrap();
    assert_eq!(
        instance.params,
        wattshift::domain::instance::Params::default()
    );
}

#[test]
fn an_empty_fleet_is_legal() {
    let instance = InstanceFiles::valid()
        .with("vms.csv", "vm,site,cpu,mem_gib\n")
        .without("usage.csv")
        .read()
        .unwrap();
    assert_eq!(instance.num_vms(), 0);
    assert_eq!(instance.util.shape(), &[0, 2]);
}

#[test]
fn one_site_needs_no_links_file() {
    let files = InstanceFiles::valid()
        .with(
            "sites.csv",
            "site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue\nsolo,1,8,64,50,150,1\n",
        )
        .with("vms.csv", "vm,site,cpu,mem_gib\nv,solo,1,1\n")
        .with("windows.csv", "window,site,price_eur_mwh\n0,solo,10\n")
        .without("links.csv")
        .without("usage.csv");
    let instance = files.read().unwrap();
    assert!(instance.links.is_empty());
    assert_eq!(instance.num_windows(), 1);

    // A links file that is present is still checked, even with one site.
    let with_links = files.with("links.csv", "from,to,bandwidth_gbps\nsolo,solo,1\n");
    assert_error(
        with_links,
        "links.csv",
        Some(2),
        Some("to"),
        &["expected two distinct sites"],
    );
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
    let valid = InstanceFiles::valid();
    let expected = valid.read().unwrap();
    let mut files = valid.clone();
    for name in [
        "sites.csv",
        "vms.csv",
        "links.csv",
        "windows.csv",
        "usage.csv",
        "params.toml",
    ] {
        let text = String::from_utf8(valid.get(name).to_vec()).unwrap();
        let content = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        files = files.with(name, content);
    }
    assert_eq!(files.read().unwrap(), expected);
}

#[test]
fn columns_may_come_in_any_order_and_x_columns_anywhere() {
    let expected = InstanceFiles::valid().read().unwrap();
    // Reversing every CSV file's columns changes nothing, since each has at most one x_ column.
    let mut files = InstanceFiles::valid();
    for name in [
        "sites.csv",
        "vms.csv",
        "links.csv",
        "windows.csv",
        "usage.csv",
    ] {
        let text = String::from_utf8(files.get(name).to_vec()).unwrap();
        let width = text.lines().next().unwrap().split(',').count();
        let order: Vec<usize> = (0..width).rev().collect();
        files = files.with(name, reorder_columns(&text, &order));
    }
    assert_eq!(files.read().unwrap(), expected);
}

#[test]
fn x_columns_are_accepted_and_ignored_in_windows_usage_and_links() {
    let windows = WINDOWS_CSV
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("x_source,{l}\n")
            } else {
                format!("entsoe,{l}\n")
            }
        })
        .collect::<String>();
    let usage = USAGE_CSV
        .replace("window,vm,util", "window,vm,util,x_trace")
        .replace("25\n", "25,t1\n")
        .replace("db,0\n", "db,0,t2\n");
    let instance = InstanceFiles::valid()
        .with("windows.csv", windows)
        .with("usage.csv", usage)
        .read()
        .unwrap();
    assert_eq!(instance, InstanceFiles::valid().read().unwrap());
}

#[test]
fn a_quoted_field_may_span_lines_and_later_lines_keep_their_numbers() {
    let sites = replace_once(SITES_CSV, "DE,alice", "\"two\nlines, quoted\",alice");
    let instance = InstanceFiles::valid()
        .with("sites.csv", sites.clone())
        .read()
        .unwrap();
    assert_eq!(instance.sites[0].zone, "two\nlines, quoted");
    // Site b now starts on line 4 of the file.
    let bad = replace_once(&sites, ",1.5,2,3,", ",0.9,2,3,");
    assert_error(
        InstanceFiles::valid().with("sites.csv", bad),
        "sites.csv",
        Some(4),
        Some("pue"),
        &["expected a number ≥ 1, found \"0.9\""],
    );
}

#[test]
fn blank_lines_are_skipped_and_later_lines_keep_their_numbers() {
    let sites = replace_once(SITES_CSV, "alice\n", "alice\n\n\n");
    InstanceFiles::valid()
        .with("sites.csv", sites.clone())
        .read()
        .unwrap();
    assert_error(
        InstanceFiles::valid().with("sites.csv", replace_once(&sites, ",1.5,2,3,", ",0.9,2,3,")),
        "sites.csv",
        Some(5),
        Some("pue"),
        &["expected a number ≥ 1, found \"0.9\""],
    );
    let crlf = replace_once(&sites, ",1.5,2,3,", ",0.9,2,3,").replace('\n', "\r\n");
    assert_error(
        InstanceFiles::valid().with("sites.csv", crlf),
        "sites.csv",
        Some(5),
        Some("pue"),
        &["expected a number ≥ 1"],
    );
}

// ---------------------------------------------------------------------------------------------
// Missing files and empty files.

#[test]
fn a_missing_required_file_is_named() {
    for name in ["sites.csv", "vms.csv", "windows.csv"] {
        let error = assert_error(
            InstanceFiles::valid().without(name),
            name,
            None,
            None,
            &[
                "file not found in ",
                "every instance needs sites.csv, vms.csv, windows.csv (and links.csv with more than one site)",
            ],
        );
        assert!(error
            .to_string()
            .starts_with(&format!("{name}: file not found")));
    }
}

#[test]
fn links_are_required_with_more_than_one_site() {
    assert_error(
        InstanceFiles::valid().without("links.csv"),
        "links.csv",
        None,
        None,
        &[
            "file not found in ",
            "more than one site needs links.csv",
            "3 sites",
        ],
    );
}

#[test]
fn an_empty_file_needs_a_header() {
    assert_error(
        InstanceFiles::valid().with("sites.csv", ""),
        "sites.csv",
        Some(1),
        None,
        &["the file is empty; expected a header row"],
    );
}

#[test]
fn sites_and_windows_need_at_least_one_row() {
    let sites_header = SITES_CSV.lines().next().unwrap().to_string() + "\n";
    assert_error(
        InstanceFiles::valid().with("sites.csv", sites_header),
        "sites.csv",
        Some(1),
        None,
        &["no rows; expected at least one site"],
    );
    assert_error(
        InstanceFiles::valid().with("windows.csv", "window,site,price_eur_mwh\n"),
        "windows.csv",
        Some(1),
        None,
        &["no rows; expected at least one window"],
    );
}

// ---------------------------------------------------------------------------------------------
// Headers.

#[test]
fn a_missing_required_column_is_named_on_line_1() {
    let error = assert_error(
        InstanceFiles::valid().with("sites.csv", drop_column(SITES_CSV, "pue")),
        "sites.csv",
        Some(1),
        Some("pue"),
        &[],
    );
    assert_eq!(error.message, "missing required column \"pue\"");
    assert_error(
        InstanceFiles::valid().with("windows.csv", drop_column(WINDOWS_CSV, "price_eur_mwh")),
        "windows.csv",
        Some(1),
        Some("price_eur_mwh"),
        &["missing required column \"price_eur_mwh\""],
    );
    assert_error(
        InstanceFiles::valid().with("links.csv", drop_column(LINKS_CSV, "bandwidth_gbps")),
        "links.csv",
        Some(1),
        Some("bandwidth_gbps"),
        &["missing required column"],
    );
}

#[test]
fn an_optional_column_may_be_absent() {
    let instance = InstanceFiles::valid()
        .with("sites.csv", drop_column(SITES_CSV, "cpu_overcommit"))
        .with("vms.csv", drop_column(VMS_CSV, "wss_gib"))
        .read()
        .unwrap();
    assert_eq!(instance.sites[1].cpu_overcommit, 1.0);
    assert_eq!(instance.vms[2].profile.wss_gib, 48.0);
}

#[test]
fn an_unknown_column_is_refused_unless_it_starts_with_x() {
    let vms = replace_once(VMS_CSV, ",x_team", ",colour");
    assert_error(
        InstanceFiles::valid().with("vms.csv", vms),
        "vms.csv",
        Some(1),
        Some("colour"),
        &[
            "unknown column \"colour\"; expected one of: vm, site, cpu",
            "must start with \"x_\"",
        ],
    );
    let usage = "window,vm,util,note\n0,db,0,x\n";
    assert_error(
        InstanceFiles::valid().with("usage.csv", usage),
        "usage.csv",
        Some(1),
        Some("note"),
        &["unknown column \"note\""],
    );
}

#[test]
fn an_empty_column_name_is_refused() {
    let windows = WINDOWS_CSV.replace('\n', ",\n");
    assert_error(
        InstanceFiles::valid().with("windows.csv", windows),
        "windows.csv",
        Some(1),
        None,
        &["header cell 7 is empty; expected a column name (is there a trailing comma?)"],
    );
}

#[test]
fn a_duplicate_column_is_refused() {
    let sites = replace_once(SITES_CSV, ",x_owner", ",zone");
    assert_error(
        InstanceFiles::valid().with("sites.csv", sites),
        "sites.csv",
        Some(1),
        Some("zone"),
        &["duplicate column \"zone\"; expected each column once"],
    );
}

// ---------------------------------------------------------------------------------------------
// Numbers.

#[test]
fn a_malformed_number_is_refused_with_what_was_expected() {
    for bad in [
        "abc", "NaN", "inf", "-inf", "0x10", " 1.5", "1.5 ", "1_5", "1e", ".",
    ] {
        assert_error(
            with_cell("sites.csv", 3, "pue", bad),
            "sites.csv",
            Some(3),
            Some("pue"),
            &[&format!(
                "expected a decimal number ≥ 1 (such as 2, -0.5 or 1.5e3), found {bad:?}"
            )],
        );
    }
    assert_error(
        with_cell("sites.csv", 3, "pue", "1e999"),
        "sites.csv",
        Some(3),
        Some("pue"),
        &["expected a finite number ≥ 1"],
    );
    assert_error(
        with_cell("windows.csv", 3, "price_eur_mwh", "cheap"),
        "windows.csv",
        Some(3),
        Some("price_eur_mwh"),
        &["expected a decimal number (such as"],
    );
}

#[test]
fn an_empty_required_cell_is_refused() {
    assert_error(
        with_cell("sites.csv", 2, "host_cpu", ""),
        "sites.csv",
        Some(2),
        Some("host_cpu"),
        &["expected a number > 0, found an empty cell"],
    );
    assert_error(
        with_cell("vms.csv", 4, "vm", ""),
        "vms.csv",
        Some(4),
        Some("vm"),
        &["expected an identifier (non-empty, without \";\"), found an empty cell"],
    );
}

#[test]
fn a_number_out_of_range_is_refused_with_the_range() {
    let cases: &[(&str, usize, &str, &str, &str)] = &[
        (
            "sites.csv",
            3,
            "pue",
            "0.9",
            "expected a number ≥ 1, found \"0.9\"",
        ),
        (
            "sites.csv",
            2,
            "host_cpu",
            "0",
            "expected a number > 0, found \"0\"",
        ),
        (
            "sites.csv",
            2,
            "host_mem_gib",
            "-1",
            "expected a number > 0",
        ),
        ("sites.csv", 2, "idle_w", "-0.1", "expected a number ≥ 0"),
        (
            "sites.csv",
            2,
            "peak_w",
            "90",
            "expected a number ≥ 100 (at least idle_w), found \"90\"",
        ),
        (
            "sites.csv",
            2,
            "cpu_overcommit",
            "0.5",
            "expected a number ≥ 1",
        ),
        ("vms.csv", 2, "cpu", "0", "expected a number > 0"),
        (
            "vms.csv",
            2,
            "util",
            "1.5",
            "expected a number in [0, 1], found \"1.5\"",
        ),
        ("vms.csv", 2, "disk_gib", "-1", "expected a number ≥ 0"),
        (
            "vms.csv",
            3,
            "mem_used_gib",
            "17",
            "expected a number in (0, 16] (at most mem_gib), found \"17\"",
        ),
        (
            "vms.csv",
            3,
            "mem_used_gib",
            "0",
            "expected a number in (0, 16] (at most mem_gib)",
        ),
        // wss_gib is bounded by mem_used_gib, which here takes its default mem_gib.
        (
            "vms.csv",
            2,
            "wss_gib",
            "16.5",
            "expected a number in (0, 16] (at most mem_used_gib)",
        ),
        (
            "vms.csv",
            4,
            "wss_gib",
            "49",
            "expected a number in (0, 48] (at most mem_used_gib)",
        ),
        ("vms.csv", 2, "dirty_mib_s", "-5", "expected a number ≥ 0"),
        ("vms.csv", 2, "boot_s", "-1", "expected a number ≥ 0"),
        (
            "vms.csv",
            3,
            "max_latency_ms",
            "-1",
            "expected a number ≥ 0",
        ),
        (
            "vms.csv",
            3,
            "penalty_eur_per_s",
            "-0.5",
            "expected a number ≥ 0",
        ),
        (
            "links.csv",
            3,
            "bandwidth_gbps",
            "0",
            "expected a number > 0, found \"0\"",
        ),
        ("links.csv", 2, "latency_ms", "-1", "expected a number ≥ 0"),
        ("links.csv", 2, "eur_per_gb", "-1", "expected a number ≥ 0"),
        (
            "windows.csv",
            4,
            "renewable_kw",
            "-1",
            "expected a number ≥ 0, found \"-1\"",
        ),
        (
            "windows.csv",
            4,
            "carbon_g_kwh",
            "-1",
            "expected a number ≥ 0",
        ),
        (
            "usage.csv",
            3,
            "util",
            "2",
            "expected a number in [0, 1], found \"2\"",
        ),
    ];
    for &(file, line, column, value, message) in cases {
        assert_error(
            with_cell(file, line, column, value),
            file,
            Some(line as u64),
            Some(column),
            &[message],
        );
    }
}

#[test]
fn negative_zero_and_signs_are_numbers() {
    let instance = with_cell("sites.csv", 2, "idle_w", "-0")
        .with(
            "windows.csv",
            set_cell(WINDOWS_CSV, 2, "price_eur_mwh", "+1.5E1"),
        )
        .read()
        .unwrap();
    assert!(instance.sites[0].idle_w.is_sign_positive());
    assert_eq!(instance.price_eur_mwh[[0, 0]], 15.0);
}

#[test]
fn an_integer_column_takes_whole_numbers_only() {
    for bad in ["2.0", "2e0", "2.", "two", "+"] {
        assert_error(
            with_cell("sites.csv", 3, "hosts", bad),
            "sites.csv",
            Some(3),
            Some("hosts"),
            &[&format!(
                "expected an integer ≥ 0 written without fraction or exponent, found {bad:?}"
            )],
        );
    }
    assert_error(
        with_cell("sites.csv", 3, "max_migrations", "-1"),
        "sites.csv",
        Some(3),
        Some("max_migrations"),
        &["expected an integer ≥ 0, found \"-1\""],
    );
    assert_error(
        with_cell("sites.csv", 3, "hosts", "99999999999"),
        "sites.csv",
        Some(3),
        Some("hosts"),
        &["expected an integer ≥ 0 and ≤ 4294967295, found \"99999999999\""],
    );
    assert_error(
        with_cell("windows.csv", 5, "window", "1.0"),
        "windows.csv",
        Some(5),
        Some("window"),
        &["expected an integer ≥ 0 written without fraction or exponent, found \"1.0\""],
    );
}

// ---------------------------------------------------------------------------------------------
// Identifiers and references.

#[test]
fn an_unknown_site_is_named_with_the_sites_there_are() {
    let cases: &[(&str, usize, &str, &str)] = &[
        ("vms.csv", 2, "site", "zz"),
        ("vms.csv", 3, "anchor_site", "zz"),
        ("links.csv", 3, "from", "zz"),
        ("links.csv", 2, "to", "zz"),
        ("windows.csv", 6, "site", "zz"),
    ];
    for &(file, line, column, value) in cases {
        let error = assert_error(
            with_cell(file, line, column, value),
            file,
            Some(line as u64),
            Some(column),
            &[],
        );
        assert_eq!(
            error.message,
            "unknown site \"zz\" (sites.csv has: a, b, c)"
        );
    }
    assert_error(
        with_cell("vms.csv", 3, "allowed_sites", "c;zz"),
        "vms.csv",
        Some(3),
        Some("allowed_sites"),
        &["unknown site \"zz\" (sites.csv has: a, b, c)"],
    );
    assert_error(
        with_cell("vms.csv", 3, "allowed_sites", "c;;b"),
        "vms.csv",
        Some(3),
        Some("allowed_sites"),
        &[
            "expected site ids joined by \";\"",
            "found an empty id in \"c;;b\"",
        ],
    );
}

#[test]
fn an_unknown_vm_in_usage_is_named() {
    assert_error(
        with_cell("usage.csv", 2, "vm", "ghost"),
        "usage.csv",
        Some(2),
        Some("vm"),
        &["unknown vm \"ghost\" (vms.csv has: web1, web2, db)"],
    );
}

#[test]
fn an_identifier_may_not_contain_a_semicolon() {
    assert_error(
        with_cell("sites.csv", 4, "site", "c;d"),
        "sites.csv",
        Some(4),
        Some("site"),
        &["expected an identifier without \";\", found \"c;d\""],
    );
}

#[test]
fn a_duplicate_id_names_its_first_line() {
    assert_error(
        with_cell("sites.csv", 4, "site", "a"),
        "sites.csv",
        Some(4),
        Some("site"),
        &["duplicate site \"a\" (first on line 2); expected unique site ids"],
    );
    assert_error(
        with_cell("vms.csv", 4, "vm", "web1"),
        "vms.csv",
        Some(4),
        Some("vm"),
        &["duplicate vm \"web1\" (first on line 2)"],
    );
}

#[test]
fn an_unknown_migration_kind_lists_the_kinds() {
    assert_error(
        with_cell("vms.csv", 2, "migration", "live"),
        "vms.csv",
        Some(2),
        Some("migration"),
        &["expected one of precopy, block, postcopy, offline, respawn, pinned, found \"live\""],
    );
}

#[test]
fn max_latency_needs_an_anchor() {
    assert_error(
        with_cell("vms.csv", 2, "max_latency_ms", "10"),
        "vms.csv",
        Some(2),
        Some("max_latency_ms"),
        &["anchor_site is empty; expected anchor_site too"],
    );
}

// ---------------------------------------------------------------------------------------------
// Links and windows.

#[test]
fn two_rows_for_one_pair_of_sites_are_refused_in_either_direction() {
    for row in ["b,a,5,,,\n", "a,b,5,,,\n"] {
        assert_error(
            InstanceFiles::valid().with("links.csv", format!("{LINKS_CSV}{row}")),
            "links.csv",
            Some(4),
            Some("from"),
            &[
                "duplicate link between",
                "(first on line 2); expected one row per pair of sites",
            ],
        );
    }
}

#[test]
fn a_link_from_a_site_to_itself_is_refused() {
    assert_error(
        with_cell("links.csv", 3, "to", "b"),
        "links.csv",
        Some(3),
        Some("to"),
        &["link from \"b\" to itself; expected two distinct sites"],
    );
}

#[test]
fn a_window_missing_for_a_site_names_the_window_and_site() {
    // Line 6 is window 1 at site a; window 1 then starts on line 5.
    assert_error(
        InstanceFiles::valid().with("windows.csv", remove_line(WINDOWS_CSV, 6)),
        "windows.csv",
        Some(5),
        Some("site"),
        &["window 1 has no row for site \"a\"; expected every (window, site) pair exactly once"],
    );
}

#[test]
fn a_gap_in_the_windows_is_refused() {
    let windows = WINDOWS_CSV.replace("\n1,", "\n2,");
    assert_error(
        InstanceFiles::valid().with("windows.csv", windows),
        "windows.csv",
        Some(5),
        Some("window"),
        &["no row has window 1, but this row has window 2; expected windows numbered 0, 1, 2, … without gaps"],
    );
    // Windows need not start anywhere but 0.
    let windows = WINDOWS_CSV.replace("\n1,", "\n2,").replace("\n0,", "\n1,");
    assert_error(
        InstanceFiles::valid().with("windows.csv", windows),
        "windows.csv",
        Some(2),
        Some("window"),
        &["no row has window 0"],
    );
    // A huge window number is a gap, not a huge allocation.
    assert_error(
        with_cell("windows.csv", 7, "window", "4000000000"),
        "windows.csv",
        Some(7),
        Some("window"),
        &["no row has window 2"],
    );
}

#[test]
fn a_duplicate_window_and_site_is_refused() {
    assert_error(
        with_cell("windows.csv", 5, "window", "0"),
        "windows.csv",
        Some(5),
        Some("site"),
        &["duplicate row for window 0 and site \"c\" (first on line 4)"],
    );
}

#[test]
fn a_start_must_look_like_rfc3339() {
    assert_error(
        with_cell("windows.csv", 3, "start", "2024-01-01 00:00"),
        "windows.csv",
        Some(3),
        Some("start"),
        &[
            "expected an RFC 3339 date-time such as 2024-01-31T13:00:00Z",
            "found \"2024-01-01 00:00\"",
        ],
    );
}

#[test]
fn usage_rows_must_name_a_window_that_exists_once_per_vm() {
    assert_error(
        with_cell("usage.csv", 3, "window", "2"),
        "usage.csv",
        Some(3),
        Some("window"),
        &["expected a window from 0 to 1 (windows.csv has 2 windows), found \"2\""],
    );
    assert_error(
        InstanceFiles::valid().with("usage.csv", format!("{USAGE_CSV}1,web1,0.5\n")),
        "usage.csv",
        Some(4),
        Some("vm"),
        &["duplicate row for window 1 and vm \"web1\" (first on line 2)"],
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed rows and bytes.

#[test]
fn a_ragged_row_is_refused_with_its_line() {
    let short = replace_once(SITES_CSV, "2,3,FR,bob\n", "2,3,FR\n");
    assert_error(
        InstanceFiles::valid().with("sites.csv", short),
        "sites.csv",
        Some(3),
        Some("x_owner"),
        &["the row has 10 fields but the header has 11; expected a value (or an empty cell) for every column"],
    );
    let long = replace_once(SITES_CSV, "2,3,FR,bob\n", "2,3,FR,bob,extra\n");
    assert_error(
        InstanceFiles::valid().with("sites.csv", long),
        "sites.csv",
        Some(3),
        None,
        &["the row has 12 fields but the header has 11; expected one field per column"],
    );
    // A line of spaces is a row of one field, not a blank line.
    assert_error(
        InstanceFiles::valid().with("usage.csv", format!("{USAGE_CSV}   \n")),
        "usage.csv",
        Some(4),
        Some("vm"),
        &["the row has 1 field but the header has 3"],
    );
}

#[test]
fn bytes_that_are_not_utf8_are_refused_with_their_place() {
    let mut vms = VMS_CSV.as_bytes().to_vec();
    let at = VMS_CSV.find(",web,").unwrap() + 2;
    vms[at] = 0xFF;
    assert_error(
        InstanceFiles::valid().with("vms.csv", vms),
        "vms.csv",
        Some(3),
        Some("anti_affinity"),
        &["the cell is not valid UTF-8 (bad byte at offset 1 of the cell); expected UTF-8 text"],
    );
    let mut sites = SITES_CSV.as_bytes().to_vec();
    sites[2] = 0xC3;
    assert_error(
        InstanceFiles::valid().with("sites.csv", sites),
        "sites.csv",
        Some(1),
        None,
        &["header cell 1 is not valid UTF-8"],
    );
    let mut params = PARAMS_TOML.as_bytes().to_vec();
    params.extend_from_slice(b"# \xFF\n");
    assert_error(
        InstanceFiles::valid().with("params.toml", params),
        "params.toml",
        Some(4),
        None,
        &["not valid UTF-8"],
    );
}

// ---------------------------------------------------------------------------------------------
// params.toml.

#[test]
fn params_refuse_unknown_keys() {
    assert_error(
        InstanceFiles::valid().with("params.toml", format!("{PARAMS_TOML}windows_hours = 2\n")),
        "params.toml",
        Some(4),
        Some("windows_hours"),
        &["unknown key \"windows_hours\"; expected one of: window_hours,"],
    );
    assert_error(
        InstanceFiles::valid().with("params.toml", "[solver]\nthreads = 4\n"),
        "params.toml",
        Some(1),
        Some("solver"),
        &["unknown key \"solver\""],
    );
}

#[test]
fn params_check_types() {
    let cases: &[(&str, u64, &str, &str)] = &[
        (
            "concurrency = 2.0",
            1,
            "concurrency",
            "expected an integer ≥ 1 (a TOML integer, such as 4, not 4.0), found the float 2.0",
        ),
        (
            "max_rounds = \"5\"",
            1,
            "max_rounds",
            "expected an integer ≥ 0 (a TOML integer",
        ),
        (
            "\nwindow_hours = \"1\"",
            2,
            "window_hours",
            "expected a number > 0, found the string \"1\"",
        ),
        (
            "setup_s = true",
            1,
            "setup_s",
            "expected a number ≥ 0, found a boolean",
        ),
    ];
    for &(text, line, key, message) in cases {
        assert_error(
            InstanceFiles::valid().with("params.toml", text),
            "params.toml",
            Some(line),
            Some(key),
            &[message],
        );
    }
}

#[test]
fn params_check_ranges() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "window_hours = 0",
            "window_hours",
            "expected a number > 0, found the integer 0",
        ),
        (
            "link_efficiency = 1.5",
            "link_efficiency",
            "expected a number in (0, 1], found the float 1.5",
        ),
        (
            "link_efficiency = 0.0",
            "link_efficiency",
            "expected a number in (0, 1], found the float 0.0",
        ),
        (
            "concurrency = 0",
            "concurrency",
            "expected an integer ≥ 1, found 0",
        ),
        (
            "max_rounds = -1",
            "max_rounds",
            "expected an integer ≥ 0, found -1",
        ),
        (
            "max_downtime_ms = 0",
            "max_downtime_ms",
            "expected a number > 0",
        ),
        (
            "carbon_eur_per_t = -1",
            "carbon_eur_per_t",
            "expected a number ≥ 0",
        ),
        (
            "energy_j_fixed = nan",
            "energy_j_fixed",
            "expected a number ≥ 0, found the float NaN",
        ),
        (
            "resume_s = inf",
            "resume_s",
            "expected a number ≥ 0, found the float inf",
        ),
    ];
    for &(text, key, message) in cases {
        assert_error(
            InstanceFiles::valid().with("params.toml", text),
            "params.toml",
            Some(1),
            Some(key),
            &[message],
        );
    }
    let instance = InstanceFiles::valid()
        .with(
            "params.toml",
            "max_rounds = 0\nlink_efficiency = 1\nsetup_s = 0\n",
        )
        .read()
        .unwrap();
    assert_eq!(instance.params.max_rounds, 0);
    assert_eq!(instance.params.link_efficiency, 1.0);
}

#[test]
fn params_syntax_errors_name_the_line() {
    assert_error(
        InstanceFiles::valid().with("params.toml", "window_hours = 1\nconcurrency =\n"),
        "params.toml",
        Some(2),
        None,
        &["invalid TOML"],
    );
    assert_error(
        InstanceFiles::valid().with("params.toml", "setup_s = 1\nsetup_s = 2\n"),
        "params.toml",
        Some(2),
        None,
        &["invalid TOML"],
    );
}

// ---------------------------------------------------------------------------------------------
// Placements.

/// A placement of the valid instance: everything stays, except db in window 1.
const PLACEMENT_CSV: &str = "\
vm,window,site,x_cost
web1,0,a,1
web2,0,a,
db,0,b,
web1,1,a,
web2,1,a,
db,1,c,
";

fn read_placement_text(
    text: impl AsRef<[u8]>,
) -> (String, Result<wattshift::domain::plan::Plan, InputError>) {
    let instance = InstanceFiles::valid().read().unwrap();
    let dir = TempDir::new("placement");
    let path = dir.write("placement.csv", text);
    (path.display().to_string(), read_placement(&path, &instance))
}

#[track_caller]
fn assert_placement_error(text: &str, line: Option<u64>, column: Option<&str>, message: &str) {
    let (path, result) = read_placement_text(text);
    let error = result.expect_err("expected the placement to be refused");
    assert_eq!(
        (error.file.as_str(), error.line, error.column.as_deref()),
        (path.as_str(), line, column),
        "wrong place for: {error}"
    );
    assert!(
        error.message.contains(message),
        "message {:?} lacks {message:?}",
        error.message
    );
}

#[test]
fn a_placement_reads_as_a_plan() {
    let (_, result) = read_placement_text(PLACEMENT_CSV);
    let plan = result.unwrap();
    assert_eq!(plan.site.shape(), &[3, 2]);
    assert_eq!(plan.site.row(0).to_vec(), vec![0, 0]);
    assert_eq!(plan.site.row(2).to_vec(), vec![1, 2]);
}

#[test]
fn a_placement_refuses_bad_rows_with_their_place() {
    assert_placement_error(
        &PLACEMENT_CSV.replace("db,1,c", "dbx,1,c"),
        Some(7),
        Some("vm"),
        "unknown vm \"dbx\" (vms.csv has: web1, web2, db)",
    );
    assert_placement_error(
        &PLACEMENT_CSV.replace("db,1,c", "db,1,zz"),
        Some(7),
        Some("site"),
        "unknown site \"zz\" (sites.csv has: a, b, c)",
    );
    assert_placement_error(
        &PLACEMENT_CSV.replace("db,1,c", "db,2,c"),
        Some(7),
        Some("window"),
        "expected a window from 0 to 1 (the instance has 2 windows), found \"2\"",
    );
    assert_placement_error(
        &PLACEMENT_CSV.replace("db,1,c", "db,1.0,c"),
        Some(7),
        Some("window"),
        "written as an integer without fraction or exponent, found \"1.0\"",
    );
    assert_placement_error(
        &PLACEMENT_CSV.replace("db,1,c", "db,0,c"),
        Some(7),
        Some("vm"),
        "duplicate row for vm \"db\" in window 0 (first on line 4)",
    );
    assert_placement_error(
        &PLACEMENT_CSV.replace("web2,1,a,\n", ""),
        Some(3),
        Some("window"),
        "vm \"web2\" has no row for window 1; expected one row per VM and window",
    );
    assert_placement_error(
        &PLACEMENT_CSV
            .replace("web2,1,a,\n", "")
            .replace("web2,0,a,\n", ""),
        Some(1),
        Some("vm"),
        "vm \"web2\" has no rows",
    );
    assert_placement_error(
        "vm,window\nweb1,0\n",
        Some(1),
        Some("site"),
        "missing required column \"site\"",
    );
}

#[test]
fn a_missing_placement_file_is_named_by_its_path() {
    let instance = InstanceFiles::valid().read().unwrap();
    let dir = TempDir::new("placement");
    let path = dir.path().join("nowhere.csv");
    let error = read_placement(&path, &instance).unwrap_err();
    assert_eq!(error.file, path.display().to_string());
    assert_eq!((error.line, error.column), (None, None));
    assert!(error.message.contains("file not found"));
}

// ---------------------------------------------------------------------------------------------
// Fuzzing: no input makes the reader panic.

/// One damage done to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { at: Index, bit: u8 },
    Insert { at: Index, byte: u8 },
    Delete { at: Index },
    Truncate { at: Index },
    DuplicateLine { line: Index },
    SwapColumns { a: Index, b: Index },
}

/// Bytes that mean something to CSV, numbers or UTF-8, and now and then any byte.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b",\"\n\r;-+.eE0129 x_\xFF\xC3\xEF".to_vec()),
        1 => any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<Index>(), interesting_byte()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<Index>().prop_map(|at| Mutation::Delete { at }),
        any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        any::<Index>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapColumns { a, b }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len();
    match mutation {
        Mutation::FlipBit { at, bit } if len > 0 => bytes[at.index(len)] ^= 1 << bit,
        Mutation::Insert { at, byte } => bytes.insert(at.index(len + 1), *byte),
        Mutation::Delete { at } if len > 0 => {
            bytes.remove(at.index(len));
        }
        Mutation::Truncate { at } => bytes.truncate(at.index(len + 1)),
        Mutation::DuplicateLine { line } => {
            let mut lines: Vec<Vec<u8>> =
                bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let i = line.index(lines.len());
            lines.insert(i, lines[i].clone());
            *bytes = lines.join(&b'\n');
        }
        Mutation::SwapColumns { a, b } => {
            // Swaps two fields on every line, as a careless edit of a spreadsheet export would.
            let lines: Vec<Vec<u8>> = bytes
                .split(|&c| c == b'\n')
                .map(|line| {
                    let mut fields: Vec<&[u8]> = line.split(|&c| c == b',').collect();
                    let n = fields.len();
                    fields.swap(a.index(n), b.index(n));
                    fields.join(&b',')
                })
                .collect();
            *bytes = lines.join(&b'\n');
        }
        _ => {}
    }
}

const FILE_NAMES: [&str; 6] = [
    "sites.csv",
    "vms.csv",
    "links.csv",
    "windows.csv",
    "usage.csv",
    "params.toml",
];

/// What every instance that reads must satisfy, whatever bytes it came from.
fn assert_consistent(instance: &Instance) {
    let (windows, sites, vms) = (
        instance.num_windows(),
        instance.num_sites(),
        instance.num_vms(),
    );
    assert!(windows > 0 && sites > 0);
    for table in [
        &instance.price_eur_mwh,
        &instance.renewable_kw,
        &instance.carbon_g_kwh,
    ] {
        assert_eq!(table.shape(), &[windows, sites]);
        assert!(table.iter().all(|x| x.is_finite()));
    }
    assert_eq!(instance.window_start.shape(), &[windows, sites]);
    assert_eq!(instance.util.shape(), &[vms, windows]);
    assert!(instance.util.iter().all(|u| (0.0..=1.0).contains(u)));
    for vm in &instance.vms {
        assert!(vm.initial_site < sites);
        assert!(
            vm.profile.wss_gib <= vm.profile.mem_used_gib && vm.profile.mem_used_gib <= vm.mem_gib
        );
    }
    for link in &instance.links {
        assert!(link.from < sites && link.to < sites && link.from != link.to);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn damaged_files_never_panic_the_reader(
        file in 0..FILE_NAMES.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let name = FILE_NAMES[file];
        let valid = InstanceFiles::valid();
        let mut bytes = valid.get(name).to_vec();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        let files = valid.with(name, bytes);
        let dir = files.write();
        let first = wattshift::io::read::read_instance(dir.path());
        // The pass that goes on past errors agrees with the one that stops at the first.
        let all = wattshift::io::read::read_instance_all(dir.path(), 100);
        match (&first, &all) {
            (Ok(_), Ok(_)) => {}
            (Err(error), Err(report)) => {
                prop_assert!(!report.errors.is_empty() && report.errors.len() <= 100);
                prop_assert_eq!(error, &report.errors[0]);
            }
            _ => prop_assert!(false, "{:?} but {:?}", first.is_ok(), all.is_ok()),
        }
        if let Ok(instance) = first {
            assert_consistent(&instance);
        }
    }

    #[test]
    fn damaged_placements_never_panic_the_reader(
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut bytes = PLACEMENT_CSV.as_bytes().to_vec();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        let (_, result) = read_placement_text(bytes);
        if let Ok(plan) = result {
            prop_assert_eq!(plan.site.shape(), &[3, 2]);
            prop_assert!(plan.site.iter().all(|&s| s < 3));
        }
    }

    #[test]
    fn column_order_never_matters(keys in prop::collection::vec(any::<u32>(), 20)) {
        let mut files = InstanceFiles::valid();
        for name in ["sites.csv", "vms.csv", "links.csv", "windows.csv", "usage.csv"] {
            let text = String::from_utf8(files.get(name).to_vec()).unwrap();
            let width = text.lines().next().unwrap().split(',').count();
            let mut order: Vec<usize> = (0..width).collect();
            order.sort_by_key(|&i| keys[i]);
            files = files.with(name, reorder_columns(&text, &order));
        }
        prop_assert_eq!(files.read().unwrap(), InstanceFiles::valid().read().unwrap());
    }
}

/// `max_migrations_per_vm` is an integer ≥ 0, named at its line when it is not, and read
/// when it is.
#[test]
fn max_migrations_per_vm_is_checked_at_its_line() {
    for (value, says) in [
        ("1.5", "expected an integer ≥ 0"),
        ("-1", "expected an integer ≥ 0, found -1"),
        ("\"two\"", "expected an integer ≥ 0"),
    ] {
        assert_error(
            InstanceFiles::valid().with(
                "params.toml",
                format!("window_hours = 1.0\nmax_migrations_per_vm = {value}\n"),
            ),
            "params.toml",
            Some(2),
            Some("max_migrations_per_vm"),
            &[says],
        );
    }
    let instance = InstanceFiles::valid()
        .with("params.toml", "max_migrations_per_vm = 3\n")
        .read()
        .unwrap();
    assert_eq!(instance.params.max_migrations_per_vm, Some(3));
    let instance = InstanceFiles::valid().read().unwrap();
    assert_eq!(instance.params.max_migrations_per_vm, None);
}
