//! The access log (`-v`, the `access_log` setting): a line per request on stderr with the time,
//! the peer, method and path, status, bytes sent, duration and the fault that hit it. Headers
//! are never logged; query values whose name suggests a secret are redacted. See
//! docs/simulator.md, "Access log".

use crate::faults::Fault;
use crate::http::{Request, Wire};
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Counts the bytes written through it (head and body of one answer).
pub struct Counted<'a> {
    pub inner: &'a mut dyn Wire,
    pub written: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Wire for Counted<'_> {
    fn close(&mut self) {
        self.inner.close()
    }
}

fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "password", "passwd", "secret", "auth", "credential", "key"].iter().any(|s| name.contains(s))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a time since the Unix epoch (days to civil date: H. Hinnant's
/// algorithm).
fn timestamp(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs();
    let days = (secs / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let s = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        since_epoch.subsec_millis()
    )
}

/// What one log line tells about an exchange.
pub struct Exchange<'a> {
    pub peer: Option<SocketAddr>,
    /// `None` when the request could not be read.
    pub request: Option<&'a Request>,
    pub status: u16,
    pub bytes: u64,
    pub took: Duration,
    pub fault: Option<&'a Fault>,
}

/// The line for an exchange, without a line break.
pub fn line(x: &Exchange, now: SystemTime) -> String {
    let mut out = timestamp(now.duration_since(UNIX_EPOCH).unwrap_or_default());
    let _ = match x.peer {
        Some(p) => write!(out, " {p}"),
        None => write!(out, " -"),
    };
    match x.request {
        Some(r) => {
            let _ = write!(out, " \"{} {}", r.method, r.path.escape_debug());
            for (i, (k, v)) in r.query.iter().enumerate() {
                let v = if secret_name(k) { "<redacted>" } else { v.as_str() };
                let _ = write!(out, "{}{}={}", if i == 0 { '?' } else { '&' }, k.escape_debug(), v.escape_debug());
            }
            out.push('"');
        }
        None => out.push_str(" \"-\""),
    }
    let _ = write!(out, " {} {} {:.1}ms", x.status, x.bytes, x.took.as_secs_f64() * 1000.0);
    if let Some(f) = x.fault {
        let _ = write!(out, " fault={}", f.name());
    }
    out
}

/// Writes the line to stderr (one write, so lines of concurrent connections do not mix).
pub fn log(x: &Exchange) {
    let mut text = line(x, SystemTime::now());
    text.push('\n');
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, query: &[(&str, &str)]) -> Request {
        Request {
            method: "POST".into(),
            path: path.into(),
            query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            headers: vec![("Authorization".into(), "Basic b2wtYWRtaW46c2VjcmV0".into())],
            body: Vec::new(),
            close: false,
        }
    }

    #[test]
    fn lines_carry_the_exchange_and_no_secret() {
        let r = request("/rest/serverengine/filestore/DataFile", &[("filename", "a.csv"), ("auth_token", "tok-1")]);
        let x = Exchange {
            peer: Some("127.0.0.1:4000".parse().unwrap()),
            request: Some(&r),
            status: 200,
            bytes: 1234,
            took: Duration::from_micros(12_345),
            fault: Some(&Fault::CloseMidBody(10)),
        };
        let at = UNIX_EPOCH + Duration::from_millis(1_764_696_600_123);
        assert_eq!(
            line(&x, at),
            "2025-12-02T17:30:00.123Z 127.0.0.1:4000 \"POST /rest/serverengine/filestore/DataFile?filename=a.csv&auth_token=<redacted>\" 200 1234 12.3ms fault=close-mid-body"
        );
        assert!(!line(&x, at).contains("b2wt") && !line(&x, at).contains("tok-1"));
        let bad = Exchange { peer: None, request: None, status: 400, bytes: 99, took: Duration::ZERO, fault: None };
        assert!(line(&bad, at).ends_with(" - \"-\" 400 99 0.0ms"));
    }

    #[test]
    fn timestamps_are_civil_dates() {
        assert_eq!(timestamp(Duration::ZERO), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(Duration::from_secs(951_782_400)), "2000-02-29T00:00:00.000Z");
        assert_eq!(timestamp(Duration::from_secs(4_102_444_799)), "2099-12-31T23:59:59.000Z");
    }
}
