//! `bench`: every solver configuration on every instance, each plan judged by the evaluator,
//! with the gap of each objective to the best bound any configuration proved for that instance.
//! The exporters are pure functions to text, one per format.

use crate::config::SolverConfig;
use crate::domain::instance::Instance;
use crate::progress::Event;
use crate::report::build_plan_report;
use crate::scoring::costs::Costs;
use crate::solvers::{Status, StopReason};
use serde::Serialize;
use std::time::Instant;

/// One configuration on one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchRow {
    /// Its name: the directory as given.
    pub instance: String,
    /// The configuration's name.
    pub config: String,
    /// The solver the configuration runs.
    pub solver: String,
    /// How the solve ended, as `plan` reports it (a claim of optimality its bound does not
    /// support is `feasible`).
    pub status: Status,
    /// Why the search stopped, as in summary.json.
    pub stop_reason: StopReason,
    /// The evaluator's cost of the plan, EUR.
    pub objective_eur: Option<f64>,
    /// What the plan saves against staying, EUR (against the repaired stay plan where staying
    /// breaks a rule).
    pub savings_eur: Option<f64>,
    /// The configuration's own proven lower bound, EUR.
    pub bound_eur: Option<f64>,
    /// The best lower bound known for the instance: the largest any configuration proved.
    pub best_bound_eur: Option<f64>,
    /// (objective − best bound) / |objective|.
    pub gap_to_best_bound: Option<f64>,
    /// The best feasible plan any configuration found on the instance, EUR.
    pub best_objective_eur: Option<f64>,
    /// (objective − best objective) / |objective|: how far the plan is from the best one found.
    pub gap_to_best_plan: Option<f64>,
    /// Wall time of the solve, s.
    pub runtime_s: f64,
    /// Number of migrations in the plan.
    pub migrations: Option<usize>,
    /// Whether the evaluator finds every constraint satisfied.
    pub feasible: bool,
    /// Which run of this configuration on this instance, from 1.
    pub run: usize,
    /// The seed the run used.
    pub seed: u64,
    /// The best plan and bound over the run's time (for the HTML report; not exported).
    #[serde(skip)]
    pub history: Vec<Event>,
}

/// How many times each configuration runs, and with which seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runs {
    /// N runs with the configuration's own seed (the same plans, unless a time limit cuts a
    /// search short; the runtimes vary).
    Repeat(usize),
    /// One run per seed, in order.
    Seeds(Vec<u64>),
}

impl Runs {
    /// The seed of each run, for a configuration whose own seed is `own`.
    fn seeds(&self, own: u64) -> Vec<u64> {
        match self {
            Runs::Repeat(n) => vec![own; (*n).max(1)],
            Runs::Seeds(seeds) => seeds.clone(),
        }
    }

    /// Runs per configuration and instance.
    pub fn count(&self) -> usize {
        match self {
            Runs::Repeat(n) => (*n).max(1),
            Runs::Seeds(seeds) => seeds.len(),
        }
    }
}

