//! Get Result of Operation against the simulator: result kinds, the buffer protocol with its
//! kept body, every failure status, and operation ids that must not change the request path.

mod common;
use common::*;
use olconnect_sim::{generated_bytes, EarlyResult};
use olconnect_wf::{Fetched, ResultEndpoint, ResultType};
use std::time::Duration;

#[test]
fn entity_ids_with_their_headers() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = submit(&c, &format!(r#"{{{DATA_MAPPING},"returnIdInHeader":true}}"#));
    let r = c.fetch_result(&op).unwrap();
    assert_eq!(r.meta.result_type, ResultType::DataSetId);
    let id: i64 = std::str::from_utf8(&r.data).unwrap().parse().unwrap();
    assert_eq!(r.meta.data_set_id, Some(id));
    assert_eq!((r.meta.content_set_id, r.meta.job_set_id), (None, None));
    assert!(r.paths().unwrap().is_empty());

    let op = submit(
        &c,
        &format!(r#"{{{DATA_MAPPING},"contentcreation":{{"config":"Invoice.OL-template"}},"jobcreation":{{}}}}"#),
    );
    let r = c.fetch_result(&op).unwrap();
    assert_eq!(r.meta.result_type, ResultType::Unknown, "no returnIdInHeader, no headers");
    assert_eq!(r.meta.job_set_id, None);
    assert!(r.paths().unwrap().is_empty(), "an id is not a path list");
}

#[test]
fn a_single_spool_file_arrives_byte_exact() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 3 * 1024 * 1024 + 7);
    let r = c.fetch_result(&op).unwrap();
    assert_eq!(r.meta.result_type, ResultType::OutputStreamed);
    assert!(r.data == generated_bytes(0, 3 * 1024 * 1024 + 7));
    assert!(r.meta.data_set_id.is_some() && r.meta.content_set_id.is_some() && r.meta.job_set_id.is_some());
}

#[test]
fn several_spool_files_come_as_paths() {
    for separator in [",", "\r\n", " , "] {
        let sim = sim_with(|s| s.path_separator = separator.into());
        let c = basic_client(&sim);
        let op = submit(&c, &print_config("Invoice-Split.OL-outputpreset", ""));
        let r = c.fetch_result(&op).unwrap();
        assert_eq!(r.meta.result_type, ResultType::OutputPaths);
        assert_eq!(r.paths().unwrap().len(), 3, "{separator:?}");
        assert!(r.paths().unwrap().iter().all(|p| p.starts_with("/var/lib/olconnect/spool/") && p.ends_with(".pdf")));
    }
}

#[test]
fn too_small_buffer_keeps_the_body_and_asks_the_server_once() {
    let sim = sim_with(|s| s.delete_after_read = true);
    let c = basic_client(&sim);
    let op = streamed_op(&c, 5000);
    let mut none: [u8; 0] = [];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut none).unwrap(), Fetched::TooSmall(5000));
    let mut small = vec![0u8; 4999];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut small).unwrap(), Fetched::TooSmall(5000));
    let mut buf = vec![0u8; 5000];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(5000));
    assert!(buf == generated_bytes(0, 5000));
    assert_eq!(count(&sim, "/getResult/"), 1, "the retries used the kept body");
    // Delivered, so no longer kept: the server deleted it after the first read.
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap_err().status, Status::NotFound);
}

#[test]
fn text_results_count_their_nul() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = submit(&c, &format!(r#"{{{DATA_MAPPING}}}"#));
    let mut buf = [0u8; 64];
    let Fetched::Copied(n) = c.fetch_text_into(ResultEndpoint::ResultText, &op, &mut buf).unwrap() else { panic!() };
    assert_eq!(buf[n - 1], 0);
    assert!(std::str::from_utf8(&buf[..n - 1]).unwrap().parse::<i64>().is_ok());
    let mut tiny = [0u8; 2];
    assert_eq!(c.fetch_text_into(ResultEndpoint::ResultText, &op, &mut tiny).unwrap(), Fetched::TooSmall(n));
}

#[test]
fn a_buffer_of_exactly_the_right_size_is_enough() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 1000);
    let mut buf = vec![0u8; 1000];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(1000));
    // The connection went back to the pool: the next call reuses it.
    c.fetch_result(&op).unwrap();
    assert_eq!(sim.connections_accepted(), 1);
}

