//! Retries of requests that are safe to repeat, against the simulator's faults (docs/architecture.md,
//! "Retries"): each read recovers from transient failures (503, a connection dropped, refused);
//! what is not safe (submit, uploads, ad-hoc runs, getResult, cancel, delete once the request may
//! have reached the server) is sent once; attempts are bounded by the client's setting, the
//! call's deadline and its abort switch; `Retry-After` is honoured. Request counts come from the
//! simulator's journal, retries from `Client::retries`.

mod common;
use common::scripted::{response, Scripted};
use common::*;
use olconnect_wf::{AbortHandle, Adhoc, CallControls, Data, LogLevel};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FILE: &[u8] = b"id,name\n1,Alice\n";

/// A client that retries quickly (4 attempts, pauses of at most 20 ms), so tests stay short.
fn quick_client(sim: &Simulator) -> Client {
    let c = basic_client(sim);
    c.set_retry(4, Duration::from_millis(20));
    c
}

/// Every read the library makes, by the text of its path, with a call making it.
type Read = (&'static str, Box<dyn Fn(&Client) -> olconnect_wf::Result<()>>);

fn reads(op: &str, file_id: &str, dir: &std::path::Path) -> Vec<Read> {
    let (op, file_id, dest) = (op.to_string(), file_id.to_string(), dir.join("download"));
    let (op2, file_id2) = (op.clone(), file_id.clone());
    vec![
        ("/getProgress/", Box::new(move |c: &Client| c.progress(&op).map(drop))),
        ("/getOperations", Box::new(|c: &Client| c.operations().map(drop))),
        ("/authentication/version", Box::new(|c: &Client| c.server_version().map(drop))),
        ("/filestore/file/", Box::new(move |c: &Client| c.managed_exists(&file_id).map(|e| assert!(e)))),
        (
            "/filestore/file/",
            Box::new(move |c: &Client| {
                c.download_managed(&file_id2, None, &dest).map(|n| assert_eq!(n, FILE.len() as u64))
            }),
        ),
        ("/getProgress/", Box::new(move |c: &Client| c.progress(&op2).map(drop))),
    ]
}

#[test]
fn reads_recover_from_transient_faults_with_one_request_per_attempt() {
    let sim = sim();
    let c = quick_client(&sim);
    let op = submit(&c, &print_config("Invoice-PDF.OL-outputpreset", r#""sim_output_size":10"#));
    let file_id = c.upload(None, &mut Data::bytes(FILE), Some("r.csv"), false).unwrap();
    let dir = temp_dir("retry-reads");
    for (path, call) in reads(&op, &file_id, &dir) {
        for fault in [Fault::Unavailable, Fault::Drop] {
            sim.clear_requests();
            let before = c.retries();
            sim.add_fault(FaultRule::times(fault.clone(), 2).on_path(path));
            call(&c).unwrap_or_else(|e| panic!("{path} after 2 x {fault:?}: {}", e.message));
            assert_eq!(count(&sim, path), 3, "{path} {fault:?}: two failed attempts, then the answer");
            assert_eq!(c.retries() - before, 2, "{path} {fault:?}");
        }
    }
}

#[test]
fn login_is_retried_but_never_after_a_401() {
    let sim = sim();
    let c = quick_client(&sim);
    sim.add_fault(FaultRule::times(Fault::Unavailable, 1).on_path("/login"));
    sim.add_fault(FaultRule::times(Fault::Drop, 1).on_path("/login"));
    c.login(USER, PASSWORD).unwrap();
    assert_eq!(count(&sim, "/authentication/login"), 3);
    assert_eq!(c.retries(), 2);
    sim.clear_requests();
    let e = c.login(USER, "wrong").unwrap_err();
    assert_eq!(e.status, Status::AuthFailed, "{}", e.message);
    assert_eq!(count(&sim, "/authentication/login"), 1, "a 401 is not retried");
    assert_eq!(c.retries(), 2);
    // A login made by a call (the token missing) is retried the same way, inside that call.
    let c = Client::new(&sim.url()).unwrap();
    c.set_retry(4, Duration::from_millis(20));
    c.login(USER, PASSWORD).unwrap();
    sim.expire_tokens();
    sim.clear_requests();
    sim.add_fault(FaultRule::times(Fault::Unavailable, 2).on_path("/login"));
    c.server_version().unwrap();
    assert_eq!(count(&sim, "/authentication/login"), 3, "the re-login after a 401 was retried");
    assert_eq!(c.retries(), 2);
}

#[test]
fn callers_queued_behind_a_failing_login_share_its_failure_instead_of_retrying_it_in_turn() {
    let sim = sim();
    let c = Arc::new(Client::new(&sim.url()).unwrap());
    c.set_retry(3, Duration::from_millis(100));
    c.login(USER, PASSWORD).unwrap();
    sim.expire_tokens();
    sim.add_fault(FaultRule::always(Fault::Unavailable).on_path("/login"));
    sim.clear_requests();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || c.server_version().unwrap_err())
        })
        .collect();
    for t in threads {
        let e = t.join().unwrap();
        assert_eq!((e.status, e.http_status), (Status::ServerError, 503), "{}", e.message);
    }
    // Each of the 8 calls met a 401 and needed a login: one made its 3 attempts while the others
    // waited; those report its failure (a latecomer may start one more login).
    let logins = count(&sim, "/authentication/login");
    assert!(logins <= 6, "{logins} login requests for 8 callers (8 x 3 when each retried in turn)");
    // A failure is shared only with the callers that waited for it: the next call logs in.
    sim.clear_faults();
    c.server_version().unwrap();
}

