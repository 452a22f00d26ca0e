//! NODES.csv (`site, node, cpu, mem_gib`): the compute nodes of each site, for `hosts` and the
//! OpenStack exports.

use super::lexers::Range;
use super::table::*;
use crate::domain::instance::Instance;
use crate::error::InputError;
use crate::nodes::Node;
use std::path::Path;

/// Reads a list of compute nodes for `instance`: known sites, unique non-empty node names,
/// cores and memory > 0 (`x_` columns are ignored). Errors name the file by `path` as given.
pub fn read_nodes(path: &Path, instance: &Instance) -> Result<Vec<Node>, InputError> {
    let name = path.display().to_string();
    let bytes =
        match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(InputError::file(
                name,
                "file not found; expected a CSV of compute nodes with columns site, node, cpu, \
                 mem_gib",
            )),
            Err(e) => return Err(InputError::file(name, format!("cannot read the file: {e}"))),
        };
    let file = CsvFile::parse(&name, &bytes)?;
    let table = file.table(&Schema {
        required: &["site", "node", "cpu", "mem_gib"],
        optional: &[],
    })?;
    let site_ids = IdIndex::new(
        "site",
        "sites.csv",
        instance.sites.iter().map(|s| s.id.as_str()),
    );
    let mut seen = UniqueIds::new("node");
    let mut nodes = Vec::new();
    for row in table.rows() {
        let row = row?;
        let site = site_ids.lookup(&row, "site")?;
        let node = row.req_id("node")?;
        seen.insert(&row, "node", node)?;
        nodes.push(Node {
            site,
            name: node.to_string(),
            cpu: row.req_f64("cpu", Range::positive())?,
            mem_gib: row.req_f64("mem_gib", Range::positive())?,
        });
    }
    Ok(nodes)
}
