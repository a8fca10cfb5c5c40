//! The client's watcher: every wait on a client is served by one `getOperations` per interval,
//! with a `getProgress` only for an operation no longer (or not yet) listed; each wait keeps its
//! own deadline, abort switch and cancel; `wait_any`/`wait_all` over many ids; the fallback to
//! per-operation polls when the server refuses the list. Request counts come from the
//! simulator's journal.

mod common;
use common::*;
use olconnect_wf::{AbortHandle, CallControls};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Submits an operation running `ms` milliseconds.
fn op_of(c: &Client, ms: u64) -> String {
    submit(c, &print_config("Invoice-PDF.OL-outputpreset", &format!(r#""sim_output_size":10,"sim_duration_ms":{ms}"#)))
}

#[test]
fn many_waits_share_one_poll() {
    let sim = sim();
    let c = Arc::new(basic_client(&sim));
    let n = 120;
    let ops: Vec<String> = (0..n).map(|i| op_of(&c, 300 + (i as u64 % 12) * 100)).collect();
    sim.clear_requests();
    let started = Instant::now();
    let waiters: Vec<_> = ops
        .iter()
        .map(|op| {
            // Waits join one after another, as they do on a slow machine or under an emulator.
            std::thread::sleep(Duration::from_millis(5));
            let (c, op) = (c.clone(), op.clone());
            std::thread::spawn(move || {
                let mut last = 0;
                c.wait(&op, Some(Duration::from_secs(30)), &mut |p| {
                    assert!(p >= last, "progress went back");
                    last = p;
                    true
                })
                .map(|()| last)
            })
        })
        .collect();
    for w in waiters {
        assert_eq!(w.join().unwrap().unwrap(), 100, "each wait ends with 100");
    }
    let elapsed = started.elapsed();
    let lists = count(&sim, "/getOperations");
    let progress = count(&sim, "/getProgress/");
    // One list per interval at most (intervals start at 100 ms), and a progress call per
    // operation that left the list (or was never in it), not one per wait per interval.
    let most_lists = (elapsed.as_millis() / 100 + 2) as usize;
    assert!(lists <= most_lists, "{lists} getOperations in {elapsed:?}");
    assert!(progress <= n + n / 4, "{progress} getProgress for {n} operations");
    // Per-wait polling would have asked each operation's progress several times.
    assert!(lists + progress < 3 * n, "{lists} + {progress} requests");
}

#[test]
fn wait_any_gives_the_first_to_end_and_wait_all_waits_for_every_one() {
    let sim = sim();
    let c = basic_client(&sim);
    let slow = op_of(&c, 3000);
    let fast = op_of(&c, 300);
    let medium = op_of(&c, 900);
    let ids = [slow.as_str(), fast.as_str(), medium.as_str()];
    let (first, outcome) = c.wait_any(&ids, Some(Duration::from_secs(10))).unwrap();
    assert_eq!((first, outcome), (1, Ok(())));
    let started = Instant::now();
    c.wait_all(&ids, Some(Duration::from_secs(10))).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1500), "wait_all returned before the slow one ended");
    // A failure is reported with the operation it belongs to.
    let missing = "no-such-operation";
    let running = op_of(&c, 60_000);
    let (which, outcome) = c.wait_any(&[running.as_str(), missing], Some(Duration::from_secs(10))).unwrap();
    assert_eq!(which, 1);
    let e = outcome.unwrap_err();
    assert_eq!(e.status, Status::NotFound, "{}", e.message);
    assert!(e.message.contains(missing), "{}", e.message);
    let e = c.wait_all(&[fast.as_str(), missing], Some(Duration::from_secs(10))).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    assert_eq!(c.wait_any(&[], None).unwrap_err().status, Status::InvalidArgument);
    assert_eq!(c.wait_any(&["a/b"], None).unwrap_err().status, Status::InvalidArgument);
    c.cancel(&running).unwrap();
}

#[test]
fn each_wait_keeps_its_own_deadline_abort_and_cancel() {
    let sim = sim();
    let c = Arc::new(basic_client(&sim));
    let long = op_of(&c, 60_000);
    let other = op_of(&c, 60_000);
    let done = op_of(&c, 1500);
    // One wait times out, one is aborted, one is cancelled: the fourth goes on and finishes.
    let finishing = {
        let (c, op) = (c.clone(), done.clone());
        std::thread::spawn(move || c.wait(&op, Some(Duration::from_secs(20)), &mut |_| true))
    };
    let started = Instant::now();
    let e = c.wait(&long, Some(Duration::from_millis(400)), &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::Timeout);
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    let abort = Arc::new(AbortHandle::new());
    let view = c.with_controls(CallControls { abort: Some(abort.clone()), ..Default::default() });
    let aborted = {
        let op = long.clone();
        std::thread::spawn(move || view.wait(&op, None, &mut |_| true))
    };
    let cancelled = {
        let (c, op) = (c.clone(), other.clone());
        std::thread::spawn(move || c.wait(&op, None, &mut |_| true))
    };
    std::thread::sleep(Duration::from_millis(300));
    abort.trigger();
    let t = Instant::now();
    c.cancel(&other).unwrap();
    assert_eq!(aborted.join().unwrap().unwrap_err().status, Status::Aborted);
    assert_eq!(cancelled.join().unwrap().unwrap_err().status, Status::Aborted);
    assert!(t.elapsed() < Duration::from_millis(500), "{:?}", t.elapsed());
    finishing.join().unwrap().expect("the other wait was not disturbed");
    c.cancel(&long).unwrap();
}

#[test]
fn a_server_refusing_the_list_is_watched_operation_by_operation() {
    let sim = sim_with(|s| s.operations_list = false);
    let c = Arc::new(basic_client(&sim));
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = lines.clone();
    c.set_log(Some(Arc::new(move |level, line: &str| log.lock().unwrap().push(format!("{level:?} {line}")))));
    let ops: Vec<String> = (0..10).map(|i| op_of(&c, 200 + i * 50)).collect();
    let ids: Vec<&str> = ops.iter().map(String::as_str).collect();
    c.wait_all(&ids, Some(Duration::from_secs(20))).unwrap();
    let progress = count(&sim, "/getProgress/");
    assert!(progress >= 10, "each operation was asked");
    assert_eq!(count(&sim, "/getOperations"), 1, "the refused list is not asked again");
    let warnings: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("Warn") && l.contains("getOperations"))
        .cloned()
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    c.set_log(None);
}

