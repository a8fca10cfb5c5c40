//! Progress of an operation and waiting for operations to finish: what a `getProgress` answer
//! means, and the waits themselves (one operation, the first of several, all of several). A wait
//! polls nothing itself: it registers its operations with the client's watcher (`watch`), reads
//! what the watcher learnt, and sleeps until the watcher wakes it (one of its operations
//! changed), its own deadline, abort switch, transfer callback and `cancel` applying all along
//! (docs/architecture.md, "Waiting"). The server failing to answer for a while (no connection,
//! timeouts, 502/503/504) ends no wait: one whose deadline passes meanwhile reports the last
//! failure, naming the operation and how to resume.

use crate::error::{Error, Hint, Result, Status};
use crate::session::client::Client;
use crate::session::url::{encode_segment, Segment};
use crate::session::waits::{Outcome, Registration, Trouble, Waker};
use crate::wire::interrupt::{self, CallControls, Interrupt, TICK};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The watcher's first look at an operation, and the longest interval between two looks.
pub(crate) const FIRST_POLL: Duration = Duration::from_millis(100);
pub(crate) const LONGEST_POLL: Duration = Duration::from_secs(2);
/// The longest a wait sleeps without reading its operations when nothing else bounds its sleep
/// (no abort switch, no transfer callback, no deadline before): the watcher wakes it when one
/// of them changes, so this only bounds what a lost wake-up could cost, one watcher interval.
const IDLE_RECHECK: Duration = LONGEST_POLL;

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

fn cancelled(op_id: &str) -> Error {
    Error::new(Status::Aborted, format!("operation '{op_id}' was cancelled while being waited on"))
}

/// The error of a wait stopped by its controls; `unfinished` says what had not finished when
/// its deadline passed, and `trouble` the failures in asking the server about one of its
/// operations, if the last look at it failed: then the timeout carries that failure (its words
/// and HTTP status), with how to resume.
fn stopped(i: Interrupt, unfinished: &str, trouble: Option<(&str, Trouble)>) -> Error {
    match (i, trouble) {
        (Interrupt::Deadline(_), Some((op_id, t))) => Error::new(
            Status::Timeout,
            format!(
                "{unfinished} within the wait deadline: asking the server about operation '{op_id}' failed for the last {:.1} s, most recently: {}; wait again for operation '{op_id}', or fetch its result later: the job may still be running on the server",
                t.since.elapsed().as_secs_f64(),
                t.last.message
            ),
        )
        .with_http(t.last.http_status),
        (Interrupt::Deadline(_), None) => {
            Error::new(Status::Timeout, format!("{unfinished} within the wait deadline; the server goes on with it"))
        }
        (other, _) => other.into_error(),
    }
}

/// The error of a wait that gives up because the server could not be asked about one of its
/// operations for longer than the client's outage limit: the last failure (its status and HTTP
/// status), the operation, and how to resume.
/// Counted from when this wait began at the earliest: a wait that joins an outage (or takes up an
/// entry kept from an earlier wait) gets a whole limit of its own. Otherwise, while a look at one
/// of its operations fails, how long until the limit is reached (the wait wakes then).
fn outage(c: &Client, op_ids: &[&str], registrations: &[Registration], began: Instant) -> Result<Option<Duration>> {
    let Some(limit) = c.outage_limit() else { return Ok(None) };
    let Some((op_id, t)) = troubled(op_ids, registrations) else { return Ok(None) };
    let failing = t.since.max(began).elapsed();
    if failing < limit {
        return Ok(Some(limit - failing));
    }
    Err(Error::new(
        t.last.status,
        format!(
            "asking the server about operation '{op_id}' failed for {:.1} s, longer than a wait goes on through an outage ({:.1} s), most recently: {}; wait again for operation '{op_id}', or fetch its result later: the job may still be running on the server",
            failing.as_secs_f64(),
            limit.as_secs_f64(),
            t.last.message
        ),
    )
    .with_http(t.last.http_status))
}

/// The first of these operations not ended whose last look failed, with the failures.
fn troubled<'a>(op_ids: &[&'a str], registrations: &[Registration]) -> Option<(&'a str, Trouble)> {
    op_ids.iter().zip(registrations).find_map(|(id, r)| {
        let w = r.signal().watch();
        if w.outcome.is_some() {
            return None;
        }
        w.trouble.clone().map(|t| (*id, t))
    })
}

/// What a wait does between two reads of its operations: its controls (abort, deadline,
/// transfer callback), then sleep until the watcher wakes it. A call that an abort switch or a
/// transfer callback may stop wakes every tick to ask them (a switch is a bare atomic store,
/// safe in a signal handler: it wakes no one); otherwise only at its deadline, at the outage
/// limit (`until_outage`), or after [`IDLE_RECHECK`].
fn pause(waker: &Waker, until_outage: Option<Duration>) -> std::result::Result<(), Interrupt> {
    interrupt::poll()?;
    let most = if interrupt::stoppable_without_wake_up() { TICK } else { IDLE_RECHECK };
    let most = until_outage.map_or(most, |o| most.min(o));
    waker.sleep(interrupt::time_left(most).max(Duration::from_millis(1)));
    Ok(())
}

