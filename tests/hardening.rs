//! A broken or hostile server (or caller) must never crash, exhaust, mislead or expose the host
//! program: one test per defect, against the simulator or a scripted server of the test's own.

mod common;
use base64::Engine;
use common::scripted::{head_header, response, Scripted};
use common::*;
use olconnect_wf::ffi;
use olconnect_wf::{Fetched, ResultEndpoint};
use std::ffi::{CStr, CString};
use std::io::Write;

fn last_error() -> String {
    unsafe { CStr::from_ptr(ffi::wf_last_error_message()) }.to_string_lossy().into_owned()
}

#[test]
fn base_urls_with_a_bad_port_or_no_host_are_refused() {
    for bad in [
        "http://127.0.0.1:99999",
        "http://127.0.0.1:65536",
        "http://127.0.0.1:abc",
        "http://127.0.0.1:",
        "http://127.0.0.1:0",
        "http://:9340",
        "http://127.0.0.1:-80",
        "http://127.0.0.1:+80",
        "http://127.0.0.1:80:80",
        "http://[::1",
        "https://[::1]x:1",
    ] {
        let e = Client::new(bad).err().unwrap_or_else(|| panic!("{bad} was accepted"));
        assert_eq!(e.status, Status::InvalidArgument, "{bad}");
        assert!(e.message.contains("port") || e.message.contains("host"), "{bad}: {}", e.message);
    }
    for (good, base) in [
        ("http://127.0.0.1:1", "http://127.0.0.1:1"),
        ("http://h:65535/prefix/", "http://h:65535/prefix"),
        ("http://[::1]:9340", "http://[::1]:9340"),
        ("HTTPS://Connect.example", "HTTPS://Connect.example"),
    ] {
        assert_eq!(Client::new(good).unwrap().base_url(), base);
    }
}

#[test]
fn proxy_urls_with_a_bad_port_or_no_host_are_refused() {
    let c = Client::new("http://127.0.0.1:9").unwrap();
    for bad in [
        "http://127.0.0.1:99999",
        "socks5://127.0.0.1:99999",
        "http://127.0.0.1:",
        "http://:3128",
        "socks5://127.0.0.1:0",
        "ftp://127.0.0.1:21",
        "http://127.0.0.1:3128/?x=1",
    ] {
        let e = c.set_proxy(Some(bad)).err().unwrap_or_else(|| panic!("{bad} was accepted"));
        assert_eq!(e.status, Status::InvalidArgument, "{bad}");
    }
    for good in ["http://127.0.0.1:3128", "socks5://user:pw@127.0.0.1:1080", "http://proxy.example"] {
        c.set_proxy(Some(good)).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    let e = c.set_proxy(Some("http://alice:Pr0xyPassw0rd@127.0.0.1:99999")).unwrap_err();
    assert!(!e.message.contains("Pr0xyPassw0rd"), "{}", e.message);
}

#[test]
fn urls_with_credentials_or_a_query_are_never_quoted() {
    let e = Client::new("http://bob:S3cr3tPw@127.0.0.1:9340").err().unwrap();
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(!e.message.contains("S3cr3tPw") && !e.message.contains("bob"), "{}", e.message);
    assert!(e.message.contains("set them on the client instead"), "says what to use instead: {}", e.message);
    let e = Client::new("http://127.0.0.1:9340/?auth_token=T0pS3cret").err().unwrap();
    assert!(!e.message.contains("T0pS3cret"), "{}", e.message);
    let e = Client::new("http://127.0.0.1:99999/#T0pS3cret").err().unwrap();
    assert!(!e.message.contains("T0pS3cret"), "{}", e.message);
}

/// A server that rejects everything and echoes, in its JSON error, every credential it saw.
fn echoing_server() -> Scripted {
    Scripted::start(|head, s| {
        let basic = head_header(head, "Authorization").unwrap_or("").to_string();
        let decoded = basic
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|d| String::from_utf8_lossy(&d).into_owned())
            .unwrap_or_default();
        let token = head_header(head, "auth_token").unwrap_or("");
        let password = decoded.split_once(':').map_or("", |(_, p)| p);
        let b64 = basic.strip_prefix("Basic ").unwrap_or("");
        let said =
            format!("denied: header [{basic}] pair [{decoded}] password [{password}] token [{token}] b64 [{b64}]");
        let body = format!(r#"{{"error":{{"status":401,"message":"{said}"}}}}"#);
        let _ = s.write_all(&response("401 Unauthorized", &[("Content-Type", "application/json")], body.as_bytes()));
    })
}

fn assert_no_secret(message: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!message.contains(s), "{s:?} leaked in: {message}");
    }
}

