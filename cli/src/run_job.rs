//! `olcwf run`: upload the data file (--data), submit, wait, download; and, when it does not get
//! to the end (a failure, Ctrl-C), take back what it put on the server: cancel the job if it had
//! not finished (a running job holds its data file, so the server refuses to delete it), then
//! delete the upload. Each clean-up step is bounded by [`CLEAN_UP_BOUND`] and stops on Ctrl-C;
//! what is left is said, with the command that removes it. See docs in README.md (olcwf).

use crate::progress::Mode;
use crate::{read_config, Failure, Session};
use olconnect_wf::{CallControls, Client, Data, Error, Status};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The most each clean-up step (cancel, delete) may take, retries included.
pub const CLEAN_UP_BOUND: Duration = Duration::from_secs(5);
/// Pause between two attempts to delete an upload that the server still holds.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// What the command has put on the server so far.
#[derive(Default)]
struct Placed {
    upload: Option<String>,
    op: Option<String>,
    /// The submission was cut off before its answer: a job may exist that we cannot name.
    submitting: bool,
    /// The job has finished: nothing to cancel.
    finished: bool,
}

pub fn run(s: &Session, config: &Path, output: &Path, timeout: f64, data: Option<&Path>) -> Result<(), Failure> {
    let config = read_config(config)?;
    if data.is_some() {
        with_data_file(&config, "")?; // a configuration that cannot take it: say so before uploading
    }
    let mut placed = Placed::default();
    let outcome = work(s, &mut placed, config, output, timeout, data);
    let cleaned = clean_up(s, &placed);
    match (outcome, cleaned) {
        (Err(e), _) => Err(e),
        (Ok(()), Err(interrupted)) => Err(Failure::Call(interrupted)),
        (Ok(()), Ok(())) => Ok(()),
    }
}

fn work(
    s: &Session,
    placed: &mut Placed,
    mut config: String,
    output: &Path,
    timeout: f64,
    data: Option<&Path>,
) -> Result<(), Failure> {
    let calls = s.calls();
    if let Some(file) = data {
        let id = calls.upload(None, &mut Data::file(file)?, None, false)?;
        if s.mode == Mode::Lines {
            eprintln!("uploaded {} as {id}", file.display());
        }
        placed.upload = Some(id.clone());
        config = with_data_file(&config, &id)?;
    }
    let submitted = calls.submit(&config);
    // Cut off before the answer: the server may have started a job that we cannot name.
    let cut_off = |e: &Error| matches!(e.status, Status::Aborted | Status::Timeout | Status::UnexpectedResponse);
    placed.submitting = submitted.as_ref().err().is_some_and(cut_off);
    let op = submitted?;
    if s.mode == Mode::Lines {
        eprintln!("operation {op} submitted");
    }
    placed.op = Some(op.clone());
    s.wait(&op, timeout)?;
    placed.finished = true;
    s.to_file(&op, output)
}

/// Takes back what `placed` holds and says what is left. `Err` when Ctrl-C stopped it.
fn clean_up(s: &Session, placed: &Placed) -> Result<(), Error> {
    s.ctrl_c.begin_clean_up();
    let stop = &s.ctrl_c.clean_up;
    let mut left = Vec::new();
    if let Some(op) = placed.op.as_deref().filter(|_| !placed.finished) {
        match within(s, CLEAN_UP_BOUND).cancel(op) {
            Ok(()) => {}
            Err(e) if e.status == Status::NotFound => {} // it ended meanwhile
            Err(e) => {
                let why = match e.status {
                    Status::Aborted | Status::Timeout => "may still be running".to_string(),
                    _ => format!("could not be cancelled: {}", e.message),
                };
                left.push(format!("the job {op} {why}; stop it with: olcwf cancel {op}"));
            }
        }
    }
    if placed.submitting {
        left.push("a job may have started before the submission was cut off; see: olcwf operations".to_string());
    }
    if let Some(id) = &placed.upload {
        let outcome = if stop.is_triggered() { Err("is still in the File Store".to_string()) } else { delete(s, id) };
        if let Err(why) = outcome {
            left.push(format!("the upload {id} {why}; remove it with: olcwf delete {id}"));
        }
    }
    for line in &left {
        crate::say(&format!("left on the server: {line}"));
    }
    if stop.is_triggered() {
        return Err(Error::new(Status::Aborted, "Ctrl-C stopped the clean-up"));
    }
    Ok(())
}

/// A view of the client whose calls stop on Ctrl-C during the clean-up and take `bound` at most.
fn within(s: &Session, bound: Duration) -> Client {
    s.client.with_controls(CallControls {
        abort: Some(s.ctrl_c.clean_up.clone()),
        timeout: Some(bound),
        ..Default::default()
    })
}

/// Deletes the upload `id` within [`CLEAN_UP_BOUND`], asking again while the server refuses (a
/// cancelled job lets go of its data file a moment after the cancel is answered). `Err`: why
/// it may be left.
fn delete(s: &Session, id: &str) -> Result<(), String> {
    let deadline = Instant::now() + CLEAN_UP_BOUND;
    loop {
        let refused = match within(s, deadline.saturating_duration_since(Instant::now())).delete_managed(id) {
            Ok(true) => return Ok(()),
            Err(e) if e.status == Status::NotFound => return Ok(()), // gone already
            Ok(false) => "the server did not delete it".to_string(),
            Err(e) if matches!(e.status, Status::BadRequest | Status::ServerError) => e.message,
            Err(e) if matches!(e.status, Status::Aborted | Status::Timeout) => {
                return Err("may still be in the File Store (its deletion did not finish)".to_string())
            }
            Err(e) => return Err(format!("could not be deleted: {}", e.message)),
        };
        let again = Instant::now() + RETRY_PAUSE;
        if again >= deadline {
            return Err(format!("could not be deleted: {refused}"));
        }
        while Instant::now() < again {
            if s.ctrl_c.clean_up.is_triggered() {
                return Err(format!("could not be deleted: {refused}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The configuration with its data mapping input replaced by the uploaded file `id`.
fn with_data_file(config: &str, id: &str) -> Result<String, Failure> {
    let mut v: Value =
        serde_json::from_str(config).map_err(|e| Failure::Usage(format!("the configuration is not JSON: {e}")))?;
    let Some(step) = v.get_mut("datamining").and_then(Value::as_object_mut) else {
        return Err(Failure::Usage("--data needs a configuration with a datamining step".into()));
    };
    step.insert("identifier".into(), Value::String(id.into()));
    Ok(v.to_string())
}