/// Runs every configuration on every instance, in that order, each as often as `runs` says.
/// Runs are sequential so that runtimes do not disturb each other; each solver uses the rayon
/// pool it is given.
pub fn run(
    instances: &[(String, Instance)],
    configs: &[SolverConfig],
    runs: &Runs,
) -> Vec<BenchRow> {
    let mut rows = Vec::new();
    for (name, instance) in instances {
        let costs = Costs::new(instance);
        let first = rows.len();
        for (config, run, seed) in configs.iter().flat_map(|config| {
            runs.seeds(config.common.seed)
                .into_iter()
                .enumerate()
                .map(move |(r, seed)| (config, r + 1, seed))
        }) {
            if config.common.interrupt.is_requested() {
                // Stopped by a signal: the table so far is what there is.
                break;
            }
            let mut common = config.common.clone();
            common.seed = seed;
            let config = &SolverConfig {
                common,
                ..config.clone()
            };
            let started = Instant::now();
            let progress = &config.common.progress;
            progress.restart();
            if runs.count() > 1 {
                progress.phase(&format!("{name} · {} · run {run}", config.name));
            } else {
                progress.phase(&format!("{name} · {}", config.name));
            }
            let outcome = config.solver.solve(&costs, &config.common, started);
            let runtime_s = started.elapsed().as_secs_f64();
            // Judged as `plan` judges it: the evaluator's figures, and a claim of optimality
            // checked against the bound.
            let report =
                build_plan_report(&costs, &config.name, &outcome, &config.common, runtime_s);
            let evaluation = report.solved.as_ref().map(|s| &s.evaluation);
            let summary = &report.summary;
            rows.push(BenchRow {
                instance: name.clone(),
                config: config.name.clone(),
                solver: config.solver.name().to_string(),
                status: summary.status,
                stop_reason: summary.stop_reason,
                objective_eur: evaluation.map(|e| e.objective_eur),
                savings_eur: summary.savings_eur.or(summary.repaired_savings_eur),
                bound_eur: outcome.bound_eur,
                best_bound_eur: None,
                gap_to_best_bound: None,
                best_objective_eur: None,
                gap_to_best_plan: None,
                runtime_s,
                migrations: evaluation.map(|e| e.migrations.len()),
                feasible: evaluation.is_some_and(|e| e.is_feasible()),
                run,
                seed,
                history: progress.snapshot().history,
            });
        }
        // A bound above a feasible objective is the MILP's tolerance: cap it there.
        let best_objective = rows[first..]
            .iter()
            .filter(|r| r.feasible)
            .filter_map(|r| r.objective_eur)
            .fold(f64::INFINITY, f64::min);
        let best_bound = rows[first..]
            .iter()
            .filter_map(|r| r.bound_eur)
            .map(|b| b.min(best_objective))
            .fold(None, |acc: Option<f64>, b| {
                Some(acc.map_or(b, |a| a.max(b)))
            });
        let best_plan = best_objective.is_finite().then_some(best_objective);
        for row in &mut rows[first..] {
            row.best_bound_eur = best_bound;
            row.best_objective_eur = best_plan;
            row.gap_to_best_plan = match (row.objective_eur, best_plan) {
                (Some(o), Some(b)) if o != 0.0 && row.feasible => {
                    Some(((o - b) / o.abs()).max(0.0))
                }
                (Some(_), Some(_)) if row.feasible => Some(0.0),
                _ => None,
            };
            row.gap_to_best_bound = match (row.objective_eur, best_bound) {
                (Some(o), Some(b)) if o != 0.0 && row.feasible => {
                    Some(((o - b) / o.abs()).max(0.0))
                }
                _ => None,
            };
        }
        if configs.iter().any(|c| c.common.interrupt.is_requested()) {
            break;
        }
    }
    rows
}

fn cell(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.3} %", 100.0 * v))
}

/// The columns of the table and Markdown exports, each with its header and how a row shows it,
/// in one list: names are aligned left, figures right.
#[allow(clippy::type_complexity)]
const COLUMNS: [(&str, bool, fn(&BenchRow) -> String); 13] = [
    ("instance", false, |r| r.instance.clone()),
    ("config", false, |r| r.config.clone()),
    ("status", false, |r| r.status.to_string()),
    ("stop_reason", false, |r| {
        serde_json::to_value(r.stop_reason)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }),
    ("objective_eur", true, |r| cell(r.objective_eur, 6)),
    ("savings_eur", true, |r| cell(r.savings_eur, 6)),
    ("bound_eur", true, |r| cell(r.bound_eur, 6)),
    ("best_bound_eur", true, |r| cell(r.best_bound_eur, 6)),
    ("gap_to_best_bound", true, |r| pct(r.gap_to_best_bound)),
    ("gap_to_best_plan", true, |r| pct(r.gap_to_best_plan)),
    ("runtime_s", true, |r| format!("{:.2}", r.runtime_s)),
    ("migrations", true, |r| {
        r.migrations.map_or("-".into(), |m| m.to_string())
    }),
    ("feasible", true, |r| {
        if r.feasible { "yes" } else { "no" }.to_string()
    }),
];

