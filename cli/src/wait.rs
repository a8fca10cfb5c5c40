//! `olcwf wait OP...`: waits for one or several operations on this one thread, through the
//! library's waits (the client's watcher looks at all of them with one operation list per look:
//! docs/architecture.md, "Waiting"). Several operations are waited for with `wait_any` in a loop
//! over those still pending, inside a `wait_all` for all of them that keeps their watch (see
//! [`Wait::several`]), so that each is printed as it ends; one operation keeps its progress
//! display. The exit code is that of the first failure in the order things happened
//! (an operation failing, the --timeout passing), 130 on Ctrl-C whatever came before. See the
//! README (olcwf) and `olcwf wait --help`.

use crate::progress::{CountProgress, JobProgress};
use crate::{exit, seconds, Failure, Session};
use olconnect_wf::{CallControls, Client, Error, Status, Transfer};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Shown after the options of `olcwf wait --help`.
pub const EXAMPLES: &str = "Output: a line per operation as it ends, tab-separated (for cut and awk),
the time counted from the start of the wait:
  OP<TAB>finished<TAB>1.25s
  OP<TAB>failed<TAB>0.31s<TAB>REASON
With --json, one array at the end instead, an object per operation in the order
given: \"operation\", \"outcome\" (\"finished\", \"failed\", or \"pending\" when it had
not ended), \"elapsed_s\"; a failure adds \"status\", \"exit_code\" and \"error\".

Examples:
  ops=$(for c in a.json b.json c.json; do olcwf submit \"$c\"; done)
  olcwf wait $ops --timeout 3600             # all of them, an hour at most
  first=$(olcwf wait --any $ops | cut -f1)   # the first to end";

/// The waits for several operations, in the transfer callback of the outer wait (see
/// [`Wait::several`]).
struct Drain {
    w: Wait,
    /// The operations not ended yet, as indexes into `w.ops`.
    pending: Vec<usize>,
    any: bool,
    bar: CountProgress,
    /// The view of the inner waits: Ctrl-C stops them.
    inner: Client,
    /// Why the waiting stopped before all had ended (Ctrl-C, --timeout, a refused id).
    stopped: Option<Error>,
    /// Whether the outer wait called `run`.
    ran: bool,
}

impl Drain {
    /// Waits for the pending operations one ending at a time, printing each; false when the
    /// outer wait is to stop (--any, or the waiting stopped), true when all have ended.
    fn run(&mut self) -> bool {
        self.ran = true;
        while !self.pending.is_empty() && self.stopped.is_none() {
            let ids: Vec<&str> = self.pending.iter().map(|&i| self.w.ops[i].id.as_str()).collect();
            match self.inner.wait_any(&ids, self.w.left()) {
                Ok((k, ended)) => {
                    let i = self.pending.remove(k);
                    self.bar.ended();
                    let bar = &self.bar;
                    self.w.ended(i, ended, &|line| bar.println(line));
                    if self.any {
                        return false;
                    }
                }
                Err(e) => self.stopped = Some(e),
            }
        }
        self.stopped.is_none()
    }
}

fn drain_of(d: &Mutex<Drain>) -> MutexGuard<'_, Drain> {
    d.lock().unwrap_or_else(|e| e.into_inner())
}

/// How one waited operation stands.
enum Outcome {
    Pending,
    Finished(Duration),
    Failed(Duration, Error),
}

struct Waited {
    id: String,
    outcome: Outcome,
}

/// What a wait learnt: the operations (in the order given, each once) and, in the order they
/// happened, the first failure of an operation and why the waiting stopped early.
struct Wait {
    ops: Vec<Waited>,
    start: Instant,
    deadline: Option<Instant>,
    first_failure: Option<Error>,
    json: bool,
}