#[test]
fn secrets_a_server_echoes_are_scrubbed_in_every_form() {
    let server = echoing_server();
    let c = Client::new(&server.url()).unwrap();
    let pair_b64 = base64::engine::general_purpose::STANDARD.encode("ol-admin:Pa55word!x");
    // The password being tried at login is not in use yet, but is just as secret.
    let e = c.login("ol-admin", "Pa55word!x").unwrap_err();
    assert_eq!(e.status, Status::AuthFailed);
    assert!(e.message.contains("denied"), "the server's words stay: {}", e.message);
    assert_no_secret(&e.message, &["Pa55word!x", &pair_b64]);

    c.set_basic_auth("ol-admin", "Pa55word!x").unwrap();
    let e = c.progress("op").unwrap_err();
    assert_no_secret(&e.message, &["Pa55word!x", &pair_b64]);

    c.set_token("T0ken-Value-123").unwrap();
    let e = c.progress("op").unwrap_err();
    assert_no_secret(&e.message, &["T0ken-Value-123"]);

    // A password too short to cut out safely: the server's words are withheld instead.
    c.set_basic_auth("ol-admin", "Zq").unwrap();
    let e = c.progress("op").unwrap_err();
    assert_no_secret(&e.message, &["Zq", &base64::engine::general_purpose::STANDARD.encode("ol-admin:Zq")]);
    assert!(e.message.contains("withheld"), "{}", e.message);
}

#[test]
fn a_huge_token_lifetime_is_clamped_not_a_panic() {
    for lifetime in ["18446744073709551615", "9223372036854775807", "99999999999999999999999"] {
        let lifetime = lifetime.to_string();
        let server = Scripted::start(move |head, s| {
            let answer = if head.starts_with("POST /rest/serverengine/authentication/login") {
                response("200 OK", &[("Token-Expires-In", &lifetime)], b"tok-abc")
            } else {
                response("200 OK", &[("Content-Type", "text/plain")], b"42")
            };
            let _ = s.write_all(&answer);
        });
        let c = Client::new(&server.url()).unwrap();
        c.login("u", "p").unwrap();
        assert_eq!(c.progress("op").unwrap().percent, 42);
    }
}

#[test]
fn a_long_json_error_still_gives_the_servers_message() {
    let stack = "at com.objectiflune.Some.method(Some.java:42)\\n".repeat(8000); // ~370 KiB
    for body in [
        format!(
            r#"{{"error":{{"status":500,"message":"Template Invoice not found","parameter":"Invoice","stackTrace":"{stack}"}}}}"#
        ),
        format!(
            r#"{{"error":{{"stackTrace":"{stack}","status":500,"message":"Template Invoice not found","parameter":"Invoice"}}}}"#
        ),
        // So long that only a prefix is read: the message comes before the cut.
        format!(
            r#"{{"error":{{"status":500,"message":"Template Invoice not found","parameter":"Invoice","stackTrace":"{}"}}}}"#,
            stack.repeat(8)
        ),
    ] {
        let server =
            Scripted::answering(response("500 Server Error", &[("Content-Type", "application/json")], body.as_bytes()));
        let c = Client::new(&server.url()).unwrap();
        let e = c.progress("op").unwrap_err();
        assert_eq!(e.status, Status::ServerError);
        assert!(
            e.message.contains("Template Invoice not found (parameter: Invoice)"),
            "{}",
            &e.message[..e.message.len().min(300)]
        );
        assert!(e.message.len() < 4096);
    }
}

#[test]
fn a_download_onto_a_directory_fails_before_asking_the_server() {
    let sim = sim_with(|s| s.delete_after_read = true);
    let c = basic_client(&sim);
    let op = streamed_op(&c, 1000);
    let dir = temp_dir("onto-dir");
    let e = c.result_to_file(&op, &dir).unwrap_err();
    assert_eq!(e.status, Status::IoError, "{}", e.message);
    assert!(e.message.contains("directory"), "{}", e.message);
    assert_eq!(count(&sim, "/getResult/"), 0, "the one-time result was not consumed");
    let e = c.download_managed("5000", None, &dir).unwrap_err();
    assert_eq!(e.status, Status::IoError);
    assert_eq!(count(&sim, "/filestore/"), 0);
    assert_eq!(c.fetch_result(&op).unwrap().data.len(), 1000);
}

