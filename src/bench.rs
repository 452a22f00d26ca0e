//! `bench`: every solver configuration on every instance, each plan judged by the evaluator,
//! with the gap of each objective to the best bound any configuration proved for that instance.
//! The exporters are pure functions to text, one per format.

use crate::config::SolverConfig;
use crate::domain::instance::Instance;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::evaluate;
use crate::solvers::Status;
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
    /// How the solve ended.
    pub status: Status,
    /// The evaluator's cost of the plan, EUR.
    pub objective_eur: Option<f64>,
    /// The configuration's own proven lower bound, EUR.
    pub bound_eur: Option<f64>,
    /// The best lower bound known for the instance: the largest any configuration proved.
    pub best_bound_eur: Option<f64>,
    /// (objective − best bound) / |objective|.
    pub gap_to_best_bound: Option<f64>,
    /// Wall time of the solve, s.
    pub runtime_s: f64,
    /// Number of migrations in the plan.
    pub migrations: Option<usize>,
    /// Whether the evaluator finds every constraint satisfied.
    pub feasible: bool,
}

/// Runs every configuration on every instance, in that order. Runs are sequential so that
/// runtimes do not disturb each other; each solver uses the rayon pool it is given.
pub fn run(instances: &[(String, Instance)], configs: &[SolverConfig]) -> Vec<BenchRow> {
    let mut rows = Vec::new();
    for (name, instance) in instances {
        let costs = Costs::new(instance);
        let first = rows.len();
        for config in configs {
            if config.common.interrupt.is_requested() {
                // Stopped by a signal: the table so far is what there is.
                break;
            }
            let started = Instant::now();
            let progress = &config.common.progress;
            progress.restart();
            progress.phase(&format!("{name} · {}", config.name));
            let outcome = config.solver.solve(&costs, &config.common, started);
            let runtime_s = started.elapsed().as_secs_f64();
            let evaluation = outcome.plan.as_ref().map(|plan| evaluate(&costs, plan));
            rows.push(BenchRow {
                instance: name.clone(),
                config: config.name.clone(),
                solver: config.solver.name().to_string(),
                status: outcome.status,
                objective_eur: evaluation.as_ref().map(|e| e.objective_eur),
                bound_eur: outcome.bound_eur,
                best_bound_eur: None,
                gap_to_best_bound: None,
                runtime_s,
                migrations: evaluation.as_ref().map(|e| e.migrations.len()),
                feasible: evaluation.as_ref().is_some_and(|e| e.is_feasible()),
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
        for row in &mut rows[first..] {
            row.best_bound_eur = best_bound;
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
const COLUMNS: [(&str, bool, fn(&BenchRow) -> String); 10] = [
    ("instance", false, |r| r.instance.clone()),
    ("config", false, |r| r.config.clone()),
    ("status", false, |r| r.status.to_string()),
    ("objective_eur", true, |r| cell(r.objective_eur, 6)),
    ("bound_eur", true, |r| cell(r.bound_eur, 6)),
    ("best_bound_eur", true, |r| cell(r.best_bound_eur, 6)),
    ("gap_to_best", true, |r| pct(r.gap_to_best_bound)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(config: &str, objective: f64, bound: Option<f64>) -> BenchRow {
        BenchRow {
            instance: "i".into(),
            config: config.into(),
            solver: config.into(),
            status: Status::Feasible,
            objective_eur: Some(objective),
            bound_eur: bound,
            best_bound_eur: Some(9.0),
            gap_to_best_bound: Some((objective - 9.0) / objective),
            runtime_s: 0.5,
            migrations: Some(3),
            feasible: true,
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
