//! The charts of the HTML reports: stacked columns over windows with lines on up to two
//! right-hand axes ([`ComboChart`]), a Gantt chart of migrations in one window ([`Gantt`]), a
//! heatmap of load against capacity ([`Heatmap`]) and grouped bars ([`BarChart`]). Each is an
//! `<svg class="chart">` element with a title, axes with units, `<title>` tooltips on its marks,
//! and no script.

use super::{escape, tick_label, ticks, Scale, PALETTE};
use std::fmt::Write;

/// Margins around the plot area, px.
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;
const LEFT: f64 = 64.0;
/// Room for one right-hand axis, px.
const RIGHT_AXIS: f64 = 58.0;

/// The opening of a standalone chart: an `<svg>` element with its namespace, id, size and an
/// accessible title, then the title drawn centred on `title_x`.
fn open(id: &str, width: f64, height: f64, title: &str, title_x: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" width="{width}" height="{height:.0}" viewBox="0 0 {width} {height:.0}" font-family="sans-serif" font-size="11" role="img"><title>{t}</title><text x="{title_x:.1}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{t}</text>"#,
        t = escape(title)
    )
}

/// Horizontal grid lines across `left..right` at each tick, labelled on the left.
fn y_grid(out: &mut String, ticks: &super::Ticks, left: f64, right: f64, py: impl Fn(f64) -> f64) {
    for &t in &ticks.ticks {
        let p = py(t);
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{p:.1}" x2="{right:.1}" y2="{p:.1}" stroke="#e4e4e4"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 5.0,
            p + 4.0,
            ticks.label(t)
        );
    }
}

/// Under a plot `width` wide from `left` whose lower edge is at `bottom`: the labels of evenly
/// spaced columns (at most one per 70 px), and the axis title centred below them.
fn column_axis(
    out: &mut String,
    columns: &[String],
    title: &str,
    left: f64,
    width: f64,
    bottom: f64,
) {
    let n = columns.len().max(1);
    let col_w = width / n as f64;
    let every = label_every(n, (width / 70.0).floor() as usize);
    for (i, label) in columns.iter().enumerate().step_by(every) {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            left + col_w * i as f64,
            bottom + 14.0,
            escape(label)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        left + width / 2.0,
        bottom + 30.0,
        escape(title)
    );
}

/// One stacked layer of a [`ComboChart`]: a value per column.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Legend text.
    pub name: String,
    /// Fill colour.
    pub colour: String,
    /// One value per column (non-finite and negative values are drawn as 0).
    pub values: Vec<f64>,
}