#[test]
fn an_operation_that_ends_before_the_first_look_and_one_that_never_existed() {
    let sim = sim();
    let c = basic_client(&sim);
    let instant = op_of(&c, 0);
    std::thread::sleep(Duration::from_millis(100));
    let mut seen = Vec::new();
    c.wait(&instant, Some(Duration::from_secs(10)), &mut |p| {
        seen.push(p);
        true
    })
    .unwrap();
    assert_eq!(seen.last(), Some(&100));
    let e = c.wait("never-submitted", Some(Duration::from_secs(10)), &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::NotFound, "{}", e.message);
}

/// How many times this thread has gone to sleep and been woken (voluntary context switches).
#[cfg(target_os = "linux")]
fn sleeps_of_this_thread() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) }, 0);
    usage.ru_nvcsw as i64
}

#[cfg(target_os = "linux")]
#[test]
fn idle_waits_sleep_until_their_own_operation_changes() {
    // Regression: every wait woke every 100 ms, and every look of the watcher woke every wait of
    // the client, so thousands of waiting threads kept the machine busy waking up
    // (bench/RESULTS.md, "Many concurrent waits"). Now a wait without an abort switch or a
    // transfer callback sleeps until one of its own operations changes (or 2 s pass).
    let sim = sim();
    let c = Arc::new(basic_client(&sim));
    let n = 200;
    // Operations that do not end within the waits' 4 s, and whose progress changes at most 4 times.
    let long: Vec<String> = (0..n).map(|_| op_of(&c, 100_000)).collect();
    let waiters: Vec<_> = long
        .into_iter()
        .map(|op| {
            let c = c.clone();
            std::thread::spawn(move || {
                let before = sleeps_of_this_thread();
                let outcome = c.wait(&op, Some(Duration::from_secs(4)), &mut |_| true);
                (outcome, sleeps_of_this_thread() - before)
            })
        })
        .collect();
    let mut sleeps: Vec<i64> = waiters
        .into_iter()
        .map(|w| {
            let (outcome, sleeps) = w.join().unwrap();
            assert_eq!(outcome.unwrap_err().status, Status::Timeout);
            sleeps
        })
        .collect();
    sleeps.sort();
    let median = sleeps[n / 2];
    // Measured on 200 waits of 4 s: a median of 5 (at most 8) now; 129 (at most 156) when each
    // wait woke every 100 ms and at every change of any operation.
    assert!(median <= 20, "a wait of 4 s slept and woke {median} times (median of {n}; all: {sleeps:?})");
}

#[test]
fn a_wait_taking_up_a_kept_operation_does_not_restart_the_back_off() {
    // Regression: the watcher took an operation it had not seen at its last look for a newcomer
    // and looked again within 100 ms; a loop of wait_any leaves its operations unwaited between
    // two calls, so every turn restarted the back-off (47 looks in 14.7 s where the schedule
    // allows 9, bench/wait.sh with 10,000 operations).
    let sim = sim();
    let c = Arc::new(basic_client(&sim));
    let (held, looped) = (op_of(&c, 60_000), op_of(&c, 60_000));
    let window = Duration::from_secs(6);
    let holder = {
        let (c, held) = (c.clone(), held.clone());
        std::thread::spawn(move || c.wait(&held, Some(window), &mut |_| true))
    };
    std::thread::sleep(Duration::from_millis(50));
    sim.clear_requests();
    let started = Instant::now();
    while started.elapsed() < window - Duration::from_millis(700) {
        let e = c.wait_any(&[looped.as_str()], Some(Duration::from_millis(300))).unwrap_err();
        assert_eq!(e.status, Status::Timeout);
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(holder.join().unwrap().unwrap_err().status, Status::Timeout);
    let lists = count(&sim, "/getOperations");
    // The schedule (100 ms growing by half to 2 s) makes 9 looks in 6 s, one of them for the
    // newcomer (measured: 9); restarting at every turn of the loop made 30.
    assert!(lists <= 14, "{lists} getOperations in {:?}", started.elapsed());
}
