//! Shared set-up of the integration tests: a simulator on a free port and small helpers.
#![allow(dead_code, unused_imports)]

pub use olconnect_sim::{Fault, FaultRule, Settings, Simulator, SpoolContent};
pub use olconnect_wf::{Client, Status};
use std::time::Duration;

pub mod scripted;

pub const USER: &str = "ol-admin";
pub const PASSWORD: &str = "secret";

/// A simulator with security on, fast operations, spool files of deterministic bytes (so that
/// tests compare them with `generated_bytes`), and the given changes.
pub fn sim_with(change: impl FnOnce(&mut Settings)) -> Simulator {
    let mut s = Settings { op_duration: Duration::ZERO, spool_content: SpoolContent::Pattern, ..Default::default() };
    change(&mut s);
    Simulator::start(s).expect("simulator starts")
}

pub fn sim() -> Simulator {
    sim_with(|_| {})
}

/// A client of `sim` with Basic credentials.
pub fn basic_client(sim: &Simulator) -> Client {
    let c = Client::new(&sim.url()).unwrap();
    c.set_basic_auth(USER, PASSWORD).unwrap();
    c
}

pub const DATA_MAPPING: &str = r#""datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"}"#;

/// An All-In-One configuration running every step, with the given output preset and extra
/// runtime parameters (`sim_*`) in the output step.
pub fn print_config(preset: &str, parameters: &str) -> String {
    format!(
        r#"{{{DATA_MAPPING},"contentcreation":{{"config":"Invoice.OL-template"}},"jobcreation":{{"config":"Invoice.OL-jobpreset"}},"outputcreation":{{"config":"{preset}","parameters":{{{parameters}}}}},"returnIdInHeader":true}}"#
    )
}

/// Submits and returns the operation id.
pub fn submit(c: &Client, config: &str) -> String {
    c.submit(config).expect("submit accepted")
}

/// Submits a one-spool-file job of `size` bytes and returns its id.
pub fn streamed_op(c: &Client, size: u64) -> String {
    submit(c, &print_config("Invoice-PDF.OL-outputpreset", &format!(r#""sim_output_size":{size}"#)))
}

/// A thread waiting for `op` on `c`, returned once it has seen the operation running (so a
/// test acts on a wait in progress, not after a guessed delay).
pub fn running_waiter(c: &std::sync::Arc<Client>, op: &str) -> std::thread::JoinHandle<olconnect_wf::Result<()>> {
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let (c, op) = (c.clone(), op.to_string());
    let waiter = std::thread::spawn(move || {
        c.wait(&op, None, &mut |_| {
            let _ = seen_tx.send(());
            true
        })
    });
    seen_rx.recv_timeout(Duration::from_secs(10)).expect("the waiter reports progress");
    waiter
}

/// How many logged requests have a target containing `text`.
pub fn count(sim: &Simulator, text: &str) -> usize {
    sim.requests().iter().filter(|r| r.target.contains(text)).count()
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("olconnect-wf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Logs in with a raw HTTP request and returns the token (to test `set_token` with a real one).
pub fn raw_login(sim: &Simulator) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(sim.addr()).unwrap();
    // base64("ol-admin:secret")
    write!(s, "POST /rest/serverengine/authentication/login HTTP/1.1\r\nHost: x\r\nAuthorization: Basic b2wtYWRtaW46c2VjcmV0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer.split("\r\n\r\n").nth(1).unwrap().to_string()
}
