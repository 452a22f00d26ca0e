//! The plan report: one self-contained HTML page (inline SVG and CSS, a few lines of inline
//! script, no request to any address) that shows a plan to the people who approve it. Power per
//! site over the windows with price and carbon, the migrations per link in each window, the load
//! against capacity, the costs against staying put, the migrations that pay most and least, and
//! the solve itself. `wattshift report OUT` and `plan --report` write it (docs/FORMAT.md §4).

use crate::chart::{escape, ComboChart, Gantt, GanttBar, Heatmap, Layer, LineChart, Series};
use crate::domain::instance::Instance;
use crate::domain::plan::Plan;
use crate::io::write::window_timestamp;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::{evaluate, Evaluation};
use crate::scoring::explain::{explain_migrations, MigrationExplanation};
use crate::scoring::schedule::Slot;
use std::fmt::Write;

/// Sites drawn one chart each, costliest first; the others are named in a note.
pub const MOST_SITE_CHARTS: usize = 12;
/// Windows whose migrations get a Gantt chart, earliest first.
pub const MOST_GANTT_WINDOWS: usize = 8;

/// The most sites the migration matrix names one by one; beyond, the busiest and the rest.
pub const MOST_FLOW_SITES: usize = 24;

/// The time buckets a progress series is thinned to: a chart some 1 000 pixels wide shows no
/// more, and a solve that recorded millions of points still gives a page of a few hundred kB.
const PROGRESS_BUCKETS: usize = 600;

/// `points` (in time order) thinned to what a chart can show: per bucket of time, the first,
/// lowest, highest and last point, so every step and extreme of the series stays visible.
///
/// # Complexity
/// O(n log n) for n points; at most 4 × `buckets` points remain.
fn thin(points: Vec<(f64, f64)>, buckets: usize) -> Vec<(f64, f64)> {
    if points.len() <= 4 * buckets {
        return points;
    }
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    let span = (last - first).max(f64::MIN_POSITIVE);
    let bucket = |t: f64| {
        (((t - first) / span) * buckets as f64)
            .floor()
            .min(buckets as f64 - 1.0) as usize
    };
    let mut keep: Vec<usize> = Vec::new();
    let mut start = 0;
    while start < points.len() {
        let b = bucket(points[start].0);
        let mut end = start;
        while end + 1 < points.len() && bucket(points[end + 1].0) == b {
            end += 1;
        }
        let range = start..=end;
        let low = range
            .clone()
            .min_by(|&i, &j| points[i].1.total_cmp(&points[j].1))
            .unwrap_or(start);
        let high = range
            .max_by(|&i, &j| points[i].1.total_cmp(&points[j].1))
            .unwrap_or(start);
        keep.extend([start, low, high, end]);
        start = end + 1;
    }
    keep.sort_unstable();
    keep.dedup();
    keep.into_iter().map(|i| points[i]).collect()
}

/// One record of the solve's progress: seconds since the start, best plan and bound, EUR.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressPoint {
    /// Seconds since the solve started.
    pub elapsed_s: f64,
    /// The best plan so far, EUR.
    pub objective_eur: Option<f64>,
    /// The best bound so far, EUR.
    pub bound_eur: Option<f64>,
}

