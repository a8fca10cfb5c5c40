//! Stopping calls in flight: every place a call can block, stopped by an abort from another
//! thread and by a deadline, measured against the bound of the contract (250 ms); the cancel of
//! an operation whose poll is in flight; transfer reports; the log hook; the request cap.

mod common;
use common::scripted::{response, Scripted};
use common::*;
use olconnect_wf::{AbortHandle, CallControls, LogLevel, Transfer};
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bound the contract gives for an abort to take effect, scaled for runs that slow every
/// instruction down (ThreadSanitizer: `OLCONNECT_WF_TIME_SCALE`, set by scripts/tsan.sh).
fn bound() -> Duration {
    let scale = std::env::var("OLCONNECT_WF_TIME_SCALE").ok().and_then(|s| s.parse::<u32>().ok()).unwrap_or(1);
    Duration::from_millis(250) * scale.max(1)
}

/// Runs `call` on a view with an abort switch, triggers it once the call has been stalled for
/// 300 ms, and gives the status and how long the call took to return after the trigger.
fn abort_latency<T: Send>(
    c: &Client,
    call: impl FnOnce(&Client) -> olconnect_wf::Result<T> + Send,
) -> (Status, Duration) {
    let abort = Arc::new(AbortHandle::new());
    let view = c.with_controls(CallControls { abort: Some(abort.clone()), ..Default::default() });
    std::thread::scope(|s| {
        let running = s.spawn(|| call(&view));
        std::thread::sleep(Duration::from_millis(300));
        assert!(!running.is_finished(), "the call had not stalled");
        let triggered = Instant::now();
        abort.trigger();
        let outcome = running.join().unwrap();
        let status = outcome.err().expect("the call was stopped").status;
        (status, triggered.elapsed())
    })
}

/// Runs `call` on a view with a 500 ms timeout; gives the status and how long past the timeout
/// the call returned.
fn deadline_overrun<T>(c: &Client, call: impl FnOnce(&Client) -> olconnect_wf::Result<T>) -> (Status, Duration) {
    let timeout = Duration::from_millis(500);
    let view = c.with_controls(CallControls { timeout: Some(timeout), ..Default::default() });
    let start = Instant::now();
    let status = call(&view).err().expect("the call was stopped").status;
    (status, start.elapsed().saturating_sub(timeout))
}

fn assert_stops(name: &str, c: &Client, call: impl Fn(&Client) -> olconnect_wf::Result<()> + Send + Sync) {
    let (status, late) = abort_latency(c, &call);
    assert_eq!(status, Status::Aborted, "{name}: abort");
    assert!(late < bound(), "{name}: returned {late:?} after the abort");
    let (status, late) = deadline_overrun(c, &call);
    assert_eq!(status, Status::Timeout, "{name}: deadline");
    assert!(late < bound(), "{name}: returned {late:?} after the deadline");
}

/// A listener whose accept queue is full: a new connection is never completed.
fn listener_that_never_accepts() -> (TcpListener, Vec<std::net::TcpStream>) {
    // A backlog of 0 (socket2: the same on every OS; std's listener asks for 128).
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    socket.listen(0).unwrap();
    let listener: TcpListener = socket.into();
    let addr = listener.local_addr().unwrap();
    // Fill the accept queue.
    let held =
        (0..2).filter_map(|_| std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()).collect();
    (listener, held)
}

