//! The simulator against the REST facts of docs/rest-api.md, over raw HTTP, plus bad input
//! that must get a documented status and a JSON Error, never a crash or a hang.

mod common;

use common::*;
use olconnect_sim::{Dialect, Fault, FaultRule, Settings, Simulator, SpoolContent};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A simulator whose spool files are deterministic bytes (tests/output.rs checks the PDFs).
fn sim_with(change: impl FnOnce(&mut Settings)) -> Simulator {
    let mut s = Settings { op_duration: Duration::ZERO, spool_content: SpoolContent::Pattern, ..Default::default() };
    change(&mut s);
    Simulator::start(s).unwrap()
}

#[test]
fn handshakes_and_versions() {
    let sim = sim_with(|_| {});
    let a = call(&sim, "GET", AIO, BASIC, "");
    assert_eq!((a.status, a.text().as_str()), (200, "Server Engine REST Service available: PrintRestService"));
    let a = call(&sim, "GET", "/rest/serverengine/authentication", BASIC, "");
    assert_eq!(a.text(), "Server Engine REST Service available: AuthenticationRestService");
    let a = call(&sim, "HEAD", "/rest/serverengine/authentication", BASIC, "");
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty() && a.header("content-length").is_some());
    let a = call(&sim, "HEAD", "/rest/serverengine/authentication", "", "");
    assert_eq!(a.status, 401, "HEAD tells whether credentials are accepted");
    assert_eq!(call(&sim, "GET", &format!("{AIO}/version"), BASIC, "").text(), "2024.2.1.12345");
    assert_eq!(call(&sim, "GET", "/rest/serverengine/authentication/version", BASIC, "").text(), "2024.2.1.12345");
}

#[test]
fn both_auth_dialects_answer_as_documented() {
    let modern = sim_with(|_| {});
    let a = call(&modern, "GET", AIO, "", "");
    assert_eq!((a.status, a.header("www-authenticate").as_deref()), (401, Some("BASIC")));
    a.json_error();
    let a = call(&modern, "GET", AIO, "auth_token: bogus\r\n", "");
    assert_eq!((a.status, a.header("www-authenticate").as_deref()), (401, Some("BASIC")));
    let a = call(&modern, "POST", "/rest/serverengine/authentication/login", "", "");
    assert_eq!((a.status, a.header("www-authenticate").as_deref()), (401, Some("BASIC")));
    let a = call(&modern, "POST", "/rest/serverengine/authentication/login", BASIC, "");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(a.header("token-expires-in").as_deref(), Some("3600"));
    let token = a.text();
    assert_eq!(call(&modern, "GET", AIO, &format!("auth_token: {token}\r\n"), "").status, 200);
    modern.expire_tokens();
    let a = call(&modern, "GET", AIO, &format!("auth_token: {token}\r\n"), "");
    assert_eq!(a.status, 401);
    assert!(a.json_error()["error"]["message"].as_str().unwrap().contains("expired"));

    let legacy = sim_with(|s| s.dialect = Dialect::Legacy);
    let a = call(&legacy, "GET", AIO, "", "");
    assert_eq!((a.status, a.header("www-authenticate").as_deref(), a.body.len()), (401, Some("BASIC"), 0));
    let a = call(&legacy, "GET", AIO, "auth_token: bogus\r\n", "");
    assert_eq!(a.status, 403, "old servers: 403 for an invalid token");
    assert_eq!(call(&legacy, "GET", AIO, "Authorization: Basic Zm9vOmJhcg==\r\n", "").status, 403);
    let token = call(&legacy, "POST", "/rest/serverengine/authentication/login", BASIC, "").text();
    legacy.expire_tokens();
    let a = call(&legacy, "GET", AIO, &format!("auth_token: {token}\r\n"), "");
    assert_eq!((a.status, a.header("content-type").as_deref()), (401, Some("text/plain")));

    let open = sim_with(|s| s.security = false);
    assert_eq!(call(&open, "GET", AIO, "", "").status, 200);
}