#[test]
fn a_kept_body_survives_a_download_that_fails_locally() {
    let sim = sim_with(|s| s.delete_after_read = true);
    let c = basic_client(&sim);
    let op = streamed_op(&c, 5000);
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut []).unwrap(), Fetched::TooSmall(5000));
    assert_eq!(c.stream_result(&op, &mut |_| false).unwrap_err().status, Status::Aborted);
    let mut buf = vec![0u8; 5000];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(5000));
    assert_eq!(count(&sim, "/getResult/"), 1, "the kept body was given back, not lost");
}

/// File modes are a Unix notion (docs/platforms.md: on Windows a result file is renamed over the
/// destination the same way, tested by the other result-file tests).
#[cfg(unix)]
mod modes {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask() {
        let sim = sim();
        let c = basic_client(&sim);
        let dir = temp_dir("modes");
        let dest = dir.join("out.pdf");
        std::fs::write(&dest, b"old").unwrap();
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600)).unwrap();
        c.result_to_file(&streamed_op(&c, 100), &dest).unwrap();
        assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o7777, 0o600);
        assert_eq!(std::fs::read(&dest).unwrap().len(), 100);
        let fresh = dir.join("new.pdf");
        c.result_to_file(&streamed_op(&c, 100), &fresh).unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o666 & !umask());
    }
}

#[test]
fn a_destination_name_of_255_bytes_works() {
    let sim = sim();
    let c = basic_client(&sim);
    let dir = temp_dir("long-name");
    for len in [241, 250, 255] {
        let dest = dir.join(format!("{}.pdf", "a".repeat(len - 4)));
        c.result_to_file(&streamed_op(&c, 100), &dest).unwrap_or_else(|e| panic!("{len}: {e}"));
        assert_eq!(std::fs::read(&dest).unwrap().len(), 100);
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3, "no temporary file left");
}

#[test]
fn file_store_names_with_percent_hash_or_question_mark_are_encoded() {
    let server = Scripted::answering(response("200 OK", &[], b"zip"));
    let c = Client::new(&server.url()).unwrap();
    let dir = temp_dir("fs-names");
    c.download_managed("50% off.pdf", None, &dir.join("a")).unwrap();
    c.download_managed("5000", Some("a#b?c.pdf"), &dir.join("b")).unwrap();
    let heads = server.heads();
    assert!(heads[0].starts_with("GET /rest/serverengine/filestore/file/50%25%20off.pdf HTTP/1.1"), "{}", heads[0]);
    assert!(heads[1].starts_with("GET /rest/serverengine/filestore/file/5000/a%23b%3Fc.pdf HTTP/1.1"), "{}", heads[1]);
    for bad in ["a/b", "..", ".", "", "a\\b", "a\nb"] {
        assert_eq!(c.download_managed(bad, None, &dir.join("c")).unwrap_err().status, Status::InvalidArgument);
    }
    assert_eq!(server.heads().len(), 2);
}

#[test]
fn compressed_bodies_are_refused_and_identity_is_asked_for() {
    let server =
        Scripted::answering(response("200 OK", &[("Content-Encoding", "gzip")], b"\x1f\x8b\x08\x00 not the result"));
    let c = Client::new(&server.url()).unwrap();
    let e = c.fetch_result("op").unwrap_err();
    assert_eq!(e.status, Status::UnexpectedResponse);
    assert!(e.message.contains("gzip"), "{}", e.message);
    assert_eq!(head_header(&server.heads()[0], "Accept-Encoding"), Some("identity"));
    let server = Scripted::answering(response("200 OK", &[("Content-Encoding", "Identity")], b"12"));
    assert_eq!(Client::new(&server.url()).unwrap().fetch_result("op").unwrap().data, b"12");
}

