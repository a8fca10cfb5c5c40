//! Calls made from inside another call: from a transfer callback, a stream sink or the log
//! hook, on the same client or another one. Each nested call has its own controls and
//! counters, the outer call's abort and deadline still bound it, it never waits for a lock or a
//! slot its own thread holds, and it never lends its connection to the outer call
//! (docs/architecture.md, "State of a call"). Every test is bounded: a regression fails it
//! instead of hanging the suite.

mod common;
use common::*;
use olconnect_wf::{AbortHandle, CallControls, Transfer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `f` on a thread and gives its outcome, or fails the test when it has not returned
/// within `bound` (a deadlock or a hang).
fn within<T: Send + 'static>(bound: Duration, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(bound).unwrap_or_else(|_| panic!("{what}: still running after {bound:?} (deadlock or hang)"))
}

#[test]
fn a_transfer_callback_may_cancel_the_operation_it_waits_for() {
    // Regression: the wait held its signal's lock while its transfer callback ran, and cancel
    // takes that lock: the thread, and every other wait or cancel on the client, hung.
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(60));
    let c = Arc::new(basic_client(&sim));
    let op = streamed_op(&c, 10);
    let (canceller, target) = (c.clone(), op.clone());
    let fired = Arc::new(AtomicBool::new(false));
    let flag = fired.clone();
    let begun = Instant::now();
    let view = c.with_controls(CallControls {
        on_transfer: Some(Arc::new(move |_: &Transfer| {
            // Polls take a millisecond: after a while the callback runs between two polls.
            if begun.elapsed() > Duration::from_millis(350) && !flag.swap(true, Ordering::SeqCst) {
                canceller.cancel(&target).expect("the cancel made from the callback is sent");
            }
            true
        })),
        timeout: Some(Duration::from_secs(20)),
        ..Default::default()
    });
    let waited = op.clone();
    let started = Instant::now();
    let outcome = within(Duration::from_secs(10), "wait", move || view.wait(&waited, None, &mut |_| true));
    let e = outcome.expect_err("the wait was cancelled");
    assert_eq!(e.status, Status::Aborted, "{}", e.message);
    assert!(e.message.contains("cancelled"), "{}", e.message);
    assert!(started.elapsed() < Duration::from_secs(3), "stopped at once: {:?}", started.elapsed());
    assert!(fired.load(Ordering::SeqCst));
    assert_eq!(count(&sim, "/cancel/"), 1, "the cancel reached the server");
    // The client is not left stuck: another wait for another operation works.
    let other = streamed_op(&c, 10);
    let c2 = c.clone();
    sim.update(|s| s.op_duration = Duration::ZERO);
    let done = submit(&c, &print_config("Invoice-PDF.OL-outputpreset", r#""sim_output_size":10"#));
    within(Duration::from_secs(10), "a later wait", move || c2.wait(&done, None, &mut |_| true)).unwrap();
    let c3 = c.clone();
    within(Duration::from_secs(10), "a later cancel", move || c3.cancel(&other)).unwrap();
}

#[test]
fn a_nested_call_obeys_its_own_view_and_keeps_the_outer_counters() {
    // Regression: a call made from a callback shared the outer call's scope: it ignored its own
    // view's abort switch and timeout, and reset the outer call's transfer counters.
    let sim = sim();
    let c = basic_client(&sim);
    let size = 1_500_000u64;
    let op = streamed_op(&c, size);
    let small = streamed_op(&c, 200_000);
    sim.add_fault(FaultRule::times(Fault::Delay(Duration::from_secs(3)), 2).on_path("version"));
    let aborted = Arc::new(AbortHandle::new());
    aborted.trigger();
    let aborted_view = c.with_controls(CallControls { abort: Some(aborted), ..Default::default() });
    let timed_view = c.with_controls(CallControls { timeout: Some(Duration::from_millis(300)), ..Default::default() });
    let reports = Arc::new(Mutex::new(Vec::<Transfer>::new()));
    let log = reports.clone();
    let outer = c.with_controls(CallControls {
        on_transfer: Some(Arc::new(move |t: &Transfer| {
            log.lock().unwrap().push(*t);
            true
        })),
        timeout: Some(Duration::from_secs(20)),
        ..Default::default()
    });
    let mut nested = None;
    let mut received = 0u64;
    let delivered = outer
        .stream_result(&op, &mut |chunk| {
            received += chunk.len() as u64;
            if nested.is_none() && received > 300_000 {
                let start = Instant::now();
                let a = aborted_view.server_version().map(drop);
                let a_took = start.elapsed();
                let start = Instant::now();
                let t = timed_view.server_version().map(drop);
                let t_took = start.elapsed();
                // A stream of its own, on the plain view: counted on its own frame.
                let mut n = 0;
                let s = c.stream_result(&small, &mut |piece| {
                    n += piece.len();
                    true
                });
                nested = Some((a, a_took, t, t_took, s, n));
            }
            true
        })
        .unwrap();
    assert_eq!(delivered, size);
    let (a, a_took, t, t_took, s, n) = nested.expect("the sink made its calls");
    assert_eq!(a.unwrap_err().status, Status::Aborted, "the nested view's own abort switch");
    assert!(a_took < Duration::from_millis(500), "{a_took:?}");
    assert_eq!(t.unwrap_err().status, Status::Timeout, "the nested view's own timeout");
    assert!(t_took < Duration::from_millis(900), "{t_took:?}");
    assert_eq!((s.unwrap(), n), (200_000, 200_000));
    let reports = reports.lock().unwrap();
    let last = reports.last().expect("reports were made");
    assert_eq!((last.received, last.receive_total), (size, Some(size)));
    for pair in reports.windows(2) {
        assert!(pair[1].received >= pair[0].received, "the outer counters went back: {pair:?}");
        assert_eq!(pair[1].receive_total, Some(size), "the outer total was replaced: {pair:?}");
    }
}

#[test]
fn an_outer_abort_still_stops_the_nested_call() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 1_000_000);
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_secs(5))).on_path("version"));
    let abort = Arc::new(AbortHandle::new());
    let outer = c.with_controls(CallControls { abort: Some(abort.clone()), ..Default::default() });
    let trigger = abort.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        trigger.trigger();
    });
    let mut nested = None;
    let outcome = outer.stream_result(&op, &mut |_| {
        if nested.is_none() {
            let start = Instant::now();
            nested = Some((c.server_version().map(drop), start.elapsed()));
        }
        true
    });
    let (n, took) = nested.unwrap();
    assert_eq!(n.unwrap_err().status, Status::Aborted, "the outer switch applies to the nested call");
    assert!(took < Duration::from_millis(800), "{took:?}");
    assert_eq!(outcome.unwrap_err().status, Status::Aborted);
}

