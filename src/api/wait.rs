//! Progress of an operation and waiting for it to finish: what a `getProgress` answer means,
//! and the polling loop with its back-off and deadline (the signals that let `cancel` on the
//! same client stop a waiter at once are in `session::waits`).

use crate::error::{Error, Result, Status};
use crate::session::waits::{Registration, Woken};
use crate::wire::interrupt::{self, Interrupt};
use std::time::Duration;

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
}
