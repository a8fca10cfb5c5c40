//! HTTPS (system roots, a CA file, insecure mode) against the simulator serving TLS with a
//! certificate made here, and requests through a proxy, `localhost` included.

mod common;
use common::*;
use olconnect_wf::{Fetched, ResultEndpoint};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Writes a CA and a server certificate for 127.0.0.1/localhost signed by it; returns
/// (ca.pem, server.pem, server.key).
fn make_certificates(dir: &std::path::Path, tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, format!("olconnect-wf test CA {tag}"));
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let paths = (
        dir.join(format!("{tag}-ca.pem")),
        dir.join(format!("{tag}-server.pem")),
        dir.join(format!("{tag}-server.key")),
    );
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    std::fs::write(&paths.2, leaf_key.serialize_pem()).unwrap();
    paths
}

#[test]
fn https_verifies_by_default_and_accepts_a_ca_file_or_insecure_mode() {
    let dir = temp_dir("tls");
    let (ca, cert, key) = make_certificates(&dir, "a");
    let (other_ca, _, _) = make_certificates(&dir, "b");
    let sim = sim_with(|s| {
        s.tls_cert = Some(cert.clone());
        s.tls_key = Some(key.clone());
    });
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let c = basic_client(&sim);

    let e = c.server_version().unwrap_err();
    assert_eq!(e.status, Status::TlsError, "the system roots do not know the test CA: {}", e.message);
    assert!(e.message.contains("TLS"), "{}", e.message);

    c.set_tls_ca_file(Some(ca.to_str().unwrap())).unwrap();
    assert_eq!(c.server_version().unwrap(), b"2024.2.1.12345");
    let op = streamed_op(&c, 5_000_000);
    assert!(c.fetch_result(&op).unwrap().data == olconnect_sim::generated_bytes(0, 5_000_000));
    // A body large enough to be read past the HTTP stack on plain HTTP (src/wire/direct.rs) is
    // decrypted by the stack here: exact, and the connection stays pooled.
    let large = 9 * 1024 * 1024 + 5;
    let op = streamed_op(&c, large as u64);
    let mut buf = vec![0xA5u8; large];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(large));
    assert!(buf == olconnect_sim::generated_bytes(0, large));
    let mut streamed = Vec::new();
    c.stream_result(&op, &mut |chunk| {
        streamed.extend_from_slice(chunk);
        true
    })
    .unwrap();
    assert!(streamed == buf);
    let before = sim.connections_accepted();
    c.progress(&op).unwrap();
    assert_eq!(sim.connections_accepted(), before, "the TLS connection was reused");

    c.set_tls_ca_file(Some(other_ca.to_str().unwrap())).unwrap();
    assert_eq!(c.server_version().unwrap_err().status, Status::TlsError);

    c.set_tls_ca_file(None).unwrap();
    assert_eq!(c.server_version().unwrap_err().status, Status::TlsError);

    c.set_tls_insecure(true);
    assert_eq!(c.server_version().unwrap(), b"2024.2.1.12345");
    c.set_tls_insecure(false);
    assert_eq!(c.server_version().unwrap_err().status, Status::TlsError);

    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    assert_eq!(c.set_tls_ca_file(Some(not_pem.to_str().unwrap())).unwrap_err().status, Status::TlsError);
    assert_eq!(c.set_tls_ca_file(Some("/nonexistent.pem")).unwrap_err().status, Status::IoError);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_upload_over_tls_that_the_server_stops_reading_times_out() {
    let dir = temp_dir("tls-stall");
    let (ca, cert, key) = make_certificates(&dir, "stall");
    let sim = sim_with(|s| {
        s.tls_cert = Some(cert.clone());
        s.tls_key = Some(key.clone());
    });
    // The server reads nothing of the body for far longer than the read timeout.
    sim.add_fault(
        FaultRule::always(Fault::SlowUpload { chunk: 1 << 20, interval: std::time::Duration::from_secs(30) })
            .on_path("/filestore/"),
    );
    let c = basic_client(&sim);
    c.set_tls_ca_file(Some(ca.to_str().unwrap())).unwrap();
    c.set_timeouts(2000, 1000);
    let (tx, rx) = std::sync::mpsc::channel();
    let started = std::time::Instant::now();
    std::thread::spawn(move || {
        let big = vec![b'x'; 64 << 20];
        let mut data = olconnect_wf::Data::bytes(&big);
        let _ = tx.send(c.upload(None, &mut data, Some("stalled.csv"), false));
    });
    let outcome = rx.recv_timeout(std::time::Duration::from_secs(30)).expect("the stalled upload returns");
    let e = outcome.unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{}", e.message);
    assert!(e.message.contains("upload of 'stalled.csv': the server stopped accepting the request"), "{}", e.message);
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "{:?}", started.elapsed());
}

