//! Request bodies that go wrong: a source that ends before or after the length it announced (a
//! reader, a file changed after it was checked, a file changed before the replay after a
//! re-login) is a local error, never an endless loop. Every call runs on a thread of its own
//! with a bound, so that a regression fails instead of hanging the suite.

mod common;
use common::scripted::{response, Scripted};
use common::*;
use olconnect_wf::{Data, Error};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Runs `f` on a thread of its own; fails the test if it has not returned within `limit`.
/// Returns its value and how long it took.
fn bounded<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => (v, start.elapsed()),
        Err(_) => panic!("the call had not returned after {limit:?}: it hangs"),
    }
}

/// `total` bytes of 'x', in reads of at most 7,000 bytes (so the length is reached midway
/// through the stack's buffer, not at its edge).
struct Bytes {
    total: u64,
}

impl Read for Bytes {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(7000).min(self.total as usize);
        buf[..n].fill(b'x');
        self.total -= n as u64;
        Ok(n)
    }
}

fn upload_error(url: String, data: Data<'static>, name: &'static str) -> (Error, Duration) {
    let (outcome, took) = bounded(Duration::from_secs(20), move || {
        let c = Client::new(&url).unwrap();
        c.set_basic_auth(USER, PASSWORD).unwrap();
        let mut data = data;
        c.upload(None, &mut data, Some(name), false)
    });
    (outcome.expect_err("a body that does not match its length is never a success"), took)
}

#[test]
fn a_reader_that_ends_before_its_length_is_a_local_error_not_a_hang() {
    let sim = sim();
    let (e, took) = upload_error(sim.url(), Data::reader(Bytes { total: 5000 }, Some(100_000)), "short.csv");
    assert_eq!(e.status, Status::IoError, "{}", e.message);
    assert!(e.message.contains("the data ended after 5000 of the 100000 bytes announced"), "{}", e.message);
    assert!(e.message.contains("upload of 'short.csv'"), "{}", e.message);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(count(&sim, "/filestore/"), 0, "no upload reached the server whole");
    // The same reader with its true length goes through.
    let c = basic_client(&sim);
    c.upload(None, &mut Data::reader(Bytes { total: 5000 }, Some(5000)), Some("exact.csv"), false).unwrap();
    assert_eq!(sim.requests().last().unwrap().body_len, 5000);
}

#[test]
fn a_reader_with_more_than_its_length_is_a_local_error() {
    let sim = sim();
    let (e, took) = upload_error(sim.url(), Data::reader(Bytes { total: 200_000 }, Some(100_000)), "long.csv");
    assert_eq!(e.status, Status::IoError, "{}", e.message);
    assert!(e.message.contains("the data has more than the 100000 bytes announced"), "{}", e.message);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(count(&sim, "/filestore/"), 0, "no upload reached the server whole");
    // One byte more, the last read of the length included, is caught too.
    let (e, _) = upload_error(sim.url(), Data::reader(Bytes { total: 70_001 }, Some(70_000)), "one-more.csv");
    assert_eq!(e.status, Status::IoError, "{}", e.message);
    assert!(e.message.contains("more than the 70000 bytes"), "{}", e.message);
    assert_eq!(count(&sim, "/filestore/"), 0);
}

#[test]
fn a_file_changed_after_it_was_checked_is_a_local_error() {
    let sim = sim();
    let dir = temp_dir("upload-faults-file");
    let path = dir.join("shrinks.csv");
    std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
    let data = Data::file(&path).unwrap();
    std::fs::write(&path, vec![b'x'; 30_000]).unwrap();
    let (e, took) = upload_error(sim.url(), data, "shrinks.csv");
    assert_eq!(e.status, Status::IoError, "{}", e.message);
    assert!(e.message.contains("the data ended after 30000 of the 100000 bytes announced"), "{}", e.message);
    assert!(e.message.contains("file"), "says what to do about a file: {}", e.message);
    assert!(took < Duration::from_secs(5), "{took:?}");

    let path = dir.join("grows.csv");
    std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
    let data = Data::file(&path).unwrap();
    std::fs::write(&path, vec![b'x'; 150_000]).unwrap();
    let (e, _) = upload_error(sim.url(), data, "grows.csv");
    assert_eq!(e.status, Status::IoError, "{}", e.message);
    assert!(e.message.contains("the data has more than the 100000 bytes announced"), "{}", e.message);
    assert_eq!(count(&sim, "/filestore/"), 0, "no upload reached the server whole");
}

#[test]
fn a_file_that_shrinks_before_the_replay_after_a_relogin_is_a_local_error() {
    let dir = temp_dir("upload-faults-replay");
    let path = dir.join("replayed.csv");
    std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
    let uploads = Arc::new(AtomicUsize::new(0));
    let (server_path, seen) = (path.clone(), uploads.clone());
    // Logs in, checks the session; the first upload is rejected with a 401 once the file has
    // shrunk, so that the client logs in again and sends the file once more.
    let server = Scripted::start(move |head, s| {
        let answer = if head.starts_with("POST /rest/serverengine/authentication/login") {
            response("200 OK", &[("Content-Type", "text/plain")], b"token")
        } else if head.starts_with("HEAD /rest/serverengine/authentication") {
            response("200 OK", &[], b"")
        } else if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            std::fs::write(&server_path, vec![b'x'; 40_000]).unwrap();
            response("401 Unauthorized", &[("Content-Type", "text/plain")], b"token expired")
        } else {
            response("200 OK", &[("Content-Type", "text/plain")], b"4711")
        };
        let _ = s.write_all(&answer);
    });
    let url = server.url();
    let (outcome, took) = bounded(Duration::from_secs(20), move || {
        let c = Client::new(&url).unwrap();
        c.login(USER, PASSWORD).unwrap();
        c.upload(None, &mut Data::file(&path).unwrap(), Some("replayed.csv"), false)
    });
    let e = outcome.expect_err("a replay of a file that shrank is never a success");
    assert_eq!(e.status, Status::IoError, "{}", e.message);
    assert!(e.message.contains("the data ended after 40000 of the 100000 bytes announced"), "{}", e.message);
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The server counts the replay once it has seen the connection close.
    let seen = Instant::now();
    while uploads.load(Ordering::SeqCst) < 2 && seen.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(uploads.load(Ordering::SeqCst), 2, "sent once, then the replay that was cut off");
}
