//! The journal of jobs `olcwf run` submitted and has not collected yet, so that no result is lost
//! when the operator's side dies (a killed olcwf, a closed terminal, a lost connection):
//! `olcwf resume` lists and collects them (or cancels them). See README.md (olcwf, "Resume").
//!
//! One small JSON file per job in `$XDG_STATE_HOME/olcwf/jobs/` (`~/.local/state/olcwf/jobs/`),
//! private to the user: written under a temporary name and renamed, so that a reader never sees
//! half of one, and removed once the job's result is collected (or the job cancelled). Whoever
//! handles a job holds an exclusive `flock` on its file: `olcwf run` while it waits and
//! downloads, `olcwf resume` while it collects; the lock goes with the process, so a job whose
//! olcwf died is free for `resume`, and two olcwf never collect the same job.

use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A job olcwf submitted.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub operation: String,
    /// The base URL of its server.
    pub server: String,
    /// The profile olcwf ran with, if any (to say how to reach the server again).
    pub profile: Option<String>,
    /// Where its result goes: an absolute path, or `-` for standard output.
    pub output: String,
    /// When it was submitted, in seconds since 1970.
    pub submitted: u64,
    /// A File Store upload made for it (`run --data`), deleted once the job has ended.
    pub upload: Option<String>,
}

impl Entry {
    fn to_json(&self) -> Value {
        json!({
            "operation": self.operation, "server": self.server, "profile": self.profile,
            "output": self.output, "submitted": self.submitted, "upload": self.upload,
        })
    }

    fn from_json(v: &Value) -> Option<Entry> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Entry {
            operation: text("operation")?,
            server: text("server")?,
            profile: text("profile"),
            output: text("output")?,
            submitted: v.get("submitted").and_then(Value::as_u64)?,
            upload: text("upload"),
        })
    }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The folder of the journal.
pub struct Journal {
    dir: PathBuf,
}

/// A job of the journal that this process handles: its file stays locked until dropped.
pub struct Held {
    path: PathBuf,
    file: File,
    pub entry: Entry,
}

/// A job of the journal as listed.
pub struct Listed {
    pub path: PathBuf,
    /// `None` when the file cannot be read as a job (it is shown, never removed).
    pub entry: Option<Entry>,
    /// Another olcwf handles it now.
    pub busy: bool,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Journal {
    /// `$XDG_STATE_HOME/olcwf/jobs` (else `~/.local/state/olcwf/jobs`), created private to the
    /// user when missing. `Err`: why there is none.
    pub fn open() -> Result<Journal, String> {
        let Some(base) = crate::profile::base_dir("XDG_STATE_HOME", ".local/state") else {
            return Err("neither XDG_STATE_HOME nor HOME is set".to_string());
        };
        let dir = base.join("olcwf").join("jobs");
        crate::sys::private_dir_all(&dir).map_err(|e| format!("cannot make the folder {}: {e}", dir.display()))?;
        Ok(Journal { dir })
    }

    /// Records `entry`, locked for this process: written whole under a temporary name, locked,
    /// then renamed into place, so that no reader sees it half written or unlocked.
    pub fn record(&self, entry: Entry) -> Result<Held, String> {
        let name = format!("job-{}-{}-{}.json", now(), std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = self.dir.join(&name);
        let temp = self.dir.join(format!(".{name}.tmp"));
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", temp.display());
        let mut file = crate::sys::create_private_file(&temp).map_err(fail)?;
        let written = lock(&file, true)
            .and_then(|()| file.write_all(format!("{}\n", entry.to_json()).as_bytes()))
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(fail(e));
        }
        let _ = File::open(&self.dir).and_then(|d| d.sync_all());
        Ok(Held { path, file, entry })
    }

    /// Every job recorded, oldest first.
    pub fn list(&self) -> Result<Vec<Listed>, String> {
        let read = std::fs::read_dir(&self.dir).map_err(|e| format!("cannot read {}: {e}", self.dir.display()))?;
        let mut paths: Vec<PathBuf> = read
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("job-")))
            .collect();
        paths.sort();
        let mut jobs = Vec::new();
        for path in paths {
            let Ok(file) = File::open(&path) else { continue }; // removed meanwhile
                                                                // Read before trying the lock (another olcwf's lock keeps a reader out on Windows).
            let entry = read_entry(&file);
            let busy = lock(&file, false).is_err();
            jobs.push(Listed { path, entry, busy });
        }
        jobs.sort_by_key(|j| j.entry.as_ref().map_or(0, |e| e.submitted));
        Ok(jobs)
    }

    /// Takes the job recorded at `path` for this process. `None` when another olcwf has it, or it
    /// is gone.
    pub fn claim(&self, path: &Path) -> Option<Held> {
        let file = OpenOptions::new().read(true).write(true).open(path).ok()?;
        lock(&file, false).ok()?;
        // Still the file at that path (not removed by the olcwf that held it just before)?
        let (now, held) = (std::fs::metadata(path).ok()?, file.metadata().ok()?);
        if !crate::sys::same_file(&now, &held) {
            return None;
        }
        let entry = read_entry(&file)?;
        Some(Held { path: path.to_path_buf(), file, entry })
    }
}

impl Held {
    /// The job is over (its result collected, or it was cancelled): off the journal.
    pub fn done(self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.path.parent() {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        drop(self.file);
    }
}

/// The entry in `file`, read through that handle: on Windows a locked file can be read only
/// through the handle that holds the lock.
fn read_entry(mut file: &File) -> Option<Entry> {
    use std::io::{Read, Seek};
    let mut text = String::new();
    file.seek(std::io::SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    Entry::from_json(&serde_json::from_str(&text).ok()?)
}

/// An exclusive lock on `file`, waiting for it or not (std's: flock on Unix, LockFileEx on
/// Windows).
fn lock(file: &File, wait: bool) -> std::io::Result<()> {
    if wait {
        file.lock()
    } else {
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => std::io::Error::from(std::io::ErrorKind::WouldBlock),
            std::fs::TryLockError::Error(e) => e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(op: &str) -> Entry {
        Entry {
            operation: op.into(),
            server: "http://h:9340".into(),
            profile: None,
            output: "/tmp/x.pdf".into(),
            submitted: now(),
            upload: Some("5000".into()),
        }
    }

    #[test]
    fn a_held_job_is_busy_and_a_done_one_is_gone() {
        let dir = std::env::temp_dir().join(format!("olcwf-journal-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let j = Journal { dir: dir.clone() };
        let held = j.record(entry("a")).unwrap();
        let listed = j.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].entry.as_ref(),
            Some(&entry("a")).map(|e| Entry { submitted: held.entry.submitted, ..e.clone() }).as_ref()
        );
        assert!(listed[0].busy, "held by its olcwf");
        assert!(j.claim(&listed[0].path).is_none(), "a second one cannot take it");
        let path = listed[0].path.clone();
        drop(held); // its olcwf died: the lock goes with it
        let again = j.claim(&path).expect("free once its holder is gone");
        assert_eq!(again.entry.operation, "a");
        again.done();
        assert!(j.list().unwrap().is_empty());
        assert!(j.claim(&path).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