#[test]
fn unknown_operation_is_not_found_with_the_servers_words() {
    let sim = sim();
    let c = basic_client(&sim);
    let e = c.fetch_result("0000-missing").unwrap_err();
    assert_eq!((e.status, e.http_status), (Status::NotFound, 404));
    assert!(e.message.contains("Operation not found in Server (parameter: 0000-missing)"), "{}", e.message);
}

#[test]
fn before_completion_the_result_is_an_error_or_waits() {
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(30));
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    let e = c.fetch_result(&op).unwrap_err();
    assert_eq!((e.status, e.http_status), (Status::ServerError, 500));
    assert!(e.message.contains("has not completed yet"), "{}", e.message);

    let sim = sim_with(|s| {
        s.op_duration = Duration::from_millis(300);
        s.early_result = EarlyResult::Wait;
    });
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    assert_eq!(c.fetch_result(&op).unwrap().data.len(), 10);
}

#[test]
fn a_failed_operation_reports_the_step_error() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = submit(
        &c,
        &print_config(
            "Invoice-PDF.OL-outputpreset",
            r#""sim_fail":"Output creation failed: printer definition missing""#,
        ),
    );
    let e = c.fetch_result(&op).unwrap_err();
    assert_eq!(e.status, Status::ServerError);
    assert!(e.message.contains("printer definition missing"), "{}", e.message);
}

#[test]
fn operation_ids_that_could_change_the_path_are_refused_unsent() {
    let sim = sim();
    let c = basic_client(&sim);
    let bad =
        ["", ".", "..", "../getOperations", "a/b", "a?x=1", "a#f", "a%2F", "a\rb", "a\nb", "a\\b", "a\tb", "\u{0}"];
    for id in bad {
        let e = c.fetch_result(id).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{id:?}");
        assert_eq!(e.http_status, 0);
        assert_eq!(c.cancel(id).unwrap_err().status, Status::InvalidArgument);
        assert_eq!(c.progress(id).unwrap_err().status, Status::InvalidArgument);
    }
    assert!(sim.requests().is_empty());
    let e = c.fetch_result("späce op+1").unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    assert_eq!(sim.requests()[0].target, "/rest/serverengine/workflow/print/getResult/sp%C3%A4ce%20op%2B1");
}

#[test]
fn server_failures_map_to_statuses() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10_000);
    sim.add_fault(FaultRule::once(Fault::Unavailable));
    let e = c.fetch_result(&op).unwrap_err();
    assert_eq!((e.status, e.http_status), (Status::ServerError, 503));
    assert!(e.message.contains("temporarily unavailable"), "{}", e.message);
    assert_eq!(c.fetch_result(&op).unwrap().data.len(), 10_000, "503 then success");

    sim.add_fault(FaultRule::once(Fault::Error500Text("java.lang.NullPointerException".into())));
    let e = c.fetch_result(&op).unwrap_err();
    assert!(e.status == Status::ServerError && e.message.contains("NullPointerException"), "{}", e.message);

    sim.add_fault(FaultRule::once(Fault::Error500Json("Content creation failed".into())));
    let e = c.fetch_result(&op).unwrap_err();
    assert!(e.message.contains("Content creation failed"), "{}", e.message);
}

#[test]
fn broken_bodies_are_errors_never_short_results() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 1_000_000);
    for fault in [Fault::CloseMidBody(300_000), Fault::ShortBody(10)] {
        sim.add_fault(FaultRule::once(fault.clone()));
        let e = c.fetch_result(&op).unwrap_err();
        assert_eq!(e.status, Status::UnexpectedResponse, "{fault:?}: {}", e.message);
        assert!(e.message.contains("truncated") && e.message.contains("announced"), "{}", e.message);
        sim.add_fault(FaultRule::once(fault.clone()));
        let mut buf = vec![0u8; 2_000_000];
        let e = c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap_err();
        assert_eq!(e.status, Status::UnexpectedResponse, "{fault:?}");
    }
    sim.add_fault(FaultRule::once(Fault::Chunked));
    let mut buf = vec![0u8; 1_000_000];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(1_000_000));
    assert!(buf == generated_bytes(0, 1_000_000));
}

#[test]
fn read_timeout_bounds_silence_not_the_transfer() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 64 * 1024);
    c.set_timeouts(2000, 300);
    sim.add_fault(FaultRule::once(Fault::Delay(Duration::from_millis(1500))));
    let e = c.fetch_result(&op).unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    // 16 chunks 100 ms apart: 1.5 s in all, but never 300 ms of silence.
    sim.add_fault(FaultRule::once(Fault::Trickle { chunk: 4096, interval: Duration::from_millis(100) }));
    assert_eq!(c.fetch_result(&op).unwrap().data.len(), 64 * 1024);
}

