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

/// The entries by operation id, and those no wait uses any more, each queued once, in the order
/// they were released (looked at from the front once [`KEPT_AFTER_RELEASE`] has passed: no sweep
/// of the whole table per wait, and at most one item per entry however often it is released).
#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Signal>>,
    released: VecDeque<(Instant, String, Arc<Signal>)>,
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
    /// In the queue of released entries.
    queued: bool,
    /// Looked at by the watcher at least once (a newcomer, until then).
    pub looked: bool,
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
    /// Forgets the entries released more than [`KEPT_AFTER_RELEASE`] ago and not taken up since
    /// (each within twice that time of its last release).
    fn forget_released(&mut self) {
        while let Some((at, _, _)) = self.released.front() {
            if at.elapsed() < KEPT_AFTER_RELEASE {
                break;
            }
            let Some((_, id, signal)) = self.released.pop_front() else { break };
            // An entry replaced since (a new wait after a cancel or a failure) queues itself.
            if !self.map.get(&id).is_some_and(|s| Arc::ptr_eq(s, &signal)) {
                continue;
            }
            let mut w = signal.watch();
            match w.released_at {
                Some(t) if t.elapsed() >= KEPT_AFTER_RELEASE => {
                    drop(w);
                    self.map.remove(&id);
                }
                // Taken up and released again since: queued again with its last release.
                Some(t) => {
                    drop(w);
                    self.released.push_back((t, id, signal));
                }
                // In use: queued again at its next release.
                None => w.queued = false,
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
                queued: false,
                looked: false,
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
        let changed = w.seen_by_waits() != before;
        drop(w);
        if changed {
            self.wake_waits();
        }
        r
    }

    /// Wakes the waits of this operation (their wakers taken out first: none woken under the lock).
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
}

impl Registration {
    pub(crate) fn signal(&self) -> &Signal {
        &self.signal
    }
}

impl WaitSignals {
    /// Registers a wait for `op_ids` (an entry each, in that order), woken through `waker`. An
    /// entry released less than [`KEPT_AFTER_RELEASE`] ago is taken up again with what the
    /// watcher learnt (a loop of `wait_any` over a set costs no new look), unless it was
    /// cancelled or failed; a new entry wakes the watcher, which looks at it at once. One lock of
    /// the table for the whole set.
    pub(crate) fn register(&self, op_ids: &[&str], first_check: Duration, waker: &Arc<Waker>) -> Vec<Registration> {
        let mut entries = locked(&self.entries);
        entries.forget_released();
        let mut fresh_entries = false;
        let registrations = op_ids
            .iter()
            .map(|&op_id| {
                // A released entry is taken up unless it was cancelled or failed (a new wait asks again).
                let reusable = entries.map.get(op_id).filter(|s| {
                    let w = s.watch();
                    !w.wakers.is_empty() || !(s.is_cancelled() || matches!(w.outcome, Some(Outcome::Failed(_))))
                });
                let signal = match reusable {
                    Some(s) => s.clone(),
                    None => {
                        fresh_entries = true;
                        let fresh = Arc::new(Signal::new(first_check));
                        entries.map.insert(op_id.to_string(), fresh.clone());
                        fresh
                    }
                };
                {
                    let mut w = signal.watch();
                    w.wakers.push(waker.clone());
                    w.released_at = None;
                }
                Registration { signal, waker: waker.clone() }
            })
            .collect();
        drop(entries);
        if fresh_entries {
            self.notify_watcher();
        }
        registrations
    }

    /// Ends a wait's use of the entries of `op_ids` (its registrations, in the same order);
    /// after the last wait of one, the entry is kept for [`KEPT_AFTER_RELEASE`] (not watched),
    /// then forgotten: a later wait for the same id then starts afresh, and one after a cancel
    /// never finds it cancelled.
    pub(crate) fn release(&self, op_ids: &[&str], registrations: Vec<Registration>) {
        let mut entries = locked(&self.entries);
        let now = Instant::now();
        for (&op_id, registration) in op_ids.iter().zip(registrations) {
            let mut watch = registration.signal.watch();
            if let Some(at) = watch.wakers.iter().position(|w| Arc::ptr_eq(w, &registration.waker)) {
                watch.wakers.swap_remove(at);
            }
            if !watch.wakers.is_empty() {
                continue;
            }
            watch.released_at = Some(now);
            // Queued once, and only the table's own entry (not one a later wait replaced).
            if !watch.queued && entries.map.get(op_id).is_some_and(|s| Arc::ptr_eq(s, &registration.signal)) {
                watch.queued = true;
                drop(watch);
                entries.released.push_back((now, op_id.to_string(), registration.signal.clone()));
            }
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
                    !w.wakers.is_empty() && w.outcome.is_none()
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
        if entries.map.values().all(|s| s.watch().wakers.is_empty()) {
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
        locked(&self.entries).map.values().filter(|s| !s.watch().wakers.is_empty()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Duration = Duration::from_millis(100);

    fn waker() -> Arc<Waker> {
        Arc::new(Waker::default())
    }

    fn reg(signals: &WaitSignals, op_id: &str, waker: &Arc<Waker>) -> Registration {
        signals.register(&[op_id], FIRST, waker).pop().unwrap()
    }

    fn unreg(signals: &WaitSignals, op_id: &str, r: Registration) {
        signals.release(&[op_id], vec![r]);
    }

    fn woken(w: &Waker) -> bool {
        *locked(&w.woken)
    }

    #[test]
    fn the_last_waiter_removes_the_entry_whoever_still_holds_it() {
        // Regression: release counted the Arc's references, so two waiters releasing while
        // both still held theirs left the entry, cancelled, for the client's lifetime.
        let signals = WaitSignals::default();
        let a = reg(&signals, "op", &waker());
        let b = reg(&signals, "op", &waker());
        assert!(Arc::ptr_eq(&a.signal, &b.signal));
        let held = (a.signal.clone(), b.signal.clone());
        signals.cancel("op");
        assert!(a.signal().is_cancelled() && b.signal().is_cancelled());
        unreg(&signals, "op", a);
        assert_eq!(signals.len(), 1, "one waiter is left");
        unreg(&signals, "op", b);
        assert_eq!(signals.len(), 0, "the last waiter removed it although its signal is still held");
        let fresh = reg(&signals, "op", &waker());
        assert!(!fresh.signal().is_cancelled(), "a new wait for the same id is not cancelled");
        drop(held);
        unreg(&signals, "op", fresh);
        assert_eq!(signals.len(), 0);
    }

    #[test]
    fn a_released_entry_is_taken_up_again_with_what_was_learnt_unless_it_failed() {
        // A loop of wait_any releases and registers its set on every call: what the watcher
        // learnt (an operation finished) must not be asked of the server again.
        let signals = WaitSignals::default();
        let r = reg(&signals, "done", &waker());
        r.signal().update(|w| w.outcome = Some(Outcome::Finished));
        unreg(&signals, "done", r);
        let generation = signals.generation();
        let again = reg(&signals, "done", &waker());
        assert!(matches!(again.signal().watch().outcome, Some(Outcome::Finished)));
        assert_eq!(signals.generation(), generation, "taking an entry up again wakes no watcher");
        assert!(signals.watched().is_empty(), "nothing left to ask");
        unreg(&signals, "done", again);
        let r = reg(&signals, "failed", &waker());
        r.signal().update(|w| w.outcome = Some(Outcome::Failed(Error::new(crate::error::Status::ServerError, "x"))));
        unreg(&signals, "failed", r);
        let again = reg(&signals, "failed", &waker());
        assert!(again.signal().watch().outcome.is_none(), "a failure is asked again");
        unreg(&signals, "failed", again);
    }

    /// Makes the queue's item of `op_id` look `age` old, and its last release too if `release`.
    fn age(signals: &WaitSignals, op_id: &str, age: Duration, release: bool) {
        let mut entries = locked(&signals.entries);
        let then = Instant::now().checked_sub(age).expect("the clock goes back that far");
        for item in entries.released.iter_mut().filter(|(_, id, _)| id == op_id) {
            item.0 = then;
        }
        let signal = entries.map[op_id].clone();
        let mut w = signal.watch();
        if release && w.released_at.is_some() {
            w.released_at = Some(then);
        }
    }

    fn queued(signals: &WaitSignals, op_id: &str) -> usize {
        locked(&signals.entries).released.iter().filter(|(_, id, _)| id == op_id).count()
    }

    fn known(signals: &WaitSignals, op_id: &str) -> bool {
        locked(&signals.entries).map.contains_key(op_id)
    }

    #[test]
    fn released_entries_are_forgotten_after_their_time_unless_taken_up_again() {
        let signals = WaitSignals::default();
        let aged = KEPT_AFTER_RELEASE + Duration::from_secs(1);
        let old = reg(&signals, "old", &waker());
        old.signal().update(|w| w.outcome = Some(Outcome::Finished));
        unreg(&signals, "old", old);
        age(&signals, "old", aged, true);
        // Taken up again after its release: in use when its item comes up.
        let kept = reg(&signals, "kept", &waker());
        unreg(&signals, "kept", kept);
        let kept = reg(&signals, "kept", &waker());
        age(&signals, "kept", aged, false);
        // Released, taken up, released again: its item comes up before its last release is old.
        let again = reg(&signals, "again", &waker());
        unreg(&signals, "again", again);
        let again = reg(&signals, "again", &waker());
        unreg(&signals, "again", again);
        age(&signals, "again", aged, false);
        let recent = reg(&signals, "recent", &waker());
        unreg(&signals, "recent", recent);
        let other = reg(&signals, "other", &waker());
        assert!(!known(&signals, "old"), "released long ago: forgotten");
        assert!(known(&signals, "kept"), "in use again: kept");
        assert_eq!(queued(&signals, "kept"), 0, "queued again at its next release");
        assert!(known(&signals, "again"), "released a moment ago: kept");
        assert_eq!(queued(&signals, "again"), 1, "queued again with its last release");
        assert!(known(&signals, "recent"), "released a moment ago: kept");
        age(&signals, "again", aged, true);
        unreg(&signals, "kept", kept);
        assert!(!known(&signals, "again"), "its last release is old now: forgotten");
        assert_eq!(queued(&signals, "kept"), 1);
        unreg(&signals, "other", other);
    }

    #[test]
    fn an_entry_is_queued_once_however_often_it_is_released() {
        // Regression: each release queued an item kept for 10 s, so 4 threads looping wait_any
        // over 2,500 operations each queued millions (1 GB resident in bench/wait.sh).
        let signals = WaitSignals::default();
        let w = waker();
        for _ in 0..1000 {
            let rs = signals.register(&["a", "b"], FIRST, &w);
            signals.release(&["a", "b"], rs);
        }
        assert_eq!((queued(&signals, "a"), queued(&signals, "b")), (1, 1));
        assert_eq!(locked(&signals.entries).released.len(), 2);
    }

    #[test]
    fn watched_leaves_out_what_ended_or_was_cancelled() {
        let signals = WaitSignals::default();
        let (a, b, c) = (reg(&signals, "a", &waker()), reg(&signals, "b", &waker()), reg(&signals, "c", &waker()));
        b.signal().update(|w| w.outcome = Some(Outcome::Finished));
        signals.cancel("c");
        let ids: Vec<String> = signals.watched().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["a"]);
        for (id, r) in [("a", a), ("b", b), ("c", c)] {
            unreg(&signals, id, r);
        }
    }

    #[test]
    fn one_watcher_at_a_time_and_it_stops_only_when_idle() {
        let signals = WaitSignals::default();
        assert!(signals.claim_watcher());
        assert!(!signals.claim_watcher(), "one runs already");
        let r = reg(&signals, "op", &waker());
        assert!(!signals.stop_watcher_if_idle(), "an operation is waited on");
        unreg(&signals, "op", r);
        assert!(signals.stop_watcher_if_idle());
        assert!(signals.claim_watcher(), "the next wait starts a new one");
    }

    #[test]
    fn a_change_wakes_the_waits_of_that_operation_only() {
        // Regression: every change woke every wait of the client (one condition variable), so
        // 10,000 waits spent the machine waking up (bench/RESULTS.md, "Many concurrent waits").
        let signals = WaitSignals::default();
        let (wa, wb, both) = (waker(), waker(), waker());
        let a = reg(&signals, "a", &wa);
        let b = reg(&signals, "b", &wb);
        let (any_a, any_b) = (reg(&signals, "a", &both), reg(&signals, "b", &both));
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
            unreg(&signals, id, r);
        }
    }

    #[test]
    fn the_watcher_is_woken_by_a_new_operation_and_a_cancel_only() {
        let signals = WaitSignals::default();
        let g = signals.generation();
        let a = reg(&signals, "a", &waker());
        assert_eq!(signals.generation(), g + 1, "a new operation to look at");
        let again = reg(&signals, "a", &waker());
        a.signal().update(|w| w.percent = Some(5));
        assert_eq!(signals.generation(), g + 1, "a second wait of it, or a change, is not news to the watcher");
        signals.cancel("a");
        assert_eq!(signals.generation(), g + 2);
        unreg(&signals, "a", a);
        unreg(&signals, "a", again);
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
            reg(&s, "op", &waker())
        });
        let start = Instant::now();
        signals.wait_change(seen, Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(2));
        let r = t.join().unwrap();
        unreg(&signals, "op", r);
    }
}