/// An aligned table for the terminal.
pub fn to_table(rows: &[BenchRow]) -> String {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_header(COLUMNS.iter().map(|(header, _, _)| *header));
    for row in rows {
        table.add_row(COLUMNS.iter().map(|(_, _, show)| show(row)));
    }
    for (i, (_, right, _)) in COLUMNS.iter().enumerate() {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(if *right {
                comfy_table::CellAlignment::Right
            } else {
                comfy_table::CellAlignment::Left
            });
        }
    }
    let mut out: String = table
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect();
    if out.is_empty() {
        out.push('\n');
    }
    out
}

/// A Markdown table.
pub fn to_markdown(rows: &[BenchRow]) -> String {
    let headers: Vec<&str> = COLUMNS.iter().map(|(header, _, _)| *header).collect();
    let mut out = format!("| {} |\n", headers.join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(COLUMNS.len())));
    for row in rows {
        let cells: Vec<String> = COLUMNS.iter().map(|(_, _, show)| show(row)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// CSV with every figure at full precision: the rows serialised, their field names as the
/// header.
pub fn to_csv(rows: &[BenchRow]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.serialize(row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// JSON: an array of rows.
pub fn to_json(rows: &[BenchRow]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_default() + "\n"
}

/// Mean, standard deviation and best of one figure over the runs of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// Mean over the runs that have the figure.
    pub mean: f64,
    /// Sample standard deviation (0 with one run).
    pub std: f64,
    /// The smallest value (objectives, gaps and runtimes are all better smaller).
    pub best: f64,
}

impl Spread {
    /// The spread of `values` (finite ones only); `None` when there are none.
    pub fn of(values: impl Iterator<Item = f64>) -> Option<Spread> {
        let values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = if values.len() > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        let best = values.iter().copied().fold(f64::INFINITY, f64::min);
        Some(Spread { mean, std, best })
    }
}

/// One configuration on one instance over its runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchStats {
    /// The instance.
    pub instance: String,
    /// The configuration.
    pub config: String,
    /// Runs made.
    pub runs: usize,
    /// Runs whose plan the evaluator finds feasible.
    pub feasible_runs: usize,
    /// The objective over the feasible runs, EUR.
    pub objective_eur: Option<Spread>,
    /// The gap to the instance's best bound over the feasible runs.
    pub gap_to_best_bound: Option<Spread>,
    /// The runtime over all runs, s.
    pub runtime_s: Option<Spread>,
}

/// The rows grouped by instance and configuration, in the order they first appear.
pub fn stats(rows: &[BenchRow]) -> Vec<BenchStats> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.instance.as_str(), r.config.as_str())) {
            keys.push((r.instance.as_str(), r.config.as_str()));
        }
    }
    keys.into_iter()
        .map(|(instance, config)| {
            let group: Vec<&BenchRow> = rows
                .iter()
                .filter(|r| r.instance == instance && r.config == config)
                .collect();
            let feasible = || group.iter().filter(|r| r.feasible);
            BenchStats {
                instance: instance.to_string(),
                config: config.to_string(),
                runs: group.len(),
                feasible_runs: feasible().count(),
                objective_eur: Spread::of(feasible().filter_map(|r| r.objective_eur)),
                gap_to_best_bound: Spread::of(feasible().filter_map(|r| r.gap_to_best_bound)),
                runtime_s: Spread::of(group.iter().map(|r| r.runtime_s)),
            }
        })
        .collect()
}

fn spread_cells(s: Option<Spread>, show: fn(f64) -> String) -> [String; 3] {
    match s {
        Some(s) => [show(s.mean), show(s.std), show(s.best)],
        None => ["-".into(), "-".into(), "-".into()],
    }
}

