//! Progress of an operation and waiting for it to finish: what a `getProgress` answer means,
//! the polling loop with its back-off and deadline, and the signals that let `cancel` on the
//! same client wake a waiter at once.

use crate::error::{Error, Result, Status};
use crate::interrupt::{self, Interrupt, TICK};
use std::collections::HashMap;
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

#[derive(Default)]
pub(crate) struct Signal {
    cancelled: Mutex<bool>,
    wake: Condvar,
}

impl WaitSignals {
    pub(crate) fn register(&self, op_id: &str) -> Arc<Signal> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).entry(op_id.to_string()).or_default().clone()
    }

    pub(crate) fn release(&self, op_id: &str, signal: &Arc<Signal>) {
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        // Two references: the map's and ours. Remove it when no other waiter shares it.
        if Arc::strong_count(signal) <= 2 {
            map.remove(op_id);
        }
    }

    pub(crate) fn cancel(&self, op_id: &str) {
        if let Some(s) = self.waiting.lock().unwrap_or_else(|e| e.into_inner()).get(op_id) {
            *s.cancelled.lock().unwrap_or_else(|e| e.into_inner()) = true;
            s.wake.notify_all();
        }
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
    /// on this client or the call must stop.
    fn sleep(&self, d: Duration) -> Woken {
        let end = Instant::now() + d;
        let mut cancelled = self.cancelled.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if *cancelled {
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
            cancelled = self.wake.wait_timeout(cancelled, step).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    fn is_cancelled(&self) -> bool {
        *self.cancelled.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Polls until the operation is done (or gone after it was seen), reporting each new
/// percentage to `on_progress` (false from it stops with `Aborted`); `poll` asks for the
/// progress. Sleeps between polls with a back-off; a cancel of `signal` (by `cancel` on the same
/// client) stops the wait with `Aborted`, even when it comes while a poll is in flight. The
/// wait's deadline is the deadline of the call's scope, which bounds the poll in flight too.
pub(crate) fn poll_until_done(
    op_id: &str,
    signal: &Signal,
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
}