#[test]
fn submit_progress_and_every_result_endpoint() {
    let sim = sim_with(|_| {});
    let a = call(&sim, "POST", &format!("{AIO}/submit"), BASIC, FULL);
    assert_eq!((a.status, a.body.len()), (202, 0));
    let id = a.header("operationId").unwrap();
    let link = a.header("link").unwrap();
    for rel in ["progress", "result", "cancel"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(link.contains(&format!("<{AIO}/getProgress/{id}>")));
    assert_eq!(call(&sim, "GET", &format!("{AIO}/getProgress/{id}"), BASIC, "").text(), "done");

    let r = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!((r.status, r.body.len()), (200, 1000));
    assert_eq!(r.header("content-type").as_deref(), Some("application/octet-stream"));
    assert_eq!(r.header("x-result-type").as_deref(), Some("Output-Streamed"));
    assert!(
        r.header("x-data-set-id").is_some()
            && r.header("x-content-set-id").is_some()
            && r.header("x-job-set-id").is_some()
    );
    assert!(r.body == olconnect_sim::generated_bytes(0, 1000));

    let t = call(&sim, "POST", &format!("{AIO}/getResultTxt/{id}"), BASIC, "");
    assert_eq!(t.header("content-type").as_deref(), Some("text/plain"));
    assert!(t.text().starts_with("/var/lib/olconnect/spool/") && t.text().ends_with("job_0001.pdf"));

    let m = call(&sim, "POST", &format!("{AIO}/getManagedResult/{id}"), BASIC, "");
    let v: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
    assert!(v["identifier"].is_u64() && v["files"][0] == "job_0001.pdf");
    assert_eq!(m.header("x-result-type").as_deref(), Some("Output-Managed-Info"));
    let folder = v["identifier"].as_u64().unwrap();
    let f = call(&sim, "GET", &format!("/rest/serverengine/filestore/file/{folder}/job_0001.pdf"), BASIC, "");
    assert_eq!((f.status, f.body.len()), (200, 1000));
    assert_eq!(f.header("content-disposition").as_deref(), Some("attachment; filename=job_0001.pdf"));
    let z = call(&sim, "GET", &format!("/rest/serverengine/filestore/file/{folder}"), BASIC, "");
    assert_eq!(z.header("content-type").as_deref(), Some("application/zip"));
    let d = call(&sim, "GET", "/rest/serverengine/filestore/file/Invoice.OL-template", BASIC, "");
    assert_eq!(d.status, 200);

    assert_eq!(call(&sim, "POST", &format!("{AIO}/cancel/{id}"), BASIC, "").status, 204);
    let gone = call(&sim, "POST", &format!("{AIO}/cancel/{id}"), BASIC, "");
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json_error()["error"]["parameter"], id.as_str());
}

#[test]
fn progress_operations_list_and_the_ambiguity_switches() {
    let sim = sim_with(|s| s.op_duration = Duration::from_millis(400));
    let id = submit(&sim, FULL);
    let p: u32 = call(&sim, "GET", &format!("{AIO}/getProgress/{id}"), BASIC, "").text().parse().unwrap();
    assert!(p < 100);
    let ops: serde_json::Value =
        serde_json::from_slice(&call(&sim, "GET", &format!("{AIO}/getOperations"), BASIC, "").body).unwrap();
    let entry = ops.as_array().unwrap().iter().find(|o| o["id"] == id.as_str()).unwrap();
    assert_eq!(entry["type"], "PrintRestService");
    assert!(entry["startTime"].is_u64() && entry["progress"].is_u64() && entry["subTask"].is_string());
    assert_eq!(entry["template"], "Invoice.OL-template");
    let early = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!(early.status, 500);
    early.json_error();

    sim.update(|s| {
        s.progress_gone_after = Some(Duration::ZERO);
        s.delete_after_read = true;
    });
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(call(&sim, "GET", &format!("{AIO}/getProgress/{id}"), BASIC, "").status, 404);
    let ops: serde_json::Value =
        serde_json::from_slice(&call(&sim, "GET", &format!("{AIO}/getOperations"), BASIC, "").body).unwrap();
    assert!(ops.as_array().unwrap().is_empty(), "finished operations leave the list");
    assert_eq!(call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "").status, 200);
    assert_eq!(
        call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "").status,
        404,
        "deleted after the first read"
    );

    let failing = submit(
        &sim,
        &FULL.replace("\"sim_output_size\":1000", "\"sim_fail\":\"Preset not usable\",\"sim_duration_ms\":0"),
    );
    let a = call(&sim, "POST", &format!("{AIO}/getResult/{failing}"), BASIC, "");
    assert_eq!(a.status, 500);
    assert_eq!(a.json_error()["error"]["message"], "Preset not usable");
}