pub fn wait(s: &Session, given: &[String], any: bool, timeout: f64) -> Result<(), Failure> {
    let mut seen = HashSet::new();
    let ids: Vec<&String> = given.iter().filter(|id| seen.insert(id.as_str())).collect();
    let start = Instant::now();
    let limit = seconds(timeout);
    let mut w = Wait {
        ops: ids.into_iter().map(|id| Waited { id: id.clone(), outcome: Outcome::Pending }).collect(),
        start,
        deadline: limit.and_then(|t| start.checked_add(t)),
        first_failure: None,
        json: s.json,
    };
    let stopped = if w.ops.len() == 1 { w.one(s, limit) } else { w.several(s, any) };
    if let Some(refused) = stopped.as_ref().filter(|e| e.status == Status::InvalidArgument) {
        // An id the library refuses: nothing was waited for.
        return Err(Failure::Call(refused.clone()));
    }
    if w.json {
        println!("{}", Value::Array(w.ops.iter().map(Waited::to_json).collect()));
    }
    w.verdict(stopped, timeout).map_err(Failure::Call)
}

impl Wait {
    /// One operation: its progress as `olcwf wait` always showed it. The reason the wait stopped
    /// before it ended, if it did.
    fn one(&mut self, s: &Session, limit: Option<Duration>) -> Option<Error> {
        let job = JobProgress::new(s.mode, &self.ops[0].id);
        let outcome = s.calls().wait(&self.ops[0].id, limit, &mut |p| {
            job.report(p);
            true
        });
        job.finish();
        match outcome {
            Err(e) if self.stopped_the_wait(s, &e) => Some(e),
            ended => {
                self.ended(0, ended, &|line| println!("{line}"));
                None
            }
        }
    }

    /// Several operations: the first of those still pending to end, again and again (--any:
    /// once). The reason the wait stopped before all had ended, if it did.
    ///
    /// An outer `wait_all` for all of them holds their watch from start to end, and the inner
    /// `wait_any` calls run from its transfer callback, which the library calls on this thread
    /// at the outer wait's first pause and which may call back in (docs/c-contract.md,
    /// "Callbacks calling back in"; the outer wait's abort switch and deadline bound the inner
    /// calls). Inner waits alone would each end their operations' watch and the next would start
    /// it afresh: an operation that ended in between, and that the server had already dropped
    /// from its answers (a field server answers getProgress with 404 once a finished operation
    /// has left its list), would then look unknown, never seen running.
    fn several(&mut self, s: &Session, any: bool) -> Option<Error> {
        let left = self.left();
        let placeholder = Wait { ops: Vec::new(), first_failure: None, ..*self };
        let drain = Arc::new(Mutex::new(Drain {
            pending: (0..self.ops.len()).collect(),
            bar: CountProgress::new(s.mode, self.ops.len()),
            w: std::mem::replace(self, placeholder),
            any,
            inner: s.calls(),
            stopped: None,
            ran: false,
        }));
        let ids: Vec<String> = drain_of(&drain).w.ops.iter().map(|o| o.id.clone()).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let callback = drain.clone();
        let outer = s.client.with_controls(CallControls {
            abort: Some(s.ctrl_c.work.clone()),
            // Never called again from the calls it makes (no re-entry); if it were, it would go on.
            on_transfer: Some(Arc::new(move |_: &Transfer| callback.try_lock().map_or(true, |mut d| d.run()))),
            ..Default::default()
        });
        // Its outcome is the drain's already; it may also be its own stop (--any, an early end).
        let _ = outer.wait_all(&ids, left);
        drop(outer);
        let mut d = drain_of(&drain);
        if !d.ran {
            // The outer wait ended before its first pause: an id it refused, Ctrl-C already
            // pressed, no thread for the watcher. The inner waits say which, or see what ended.
            d.run();
        }
        d.bar.finish();
        let stopped = d.stopped.take();
        std::mem::swap(self, &mut d.w);
        stopped
    }

    /// Whether `e` from a wait is the wait's own end (Ctrl-C, --timeout, a refused id) rather
    /// than how the operation ended.
    fn stopped_the_wait(&self, s: &Session, e: &Error) -> bool {
        match e.status {
            Status::Aborted => s.ctrl_c.work.is_triggered(),
            Status::Timeout => self.timed_out(),
            Status::InvalidArgument => true,
            _ => false,
        }
    }

