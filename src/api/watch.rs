//! The client's watcher: one thread per client, running while something is waited on, that
//! learns the state of every watched operation with one `getOperations` per interval (the list
//! of running operations, with their progress) and asks `getProgress` only of an operation that
//! is not in that list: gone (finished, or failed), or not listed yet. Where the server refuses
//! the list (403 for a missing role, 404 on an older server) it falls back, once and saying so in
//! the log, to a progress call per operation under a client-wide rate cap. Transient failures
//! (no connection, a timeout, 502/503/504, after the retries of each request) never end a wait:
//! the watcher notes the last one on the operations concerned and keeps looking, and each wait
//! reports it if its own deadline passes meanwhile. Waits read what it learnt
//! (`session::waits`), woken only when one of their own operations changed, and keep their own
//! deadline, abort switch and cancel; one wait ending never disturbs the others
//! (docs/architecture.md, "Waiting").

use crate::api::wait::{FIRST_POLL, LONGEST_POLL};
use crate::error::{Error, Result, Status};
use crate::session::client::Client;
use crate::session::log::LogLevel;
use crate::session::waits::{Outcome, Signal};
use crate::wire::interrupt::CallControls;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest one request of the watcher may take (its calls have no caller to stop them).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Progress calls per second at most, all operations of the client together, when the server
/// refuses the operation list.
const PROGRESS_CALLS_PER_SECOND: u32 = 50;
/// The shortest time between two looks, when waits join one after another.
/// One interval (the first): however often waits join, the server sees at most one look per
/// interval, and a newcomer is looked at within one interval (issue 31's bound: one
/// getOperations per interval; 10 ms apart let 120 waits joining slowly make 32 looks in 1.7 s).
const MIN_GAP: Duration = FIRST_POLL;
/// Server errors in a row (a 5xx other than 502/503/504: perhaps the job's own failure) after
/// which the operations concerned fail with the last one.
const FAILURES_TO_GIVE_UP: u32 = 3;

/// Starts the client's watcher unless it runs.
pub(crate) fn start(client: &Client) -> Result<()> {
    let waits = &client.shared.waits;
    if !waits.claim_watcher() {
        return Ok(());
    }
    // Its own view: the calls of the watcher obey no wait's controls, only a bound of their own.
    let view = client.with_controls(CallControls { timeout: Some(CALL_TIMEOUT), ..Default::default() });
    let spawned = std::thread::Builder::new()
        .name("olconnect-wf watcher".into())
        .spawn(move || Watcher { client: view, list_refused: false, list_failures: 0, outage: None }.run());
    match spawned {
        Ok(_) => Ok(()),
        Err(e) => {
            client.shared.waits.watcher_stopped();
            Err(Error::new(
                Status::OutOfMemory,
                format!("the thread that watches operations could not be started: {e}"),
            ))
        }
    }
}

/// The operation list: each running operation's id and, when given, its progress. `None` when
/// the answer is not a JSON array of objects with an `id`.
pub(crate) fn parse_operation_list(body: &[u8]) -> Option<HashMap<String, Option<i32>>> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut list = HashMap::new();
    for entry in value.as_array()? {
        let id = entry.get("id")?.as_str()?;
        let progress = entry.get("progress").and_then(|p| p.as_f64()).map(|p| p.clamp(0.0, 100.0) as i32);
        list.insert(id.to_string(), progress);
    }
    Some(list)
}

/// A server error that may be the operation's own failure, after a few in a row.
fn is_server_error(e: &Error) -> bool {
    e.status == Status::ServerError
}

struct Watcher {
    client: Client,
    list_refused: bool,
    /// Server errors of the list in a row.
    list_failures: u32,
    /// Since when the list fails transiently, if it does.
    outage: Option<Instant>,
}

impl Watcher {
    fn run(mut self) {
        let client = self.client.clone();
        let waits = &client.shared.waits;
        let mut interval = FIRST_POLL;
        let mut last_look: Option<Instant> = None;
        loop {
            // Read before the look: a wait that registers (or a cancel) during it is seen after.
            // The look wakes the waits whose operations changed (`Signal::update`).
            let start = waits.generation();
            let ops = waits.watched();
            if ops.is_empty() {
                if waits.stop_watcher_if_idle() {
                    return;
                }
                // Operations that ended, whose waits have not returned yet.
                waits.wait_change(start, FIRST_POLL);
                continue;
            }
            // A newcomer is looked at at once (its operation may have ended already), and the
            // back-off starts again; looks stay MIN_GAP (one interval) apart however often waits
            // join. An entry taken up again (a loop of wait_any) is no newcomer: it was looked at.
            if ops.iter().any(|(_, s)| !s.watch().looked) {
                interval = FIRST_POLL;
            }
            if let Some(gap) = last_look.map(|t| MIN_GAP.saturating_sub(t.elapsed())).filter(|g| !g.is_zero()) {
                std::thread::sleep(gap);
            }
            let look_began = Instant::now();
            last_look = Some(look_began);
            self.look(&ops);
            for (_, signal) in &ops {
                signal.watch().looked = true;
            }
            // Looks begin one interval apart, however long one took (thousands of operations
            // ending at once cost a progress call each). Returns at once when a wait joined with
            // a new operation, or a cancel came, meanwhile.
            waits.wait_change(start, interval.saturating_sub(look_began.elapsed()).max(Duration::from_millis(1)));
            interval = (interval * 3 / 2).min(LONGEST_POLL);
        }
    }