#[test]
fn a_lasting_failure_ends_after_the_attempts_set_with_the_last_failure() {
    let sim = sim();
    let c = quick_client(&sim);
    sim.add_fault(FaultRule::always(Fault::Unavailable).on_path("/version"));
    let e = c.server_version().unwrap_err();
    assert_eq!((e.status, e.http_status), (Status::ServerError, 503), "{}", e.message);
    assert!(e.message.contains("temporarily unavailable") && e.message.contains("4 attempts"), "{}", e.message);
    assert_eq!(count(&sim, "/version"), 4);
    assert_eq!(c.retries(), 3);

    // One attempt: no retry.
    sim.clear_requests();
    c.set_retry(1, Duration::from_millis(20));
    assert_eq!(c.server_version().unwrap_err().http_status, 503);
    assert_eq!(count(&sim, "/version"), 1);
    assert_eq!(c.retries(), 3);

    // A delay is no failure, and a read timeout is not retried (every attempt would wait as long).
    sim.clear_faults();
    sim.clear_requests();
    c.set_retry(4, Duration::from_millis(20));
    c.set_timeouts(2000, 300);
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(100))).on_path("/version"));
    c.server_version().unwrap();
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(1000))).on_path("/version"));
    assert_eq!(c.server_version().unwrap_err().status, Status::Timeout);
    assert_eq!(count(&sim, "/version"), 2);
    assert_eq!(c.retries(), 3);
}

fn adhoc<'a>() -> Adhoc<'a> {
    Adhoc {
        data_mapping: "Invoice.OL-datamapper",
        template: "Invoice.OL-template",
        output_preset: "Invoice-PDF.OL-outputpreset",
        ..Default::default()
    }
}