#[test]
fn multi_file_results_use_the_configured_separator() {
    let sim = sim_with(|s| s.path_separator = ";".into());
    let id = submit(&sim, &FULL.replace("Invoice-PDF", "Invoice-Split"));
    let r = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!(r.header("x-result-type").as_deref(), Some("Output-Local-Filepath"));
    assert_eq!(r.text().split(';').count(), 3);
}

#[test]
fn adhoc_data_runs_async_and_sync() {
    let sim = sim_with(|_| {});
    let path = format!("{AIO}/Invoice.OL-datamapper/Invoice.OL-template/0/Invoice-PDF.OL-outputpreset");
    let a = call(&sim, "POST", &path, &format!("{BASIC}Content-Type: application/octet-stream\r\n"), "id,name\n1,A\n");
    assert_eq!(a.status, 202);
    assert!(a.header("operationId").is_some() && a.header("link").is_some());
    let a = call(&sim, "POST", &format!("{path}?async=false"), BASIC, "id\n1\n");
    assert_eq!((a.status, a.body.len()), (200, 256 * 1024));
    let a = call(&sim, "POST", &format!("{path}?async=false&resultAsTxt=true"), BASIC, "id\n1\n");
    assert_eq!(a.header("content-type").as_deref(), Some("text/plain"));
    assert!(a.text().ends_with(".pdf"));
    let bad = call(
        &sim,
        "POST",
        &format!("{AIO}/Nope.OL-datamapper/Invoice.OL-template/0/Invoice-PDF.OL-outputpreset"),
        BASIC,
        "x",
    );
    assert_eq!(bad.status, 400);
    assert!(bad.json_error()["error"]["message"].as_str().unwrap().contains("Datamapper config"));
}

#[test]
fn bad_input_gets_a_status_and_a_json_error() {
    let sim = sim_with(|s| s.max_body = 1000);
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (b"GARBAGE\r\n\r\n".to_vec(), 400),
        (b"GET /x HTTP/2.0\r\n\r\n".to_vec(), 505),
        (b"get /x HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET x HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/1.1\r\nContent-Length: lots\r\n\r\n".to_vec(), 400),
        (b"GET /\xff\xfe HTTP/1.1\r\n\r\n".to_vec(), 400),
        ([b"GET / HTTP/1.1\r\nX-Big: ".to_vec(), vec![b'a'; 70_000], b"\r\n\r\n".to_vec()].concat(), 431),
        (b"POST /rest/serverengine/workflow/print/submit HTTP/1.1\r\nContent-Length: 5000\r\n\r\n".to_vec(), 413),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(), 400),
    ];
    for (request, status) in cases {
        let a = raw(&sim, &request);
        assert_eq!(a.status, status, "{:?}", String::from_utf8_lossy(&request[..request.len().min(60)]));
        a.json_error();
    }
    let checks = [
        ("POST", format!("{AIO}/submit"), "{not json", 400),
        (
            "POST",
            format!("{AIO}/submit"),
            r#"{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"},"teleport":{}}"#,
            400,
        ),
        (
            "POST",
            format!("{AIO}/submit"),
            r#"{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"},"jobcreation":{}}"#,
            500,
        ),
        ("POST", format!("{AIO}/submit"), "[]", 400),
        ("GET", format!("{AIO}/submit"), "", 405),
        ("DELETE", format!("{AIO}/getResult/x"), "", 405),
        ("POST", format!("{AIO}/getResult/%zz"), "", 400),
        ("GET", format!("{AIO}/getProgress/..%2F..%2Fetc"), "", 404),
        ("GET", "/rest/serverengine/nothing/here".to_string(), "", 404),
        ("GET", "/".to_string(), "", 404),
        ("GET", "/sim/requests".to_string(), "", 404),
        ("GET", "/rest/serverengine/filestore/file/..".to_string(), "", 404),
    ];
    for (method, path, body, status) in checks {
        let a = call(&sim, method, &path, BASIC, body);
        assert_eq!(a.status, status, "{method} {path} {body}");
        a.json_error();
    }
    let mut chunked = TcpStream::connect(sim.addr()).unwrap();
    chunked.write_all(b"POST /rest/serverengine/workflow/print/submit HTTP/1.1\r\nAuthorization: Basic b2wtYWRtaW46c2VjcmV0\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n[]\r\n0\r\n\r\n").unwrap();
    let mut answer = String::new();
    chunked.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "a chunked body is read: {answer}");
    // A client that goes silent mid-request or sends binary noise does not take the server down.
    let mut silent = TcpStream::connect(sim.addr()).unwrap();
    silent.write_all(b"GET / HT").unwrap();
    let mut noise = TcpStream::connect(sim.addr()).unwrap();
    let _ = noise.write_all(&(0..=255u8).cycle().take(100_000).collect::<Vec<u8>>());
    assert_eq!(call(&sim, "GET", AIO, BASIC, "").status, 200);
}

