//! What a running `plan` or `bench` shows on standard error: a live line on a terminal
//! (indicatif), plain lines otherwise, nothing with `--quiet`. Standard output stays for the
//! result.
//!
//! A plain line is written for each new best plan or bound, at most one a second (the last one
//! is written when the solve ends), in a stable form that scripts parse:
//!
//! ```text
//! progress: elapsed_s=2.0 objective_eur=0.642444 bound_eur=0.5688 gap=0.1143 phase=MILP
//! ```
//!
//! Fields are `key=value`, separated by spaces; a value not known yet is `-`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wattshift::progress::{Progress, Snapshot};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    /// Nothing (`--quiet`).
    #[default]
    Nothing,
    /// A live line, redrawn in place (standard error is a terminal).
    Live,
    /// A plain line per change, at most one a second.
    Lines,
}

impl Show {
    /// Live on a terminal, plain lines otherwise, nothing when quiet.
    pub fn choose(quiet: bool) -> Show {
        if quiet {
            Show::Nothing
        } else if std::io::stderr().is_terminal() {
            Show::Live
        } else {
            Show::Lines
        }
    }
}

/// A figure for a progress field: full precision, or `-`.
fn field(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| v.to_string())
}

/// The plain line for a snapshot.
pub fn line(snapshot: &Snapshot) -> String {
    format!(
        "progress: elapsed_s={:.1} objective_eur={} bound_eur={} gap={} phase={}",
        snapshot.elapsed_s,
        field(snapshot.objective_eur),
        field(snapshot.bound_eur),
        field(snapshot.gap()),
        if snapshot.phase.is_empty() {
            "-"
        } else {
            &snapshot.phase
        }
    )
}

/// The live line's message: short figures for people.
fn message(label: &str, snapshot: &Snapshot) -> String {
    let eur = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.4} EUR"));
    let gap = snapshot
        .gap()
        .map_or("–".to_string(), |g| format!("{:.2} %", 100.0 * g));
    format!(
        "{label}{}  best {}  bound {}  gap {gap}",
        if snapshot.phase.is_empty() {
            String::new()
        } else {
            format!(" [{}]", snapshot.phase)
        },
        eur(snapshot.objective_eur),
        eur(snapshot.bound_eur),
    )
}

/// Shows a solve's progress from a thread of its own until [`Reporter::finish`].
pub struct Reporter {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Starts showing `progress` as `show` says; `label` names the run on the live line.
    pub fn start(progress: Progress, show: Show, label: String) -> Reporter {
        let stop = Arc::new(AtomicBool::new(false));
        let handle = match show {
            Show::Nothing => None,
            Show::Live => {
                let stop = stop.clone();
                Some(std::thread::spawn(move || live(&progress, &stop, &label)))
            }
            Show::Lines => {
                let stop = stop.clone();
                Some(std::thread::spawn(move || lines(&progress, &stop)))
            }
        };
        Reporter { stop, handle }
    }

    /// Stops showing; the plain lines end with the last change.
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.end();
    }
}

/// How often the thread looks.
const TICK: Duration = Duration::from_millis(100);

fn live(progress: &Progress, stop: &AtomicBool, label: &str) {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    while !stop.load(Ordering::SeqCst) {
        bar.set_message(message(label, &progress.snapshot()));
        bar.tick();
        std::thread::sleep(TICK);
    }
    bar.finish_and_clear();
}

fn lines(progress: &Progress, stop: &AtomicBool) {
    let mut shown: (Option<f64>, Option<f64>) = (None, None);
    let mut last_line: Option<Instant> = None;
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let snapshot = progress.snapshot();
        let now = (snapshot.objective_eur, snapshot.bound_eur);
        let due = last_line.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if now != shown && now != (None, None) && (due || stopping) {
            eprintln!("{}", line(&snapshot));
            shown = now;
            last_line = Some(Instant::now());
        }
        if stopping {
            break;
        }
        std::thread::sleep(TICK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_every_field_and_marks_the_unknown() {
        let snapshot = Snapshot {
            phase: String::new(),
            elapsed_s: 1.5,
            objective_eur: Some(2.5),
            bound_eur: None,
            history: Vec::new(),
        };
        assert_eq!(
            line(&snapshot),
            "progress: elapsed_s=1.5 objective_eur=2.5 bound_eur=- gap=- phase=-"
        );
    }
}