fn capped(sim: &Simulator) -> Arc<Client> {
    let c = Arc::new(basic_client(sim));
    c.set_max_concurrent(1);
    c
}

#[test]
fn a_stream_sink_may_call_its_client_under_a_cap_of_one() {
    // Regression: the nested call waited for the slot its own thread held, forever.
    let sim = sim();
    let c = capped(&sim);
    let op = streamed_op(&c, 500_000);
    let outcome = within(Duration::from_secs(10), "stream", move || {
        let mut version = None;
        let n = c.stream_result(&op, &mut |_| {
            if version.is_none() {
                version = Some(c.server_version());
            }
            true
        });
        (n, version)
    });
    assert_eq!(outcome.0.unwrap(), 500_000);
    assert_eq!(outcome.1.unwrap().unwrap(), b"2024.2.1.12345");
}

#[test]
fn a_transfer_callback_may_call_its_client_under_a_cap_of_one() {
    let sim = sim();
    let c = capped(&sim);
    let op = streamed_op(&c, 500_000);
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(500))).on_path(&op));
    let inner = c.clone();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let seen = answers.clone();
    let begun = Instant::now();
    let view = c.with_controls(CallControls {
        on_transfer: Some(Arc::new(move |_: &Transfer| {
            // While the call waits for its delayed answer, holding its slot.
            if begun.elapsed() < Duration::from_millis(200) {
                return true;
            }
            let mut seen = seen.lock().unwrap();
            if seen.is_empty() {
                seen.push(inner.server_version().map(drop));
            }
            true
        })),
        ..Default::default()
    });
    let fetched = within(Duration::from_secs(10), "fetch", move || view.fetch_result(&op).map(|r| r.data.len()));
    assert_eq!(fetched.unwrap(), 500_000);
    let answers = answers.lock().unwrap();
    assert!(answers.len() == 1 && answers[0].is_ok(), "{:?}", answers.iter().map(|a| a.is_ok()).collect::<Vec<_>>());
}

#[test]
fn the_log_hook_may_call_its_client_under_a_cap_of_one() {
    let sim = sim();
    let c = capped(&sim);
    let inner = c.clone();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let seen = answers.clone();
    c.set_log(Some(Arc::new(move |_, _: &str| {
        let Ok(mut seen) = seen.try_lock() else { return };
        if seen.is_empty() {
            seen.push(inner.server_version().map(drop));
        }
    })));
    let outer = c.clone();
    within(Duration::from_secs(10), "version", move || outer.server_version()).unwrap();
    assert!(matches!(answers.lock().unwrap().first(), Some(Ok(()))));
    c.set_log(None);
}

#[test]
fn a_transfer_callback_may_call_a_client_that_must_log_in_again() {
    // The login lock is held while logging in: no callback runs then, so a call made from
    // one never waits for the lock its own thread holds.
    let sim = sim();
    let c = Arc::new(Client::new(&sim.url()).unwrap());
    c.login(USER, PASSWORD).unwrap();
    // The server forgets the token: the next call is refused and logs in again, slowly.
    sim.expire_tokens();
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(600))).on_path("authentication/login"));
    let inner = c.clone();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let seen = answers.clone();
    let begun = Instant::now();
    let view = c.with_controls(CallControls {
        on_transfer: Some(Arc::new(move |_: &Transfer| {
            if begun.elapsed() < Duration::from_millis(250) {
                return true;
            }
            let mut seen = seen.lock().unwrap();
            if seen.is_empty() {
                seen.push(inner.server_version().map(drop));
            }
            true
        })),
        timeout: Some(Duration::from_secs(8)),
        ..Default::default()
    });
    within(Duration::from_secs(10), "version after the token expired", move || view.server_version()).unwrap();
    assert!(matches!(answers.lock().unwrap().first(), Some(Ok(()))));
}
