//! The summary of a plan (summary.json) and everything else `plan` reports, as plain data:
//! `io::write` turns it into bytes.

use crate::domain::plan::Plan;
use crate::scoring::costs::Costs;
use crate::scoring::evaluate::{evaluate, Evaluation};
use crate::scoring::schedule::{schedule, Slot};
use crate::solvers::{CommonSettings, Outcome, Status, StopReason};
use serde::Serialize;

/// summary.json (docs/FORMAT.md §3). EUR totals are sums of the CSV rows as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Σ site_windows.cost_eur + Σ migrations.cost_eur.
    pub objective_eur: Option<f64>,
    /// Window-site energy cost, EUR.
    pub energy_eur: Option<f64>,
    /// Window-site carbon cost, EUR.
    pub carbon_eur: Option<f64>,
    /// Every migration's cost, its energy included, EUR.
    pub migration_eur: Option<f64>,
    /// Grid energy of the window-sites, kWh.
    pub grid_kwh: Option<f64>,
    /// Emissions of that energy, kg CO2e.
    pub carbon_kg: Option<f64>,
    /// Number of migrations.
    pub migrations: Option<usize>,
    /// Objective of the stay plan; null when staying breaks a constraint.
    pub baseline_eur: Option<f64>,
    /// baseline − objective, EUR.
    pub savings_eur: Option<f64>,
    /// 100 × (baseline − objective) / |baseline|.
    pub savings_pct: Option<f64>,
    /// The stay baseline's emissions less the plan's, kg CO2e; null where the baseline is.
    pub carbon_saved_kg: Option<f64>,
    /// Where staying breaks a rule (so `baseline_eur` is null): the cost of the stay plan made
    /// feasible by the repair every heuristic starts from (the fewest moves that fix it, window
    /// by window), EUR; null where staying holds or no repair was found.
    pub repaired_baseline_eur: Option<f64>,
    /// repaired baseline − objective, EUR.
    pub repaired_savings_eur: Option<f64>,
    /// Migrations of the VM that migrates most.
    pub most_migrations_per_vm: Option<usize>,
    /// The median over VMs of their migrations (VMs that never move count as 0).
    pub median_migrations_per_vm: Option<f64>,
    /// The configuration that made the plan.
    pub solver: String,
    /// How the solve ended.
    pub status: Status,
    /// Why the search stopped.
    pub stop_reason: StopReason,
    /// A proven lower bound on the objective, EUR.
    pub bound_eur: Option<f64>,
    /// (objective − bound) / |objective|.
    pub gap: Option<f64>,
    /// Migrations that end after their window.
    pub late_migrations: Option<usize>,
    /// Wall time of the run, s.
    pub runtime_s: f64,
    /// What makes the instance infeasible (or the stay plan, for `stay`), one entry per finding.
    pub infeasible_because: Vec<String>,
    /// What staying breaks, when the baseline is infeasible.
    pub baseline_violations: Vec<String>,
    /// T.
    pub windows: usize,
    /// S.
    pub sites: usize,
    /// V.
    pub vms: usize,
    /// What the user must hear about the solve (a backend that rejected the model, a claim of
    /// optimality that did not hold, a solver figure that differs from the evaluator's).
    pub warnings: Vec<String>,
    /// The wattshift version that wrote the summary.
    pub wattshift_version: String,
    /// The time limit of the solve, s; null without one.
    pub time_limit_s: Option<f64>,
    /// Worker threads the solve ran on.
    pub threads: usize,
    /// The resolved solver configuration, as a configuration file holds it (the `solver` key,
    /// its knobs, `gap`, `seed`, `time_limit_s`); null where the caller did not give it. Written
    /// out as TOML, it reruns the plan (`plan --solver FILE`).
    pub settings: Option<serde_json::Value>,
    /// The instance directory planned, as an absolute path; `report` and `explain` read it
    /// back from there. Null where the caller did not give it.
    pub instance: Option<String>,
}