#[test]
fn a_connect_that_never_completes_is_stoppable() {
    let (listener, _held) = listener_that_never_accepts();
    let c = Client::new(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    c.set_timeouts(0, 0);
    assert_stops("connect", &c, |c| c.progress("op").map(drop));
}

fn trickling(head: &'static str) -> Scripted {
    Scripted::start(move |_, s| {
        let _ = s.write_all(head.as_bytes());
        for _ in 0..300 {
            std::thread::sleep(Duration::from_millis(100));
            if s.write_all(b"x").is_err() {
                return;
            }
        }
    })
}

#[test]
fn trickled_headers_are_stoppable() {
    let server = trickling("HTTP/1.1 200 OK\r\nX-Slow: ");
    let c = Client::new(&server.url()).unwrap();
    assert_stops("headers", &c, |c| c.progress("op").map(drop));
}

#[test]
fn a_trickled_body_is_stoppable_and_leaves_no_file() {
    let server = trickling("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
    let c = Client::new(&server.url()).unwrap();
    let dir = temp_dir("in-flight-body");
    let dest = dir.join("out.pdf");
    assert_stops("body", &c, |c| c.result_to_file("op", &dest).map(drop));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no partial or temporary file");
}

#[test]
fn a_silent_server_without_read_timeout_is_stoppable() {
    let server = Scripted::start(|_, _| std::thread::sleep(Duration::from_secs(30)));
    let c = Client::new(&server.url()).unwrap();
    c.set_timeouts(10_000, 0);
    assert_stops("silent", &c, |c| c.fetch_result("op").map(drop));
}

#[test]
fn sleeping_between_polls_is_stoppable() {
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(60));
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    assert_stops("wait", &c, |c| c.wait(&op, None, &mut |_| true));
}

#[test]
fn a_wait_deadline_bounds_the_poll_in_flight() {
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(60));
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    sim.add_fault(FaultRule::always(Fault::Delay(Duration::from_secs(5))).on_path("getProgress"));
    let start = Instant::now();
    let e = c.wait(&op, Some(Duration::from_millis(500)), &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    assert!(start.elapsed() < Duration::from_millis(500) + bound(), "{:?}", start.elapsed());
}

#[test]
fn a_login_stalled_in_another_thread_does_not_hold_the_others() {
    let logins = Arc::new(Mutex::new(0));
    let counted = logins.clone();
    let server = Scripted::start(move |head, s| {
        if head.starts_with("POST /rest/serverengine/authentication/login") {
            let n = {
                let mut l = counted.lock().unwrap();
                *l += 1;
                *l
            };
            if n > 1 {
                std::thread::sleep(Duration::from_secs(30)); // every later login stalls
                return;
            }
            let _ = s.write_all(&response("200 OK", &[("Token-Expires-In", "1")], b"tok-1"));
        } else {
            let _ = s.write_all(&response("200 OK", &[], b"50"));
        }
    });
    let c = Client::new(&server.url()).unwrap();
    c.login("u", "p").unwrap();
    std::thread::sleep(Duration::from_millis(600)); // past half the token's life: a new login is due
    let stalled = c.with_controls(CallControls { timeout: Some(Duration::from_secs(20)), ..Default::default() });
    std::thread::scope(|s| {
        s.spawn(|| stalled.progress("op")); // takes the login lock and stalls
        std::thread::sleep(Duration::from_millis(200));
        assert_stops("login lock", &c, |c| c.progress("op").map(drop));
    });
}

#[test]
fn cancel_while_a_poll_is_in_flight_is_aborted_even_when_the_poll_gets_404() {
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(60));
    let c = Arc::new(basic_client(&sim));
    let op = streamed_op(&c, 10);
    let waiter = running_waiter(&c, &op);
    // The next poll is delayed, so the cancel lands while it is in flight; the server has
    // dropped the operation by the time it answers, so that poll gets 404.
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(800))).on_path("getProgress"));
    std::thread::sleep(Duration::from_millis(300));
    c.cancel(&op).unwrap();
    let e = waiter.join().unwrap().unwrap_err();
    assert_eq!(e.status, Status::Aborted, "{}", e.message);
}

fn recorded() -> (Arc<Mutex<Vec<Transfer>>>, CallControls) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let controls = CallControls {
        on_transfer: Some(Arc::new(move |t: &Transfer| {
            sink.lock().unwrap().push(*t);
            true
        })),
        ..Default::default()
    };
    (seen, controls)
}