#[test]
fn a_capacity_over_isize_max_is_refused_before_sending() {
    let server = Scripted::answering(response("200 OK", &[], b"12"));
    let url = CString::new(server.url()).unwrap();
    let mut client = std::ptr::null_mut();
    unsafe {
        assert_eq!(ffi::client::wf_client_new(url.as_ptr(), &mut client), ffi::wf_status::WF_OK);
        let mut byte = 0u8;
        let mut len = isize::MAX as usize + 1;
        let s = ffi::result::wf_get_result(client, c"op".as_ptr(), &mut byte, &mut len);
        assert_eq!(s, ffi::wf_status::WF_INVALID_ARGUMENT);
        assert!(last_error().contains("capacity"), "{}", last_error());
        assert_eq!(len, isize::MAX as usize + 1, "untouched");
        ffi::client::wf_client_free(client);
    }
    assert!(server.heads().is_empty());
}

#[test]
fn buffer_too_small_messages_are_true_for_each_function() {
    let sim = sim_with(|s| s.delete_after_read = true);
    let url = CString::new(sim.url()).unwrap();
    let mut client = std::ptr::null_mut();
    unsafe {
        assert_eq!(ffi::client::wf_client_new(url.as_ptr(), &mut client), ffi::wf_status::WF_OK);
        ffi::client::wf_client_set_basic_auth(client, c"ol-admin".as_ptr(), c"secret".as_ptr());
        let mut small = [0u8; 4];
        let too_small = ffi::wf_status::WF_BUFFER_TOO_SMALL;

        let mut len = small.len();
        let config = CString::new(format!("{{{DATA_MAPPING}}}")).unwrap();
        assert_eq!(ffi::workflow::wf_submit(client, config.as_ptr(), small.as_mut_ptr().cast(), &mut len), too_small);
        let m = last_error();
        assert!(m.contains("nothing was sent") && !m.contains("kept"), "submit: {m}");
        assert_eq!(sim.requests().len(), 0);

        let mut len = small.len();
        assert_eq!(ffi::workflow::wf_server_version(client, small.as_mut_ptr().cast(), &mut len), too_small);
        let m = last_error();
        assert!(m.contains("asked again") && !m.contains("kept") && !m.contains("not asked"), "version: {m}");

        let mut len = 2; // "[]" and its NUL need 3
        assert_eq!(ffi::workflow::wf_get_operations(client, small.as_mut_ptr().cast(), &mut len), too_small);
        let m = last_error();
        assert!(m.contains("asked again") && !m.contains("kept") && !m.contains("not asked"), "operations: {m}");

        let c = basic_client(&sim);
        let op = CString::new(streamed_op(&c, 100)).unwrap();
        let mut len = small.len();
        assert_eq!(ffi::result::wf_get_result(client, op.as_ptr(), small.as_mut_ptr(), &mut len), too_small);
        let m = last_error();
        assert!(m.contains("kept") && m.contains("not asked again"), "getResult: {m}");
        ffi::client::wf_client_free(client);
    }
}

#[test]
fn a_progress_answer_cut_short_is_called_truncated() {
    let server =
        Scripted::answering(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n50".to_vec());
    let e = Client::new(&server.url()).unwrap().progress("op").unwrap_err();
    assert_eq!(e.status, Status::UnexpectedResponse);
    assert!(e.message.contains("truncated") && e.message.contains("2 of 5000"), "{}", e.message);
    assert!(!e.message.contains("over the limit"), "{}", e.message);
    // Really over the limit: said so, with the limit.
    let body = "1".repeat(5000);
    let server = Scripted::answering(response("200 OK", &[], body.as_bytes()));
    let e = Client::new(&server.url()).unwrap().progress("op").unwrap_err();
    assert!(e.message.contains("over the limit"), "{}", e.message);
}

#[test]
fn kept_bodies_live_within_a_budget() {
    let sim = sim_with(|s| s.delete_after_read = false);
    let c = basic_client(&sim);
    c.set_kept_limit(12_000);
    let ops: Vec<String> = (0..3).map(|_| streamed_op(&c, 5000)).collect();
    for op in &ops {
        assert_eq!(c.fetch_into(ResultEndpoint::Result, op, &mut []).unwrap(), Fetched::TooSmall(5000));
    }
    assert_eq!(c.kept_bytes(), 10_000, "the oldest was released for the third");
    let mut buf = vec![0u8; 5000];
    sim.clear_requests();
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &ops[2], &mut buf).unwrap(), Fetched::Copied(5000));
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &ops[1], &mut buf).unwrap(), Fetched::Copied(5000));
    assert_eq!(count(&sim, "/getResult/"), 0, "kept");
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &ops[0], &mut buf).unwrap(), Fetched::Copied(5000));
    assert_eq!(count(&sim, "/getResult/"), 1, "the released one was asked again");

    // A body larger than the whole budget is never kept; the caller learns its size and why.
    let big = streamed_op(&c, 20_000);
    let e = c.fetch_into(ResultEndpoint::Result, &big, &mut []).unwrap();
    assert_eq!(e, Fetched::NotKept(20_000));
    assert_eq!(c.kept_bytes(), 0);
}

