//! The operations being waited on through a client, by id: what the client's watcher last
//! learnt of each (progress, finished, failed), which waits share it, and whether `cancel` on the
//! same client stopped them. Waits read it and sleep on a [`Waker`] of their own until the
//! watcher changes one of their operations: a change wakes the waits of that operation only, and
//! a wait joining or a cancel wakes the watcher only (docs/architecture.md, "Waiting"). The last
//! wait to end releases an entry. No caller code runs under its locks.

use crate::error::Error;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The operations waited on through one client.
#[derive(Default)]
pub(crate) struct WaitSignals {
    entries: Mutex<Entries>,
    /// Bumped and notified when the watcher has something new to look at (a wait joined with a
    /// new operation, or a cancel), so that it wakes without polling the waits.
    generation: Mutex<u64>,
    changed: Condvar,
    /// Whether the watcher's thread runs (one per client at most).
    watcher_running: Mutex<bool>,
}

/// The entries by operation id, and those no wait uses any more in the order they were released
/// (forgotten from the front once [`KEPT_AFTER_RELEASE`] has passed: no sweep of the whole table
/// per wait).
#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Signal>>,
    released: VecDeque<(Instant, String)>,
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

/// What wakes one wait: a flag and a condition variable of its own, set by the watcher when one
/// of the wait's operations changes and by `cancel`. A wake before the wait sleeps is kept, so
/// none is lost between the wait's reading of its operations and its sleep.
#[derive(Debug, Default)]
pub(crate) struct Waker {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Waker {
    pub(crate) fn wake(&self) {
        *locked(&self.woken) = true;
        self.cv.notify_one();
    }