#[test]
fn downloads_report_bytes_and_their_total() {
    let sim = sim();
    let c = basic_client(&sim);
    let size = 3 * 1024 * 1024 + 5;
    let dir = temp_dir("transfer");
    let (seen, controls) = recorded();
    let view = c.with_controls(controls);
    // Slow enough (about 600 ms) for reports while the data moves.
    let trickle = Fault::Trickle { chunk: 256 * 1024, interval: Duration::from_millis(50) };
    sim.add_fault(FaultRule::once(trickle).on_path("getResult"));
    view.result_to_file(&streamed_op(&c, size), &dir.join("a.pdf")).unwrap();
    view.stream_result(&streamed_op(&c, size), &mut |_| true).unwrap();
    let op = submit(&c, &print_config("Invoice-Split.OL-outputpreset", r#""sim_output_size":70000"#));
    let mut buf = vec![0u8; 4096];
    let olconnect_wf::Fetched::Copied(n) =
        c.fetch_text_into(olconnect_wf::ResultEndpoint::ManagedResult, &op, &mut buf).unwrap()
    else {
        panic!("managed result")
    };
    let managed: serde_json::Value = serde_json::from_slice(&buf[..n - 1]).unwrap();
    let id = managed["identifier"].to_string();
    let before = seen.lock().unwrap().len();
    view.download_managed(&id, Some("job_0001.pdf"), &dir.join("m.pdf")).unwrap();
    assert!(seen.lock().unwrap()[before..].iter().any(|t| t.received == 70000), "managed downloads report too");
    let seen = seen.lock().unwrap();
    let finals: Vec<&Transfer> = seen.iter().filter(|t| Some(t.received) == t.receive_total).collect();
    assert!(finals.len() >= 2, "every completed download ends with a full report: {finals:?}");
    assert!(seen.iter().any(|t| t.receive_total == Some(size) && t.received < size), "reports as data moves");
    for pair in seen.windows(2) {
        if pair[0].receive_total == pair[1].receive_total && pair[1].received != 0 {
            assert!(pair[1].received >= pair[0].received, "counts only grow within a download");
        }
    }
}

/// The reports of one call: the last one must be the whole body, `size` bytes of `size`.
fn assert_ends_whole(name: &str, seen: &Mutex<Vec<Transfer>>, size: u64) {
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let last = seen.last().unwrap_or_else(|| panic!("{name}: no report"));
    assert_eq!((last.received, last.receive_total), (size, Some(size)), "{name}: {seen:?}");
    for pair in seen.windows(2) {
        if pair[0].receive_total == pair[1].receive_total && pair[1].received != 0 {
            assert!(pair[1].received >= pair[0].received, "{name}: counts only grow within a download");
        }
    }
}

fn adhoc_job<'a>() -> olconnect_wf::Adhoc<'a> {
    olconnect_wf::Adhoc {
        data_mapping: "Invoice.OL-datamapper",
        template: "Invoice.OL-template",
        output_preset: "Invoice-PDF.OL-outputpreset",
        ..Default::default()
    }
}

#[test]
fn bodies_read_into_memory_report_their_bytes() {
    // Found by review: the callback saw the body of fetch_into, fetch_result and run_adhoc
    // (wf_get_result, wf_get_result_ex, wf_run_adhoc_ex) only as one report of 0 bytes.
    use olconnect_wf::{Data, Fetched, ResultEndpoint};
    let small = 3 * 1024 * 1024 + 5; // through the HTTP stack
    let large = 9 * 1024 * 1024 + 3; // straight from the socket (src/direct.rs)
    let sim = sim_with(|s| s.output_size = Some(small));
    let c = basic_client(&sim);
    let (seen, controls) = recorded();
    let view = c.with_controls(controls);
    // Slow enough (about 600 ms) for reports while the data moves.
    let trickle = Fault::Trickle { chunk: 256 * 1024, interval: Duration::from_millis(50) };
    for size in [small, large] {
        sim.add_fault(FaultRule::once(trickle.clone()).on_path("getResult"));
        let mut buf = vec![0u8; size as usize];
        assert_eq!(
            view.fetch_into(ResultEndpoint::Result, &streamed_op(&c, size), &mut buf).unwrap(),
            Fetched::Copied(size as usize)
        );
        assert!(
            seen.lock().unwrap().iter().any(|t| t.receive_total == Some(size) && t.received > 0 && t.received < size),
            "reports as data moves"
        );
        assert_ends_whole(&format!("fetch_into of {size}"), &seen, size);
        assert_eq!(view.fetch_result(&streamed_op(&c, size)).unwrap().data.len() as u64, size);
        assert_ends_whole(&format!("fetch_result of {size}"), &seen, size);
    }
    let op = streamed_op(&c, small);
    let mut too_small = vec![0u8; 10];
    assert_eq!(
        view.fetch_into(ResultEndpoint::Result, &op, &mut too_small).unwrap(),
        Fetched::TooSmall(small as usize)
    );
    assert_ends_whole("fetch_into a buffer too small", &seen, small);
    let managed = submit(&c, &print_config("Invoice-Split.OL-outputpreset", ""));
    let text = view.managed_result(&managed).unwrap();
    assert_ends_whole("managed_result", &seen, text.len() as u64);
    let r = view.run_adhoc(&adhoc_job(), &mut Data::bytes(b"id,name\n1,Alice\n")).unwrap();
    assert_eq!(r.data.len() as u64, small);
    assert_ends_whole("run_adhoc", &seen, small);
}

#[test]
fn the_transfer_callback_stops_a_body_read_into_memory() {
    use olconnect_wf::{Data, ResultEndpoint};
    let size = 9 * 1024 * 1024 + 3;
    let sim = sim_with(|s| s.output_size = Some(size));
    let c = basic_client(&sim);
    sim.add_fault(
        // The whole body takes about 1.8 s.
        FaultRule::always(Fault::Trickle { chunk: 256 * 1024, interval: Duration::from_millis(50) })
            .on_path("getResult"),
    );
    // Stops at the first report of body bytes.
    let view = c.with_controls(CallControls {
        on_transfer: Some(Arc::new(|t: &Transfer| t.received == 0)),
        ..Default::default()
    });
    let stops = |name: &str, call: &dyn Fn() -> olconnect_wf::Result<()>| {
        let start = Instant::now();
        let e = call().expect_err(name);
        assert_eq!(e.status, Status::Aborted, "{name}: {}", e.message);
        assert!(start.elapsed() < Duration::from_secs(1), "{name}: not stopped midway: {:?}", start.elapsed());
    };
    stops("fetch_into", &|| {
        view.fetch_into(ResultEndpoint::Result, &streamed_op(&c, size), &mut vec![0u8; size as usize]).map(drop)
    });
    stops("fetch_result", &|| view.fetch_result(&streamed_op(&c, size)).map(drop));
    stops("run_adhoc", &|| view.run_adhoc(&adhoc_job(), &mut Data::bytes(b"id\n1\n")).map(drop));
}

#[test]
fn the_transfer_callback_is_called_while_nothing_moves_and_can_stop() {
    let server = trickling("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
    let c = Client::new(&server.url()).unwrap();
    let calls = Arc::new(Mutex::new(0u32));
    let counted = calls.clone();
    let view = c.with_controls(CallControls {
        on_transfer: Some(Arc::new(move |_: &Transfer| {
            let mut n = counted.lock().unwrap();
            *n += 1;
            *n < 12
        })),
        ..Default::default()
    });
    let start = Instant::now();
    let e = view.stream_result("op", &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::Aborted);
    assert!(start.elapsed() < Duration::from_secs(3), "at least every tick: {:?}", start.elapsed());
}

#[test]
fn the_log_hook_sees_each_exchange_and_never_a_secret() {
    let sim = sim_with(|s| s.token_ttl = Duration::from_secs(3600));
    let lines = Arc::new(Mutex::new(Vec::<(LogLevel, String)>::new()));
    let sink = lines.clone();
    let c = Client::new(&sim.url()).unwrap();
    c.set_log(Some(Arc::new(move |level, line: &str| sink.lock().unwrap().push((level, line.to_string())))));
    c.login(USER, PASSWORD).unwrap();
    let op = streamed_op(&c, 1000);
    c.fetch_result(&op).unwrap();
    sim.expire_tokens();
    c.progress(&op).unwrap();
    let _ = c.progress("no-such-op");
    let token = raw_login(&sim);
    c.set_token(&token).unwrap();
    let _ = c.progress(&op);
    c.set_log(None);
    let lines = lines.lock().unwrap();
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    assert!(text.contains("POST /rest/serverengine/workflow/print/submit -> HTTP 202"), "{text}");
    assert!(text.contains(&format!("/getResult/{op} -> HTTP 200 (1000 bytes)")), "{text}");
    assert!(lines.iter().any(|(l, m)| *l == LogLevel::Warn && m.contains("logging in again")), "{text}");
    assert!(lines.iter().any(|(l, m)| *l == LogLevel::Error && m.contains("no-such-op")), "{text}");
    for secret in [PASSWORD, "b2wtYWRtaW46c2VjcmV0", token.as_str()] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
}

#[test]
fn the_request_cap_makes_callers_wait_their_turn() {
    let sim = sim();
    let c = basic_client(&sim);
    c.set_max_concurrent(1);
    let op = streamed_op(&c, 10);
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(1500))).on_path("getResult"));
    std::thread::scope(|s| {
        let slow = s.spawn(|| c.fetch_result(&op));
        std::thread::sleep(Duration::from_millis(300));
        let hurried = c.with_controls(CallControls { timeout: Some(Duration::from_millis(300)), ..Default::default() });
        assert_eq!(hurried.progress(&op).unwrap_err().status, Status::Timeout, "no slot within its deadline");
        assert_eq!(slow.join().unwrap().unwrap().data.len(), 10, "the running call was not starved");
    });
    assert!(c.progress(&op).is_ok(), "the slot came back");
    c.set_max_concurrent(0);
}

