//! Progress of an operation and waiting for it to finish: what a `getProgress` answer means,
//! the polling loop with its back-off and deadline, and the signals that let `cancel` on the
//! same client wake a waiter at once.

use crate::error::{Error, Result, Status};
use crate::interrupt::{self, AbortHandle, Interrupt, TICK};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const FIRST_POLL: Duration = Duration::from_millis(100);
const LONGEST_POLL: Duration = Duration::from_secs(2);

/// `getProgress`: a percentage, or finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub percent: i32,
    pub done: bool,
}

pub fn parse_progress(body: &str) -> Option<Progress> {
    let t = body.trim();
    if t.eq_ignore_ascii_case("done") {
        return Some(Progress { percent: 100, done: true });
    }
    let n: i32 = t.parse().ok()?;
    (0..=100).contains(&n).then_some(Progress { percent: n, done: false })
}

/// Wakes the `wait` calls of one operation when the same client cancels it.
#[derive(Default)]
pub(crate) struct WaitSignals {
    waiting: Mutex<HashMap<String, Arc<Signal>>>,
}

/// What `cancel` sets for the waits of one operation: a flag, a wake-up for a sleep, and the
/// switch of each wait, which stops its poll in flight (it travels in the poll's call frame,
/// src/interrupt.rs). The list of switches is the count of waits sharing the signal.
#[derive(Default)]
pub(crate) struct Signal {
    cancelled: AtomicBool,
    waits: Mutex<Vec<Arc<AbortHandle>>>,
    sleeping: Mutex<()>,
    wake: Condvar,
}

/// One `wait` call's share of its operation's signal.
pub(crate) struct Registration {
    signal: Arc<Signal>,
    abort: Arc<AbortHandle>,
}

impl Registration {
    pub(crate) fn signal(&self) -> &Signal {
        &self.signal
    }

