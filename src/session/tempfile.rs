//! The atomic download file: a temporary file beside the destination, written, optionally
//! synced (with writeback overlapped with the download), then renamed onto the destination; it
//! is removed on any failure, so the destination appears complete or not at all.

use crate::error::{Error, Result, Status};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Written data is handed to the disk in windows of this size while the download goes on, so
/// that the final sync has little left to wait for and dirty memory stays bounded.
const WRITEBACK_WINDOW: u64 = 8 * 1024 * 1024;

/// A temporary file beside the destination, removed unless [`TempFile::commit`] renamed it.
pub(crate) struct TempFile {
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
    pub(crate) fn create(dest: &Path, durable: bool) -> Result<TempFile> {
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

    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<()> {
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

    pub(crate) fn commit(mut self, dest: &Path) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