    /// What is left of the --timeout (at least a moment, so that what has ended is seen).
    fn left(&self) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)))
    }

    fn timed_out(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Notes how operation `i` ended and prints its line (not with --json: the array at the end).
    fn ended(&mut self, i: usize, ended: olconnect_wf::Result<()>, print: &dyn Fn(&str)) {
        let elapsed = self.start.elapsed();
        let op = &mut self.ops[i];
        op.outcome = match ended {
            Ok(()) => Outcome::Finished(elapsed),
            Err(mut e) => {
                if !e.message.contains(&op.id) {
                    e.message = format!("operation '{}': {}", op.id, e.message);
                }
                self.first_failure.get_or_insert_with(|| e.clone());
                Outcome::Failed(elapsed, e)
            }
        };
        if !self.json {
            print(&op.line());
        }
    }

    /// The exit of the command: 130 on Ctrl-C; else the first failure in the order things
    /// happened (an operation that did not finish, the --timeout passing); else success. The
    /// message says the rest too: how many more failed, which had not ended at the timeout.
    fn verdict(&self, stopped: Option<Error>, timeout: f64) -> Result<(), Error> {
        let pending: Vec<&str> =
            self.ops.iter().filter(|o| matches!(o.outcome, Outcome::Pending)).map(|o| o.id.as_str()).collect();
        let failed = self.ops.iter().filter(|o| matches!(o.outcome, Outcome::Failed(..))).count();
        let stopped = match stopped {
            Some(e) if e.status == Status::Timeout && self.timed_out() => {
                let what = match self.ops.len() {
                    1 => format!("operation '{}' had not ended", self.ops[0].id),
                    n => format!("{} of the {n} operations had not ended", pending.len()),
                };
                let mut message = format!("{what} when the --timeout of {timeout} s passed");
                if self.ops.len() > 1 {
                    message = format!("{message}: {}", list(&pending));
                }
                Some(Error::new(Status::Timeout, message))
            }
            other => other,
        };
        match (stopped, &self.first_failure) {
            (Some(e), _) if e.status == Status::Aborted => Err(e),
            (stopped, Some(first)) => {
                let mut e = first.clone();
                let mut message = e.message.trim_end().to_string();
                if !message.ends_with('.') {
                    message.push('.');
                }
                if failed > 1 {
                    message = format!("{message} {} more of the {} operations failed too.", failed - 1, self.ops.len());
                }
                if let Some(s) = stopped {
                    message = format!("{message} Then {}.", s.message);
                }
                e.message = message;
                Err(e)
            }
            (Some(e), None) => Err(e),
            (None, None) => Ok(()),
        }
    }
}

/// Ids for a message: the first ten, then how many more.
fn list(ids: &[&str]) -> String {
    let mut text = ids.iter().take(10).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > 10 {
        text.push_str(&format!(" and {} more", ids.len() - 10));
    }
    text
}

fn secs(d: Duration) -> f64 {
    d.as_millis() as f64 / 1000.0
}

impl Waited {
    /// `OP<TAB>finished<TAB>1.25s`, `OP<TAB>failed<TAB>0.30s<TAB>REASON`: one line, for `cut`
    /// and `awk`.
    fn line(&self) -> String {
        match &self.outcome {
            Outcome::Pending => format!("{}\tpending", self.id),
            Outcome::Finished(t) => format!("{}\tfinished\t{:.2}s", self.id, t.as_secs_f64()),
            Outcome::Failed(t, e) => {
                let reason = e.message.replace(['\t', '\n', '\r'], " ");
                format!("{}\tfailed\t{:.2}s\t{}", self.id, t.as_secs_f64(), crate::redact::clean(&reason))
            }
        }
    }

    fn to_json(&self) -> Value {
        match &self.outcome {
            Outcome::Pending => json!({ "operation": self.id, "outcome": "pending" }),
            Outcome::Finished(t) => json!({ "operation": self.id, "outcome": "finished", "elapsed_s": secs(*t) }),
            Outcome::Failed(t, e) => json!({
                "operation": self.id, "outcome": "failed", "elapsed_s": secs(*t),
                "status": exit::status_name(e.status), "exit_code": exit::code(e),
                "error": crate::redact::clean(&e.message),
            }),
        }
    }
}