/// How far the evaluator's cost of a plan may differ from a solver's own figure before `plan`
/// warns: HiGHS's feasibility tolerance is 1e-7 per row, so its objective drifts by about this.
const OBJECTIVE_TOLERANCE: f64 = 1e-6;

/// A plan this close to its bound, EUR per EUR of objective (and at least this many EUR), is
/// proven optimal up to round-off between HiGHS's primal and dual bounds, not up to room left
/// for a better plan: the stop reason is then `optimal`, not `gap_reached`.
const PROVEN_GAP: f64 = 1e-9;

/// Why the search behind `outcome` stopped.
fn stop_reason(
    outcome: &Outcome,
    settings: &CommonSettings,
    objective_and_bound: Option<(f64, f64)>,
    runtime_s: f64,
) -> StopReason {
    if outcome.status == Status::Infeasible {
        StopReason::Infeasible
    } else if settings.interrupt.is_requested() {
        StopReason::Interrupted
    } else if outcome.status == Status::Optimal {
        let open = objective_and_bound
            .is_some_and(|(plan, bound)| plan - bound > PROVEN_GAP * plan.abs().max(1.0));
        if open {
            StopReason::GapReached
        } else {
            StopReason::Optimal
        }
    } else if settings
        .time_limit_s
        .is_some_and(|limit| runtime_s >= limit)
    {
        StopReason::TimeLimit
    } else {
        StopReason::NoImprovement
    }
}

/// Everything `plan` reports, as plain data; `io::write::plan_files` turns it into the files.
pub struct PlanReport {
    /// summary.json.
    pub summary: Summary,
    /// The plan with its evaluation and schedule; `None` when the solve found no plan.
    pub solved: Option<Solved>,
}

/// A plan, the evaluator's verdict on it, and its migrations' slots in their windows.
pub struct Solved {
    /// Each VM's site in each window.
    pub plan: Plan,
    /// The evaluator's costs and violations.
    pub evaluation: Evaluation,
    /// The schedule: one slot per migration of `evaluation`, in the same order.
    pub slots: Vec<Slot>,
}

