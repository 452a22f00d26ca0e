//! What a running solve has found so far: its phase, the best plan's cost and the best proven
//! bound, with the history of both over time, shared between the solvers, which report, and
//! whoever shows it (the binary's progress line; the plan report's chart of the search).
//!
//! The library prints nothing: solvers call [`Progress::phase`], [`Progress::plan`] and
//! [`Progress::bound`]; a backend's log lines go to [`Progress::log`], which hands them to the
//! sink the binary installed (standard error), or drops them.

use serde::Serialize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// The most events a history keeps; later ones replace the last, so the final state is always
/// there.
pub const MAX_EVENTS: usize = 10_000;

/// A new best plan or bound, at a time since the solve started.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Event {
    /// Seconds since the solve started.
    pub elapsed_s: f64,
    /// The best plan's cost so far, EUR.
    pub objective_eur: Option<f64>,
    /// The best proven lower bound so far, EUR.
    pub bound_eur: Option<f64>,
}

/// A snapshot of a solve's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// What the solver is doing ("bound", "re-route", "blocks", …); empty before it says.
    pub phase: String,
    /// Seconds since the solve started.
    pub elapsed_s: f64,
    /// The best plan's cost so far, EUR.
    pub objective_eur: Option<f64>,
    /// The best proven lower bound so far, EUR.
    pub bound_eur: Option<f64>,
    /// Every change of the best plan or bound, oldest first (at most [`MAX_EVENTS`]).
    pub history: Vec<Event>,
}

impl Snapshot {
    /// The relative gap between the best plan and the bound, where both are known.
    pub fn gap(&self) -> Option<f64> {
        match (self.objective_eur, self.bound_eur) {
            (Some(p), Some(b)) => Some(relative_gap(p, b)),
            _ => None,
        }
    }
}

/// (objective − bound) / |objective|, 0 where both are 0, never negative.
pub fn relative_gap(objective: f64, bound: f64) -> f64 {
    let gap = objective - bound;
    if gap <= 0.0 {
        0.0
    } else if objective.abs() > 0.0 {
        gap / objective.abs()
    } else {
        f64::INFINITY
    }
}

/// A sink for a backend's log lines.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

struct State {
    started: Instant,
    phase: String,
    objective_eur: Option<f64>,
    bound_eur: Option<f64>,
    history: Vec<Event>,
    log: Option<LogSink>,
}

/// A solve's progress, shared by clones.
#[derive(Clone)]
pub struct Progress(Arc<Mutex<State>>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Progress").field(&self.snapshot()).finish()
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

/// Progress is not a setting: any two compare equal, so settings that differ only in it are
/// the same settings.
impl PartialEq for Progress {
    fn eq(&self, _other: &Progress) -> bool {
        true
    }
}

impl Progress {
    /// Progress of a solve that starts now, with no log sink.
    pub fn new() -> Progress {
        Progress(Arc::new(Mutex::new(State {
            started: Instant::now(),
            phase: String::new(),
            objective_eur: None,
            bound_eur: None,
            history: Vec::new(),
            log: None,
        })))
    }

    /// Progress whose backend log lines go to `sink`.
    pub fn with_log(sink: LogSink) -> Progress {
        let progress = Progress::new();
        progress.state().log = Some(sink);
        progress
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere never leaves the state half-written: every update is one store.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Restarts the clock (when a solve begins).
    pub fn restart(&self) {
        let mut state = self.state();
        state.started = Instant::now();
        state.phase.clear();
        state.objective_eur = None;
        state.bound_eur = None;
        state.history.clear();
    }

    /// The solver's current phase.
    pub fn phase(&self, name: &str) {
        let mut state = self.state();
        if state.phase != name {
            state.phase = name.to_string();
        }
    }

    /// A feasible plan that costs `objective_eur` (by the evaluator): kept if it is the best
    /// so far. Non-finite values are ignored.
    pub fn plan(&self, objective_eur: f64) {
        let mut state = self.state();
        if objective_eur.is_finite() && state.objective_eur.is_none_or(|b| objective_eur < b) {
            state.objective_eur = Some(objective_eur);
            record(&mut state);
        }
    }

    /// A proven lower bound on every plan's cost: kept if it is the best so far. Non-finite
    /// values are ignored.
    pub fn bound(&self, bound_eur: f64) {
        let mut state = self.state();
        if bound_eur.is_finite() && state.bound_eur.is_none_or(|b| bound_eur > b) {
            state.bound_eur = Some(bound_eur);
            record(&mut state);
        }
    }

    /// The solve's final figures, as the evaluator and the report have them: they replace the
    /// figures reported along the way (a backend's own objective may differ from the
    /// evaluator's in its last digits), and the history ends with them.
    pub fn settle(&self, objective_eur: Option<f64>, bound_eur: Option<f64>) {
        let mut state = self.state();
        let objective_eur = objective_eur.filter(|x| x.is_finite());
        let bound_eur = bound_eur.filter(|x| x.is_finite());
        if (state.objective_eur, state.bound_eur) != (objective_eur, bound_eur) {
            state.objective_eur = objective_eur;
            state.bound_eur = bound_eur;
            record(&mut state);
        }
    }

    /// A line of a backend's log (HiGHS): to the sink, if there is one.
    pub fn log(&self, line: &str) {
        let sink = self.state().log.clone();
        if let Some(sink) = sink {
            sink(line);
        }
    }

    /// Whether backend log lines go anywhere.
    pub fn logs(&self) -> bool {
        self.state().log.is_some()
    }

    /// What the solve has found so far.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.state();
        Snapshot {
            phase: state.phase.clone(),
            elapsed_s: state.started.elapsed().as_secs_f64(),
            objective_eur: state.objective_eur,
            bound_eur: state.bound_eur,
            history: state.history.clone(),
        }
    }
}

fn record(state: &mut State) {
    let event = Event {
        elapsed_s: state.started.elapsed().as_secs_f64(),
        objective_eur: state.objective_eur,
        bound_eur: state.bound_eur,
    };
    if state.history.len() >= MAX_EVENTS {
        state.history.pop();
    }
    state.history.push(event);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_better_plans_and_bounds_are_kept() {
        let p = Progress::new();
        p.plan(10.0);
        p.plan(12.0);
        p.bound(5.0);
        p.bound(4.0);
        p.plan(f64::NAN);
        p.bound(f64::INFINITY);
        p.plan(9.0);
        let s = p.snapshot();
        assert_eq!((s.objective_eur, s.bound_eur), (Some(9.0), Some(5.0)));
        assert_eq!(s.history.len(), 3);
        assert!((s.gap().unwrap() - 4.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn the_history_is_capped_and_keeps_the_last_event() {
        let p = Progress::new();
        for i in 0..MAX_EVENTS + 10 {
            p.plan(1e6 - i as f64);
        }
        let s = p.snapshot();
        assert_eq!(s.history.len(), MAX_EVENTS);
        assert_eq!(s.history.last().unwrap().objective_eur, s.objective_eur);
    }

    #[test]
    fn gaps_are_never_negative() {
        assert_eq!(relative_gap(1.0, 2.0), 0.0);
        assert_eq!(relative_gap(0.0, 0.0), 0.0);
        assert_eq!(relative_gap(-2.0, -3.0), 0.5);
    }
}