/// Columns (one per window) stacked from layers on the left axis, step lines on the left axis,
/// and lines on up to two right-hand axes, each with its own unit.
#[derive(Debug, Clone, PartialEq)]
pub struct ComboChart {
    /// Title above the plot.
    pub title: String,
    /// Width, px.
    pub width: f64,
    /// Height, px.
    pub height: f64,
    /// The label of each column (a window's start time or number), and the axis title.
    pub columns: Vec<String>,
    /// The horizontal axis title.
    pub x_label: String,
    /// The left axis title, with its unit.
    pub y_label: String,
    /// Stacked from the bottom, in order.
    pub layers: Vec<Layer>,
    /// Lines on the left axis (one value per column, drawn as steps), dashed.
    pub left_lines: Vec<(String, Vec<f64>)>,
    /// Lines on their own right-hand axes: axis title (with unit), legend text, values.
    pub right_lines: Vec<(String, String, Vec<f64>)>,
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// At most `most` evenly spaced column indices to label.
fn label_every(columns: usize, most: usize) -> usize {
    columns.div_ceil(most.max(1)).max(1)
}

impl ComboChart {
    /// The chart as an `<svg>` element with id `id`.
    pub fn svg(&self, id: &str) -> String {
        let n = self.columns.len().max(1);
        let right = RIGHT_AXIS * self.right_lines.len().max(1) as f64;
        let (w, h) = (
            (self.width - LEFT - right).max(10.0),
            (self.height - TOP - BOTTOM - 18.0).max(10.0),
        );
        let mut tops = vec![0.0f64; n];
        for layer in &self.layers {
            for (i, v) in layer.values.iter().enumerate().take(n) {
                tops[i] += finite_or_zero(*v).max(0.0);
            }
        }
        let mut left_values: Vec<f64> = tops.clone();
        left_values.push(0.0);
        for (_, values) in &self.left_lines {
            left_values.extend(values.iter().copied().filter(|v| v.is_finite()));
        }
        let ty = ticks(&left_values, Scale::Linear);
        let col_w = w / n as f64;
        let py = |v: f64, lo: f64, hi: f64| TOP + h * (1.0 - (v - lo) / (hi - lo));
        let mut out = open(id, self.width, self.height, &self.title, LEFT + w / 2.0);
        y_grid(&mut out, &ty, LEFT, LEFT + w, |t| py(t, ty.lo, ty.hi));
        // Stacked columns.
        let mut base = vec![0.0f64; n];
        for layer in &self.layers {
            for (i, below) in base.iter_mut().enumerate() {
                let v = layer
                    .values
                    .get(i)
                    .copied()
                    .map_or(0.0, finite_or_zero)
                    .max(0.0);
                if v <= 0.0 {
                    continue;
                }
                let (y0, y1) = (py(*below, ty.lo, ty.hi), py(*below + v, ty.lo, ty.hi));
                let _ = write!(
                    out,
                    r#"<rect class="mark" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}, {}</title></rect>"#,
                    LEFT + col_w * i as f64,
                    y1,
                    (col_w - 0.5).max(0.5),
                    (y0 - y1).max(0.0),
                    layer.colour,
                    escape(&self.columns.get(i).cloned().unwrap_or_default()),
                    escape(&layer.name),
                    tick_label(v)
                );
                *below += v;
            }
        }
        // Left-axis step lines.
        for (name, values) in &self.left_lines {
            let mut path = String::new();
            for (i, v) in values.iter().enumerate().take(n) {
                if !v.is_finite() {
                    continue;
                }
                let p = py(*v, ty.lo, ty.hi);
                let (x0, x1) = (LEFT + col_w * i as f64, LEFT + col_w * (i + 1) as f64);
                let _ = write!(path, "{x0:.1},{p:.1} {x1:.1},{p:.1} ");
            }
            let _ = write!(
                out,
                r##"<polyline class="mark" fill="none" stroke="#333" stroke-width="1.5" stroke-dasharray="5 3" points="{}"><title>{}</title></polyline>"##,
                path.trim_end(),
                escape(name)
            );
        }
        // Right-hand axes and their lines.
        for (k, (axis, name, values)) in self.right_lines.iter().enumerate() {
            let colour = PALETTE[(k + 1) % PALETTE.len()];
            let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            let tr = ticks(&finite, Scale::Linear);
            let ax = LEFT + w + RIGHT_AXIS * k as f64;
            let _ = write!(
                out,
                r#"<line x1="{ax:.1}" y1="{TOP}" x2="{ax:.1}" y2="{:.1}" stroke="{colour}"/>"#,
                TOP + h
            );
            for &t in &tr.ticks {
                let p = py(t, tr.lo, tr.hi);
                let _ = write!(
                    out,
                    r#"<line x1="{ax:.1}" y1="{p:.1}" x2="{:.1}" y2="{p:.1}" stroke="{colour}"/><text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
                    ax + 4.0,
                    ax + 6.0,
                    p + 4.0,
                    tr.label(t)
                );
            }
            let _ = write!(
                out,
                r#"<text transform="translate({:.1} {:.1}) rotate(90)" text-anchor="middle" fill="{colour}">{}</text>"#,
                ax + RIGHT_AXIS - 8.0,
                TOP + h / 2.0,
                escape(axis)
            );
            let points: Vec<String> = values
                .iter()
                .enumerate()
                .take(n)
                .filter(|(_, v)| v.is_finite())
                .map(|(i, v)| {
                    format!(
                        "{:.1},{:.1}",
                        LEFT + col_w * (i as f64 + 0.5),
                        py(*v, tr.lo, tr.hi)
                    )
                })
                .collect();
            let _ = write!(
                out,
                r#"<polyline class="mark" fill="none" stroke="{colour}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
                points.join(" "),
                escape(name)
            );
        }
        // Frame, x labels, axis titles, legend.
        let _ = write!(
            out,
            r##"<rect x="{LEFT}" y="{TOP}" width="{w:.1}" height="{h:.1}" fill="none" stroke="#444"/>"##
        );
        column_axis(&mut out, &self.columns, &self.x_label, LEFT, w, TOP + h);
        let _ = write!(
            out,
            r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + h / 2.0,
            escape(&self.y_label)
        );
        // The legend: (swatch kind, colour, name); 0 a filled box, 1 a dashed line, 2 a line.
        let mut entries: Vec<(u8, String, &str)> = Vec::new();
        for layer in &self.layers {
            entries.push((0, layer.colour.clone(), &layer.name));
        }
        for (name, _) in &self.left_lines {
            entries.push((1, "#333".to_string(), name));
        }
        for (k, (_, name, _)) in self.right_lines.iter().enumerate() {
            entries.push((2, PALETTE[(k + 1) % PALETTE.len()].to_string(), name));
        }
        let ly = self.height - 8.0;
        let mut lx = LEFT;
        for (kind, colour, name) in entries {
            let _ = match kind {
                0 => write!(
                    out,
                    r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="10" fill="{colour}"/>"#,
                    ly - 9.0
                ),
                1 => write!(
                    out,
                    r#"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-dasharray="4 2" stroke-width="1.5"/>"#,
                    ly - 4.0,
                    lx + 12.0,
                    ly - 4.0
                ),
                _ => write!(
                    out,
                    r#"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2"/>"#,
                    ly - 4.0,
                    lx + 12.0,
                    ly - 4.0
                ),
            };
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{ly:.1}">{}</text>"#,
                lx + 16.0,
                escape(name)
            );
            lx += 24.0 + 6.5 * name.chars().count() as f64;
        }
        out.push_str("</svg>");
        out
    }
}

