//! The operations being waited on through a client, by id: what the client's watcher last
//! learnt of each (progress, finished, failed), how many waits share it, and whether `cancel` on
//! the same client stopped them. Waits read it and sleep until it changes; the watcher
//! (`api::watch`) writes it; counted explicitly, so that the last wait to end removes an entry.
//! No caller code runs under its locks.

use crate::error::Error;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The operations waited on through one client.
#[derive(Default)]
pub(crate) struct WaitSignals {
    waiting: Mutex<HashMap<String, Arc<Signal>>>,
    /// Bumped and notified whenever a watched operation changes (progress, end, cancel) or one
    /// joins, so that waits and the watcher wake without polling each other.
    generation: Mutex<u64>,
    changed: Condvar,
    /// Whether the watcher's thread runs (one per client at most).
    watcher_running: Mutex<bool>,
}

/// How a watched operation ended.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Finished,
    Failed(Error),
}

/// A run of transient failures (no connection, a timeout, 502/503/504) in asking the server
/// about an operation: they never end its waits; each wait reports the last one if its deadline
/// passes meanwhile.
#[derive(Clone, Debug)]
pub(crate) struct Trouble {
    /// When the first failure of the run came.
    pub since: Instant,
    pub last: Error,
}

/// What is known of one watched operation.
#[derive(Debug)]
pub(crate) struct Watch {
    /// Waits sharing this entry.
    waiters: usize,
    /// The last percentage seen (from the operation list or a progress answer).
    pub percent: Option<i32>,
    pub outcome: Option<Outcome>,
    /// Seen running once: a 404 afterwards means it finished and was dropped by the server.
    pub seen: bool,
    /// In the server's operation list at the last look.
    pub listed: bool,
    /// When the watcher may next ask this operation's progress itself, and the back-off.
    pub next_check: Instant,
    pub delay: Duration,
    /// Server errors (5xx other than 502/503/504) of its own progress answers in a row.
    pub failures: u32,
    /// The transient failures since the last answer about it, if the last look failed.
    pub trouble: Option<Trouble>,
    /// When the last wait using it ended (it is then kept a while, not watched).
    released_at: Option<Instant>,
}

/// One watched operation: its state, and the flag `cancel` sets.
pub(crate) struct Signal {
    cancelled: AtomicBool,
    watch: Mutex<Watch>,
}

/// One wait's share of its operation's entry.
pub(crate) struct Registration {
    signal: Arc<Signal>,
}

/// How long an entry no wait uses any more is kept, with what the watcher learnt of it.
pub(crate) const KEPT_AFTER_RELEASE: Duration = Duration::from_secs(10);

