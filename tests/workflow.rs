//! Submit, progress, wait, cancel, the text endpoints, streaming and files against the simulator.

mod common;
use common::*;
use olconnect_sim::generated_bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn submit_maps_the_servers_rejections() {
    let sim = sim();
    let c = basic_client(&sim);
    let e = c.submit(r#"{"datamining":{"identifier":"missing.csv","config":"Invoice.OL-datamapper"}}"#).unwrap_err();
    assert_eq!((e.status, e.http_status), (Status::BadRequest, 400));
    assert!(
        e.message.contains("Datafile 'missing.csv' could not be found") && e.message.contains("parameter: missing.csv"),
        "{}",
        e.message
    );
    let e = c
        .submit(&format!(r#"{{{DATA_MAPPING},"outputcreation":{{"config":"Invoice-PDF.OL-outputpreset"}}}}"#))
        .unwrap_err();
    assert_eq!(e.status, Status::ServerError);
    assert!(e.message.contains("logical sequence"), "{}", e.message);
    assert_eq!(c.submit("{not json").unwrap_err().status, Status::BadRequest);
    assert_eq!(c.submit("  ").unwrap_err().status, Status::InvalidArgument);
    let id = submit(&c, &format!("{{{DATA_MAPPING}}}"));
    assert_eq!(id.len(), 36);
    let log = sim.requests();
    let last = log.last().unwrap();
    assert_eq!(last.header("content-type"), Some("application/json"));
}

#[test]
fn progress_counts_up_then_says_done() {
    let sim = sim_with(|s| s.op_duration = Duration::from_millis(400));
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    let p = c.progress(&op).unwrap();
    assert!(!p.done && p.percent < 100);
    // Waiting (not sleeping a guessed time) until the server says the operation finished.
    c.wait(&op, None, &mut |_| true).unwrap();
    let p = c.progress(&op).unwrap();
    assert!(p.done && p.percent == 100);
    assert_eq!(c.progress("nope").unwrap_err().status, Status::NotFound);
}

#[test]
fn wait_reports_rising_percentages_and_finishes() {
    let sim = sim_with(|s| s.op_duration = Duration::from_millis(1200));
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    let mut seen = Vec::new();
    c.wait(&op, None, &mut |p| {
        seen.push(p);
        true
    })
    .unwrap();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "never twice the same value: {seen:?}");
    assert_eq!(*seen.last().unwrap(), 100);
    let polls = count(&sim, "/getProgress/");
    assert!(polls <= 12, "a back-off, not a busy loop: {polls} polls in 1.2 s");
}

#[test]
fn wait_treats_404_after_running_as_finished() {
    let sim = sim_with(|s| {
        s.op_duration = Duration::from_millis(500);
        s.progress_gone_after = Some(Duration::ZERO);
    });
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    let mut last = -1;
    c.wait(&op, Some(Duration::from_secs(10)), &mut |p| {
        last = p;
        true
    })
    .unwrap();
    assert_eq!(last, 100);
    assert_eq!(c.progress(&op).unwrap_err().status, Status::NotFound, "the server really answered 404");
    assert_eq!(c.fetch_result(&op).unwrap().data.len(), 10, "the result is still there");
    // Never seen: a 404 is an error.
    assert_eq!(c.wait("unknown-op", None, &mut |_| true).unwrap_err().status, Status::NotFound);
}

#[test]
fn wait_honours_its_deadline_and_its_callback() {
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(60));
    let c = basic_client(&sim);
    let op = streamed_op(&c, 10);
    let start = Instant::now();
    let e = c.wait(&op, Some(Duration::from_millis(500)), &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::Timeout);
    assert!(start.elapsed() < Duration::from_secs(5));
    let e = c.wait(&op, None, &mut |_| false).unwrap_err();
    assert_eq!(e.status, Status::Aborted);
    assert!(e.message.contains("progress callback"), "{}", e.message);
}

#[test]
fn cancel_stops_a_wait_on_the_same_client() {
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(60));
    let c = Arc::new(basic_client(&sim));
    let op = streamed_op(&c, 10);
    let waiter = running_waiter(&c, &op);
    c.cancel(&op).unwrap();
    let e = waiter.join().unwrap().unwrap_err();
    assert_eq!(e.status, Status::Aborted, "{}", e.message);
    assert_eq!(c.cancel(&op).unwrap_err().status, Status::NotFound, "gone from the server");
    assert_eq!(c.progress(&op).unwrap_err().status, Status::NotFound);
}

