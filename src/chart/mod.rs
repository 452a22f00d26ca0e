//! Charts as self-contained SVG, drawn by this module: line charts with axes with units,
//! linear or logarithmic scales with round ticks, series with markers, dashed reference lines
//! and a legend; and, for the HTML reports, stacked columns with lines on second axes
//! ([`ComboChart`]), Gantt charts ([`Gantt`]), heatmaps ([`Heatmap`]) and grouped bars
//! ([`BarChart`]). No script, no font files and no network address: a chart opens offline in
//! any browser and can be attached to a ticket. The scaling plots of docs/SCALE.md are drawn
//! with it (`examples/scale_plot.rs`).

use std::fmt::Write;

mod plots;
pub use plots::{Bar, BarChart, ComboChart, Gantt, GanttBar, Heatmap, Layer};

/// How an axis maps values to positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Equal steps for equal differences; ticks at 1, 2 or 5 × 10^k steps.
    Linear,
    /// Equal steps for equal ratios; ticks at powers of ten (and 2 and 5 between them when the
    /// range spans less than three decades). Values ≤ 0 are not drawn.
    Log,
}

/// An axis: its title (with the unit) and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Title, with the unit, e.g. "peak memory (MB)".
    pub label: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Start a linear axis at 0 whatever the values (time since a solve started).
    pub from_zero: bool,
}

/// A series of points, joined in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// (x, y) points; non-finite ones (and ≤ 0 ones on a log axis) are left out.
    pub points: Vec<(f64, f64)>,
    /// A dashed line without markers, for references such as linear growth.
    pub dashed: bool,
    /// Its colour, as an index into [`PALETTE`]; `None` takes the series' position, so that
    /// two series (a plan and its bound) can share one.
    pub colour: Option<usize>,
}

/// A line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// The series, drawn in order with the colours of [`PALETTE`].
    pub series: Vec<Series>,
}

/// Okabe and Ito's colour-blind-safe palette.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];

/// Width of one chart, px.
pub const WIDTH: f64 = 420.0;
/// Height of one chart, px.
pub const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;

/// Escapes text for SVG.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A tick label: at most three significant digits, with k and M for thousands and millions.
pub fn tick_label(value: f64) -> String {
    let a = value.abs();
    let (scaled, suffix) = if a >= 1e6 {
        (value / 1e6, "M")
    } else if a >= 1e4 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = if scaled == 0.0 {
        "0".to_string()
    } else {
        let digits = (2 - scaled.abs().log10().floor() as i32).clamp(0, 6) as usize;
        let text = format!("{scaled:.digits$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    };
    format!("{text}{suffix}")
}

/// A tick label on an axis whose ticks are `step` apart: [`tick_label`], with as many decimals
/// as the step needs so that neighbouring ticks never read the same (1.585, 1.59, 1.595).
pub fn axis_label(value: f64, step: f64) -> String {
    let short = tick_label(value);
    if !(step.is_finite() && step > 0.0) || value.abs() >= 1e4 {
        return short;
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 9.0) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text.len() > short.len() {
        text
    } else {
        short
    }
}

/// The range of an axis and its ticks.
struct Ticks {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    /// Evenly spaced (a linear axis).
    linear: bool,
}

impl Ticks {
    /// The label of tick `t`: on a linear axis with as many decimals as its step needs.
    fn label(&self, t: f64) -> String {
        match (self.linear, self.ticks.as_slice()) {
            (true, [a, b, ..]) => axis_label(t, b - a),
            _ => tick_label(t),
        }
    }
}

fn ticks(values: &[f64], scale: Scale) -> Ticks {
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = match scale {
            Scale::Linear => (0.0, 1.0),
            Scale::Log => (1.0, 10.0),
        };
    }
    match scale {
        Scale::Linear => {
            if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                (lo, hi) = (lo - 0.5 * lo.abs().max(1.0), hi + 0.5 * hi.abs().max(1.0));
            }
            let raw = (hi - lo) / 5.0;
            let magnitude = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|m| m * magnitude)
                .find(|&s| s >= raw)
                .unwrap_or(10.0 * magnitude);
            let first = (lo / step).floor() * step;
            let last = (hi / step).ceil() * step;
            let count = ((last - first) / step).round() as usize;
            Ticks {
                lo: first,
                hi: last,
                ticks: (0..=count).map(|i| first + i as f64 * step).collect(),
                linear: true,
            }
        }
        Scale::Log => {
            let first = lo.log10().floor() as i32;
            let mut last = hi.log10().ceil() as i32;
            if last == first {
                last += 1;
            }
            let mantissas: &[f64] = if last - first < 3 {
                &[1.0, 2.0, 5.0]
            } else {
                &[1.0]
            };
            let mut ticks = Vec::new();
            for k in first..=last {
                for m in mantissas {
                    let v = m * 10f64.powi(k);
                    if v <= 10f64.powi(last) * (1.0 + 1e-9) {
                        ticks.push(v);
                    }
                }
            }
            Ticks {
                lo: 10f64.powi(first),
                hi: 10f64.powi(last),
                ticks,
                linear: false,
            }
        }
    }
}