/// One bar of a [`Gantt`] chart: a migration from `start_s` to `end_s`, its last `downtime_s`
/// drawn darker.
#[derive(Debug, Clone, PartialEq)]
pub struct GanttBar {
    /// The row it occupies (a link direction).
    pub row: usize,
    /// Start and end within the window, s.
    pub start_s: f64,
    /// End, s.
    pub end_s: f64,
    /// Downtime at its end, s.
    pub downtime_s: f64,
    /// It ends after the window: drawn in red.
    pub late: bool,
    /// Tooltip text.
    pub label: String,
}

/// Migrations in one window, one row per link direction, bars that overlap in time stacked in
/// lanes within their row.
#[derive(Debug, Clone, PartialEq)]
pub struct Gantt {
    /// Title above the plot.
    pub title: String,
    /// Width, px.
    pub width: f64,
    /// Row titles.
    pub rows: Vec<String>,
    /// The window's length, s. The axis fits the migrations: it runs to a little past the
    /// latest end (the window's end is marked where it falls on the axis, as it does for a late
    /// migration).
    pub window_s: f64,
    /// The bars.
    pub bars: Vec<GanttBar>,
}

impl Gantt {
    /// The chart as an `<svg>` element with id `id`; its height follows its lanes.
    pub fn svg(&self, id: &str) -> String {
        const LANE: f64 = 12.0;
        const ROW_GAP: f64 = 8.0;
        const LABEL_W: f64 = 150.0;
        // Lanes: within each row, a bar takes the first lane whose last bar has ended.
        let mut order: Vec<usize> = (0..self.bars.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.bars[a], &self.bars[b]);
            x.row.cmp(&y.row).then(x.start_s.total_cmp(&y.start_s))
        });
        let mut lane_of = vec![0usize; self.bars.len()];
        let mut lanes: Vec<Vec<f64>> = vec![Vec::new(); self.rows.len()];
        for &i in &order {
            let bar = &self.bars[i];
            let Some(row) = lanes.get_mut(bar.row) else {
                continue;
            };
            let lane = match row.iter().position(|&end| end <= bar.start_s + 1e-9) {
                Some(l) => l,
                None => {
                    row.push(f64::NEG_INFINITY);
                    row.len() - 1
                }
            };
            row[lane] = bar.end_s;
            lane_of[i] = lane;
        }
        let mut row_y = Vec::with_capacity(self.rows.len());
        let mut y = TOP;
        for row in &lanes {
            row_y.push(y);
            y += LANE * row.len().max(1) as f64 + ROW_GAP;
        }
        let plot_h = (y - TOP).max(LANE);
        let height = TOP + plot_h + BOTTOM;
        let latest = self
            .bars
            .iter()
            .map(|b| b.end_s)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let span = if latest > 0.0 {
            (latest * 1.05).min(self.window_s).max(latest)
        } else {
            self.window_s.max(1e-9)
        };
        let tx = ticks(&[0.0, span], Scale::Linear);
        let w = (self.width - LABEL_W - 16.0).max(10.0);
        let px = |s: f64| LABEL_W + w * (s - tx.lo) / (tx.hi - tx.lo);
        let mut out = open(id, self.width, height, &self.title, self.width / 2.0);
        for &t in &tx.ticks {
            let p = px(t);
            let _ = write!(
                out,
                r##"<line x1="{p:.1}" y1="{TOP}" x2="{p:.1}" y2="{:.1}" stroke="#e4e4e4"/><text x="{p:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                TOP + plot_h,
                TOP + plot_h + 14.0,
                tx.label(t)
            );
        }
        if self.window_s <= tx.hi {
            let end = px(self.window_s);
            let _ = write!(
                out,
                r##"<line x1="{end:.1}" y1="{TOP}" x2="{end:.1}" y2="{:.1}" stroke="#D55E00" stroke-dasharray="4 3"><title>end of the window</title></line>"##,
                TOP + plot_h
            );
        }
        for (r, name) in self.rows.iter().enumerate() {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LABEL_W - 6.0,
                row_y[r] + LANE - 2.0,
                escape(name)
            );
        }
        for (i, bar) in self.bars.iter().enumerate() {
            let Some(&top) = row_y.get(bar.row) else {
                continue;
            };
            let y = top + LANE * lane_of[i] as f64 + 1.0;
            let (x0, x1) = (px(bar.start_s.max(0.0)), px(bar.end_s.max(bar.start_s)));
            let fill = if bar.late { "#D55E00" } else { "#0072B2" };
            let _ = write!(
                out,
                r##"<rect class="mark" x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="#fff" stroke-width="1"><title>{}</title></rect>"##,
                (x1 - x0).max(1.0),
                LANE - 2.0,
                escape(&bar.label)
            );
            if bar.downtime_s > 0.0 {
                let d0 = px((bar.end_s - bar.downtime_s).max(bar.start_s));
                let _ = write!(
                    out,
                    r##"<rect x="{d0:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="#000" opacity="0.6"><title>downtime {:.3} s</title></rect>"##,
                    (x1 - d0).max(1.0),
                    LANE - 2.0,
                    bar.downtime_s
                );
            }
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">time since the window's start (s); dark: downtime; red: late</text>"#,
            LABEL_W + w / 2.0,
            height - 8.0
        );
        out.push_str("</svg>");
        out
    }
}