#[test]
fn connection_problems_are_connect_failed() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    sim.add_fault(FaultRule::once(Fault::Drop));
    let e = c.fetch_result(&op).unwrap_err();
    assert_eq!((e.status, e.http_status), (Status::ConnectFailed, 0), "{}", e.message);
    let url = sim.url();
    drop(sim);
    let c = Client::new(&url).unwrap();
    let e = c.fetch_result(&op).unwrap_err();
    assert_eq!(e.status, Status::ConnectFailed, "{}", e.message);
    assert!(e.message.contains("is the server running"), "{}", e.message);
}

/// A body large enough to be read straight from the socket (src/wire/direct.rs, `DIRECT_MIN`), of
/// a size that is no multiple of any read size.
const LARGE: u64 = 9 * 1024 * 1024 + 77;

/// A buffer whose pages are in memory (written), as opposed to `vec![0; n]`, whose pages are
/// never touched.
fn resident_buffer(len: usize) -> Vec<u8> {
    vec![0xA5; len]
}

/// After a large body read into memory: on Linux it was read straight from the socket, past
/// ureq's view of the stream, so the connection is not reused; elsewhere (no page residency to
/// tell whether the pages are in, src/wire/sys/) it went through the buffered path and is.
fn assert_reuse(sim: &Simulator, c: &Client, op: &str) {
    let before = sim.connections_accepted();
    c.progress(op).unwrap();
    if cfg!(target_os = "linux") {
        assert_eq!(sim.connections_accepted(), before + 1, "a connection read past the stack is not reused");
    } else {
        assert_eq!(sim.connections_accepted(), before, "a connection read through the buffer is reused");
    }
}

#[test]
fn large_bodies_arrive_byte_exact_whether_read_past_the_stack_or_not() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, LARGE);
    let expected = generated_bytes(0, LARGE as usize);

    // Into a buffer in memory: read straight from the socket, so the connection is not pooled.
    let mut buf = resident_buffer(LARGE as usize + 10);
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(LARGE as usize));
    assert!(buf[..LARGE as usize] == expected[..], "resident buffer: content differs");
    assert!(buf[LARGE as usize..].iter().all(|&b| b == 0xA5), "nothing written past the body");
    assert_reuse(&sim, &c, &op);

    // Into untouched pages: they are brought in ahead of the reads, which then go straight
    // into them too.
    let mut fresh = vec![0u8; LARGE as usize];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut fresh).unwrap(), Fetched::Copied(LARGE as usize));
    assert!(fresh == expected, "fresh buffer: content differs");
    assert_reuse(&sim, &c, &op);

    // Into a vector the library grows (wf_get_result_ex), straight from the socket as well.
    assert!(c.fetch_result(&op).unwrap().data == expected, "library-owned result: content differs");
    assert_reuse(&sim, &c, &op);

    // Streamed, in pieces of at most 128 KiB (the C contract), though read 1 MiB at a time.
    let (mut streamed, mut largest) = (Vec::new(), 0);
    assert_eq!(
        c.stream_result(&op, &mut |chunk| {
            streamed.extend_from_slice(chunk);
            largest = largest.max(chunk.len());
            true
        })
        .unwrap(),
        LARGE
    );
    assert!(streamed == expected, "stream: content differs");
    assert_eq!(largest, 128 * 1024, "pieces of at most 128 KiB");
    let before = sim.connections_accepted();
    c.progress(&op).unwrap();
    assert_eq!(sim.connections_accepted(), before + 1, "the stream was read past the stack");

    let dir = temp_dir("large-direct");
    let dest = dir.join("out.pdf");
    assert_eq!(c.result_to_file(&op, &dest).unwrap().0, LARGE);
    assert!(std::fs::read(&dest).unwrap() == expected, "file: content differs");
    std::fs::remove_dir_all(&dir).unwrap();

    // Small bodies keep their connection whatever the buffer.
    let small = streamed_op(&c, 100_000);
    let mut buf = resident_buffer(100_000);
    c.fetch_into(ResultEndpoint::Result, &small, &mut buf).unwrap();
    let before = sim.connections_accepted();
    c.progress(&small).unwrap();
    assert_eq!(sim.connections_accepted(), before);
}

