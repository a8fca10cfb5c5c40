//! `olcwf resume`: the jobs `olcwf run` submitted and did not collect (it was killed, its terminal
//! closed, the server could not be reached), from the journal (`journal.rs`). Lists them
//! (`--list`, every server, no connection needed), collects each of this server's (waiting for it
//! where needed) into the file its run was to write, or cancels them (`--cancel`); then deletes
//! their uploads and takes them off the journal. A job another olcwf is handling is left to it.

use crate::destination::{self, Output};
use crate::journal::{Held, Journal, Listed};
use crate::{run_job, say, Failure, Session};
use olconnect_wf::{Error, Status};
use serde_json::{json, Value};
use std::path::PathBuf;

/// Shown after the options of `olcwf resume --help`.
pub const EXAMPLES: &str = "Examples:
  olcwf resume --list          # the jobs recorded, of every server
  olcwf resume                 # collect every job of this server into its file
  olcwf resume OP -o out.pdf   # one job, into another file (- for standard output)
  olcwf resume --cancel        # cancel them instead, and delete their uploads

The journal: one file per job in $XDG_STATE_HOME/olcwf/jobs (~/.local/state/olcwf/jobs).";

/// `olcwf resume --list`: no server is asked.
pub fn list(json_output: bool) -> Result<(), Failure> {
    let journal = Journal::open().map_err(Failure::Local)?;
    let jobs = journal.list().map_err(Failure::Local)?;
    if json_output {
        let all: Vec<Value> = jobs.iter().map(to_json).collect();
        println!("{}", Value::Array(all));
        return Ok(());
    }
    for job in &jobs {
        println!("{}", line(job));
    }
    Ok(())
}

/// `OP<TAB>pending|busy<TAB>SUBMITTED<TAB>SERVER<TAB>OUTPUT`.
fn line(job: &Listed) -> String {
    let state = if job.busy { "busy" } else { "pending" };
    match &job.entry {
        Some(e) => format!("{}\t{state}\t{}\t{}\t{}", e.operation, utc(e.submitted), e.server, e.output),
        None => format!("?\tunreadable\t-\t-\t{}", job.path.display()),
    }
}

fn to_json(job: &Listed) -> Value {
    match &job.entry {
        Some(e) => json!({
            "operation": e.operation, "state": if job.busy { "busy" } else { "pending" },
            "submitted": utc(e.submitted), "server": e.server, "profile": e.profile,
            "output": e.output, "upload": e.upload,
        }),
        None => json!({ "state": "unreadable", "file": job.path.display().to_string() }),
    }
}

/// Collects (or with `cancel`, cancels) the recorded jobs of this server, or only `ops`.
pub fn resume(s: &Session, ops: &[String], cancel: bool, output: Option<&str>, timeout: f64) -> Result<(), Failure> {
    if output.is_some() && (ops.len() != 1 || cancel) {
        return Err(Failure::Usage("-o goes with exactly one operation to collect: olcwf resume OP -o FILE".into()));
    }
    let output = output.map(|o| destination::check(Output::parse(o))).transpose()?;
    let journal = Journal::open().map_err(Failure::Local)?;
    let jobs = journal.list().map_err(Failure::Local)?;
    let server = s.client.base_url();
    let ours = |j: &&Listed| j.entry.as_ref().is_some_and(|e| e.server == server);
    let chosen: Vec<&Listed> = jobs
        .iter()
        .filter(ours)
        .filter(|j| ops.is_empty() || j.entry.as_ref().is_some_and(|e| ops.contains(&e.operation)))
        .collect();
    for op in ops {
        if !chosen.iter().any(|j| j.entry.as_ref().is_some_and(|e| &e.operation == op)) {
            return Err(Failure::Call(Error::new(
                Status::NotFound,
                format!("{op} is not in the journal of jobs for {server} (see: olcwf resume --list)"),
            )));
        }
    }
    let others = jobs.iter().filter(|j| !ours(j)).count();
    if ops.is_empty() && others > 0 && !s.quiet {
        say(&format!("{others} job(s) recorded for other servers are left alone (see: olcwf resume --list)"));
    }
    let mut first_failure: Option<Failure> = None;
    for job in chosen {
        let Some(held) = journal.claim(&job.path) else {
            let op = job.entry.as_ref().map_or("?", |e| e.operation.as_str());
            say(&format!("{op} is being handled by another olcwf: left to it"));
            continue;
        };
        let done = if cancel { cancel_one(s, held) } else { collect_one(s, held, output.as_ref(), timeout) };
        match done {
            Ok(()) => {}
            Err(Failure::Call(e)) if e.status == Status::Aborted => return Err(Failure::Call(e)),
            Err(e) => {
                let message = match &e {
                    Failure::Call(e) => e.message.clone(),
                    Failure::Usage(m) | Failure::Local(m) => m.clone(),
                };
                if first_failure.is_none() {
                    first_failure = Some(e);
                } else {
                    say(&message);
                }
            }
        }
    }
    first_failure.map_or(Ok(()), Err)
}

