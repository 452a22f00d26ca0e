//! SIGINT and SIGTERM: the first asks the search to stop (the best plan found so far is then
//! written), the second ends the process at once; the atomic write leaves no partial output.

use std::sync::atomic::{AtomicI32, Ordering};
use wattshift::interrupt::Interrupt;

/// The signal that asked the search to stop (0: none yet).
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Starts a thread that catches SIGINT and SIGTERM for `interrupt`.
pub fn catch(interrupt: &Interrupt) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let interrupt = interrupt.clone();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if STOP_SIGNAL.load(Ordering::SeqCst) != 0 {
                eprintln!("wattshift: aborted; nothing more is written");
                std::process::exit(128 + signal);
            }
            STOP_SIGNAL.store(signal, Ordering::SeqCst);
            interrupt.request();
            eprintln!(
                "wattshift: stopping the search and keeping the best plan so far \
                 (press Ctrl-C again to abort)"
            );
        }
    });
}

/// The signal that stopped the search, if one did.
pub fn caught() -> Option<i32> {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}