#[test]
fn what_is_not_safe_to_repeat_is_sent_once() {
    let sim = sim();
    let c = quick_client(&sim);
    let op = submit(&c, &print_config("Invoice-PDF.OL-outputpreset", r#""sim_output_size":10"#));
    let file_id = c.upload(None, &mut Data::bytes(FILE), Some("once.csv"), false).unwrap();
    let dir = temp_dir("retry-unsafe");
    type Unsafe<'a> = (&'static str, Box<dyn Fn() -> olconnect_wf::Result<()> + 'a>);
    let calls: Vec<Unsafe> = vec![
        ("/submit", Box::new(|| c.submit(&print_config("Invoice-PDF.OL-outputpreset", "")).map(drop))),
        ("/filestore/DataFile", Box::new(|| c.upload(None, &mut Data::bytes(FILE), Some("u.csv"), false).map(drop))),
        ("Invoice.OL-datamapper/", Box::new(|| c.submit_adhoc(&adhoc(), &mut Data::bytes(FILE)).map(drop))),
        ("Invoice.OL-datamapper/", Box::new(|| c.run_adhoc(&adhoc(), &mut Data::bytes(FILE)).map(drop))),
        ("/getResult/", Box::new(|| c.fetch_result(&op).map(drop))),
        ("/getResult/", Box::new(|| c.result_to_file(&op, &dir.join("r")).map(drop))),
        ("/getResultTxt/", Box::new(|| c.result_text(&op).map(drop))),
        ("/getManagedResult/", Box::new(|| c.managed_result(&op).map(drop))),
        ("/delete/", Box::new(|| c.delete_managed(&file_id).map(drop))),
        ("/cancel/", Box::new(|| c.cancel(&op).map(drop))),
    ];
    for (path, call) in &calls {
        for fault in [Fault::Drop, Fault::Unavailable] {
            sim.clear_requests();
            sim.add_fault(FaultRule::once(fault.clone()).on_path(path));
            let e = call().expect_err(path);
            assert!(matches!(e.status, Status::ConnectFailed | Status::ServerError), "{path} {fault:?}: {}", e.message);
            assert_eq!(count(&sim, path), 1, "{path} {fault:?}: sent once");
            if fault == Fault::Drop {
                assert!(e.message.contains("not sent again"), "{path}: {}", e.message);
            }
        }
    }
    assert_eq!(c.retries(), 0);
}

/// A simulator stopped now and started again on the same address after `after`.
fn restarted_later(sim: Simulator, after: Duration) -> std::thread::JoinHandle<Simulator> {
    let addr = sim.addr();
    let settings = sim.settings();
    drop(sim);
    std::thread::spawn(move || {
        std::thread::sleep(after);
        Simulator::bind(addr, settings).unwrap()
    })
}

#[test]
fn results_cancel_and_delete_are_repeated_when_the_connection_could_not_be_made() {
    // Nothing was sent: the request is sent again once the server is back (which, restarted,
    // no longer knows the operation or the file: its 404 proves the request reached it).
    type Call = fn(&Client) -> olconnect_wf::Result<()>;
    let calls: [(&str, Call); 4] = [
        ("/getResult/", |c| c.fetch_result("op-before-restart").map(drop)),
        ("/getResultTxt/", |c| c.result_text("op-before-restart").map(drop)),
        ("/cancel/", |c| c.cancel("op-before-restart")),
        ("/delete/", |c| c.delete_managed("file-before-restart").map(drop)),
    ];
    for (path, call) in calls {
        let sim = sim();
        let c = quick_client(&sim);
        c.set_retry(20, Duration::from_millis(100));
        let back = restarted_later(sim, Duration::from_millis(300));
        let e = call(&c).unwrap_err();
        let sim = back.join().unwrap();
        assert_eq!(e.status, Status::NotFound, "{path}: retried until the server was back: {}", e.message);
        assert_eq!(count(&sim, path), 1);
        assert!(c.retries() >= 1, "{path}");
    }
    // Not so a submit, even when nothing was sent.
    let sim = sim();
    let c = quick_client(&sim);
    let back = restarted_later(sim, Duration::from_millis(300));
    assert_eq!(c.submit(&print_config("Invoice-PDF.OL-outputpreset", "")).unwrap_err().status, Status::ConnectFailed);
    let sim = back.join().unwrap();
    assert_eq!(count(&sim, "/submit"), 0);
    assert_eq!(c.retries(), 0);
}

#[test]
fn the_deadline_and_the_abort_switch_bound_the_attempts() {
    let sim = sim();
    let c = basic_client(&sim);
    c.set_retry(100, Duration::from_millis(400));
    sim.add_fault(FaultRule::always(Fault::Unavailable).on_path("/version"));
    // The deadline: no attempt starts that could not end in time; the last failure is reported.
    let view = c.with_controls(CallControls { timeout: Some(Duration::from_millis(900)), ..Default::default() });
    let started = Instant::now();
    let e = view.server_version().unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1400), "{took:?}");
    assert!(
        (e.status == Status::ServerError && e.message.contains("time limit")) || e.status == Status::Timeout,
        "{:?}: {}",
        e.status,
        e.message
    );
    let attempts = count(&sim, "/version");
    assert!((2..=10).contains(&attempts), "{attempts} attempts within 900 ms");
    // The abort switch stops a pause between attempts at once.
    sim.clear_requests();
    let abort = Arc::new(AbortHandle::new());
    let view = c.with_controls(CallControls { abort: Some(abort.clone()), ..Default::default() });
    let trigger = {
        let abort = abort.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            abort.trigger();
        })
    };
    let started = Instant::now();
    let e = view.server_version().unwrap_err();
    trigger.join().unwrap();
    assert_eq!(e.status, Status::Aborted, "{}", e.message);
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    let attempts = count(&sim, "/version");
    assert!((2..=8).contains(&attempts), "{attempts} attempts before the abort");
}