/// Waits for the job, writes its result, deletes its upload, takes it off the journal. A job
/// that failed, or whose result the server no longer knows, is taken off too (nothing is left to
/// collect); one that could not be reached stays.
fn collect_one(s: &Session, held: Held, output: Option<&Output>, timeout: f64) -> Result<(), Failure> {
    let op = held.entry.operation.clone();
    let target = match output {
        Some(o) => o.clone(),
        None if held.entry.output == "-" => {
            return Err(Failure::Usage(format!(
                "the result of {op} was to go to standard output: collect it with: olcwf resume {op} -o FILE \
                 (or -o - for standard output)"
            )))
        }
        None => Output::File(PathBuf::from(&held.entry.output)),
    };
    // A server may answer 404 for the progress of an operation that finished while no one
    // watched it, and still hold its result: the result itself says whether there is one.
    let waited = match s.wait(&op, timeout) {
        Err(Failure::Call(e)) if e.status == Status::NotFound => Ok(()),
        other => other,
    };
    let ended = waited.and_then(|()| match &target {
        Output::File(path) => s.to_file(&op, path),
        Output::Stdout => crate::to_stdout::result(&s.calls(), &op).map(|bytes| {
            if !s.quiet {
                eprintln!("{bytes} bytes of the result of {op} written to standard output");
            }
        }),
    });
    match ended {
        Ok(()) => {
            finish(s, held);
            Ok(())
        }
        // The job's own end (not found, refused, a server error of the job), not a gateway that
        // could not answer now (502/503/504: the result may still be collected later).
        Err(Failure::Call(e))
            if matches!(e.status, Status::NotFound | Status::ServerError | Status::BadRequest) && !e.is_transient() =>
        {
            finish(s, held);
            let mut e = e;
            e.message = format!("{} (no result to collect: {op} is off the journal)", e.message);
            Err(Failure::Call(e))
        }
        Err(e) => Err(e),
    }
}

/// Cancels the job (one that has ended already counts as cancelled), deletes its upload, takes
/// it off the journal.
fn cancel_one(s: &Session, held: Held) -> Result<(), Failure> {
    let op = held.entry.operation.clone();
    match s.calls().cancel(&op) {
        Ok(()) => {}
        Err(e) if e.status == Status::NotFound => {}
        Err(e) => return Err(Failure::Call(e)),
    }
    if s.json {
        println!("{}", json!({ "operation": op, "cancelled": true }));
    } else if !s.quiet {
        println!("{op}\tcancelled");
    }
    finish(s, held);
    Ok(())
}

/// The job has ended for good: its upload deleted (or said), its record removed.
fn finish(s: &Session, held: Held) {
    if let Some(id) = &held.entry.upload {
        if let Err(why) = run_job::delete(s, id) {
            say(&format!("left on the server: the upload {id} {why}; remove it with: olcwf delete {id}"));
        }
    }
    held.done();
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc(secs: u64) -> String {
    let (days, rest) = ((secs / 86400) as i64, secs % 86400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_utc() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(1_709_210_096), "2024-02-29T12:34:56Z");
    }
}