#[test]
fn a_released_kept_body_is_named_when_the_server_no_longer_has_it() {
    let sim = sim_with(|s| s.delete_after_read = true);
    let c = basic_client(&sim);
    c.set_kept_limit(6_000);
    let first = streamed_op(&c, 5000);
    let second = streamed_op(&c, 5000);
    for op in [&first, &second] {
        assert_eq!(c.fetch_into(ResultEndpoint::Result, op, &mut []).unwrap(), Fetched::TooSmall(5000));
    }
    let e = c.fetch_into(ResultEndpoint::Result, &first, &mut vec![0u8; 5000]).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    assert!(e.message.contains("released"), "{}", e.message);
}

#[test]
fn text_answers_are_capped() {
    let body = "/var/spool/a.pdf\r\n".repeat(300_000); // 5.4 MB
    let server = Scripted::answering(response("200 OK", &[], body.as_bytes()));
    let c = Client::new(&server.url()).unwrap();
    let e = c.fetch_text_into(ResultEndpoint::ResultText, "op", &mut []).unwrap_err();
    assert_eq!(e.status, Status::UnexpectedResponse);
    assert!(e.message.contains("over the limit of 4194304"), "{}", e.message);
    let e = c.fetch_text_into(ResultEndpoint::ManagedResult, "op", &mut []).unwrap_err();
    assert_eq!(e.status, Status::UnexpectedResponse);
    assert_eq!(c.operations().unwrap_err().status, Status::UnexpectedResponse);
}

#[test]
fn server_words_quoted_from_a_usable_status_are_scrubbed_too() {
    // Found by the `http_response` fuzz target: an unparsable progress answer was quoted in the
    // message as the server sent it, echoed password included. The same holds for a File Store
    // delete answer and a content coding header.
    let password = "Pa55word-echoed";
    let answers = [
        response("200 OK", &[("Content-Type", "text/plain")], format!("42 {password}\0").as_bytes()),
        response("200 OK", &[("Content-Type", "text/plain")], format!("maybe {password}").as_bytes()),
        response("200 OK", &[("Content-Encoding", &format!("x-{password}"))], b"12"),
    ];
    for (i, answer) in answers.into_iter().enumerate() {
        let server = Scripted::answering(answer);
        let c = Client::new(&server.url()).unwrap();
        c.set_basic_auth("ol-admin", password).unwrap();
        let e = match i {
            0 => c.progress("op").unwrap_err(),
            1 => c.delete_managed("file").unwrap_err(),
            _ => c.fetch_result("op").unwrap_err(),
        };
        assert_eq!(e.status, Status::UnexpectedResponse, "{}", e.message);
        // Not in any letter case either.
        assert!(!e.message.to_lowercase().contains(&password.to_lowercase()), "{}", e.message);
        assert!(!e.message.contains('\0'), "{}", e.message);
        assert!(e.message.contains("<redacted>"), "{}", e.message);
    }
}

#[test]
fn a_pooled_connection_the_server_closed_or_wrote_to_unasked_is_not_reused() {
    let closes: fn(&mut std::net::TcpStream) = |c| {
        let _ = c.shutdown(std::net::Shutdown::Both);
    };
    // Once the client has pooled the connection: bytes it never asked for, shaped as an answer.
    let babbles: fn(&mut std::net::TcpStream) = |c| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
    };
    for (what, after) in [("closed", closes), ("wrote unasked", babbles)] {
        // Each connection: one request answered ("kept", the connection kept alive), then `after`.
        let server = Scripted::start(move |_, conn| {
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkept");
            after(conn);
            std::thread::sleep(std::time::Duration::from_secs(2));
        });
        let c = Client::new(&server.url()).unwrap();
        assert_eq!(c.fetch_result("op").unwrap().data, b"kept", "{what}");
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(c.fetch_result("op").unwrap().data, b"kept", "{what}: the second call is answered afresh");
        // The server reads one request per connection: two heads, two connections.
        assert_eq!(server.heads().len(), 2, "{what}: a new connection");
    }
}