/// A minimal HTTP CONNECT proxy on a free port; counts the tunnels it opened.
fn start_proxy() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let counter = tunnels.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                }
                let mut parts = request_line.split(' ');
                let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else { return };
                let Ok(upstream) = TcpStream::connect(target) else { return };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut client_w = client;
                client_w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
                let mut up_r = upstream.try_clone().unwrap();
                let mut up_w = upstream;
                let mut client_r = reader;
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_r, &mut client_w);
                    let _ = client_w.shutdown(std::net::Shutdown::Both);
                });
                let _ = std::io::copy(&mut client_r, &mut up_w);
                let _ = up_w.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (port, tunnels)
}

#[test]
fn a_proxy_carries_every_request_localhost_included() {
    let sim = sim();
    let (port, tunnels) = start_proxy();
    let c = basic_client(&sim);
    c.set_proxy(Some(&format!("http://127.0.0.1:{port}"))).unwrap();
    let op = streamed_op(&c, 100_000);
    assert_eq!(c.fetch_result(&op).unwrap().data.len(), 100_000);
    // A large body through the proxy (only bare connections are read past the stack,
    // src/wire/direct.rs) arrives exact.
    let large = 9 * 1024 * 1024 + 5;
    let big = streamed_op(&c, large as u64);
    let mut buf = vec![0xA5u8; large];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &big, &mut buf).unwrap(), Fetched::Copied(large));
    assert!(buf == olconnect_sim::generated_bytes(0, large));
    let through_proxy = tunnels.load(Ordering::SeqCst);
    assert!(through_proxy >= 1, "requests went around the proxy");
    let local = Client::new(&sim.url().replace("127.0.0.1", "localhost")).unwrap();
    local.set_basic_auth(USER, PASSWORD).unwrap();
    local.set_proxy(Some(&format!("http://127.0.0.1:{port}"))).unwrap();
    local.server_version().unwrap();
    assert!(tunnels.load(Ordering::SeqCst) > through_proxy, "localhost is proxied too");

    c.set_proxy(None).unwrap();
    let before = tunnels.load(Ordering::SeqCst);
    c.server_version().unwrap();
    assert_eq!(tunnels.load(Ordering::SeqCst), before, "no proxy after set_proxy(None)");

    c.set_proxy(Some("http://127.0.0.1:9")).unwrap();
    assert_eq!(c.server_version().unwrap_err().status, Status::ConnectFailed);
    assert_eq!(c.set_proxy(Some("http://bad host:1")).unwrap_err().status, Status::InvalidArgument);
}

/// A simulator serving HTTPS with a certificate of a CA made here, and a client trusting it.
fn https_sim(tag: &str) -> (Simulator, Client, PathBuf) {
    let dir = temp_dir(&format!("tls-{tag}"));
    let (ca, cert, key) = make_certificates(&dir, tag);
    let sim = sim_with(|s| {
        s.tls_cert = Some(cert.clone());
        s.tls_key = Some(key.clone());
    });
    let c = basic_client(&sim);
    c.set_tls_ca_file(Some(ca.to_str().unwrap())).unwrap();
    (sim, c, dir)
}

