//! Request bodies that go wrong on either side: a source that ends before or after the length it
//! announced (a reader, a file changed after it was checked, a file changed before the replay
//! after a re-login) is a local error, never an endless loop; a server that stops accepting the
//! body is bounded by the read timeout, and an abort or a call deadline still stops the call.
//! Every call runs on a thread of its own with a bound, so that a regression fails instead of
//! hanging the suite.

mod common;
use common::scripted::{self, response, Scripted};
use common::*;
use olconnect_wf::{AbortHandle, Adhoc, CallControls, Data, Error};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
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

/// A server that accepts connections and never reads from them (nor answers).
fn deaf_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    url
}

const LARGE: usize = 64 << 20;

#[test]
fn an_upload_to_a_server_that_stops_reading_times_out_after_the_read_timeout() {
    let url = deaf_server();
    let (outcome, took) = bounded(Duration::from_secs(30), move || {
        let c = Client::new(&url).unwrap();
        c.set_basic_auth(USER, PASSWORD).unwrap();
        c.set_timeouts(2000, 1000);
        let big = vec![b'x'; LARGE];
        let mut data = Data::bytes(&big);
        c.upload(None, &mut data, Some("stalled.csv"), false)
    });
    let e = outcome.expect_err("a server that never reads cannot have taken the upload");
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    assert!(e.message.contains("upload of 'stalled.csv'"), "names the request: {}", e.message);
    assert!(e.message.contains("the server stopped accepting the request"), "{}", e.message);
    assert!(e.message.contains("raise the read timeout"), "{}", e.message);
    assert!(!e.message.contains("sent nothing"), "not taken for a read timeout: {}", e.message);
    // Silence is counted from the last byte the server accepted: about 1 s, not less.
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(8), "{took:?}");

    // The same for any large request body: an ad-hoc run whose body is the data.
    let url = deaf_server();
    let (outcome, took) = bounded(Duration::from_secs(30), move || {
        let c = Client::new(&url).unwrap();
        c.set_timeouts(2000, 1000);
        let big = vec![b'x'; LARGE];
        let job = Adhoc {
            data_mapping: "Invoice.OL-datamapper",
            template: "Invoice.OL-template",
            job_preset: None,
            output_preset: "Invoice-PDF.OL-outputpreset",
            ..Default::default()
        };
        let mut data = Data::bytes(&big);
        c.submit_adhoc(&job, &mut data)
    });
    let e = outcome.expect_err("a server that never reads cannot have taken the job");
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    assert!(e.message.contains("the server stopped accepting the request"), "{}", e.message);
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[test]
fn a_stalled_upload_still_obeys_the_abort_switch_and_the_call_deadline() {
    let abort = Arc::new(AbortHandle::new());
    let url = deaf_server();
    let view =
        Client::new(&url).unwrap().with_controls(CallControls { abort: Some(abort.clone()), ..Default::default() });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let big = vec![b'x'; LARGE];
        let outcome = view.upload(None, &mut Data::bytes(&big), Some("aborted.csv"), false);
        let _ = tx.send((outcome, Instant::now()));
    });
    std::thread::sleep(Duration::from_millis(1500));
    let triggered = Instant::now();
    abort.trigger();
    let (outcome, ended) = rx.recv_timeout(Duration::from_secs(10)).expect("the aborted upload returns");
    assert_eq!(outcome.unwrap_err().status, Status::Aborted);
    assert!(ended.duration_since(triggered) < Duration::from_millis(250), "{:?}", ended.duration_since(triggered));

    // A call deadline shorter than the read timeout ends the stalled upload at the deadline.
    let url = deaf_server();
    let (outcome, took) = bounded(Duration::from_secs(30), move || {
        let c = Client::new(&url).unwrap();
        let view = c.with_controls(CallControls { timeout: Some(Duration::from_millis(800)), ..Default::default() });
        let big = vec![b'x'; LARGE];
        let mut data = Data::bytes(&big);
        view.upload(None, &mut data, Some("deadline.csv"), false)
    });
    let e = outcome.unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    assert!(e.message.contains("800 ms"), "the call's own timeout: {}", e.message);
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// A server that reads the request body slowly at first (256 KiB every 250 ms, for 3 s), then
/// quickly, and answers 200 with an id; returns its URL and the body lengths it received whole.
fn slow_reader() -> (String, mpsc::Receiver<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let length: u64 = scripted::head_header(&head, "Content-Length").and_then(|v| v.parse().ok()).unwrap_or(0);
            let mut got = 0u64;
            let mut part = vec![0u8; 256 << 10];
            for _ in 0..12 {
                std::thread::sleep(Duration::from_millis(250));
                let n = (length - got).min(part.len() as u64) as usize;
                if conn.read_exact(&mut part[..n]).is_err() {
                    break;
                }
                got += n as u64;
            }
            got += std::io::copy(&mut (&mut conn).take(length - got), &mut std::io::sink()).unwrap_or(0);
            let _ = tx.send(got);
            let _ = conn.write_all(&response("200 OK", &[("Content-Type", "text/plain")], b"4711"));
        }
    });
    (url, rx)
}

#[test]
fn a_slow_server_that_keeps_reading_is_not_cut_off_by_the_read_timeout() {
    let (url, received) = slow_reader();
    let (outcome, took) = bounded(Duration::from_secs(60), move || {
        let c = Client::new(&url).unwrap();
        // Far shorter than the whole upload, longer than a pause between two reads.
        c.set_timeouts(2000, 1500);
        let big = vec![b'x'; 16 << 20];
        let mut data = Data::bytes(&big);
        c.upload(None, &mut data, Some("slow.csv"), false)
    });
    assert_eq!(outcome.expect("an upload the server keeps reading goes through"), "4711");
    assert!(took > Duration::from_millis(2500), "the upload outlasted the read timeout: {took:?}");
    assert_eq!(received.recv().unwrap(), 16 << 20);
}