#[test]
fn text_managed_operations_and_version() {
    let sim = sim_with(|s| s.op_duration = Duration::from_secs(60));
    let c = basic_client(&sim);
    let running = streamed_op(&c, 10);
    let ops = String::from_utf8(c.operations().unwrap()).unwrap();
    assert!(ops.starts_with('[') && ops.contains(&running) && ops.contains("PrintRestService"), "{ops}");
    assert_eq!(c.server_version().unwrap(), b"2024.2.1.12345");

    let sim = common::sim();
    let c = basic_client(&sim);
    let op = submit(&c, &print_config("Invoice-Split.OL-outputpreset", ""));
    let mut buf = vec![0u8; 4096];
    let olconnect_wf::Fetched::Copied(n) =
        c.fetch_text_into(olconnect_wf::ResultEndpoint::ResultText, &op, &mut buf).unwrap()
    else {
        panic!()
    };
    let text = std::str::from_utf8(&buf[..n - 1]).unwrap();
    assert_eq!(text.split(',').count(), 3, "{text}");
    let olconnect_wf::Fetched::Copied(n) =
        c.fetch_text_into(olconnect_wf::ResultEndpoint::ManagedResult, &op, &mut buf).unwrap()
    else {
        panic!()
    };
    let json = std::str::from_utf8(&buf[..n - 1]).unwrap();
    assert!(json.contains("\"identifier\":") && json.contains("job_0003.pdf"), "{json}");
}

#[test]
fn managed_output_downloads_as_file_or_zip() {
    let sim = sim_with(|s| s.output_size = Some(70_000));
    let c = basic_client(&sim);
    let op = submit(&c, &print_config("Invoice-Split.OL-outputpreset", ""));
    let mut buf = vec![0u8; 4096];
    let olconnect_wf::Fetched::Copied(n) =
        c.fetch_text_into(olconnect_wf::ResultEndpoint::ManagedResult, &op, &mut buf).unwrap()
    else {
        panic!()
    };
    let json = String::from_utf8(buf[..n - 1].to_vec()).unwrap();
    let id = json.split("\"identifier\":").nth(1).unwrap().trim_end_matches('}').split(',').next().unwrap().to_string();
    let dir = temp_dir("managed");
    c.download_managed(&id, Some("job_0002.pdf"), &dir.join("job_0002.pdf")).unwrap();
    assert!(std::fs::read(dir.join("job_0002.pdf")).unwrap() == generated_bytes(0, 70_000));
    c.download_managed(&id, None, &dir.join("all.zip")).unwrap();
    let zip = std::fs::read(dir.join("all.zip")).unwrap();
    assert!(zip.starts_with(b"PK\x03\x04") && zip.len() > 3 * 70_000);
    assert_eq!(c.download_managed("999999", None, &dir.join("x")).unwrap_err().status, Status::NotFound);
    assert!(!dir.join("x").exists());
    assert_eq!(c.download_managed("../1001", None, &dir.join("x")).unwrap_err().status, Status::InvalidArgument);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn streaming_delivers_in_order_and_stops_on_request() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 5_000_000);
    let mut got = Vec::new();
    let n = c
        .stream_result(&op, &mut |chunk| {
            assert!(chunk.len() <= 256 * 1024);
            got.extend_from_slice(chunk);
            true
        })
        .unwrap();
    assert_eq!(n, 5_000_000);
    assert!(got == generated_bytes(0, 5_000_000));
    let mut calls = 0;
    let e = c
        .stream_result(&op, &mut |_| {
            calls += 1;
            calls < 2
        })
        .unwrap_err();
    assert_eq!((e.status, calls), (Status::Aborted, 2));
    sim.add_fault(FaultRule::once(Fault::CloseMidBody(1_000_000)));
    let e = c.stream_result(&op, &mut |_| true).unwrap_err();
    assert_eq!(e.status, Status::UnexpectedResponse);
}

