//! The waits in progress on a client, by operation: what lets `cancel` on the same client stop
//! them at once (a flag, a wake-up for a sleep between polls, and each wait's own switch, which
//! stops its poll in flight), counted explicitly so that the last wait to end removes the entry.

use crate::wire::interrupt::{self, AbortHandle, Interrupt, TICK};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

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
pub(crate) enum Woken {
    Slept,
    Cancelled,
    Interrupted(Interrupt),
}

impl Signal {
    /// Sleeps up to `d` in steps of at most a tick, ending early when the operation is cancelled
    /// on this client or the call must stop. No lock is held while the call's controls are
    /// asked (they may run the caller's transfer callback, which may call `cancel`).
    pub(crate) fn sleep(&self, d: Duration) -> Woken {
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

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
