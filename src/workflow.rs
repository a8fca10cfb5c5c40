//! The rest of the All-In-One workflow (docs/rest-api.md): submit, progress, waiting with back-off,
//! cancel, the text endpoints, and results streamed to a callback or a file without holding
//! them in memory.

use crate::body::{self, TEXT_LIMIT};
use crate::client::{
    encode_segment, header, Call, Client, Method, Opened, ResultEndpoint, Segment, MAX_OPERATION_ID, PRINT, SERVICE,
};
use crate::error::{Error, Result, Status};
use crate::result::ResultMeta;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Size of the one buffer a streamed download goes through.
pub(crate) const STREAM_BUFFER: usize = 128 * 1024;
const SMALL_BODY: u64 = 1024 * 1024;
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
pub struct WaitSignals {
    waiting: Mutex<HashMap<String, Arc<Signal>>>,
}

#[derive(Default)]
struct Signal {
    cancelled: Mutex<bool>,
    wake: Condvar,
}

impl WaitSignals {
    fn register(&self, op_id: &str) -> Arc<Signal> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).entry(op_id.to_string()).or_default().clone()
    }

    fn release(&self, op_id: &str, signal: &Arc<Signal>) {
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        // Two references: the map's and ours. Remove it when no other waiter shares it.
        if Arc::strong_count(signal) <= 2 {
            map.remove(op_id);
        }
    }

    fn cancel(&self, op_id: &str) {
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

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Written data is handed to the disk in windows of this size while the download goes on, so
/// that the final sync has little left to wait for and dirty memory stays bounded.
const WRITEBACK_WINDOW: u64 = 8 * 1024 * 1024;

/// A temporary file beside the destination, removed unless [`TempFile::commit`] renamed it.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
    written: u64,
    /// Everything before this offset has been handed to writeback.
    scheduled: u64,
    /// Sync before the rename (and hand data to the disk during the download).
    durable: bool,
}

impl TempFile {
    /// Creates the temporary file, after checking what can be checked before the server is
    /// asked (so that a local problem never costs a one-time result): `dest` names a file, is
    /// not a directory, and its folder is writable.
    fn create(dest: &Path, durable: bool) -> Result<TempFile> {
        if dest.file_name().is_none() {
            return Err(Error::invalid(format!("'{}' does not name a file", dest.display())));
        }
        let replaced = fs::metadata(dest).ok();
        if replaced.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(Error::new(
                Status::IoError,
                format!(
                    "'{}' is a directory: give the path of a file to create or replace (nothing was asked of the server)",
                    dest.display()
                ),
            ));
        }
        let dir = folder_of(dest);
        // A short name, so that it fits wherever the destination's name fits.
        let unique = format!(".wf-{}-{}.part", std::process::id(), TEMP_COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = dir.join(unique);
        let io_error = |e: io::Error| {
            Error::new(Status::IoError, format!("cannot create a temporary file in '{}': {e}", dir.display()))
        };
        // Created with the usual 0666 less the process umask, like any new file.
        let file = OpenOptions::new().write(true).create_new(true).open(&path).map_err(io_error)?;
        let temp = TempFile { path, file: Some(file), written: 0, scheduled: 0, durable };
        if let Some(m) = replaced {
            // Replacing a file keeps its permissions.
            temp.file.as_ref().expect("just opened").set_permissions(m.permissions()).map_err(io_error)?;
        }
        Ok(temp)
    }

    fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let file = self.file.as_mut().expect("temporary file open until commit");
        file.write_all(chunk)
            .map_err(|e| Error::new(Status::IoError, format!("cannot write '{}': {e}", self.path.display())))?;
        self.written += chunk.len() as u64;
        if self.durable && self.written - self.scheduled >= WRITEBACK_WINDOW {
            schedule_writeback(file, self.scheduled, self.written - self.scheduled);
            self.scheduled = self.written;
        }
        Ok(())
    }

    fn commit(mut self, dest: &Path) -> Result<()> {
        let io_err =
            |what: &str, e: io::Error| Error::new(Status::IoError, format!("cannot {what} '{}': {e}", dest.display()));
        let file = self.file.take().expect("temporary file open until commit");
        if self.durable {
            file.sync_all().map_err(|e| io_err("sync the download for", e))?;
        }
        drop(file);
        fs::rename(&self.path, dest).map_err(|e| io_err("rename the download onto", e))?;
        if self.durable {
            // Make the rename itself durable; not every file system allows syncing a directory.
            let _ = File::open(folder_of(dest)).and_then(|d| d.sync_all());
        }
        self.path = PathBuf::new();
        Ok(())
    }
}