#[test]
fn a_large_body_broken_or_silent_past_the_stack_is_an_error_never_a_short_result() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, LARGE);
    let dir = temp_dir("large-direct-faults");
    let dest = dir.join("out.pdf");
    for fault in [Fault::CloseMidBody(5 * 1024 * 1024 + 3), Fault::ShortBody(1000)] {
        sim.add_fault(FaultRule::always(fault.clone()).on_path("getResult"));
        let mut buf = resident_buffer(LARGE as usize);
        let e = c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap_err();
        assert_eq!(e.status, Status::UnexpectedResponse, "{fault:?}: {}", e.message);
        assert!(e.message.contains("truncated") && e.message.contains("announced"), "{}", e.message);
        let e = c.fetch_into(ResultEndpoint::Result, &op, &mut vec![0u8; LARGE as usize]).unwrap_err();
        assert!(e.message.contains("truncated"), "{fault:?}, untouched buffer: {}", e.message);
        let e = c.fetch_result(&op).unwrap_err();
        assert!(e.message.contains("truncated"), "{fault:?}, library-owned result: {}", e.message);
        let e = c.stream_result(&op, &mut |_| true).unwrap_err();
        assert!(e.message.contains("truncated"), "{fault:?}: {}", e.message);
        let e = c.result_to_file(&op, &dest).unwrap_err();
        assert_eq!(e.status, Status::UnexpectedResponse, "{fault:?}: {}", e.message);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no partial or temporary file");
        sim.clear_faults();
    }
    // Four MiB, then silence longer than the read timeout, connection open.
    c.set_timeouts(2000, 300);
    let stall = Fault::Trickle { chunk: 4 * 1024 * 1024, interval: Duration::from_millis(3000) };
    sim.add_fault(FaultRule::always(stall).on_path("getResult"));
    let started = std::time::Instant::now();
    let e = c.fetch_into(ResultEndpoint::Result, &op, &mut resident_buffer(LARGE as usize)).unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    assert!(e.message.contains("went silent after 4194304 of"), "{}", e.message);
    assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
    let started = std::time::Instant::now();
    let e = c.fetch_result(&op).unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    assert!(e.message.contains("went silent after 4194304 of"), "{}", e.message);
    assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
    sim.clear_faults();
    // Slow but never silent for 300 ms: pieces that no read size divides, 150 ms apart.
    let slow = Fault::Trickle { chunk: 640 * 1024, interval: Duration::from_millis(150) };
    sim.add_fault(FaultRule::always(slow).on_path("getResult"));
    let mut buf = resident_buffer(LARGE as usize);
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(LARGE as usize));
    assert!(buf == generated_bytes(0, LARGE as usize));
    assert!(c.fetch_result(&op).unwrap().data == buf);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The C ABI's last error message on this thread.
fn last_error() -> String {
    // SAFETY: the library's message, valid until the next call on this thread.
    unsafe { std::ffi::CStr::from_ptr(olconnect_wf::ffi::wf_last_error_message()) }.to_string_lossy().into_owned()
}