    /// The switch `cancel` triggers to stop this wait's poll in flight.
    pub(crate) fn abort(&self) -> Arc<AbortHandle> {
        self.abort.clone()
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl WaitSignals {
    pub(crate) fn register(&self, op_id: &str) -> Registration {
        let signal = locked(&self.waiting).entry(op_id.to_string()).or_default().clone();
        let abort = Arc::new(AbortHandle::new());
        locked(&signal.waits).push(abort.clone());
        Registration { signal, abort }
    }

    /// Ends one `wait`'s use of the signal of `op_id`; the last one removes it, so that a later
    /// wait for the same id starts with a signal of its own, not cancelled.
    pub(crate) fn release(&self, op_id: &str, registration: Registration) {
        let mut map = locked(&self.waiting);
        let mut waits = locked(&registration.signal.waits);
        waits.retain(|a| !Arc::ptr_eq(a, &registration.abort));
        if waits.is_empty() && map.get(op_id).is_some_and(|s| Arc::ptr_eq(s, &registration.signal)) {
            map.remove(op_id);
        }
    }

    /// Marks the waits of `op_id` on this client cancelled and wakes them. Their polls in flight
    /// on other threads are stopped at once; the switches of waits in progress on this thread
    /// (a cancel made from one of their callbacks) are returned, to be triggered once the
    /// cancel's own request is done: triggered now, they would stop it, since it runs above them.
    #[must_use]
    pub(crate) fn cancel(&self, op_id: &str) -> Vec<Arc<AbortHandle>> {
        let Some(signal) = locked(&self.waiting).get(op_id).cloned() else { return Vec::new() };
        signal.cancelled.store(true, Ordering::SeqCst);
        drop(locked(&signal.sleeping));
        signal.wake.notify_all();
        let waits = locked(&signal.waits).clone();
        let (here, elsewhere): (Vec<_>, Vec<_>) = waits.into_iter().partition(interrupt::is_in_progress_here);
        // Nothing here runs caller code: the switches are atomics.
        for abort in elsewhere {
            abort.trigger();
        }
        here
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        locked(&self.waiting).len()
    }
}

/// How a sleep between two polls ended.
enum Woken {
    Slept,
    Cancelled,
    Interrupted(Interrupt),
}

impl Signal {
    /// Sleeps up to `d` in steps of at most a tick, ending early when the operation is cancelled
    /// on this client or the call must stop. No lock is held while the call's controls are
    /// asked (they may run the caller's transfer callback, which may call `cancel`).
    fn sleep(&self, d: Duration) -> Woken {
        let end = Instant::now() + d;
        loop {
            if self.is_cancelled() {
                return Woken::Cancelled;
            }
            if let Err(i) = interrupt::poll() {
                return Woken::Interrupted(i);
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Woken::Slept;
            }
            let step = interrupt::time_left(left.min(TICK)).max(Duration::from_millis(1));
            let sleeping = locked(&self.sleeping);
            // Checked under the lock `cancel` takes to notify: a cancel cannot slip in between.
            if self.is_cancelled() {
                return Woken::Cancelled;
            }
            drop(self.wake.wait_timeout(sleeping, step).unwrap_or_else(|e| e.into_inner()));
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

/// Polls until the operation is done (or gone after it was seen), reporting each new
/// percentage to `on_progress` (false from it stops with `Aborted`); `poll` asks for the
/// progress. Sleeps between polls with a back-off; a cancel of `signal` (by `cancel` on the same
/// client) stops the wait with `Aborted`, even when it comes while a poll is in flight: the
/// signal's switch is part of the poll's controls, so the poll stops within a step whatever
/// the server is doing. The wait's deadline is the deadline of the call's frame, which bounds
/// the poll in flight too.
pub(crate) fn poll_until_done(
    op_id: &str,
    registration: &Registration,
    poll: &mut dyn FnMut() -> Result<Progress>,
    on_progress: &mut dyn FnMut(i32) -> bool,
) -> Result<()> {
    let mut delay = FIRST_POLL;
    let mut last: Option<i32> = None;
    let mut report = |p: i32, last: &mut Option<i32>| -> Result<()> {
        if *last != Some(p) {
            *last = Some(p);
            if !on_progress(p) {
                return Err(Error::new(
                    Status::Aborted,
                    format!("waiting for operation '{op_id}' was stopped by the progress callback"),
                ));
            }
        }
        Ok(())
    };
    let cancelled = || Error::new(Status::Aborted, format!("operation '{op_id}' was cancelled while being waited on"));
    let stopped = |i: Interrupt, last: Option<i32>| match i {
        Interrupt::Deadline(_) => Error::new(
            Status::Timeout,
            format!(
                "operation '{op_id}' did not finish within the wait deadline (last progress {}%)",
                last.unwrap_or(0)
            ),
        ),
        other => other.into_error(),
    };
    let _cancel_stops_polls = interrupt::enter_inner(registration.abort());
    let signal = registration.signal();
    loop {
        if signal.is_cancelled() {
            return Err(cancelled());
        }
        let polled = poll();
        // A cancel on this client wins over whatever the poll in flight answered (a 404 once
        // the server dropped the cancelled operation must not read as "finished").
        if signal.is_cancelled() {
            return Err(cancelled());
        }
        match polled {
            Ok(p) => {
                report(p.percent, &mut last)?;
                if p.done {
                    return Ok(());
                }
            }
            // Servers drop finished operations from the active list (docs/rest-api.md, "Progress").
            Err(e) if e.status == Status::NotFound && last.is_some() => {
                report(100, &mut last)?;
                return Ok(());
            }
            Err(e) => return Err(interrupt::current().map_or(e, |i| stopped(i, last))),
        }
        match signal.sleep(delay) {
            Woken::Slept => {}
            Woken::Cancelled => return Err(cancelled()),
            Woken::Interrupted(i) => return Err(stopped(i, last)),
        }
        delay = (delay * 3 / 2).min(LONGEST_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bodies() {
        assert_eq!(parse_progress("79"), Some(Progress { percent: 79, done: false }));
        assert_eq!(parse_progress(" done\r\n"), Some(Progress { percent: 100, done: true }));
        assert_eq!(parse_progress("DONE"), Some(Progress { percent: 100, done: true }));
        for bad in ["", "101", "-1", "50%", "{\"progress\":5}"] {
            assert_eq!(parse_progress(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_last_waiter_removes_the_signal_whoever_still_holds_it() {
        // Regression: release counted the Arc's references, so two waiters releasing while
        // both still held theirs left the entry, cancelled, for the client's lifetime.
        let signals = WaitSignals::default();
        let a = signals.register("op");
        let b = signals.register("op");
        assert!(Arc::ptr_eq(&a.signal, &b.signal));
        let held = (a.signal.clone(), b.signal.clone());
        assert!(signals.cancel("op").is_empty(), "no wait is in progress on this thread");
        assert!(a.abort.is_triggered() && b.abort.is_triggered());
        signals.release("op", a);
        assert_eq!(signals.len(), 1, "one waiter is left");
        signals.release("op", b);
        assert_eq!(signals.len(), 0, "the last waiter removed it although its signal is still held");
        let fresh = signals.register("op");
        assert!(!fresh.signal().is_cancelled(), "a new wait for the same id is not cancelled");
        assert!(!fresh.abort.is_triggered());
        drop(held);
        signals.release("op", fresh);
        assert_eq!(signals.len(), 0);
    }

    #[test]
    fn a_cancel_from_a_callback_of_the_wait_leaves_its_switch_to_the_caller() {
        let signals = WaitSignals::default();
        let here = signals.register("op");
        let _call = interrupt::enter(&interrupt::CallControls::default());
        let _wait = interrupt::enter_inner(here.abort());
        let deferred = signals.cancel("op");
        assert_eq!(deferred.len(), 1);
        assert!(!here.abort.is_triggered(), "triggered now, it would stop the cancel's own request");
        assert!(here.signal().is_cancelled());
    }
}