/// The state of one registered operation: how it ended, if it did, and its last percentage.
fn look(op_id: &str, r: &Registration) -> (Option<Result<()>>, Option<i32>) {
    if r.signal().is_cancelled() {
        return (Some(Err(cancelled(op_id))), None);
    }
    let w = r.signal().watch();
    let ended = w.outcome.as_ref().map(|o| match o {
        Outcome::Finished => Ok(()),
        Outcome::Failed(e) => Err(e.clone()),
    });
    (ended, w.percent)
}

/// Registers a wait for `op_ids` (checked first), woken by its own waker, and makes sure the
/// watcher runs.
fn register(c: &Client, op_ids: &[&str]) -> Result<(Vec<Registration>, Arc<Waker>)> {
    for id in op_ids {
        encode_segment(id, "operation id", Segment::OperationId)?;
    }
    let waker = Arc::new(Waker::default());
    let registrations = c.shared.waits.register(op_ids, FIRST_POLL, &waker);
    if let Err(e) = crate::api::watch::start(c) {
        c.shared.waits.release(op_ids, registrations);
        return Err(e);
    }
    Ok((registrations, waker))
}

impl Client {
    /// The controls of a wait: the view's, its timeout bounded by the wait's own.
    fn wait_controls(&self, timeout: Option<Duration>) -> CallControls {
        let mut controls = self.controls().clone();
        controls.timeout = match (controls.timeout, timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        controls
    }

    /// Waits until the operation is done (or gone after it was seen), reporting each new
    /// percentage to `on_progress` (false from it stops with `Aborted`; it ends with 100). A
    /// `cancel` of the operation on this client stops the wait with `Aborted` at once.
    pub fn wait(&self, op_id: &str, timeout: Option<Duration>, on_progress: &mut dyn FnMut(i32) -> bool) -> Result<()> {
        let (registrations, waker) = register(self, &[op_id])?;
        let began = Instant::now();
        let r = &registrations[0];
        let outcome = self.call_with(&self.wait_controls(timeout), || {
            let what = format!("operation '{op_id}'");
            let mut reported = None;
            let mut report = |p: i32, reported: &mut Option<i32>| -> Result<()> {
                if *reported != Some(p) {
                    *reported = Some(p);
                    if !on_progress(p) {
                        return Err(Error::new(
                            Status::Aborted,
                            format!(
                                "waiting for {what} was stopped by {}",
                                Hint::ProgressCallback.text(interrupt::language())
                            ),
                        ));
                    }
                }
                Ok(())
            };
            loop {
                let (ended, percent) = look(op_id, r);
                if let Some(p) = percent {
                    report(p, &mut reported)?;
                }
                match ended {
                    Some(Ok(())) => {
                        report(100, &mut reported)?;
                        return Ok(());
                    }
                    Some(Err(e)) => return Err(e),
                    None => {
                        let until_outage = outage(self, &[op_id], &registrations, began)?;
                        pause(&waker, until_outage).map_err(|i| {
                            let last = reported.unwrap_or(0);
                            let trouble = troubled(&[op_id], &registrations);
                            stopped(i, &format!("{what} did not finish (last progress {last}%)"), trouble)
                        })?
                    }
                }
            }
        });
        self.shared.waits.release(&[op_id], registrations);
        outcome
    }

    /// Waits until the first of `op_ids` ends; gives its index and how it ended (finished, or
    /// its failure: cancelled on this client, not found, the server's error...). `Err` when the
    /// wait itself ends first: its deadline, its abort switch, an invalid id.
    pub fn wait_any(&self, op_ids: &[&str], timeout: Option<Duration>) -> Result<(usize, Result<()>)> {
        if op_ids.is_empty() {
            return Err(Error::invalid("wait for any of no operation: give at least one operation id"));
        }
        let (registrations, waker) = register(self, op_ids)?;
        let began = Instant::now();
        let outcome = self.call_with(&self.wait_controls(timeout), || loop {
            for (i, (id, r)) in op_ids.iter().zip(&registrations).enumerate() {
                if let (Some(ended), _) = look(id, r) {
                    return Ok((i, ended));
                }
            }
            let until_outage = outage(self, op_ids, &registrations, began)?;
            let what = format!("none of the {} operations waited on finished", op_ids.len());
            pause(&waker, until_outage).map_err(|i| stopped(i, &what, troubled(op_ids, &registrations)))?;
        });
        self.shared.waits.release(op_ids, registrations);
        outcome
    }

    /// Waits until every one of `op_ids` has ended; then `Ok` when all finished, else the
    /// failure of the first (in the order given) that did not.
    pub fn wait_all(&self, op_ids: &[&str], timeout: Option<Duration>) -> Result<()> {
        let (registrations, waker) = register(self, op_ids)?;
        let began = Instant::now();
        let outcome = self.call_with(&self.wait_controls(timeout), || loop {
            let looks: Vec<_> = op_ids.iter().zip(&registrations).map(|(id, r)| look(id, r).0).collect();
            let pending = looks.iter().filter(|l| l.is_none()).count();
            if pending == 0 {
                return looks.into_iter().flatten().find(|l| l.is_err()).unwrap_or(Ok(()));
            }
            let until_outage = outage(self, op_ids, &registrations, began)?;
            let what = format!("{pending} of the {} operations waited on did not finish", op_ids.len());
            pause(&waker, until_outage).map_err(|i| stopped(i, &what, troubled(op_ids, &registrations)))?;
        });
        self.shared.waits.release(op_ids, registrations);
        outcome
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