#[test]
fn a_result_whose_path_list_cannot_be_built_is_kept_not_lost() {
    // Found by review: wf_get_result_ex read the body, failed to build its path list (more than
    // WF_MAX_PATHS paths) and dropped it; a server that deletes results once read then had
    // nothing left to give.
    use olconnect_wf::ffi;
    let sim = sim_with(|s| {
        s.delete_after_read = true;
        s.spool_dir = String::new();
        s.path_separator = "\n".into();
    });
    let c = basic_client(&sim);
    let paths = 1_000_001; // WF_MAX_PATHS + 1
    let op = submit(&c, &print_config("Invoice-Split.OL-outputpreset", &format!(r#""sim_spool_files":{paths}"#)));
    let url = std::ffi::CString::new(sim.url()).unwrap();
    let op_c = std::ffi::CString::new(op.clone()).unwrap();
    let mut client = std::ptr::null_mut();
    // SAFETY: valid strings and out-pointers; the client is freed once.
    unsafe {
        assert_eq!(ffi::client::wf_client_new(url.as_ptr(), &mut client), ffi::wf_status::WF_OK);
        ffi::client::wf_client_set_basic_auth(client, c"ol-admin".as_ptr(), c"secret".as_ptr());
        let mut result = std::ptr::null_mut();
        let status = ffi::result::wf_get_result_ex(client, op_c.as_ptr(), &mut result);
        assert_eq!(status, ffi::wf_status::WF_UNEXPECTED_RESPONSE, "{}", last_error());
        assert!(result.is_null());
        let m = last_error();
        assert!(m.contains("more than 1000000 paths") && m.contains("is kept") && m.contains(&op), "{m}");
        // The size query of the buffer protocol, then the bytes: the server is not asked again.
        let mut len = 0;
        let status = ffi::result::wf_get_result(client, op_c.as_ptr(), std::ptr::null_mut(), &mut len);
        assert_eq!(status, ffi::wf_status::WF_BUFFER_TOO_SMALL, "{}", last_error());
        let mut buf = vec![0u8; len];
        let status = ffi::result::wf_get_result(client, op_c.as_ptr(), buf.as_mut_ptr(), &mut len);
        assert_eq!(status, ffi::wf_status::WF_OK, "{}", last_error());
        ffi::client::wf_client_free(client);
        let text = std::str::from_utf8(&buf[..len]).unwrap();
        assert_eq!(text.lines().count(), paths);
        assert!(text.starts_with(&format!("/{op}/job_0001.pdf\n")) && text.ends_with("/job_1000001.pdf"));
    }
    assert_eq!(count(&sim, "/getResult/"), 1, "the body was read once");
}

#[test]
fn a_kept_result_too_large_for_the_budget_stays_kept_until_delivered() {
    // A body kept so as not to be lost may be over the budget for kept bodies: a fetch into a
    // buffer too small for it, or a stream stopped by its call's controls, keeps it still. The
    // server answers once, like one that deletes results once read.
    use common::scripted::{response, Scripted};
    use std::io::Write;
    let list = "/a\n".repeat(1_000_001).into_bytes();
    let served = list.clone();
    let answered = std::sync::atomic::AtomicBool::new(false);
    let server = Scripted::start(move |_, s| {
        let answer = if answered.swap(true, std::sync::atomic::Ordering::SeqCst) {
            response("404 Not Found", &[], b"Operation not found in Server")
        } else {
            response("200 OK", &[("X-Result-Type", "Output-Local-Filepath")], &served)
        };
        let _ = s.write_all(&answer);
    });
    let c = Client::new(&server.url()).unwrap();
    c.set_kept_limit(0);
    let e = c.fetch_result_with_paths("op").unwrap_err();
    assert_eq!(e.status, Status::UnexpectedResponse, "{}", e.message);
    let mut small = vec![0u8; 10];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, "op", &mut small).unwrap(), Fetched::TooSmall(list.len()));
    let stopping = c.with_controls(olconnect_wf::CallControls {
        on_transfer: Some(std::sync::Arc::new(|_: &olconnect_wf::Transfer| false)),
        ..Default::default()
    });
    let e = stopping.stream_result("op", &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::Aborted, "{}", e.message);
    let dir = temp_dir("kept-paths");
    c.set_durable_files(false);
    let (n, meta) = c.result_to_file("op", &dir.join("r.txt")).unwrap();
    assert_eq!((n as usize, meta.result_type), (list.len(), ResultType::OutputPaths));
    assert!(std::fs::read(dir.join("r.txt")).unwrap() == list);
    assert_eq!(server.heads().len(), 1, "the body was read once");
    assert_eq!(c.fetch_result("op").unwrap_err().status, Status::NotFound, "delivered, so no longer kept");
}

/// The result file replaces an existing one whole, or not at all: on Windows too (rename over an
/// existing file, docs/platforms.md), where make cross-test runs this under Wine.
#[test]
fn a_result_file_replaces_an_existing_one_or_leaves_it_as_it_was() {
    let sim = sim();
    let c = basic_client(&sim);
    let dir = temp_dir("replace");
    let dest = dir.join("out.pdf");
    std::fs::write(&dest, b"the previous result").unwrap();
    let op = streamed_op(&c, 200_000);
    sim.add_fault(FaultRule::always(Fault::CloseMidBody(100_000)).on_path("getResult"));
    assert!(c.result_to_file(&op, &dest).is_err());
    assert_eq!(std::fs::read(&dest).unwrap(), b"the previous result", "left as it was");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left beside it");
    sim.clear_faults();
    c.result_to_file(&op, &dest).unwrap();
    assert!(std::fs::read(&dest).unwrap() == generated_bytes(0, 200_000), "replaced whole");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