impl LineChart {
    /// The points of every series that the axes can draw.
    fn drawable(&self) -> Vec<Vec<(f64, f64)>> {
        let ok = |v: f64, scale: Scale| v.is_finite() && (scale == Scale::Linear || v > 0.0);
        self.series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .copied()
                    .filter(|&(x, y)| ok(x, self.x.scale) && ok(y, self.y.scale))
                    .collect()
            })
            .collect()
    }

    /// The chart as an `<svg>` element of [`WIDTH`] × [`HEIGHT`] at (x, y), for
    /// [`figure`] to place; `id` names it for tests and styles.
    pub fn svg_at(&self, x: f64, y: f64, id: &str) -> String {
        let points = self.drawable();
        let all: Vec<(f64, f64)> = points.iter().flatten().copied().collect();
        let mut xs: Vec<f64> = all.iter().map(|p| p.0).collect();
        if self.x.from_zero && self.x.scale == Scale::Linear && !xs.is_empty() {
            xs.push(0.0);
        }
        let ys: Vec<f64> = all.iter().map(|p| p.1).collect();
        let tx = ticks(&xs, self.x.scale);
        let ty = ticks(&ys, self.y.scale);
        // The legend sits below the plotting area, two entries to a row, and names only the
        // series that have something to draw.
        let legend: Vec<usize> = (0..self.series.len())
            .filter(|&i| !points[i].is_empty())
            .collect();
        let legend_rows = legend.len().div_ceil(2);
        let band = if legend_rows == 0 {
            0.0
        } else {
            14.0 * legend_rows as f64 + 4.0
        };
        let (w, h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM - band);
        let map = |v: f64, t: &Ticks, scale: Scale| match scale {
            Scale::Linear => (v - t.lo) / (t.hi - t.lo),
            Scale::Log => (v.log10() - t.lo.log10()) / (t.hi.log10() - t.lo.log10()),
        };
        let px = |v: f64| LEFT + w * map(v, &tx, self.x.scale);
        let py = |v: f64| TOP + h * (1.0 - map(v, &ty, self.y.scale));
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg id="{id}" class="chart" x="{x}" y="{y}" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"#
        );
        let _ = write!(
            out,
            r#"<text x="{}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{}</text>"#,
            WIDTH / 2.0,
            escape(&self.title)
        );
        // Grid and ticks.
        for &t in &tx.ticks {
            let p = px(t);
            let _ = write!(
                out,
                r##"<line x1="{p:.1}" y1="{TOP}" x2="{p:.1}" y2="{:.1}" stroke="#e4e4e4"/><text x="{p:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                TOP + h,
                TOP + h + 14.0,
                tx.label(t)
            );
        }
        for &t in &ty.ticks {
            let p = py(t);
            let _ = write!(
                out,
                r##"<line x1="{LEFT}" y1="{p:.1}" x2="{:.1}" y2="{p:.1}" stroke="#e4e4e4"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT + w,
                LEFT - 5.0,
                p + 4.0,
                ty.label(t)
            );
        }
        let _ = write!(
            out,
            r##"<rect x="{LEFT}" y="{TOP}" width="{w}" height="{h}" fill="none" stroke="#444"/>"##
        );
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + w / 2.0,
            HEIGHT - 8.0 - band,
            escape(&self.x.label)
        );
        let _ = write!(
            out,
            r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + h / 2.0,
            escape(&self.y.label)
        );
        if all.is_empty() {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#888">no data</text>"##,
                LEFT + w / 2.0,
                TOP + h / 2.0
            );
        }
        // Series, then the legend.
        for (i, (series, pts)) in self.series.iter().zip(&points).enumerate() {
            if pts.is_empty() {
                continue;
            }
            let colour = PALETTE[series.colour.unwrap_or(i) % PALETTE.len()];
            let path: Vec<String> = pts
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
                .collect();
            let dash = if series.dashed {
                r#" stroke-dasharray="5 4""#
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<polyline class="series" fill="none" stroke="{colour}" stroke-width="2"{dash} points="{}"><title>{}</title></polyline>"#,
                path.join(" "),
                escape(&series.name)
            );
            // A lone point draws no line: it gets its mark even on a dashed series.
            if !series.dashed || pts.len() == 1 {
                for &(x, y) in pts {
                    let _ = write!(
                        out,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{}: {}, {}</title></circle>"#,
                        px(x),
                        py(y),
                        escape(&series.name),
                        tick_label(x),
                        tick_label(y)
                    );
                }
            }
            let Some(k) = legend.iter().position(|&j| j == i) else {
                continue;
            };
            let lx = LEFT + (k % 2) as f64 * (w / 2.0);
            // Half the plot's width holds about 28 characters; a longer name is cut, whole in
            // its tooltip.
            let shown: String = if series.name.chars().count() > 28 {
                series.name.chars().take(27).collect::<String>() + "…"
            } else {
                series.name.clone()
            };
            let ly = HEIGHT - band + 10.0 + 14.0 * (k / 2) as f64;
            let _ = write!(
                out,
                r#"<line class="legend" x1="{:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{}<title>{}</title></text>"#,
                lx,
                lx + 18.0,
                lx + 22.0,
                ly + 4.0,
                escape(&shown),
                escape(&series.name)
            );
        }
        out.push_str("</svg>");
        out
    }
}