/// What a plan report shows.
pub struct PlanPage<'a> {
    /// The instance's cost tables.
    pub costs: &'a Costs<'a>,
    /// The plan.
    pub plan: &'a Plan,
    /// The evaluator's verdict on it.
    pub evaluation: &'a Evaluation,
    /// Its migrations' slots, in the evaluation's order.
    pub slots: &'a [Slot],
    /// summary.json.
    pub summary: &'a serde_json::Value,
    /// The solve's progress, oldest first (may be empty).
    pub progress: &'a [ProgressPoint],
    /// A name for the page's title: the output directory.
    pub name: String,
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1000px;color:#222}\
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}\
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}\
td.t,th.t{text-align:left;white-space:nowrap}.note{color:#555;font-size:13px}\
svg.chart{display:block;margin:8px 0}.wide{overflow-x:auto}.bad{color:#b00}";

/// Every chart must have drawn marks with a size; the result is left on each chart and on
/// the page for a browser test to read, and errors are collected where it can see them.
const SCRIPT: &str = "window.wattshiftErrors=[];\
window.addEventListener('error',function(e){window.wattshiftErrors.push(String(e.message));\
document.body.setAttribute('data-errors',window.wattshiftErrors.length);});\
document.addEventListener('DOMContentLoaded',function(){var ok=0,all=0;\
document.querySelectorAll('svg.chart').forEach(function(svg){all++;var b=svg.getBBox();\
var marks=svg.querySelectorAll('.mark,.series').length;\
var drawn=b.width>0&&b.height>0&&marks>0;if(drawn){ok++;}\
svg.setAttribute('data-rendered',drawn?'yes':'no');svg.setAttribute('data-marks',marks);});\
document.body.setAttribute('data-charts',all);document.body.setAttribute('data-drawn',ok);\
document.body.setAttribute('data-errors',window.wattshiftErrors.length);});";

/// A window's label for axes: `MM-DD HH:MM` in UTC where windows.csv gives starts, else `w{t}`.
fn column_label(instance: &Instance, t: usize) -> String {
    match window_timestamp(instance, t) {
        Some(ts) => {
            let text = ts.to_string();
            // 2024-05-01T08:00:00Z → 05-01 08:00
            match (text.get(5..10), text.get(11..16)) {
                (Some(day), Some(time)) => format!("{day} {time}"),
                _ => text,
            }
        }
        None => format!("w{t}"),
    }
}

/// A money figure for a table cell: rounded for reading, full precision in `data-value`.
fn eur_cell(key: &str, value: Option<f64>) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(v) => format!(r#"<td data-key="{key}" data-value="{v:?}">{v:.6}</td>"#),
        None => format!(r#"<td data-key="{key}">–</td>"#),
    }
}

fn number(summary: &serde_json::Value, key: &str) -> Option<f64> {
    summary.get(key).and_then(serde_json::Value::as_f64)
}

fn text(summary: &serde_json::Value, key: &str) -> String {
    match summary.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => "–".to_string(),
        Some(other) => other.to_string(),
    }
}

impl PlanPage<'_> {
    /// The page, as HTML.
    pub fn html(&self) -> String {
        let instance = self.costs.instance;
        let mut body = String::new();
        let _ = write!(
            body,
            "<h1>wattshift plan: {}</h1><p class=\"note\">{} sites, {} VMs, {} windows of {} h{}. \
             Written by wattshift {}; open offline, nothing here is fetched from anywhere.</p>",
            escape(&self.name),
            instance.num_sites(),
            instance.num_vms(),
            instance.num_windows(),
            instance.params.window_hours,
            window_timestamp(instance, 0)
                .map_or(String::new(), |ts| format!(", from {ts} (times in UTC)")),
            escape(&text(self.summary, "wattshift_version")),
        );
        self.costs_section(&mut body);
        self.solve_section(&mut body);
        self.power_section(&mut body);
        self.load_section(&mut body);
        self.savings_section(&mut body);
        self.flows_section(&mut body);
        self.migrations_section(&mut body);
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>wattshift plan: {}</title><style>{STYLE}</style>\
             <script>{SCRIPT}</script></head><body>{body}</body></html>\n",
            escape(&self.name)
        )
    }

    fn costs_section(&self, out: &mut String) {
        let s = self.summary;
        let stay = evaluate(self.costs, &Plan::stay(self.costs.instance));
        let stay_ok = stay.is_feasible();
        let e = self.evaluation;
        let _ = write!(
            out,
            "<h2>Costs against staying put</h2><table id=\"costs\"><tr><th class=\"t\">EUR</th>\
             <th>plan</th><th>stay</th><th>saving</th></tr>"
        );
        let rows: [(&str, &str, f64, f64); 4] = [
            ("energy", "energy_eur", e.energy_eur, stay.energy_eur),
            ("carbon", "carbon_eur", e.carbon_eur, stay.carbon_eur),
            (
                "migrations",
                "migration_eur",
                e.migration_eur,
                stay.migration_eur,
            ),
            (
                "total",
                "objective_eur",
                e.objective_eur,
                stay.objective_eur,
            ),
        ];
        for (name, key, plan, stayed) in rows {
            let plan_value = number(s, key).or(Some(plan));
            let _ = write!(
                out,
                "<tr><td class=\"t\">{name}</td>{}{}{}</tr>",
                eur_cell(key, plan_value),
                eur_cell(&format!("stay_{key}"), Some(stayed)),
                eur_cell(&format!("saving_{key}"), plan_value.map(|p| stayed - p))
            );
        }
        let _ = write!(
            out,
            "</table><p class=\"note\">Summary: baseline {} EUR, savings {} EUR ({} %), {} \
             migrations ({} late), grid {:.3} kWh, {:.3} kg CO2e.{}</p>",
            number(s, "baseline_eur").map_or("–".into(), |v| format!("{v:.6}")),
            number(s, "savings_eur").map_or("–".into(), |v| format!("{v:.6}")),
            number(s, "savings_pct").map_or("–".into(), |v| format!("{v:.2}")),
            e.migrations.len(),
            self.slots.iter().filter(|slot| slot.late).count(),
            e.grid_kwh,
            e.carbon_kg,
            if stay_ok {
                ""
            } else {
                " <span class=\"bad\">Staying put breaks constraints, so it is no baseline.</span>"
            }
        );
    }

    fn solve_section(&self, out: &mut String) {
        let s = self.summary;
        let _ = write!(
            out,
            "<h2>The solve</h2><table id=\"solve\"><tr><th class=\"t\">solver</th><th class=\"t\">status</th>\
             <th class=\"t\">stop reason</th><th>objective (EUR)</th><th>bound (EUR)</th><th>gap</th>\
             <th>runtime (s)</th><th>threads</th></tr><tr><td class=\"t\">{}</td><td class=\"t\">{}</td>\
             <td class=\"t\">{}</td>{}{}<td>{}</td><td>{}</td><td>{}</td></tr></table>",
            escape(&text(s, "solver")),
            escape(&text(s, "status")),
            escape(&text(s, "stop_reason")),
            eur_cell("objective", number(s, "objective_eur")),
            eur_cell("bound", number(s, "bound_eur")),
            number(s, "gap").map_or("–".into(), |g| format!("{:.4} %", 100.0 * g)),
            number(s, "runtime_s").map_or("–".into(), |r| format!("{r:.2}")),
            escape(&text(s, "threads")),
        );
        if self.progress.is_empty() {
            out.push_str("<p class=\"note\">No progress was recorded for this solve.</p>");
            return;
        }
        let series = |name: &str, pick: &dyn Fn(&ProgressPoint) -> Option<f64>| Series {
            name: name.to_string(),
            points: thin(
                self.progress
                    .iter()
                    .filter_map(|p| pick(p).map(|v| (p.elapsed_s, v)))
                    .collect(),
                PROGRESS_BUCKETS,
            ),
            dashed: false,
            colour: None,
        };
        let chart = LineChart::over_time(
            "Best plan and bound over time",
            vec![
                series("best plan", &|p| p.objective_eur),
                series("bound", &|p| p.bound_eur),
            ],
        );
        out.push_str(&chart.standalone("progress"));
    }

    fn power_section(&self, out: &mut String) {
        let instance = self.costs.instance;
        let sites = instance.num_sites();
        let windows = instance.num_windows();
        let columns: Vec<String> = (0..windows).map(|t| column_label(instance, t)).collect();
        let dated = window_timestamp(instance, 0).is_some();
        let mut order: Vec<usize> = (0..sites).collect();
        let site_cost = |s: usize| -> f64 {
            (0..windows)
                .map(|t| self.evaluation.site_windows[t * sites + s].cost_eur)
                .sum()
        };
        order.sort_by(|&a, &b| site_cost(b).total_cmp(&site_cost(a)).then(a.cmp(&b)));
        let _ = write!(
            out,
            "<h2>Power per site</h2><p class=\"note\">Facility power per window, split into the \
             renewable power used and the grid power bought; the dashed line is the IT power, so \
             the part of a column above it is the facility's overhead (PUE). The price and the \
             carbon intensity are on the right-hand axes.</p>"
        );
        // The costliest sites one by one; past MOST_SITE_CHARTS, the last chart adds up the
        // rest, so that every site's power is drawn.
        let alone = if sites > MOST_SITE_CHARTS {
            MOST_SITE_CHARTS - 1
        } else {
            sites
        };
        let sum = |group: &[usize],
                   pick: &dyn Fn(&crate::scoring::evaluate::SiteWindow) -> f64|
         -> Vec<f64> {
            (0..windows)
                .map(|t| {
                    group
                        .iter()
                        .map(|&s| pick(&self.evaluation.site_windows[t * sites + s]))
                        .sum()
                })
                .collect()
        };
        let mut groups: Vec<(String, Vec<usize>)> = order[..alone]
            .iter()
            .map(|&s| {
                let site = &instance.sites[s];
                let title = format!(
                    "{}{}: {:.6} EUR",
                    site.id,
                    if site.zone.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", site.zone)
                    },
                    site_cost(s)
                );
                (title, vec![s])
            })
            .collect();
        if sites > alone {
            let rest = order[alone..].to_vec();
            let cost: f64 = rest.iter().map(|&s| site_cost(s)).sum();
            groups.push((
                format!("The other {} sites together: {cost:.6} EUR", rest.len()),
                rest,
            ));
        }
        for (title, group) in &groups {
            // Price and carbon are one site's; a group's chart shows its power alone.
            let right_lines = if let [s] = group.as_slice() {
                [
                    (
                        "price (EUR/MWh)",
                        (0..windows)
                            .map(|t| instance.price_eur_mwh[[t, *s]])
                            .collect::<Vec<_>>(),
                    ),
                    (
                        "carbon (gCO2e/kWh)",
                        (0..windows)
                            .map(|t| instance.carbon_g_kwh[[t, *s]])
                            .collect(),
                    ),
                ]
                .into_iter()
                // A series of zeros (no carbon data) would only draw an empty axis.
                .filter(|(_, values)| values.iter().any(|v| *v != 0.0))
                .map(|(name, values)| (name.to_string(), name.to_string(), values))
                .collect()
            } else {
                Vec::new()
            };
            let chart = ComboChart {
                title: title.clone(),
                width: 960.0,
                height: 280.0,
                columns: columns.clone(),
                x_label: if dated {
                    "window start (UTC)".into()
                } else {
                    "window".into()
                },
                y_label: "power (kW)".into(),
                layers: vec![
                    Layer {
                        name: "renewable used (kW)".into(),
                        colour: "#009E73".into(),
                        values: sum(group, &|c| c.renewable_used_kw),
                    },
                    Layer {
                        name: "grid (kW)".into(),
                        colour: "#56B4E9".into(),
                        values: sum(group, &|c| c.grid_kw),
                    },
                ],
                left_lines: vec![("IT power (kW)".into(), sum(group, &|c| c.it_kw))],
                right_lines,
            };
            let id = match group.as_slice() {
                [s] => format!("power-{s}"),
                _ => "power-rest".to_string(),
            };
            out.push_str(&chart.svg(&id));
        }
        if sites > alone {
            let rest: Vec<String> = order[alone..]
                .iter()
                .map(|&s| escape(&instance.sites[s].id))
                .collect();
            let _ = write!(
                out,
                "<p class=\"note\">The {alone} costliest of {sites} sites are drawn one by one; \
                 the last chart adds up the other {}: {}. site_windows.csv has each.</p>",
                rest.len(),
                rest.join(", ")
            );
        }
    }

    fn load_section(&self, out: &mut String) {
        let instance = self.costs.instance;
        let sites = instance.num_sites();
        let windows = instance.num_windows();
        let mut values = Vec::with_capacity(sites);
        let mut tooltips = Vec::with_capacity(sites);
        for (s, site) in instance.sites.iter().enumerate() {
            let mut row = Vec::with_capacity(windows);
            let mut tips = Vec::with_capacity(windows);
            for t in 0..windows {
                let c = &self.evaluation.site_windows[t * sites + s];
                let hosts = f64::from(site.hosts);
                let share = if hosts > 0.0 {
                    (c.cpu_used / (hosts * site.host_cpu * site.cpu_overcommit))
                        .max(c.mem_used_gib / (hosts * site.host_mem_gib))
                } else if c.cpu_used > 0.0 || c.mem_used_gib > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                };
                row.push(if share.is_finite() { share } else { 2.0 });
                tips.push(format!(
                    "{} {}: {:.0} % of capacity; {} of {} hosts on; {} cores, {} GiB",
                    site.id,
                    column_label(instance, t),
                    100.0 * if share.is_finite() { share } else { 0.0 },
                    c.active_hosts,
                    site.hosts,
                    crate::chart::tick_label(c.cpu_used),
                    crate::chart::tick_label(c.mem_used_gib)
                ));
            }
            values.push(row);
            tooltips.push(tips);
        }
        let heatmap = Heatmap {
            title: "Load against capacity".into(),
            width: 960.0,
            rows: instance.sites.iter().map(|s| s.id.clone()).collect(),
            columns: (0..windows).map(|t| column_label(instance, t)).collect(),
            x_label: if window_timestamp(instance, 0).is_some() {
                "window start (UTC)".into()
            } else {
                "window".into()
            },
            values,
            tooltips,
            legend: "the site's capacity (the larger of CPU and memory shares, all hosts on)"
                .into(),
        };
        out.push_str("<h2>Load per site and window</h2>");
        out.push_str(&heatmap.svg("load"));
    }

    /// What the plan has saved against staying, window by window: the stay plan's window-site
    /// costs less the plan's window-site and migration costs, added up.
    fn savings_section(&self, out: &mut String) {
        let instance = self.costs.instance;
        let (sites, windows) = (instance.num_sites(), instance.num_windows());
        let stay = evaluate(self.costs, &Plan::stay(instance));
        let mut migration_eur = vec![0.0; windows];
        for m in &self.evaluation.migrations {
            migration_eur[m.window] += m.cost_eur;
        }
        let window_eur = |e: &Evaluation, t: usize| -> f64 {
            (0..sites)
                .map(|s| e.site_windows[t * sites + s].cost_eur)
                .sum()
        };
        let mut saved = 0.0;
        let points: Vec<(f64, f64)> = (0..windows)
            .map(|t| {
                saved += window_eur(&stay, t) - window_eur(self.evaluation, t) - migration_eur[t];
                ((t + 1) as f64, saved)
            })
            .collect();
        let chart = LineChart {
            title: "Savings against staying, added up over the windows".into(),
            x: crate::chart::Axis {
                label: "windows elapsed".into(),
                scale: crate::chart::Scale::Linear,
                from_zero: false,
            },
            y: crate::chart::Axis {
                label: "EUR saved".into(),
                scale: crate::chart::Scale::Linear,
                from_zero: false,
            },
            series: vec![Series {
                name: "saved so far".into(),
                points,
                dashed: false,
                colour: None,
            }],
        };
        out.push_str("<h2>Savings over time</h2>");
        if !stay.is_feasible() {
            out.push_str(
                "<p class=\"note\">Staying breaks a rule of the instance (summary.json's \
                 baseline_violations); the comparison is with its costs all the same.</p>",
            );
        }
        out.push_str(&chart.standalone("savings"));
    }

    /// How many migrations go from each site to each other: the whole matrix up to
    /// [`MOST_FLOW_SITES`] sites, else the busiest sites and the rest together.
    fn flows_section(&self, out: &mut String) {
        let instance = self.costs.instance;
        let sites = instance.num_sites();
        let migrations = &self.evaluation.migrations;
        if migrations.is_empty() || sites < 2 {
            return;
        }
        let mut busy = vec![0usize; sites];
        for m in migrations {
            busy[m.from] += 1;
            busy[m.to] += 1;
        }
        let mut order: Vec<usize> = (0..sites).collect();
        order.sort_by(|&a, &b| busy[b].cmp(&busy[a]).then(a.cmp(&b)));
        let shown: Vec<usize> = if sites <= MOST_FLOW_SITES {
            (0..sites).collect()
        } else {
            let mut top = order[..MOST_FLOW_SITES - 1].to_vec();
            top.sort_unstable();
            top
        };
        let rest = sites > MOST_FLOW_SITES;
        let row_of = |s: usize| shown.iter().position(|&x| x == s).unwrap_or(shown.len());
        let n = shown.len() + usize::from(rest);
        let mut counts = vec![vec![0usize; n]; n];
        for m in migrations {
            counts[row_of(m.from)][row_of(m.to)] += 1;
        }
        let name = |i: usize| -> String {
            shown
                .get(i)
                .map_or(format!("the other {} sites", sites - shown.len()), |&s| {
                    instance.sites[s].id.clone()
                })
        };
        let _ = write!(
            out,
            "<h2>Migrations between sites</h2><p class=\"note\">Migrations over the whole plan, \
             from the site of a row to the site of a column.</p><div class=\"wide\"><table \
             id=\"flows\"><tr><th>from \\ to</th>"
        );
        for j in 0..n {
            let _ = write!(out, "<th class=\"t\">{}</th>", escape(&name(j)));
        }
        out.push_str("</tr>");
        for (i, row) in counts.iter().enumerate() {
            let _ = write!(out, "<tr><th class=\"t\">{}</th>", escape(&name(i)));
            for (j, count) in row.iter().enumerate() {
                let cell = if i == j && !(rest && i == n - 1) {
                    "–".to_string()
                } else {
                    count.to_string()
                };
                let _ = write!(out, "<td>{cell}</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</table></div>");
    }

    fn migrations_section(&self, out: &mut String) {
        let instance = self.costs.instance;
        let e = self.evaluation;
        out.push_str("<h2>Migrations</h2>");
        if e.migrations.is_empty() {
            out.push_str("<p class=\"note\">The plan moves nothing.</p>");
            return;
        }
        let window_s = instance.params.window_s();
        let mut windows: Vec<usize> = e.migrations.iter().map(|m| m.window).collect();
        windows.dedup();
        let link_name = |d: usize| -> String {
            let link = &instance.links[d / 2];
            let (a, b) = if d.is_multiple_of(2) {
                (link.from, link.to)
            } else {
                (link.to, link.from)
            };
            format!("{} → {}", instance.sites[a].id, instance.sites[b].id)
        };
        for &t in windows.iter().take(MOST_GANTT_WINDOWS) {
            let mut rows: Vec<String> = Vec::new();
            let mut row_of = |name: String| -> usize {
                match rows.iter().position(|r| *r == name) {
                    Some(i) => i,
                    None => {
                        rows.push(name);
                        rows.len() - 1
                    }
                }
            };
            let mut bars = Vec::new();
            for (m, slot) in e
                .migrations
                .iter()
                .zip(self.slots)
                .filter(|(m, _)| m.window == t)
            {
                let label = format!(
                    "{} {} → {} ({}): start {:.1} s, {:.1} s, downtime {:.3} s{}",
                    instance.vms[m.vm].id,
                    instance.sites[m.from].id,
                    instance.sites[m.to].id,
                    m.kind,
                    slot.start_s,
                    m.duration_s,
                    m.downtime_s,
                    if slot.late { ", late" } else { "" }
                );
                let names: Vec<String> = if m.links.is_empty() {
                    vec![format!("{} (no link)", m.kind)]
                } else {
                    m.links.iter().map(|&d| link_name(d)).collect()
                };
                for name in names {
                    bars.push(GanttBar {
                        row: row_of(name),
                        start_s: slot.start_s,
                        end_s: slot.start_s + m.duration_s,
                        downtime_s: m.downtime_s,
                        late: slot.late,
                        label: label.clone(),
                    });
                }
            }
            let count = e.migrations.iter().filter(|m| m.window == t).count();
            let gantt = Gantt {
                title: format!(
                    "Window {t}{}: {count} migration{}",
                    window_timestamp(instance, t).map_or(String::new(), |ts| format!(" ({ts})")),
                    if count == 1 { "" } else { "s" }
                ),
                width: 960.0,
                rows,
                window_s,
                bars,
            };
            out.push_str(&gantt.svg(&format!("gantt-{t}")));
        }
        if windows.len() > MOST_GANTT_WINDOWS {
            let _ = write!(
                out,
                "<p class=\"note\">The first {MOST_GANTT_WINDOWS} of {} windows with migrations \
                 are drawn; migrations.csv lists them all.</p>",
                windows.len()
            );
        }
        let explained = explain_migrations(self.costs, self.plan, e);
        let mut ranked: Vec<&MigrationExplanation> = explained.iter().collect();
        ranked.sort_by(|a, b| b.net_eur.total_cmp(&a.net_eur));
        let table = |title: &str, id: &str, list: Vec<&MigrationExplanation>| -> String {
            let mut html = format!(
                "<h3>{title}</h3><table id=\"{id}\"><tr><th class=\"t\">window</th><th class=\"t\">VM</th>\
                 <th class=\"t\">from → to</th><th class=\"t\">kind</th><th>duration (s)</th>\
                 <th>downtime (s)</th><th>cost (EUR)</th><th>saving (EUR)</th><th>net (EUR)</th>\
                 <th>payback (windows)</th><th>back at window</th></tr>"
            );
            for m in list {
                let _ = write!(
                    html,
                    "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{} → {}</td>\
                     <td class=\"t\">{}</td><td>{:.1}</td><td>{:.3}</td><td>{:.6}</td><td>{:.6}</td>\
                     <td>{:+.6}</td><td>{}</td><td>{}</td></tr>",
                    escape(&column_label(instance, m.migration.window)),
                    escape(&instance.vms[m.migration.vm].id),
                    escape(&instance.sites[m.migration.from].id),
                    escape(&instance.sites[m.migration.to].id),
                    m.migration.kind,
                    m.migration.duration_s,
                    m.migration.downtime_s,
                    m.migration.cost_eur,
                    m.saving_eur,
                    m.net_eur,
                    m.payback_windows.map_or("never".into(), |k| k.to_string()),
                    m.returns_at.map_or("–".into(), |w| w.to_string()),
                );
            }
            html.push_str("</table>");
            html
        };
        out.push_str(
            "<p class=\"note\">What each migration saves is what the VM's load would have cost at \
             its old site, on top of the plan's load there, less what it costs at the new one, over \
             the windows it stays (whole hosts switched on or off included). The payback is the \
             number of windows until the savings exceed the migration's cost. \
             <code>wattshift explain</code> gives every migration and every VM.</p>",
        );
        if ranked.len() <= 10 {
            out.push_str(&table(
                "Every migration, most paying first",
                "pay-most",
                ranked,
            ));
        } else {
            out.push_str(&table(
                "The ten migrations that pay most",
                "pay-most",
                ranked.iter().take(10).copied().collect(),
            ));
            // Never one of the ten above: the two tables do not overlap.
            let least = (ranked.len() - 10).min(10);
            out.push_str(&table(
                &format!(
                    "The {} migrations that pay least",
                    if least == 10 {
                        "ten".to_string()
                    } else {
                        least.to_string()
                    }
                ),
                "pay-least",
                ranked.iter().rev().take(least).copied().collect(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_progress_series_is_thinned_to_its_steps() {
        let points: Vec<(f64, f64)> = (0..2_000_000)
            .map(|i| (i as f64 * 1e-4, 100.0 - (i / 1000) as f64))
            .collect();
        let thinned = thin(points.clone(), PROGRESS_BUCKETS);
        assert!(thinned.len() <= 4 * PROGRESS_BUCKETS, "{}", thinned.len());
        assert_eq!(thinned.first(), points.first());
        assert_eq!(thinned.last(), points.last());
        // The series' lowest value is kept, and time still runs forward.
        let lowest = thinned.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        assert_eq!(lowest, 100.0 - 1999.0);
        assert!(thinned.windows(2).all(|w| w[0].0 <= w[1].0));
        let short = vec![(0.0, 1.0), (1.0, 2.0)];
        assert_eq!(thin(short.clone(), PROGRESS_BUCKETS), short);
    }
}