/// The folder a file is in: `.` for a bare file name.
fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Starts writeback of `offset..offset+len` and waits for the window before it, so the disk
/// works while the network does. Best effort: the final `sync_all` is what guarantees durability.
#[cfg(target_os = "linux")]
fn schedule_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: plain system calls on a file descriptor we own; errors are ignored on purpose.
    unsafe {
        libc::sync_file_range(fd, offset as libc::off64_t, len as libc::off64_t, libc::SYNC_FILE_RANGE_WRITE);
        if offset >= WRITEBACK_WINDOW {
            let previous = (offset - WRITEBACK_WINDOW) as libc::off64_t;
            let flags =
                libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
            libc::sync_file_range(fd, previous, WRITEBACK_WINDOW as libc::off64_t, flags);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn schedule_writeback(_file: &File, _offset: u64, _len: u64) {}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file.take();
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl Client {
    /// Submits a JSON All-In-One configuration; returns the operation id.
    pub fn submit(&self, config_json: &str) -> Result<String> {
        if config_json.trim().is_empty() {
            return Err(Error::invalid("the All-In-One configuration is empty"));
        }
        let mut call = Call::new("submit of the All-In-One configuration", Method::Post, format!("{PRINT}/submit"));
        call.body = Some((config_json.as_bytes(), "application/json"));
        let mut resp = self.send(&call)?;
        let status = resp.status().as_u16();
        let id = header(&resp, "operationId");
        let _ = resp.body_mut().with_config().limit(SMALL_BODY).read_to_vec();
        let unexpected =
            |why: String| Err(Error::new(Status::UnexpectedResponse, format!("submit: {why}")).with_http(status));
        match id.map(|s| s.trim().to_string()) {
            None => unexpected(format!("HTTP {status} without an operationId header")),
            Some(id) if id.len() > MAX_OPERATION_ID => {
                unexpected(format!("the operationId is {} bytes long, over the limit of {MAX_OPERATION_ID}", id.len()))
            }
            Some(id) => match encode_segment(&id, "operationId", Segment::OperationId) {
                Ok(_) => Ok(id),
                Err(e) => unexpected(format!("unusable operationId: {}", e.message)),
            },
        }
    }

    pub fn progress(&self, op_id: &str) -> Result<Progress> {
        let call = Call::operation("getProgress", op_id, Method::Get)?.accept("text/plain");
        let body = self.send_read(&call, 1024)?;
        let text = String::from_utf8_lossy(&body);
        parse_progress(&text).ok_or_else(|| {
            Error::new(
                Status::UnexpectedResponse,
                format!("getProgress of operation '{op_id}': unparsable progress '{}'", text.trim().escape_debug()),
            )
        })
    }

    /// Polls until the operation is done (or gone after it was seen), reporting each new
    /// percentage to `on_progress` (false from it stops with `Aborted`).
    pub fn wait(&self, op_id: &str, timeout: Option<Duration>, on_progress: &mut dyn FnMut(i32) -> bool) -> Result<()> {
        encode_segment(op_id, "operation id", Segment::OperationId)?;
        let signal = self.waits.register(op_id);
        let outcome = self.wait_loop(op_id, timeout, on_progress, &signal);
        self.waits.release(op_id, &signal);
        outcome
    }

    fn wait_loop(
        &self,
        op_id: &str,
        timeout: Option<Duration>,
        on_progress: &mut dyn FnMut(i32) -> bool,
        signal: &Signal,
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
        let cancelled =
            || Error::new(Status::Aborted, format!("operation '{op_id}' was cancelled while being waited on"));
        loop {
            if signal.is_cancelled() {
                return Err(cancelled());
            }
            match self.progress(op_id) {
                Ok(p) => {
                    report(p.percent, &mut last)?;
                    if p.done {
                        return Ok(());
                    }
                }
                // Servers drop finished operations from the active list (spec §6.5).
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

    pub fn cancel(&self, op_id: &str) -> Result<()> {
        let call = Call::operation("cancel", op_id, Method::Post)?;
        self.send_read(&call, SMALL_BODY)?;
        self.waits.cancel(op_id);
        Ok(())
    }

    /// `getOperations` as the server's JSON text.
    pub fn operations(&self) -> Result<Vec<u8>> {
        let call = Call::new("getOperations", Method::Get, format!("{PRINT}/getOperations")).accept("application/json");
        self.send_read(&call, TEXT_LIMIT)
    }

    /// The server version (`GET /rest/serverengine/authentication/version`, which the official
    /// client treats as the Connect server version).
    pub fn server_version(&self) -> Result<Vec<u8>> {
        let call = Call::new("version", Method::Get, format!("{SERVICE}/authentication/version")).accept("text/plain");
        let body = self.send_read(&call, SMALL_BODY)?;
        Ok(String::from_utf8_lossy(&body).trim().as_bytes().to_vec())
    }

    /// Streams a result to `sink` through one fixed buffer; `sink` returning false stops with
    /// `Aborted`. Returns the number of bytes delivered.
    pub fn stream_result(&self, op_id: &str, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<u64> {
        let opened = self.open_result(ResultEndpoint::Result, op_id)?;
        self.deliver(opened, op_id, sink)
    }

    /// Downloads a result to `dest` through a temporary file beside it, renamed onto `dest`
    /// only when complete and synced. Returns its size and what its headers said.
    pub fn result_to_file(&self, op_id: &str, dest: &Path) -> Result<(u64, ResultMeta)> {
        // The temporary file first: an unwritable folder must not cost a one-time result.
        let temp = TempFile::create(dest, self.durable_files())?;
        let opened = self.open_result(ResultEndpoint::Result, op_id)?;
        self.save(opened, op_id, temp, dest)
    }

    /// Downloads a File Store entry (`GET /rest/serverengine/filestore/file/{id}[/{file}]`) to
    /// `dest`: a managed output file, or a whole folder as a ZIP archive.
    pub fn download_managed(&self, file_id: &str, file_in_folder: Option<&str>, dest: &Path) -> Result<u64> {
        let mut path =
            format!("{SERVICE}/filestore/file/{}", encode_segment(file_id, "managed file id", Segment::FileStoreName)?);
        if let Some(name) = file_in_folder {
            path.push('/');
            path.push_str(&encode_segment(name, "file name", Segment::FileStoreName)?);
        }
        let temp = TempFile::create(dest, self.durable_files())?;
        let call = Call::new(format!("download of managed file '{file_id}'"), Method::Get, path);
        let resp = self.send(&call)?;
        Ok(self.save(Opened::Live(call.what, resp), file_id, temp, dest)?.0)
    }

    /// Writes an opened body into `temp`, then renames it onto `dest`.
    fn save(&self, opened: Opened, label: &str, mut temp: TempFile, dest: &Path) -> Result<(u64, ResultMeta)> {
        let meta = opened.meta();
        let mut write_error = None;
        let delivered = self.deliver(opened, label, &mut |chunk| match temp.write(chunk) {
            Ok(()) => true,
            Err(e) => {
                write_error = Some(e);
                false
            }
        });
        if let Some(e) = write_error {
            return Err(e);
        }
        let n = delivered?;
        temp.commit(dest)?;
        Ok((n, meta))
    }

    /// Hands an opened body to `sink`. A kept `getResult` body that could not be delivered whole
    /// (the sink stopped, a write failed) is kept again, so the result is not lost.
    fn deliver(&self, opened: Opened, op_id: &str, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<u64> {
        match opened {
            Opened::Kept(r) => {
                let outcome = deliver_kept(&r.data, op_id, sink);
                if outcome.is_err() {
                    self.keep_again(ResultEndpoint::Result, op_id, r);
                }
                outcome
            }
            Opened::Live(what, resp) => deliver_live(what, resp, op_id, sink),
        }
    }
}

fn stopped(op_id: &str) -> Error {
    Error::new(Status::Aborted, format!("the download of '{op_id}' was stopped by the write callback"))
}

fn deliver_kept(data: &[u8], op_id: &str, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<u64> {
    for chunk in data.chunks(STREAM_BUFFER) {
        if !sink(chunk) {
            return Err(stopped(op_id));
        }
    }
    Ok(data.len() as u64)
}

fn deliver_live(
    what: String,
    mut resp: ureq::http::Response<ureq::Body>,
    op_id: &str,
    sink: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<u64> {
    let expected = resp.body().content_length();
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; STREAM_BUFFER];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(body::read_error(&what, e, total, expected)),
        };
        total += n as u64;
        if !sink(&buf[..n]) {
            return Err(stopped(op_id));
        }
    }
    if expected.is_some_and(|n| n != total) {
        return Err(body::read_error(&what, io::ErrorKind::UnexpectedEof.into(), total, expected));
    }
    Ok(total)
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

    #[test]
    fn a_bare_file_name_is_in_the_current_folder() {
        assert_eq!(folder_of(Path::new("out.pdf")), Path::new("."));
        assert_eq!(folder_of(Path::new("/tmp/out.pdf")), Path::new("/tmp"));
        assert_eq!(folder_of(Path::new("a/out.pdf")), Path::new("a"));
    }

    #[test]
    fn temporary_files_vanish_unless_committed() {
        let dir = std::env::temp_dir().join(format!("wf-temp-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("out.pdf");
        {
            let mut t = TempFile::create(&dest, true).unwrap();
            t.write(b"partial").unwrap();
        }
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        let mut t = TempFile::create(&dest, true).unwrap();
        t.write(b"whole").unwrap();
        t.commit(&dest).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"whole");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