/// Builds every output of a solve: evaluates its plan, schedules its migrations, sums the
/// summary from the rows as written.
pub fn build_plan_report(
    costs: &Costs,
    solver: &str,
    outcome: &Outcome,
    settings: &CommonSettings,
    runtime_s: f64,
) -> PlanReport {
    let instance = costs.instance;
    let baseline = evaluate(costs, &Plan::stay(instance));
    let baseline_violations: Vec<String> = baseline.named_violations(costs);
    let baseline_eur = baseline.is_feasible().then_some(baseline.objective_eur);
    let baseline_carbon_kg = baseline.carbon_kg;
    let repaired = if baseline.is_feasible() {
        None
    } else {
        crate::solvers::repair::repair(costs, &Plan::stay(instance))
            .map(|plan| evaluate(costs, &plan))
            .filter(Evaluation::is_feasible)
    };
    let mut summary = Summary {
        objective_eur: None,
        energy_eur: None,
        carbon_eur: None,
        migration_eur: None,
        grid_kwh: None,
        carbon_kg: None,
        migrations: None,
        baseline_eur,
        savings_eur: None,
        savings_pct: None,
        carbon_saved_kg: None,
        repaired_baseline_eur: repaired.as_ref().map(|e| e.objective_eur),
        repaired_savings_eur: None,
        most_migrations_per_vm: None,
        median_migrations_per_vm: None,
        solver: solver.to_string(),
        status: outcome.status,
        stop_reason: StopReason::NoImprovement,
        bound_eur: outcome.bound_eur,
        gap: None,
        late_migrations: None,
        runtime_s,
        infeasible_because: outcome.reasons.clone(),
        baseline_violations,
        windows: instance.num_windows(),
        sites: instance.num_sites(),
        vms: instance.num_vms(),
        warnings: outcome.warnings.clone(),
        wattshift_version: env!("CARGO_PKG_VERSION").to_string(),
        time_limit_s: settings.time_limit_s,
        threads: rayon::current_num_threads(),
        settings: None,
        instance: None,
    };
    let Some(plan) = &outcome.plan else {
        summary.stop_reason = stop_reason(outcome, settings, None, runtime_s);
        return PlanReport {
            summary,
            solved: None,
        };
    };
    let evaluation = evaluate(costs, plan);
    let params = &instance.params;
    let slots: Vec<Slot> = schedule(
        &evaluation.migrations,
        params.concurrency,
        params.window_s(),
    );
    let objective = evaluation.objective_eur;
    summary.objective_eur = Some(objective);
    summary.energy_eur = Some(evaluation.energy_eur);
    summary.carbon_eur = Some(evaluation.carbon_eur);
    summary.migration_eur = Some(evaluation.migration_eur);
    summary.grid_kwh = Some(evaluation.grid_kwh);
    summary.carbon_kg = Some(evaluation.carbon_kg);
    summary.migrations = Some(evaluation.migrations.len());
    summary.late_migrations = Some(slots.iter().filter(|s| s.late).count());
    if let Some(baseline) = baseline_eur {
        summary.savings_eur = Some(baseline - objective);
        summary.savings_pct =
            (baseline != 0.0).then(|| 100.0 * (baseline - objective) / baseline.abs());
        summary.carbon_saved_kg = Some(baseline_carbon_kg - evaluation.carbon_kg);
    }
    if let Some(repaired) = &repaired {
        summary.repaired_savings_eur = Some(repaired.objective_eur - objective);
    }
    let mut per_vm = vec![0usize; instance.num_vms()];
    for m in &evaluation.migrations {
        per_vm[m.vm] += 1;
    }
    per_vm.sort_unstable();
    summary.most_migrations_per_vm = per_vm.last().copied();
    summary.median_migrations_per_vm = (!per_vm.is_empty()).then(|| {
        let n = per_vm.len();
        if n % 2 == 1 {
            per_vm[n / 2] as f64
        } else {
            (per_vm[n / 2 - 1] + per_vm[n / 2]) as f64 / 2.0
        }
    });
    let tolerance = OBJECTIVE_TOLERANCE * objective.abs().max(1.0);
    if let Some(own) = outcome.objective_eur {
        if (own - objective).abs() > tolerance {
            summary.warnings.push(format!(
                "the solver's own objective, {own} EUR, differs from the evaluator's cost of \
                 its plan, {objective} EUR; the evaluator's figure is reported"
            ));
        }
    }
    if let Some(bound) = outcome.bound_eur.filter(|&b| b > objective + tolerance) {
        summary.warnings.push(format!(
            "the solver's bound, {bound} EUR, exceeds the cost of its own plan, {objective} \
             EUR; the bound is reported as the plan's cost"
        ));
    }
    // A bound above a feasible objective is only numerical noise of the MILP tolerances.
    summary.bound_eur = outcome.bound_eur.map(|b| b.min(objective));
    if outcome.status == Status::Optimal && summary.bound_eur.is_none() {
        summary.bound_eur = Some(objective);
    }
    summary.gap = summary
        .bound_eur
        .filter(|_| objective != 0.0)
        .map(|b| ((objective - b) / objective.abs()).max(0.0));
    if outcome.status == Status::Optimal {
        // "optimal" is a claim about the bound: it must hold within the gap setting.
        let within = summary
            .gap
            .is_none_or(|g| g <= settings.gap + OBJECTIVE_TOLERANCE);
        if !within || summary.bound_eur.is_none() {
            summary.status = Status::Feasible;
            summary.warnings.push(format!(
                "the solver called its plan optimal, but it is {} from its proven bound, above \
                 the gap setting {}; it is reported as feasible",
                summary
                    .gap
                    .map_or("an unknown distance".to_string(), |g| format!(
                        "{:.6} %",
                        100.0 * g
                    )),
                settings.gap
            ));
        }
    }
    summary.stop_reason = stop_reason(
        outcome,
        settings,
        summary.objective_eur.zip(summary.bound_eur),
        runtime_s,
    );
    PlanReport {
        summary,
        solved: Some(Solved {
            plan: plan.clone(),
            evaluation,
            slots,
        }),
    }
}