#[test]
fn an_abort_seen_inside_a_socket_read_ends_the_download() {
    // Regression: the abort travelled as an I/O error of kind Interrupted, which body readers
    // retry; an abort noticed inside a socket read (here triggered from the transfer callback,
    // as a signal handler would) made the download spin forever.
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 3_000_000);
    let trickle = Fault::Trickle { chunk: 65536, interval: Duration::from_millis(100) };
    sim.add_fault(FaultRule::always(trickle).on_path("getResult"));
    let abort = Arc::new(AbortHandle::new());
    let (switch, calls) = (abort.clone(), Arc::new(Mutex::new(0)));
    let view = c.with_controls(CallControls {
        abort: Some(abort),
        on_transfer: Some(Arc::new(move |_: &Transfer| {
            let mut n = calls.lock().unwrap();
            *n += 1;
            if *n == 3 {
                switch.trigger();
            }
            true
        })),
        ..Default::default()
    });
    let dir = temp_dir("in-flight-flow");
    let (tx, rx) = std::sync::mpsc::channel();
    let dest = dir.join("out.pdf");
    std::thread::spawn(move || tx.send(view.result_to_file(&op, &dest).map(drop)));
    let outcome = rx.recv_timeout(Duration::from_secs(10)).expect("the download ended");
    assert_eq!(outcome.unwrap_err().status, Status::Aborted);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn a_large_body_read_straight_from_the_socket_is_stoppable() {
    // Large enough to be read past the HTTP stack (src/wire/direct.rs), into a buffer in memory and
    // streamed; pieces 150 ms apart keep it going for seconds.
    let sim = sim();
    let c = basic_client(&sim);
    let size = 9 * 1024 * 1024;
    let op = streamed_op(&c, size as u64);
    let slow = Fault::Trickle { chunk: 640 * 1024, interval: Duration::from_millis(150) };
    sim.add_fault(FaultRule::always(slow).on_path("getResult"));
    assert_stops("into a buffer in memory", &c, |c| {
        let mut buf = vec![1u8; size];
        c.fetch_into(olconnect_wf::ResultEndpoint::Result, &op, &mut buf).map(drop)
    });
    assert_stops("streamed", &c, |c| c.stream_result(&op, &mut |_| true).map(drop));
}

