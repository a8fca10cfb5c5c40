//! Progress of an operation and waiting for it to finish: what a `getProgress` answer means,
//! the polling loop with its back-off and deadline, and the signals that let `cancel` on the
//! same client wake a waiter at once.

use crate::error::{Error, Result, Status};
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

impl Signal {
    /// Sleeps up to `d`; true when the operation was cancelled meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        let guard = self.cancelled.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self.wake.wait_timeout_while(guard, d, |c| !*c).unwrap_or_else(|e| e.into_inner());
        *guard
    }

    fn is_cancelled(&self) -> bool {
        *self.cancelled.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Polls until the operation is done (or gone after it was seen), reporting each new
/// percentage to `on_progress` (false from it stops with `Aborted`); `poll` asks for the
/// progress. Sleeps between polls with a back-off, woken early by a cancel of `signal`.
pub(crate) fn poll_until_done(
    op_id: &str,
    timeout: Option<Duration>,
    signal: &Signal,
    poll: &mut dyn FnMut() -> Result<Progress>,
    on_progress: &mut dyn FnMut(i32) -> bool,
) -> Result<()> {
    let deadline = timeout.map(|t| Instant::now() + t);
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
    loop {
        if signal.is_cancelled() {
            return Err(cancelled());
        }
        match poll() {
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
            Err(e) => return Err(e),
        }
        let mut sleep = delay;
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::new(
                    Status::Timeout,
                    format!(
                        "operation '{op_id}' did not finish within the wait deadline (last progress {}%)",
                        last.unwrap_or(0)
                    ),
                ));
            }
            sleep = sleep.min(left);
        }
        if signal.sleep(sleep) {
            return Err(cancelled());
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
