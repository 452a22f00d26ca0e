//! Draws the scaling plots of docs/SCALE.md from the CSV that `scripts/scale.sh` prints:
//! for each family (VMs, sites, windows), the wall time to a 1 % gap (or the time limit), the
//! proven gap at the end and the peak memory, against the family's size, with a dashed line of
//! linear growth through the smallest run for time and memory.
//!
//! ```text
//! cargo run --release --example scale_plot -- docs/scale/scale.csv docs/scale
//! ```
//! writes docs/scale/scale-vms.svg, scale-sites.svg and scale-windows.svg.

use serde::Deserialize;
use std::path::PathBuf;
use wattshift::chart::{figure, Axis, LineChart, Scale, Series};

/// One row of scale.sh's CSV.
#[derive(Debug, Deserialize)]
struct Row {
    family: String,
    sites: f64,
    vms: f64,
    windows: f64,
    wall_s: f64,
    gap: Option<f64>,
    peak_rss_mb: f64,
}

/// A dashed line of linear growth through the first point.
fn linear_from(points: &[(f64, f64)]) -> Option<Series> {
    let &(x0, y0) = points.first()?;
    Some(Series {
        name: "linear growth".into(),
        points: points.iter().map(|&(x, _)| (x, y0 * x / x0)).collect(),
        dashed: true,
        colour: None,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [csv_path, out_dir] = args.as_slice() else {
        return Err("usage: scale_plot SCALE.csv OUT_DIR".into());
    };
    let mut rows: Vec<Row> = Vec::new();
    for row in csv::Reader::from_path(csv_path)?.deserialize() {
        rows.push(row?);
    }
    let out_dir = PathBuf::from(out_dir);
    std::fs::create_dir_all(&out_dir)?;
    for (family, label) in [
        ("vms", "VMs (16 sites, 168 windows)"),
        ("sites", "sites (2,000 VMs, 168 windows)"),
        ("windows", "windows (16 sites, 2,000 VMs)"),
    ] {
        let mut family_rows: Vec<&Row> = rows.iter().filter(|r| r.family == family).collect();
        let x = |r: &Row| match family {
            "vms" => r.vms,
            "sites" => r.sites,
            _ => r.windows,
        };
        family_rows.sort_by(|a, b| x(a).total_cmp(&x(b)));
        let series = |name: &str, y: &dyn Fn(&Row) -> Option<f64>| Series {
            name: name.into(),
            points: family_rows
                .iter()
                .filter_map(|r| y(r).map(|y| (x(r), y)))
                .collect(),
            dashed: false,
            colour: None,
        };
        let axis = |label: &str, scale| Axis {
            label: label.into(),
            scale,
            from_zero: false,
        };
        let time = series("wall time", &|r| Some(r.wall_s));
        let memory = series("peak memory", &|r| Some(r.peak_rss_mb));
        let gap = series("proven gap", &|r| r.gap.map(|g| 100.0 * g));
        let charts = [
            LineChart {
                title: "Time to a 1 % gap (or the limit)".into(),
                x: axis(label, Scale::Log),
                y: axis("wall time (s)", Scale::Log),
                series: [Some(time.clone()), linear_from(&time.points)]
                    .into_iter()
                    .flatten()
                    .collect(),
            },
            LineChart {
                title: "Proven gap at the end".into(),
                x: axis(label, Scale::Log),
                y: axis("gap (%)", Scale::Linear),
                series: vec![gap],
            },
            LineChart {
                title: "Peak memory".into(),
                x: axis(label, Scale::Log),
                y: axis("peak resident memory (MB)", Scale::Log),
                series: [Some(memory.clone()), linear_from(&memory.points)]
                    .into_iter()
                    .flatten()
                    .collect(),
            },
        ];
        let path = out_dir.join(format!("scale-{family}.svg"));
        std::fs::write(&path, figure(&charts, 3))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