#[test]
fn faults_hit_the_requests_they_target() {
    let sim = sim_with(|_| {});
    let id = submit(&sim, FULL);
    sim.add_fault(FaultRule::times(Fault::Unavailable, 2).on_operation(&id));
    assert_eq!(call(&sim, "GET", AIO, BASIC, "").status, 200, "other requests are not hit");
    assert_eq!(call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "").status, 503);
    assert_eq!(call(&sim, "GET", &format!("{AIO}/getProgress/{id}"), BASIC, "").status, 503);
    assert_eq!(call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "").status, 200, "then success");
    sim.add_fault(FaultRule::always(Fault::Error500Text("boom".into())).on_path("/version"));
    for _ in 0..3 {
        let a = call(&sim, "GET", &format!("{AIO}/version"), BASIC, "");
        assert_eq!((a.status, a.text().as_str()), (500, "boom"));
    }
    sim.clear_faults();
    sim.add_fault(FaultRule::once(Fault::Chunked));
    let a = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!(a.header("transfer-encoding").as_deref(), Some("chunked"));
    sim.add_fault(FaultRule::once(Fault::ShortBody(50)));
    let a = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!((a.header("content-length").as_deref(), a.body.len()), (Some("1050"), 1000));
    sim.add_fault(FaultRule::once(Fault::CloseMidBody(10)));
    let a = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!((a.header("content-length").as_deref(), a.body.len()), (Some("1000"), 10));
}

#[test]
fn the_request_log_redacts_secrets() {
    let sim = sim_with(|_| {});
    call(&sim, "GET", AIO, BASIC, "");
    call(&sim, "GET", AIO, "auth_token: tok-123\r\n", "");
    let log = sim.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].header("authorization"), Some("Basic <redacted>"));
    assert_eq!(log[1].header("auth_token"), Some("<redacted>"));
    assert!(!format!("{log:?}").contains("b2wtYWRtaW46c2VjcmV0") && !format!("{log:?}").contains("tok-123"));
}

#[test]
fn control_routes_drive_the_simulator_over_http() {
    let sim = sim_with(|s| s.control = true);
    let post = |path: &str, body: &str| call(&sim, "POST", path, "", body);
    assert_eq!(post("/sim/settings", r#"{"dialect":"legacy","token_ttl":5}"#).status, 200);
    assert_eq!(sim.settings().dialect, Dialect::Legacy);
    assert_eq!(post("/sim/settings", r#"{"dialect":"future"}"#).status, 400);
    assert_eq!(post("/sim/faults", r#"{"kind":"error_500_json","message":"injected","path":"/version"}"#).status, 200);
    assert_eq!(call(&sim, "GET", &format!("{AIO}/version"), BASIC, "").json_error()["error"]["message"], "injected");
    assert_eq!(post("/sim/faults", r#"{"kind":"nonsense"}"#).status, 400);
    let log: serde_json::Value = serde_json::from_slice(&call(&sim, "GET", "/sim/requests", "", "").body).unwrap();
    assert_eq!(log.as_array().unwrap().len(), 1, "control routes are not logged");
    assert_eq!(log[0]["headers"]["authorization"], "Basic <redacted>");
    assert_eq!(call(&sim, "DELETE", "/sim/requests", "", "").status, 200);
    assert!(sim.requests().is_empty());
    let stats: serde_json::Value = serde_json::from_slice(&call(&sim, "GET", "/sim/stats", "", "").body).unwrap();
    assert!(stats["connections"].as_u64().unwrap() >= 5);
}