/// Values in a grid of rows (sites) and columns (windows), coloured from white (0) through
/// orange to dark red (1 and above), each cell with a tooltip.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Title above the plot.
    pub title: String,
    /// Width, px.
    pub width: f64,
    /// Row titles.
    pub rows: Vec<String>,
    /// Column labels (a window's start time or number).
    pub columns: Vec<String>,
    /// The horizontal axis title.
    pub x_label: String,
    /// `values[row][column]`, 0 to 1 (higher is drawn as 1, and outlined).
    pub values: Vec<Vec<f64>>,
    /// `tooltips[row][column]`.
    pub tooltips: Vec<Vec<String>>,
    /// What the colour means, for the legend.
    pub legend: String,
}

/// The colour of a value from 0 to 1: white, orange, dark red.
fn heat(v: f64) -> String {
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (r, g, b) = if v < 0.5 {
        let f = v / 0.5;
        (255.0, 255.0 - f * (255.0 - 159.0), 255.0 - f * 255.0)
    } else {
        let f = (v - 0.5) / 0.5;
        (255.0 - f * (255.0 - 139.0), 159.0 - f * 159.0, 0.0)
    };
    format!("rgb({:.0},{:.0},{:.0})", r, g, b)
}

impl Heatmap {
    /// The chart as an `<svg>` element with id `id`.
    pub fn svg(&self, id: &str) -> String {
        const ROW_H: f64 = 20.0;
        const LABEL_W: f64 = 120.0;
        let n = self.columns.len().max(1);
        let w = (self.width - LABEL_W - 16.0).max(10.0);
        let cell_w = w / n as f64;
        let plot_h = ROW_H * self.rows.len().max(1) as f64;
        let height = TOP + plot_h + BOTTOM + 22.0;
        let mut out = open(id, self.width, height, &self.title, self.width / 2.0);
        for (r, name) in self.rows.iter().enumerate() {
            let y = TOP + ROW_H * r as f64;
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LABEL_W - 6.0,
                y + ROW_H / 2.0 + 4.0,
                escape(name)
            );
            for c in 0..n {
                let v = self
                    .values
                    .get(r)
                    .and_then(|row| row.get(c))
                    .copied()
                    .unwrap_or(0.0);
                let tip = self
                    .tooltips
                    .get(r)
                    .and_then(|row| row.get(c))
                    .cloned()
                    .unwrap_or_default();
                let over = if v > 1.0 + 1e-9 {
                    r##" stroke="#000" stroke-width="2""##
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    r#"<rect class="mark" x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"{over}><title>{}</title></rect>"#,
                    LABEL_W + cell_w * c as f64,
                    (cell_w - 0.5).max(0.5),
                    ROW_H - 1.0,
                    heat(v),
                    escape(&tip)
                );
            }
        }
        column_axis(
            &mut out,
            &self.columns,
            &self.x_label,
            LABEL_W,
            w,
            TOP + plot_h,
        );
        // The colour legend: a ramp from 0 to 1.
        let ly = height - 14.0;
        for k in 0..=10 {
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="14" height="10" fill="{}"/>"#,
                LABEL_W + 14.0 * k as f64,
                ly - 9.0,
                heat(k as f64 / 10.0)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{ly:.1}">0</text><text x="{:.1}" y="{ly:.1}">1: {}</text>"#,
            LABEL_W - 10.0,
            LABEL_W + 14.0 * 11.0 + 4.0,
            escape(&self.legend)
        );
        out.push_str("</svg>");
        out
    }
}