    /// One look at every watched operation.
    fn look(&mut self, ops: &[(String, Arc<Signal>)]) {
        if !self.list_refused {
            match self.client.operations() {
                Ok(body) => match parse_operation_list(&body) {
                    Some(list) => {
                        self.list_failures = 0;
                        self.answered();
                        apply_list(ops, &list);
                    }
                    None => self.refuse_list("an answer that is not a JSON list of operations"),
                },
                Err(e) if matches!(e.status, Status::Forbidden | Status::NotFound) => {
                    let why = format!("HTTP {}", e.http_status);
                    self.refuse_list(&why)
                }
                Err(e) if e.is_transient() => {
                    self.failed(ops, &e);
                    return;
                }
                Err(e) if is_server_error(&e) => {
                    self.list_failures += 1;
                    if self.list_failures >= FAILURES_TO_GIVE_UP {
                        fail_all(ops, &e);
                    }
                    return;
                }
                Err(e) => {
                    fail_all(ops, &e);
                    return;
                }
            }
        }
        // Progress calls for the operations the list did not show, when each is due.
        let now = Instant::now();
        let mut budget = if self.list_refused {
            (PROGRESS_CALLS_PER_SECOND as f64 * LONGEST_POLL.as_secs_f64()) as usize
        } else {
            usize::MAX
        };
        for (id, signal) in ops {
            if budget == 0 {
                break;
            }
            let due = {
                let w = signal.watch();
                w.outcome.is_none() && !w.listed && now >= w.next_check
            };
            if due && !signal.is_cancelled() {
                budget -= 1;
                self.check(id, signal);
            }
        }
    }

    /// The list failed transiently: every watched operation notes it, and the waits go on.
    fn failed(&mut self, ops: &[(String, Arc<Signal>)], e: &Error) {
        if self.outage.is_none() {
            self.outage = Some(Instant::now());
            self.client.shared.log.log(LogLevel::Warn, || {
                format!(
                    "{}; the waits go on, asking again every {} s at most, each until its own deadline",
                    e.message,
                    LONGEST_POLL.as_secs()
                )
            });
        }
        for (_, signal) in ops {
            signal.update(|w| w.trouble(e));
        }
    }

    /// The list was answered again after failures: says so once.
    fn answered(&mut self) {
        if let Some(since) = self.outage.take() {
            self.client.shared.log.log(LogLevel::Info, || {
                format!("getOperations answered again after {} ms of failures", since.elapsed().as_millis())
            });
        }
    }

    fn refuse_list(&mut self, why: &str) {
        self.list_refused = true;
        self.client.shared.log.log(LogLevel::Warn, || {
            format!(
                "getOperations was refused ({why}): watching each operation with its own getProgress calls from now on, at most {PROGRESS_CALLS_PER_SECOND} a second for the whole client"
            )
        });
    }

    /// Asks one operation's progress.
    fn check(&self, op_id: &str, signal: &Signal) {
        let answer = self.client.progress(op_id);
        signal.update(|w| match answer {
            Ok(p) if p.done => {
                w.percent = Some(100);
                w.outcome = Some(Outcome::Finished);
            }
            Ok(p) => {
                w.percent = Some(p.percent);
                w.seen = true;
                w.failures = 0;
                w.trouble = None;
                w.next_check = Instant::now() + w.delay;
                w.delay = (w.delay * 3 / 2).min(LONGEST_POLL);
            }
            // Servers drop finished operations (docs/rest-api.md, "Progress").
            Err(e) if e.status == Status::NotFound && w.seen => w.outcome = Some(Outcome::Finished),
            // The server could not answer now: asked again later, the waits going on.
            Err(e) if e.is_transient() => {
                w.trouble(&e);
                w.next_check = Instant::now() + w.delay;
                w.delay = (w.delay * 3 / 2).min(LONGEST_POLL);
            }
            Err(e) if is_server_error(&e) && w.failures + 1 < FAILURES_TO_GIVE_UP => {
                w.failures += 1;
                w.next_check = Instant::now() + w.delay;
            }
            Err(e) => w.outcome = Some(Outcome::Failed(e)),
        })
    }
}

/// What the operation list says of each watched operation. One that was listed and is no longer
/// is asked at once (it ended); one never listed keeps its own schedule (it may be new).
fn apply_list(ops: &[(String, Arc<Signal>)], list: &HashMap<String, Option<i32>>) {
    let now = Instant::now();
    for (id, signal) in ops {
        signal.update(|w| match list.get(id) {
            Some(progress) => {
                w.listed = true;
                w.seen = true;
                w.trouble = None;
                if let Some(p) = progress {
                    w.percent = Some(*p);
                }
            }
            None if w.listed => {
                w.listed = false;
                w.next_check = now;
            }
            None => {}
        });
    }
}

fn fail_all(ops: &[(String, Arc<Signal>)], e: &Error) {
    for (id, signal) in ops {
        let mut failed = e.clone();
        failed.message = format!("waiting for operation '{id}': {}", e.message);
        signal.update(|w| {
            w.outcome.get_or_insert(Outcome::Failed(failed));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_lists() {
        let list = parse_operation_list(
            br#"[{"id":"a","type":"PrintRestService","subTask":"x","startTime":1,"progress":40},{"id":"b"},{"id":"c","progress":250}]"#,
        )
        .unwrap();
        assert_eq!(list.get("a"), Some(&Some(40)));
        assert_eq!(list.get("b"), Some(&None));
        assert_eq!(list.get("c"), Some(&Some(100)));
        assert!(parse_operation_list(b"[]").unwrap().is_empty());
        for bad in [&b"true"[..], b"{}", b"[{\"name\":\"a\"}]", b"[1]", b"not json"] {
            assert!(parse_operation_list(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