impl LineChart {
    /// EUR figures (a best plan, a bound) against the seconds since a solve started, on linear
    /// axes: the progress charts of the reports.
    pub fn over_time(title: impl Into<String>, series: Vec<Series>) -> LineChart {
        LineChart {
            title: title.into(),
            x: Axis {
                label: "time since the start (s)".into(),
                scale: Scale::Linear,
                from_zero: true,
            },
            y: Axis {
                label: "EUR".into(),
                scale: Scale::Linear,
                from_zero: false,
            },
            series,
        }
    }

    /// The chart as a standalone `<svg>` element (with the SVG namespace), for an HTML page.
    pub fn standalone(&self, id: &str) -> String {
        self.svg_at(0.0, 0.0, id)
            .replacen("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1)
    }
}

/// Charts side by side in one SVG document, `columns` to a row.
pub fn figure(charts: &[LineChart], columns: usize) -> String {
    let columns = columns.max(1);
    let rows = charts.len().div_ceil(columns).max(1);
    let (width, height) = (
        WIDTH * columns.min(charts.len().max(1)) as f64,
        HEIGHT * rows as f64,
    );
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="white"/>"#
    );
    for (i, chart) in charts.iter().enumerate() {
        let (x, y) = (WIDTH * (i % columns) as f64, HEIGHT * (i / columns) as f64);
        out.push_str(&chart.svg_at(x, y, &format!("chart-{i}")));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(500.0), "500");
        assert_eq!(tick_label(2000.0), "2000");
        assert_eq!(tick_label(50000.0), "50k");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(1.5e6), "1.5M");
    }

    #[test]
    fn neighbouring_axis_labels_never_read_the_same() {
        let t = ticks(&[1.586, 1.612], Scale::Linear);
        let labels: Vec<String> = t.ticks.iter().map(|&v| t.label(v)).collect();
        let mut distinct = labels.clone();
        distinct.dedup();
        assert_eq!(labels, distinct, "{labels:?}");
        assert_eq!(axis_label(1.595, 0.005), "1.595");
        assert_eq!(axis_label(2000.0, 500.0), "2000");
        assert_eq!(axis_label(50_000.0, 10_000.0), "50k");
    }

    #[test]
    fn ticks_cover_the_values() {
        let t = ticks(&[3.0, 47.0], Scale::Linear);
        assert!(t.lo <= 3.0 && t.hi >= 47.0);
        assert!(t.ticks.len() >= 3 && t.ticks.len() <= 12, "{:?}", t.ticks);
        let t = ticks(&[500.0, 50_000.0], Scale::Log);
        assert_eq!((t.lo, t.hi), (100.0, 100_000.0));
        assert!(t.ticks.contains(&1000.0) && t.ticks.contains(&10_000.0));
    }

    #[test]
    fn a_chart_draws_every_drawable_point_and_skips_the_rest() {
        let chart = LineChart {
            title: "t <&>".into(),
            x: Axis {
                label: "VMs".into(),
                scale: Scale::Log,
                from_zero: false,
            },
            y: Axis {
                label: "s".into(),
                scale: Scale::Log,
                from_zero: false,
            },
            series: vec![Series {
                name: "fleet".into(),
                points: vec![(500.0, 1.0), (1000.0, 2.0), (0.0, 3.0), (f64::NAN, 1.0)],
                dashed: false,
                colour: None,
            }],
        };
        let svg = figure(&[chart], 1);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("t &lt;&amp;&gt;"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn the_legend_lies_below_the_plot_and_names_only_series_with_points() {
        let series = |name: &str, points: Vec<(f64, f64)>, dashed: bool| Series {
            name: name.into(),
            points,
            dashed,
            colour: None,
        };
        let chart = LineChart::over_time(
            "progress",
            vec![
                series("plan", vec![(0.0, 2.0), (1.0, 1.0)], false),
                series("bound", vec![(0.5, 0.5)], true),
                series("nothing", vec![], false),
            ],
        );
        let svg = chart.standalone("c");
        // Two legend entries, none for the empty series.
        assert_eq!(svg.matches(r#"class="legend""#).count(), 2, "{svg}");
        assert!(!svg.contains(">nothing<"));
        // The plotting area ends above every legend entry.
        let rect = svg.find("<rect ").unwrap();
        let height: f64 = svg[rect..]
            .split("height=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let bottom = TOP + height;
        for part in svg.split(r#"class="legend" x1=""#).skip(1) {
            let y: f64 = part
                .split("y1=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(y > bottom, "legend at {y}, plot to {bottom}");
        }
        // The lone bound point has its mark though its series is dashed: 2 + 1 circles.
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