/// The header and cells of the statistics table (runs > 1).
fn stats_rows(stats: &[BenchStats]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "instance",
        "config",
        "runs",
        "feasible",
        "objective_mean",
        "objective_std",
        "objective_best",
        "gap_mean",
        "gap_std",
        "gap_best",
        "runtime_mean_s",
        "runtime_std_s",
        "runtime_best_s",
    ];
    let eur = |v: f64| format!("{v:.6}");
    let gap = |v: f64| format!("{:.3} %", 100.0 * v);
    let secs = |v: f64| format!("{v:.2}");
    let rows = stats
        .iter()
        .map(|s| {
            let mut cells = vec![
                s.instance.clone(),
                s.config.clone(),
                s.runs.to_string(),
                format!("{}/{}", s.feasible_runs, s.runs),
            ];
            cells.extend(spread_cells(s.objective_eur, eur));
            cells.extend(spread_cells(s.gap_to_best_bound, gap));
            cells.extend(spread_cells(s.runtime_s, secs));
            cells
        })
        .collect();
    (header, rows)
}

/// The statistics as an aligned table for the terminal.
pub fn stats_table(stats: &[BenchStats]) -> String {
    let (header, rows) = stats_rows(stats);
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_header(header.clone());
    for row in rows {
        table.add_row(row);
    }
    for i in 2..header.len() {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect()
}

/// The statistics as a Markdown table.
pub fn stats_markdown(stats: &[BenchStats]) -> String {
    let (header, rows) = stats_rows(stats);
    let mut out = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// JSON with several runs: every run's row and the statistics.
pub fn runs_json(rows: &[BenchRow]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "runs": rows,
        "stats": stats(rows),
    }))
    .unwrap_or_default()
        + "\n"
}