/// One group of a [`BarChart`]: a category and one value per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The category (an instance).
    pub category: String,
    /// One value per series (`None`: no bar).
    pub values: Vec<Option<f64>>,
}

/// Grouped vertical bars: one group per category, one bar per series.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title above the plot.
    pub title: String,
    /// Width and height, px.
    pub width: f64,
    /// Height, px.
    pub height: f64,
    /// The vertical axis title, with its unit.
    pub y_label: String,
    /// Series names (solvers), in order.
    pub series: Vec<String>,
    /// The groups.
    pub groups: Vec<Bar>,
}

impl BarChart {
    /// The chart as an `<svg>` element with id `id`.
    pub fn svg(&self, id: &str) -> String {
        let (w, h) = (
            (self.width - LEFT - 16.0).max(10.0),
            (self.height - TOP - BOTTOM - 18.0).max(10.0),
        );
        let mut values: Vec<f64> = self
            .groups
            .iter()
            .flat_map(|g| g.values.iter().flatten().copied())
            .filter(|v| v.is_finite())
            .collect();
        values.push(0.0);
        let ty = ticks(&values, Scale::Linear);
        let py = |v: f64| TOP + h * (1.0 - (v - ty.lo) / (ty.hi - ty.lo));
        let groups = self.groups.len().max(1);
        let group_w = w / groups as f64;
        let bar_w = (group_w * 0.8) / self.series.len().max(1) as f64;
        let mut out = open(id, self.width, self.height, &self.title, LEFT + w / 2.0);
        y_grid(&mut out, &ty, LEFT, LEFT + w, py);
        for (g, group) in self.groups.iter().enumerate() {
            let gx = LEFT + group_w * g as f64 + group_w * 0.1;
            for (k, value) in group.values.iter().enumerate() {
                let Some(v) = value.filter(|v| v.is_finite()) else {
                    continue;
                };
                let (y0, y1) = (py(0.0_f64.max(ty.lo)), py(v));
                let _ = write!(
                    out,
                    r#"<rect class="mark" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}, {}: {}</title></rect>"#,
                    gx + bar_w * k as f64,
                    y0.min(y1),
                    (bar_w - 1.0).max(1.0),
                    (y0 - y1).abs().max(0.5),
                    PALETTE[k % PALETTE.len()],
                    escape(&group.category),
                    escape(self.series.get(k).map_or("", String::as_str)),
                    tick_label(v)
                );
            }
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                LEFT + group_w * (g as f64 + 0.5),
                TOP + h + 14.0,
                escape(&group.category)
            );
        }
        let _ = write!(
            out,
            r##"<rect x="{LEFT}" y="{TOP}" width="{w:.1}" height="{h:.1}" fill="none" stroke="#444"/>"##
        );
        let _ = write!(
            out,
            r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + h / 2.0,
            escape(&self.y_label)
        );
        let ly = self.height - 8.0;
        let mut lx = LEFT;
        for (k, name) in self.series.iter().enumerate() {
            let _ = write!(
                out,
                r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="10" fill="{}"/><text x="{:.1}" y="{ly:.1}">{}</text>"#,
                ly - 9.0,
                PALETTE[k % PALETTE.len()],
                lx + 16.0,
                escape(name)
            );
            lx += 24.0 + 6.5 * name.chars().count() as f64;
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_runs_from_white_to_dark_red() {
        assert_eq!(heat(0.0), "rgb(255,255,255)");
        assert_eq!(heat(1.0), "rgb(139,0,0)");
        assert_eq!(heat(5.0), heat(1.0));
        assert_eq!(heat(f64::NAN), heat(0.0));
    }

    #[test]
    fn gantt_bars_that_overlap_take_separate_lanes() {
        let bar = |start_s: f64, end_s: f64| GanttBar {
            row: 0,
            start_s,
            end_s,
            downtime_s: 0.5,
            late: false,
            label: "m".into(),
        };
        let g = Gantt {
            title: "w".into(),
            width: 600.0,
            rows: vec!["a → b".into()],
            window_s: 3600.0,
            bars: vec![bar(0.0, 100.0), bar(50.0, 150.0), bar(100.0, 200.0)],
        };
        let svg = g.svg("g");
        // Two lanes: the third bar reuses the first's.
        let ys: std::collections::BTreeSet<String> = svg
            .split(r#"class="mark""#)
            .skip(1)
            .filter_map(|s| {
                s.split("y=\"")
                    .nth(1)
                    .map(|v| v.split('"').next().unwrap().to_string())
            })
            .collect();
        assert_eq!(ys.len(), 2, "{svg}");
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn a_combo_chart_draws_a_column_per_window_and_its_axes() {
        let c = ComboChart {
            title: "site".into(),
            width: 640.0,
            height: 300.0,
            columns: vec!["00:00".into(), "01:00".into()],
            x_label: "window start (UTC)".into(),
            y_label: "power (kW)".into(),
            layers: vec![
                Layer {
                    name: "renewable".into(),
                    colour: "#009E73".into(),
                    values: vec![1.0, 0.0],
                },
                Layer {
                    name: "grid".into(),
                    colour: "#0072B2".into(),
                    values: vec![2.0, f64::NAN],
                },
            ],
            left_lines: vec![("IT".into(), vec![2.5, 0.0])],
            right_lines: vec![
                ("price (EUR/MWh)".into(), "price".into(), vec![50.0, -10.0]),
                ("carbon (g/kWh)".into(), "carbon".into(), vec![300.0, 200.0]),
            ],
        };
        let svg = c.svg("c");
        assert_eq!(svg.matches("<rect class=\"mark\"").count(), 2);
        assert!(svg.contains("price (EUR/MWh)") && svg.contains("carbon (g/kWh)"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
