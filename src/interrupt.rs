//! A request to stop searching, shared between whoever catches a signal and the solvers.
//!
//! The library installs no signal handler: the binary does, and calls [`Interrupt::request`].
//! Every solver phase that reads the clock also reads this token (through
//! [`crate::solvers::CommonSettings::time_left_s`], which reports no time left once a stop is
//! requested), and HiGHS polls it through its interrupt callbacks, so a requested stop ends the
//! search within the time of one step and the best plan found so far is kept.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A shared flag: once requested, every clone sees it.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A token that nobody has requested yet.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks every search that holds a clone of this token to stop.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Tokens are not settings: any two compare equal, so settings that differ only in their token
/// are the same settings.
impl PartialEq for Interrupt {
    fn eq(&self, _other: &Interrupt) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clone_sees_a_request() {
        let a = Interrupt::new();
        let b = a.clone();
        assert!(!b.is_requested());
        a.request();
        assert!(b.is_requested());
    }
}