/// A server answering 503 with `Retry-After: {value}` to the first `busy` requests, then 200.
fn busy_then_ok(busy: usize, retry_after: &'static str) -> (Scripted, Arc<Mutex<Vec<Instant>>>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = times.clone();
    let server = Scripted::start(move |_, s| {
        t.lock().unwrap().push(Instant::now());
        let answer = if seen.fetch_add(1, Ordering::SeqCst) < busy {
            response("503 Service Unavailable", &[("Retry-After", retry_after)], b"busy")
        } else {
            response("200 OK", &[("Content-Type", "text/plain")], b"2024.2")
        };
        let _ = s.write_all(&answer);
    });
    (server, times)
}

#[test]
fn retry_after_is_honoured_within_the_longest_pause() {
    let (server, times) = busy_then_ok(1, "1");
    let c = Client::new(&server.url()).unwrap();
    c.set_retry(4, Duration::from_secs(2));
    assert_eq!(c.server_version().unwrap(), b"2024.2");
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 2);
    assert!(times[1] - times[0] >= Duration::from_millis(990), "waited {:?}", times[1] - times[0]);

    // Asked to wait longer than the longest pause: not retried, and the message says why.
    let (server, times) = busy_then_ok(1, "30");
    let c = Client::new(&server.url()).unwrap();
    let e = c.server_version().unwrap_err();
    assert_eq!(e.http_status, 503);
    assert!(e.message.contains("asked to wait 30 s"), "{}", e.message);
    assert_eq!(times.lock().unwrap().len(), 1);
}

#[test]
fn each_retry_logs_one_info_line_with_its_reason_and_no_secret() {
    let sim = sim();
    let c = quick_client(&sim);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    c.set_log(Some(Arc::new(move |level: LogLevel, line: &str| l.lock().unwrap().push((level, line.to_string())))));
    c.login(USER, PASSWORD).unwrap();
    let token = c.token().unwrap().expose().to_string();
    sim.add_fault(FaultRule::once(Fault::Unavailable).on_path("/version"));
    sim.add_fault(FaultRule::once(Fault::Drop).on_path("/version"));
    c.server_version().unwrap();
    let lines = lines.lock().unwrap().clone();
    let retries: Vec<_> = lines.iter().filter(|(_, l)| l.contains("sending it again")).collect();
    assert_eq!(retries.len(), 2, "{lines:?}");
    assert!(retries.iter().all(|(level, _)| *level == LogLevel::Info));
    assert!(retries[0].1.contains("GET /rest/serverengine/authentication/version: HTTP 503"), "{}", retries[0].1);
    assert!(
        retries[1].1.contains("lost before an answer") && retries[1].1.contains("attempt 3 of 4"),
        "{}",
        retries[1].1
    );
    for (_, line) in &lines {
        assert!(!line.contains(&token) && !line.contains(PASSWORD), "{line}");
    }
}

