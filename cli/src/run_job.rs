//! `olcwf run`: check the local files, upload the data file (--data), submit, record the job in
//! the journal, wait, download (to a file, or with `-o -` to standard output).
//!
//! When it does not get to the end, what happens depends on why:
//! - Ctrl-C, the --timeout passing, the job failing: it takes back what it put on the server:
//!   cancels the job if it had not finished (a running job holds its data file, so the server
//!   refuses to delete it), then deletes the upload. Each clean-up step is bounded by
//!   [`CLEAN_UP_BOUND`] and stops on a second Ctrl-C.
//! - The server could not be reached (connection, TLS, its read timeout): it gives up but leaves
//!   the job running, since a cancel would not get through either and the result may yet be
//!   collected.
//!
//! Whatever may still be collected stays in the journal (`journal.rs`) and is said with the
//! exact commands that collect it (`olcwf wait`, `olcwf get-result`, `olcwf resume`) or stop it
//! (`olcwf cancel`); whatever else is left on the server is said with the command that removes
//! it. See README.md (olcwf).

use crate::destination::{self, Output};
use crate::journal::{self, Entry, Held, Journal};
use crate::progress::Mode;
use crate::{read_config, say, Failure, Session};
use olconnect_wf::{CallControls, Client, Data, Error, Status};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The most each clean-up step (cancel, delete) may take, retries included.
pub const CLEAN_UP_BOUND: Duration = Duration::from_secs(5);
/// Pause between two attempts to delete an upload that the server still holds.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// What `run` was given, checked before anything is asked of the server.
pub struct Prepared {
    config: String,
    output: Output,
    data: Option<PathBuf>,
}

/// Reads the configuration and checks it is JSON (and takes --data), checks the data file and
/// the output location: a local problem is said before anything is submitted.
pub fn prepare(config: &Path, output: &str, data: Option<&Path>) -> Result<Prepared, Failure> {
    let text = read_config(config)?;
    let parsed: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::Usage(format!("the configuration {} is not JSON: {e} (nothing was submitted)", config.display()))
    })?;
    if !parsed.is_object() {
        return Err(Failure::Usage(format!(
            "the configuration {} is not a JSON object (nothing was submitted)",
            config.display()
        )));
    }
    if let Some(file) = data {
        with_data_file(&text, "")?; // a configuration that cannot take it: say so before uploading
        destination::check_data(file)?;
    }
    let output = destination::check(Output::parse(output))?;
    Ok(Prepared { config: text, output, data: data.map(Path::to_path_buf) })
}

/// What the command has put on the server so far.
#[derive(Default)]
struct Placed {
    upload: Option<String>,
    op: Option<String>,
    /// The submission was cut off before its answer: a job may exist that we cannot name.
    submitting: bool,
    /// The job has finished: nothing to cancel.
    finished: bool,
    /// Its result is where it was asked for.
    collected: bool,
    /// The server could not be reached while waiting: the job is left running, not cancelled.
    gave_up: bool,
    /// The job's record in the journal, held (locked) by this process.
    held: Option<Held>,
}

pub fn run(s: &Session, p: Prepared, timeout: f64) -> Result<(), Failure> {
    let journal = Journal::open();
    let mut placed = Placed::default();
    let outcome = work(s, &mut placed, &p, timeout, journal.as_ref());
    if let (Err(why), Some(_)) = (&journal, &placed.op) {
        say(&format!("the job is not recorded for `olcwf resume`: {why}"));
    }
    let cleaned = clean_up(s, placed, &p.output);
    match (outcome, cleaned) {
        (Err(e), _) => Err(e),
        (Ok(()), Err(interrupted)) => Err(Failure::Call(interrupted)),
        (Ok(()), Ok(())) => Ok(()),
    }
}

