//! Arbitrary bytes as the server's whole HTTP answer to a real client call over loopback: the
//! first byte picks the call (login, progress, result into memory, into a small buffer, as text,
//! managed result, operations, streamed, to a file), the rest is sent back as is and the
//! connection closed. Never a panic or a hang (the read timeout bounds each call); no error
//! message shows the password; a failed download leaves no file behind, not even a temporary one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use olconnect_wf::{Client, ResultEndpoint};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

const PASSWORD: &str = "fuzz-secret-pw";

struct Server {
    url: String,
    answer: Mutex<Vec<u8>>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<&'static Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server: &'static Server = Box::leak(Box::new(Server { url, answer: Mutex::new(Vec::new()) }));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                // Read the request head (no call here sends a body), then answer and close.
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = server.answer.lock().unwrap().clone();
                let _ = s.write_all(&answer);
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        });
        server
    })
}

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("olconnect-wf-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, answer)) = data.split_first() else { return };
    let server = server();
    *server.answer.lock().unwrap() = answer.to_vec();
    let c = Client::new(&server.url).unwrap();
    c.set_timeouts(1000, 300);
    c.set_basic_auth("ol-admin", PASSWORD).unwrap();
    let mut buf = [0u8; 16];
    let error = match which % 9 {
        0 => c.login("ol-admin", PASSWORD).err(),
        1 => c.progress("op1").err(),
        2 => c.fetch_result("op1").err(),
        3 => c.fetch_into(ResultEndpoint::Result, "op1", &mut buf).err(),
        4 => c.result_text("op1").err(),
        5 => c.managed_result("op1").err(),
        6 => c.operations().err(),
        7 => c.stream_result("op1", &mut |_| true).err(),
        _ => {
            let dest = dir().join("result.bin");
            let outcome = c.result_to_file("op1", &dest);
            let left: Vec<_> = std::fs::read_dir(dir()).unwrap().flatten().map(|e| e.file_name()).collect();
            match &outcome {
                Ok(_) => assert_eq!(left.len(), 1, "{left:?}"),
                Err(_) => assert!(left.is_empty(), "a failed download left {left:?}"),
            }
            let _ = std::fs::remove_file(&dest);
            outcome.err()
        }
    };
    if let Some(e) = error {
        assert!(!e.message.contains(PASSWORD), "the password in: {}", e.message);
        assert!(!e.message.contains("b2wtYWRtaW46ZnV6ei1zZWNyZXQtcHc"), "the Basic header in: {}", e.message);
    }
});