/// Submits an operation running `ms` milliseconds.
fn op_of(c: &Client, ms: u64) -> String {
    submit(c, &print_config("Invoice-PDF.OL-outputpreset", &format!(r#""sim_output_size":10,"sim_duration_ms":{ms}"#)))
}

/// Every look of the watcher fails for now: the list answers 503, progress calls are dropped.
fn outage(sim: &Simulator) {
    sim.add_fault(FaultRule::always(Fault::Unavailable).on_path("/getOperations"));
    sim.add_fault(FaultRule::always(Fault::Drop).on_path("/getProgress/"));
}

#[test]
fn a_wait_goes_on_through_an_outage_of_its_looks() {
    let sim = sim();
    let c = Arc::new(quick_client(&sim));
    let op = op_of(&c, 2000);
    outage(&sim);
    let waiter = {
        let (c, op) = (c.clone(), op.clone());
        std::thread::spawn(move || c.wait(&op, Some(Duration::from_secs(30)), &mut |_| true))
    };
    // Long enough for many failed looks (the watcher used to give up after three).
    std::thread::sleep(Duration::from_millis(1500));
    let failed = count(&sim, "/getOperations");
    sim.clear_faults();
    waiter.join().unwrap().expect("the wait ends well once the server answers again");
    assert!(failed >= 3 * 4, "{failed} getOperations failed during the outage, 4 attempts per look");
    assert!(c.retries() >= 3 * 3, "{} retries", c.retries());
}

#[test]
fn a_wait_whose_deadline_passes_in_an_outage_reports_the_last_failure_and_how_to_resume() {
    let sim = sim();
    let c = quick_client(&sim);
    let (op, other) = (op_of(&c, 60_000), op_of(&c, 60_000));
    outage(&sim);
    let started = Instant::now();
    let e = c.wait(&op, Some(Duration::from_millis(1500)), &mut |_| true).unwrap_err();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_millis(2500), "{took:?}");
    // A timeout (the deadline passed: waiting again is the way on) carrying the last failure.
    assert_eq!((e.status, e.http_status), (Status::Timeout, 503), "{}", e.message);
    for words in [
        format!("operation '{op}' did not finish"),
        "temporarily unavailable".to_string(),
        format!("wait again for operation '{op}'"),
        "may still be running".to_string(),
    ] {
        assert!(e.message.contains(&words), "{words:?} in {}", e.message);
    }
    // The same for many operations: the failure is that of one of them, named.
    let e = c.wait_all(&[&op, &other], Some(Duration::from_millis(800))).unwrap_err();
    assert_eq!(e.http_status, 503, "{}", e.message);
    assert!(
        e.message.contains("2 of the 2 operations") && e.message.contains("wait again for operation"),
        "{}",
        e.message
    );
    let e = c.wait_any(&[&op, &other], Some(Duration::from_millis(800))).unwrap_err();
    assert_eq!(e.http_status, 503, "{}", e.message);
    // A wait's abort switch still ends it at once.
    let abort = Arc::new(AbortHandle::new());
    let view = c.with_controls(CallControls { abort: Some(abort.clone()), ..Default::default() });
    let trigger = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        abort.trigger();
    });
    let started = Instant::now();
    assert_eq!(view.wait(&op, None, &mut |_| true).unwrap_err().status, Status::Aborted);
    assert!(started.elapsed() < Duration::from_millis(800), "{:?}", started.elapsed());
    trigger.join().unwrap();
    // Once the server answers again, a wait for the same operation sees it running: at the
    // watcher's next look, at most one interval (2 s after an outage) later.
    sim.clear_faults();
    let cleared = Instant::now();
    let e = loop {
        let e = c.wait(&op, Some(Duration::from_millis(500)), &mut |_| true).unwrap_err();
        assert_eq!(e.status, Status::Timeout, "{}", e.message);
        if e.http_status == 0 || cleared.elapsed() > Duration::from_secs(4) {
            break e;
        }
    };
    assert_eq!(e.http_status, 0, "a look went through within an interval: {}", e.message);
    assert!(!e.message.contains("failed for the last"), "{}", e.message);
}

#[test]
fn server_errors_that_may_be_the_job_failing_still_end_a_wait() {
    let sim = sim();
    let c = quick_client(&sim);
    let op = op_of(&c, 60_000);
    sim.add_fault(FaultRule::always(Fault::Error500Json("Job creation failed".into())).on_path("/getOperations"));
    let started = Instant::now();
    let e = c.wait(&op, Some(Duration::from_secs(20)), &mut |_| true).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(e.status == Status::ServerError && e.message.contains("Job creation failed"), "{}", e.message);
    assert_eq!(count(&sim, "/getOperations"), 3, "a 500 is not retried, and three in a row end the wait");
}

#[test]
fn a_wait_without_deadline_gives_up_after_the_outage_limit_with_the_last_failure() {
    let sim = sim();
    let c = quick_client(&sim);
    let (op, other) = (op_of(&c, 60_000), op_of(&c, 60_000));
    assert_eq!(c.outage_limit(), Some(Duration::from_secs(600)), "the default: ten minutes");
    c.set_outage_limit(Some(Duration::from_millis(1000)));
    outage(&sim);
    let started = Instant::now();
    let e = c.wait(&op, None, &mut |_| true).unwrap_err();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(3000), "{took:?}");
    // The last failure itself (a 503: the server is not answering), not a timeout of the wait.
    assert_eq!((e.status, e.http_status), (Status::ServerError, 503), "{}", e.message);
    for words in [format!("operation '{op}'"), "outage".to_string(), "may still be running".to_string()] {
        assert!(e.message.contains(&words), "{words:?} in {}", e.message);
    }
    // Waiting again gets a whole limit of its own, though the outage (and the entry) went on.
    for again in [
        Box::new(|| c.wait_any(&[&op, &other], None).map(drop)) as Box<dyn Fn() -> olconnect_wf::Result<()>>,
        Box::new(|| c.wait_all(&[&op, &other], None)),
    ] {
        let started = Instant::now();
        assert_eq!(again().unwrap_err().http_status, 503);
        assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
    }
    // No limit: the wait goes on until its own deadline.
    c.set_outage_limit(None);
    let e = c.wait(&op, Some(Duration::from_millis(1500)), &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
}