/// The bench report: per instance, the best plan and bound over time of each configuration (its
/// best run), the final gap of each configuration per instance, and the table. One
/// self-contained HTML page, as the plan report is.
pub fn to_html(rows: &[BenchRow], runs: usize) -> String {
    use crate::chart::{escape, Bar, BarChart, LineChart, Series};
    let mut body = String::from("<h1>wattshift bench</h1>");
    let stats = stats(rows);
    let mut instances: Vec<&str> = Vec::new();
    let mut configs: Vec<&str> = Vec::new();
    for r in rows {
        if !instances.contains(&r.instance.as_str()) {
            instances.push(&r.instance);
        }
        if !configs.contains(&r.config.as_str()) {
            configs.push(&r.config);
        }
    }
    body.push_str(&format!(
        "<p class=\"note\">{} instances × {} configurations × {} run{}. The gap is to the best \
         bound any configuration proved on the instance.</p>",
        instances.len(),
        configs.len(),
        runs,
        if runs == 1 { "" } else { "s" }
    ));
    body.push_str("<h2>Final gap</h2>");
    let bars = BarChart {
        title: "Gap to the best bound (mean over runs)".into(),
        width: 960.0,
        height: 320.0,
        y_label: "gap (%)".into(),
        series: configs.iter().map(|c| c.to_string()).collect(),
        groups: instances
            .iter()
            .map(|i| Bar {
                category: i.to_string(),
                values: configs
                    .iter()
                    .map(|c| {
                        stats
                            .iter()
                            .find(|s| s.instance == *i && s.config == *c)
                            .and_then(|s| s.gap_to_best_bound)
                            .map(|g| 100.0 * g.mean)
                    })
                    .collect(),
            })
            .collect(),
    };
    body.push_str(&bars.svg("gaps"));
    body.push_str("<h2>Best plan and bound over time</h2>");
    for (k, instance) in instances.iter().enumerate() {
        let mut series = Vec::new();
        for (c, config) in configs.iter().enumerate() {
            // The run with the best final objective stands for the configuration.
            let best = rows
                .iter()
                .filter(|r| r.instance == *instance && r.config == *config)
                .min_by(|a, b| {
                    a.objective_eur
                        .unwrap_or(f64::INFINITY)
                        .total_cmp(&b.objective_eur.unwrap_or(f64::INFINITY))
                });
            let Some(best) = best else { continue };
            // Solvers that report no progress still end with their plan.
            let mut points: Vec<(f64, f64)> = best
                .history
                .iter()
                .filter_map(|e| e.objective_eur.map(|o| (e.elapsed_s, o)))
                .collect();
            if let Some(objective) = best.objective_eur {
                points.push((best.runtime_s, objective));
            }
            // A configuration's plan (solid) and bound (dashed) share its colour.
            series.push(Series {
                name: format!("{config}: plan"),
                points,
                dashed: false,
                colour: Some(c),
            });
            series.push(Series {
                name: format!("{config}: bound"),
                points: best
                    .history
                    .iter()
                    .filter_map(|e| e.bound_eur.map(|b| (e.elapsed_s, b)))
                    .collect(),
                dashed: true,
                colour: Some(c),
            });
        }
        let chart = LineChart::over_time(instance.to_string(), series);
        body.push_str(&chart.standalone(&format!("progress-{k}")));
    }
    body.push_str("<h2>Table</h2>");
    let (header, cells) = if runs > 1 {
        stats_rows(&stats)
    } else {
        (
            COLUMNS.iter().map(|(h, _, _)| *h).collect(),
            rows.iter()
                .map(|r| COLUMNS.iter().map(|(_, _, show)| show(r)).collect())
                .collect(),
        )
    };
    body.push_str("<table id=\"bench\"><tr>");
    for h in header {
        body.push_str(&format!("<th>{}</th>", escape(h)));
    }
    body.push_str("</tr>");
    for row in cells {
        body.push_str("<tr>");
        for cell in row {
            body.push_str(&format!("<td>{}</td>", escape(&cell)));
        }
        body.push_str("</tr>");
    }
    body.push_str("</table>");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wattshift bench</title>\
         <style>body{{font-family:sans-serif;margin:24px auto;max-width:1000px;color:#222}}\
         h2{{font-size:17px;border-bottom:1px solid #ccc}}table{{border-collapse:collapse;font-size:13px}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}.note{{color:#555;font-size:13px}}\
         svg.chart{{display:block;margin:8px 0}}</style></head><body>{body}</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(config: &str, objective: f64, bound: Option<f64>) -> BenchRow {
        BenchRow {
            instance: "i".into(),
            config: config.into(),
            solver: config.into(),
            status: Status::Feasible,
            stop_reason: StopReason::TimeLimit,
            objective_eur: Some(objective),
            savings_eur: Some(20.0 - objective),
            bound_eur: bound,
            best_bound_eur: Some(9.0),
            gap_to_best_bound: Some((objective - 9.0) / objective),
            best_objective_eur: Some(10.0),
            gap_to_best_plan: Some((objective - 10.0) / objective),
            runtime_s: 0.5,
            migrations: Some(3),
            feasible: true,
            run: 1,
            seed: 1,
            history: Vec::new(),
        }
    }

    #[test]
    fn every_format_carries_every_row() {
        let rows = vec![
            row("exact", 10.0, Some(9.0)),
            row("greedy, fast", 12.0, None),
        ];
        let table = to_table(&rows);
        assert_eq!(table.lines().count(), 3);
        assert!(table.contains("10.000000") && table.contains("25.000 %"));
        let md = to_markdown(&rows);
        assert!(md.starts_with("| instance | config |") && md.lines().count() == 4);
        let csv = to_csv(&rows);
        // The comma in a name is quoted.
        assert!(csv.contains("\"greedy, fast\""));
        assert!(csv.contains(",0.1,") && csv.lines().count() == 3);
        let json: serde_json::Value = serde_json::from_str(&to_json(&rows)).unwrap();
        assert_eq!(json[1]["objective_eur"], 12.0);
        assert!(json[1]["bound_eur"].is_null());
    }
}