    /// Sleeps until woken (at once if woken since the last sleep) or at most `most`.
    pub(crate) fn sleep(&self, most: Duration) {
        let mut woken = locked(&self.woken);
        if !*woken {
            woken = self.cv.wait_timeout(woken, most).unwrap_or_else(|e| e.into_inner()).0;
        }
        *woken = false;
    }
}

/// What is known of one watched operation.
#[derive(Debug)]
pub(crate) struct Watch {
    /// The waits sharing this entry, each by its waker (one wait may hold an id twice).
    wakers: Vec<Arc<Waker>>,
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
    waker: Arc<Waker>,
}

/// How long an entry no wait uses any more is kept, with what the watcher learnt of it.
pub(crate) const KEPT_AFTER_RELEASE: Duration = Duration::from_secs(10);

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Entries {
    /// Forgets the entries released more than [`KEPT_AFTER_RELEASE`] ago and not taken up since.
    fn forget_released(&mut self) {
        while let Some((at, _)) = self.released.front() {
            if at.elapsed() < KEPT_AFTER_RELEASE {
                break;
            }
            let Some((at, id)) = self.released.pop_front() else { break };
            // Taken up again, or released again later (a later item stands for it), it stays.
            let stale = self.map.get(&id).is_some_and(|s| s.watch().released_at == Some(at));
            if stale {
                self.map.remove(&id);
            }
        }
    }
}

impl Signal {
    fn new(first_check: Duration) -> Signal {
        Signal {
            cancelled: AtomicBool::new(false),
            watch: Mutex::new(Watch {
                wakers: Vec::new(),
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

    /// The state, for reading; held for a few lines, no caller code.
    pub(crate) fn watch(&self) -> MutexGuard<'_, Watch> {
        locked(&self.watch)
    }

    /// Changes the state (the watcher), and wakes the waits of this operation when what they
    /// read changed: its percentage, its end, or whether the last look at it failed.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut Watch) -> R) -> R {
        let mut w = self.watch();
        let before = w.seen_by_waits();
        let r = change(&mut w);
        let wakers = if w.seen_by_waits() != before { w.wakers.clone() } else { Vec::new() };
        drop(w);
        for waker in wakers {
            waker.wake();
        }
        r
    }

    fn wake_waits(&self) {
        let wakers = self.watch().wakers.clone();
        for waker in wakers {
            waker.wake();
        }
    }
}

impl Watch {
    /// Notes a transient failure in asking about the operation (the run's start kept).
    pub(crate) fn trouble(&mut self, e: &Error) {
        let since = self.trouble.as_ref().map_or_else(Instant::now, |t| t.since);
        self.trouble = Some(Trouble { since, last: e.clone() });
    }

    /// What a wait reads of the entry, to tell whether it changed.
    fn seen_by_waits(&self) -> (Option<i32>, bool, Option<Instant>) {
        (self.percent, self.outcome.is_some(), self.trouble.as_ref().map(|t| t.since))
    }

    fn waiters(&self) -> usize {
        self.wakers.len()
    }
}

impl Registration {
    pub(crate) fn signal(&self) -> &Signal {
        &self.signal
    }
}

impl WaitSignals {
    /// Registers a wait for `op_id`, woken through `waker`. An entry released less than
    /// [`KEPT_AFTER_RELEASE`] ago is taken up again with what the watcher learnt (a loop of
    /// `wait_any` over a set costs no new look), unless it was cancelled or failed; a new entry
    /// wakes the watcher, which looks at it at once.
    pub(crate) fn register(&self, op_id: &str, first_check: Duration, waker: &Arc<Waker>) -> Registration {
        let mut entries = locked(&self.entries);
        entries.forget_released();
        // A released entry is taken up unless it was cancelled or failed (a new wait asks again).
        let reusable = entries.map.get(op_id).is_some_and(|s| {
            let w = s.watch();
            w.waiters() > 0 || !(s.is_cancelled() || matches!(w.outcome, Some(Outcome::Failed(_))))
        });
        let signal = if reusable {
            entries.map[op_id].clone()
        } else {
            let fresh = Arc::new(Signal::new(first_check));
            entries.map.insert(op_id.to_string(), fresh.clone());
            fresh
        };
        {
            let mut w = signal.watch();
            w.wakers.push(waker.clone());
            w.released_at = None;
        }
        drop(entries);
        if !reusable {
            self.notify_watcher();
        }
        Registration { signal, waker: waker.clone() }
    }

    /// Ends one wait's use of the entry of `op_id`; after the last one, the entry is kept for
    /// [`KEPT_AFTER_RELEASE`] (not watched), then forgotten: a later wait for the same id then
    /// starts afresh, and one after a cancel never finds it cancelled.
    pub(crate) fn release(&self, op_id: &str, registration: Registration) {
        let mut entries = locked(&self.entries);
        let mut watch = registration.signal.watch();
        if let Some(at) = watch.wakers.iter().position(|w| Arc::ptr_eq(w, &registration.waker)) {
            watch.wakers.swap_remove(at);
        }
        let now_unused = watch.wakers.is_empty();
        if now_unused {
            let now = Instant::now();
            watch.released_at = Some(now);
            drop(watch);
            // Only the table's own entry is queued (not one that a later wait replaced).
            if entries.map.get(op_id).is_some_and(|s| Arc::ptr_eq(s, &registration.signal)) {
                entries.released.push_back((now, op_id.to_string()));
            }
        } else {
            drop(watch);
        }
        entries.forget_released();
    }

    /// Marks the waits of `op_id` on this client cancelled and wakes them (and the watcher,
    /// which stops looking at it).
    pub(crate) fn cancel(&self, op_id: &str) {
        if let Some(signal) = locked(&self.entries).map.get(op_id).cloned() {
            signal.cancelled.store(true, Ordering::SeqCst);
            signal.wake_waits();
            self.notify_watcher();
        }
    }

    /// The operations still to watch (waited on, no outcome yet, not cancelled).
    pub(crate) fn watched(&self) -> Vec<(String, Arc<Signal>)> {
        locked(&self.entries)
            .map
            .iter()
            .filter(|(_, s)| {
                !s.is_cancelled() && {
                    let w = s.watch();
                    w.waiters() > 0 && w.outcome.is_none()
                }
            })
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect()
    }

    /// Wakes the watcher: it has something new to look at.
    fn notify_watcher(&self) {
        *locked(&self.generation) += 1;
        self.changed.notify_all();
    }

    /// The watcher's count of changes, to wait for the next one.
    pub(crate) fn generation(&self) -> u64 {
        *locked(&self.generation)
    }

    /// The watcher sleeps until a change after `seen` or at most `step`.
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
        let mut entries = locked(&self.entries);
        if entries.map.values().all(|s| s.watch().waiters() == 0) {
            entries.map.clear();
            entries.released.clear();
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
        locked(&self.entries).map.values().filter(|s| s.watch().waiters() > 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Duration = Duration::from_millis(100);

    fn waker() -> Arc<Waker> {
        Arc::new(Waker::default())
    }

    fn woken(w: &Waker) -> bool {
        *locked(&w.woken)
    }

    #[test]
    fn the_last_waiter_removes_the_entry_whoever_still_holds_it() {
        // Regression: release counted the Arc's references, so two waiters releasing while
        // both still held theirs left the entry, cancelled, for the client's lifetime.
        let signals = WaitSignals::default();
        let a = signals.register("op", FIRST, &waker());
        let b = signals.register("op", FIRST, &waker());
        assert!(Arc::ptr_eq(&a.signal, &b.signal));
        let held = (a.signal.clone(), b.signal.clone());
        signals.cancel("op");
        assert!(a.signal().is_cancelled() && b.signal().is_cancelled());
        signals.release("op", a);
        assert_eq!(signals.len(), 1, "one waiter is left");
        signals.release("op", b);
        assert_eq!(signals.len(), 0, "the last waiter removed it although its signal is still held");
        let fresh = signals.register("op", FIRST, &waker());
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
        let r = signals.register("done", FIRST, &waker());
        r.signal().update(|w| w.outcome = Some(Outcome::Finished));
        signals.release("done", r);
        let generation = signals.generation();
        let again = signals.register("done", FIRST, &waker());
        assert!(matches!(again.signal().watch().outcome, Some(Outcome::Finished)));
        assert_eq!(signals.generation(), generation, "taking an entry up again wakes no watcher");
        assert!(signals.watched().is_empty(), "nothing left to ask");
        signals.release("done", again);
        let r = signals.register("failed", FIRST, &waker());
        r.signal().update(|w| w.outcome = Some(Outcome::Failed(Error::new(crate::error::Status::ServerError, "x"))));
        signals.release("failed", r);
        let again = signals.register("failed", FIRST, &waker());
        assert!(again.signal().watch().outcome.is_none(), "a failure is asked again");
        signals.release("failed", again);
    }

    /// Makes the release of `op_id` look `age` old, in the entry and in the queue.
    fn age_release(signals: &WaitSignals, op_id: &str, age: Duration) {
        let mut entries = locked(&signals.entries);
        let then = Instant::now().checked_sub(age).expect("the clock goes back that far");
        let signal = entries.map[op_id].clone();
        let mut w = signal.watch();
        for item in entries.released.iter_mut().filter(|(at, id)| id == op_id && w.released_at == Some(*at)) {
            item.0 = then;
        }
        if w.released_at.is_some() {
            w.released_at = Some(then);
        }
    }

    #[test]
    fn released_entries_are_forgotten_after_their_time_unless_taken_up_again() {
        let signals = WaitSignals::default();
        let old = signals.register("old", FIRST, &waker());
        old.signal().update(|w| w.outcome = Some(Outcome::Finished));
        signals.release("old", old);
        let kept = signals.register("kept", FIRST, &waker());
        signals.release("kept", kept);
        let kept = signals.register("kept", FIRST, &waker()); // taken up again: in use
        let recent = signals.register("recent", FIRST, &waker());
        signals.release("recent", recent);
        let aged = KEPT_AFTER_RELEASE + Duration::from_secs(1);
        age_release(&signals, "old", aged);
        // The queue's item of "kept" is old, but the entry was taken up since.
        locked(&signals.entries).released.iter_mut().filter(|(_, id)| id == "kept").for_each(|i| {
            i.0 = Instant::now().checked_sub(aged).unwrap();
        });
        let other = signals.register("other", FIRST, &waker());
        let entries = locked(&signals.entries);
        assert!(!entries.map.contains_key("old"), "released long ago: forgotten");
        assert!(entries.map.contains_key("kept"), "in use again: kept");
        assert!(entries.map.contains_key("recent"), "released a moment ago: kept");
        drop(entries);
        signals.release("kept", kept);
        signals.release("other", other);
    }

    #[test]
    fn watched_leaves_out_what_ended_or_was_cancelled() {
        let signals = WaitSignals::default();
        let (a, b, c) = (
            signals.register("a", FIRST, &waker()),
            signals.register("b", FIRST, &waker()),
            signals.register("c", FIRST, &waker()),
        );
        b.signal().update(|w| w.outcome = Some(Outcome::Finished));
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
        let r = signals.register("op", FIRST, &waker());
        assert!(!signals.stop_watcher_if_idle(), "an operation is waited on");
        signals.release("op", r);
        assert!(signals.stop_watcher_if_idle());
        assert!(signals.claim_watcher(), "the next wait starts a new one");
    }

    #[test]
    fn a_change_wakes_the_waits_of_that_operation_only() {
        // Regression: every change woke every wait of the client (one condition variable), so
        // 10,000 waits spent the machine waking up (bench/RESULTS.md, "Many concurrent waits").
        let signals = WaitSignals::default();
        let (wa, wb, both) = (waker(), waker(), waker());
        let a = signals.register("a", FIRST, &wa);
        let b = signals.register("b", FIRST, &wb);
        let (any_a, any_b) = (signals.register("a", FIRST, &both), signals.register("b", FIRST, &both));
        assert!(!woken(&wa) && !woken(&wb) && !woken(&both), "a wait joining wakes no other wait");
        a.signal().update(|w| w.percent = Some(40));
        assert!(woken(&wa) && woken(&both), "the waits of 'a' are woken");
        assert!(!woken(&wb), "the wait of 'b' is not");
        wa.sleep(Duration::ZERO);
        both.sleep(Duration::ZERO);
        assert!(!woken(&wa) && !woken(&both), "a sleep takes the wake-up");
        a.signal().update(|w| w.next_check = Instant::now() + FIRST);
        a.signal().update(|w| w.percent = Some(40));
        assert!(!woken(&wa), "nothing a wait reads changed: no wake-up");
        b.signal().update(|w| w.trouble(&Error::new(crate::error::Status::Timeout, "no answer")));
        assert!(woken(&wb) && woken(&both), "a look that failed wakes the waits (their outage limit)");
        wb.sleep(Duration::ZERO);
        signals.cancel("b");
        assert!(woken(&wb), "cancel wakes the waits of its operation");
        assert!(!woken(&wa));
        for (id, r) in [("a", a), ("b", b), ("a", any_a), ("b", any_b)] {
            signals.release(id, r);
        }
    }

    #[test]
    fn the_watcher_is_woken_by_a_new_operation_and_a_cancel_only() {
        let signals = WaitSignals::default();
        let g = signals.generation();
        let a = signals.register("a", FIRST, &waker());
        assert_eq!(signals.generation(), g + 1, "a new operation to look at");
        let again = signals.register("a", FIRST, &waker());
        a.signal().update(|w| w.percent = Some(5));
        assert_eq!(signals.generation(), g + 1, "a second wait of it, or a change, is not news to the watcher");
        signals.cancel("a");
        assert_eq!(signals.generation(), g + 2);
        signals.release("a", a);
        signals.release("a", again);
    }

    #[test]
    fn a_wake_up_before_the_sleep_is_not_lost() {
        let w = waker();
        w.wake();
        let start = Instant::now();
        w.sleep(Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(2));
        let w2 = w.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            w2.wake();
        });
        let start = Instant::now();
        w.sleep(Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(2), "woken from another thread");
        t.join().unwrap();
    }

    #[test]
    fn a_change_wakes_the_sleeping_watcher_at_once() {
        let signals = Arc::new(WaitSignals::default());
        let seen = signals.generation();
        let s = signals.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            s.register("op", FIRST, &waker())
        });
        let start = Instant::now();
        signals.wait_change(seen, Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(2));
        let r = t.join().unwrap();
        signals.release("op", r);
    }
}