#[test]
fn https_through_a_connect_proxy_delivers_the_decrypted_bytes_of_large_bodies() {
    // Regression: the leg to the proxy looks like plain HTTP without a proxy to the TCP
    // connector, which took it for a bare connection; TLS is layered on it afterwards, and the
    // body of an 8 MiB+ result was read straight from the socket: TLS records, with success.
    let (sim, c, dir) = https_sim("connect");
    let (port, tunnels) = start_proxy();
    c.set_proxy(Some(&format!("http://127.0.0.1:{port}"))).unwrap();
    let large = 9 * 1024 * 1024 + 7;
    let expected = olconnect_sim::generated_bytes(0, large);
    let op = streamed_op(&c, large as u64);

    let mut buf = vec![0u8; large];
    assert_eq!(c.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(large));
    assert!(buf == expected, "wf_get_result: the bytes differ (first bytes {:02x?})", &buf[..5]);

    assert!(c.fetch_result(&op).unwrap().data == expected, "wf_get_result_ex: the bytes differ");

    let mut streamed = Vec::new();
    c.stream_result(&op, &mut |chunk| {
        streamed.extend_from_slice(chunk);
        true
    })
    .unwrap();
    assert!(streamed == expected, "wf_get_result_stream: the bytes differ");

    let file = dir.join("result.bin");
    assert_eq!(c.result_to_file(&op, &file).unwrap().0, large as u64);
    assert!(std::fs::read(&file).unwrap() == expected, "wf_get_result_to_file: the bytes differ");
    assert!(tunnels.load(Ordering::SeqCst) >= 1, "the requests went through the proxy");
    drop(sim);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_https_download_never_reads_the_socket_of_a_call_made_from_its_callback() {
    // Regression: a login on another, plain-HTTP client made from the transfer callback while
    // the HTTPS call waited for its answer noted that client's idle connection as the last one
    // to read on the thread; the HTTPS call then read its body from that socket (timing out,
    // or delivering whatever that server sent).
    use olconnect_wf::{CallControls, Transfer};
    use std::time::{Duration, Instant};
    let (sim, c, dir) = https_sim("nested");
    let plain_sim = sim_with(|_| {});
    let plain = Arc::new(Client::new(&plain_sim.url()).unwrap());
    let large = 9 * 1024 * 1024 + 3;
    let expected = olconnect_sim::generated_bytes(0, large);
    let op = streamed_op(&c, large as u64);
    let logins = Arc::new(AtomicUsize::new(0));
    let make_view = |delayed: &str| {
        sim.add_fault(
            olconnect_sim::FaultRule::once(olconnect_sim::Fault::Delay(Duration::from_millis(600))).on_path(delayed),
        );
        logins.store(0, Ordering::SeqCst);
        let (plain, logins) = (plain.clone(), logins.clone());
        let started = Instant::now();
        c.with_controls(CallControls {
            on_transfer: Some(Arc::new(move |_: &Transfer| {
                // Once the HTTPS call waits for its (delayed) answer.
                if started.elapsed() > Duration::from_millis(250) && logins.fetch_add(1, Ordering::SeqCst) == 0 {
                    plain.login(USER, PASSWORD).unwrap();
                }
                true
            })),
            timeout: Some(Duration::from_secs(10)),
            ..Default::default()
        })
    };
    let view = make_view(&op);
    let mut streamed = Vec::new();
    view.stream_result(&op, &mut |chunk| {
        streamed.extend_from_slice(chunk);
        true
    })
    .unwrap();
    assert!(logins.load(Ordering::SeqCst) > 0, "the callback logged in");
    assert!(streamed == expected, "streamed: the bytes differ");
    let view = make_view(&op);
    let mut buf = vec![0u8; large];
    assert_eq!(view.fetch_into(ResultEndpoint::Result, &op, &mut buf).unwrap(), Fetched::Copied(large));
    assert!(buf == expected, "into a buffer: the bytes differ");
    drop(sim);
    std::fs::remove_dir_all(dir).unwrap();
}