fn work(
    s: &Session,
    placed: &mut Placed,
    p: &Prepared,
    timeout: f64,
    journal: Result<&Journal, &String>,
) -> Result<(), Failure> {
    let calls = s.calls();
    let mut config = p.config.clone();
    if let Some(file) = &p.data {
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
    if let Ok(journal) = journal {
        let entry = Entry {
            operation: op.clone(),
            server: s.client.base_url().to_string(),
            profile: s.profile.clone(),
            output: p.output.recorded(),
            submitted: journal::now(),
            upload: placed.upload.clone(),
        };
        match journal.record(entry) {
            Ok(held) => placed.held = Some(held),
            Err(why) => say(&format!("the job {op} is not recorded for `olcwf resume`: {why}")),
        }
    }
    let started = Instant::now();
    if let Err(e) = s.wait(&op, timeout) {
        let deadline_passed = crate::seconds(timeout).is_some_and(|t| started.elapsed() >= t);
        placed.gave_up = match &e {
            Failure::Call(e) => {
                e.status == Status::TlsError || (e.is_transient() && !(e.status == Status::Timeout && deadline_passed))
            }
            _ => false,
        };
        return Err(e);
    }
    placed.finished = true;
    match &p.output {
        Output::File(path) => s.to_file(&op, path)?,
        Output::Stdout => {
            let bytes = crate::to_stdout::result(&calls, &op)?;
            if s.json {
                eprintln!("{}", json!({ "operation": op, "file": "-", "bytes": bytes }));
            } else if !s.quiet {
                eprintln!("{bytes} bytes of the result of {op} written to standard output");
            }
        }
    }
    placed.collected = true;
    Ok(())
}

/// Takes back what `placed` holds and says what is left. `Err` when Ctrl-C stopped it.
fn clean_up(s: &Session, mut placed: Placed, output: &Output) -> Result<(), Error> {
    s.ctrl_c.begin_clean_up();
    let stop = &s.ctrl_c.clean_up;
    let mut left = Vec::new();
    // Whether the job may still give its result (it is then kept in the journal).
    let mut collectable = false;
    if let Some(op) = placed.op.clone() {
        let again = &s.again;
        let get = match output {
            Output::Stdout => format!("{again} get-result {op}"),
            Output::File(path) => format!("{again} get-result {op} -o {}", crate::profile::quote(path)),
        };
        let still_running = format!(
            "the job {op} may still be running on the server; collect its result later with: \
             {again} wait {op} && {get} (or: {again} resume), or stop it with: {again} cancel {op}"
        );
        if placed.collected {
            // Nothing is left of the job.
        } else if placed.finished {
            collectable = true;
            left.push(format!(
                "the result of {op} is still on the server; collect it with: {get} (or: {again} resume)"
            ));
        } else if placed.gave_up {
            collectable = true;
            left.push(still_running);
        } else {
            match within(s, CLEAN_UP_BOUND).cancel(&op) {
                Ok(()) => {}
                Err(e) if e.status == Status::NotFound => {} // it ended meanwhile
                Err(e) => {
                    collectable = true;
                    left.push(match e.status {
                        Status::Aborted | Status::Timeout => still_running,
                        _ => format!("{still_running} (the cancel failed: {})", e.message),
                    });
                }
            }
        }
    }
    if placed.submitting {
        left.push(format!("a job may have started before the submission was cut off; see: {} operations", s.again));
    }
    if let Some(id) = &placed.upload {
        let again = &s.again;
        if collectable && !placed.finished {
            left.push(format!(
                "the upload {id} stays in the File Store while the job may use it; `{again} resume` deletes it once \
                 the job has ended (or remove it with: {again} delete {id})"
            ));
        } else {
            let outcome =
                if stop.is_triggered() { Err("is still in the File Store".to_string()) } else { delete(s, id) };
            if let Err(why) = outcome {
                left.push(format!("the upload {id} {why}; remove it with: {again} delete {id}"));
            }
        }
    }
    if let Some(held) = placed.held.take() {
        if !collectable {
            held.done();
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
pub fn within(s: &Session, bound: Duration) -> Client {
    s.client.with_controls(CallControls {
        abort: Some(s.ctrl_c.clean_up.clone()),
        timeout: Some(bound),
        ..Default::default()
    })
}

/// Deletes the upload `id` within [`CLEAN_UP_BOUND`], asking again while the server refuses (a
/// cancelled job lets go of its data file a moment after the cancel is answered). `Err`: why
/// it may be left.
pub fn delete(s: &Session, id: &str) -> Result<(), String> {
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