#[test]
fn a_call_made_from_a_callback_never_lends_its_connection_to_the_outer_call() {
    // Regression: the outer call took the connection noted as the last one to read on its
    // thread, noted when its wait for the answer began; a call made from its transfer callback
    // during that wait read from another connection (pooled after it), and the outer call then
    // read its large body from that one.
    use std::sync::atomic::{AtomicBool, Ordering};
    let sim = sim();
    let c = basic_client(&sim);
    let size = 9 * 1024 * 1024 + 3;
    let op = streamed_op(&c, size as u64);
    // A body that takes several reads, so the nested call's connection reads last.
    let nested_op = streamed_op(&c, 300_000);
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(600))).on_path(&op));
    let nested = c.clone();
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let started = Instant::now();
    let view = c.with_controls(CallControls {
        on_transfer: Some(Arc::new(move |_: &Transfer| {
            // Once the outer call waits for its answer (delayed 600 ms).
            if started.elapsed() > Duration::from_millis(250) && !flag.swap(true, Ordering::SeqCst) {
                assert_eq!(nested.fetch_result(&nested_op).unwrap().data.len(), 300_000);
            }
            true
        })),
        timeout: Some(Duration::from_secs(5)),
        ..Default::default()
    });
    let mut buf = vec![0xA5u8; size];
    let fetched = view.fetch_into(olconnect_wf::ResultEndpoint::Result, &op, &mut buf);
    assert!(done.load(Ordering::SeqCst), "the callback made its call");
    assert_eq!(fetched.unwrap(), olconnect_wf::Fetched::Copied(size));
    assert!(buf == olconnect_sim::generated_bytes(0, size), "content differs");
}

#[test]
fn cancel_stops_a_poll_whose_answer_trickles_in() {
    // Regression: a cancel on the same client only stopped the wait between polls; a poll
    // whose answer trickled in (a byte every 50 ms) kept the waiter for its whole length.
    let server = Scripted::start(|head, s| {
        if head.contains("/getProgress/") {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 400\r\n\r\n");
            for _ in 0..400 {
                if s.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        } else {
            let _ = s.write_all(&response("200 OK", &[], b"true"));
        }
    });
    let c = Arc::new(Client::new(&server.url()).unwrap());
    let waiter = {
        let c = c.clone();
        std::thread::spawn(move || c.wait("op-1", None, &mut |_| true))
    };
    std::thread::sleep(Duration::from_millis(500));
    assert!(!waiter.is_finished(), "the poll is in flight");
    let cancelled = Instant::now();
    c.cancel("op-1").unwrap();
    while !waiter.is_finished() && cancelled.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let late = cancelled.elapsed();
    assert!(waiter.is_finished(), "the waiter still runs {late:?} after the cancel");
    let e = waiter.join().unwrap().unwrap_err();
    assert_eq!(e.status, Status::Aborted, "{}", e.message);
    assert!(late < bound(), "the waiter returned {late:?} after the cancel");
}
