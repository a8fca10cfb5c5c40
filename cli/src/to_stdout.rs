//! `olcwf get-result OP` without -o (or with -o -): the result on standard output, and what a
//! failure leaves there.
//!
//! - A pipe or a terminal: the result is streamed as it comes. Bytes already written cannot be
//!   taken back; the exit status says that the command failed.
//! - A regular file (`> file`, `>> file`): the result is streamed into it and, on any failure
//!   (server, connection, Ctrl-C, a full disk), the file is cut back to the length it had before
//!   and its offset put back, so that it is as it was: empty after `>`, its old content after
//!   `>>`. No second copy of a large result is needed.
//! - A regular file written in place (`1<> file`: not appending, offset before its end): the
//!   result would replace bytes that cutting back cannot give back, so it is downloaded first
//!   into a private temporary folder (in $TMPDIR) and copied into standard output only when
//!   complete.

use crate::Failure;
use olconnect_wf::Client;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

/// Writes the result of `op` to standard output; the number of bytes written.
pub fn result(calls: &Client, op: &str) -> Result<u64, Failure> {
    let out = &crate::sys::stdout_file().map_err(|e| cannot_write(&e))?;
    match out.metadata() {
        Ok(meta) if meta.file_type().is_file() => {
            let append = crate::sys::appends(out);
            let at = (&*out).stream_position().map_err(|e| cannot_write(&e))?;
            if append || at >= meta.len() {
                into_file(calls, op, out, meta.len(), (!append).then_some(at))
            } else {
                in_place(calls, op, out)
            }
        }
        _ => streamed(calls, op),
    }
}

fn cannot_write(e: &std::io::Error) -> Failure {
    Failure::Local(format!("cannot write the result to standard output: {e}"))
}

/// A pipe or terminal.
fn streamed(calls: &Client, op: &str) -> Result<u64, Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(128 * 1024, stdout.lock());
    let mut write_error = None;
    let streamed = calls.stream_result(op, &mut |chunk| match out.write_all(chunk) {
        Ok(()) => true,
        Err(e) => {
            write_error = Some(e);
            false
        }
    });
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        return Err(cannot_write(&e));
    }
    Ok(streamed?)
}

/// A regular file written at or past its end: cut back to `length` (and the offset put back to
/// `offset` when not appending) on failure.
fn into_file(calls: &Client, op: &str, mut out: &File, length: u64, offset: Option<u64>) -> Result<u64, Failure> {
    let mut write_error = None;
    let streamed = calls.stream_result(op, &mut |chunk| match out.write_all(chunk) {
        Ok(()) => true,
        Err(e) => {
            write_error = Some(e);
            false
        }
    });
    if let (None, Ok(bytes)) = (&write_error, &streamed) {
        return Ok(*bytes);
    }
    let restored = out.set_len(length).and_then(|()| offset.map_or(Ok(0), |at| out.seek(SeekFrom::Start(at))));
    let failure = match (write_error, streamed) {
        (Some(e), _) => cannot_write(&e),
        (None, Err(e)) => Failure::Call(e),
        (None, Ok(_)) => unreachable!("returned above"),
    };
    if let Err(e) = restored {
        eprintln!("olcwf: standard output (a file) still holds part of the result: it could not be cut back: {e}");
    }
    Err(failure)
}

/// A regular file overwritten in place: the result goes to a private temporary folder first.
fn in_place(calls: &Client, op: &str, mut out: &File) -> Result<u64, Failure> {
    let folder = std::env::temp_dir().join(format!("olcwf-result-{}", std::process::id()));
    crate::sys::private_dir(&folder).map_err(|e| {
        Failure::Local(format!("cannot make a temporary folder {} for the result: {e}", folder.display()))
    })?;
    let file = folder.join("result");
    let copied = calls.result_to_file(op, &file).map_err(Failure::from).and_then(|_| {
        let mut complete = File::open(&file).map_err(|e| cannot_write(&e))?;
        std::io::copy(&mut complete, &mut out).map_err(|e| {
            Failure::Local(format!("cannot write the result to standard output (a file, now partly overwritten): {e}"))
        })
    });
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir(&folder);
    copied
}
