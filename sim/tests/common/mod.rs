//! What the simulator's integration tests share: raw HTTP calls to an in-process simulator or to
//! the binary, and the binary started as a user would start it.
#![allow(dead_code)]

use olconnect_sim::Simulator;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A simulator to call: in-process or the binary.
pub trait Server {
    fn address(&self) -> SocketAddr;
}

impl Server for Simulator {
    fn address(&self) -> SocketAddr {
        self.addr()
    }
}

pub const BASIC: &str = "Authorization: Basic b2wtYWRtaW46c2VjcmV0\r\n"; // ol-admin:secret
pub const AIO: &str = "/rest/serverengine/workflow/print";

pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json_error(&self) -> serde_json::Value {
        assert_eq!(self.header("content-type").as_deref(), Some("application/json"), "{}", self.head);
        let v: serde_json::Value = serde_json::from_slice(&self.body).expect("a JSON Error body");
        assert_eq!(v["error"]["status"], self.status);
        assert!(v["error"]["message"].is_string());
        v
    }
}

/// Sends raw bytes and reads the whole answer (the connection is closed by `Connection: close`
/// or by the server).
pub fn raw(server: &impl Server, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(server.address()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).expect("the server answers and closes, never hangs");
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8(all[..split].to_vec()).unwrap();
    let status = head[9..12].parse().unwrap();
    Answer { status, head, body: all[split + 4..].to_vec() }
}

pub fn call(server: &impl Server, method: &str, path: &str, extra_headers: &str, body: &str) -> Answer {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: sim\r\n{extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw(server, req.as_bytes())
}

pub const FULL: &str = r#"{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"},"contentcreation":{"config":"Invoice.OL-template"},"jobcreation":{"config":"Invoice.OL-jobpreset"},"outputcreation":{"config":"Invoice-PDF.OL-outputpreset","parameters":{"sim_output_size":1000}},"returnIdInHeader":true}"#;

pub fn submit(server: &impl Server, config: &str) -> String {
    let a =
        call(server, "POST", &format!("{AIO}/submit"), &format!("{BASIC}Content-Type: application/json\r\n"), config);
    assert_eq!(a.status, 202, "{}", a.text());
    a.header("operationId").unwrap()
}

/// The `olconnect-sim` binary, started with these arguments on a free port; its stderr is
/// collected; it is killed when dropped.
pub struct Running {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    pub fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_olconnect-sim"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (sink, mut pipe) = (stderr.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let url = first.trim().strip_prefix("listening on http://").unwrap_or_else(|| {
            std::thread::sleep(Duration::from_millis(200));
            panic!("the simulator did not start: {first} {}", stderr.lock().unwrap())
        });
        Running { child, addr: url.parse().unwrap(), stderr }
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Server for Running {
    fn address(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
