//! Helpers shared by the integration tests: temporary directories and a small valid instance
//! whose files a test can override one at a time.

// Each test module uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wattshift::domain::instance::Instance;
use wattshift::error::InputError;

/// A temporary directory (tempfile's: unique, removed with everything in it on drop) with a
/// helper to write files into it.
pub struct TempDir {
    dir: tempfile::TempDir,
}

impl TempDir {
    /// A fresh directory whose name starts with `label`.
    pub fn new(label: &str) -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("wattshift-test-{label}-"))
            .tempdir()
            .expect("cannot create a temporary directory");
        TempDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, content).expect("cannot write a test file");
        path
    }
}

/// sites.csv of the small valid instance: three sites, defaults left empty on purpose, and an
/// annotation column.
pub const SITES_CSV: &str = "\
site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue,cpu_overcommit,max_migrations,zone,x_owner
a,4,32,256,100,300,1.2,,,DE,alice
b,2,16,128,80,250,1.5,2,3,FR,bob
c,1,8,64,50,150,1.1,,0,,
";

/// vms.csv: web1 takes every default, web2 sets most columns, db chains wss below mem_used.
pub const VMS_CSV: &str = "\
vm,site,cpu,mem_gib,util,disk_gib,mem_used_gib,wss_gib,dirty_mib_s,disk_write_mib_s,migration,boot_s,allowed_sites,anchor_site,max_latency_ms,anti_affinity,penalty_eur_per_s,downtime_eur_per_s,x_team
web1,a,4,16,0.5,,,,,,,,,,,,,,red
web2,a,4,16,,40,12,,100,5,block,,c;b;c,a,20,web,0.01,0.1,blue
db,b,8,64,0.8,100,48,8,50,,postcopy,30,,b,,,,,
";

/// links.csv: a to b and b to c, so a reaches c only through b.
pub const LINKS_CSV: &str = "\
from,to,bandwidth_gbps,latency_ms,eur_per_gb,x_note
a,b,10,5,0.01,main
b,c,1,,,
";

/// windows.csv: two windows, rows out of order, a negative price and an exponent.
pub const WINDOWS_CSV: &str = "\
window,site,price_eur_mwh,renewable_kw,carbon_g_kwh,start
0,a,50,0,300,2024-01-01T00:00:00Z
0,b,-5.5,10,,2024-01-01T00:00:00Z
0,c,70,,100,
1,c,1e2,0,100,
1,a,60,,300,2024-01-01T01:00:00+01:00
1,b,40,2.5,50,2024-01-01T01:00:00Z
";

/// usage.csv: overrides web1 in window 1 and db in window 0.
pub const USAGE_CSV: &str = "\
window,vm,util
1,web1,0.25
0,db,0
";

/// params.toml: an integer given for a float key, and an integer key.
pub const PARAMS_TOML: &str = "\
window_hours = 0.5
concurrency = 2
carbon_eur_per_t = 80
";

/// The files of an instance, by name, to be written into a fresh directory.
#[derive(Debug, Clone)]
pub struct InstanceFiles {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl InstanceFiles {
    /// The small valid instance of this module's constants.
    pub fn valid() -> InstanceFiles {
        let files = [
            ("sites.csv", SITES_CSV),
            ("vms.csv", VMS_CSV),
            ("links.csv", LINKS_CSV),
            ("windows.csv", WINDOWS_CSV),
            ("usage.csv", USAGE_CSV),
            ("params.toml", PARAMS_TOML),
        ]
        .into_iter()
        .map(|(name, text)| (name.to_string(), text.as_bytes().to_vec()))
        .collect();
        InstanceFiles { files }
    }

    /// Replaces (or adds) one file.
    pub fn with(mut self, name: &str, content: impl Into<Vec<u8>>) -> InstanceFiles {
        self.files.insert(name.to_string(), content.into());
        self
    }

    /// Removes one file.
    pub fn without(mut self, name: &str) -> InstanceFiles {
        self.files.remove(name);
        self
    }

    /// The content of one file, empty if absent.
    pub fn get(&self, name: &str) -> &[u8] {
        self.files.get(name).map_or(&[], Vec::as_slice)
    }

    /// Writes the files into a fresh temporary directory.
    pub fn write(&self) -> TempDir {
        let dir = TempDir::new("instance");
        for (name, content) in &self.files {
            dir.write(name, content);
        }
        dir
    }

    /// Writes the files and reads them back as an instance.
    pub fn read(&self) -> Result<Instance, InputError> {
        let dir = self.write();
        wattshift::io::read::read_instance(dir.path())
    }
}

/// Replaces the one occurrence of `from` in `text`, failing the test if there is not exactly one,
/// so that an edit to a fixture cannot silently make a test vacuous.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} must occur once in {text:?}"
    );
    text.replacen(from, to, 1)
}

/// Path of a directory under tests/data.
pub fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// The cells of a CSV text without quoted fields, one vector per line.
fn cells(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect()
}

fn join(rows: &[Vec<String>]) -> String {
    rows.iter().map(|row| row.join(",") + "\n").collect()
}

/// Sets the cell of `column` on 1-based `line` of a CSV text without quoted fields.
pub fn set_cell(csv: &str, line: usize, column: &str, value: &str) -> String {
    let mut rows = cells(csv);
    let position = rows[0]
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column:?} in {csv:?}"));
    rows[line - 1][position] = value.to_string();
    join(&rows)
}

/// Removes a column from every line of a CSV text without quoted fields.
pub fn drop_column(csv: &str, column: &str) -> String {
    let mut rows = cells(csv);
    let position = rows[0]
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column:?} in {csv:?}"));
    for row in &mut rows {
        row.remove(position);
    }
    join(&rows)
}

/// Reorders the columns of every line of a CSV text without quoted fields: column `i` of the
/// result is column `order[i]` of the input.
pub fn reorder_columns(csv: &str, order: &[usize]) -> String {
    let rows: Vec<Vec<String>> = cells(csv)
        .into_iter()
        .map(|row| order.iter().map(|&i| row[i].clone()).collect())
        .collect();
    join(&rows)
}

/// Removes 1-based `line` from a text.
pub fn remove_line(text: &str, line: usize) -> String {
    text.lines()
        .enumerate()
        .filter(|&(i, _)| i + 1 != line)
        .map(|(_, l)| format!("{l}\n"))
        .collect()
}