#[test]
fn files_appear_whole_or_not_at_all() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = streamed_op(&c, 2_000_000);
    let dir = temp_dir("files");
    let dest = dir.join("out.pdf");
    assert_eq!(c.result_to_file(&op, &dest).unwrap().0, 2_000_000);
    assert!(std::fs::read(&dest).unwrap() == generated_bytes(0, 2_000_000));

    std::fs::write(&dest, b"previous").unwrap();
    for fault in [Fault::CloseMidBody(700_000), Fault::ShortBody(5)] {
        sim.add_fault(FaultRule::once(fault));
        let e = c.result_to_file(&op, &dest).unwrap_err();
        assert_eq!(e.status, Status::UnexpectedResponse);
        assert_eq!(std::fs::read(&dest).unwrap(), b"previous", "replaced only on success");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left behind");
    }
    let e = c.result_to_file(&op, &dir.join("no-such-dir").join("x.pdf")).unwrap_err();
    assert_eq!(e.status, Status::IoError);
    sim.clear_requests();
    let e = c.result_to_file("gone", &dir.join("gone.pdf")).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    assert!(!dir.join("gone.pdf").exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn files_without_sync_are_still_whole_or_absent() {
    let sim = sim();
    let c = basic_client(&sim);
    c.set_durable_files(false);
    let op = streamed_op(&c, 20_000_000);
    let dir = temp_dir("nosync");
    assert_eq!(c.result_to_file(&op, &dir.join("fast.pdf")).unwrap().0, 20_000_000);
    assert!(std::fs::read(dir.join("fast.pdf")).unwrap() == generated_bytes(0, 20_000_000));
    sim.add_fault(FaultRule::once(Fault::CloseMidBody(9_000_000)));
    assert_eq!(c.result_to_file(&op, &dir.join("cut.pdf")).unwrap_err().status, Status::UnexpectedResponse);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no partial or temporary file");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn idempotent_calls_retry_a_refused_connection() {
    let sim = sim_with(|s| s.security = false);
    let addr = sim.addr();
    let c = Client::new(&sim.url()).unwrap();
    drop(sim);
    let restart = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        olconnect_sim::Simulator::bind(
            addr,
            Settings { security: false, spool_content: SpoolContent::Pattern, ..Default::default() },
        )
        .unwrap()
    });
    let e = c.progress("op-after-restart").unwrap_err();
    let _sim = restart.join().unwrap();
    assert_eq!(e.status, Status::NotFound, "retried until the server was back: {}", e.message);
    // A non-idempotent call is not retried.
    let c2 = Client::new("http://127.0.0.1:9").unwrap();
    assert_eq!(c2.cancel("x").unwrap_err().status, Status::ConnectFailed);
}

#[test]
fn text_results_as_strings() {
    let sim = sim();
    let c = basic_client(&sim);
    let op = submit(&c, &print_config("Invoice-Split.OL-outputpreset", ""));
    assert_eq!(c.result_text(&op).unwrap().split(',').count(), 3);
    let managed: serde_json::Value = serde_json::from_str(&c.managed_result(&op).unwrap()).unwrap();
    assert_eq!(managed["files"].as_array().unwrap().len(), 3);
    assert_eq!(c.result_text("no-such-op").unwrap_err().status, Status::NotFound);
}