/// Forgets the entries released more than [`KEPT_AFTER_RELEASE`] ago.
fn forget_released(map: &mut HashMap<String, Arc<Signal>>) {
    map.retain(|_, s| s.watch().released_at.is_none_or(|t| t.elapsed() < KEPT_AFTER_RELEASE));
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Signal {
    fn new(first_check: Duration) -> Signal {
        Signal {
            cancelled: AtomicBool::new(false),
            watch: Mutex::new(Watch {
                waiters: 0,
                percent: None,
                outcome: None,
                seen: false,
                listed: false,
                next_check: Instant::now(),
                delay: first_check,
                failures: 0,
                trouble: None,
                released_at: None,
            }),
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The state, for reading or (the watcher) updating; held for a few lines, no caller code.
    pub(crate) fn watch(&self) -> MutexGuard<'_, Watch> {
        locked(&self.watch)
    }
}

impl Watch {
    /// Notes a transient failure in asking about the operation (the run's start kept).
    pub(crate) fn trouble(&mut self, e: &Error) {
        let since = self.trouble.as_ref().map_or_else(Instant::now, |t| t.since);
        self.trouble = Some(Trouble { since, last: e.clone() });
    }
}

impl Registration {
    pub(crate) fn signal(&self) -> &Signal {
        &self.signal
    }
}

impl WaitSignals {
    /// Registers a wait for `op_id`. An entry released less than [`KEPT_AFTER_RELEASE`] ago is
    /// taken up again with what the watcher learnt (a loop of `wait_any` over a set costs no new
    /// look), unless it was cancelled or failed; a new entry is looked at at once by the watcher.
    pub(crate) fn register(&self, op_id: &str, first_check: Duration) -> Registration {
        let mut map = locked(&self.waiting);
        forget_released(&mut map);
        // A released entry is taken up unless it was cancelled or failed (a new wait asks again).
        let reusable = map.get(op_id).is_some_and(|s| {
            let w = s.watch();
            w.waiters > 0 || !(s.is_cancelled() || matches!(w.outcome, Some(Outcome::Failed(_))))
        });
        let signal = if reusable {
            map[op_id].clone()
        } else {
            let fresh = Arc::new(Signal::new(first_check));
            map.insert(op_id.to_string(), fresh.clone());
            fresh
        };
        {
            let mut w = signal.watch();
            w.waiters += 1;
            w.released_at = None;
        }
        drop(map);
        if !reusable {
            self.notify();
        }
        Registration { signal }
    }

    /// Ends one wait's use of the entry of `op_id`; after the last one, the entry is kept for
    /// [`KEPT_AFTER_RELEASE`] (not watched), then forgotten: a later wait for the same id then
    /// starts afresh, and one after a cancel never finds it cancelled.
    pub(crate) fn release(&self, _op_id: &str, registration: Registration) {
        let mut map = locked(&self.waiting);
        let mut watch = registration.signal.watch();
        watch.waiters = watch.waiters.saturating_sub(1);
        if watch.waiters == 0 {
            watch.released_at = Some(Instant::now());
        }
        drop(watch);
        forget_released(&mut map);
    }

    /// Marks the waits of `op_id` on this client cancelled and wakes them.
    pub(crate) fn cancel(&self, op_id: &str) {
        if let Some(signal) = locked(&self.waiting).get(op_id).cloned() {
            signal.cancelled.store(true, Ordering::SeqCst);
            self.notify();
        }
    }

    /// The operations still to watch (waited on, no outcome yet, not cancelled).
    pub(crate) fn watched(&self) -> Vec<(String, Arc<Signal>)> {
        locked(&self.waiting)
            .iter()
            .filter(|(_, s)| {
                !s.is_cancelled() && {
                    let w = s.watch();
                    w.waiters > 0 && w.outcome.is_none()
                }
            })
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect()
    }

    /// Wakes every wait and the watcher: something changed.
    pub(crate) fn notify(&self) {
        *locked(&self.generation) += 1;
        self.changed.notify_all();
    }

    /// The current generation of changes, to wait for the next one.
    pub(crate) fn generation(&self) -> u64 {
        *locked(&self.generation)
    }

    /// Sleeps until a change after `seen` or at most `step`.
    pub(crate) fn wait_change(&self, seen: u64, step: Duration) {
        let generation = locked(&self.generation);
        if *generation == seen {
            drop(self.changed.wait_timeout(generation, step).unwrap_or_else(|e| e.into_inner()));
        }
    }

    /// Claims the right to start the watcher's thread: true when none runs (the caller starts
    /// it, or calls [`watcher_stopped`](Self::watcher_stopped) if it cannot).
    pub(crate) fn claim_watcher(&self) -> bool {
        let mut running = locked(&self.watcher_running);
        !std::mem::replace(&mut *running, true)
    }

    /// The watcher's thread ends when nothing is waited on: true when it may stop now (decided
    /// under the entries' lock, so that a wait registering meanwhile finds no watcher running
    /// and starts one).
    pub(crate) fn stop_watcher_if_idle(&self) -> bool {
        let mut map = locked(&self.waiting);
        if map.values().all(|s| s.watch().waiters == 0) {
            map.clear();
            *locked(&self.watcher_running) = false;
            true
        } else {
            false
        }
    }

    /// Forgets a claim that did not start a thread.
    pub(crate) fn watcher_stopped(&self) {
        *locked(&self.watcher_running) = false;
    }

    /// Entries waited on now.
    #[cfg(test)]
    fn len(&self) -> usize {
        locked(&self.waiting).values().filter(|s| s.watch().waiters > 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Duration = Duration::from_millis(100);

    #[test]
    fn the_last_waiter_removes_the_entry_whoever_still_holds_it() {
        // Regression: release counted the Arc's references, so two waiters releasing while
        // both still held theirs left the entry, cancelled, for the client's lifetime.
        let signals = WaitSignals::default();
        let a = signals.register("op", FIRST);
        let b = signals.register("op", FIRST);
        assert!(Arc::ptr_eq(&a.signal, &b.signal));
        let held = (a.signal.clone(), b.signal.clone());
        signals.cancel("op");
        assert!(a.signal().is_cancelled() && b.signal().is_cancelled());
        signals.release("op", a);
        assert_eq!(signals.len(), 1, "one waiter is left");
        signals.release("op", b);
        assert_eq!(signals.len(), 0, "the last waiter removed it although its signal is still held");
        let fresh = signals.register("op", FIRST);
        assert!(!fresh.signal().is_cancelled(), "a new wait for the same id is not cancelled");
        drop(held);
        signals.release("op", fresh);
        assert_eq!(signals.len(), 0);
    }

    #[test]
    fn a_released_entry_is_taken_up_again_with_what_was_learnt_unless_it_failed() {
        // A loop of wait_any releases and registers its set on every call: what the watcher
        // learnt (an operation finished) must not be asked of the server again.
        let signals = WaitSignals::default();
        let r = signals.register("done", FIRST);
        r.signal().watch().outcome = Some(Outcome::Finished);
        signals.release("done", r);
        let generation = signals.generation();
        let again = signals.register("done", FIRST);
        assert!(matches!(again.signal().watch().outcome, Some(Outcome::Finished)));
        assert_eq!(signals.generation(), generation, "taking an entry up again wakes no watcher");
        assert!(signals.watched().is_empty(), "nothing left to ask");
        signals.release("done", again);
        let r = signals.register("failed", FIRST);
        r.signal().watch().outcome = Some(Outcome::Failed(Error::new(crate::error::Status::ServerError, "x")));
        signals.release("failed", r);
        let again = signals.register("failed", FIRST);
        assert!(again.signal().watch().outcome.is_none(), "a failure is asked again");
        signals.release("failed", again);
    }

    #[test]
    fn watched_leaves_out_what_ended_or_was_cancelled() {
        let signals = WaitSignals::default();
        let (a, b, c) = (signals.register("a", FIRST), signals.register("b", FIRST), signals.register("c", FIRST));
        b.signal().watch().outcome = Some(Outcome::Finished);
        signals.cancel("c");
        let ids: Vec<String> = signals.watched().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["a"]);
        for (id, r) in [("a", a), ("b", b), ("c", c)] {
            signals.release(id, r);
        }
    }

    #[test]
    fn one_watcher_at_a_time_and_it_stops_only_when_idle() {
        let signals = WaitSignals::default();
        assert!(signals.claim_watcher());
        assert!(!signals.claim_watcher(), "one runs already");
        let r = signals.register("op", FIRST);
        assert!(!signals.stop_watcher_if_idle(), "an operation is waited on");
        signals.release("op", r);
        assert!(signals.stop_watcher_if_idle());
        assert!(signals.claim_watcher(), "the next wait starts a new one");
    }

    #[test]
    fn a_change_wakes_a_sleeper_at_once() {
        let signals = Arc::new(WaitSignals::default());
        let seen = signals.generation();
        let s = signals.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            s.notify();
        });
        let start = Instant::now();
        signals.wait_change(seen, Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(2));
        t.join().unwrap();
    }
}
