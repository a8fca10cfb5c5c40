//! A small HTTP/1.1 server codec: request parsing with limits, and response writing with the
//! faults of [`crate::faults::Fault`] applied on the wire.

use crate::faults::Fault;
use crate::output::Body;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread::sleep;

/// A connection the server talks over: plain TCP, or TLS on TCP.
pub trait Wire: Read + Write {
    /// Closes the underlying socket at once (no TLS close_notify: faults want it abrupt).
    fn close(&mut self);
}

impl Wire for TcpStream {
    fn close(&mut self) {
        let _ = self.shutdown(Shutdown::Both);
    }
}

impl Wire for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn close(&mut self) {
        let _ = self.sock.shutdown(Shutdown::Both);
    }
}

/// Largest request head (request line plus headers).
pub const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;

pub struct Request {
    pub method: String,
    /// The path without query string, still percent-encoded.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// HTTP/1.0 or `Connection: close`.
    pub close: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read.
pub enum ReadError {
    /// The peer closed or went silent between requests: end quietly.
    Closed,
    /// Malformed or over a limit: answer with this status and message, then close.
    Bad(u16, String),
}

fn bad(status: u16, msg: impl Into<String>) -> ReadError {
    ReadError::Bad(status, msg.into())
}

fn read_line<R: Read>(reader: &mut BufReader<R>, budget: &mut usize) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    let n = reader.by_ref().take(*budget as u64 + 1).read_until(b'\n', &mut line).map_err(|_| ReadError::Closed)?;
    if n == 0 {
        return Err(ReadError::Closed);
    }
    if n > *budget || !line.ends_with(b"\n") {
        if n > *budget {
            return Err(bad(431, "request head too large"));
        }
        return Err(ReadError::Closed);
    }
    *budget -= n;
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    Ok(line)
}

/// Reads one request; the body is read when its `Content-Length` (or chunked size) is within
/// `max_body`.
/// Reads one request. `body_fault` is asked, once the head is read, for a fault to apply while the
/// body is read (see `Fault::on_request_body`).
pub fn read_request<R: Read>(
    reader: &mut BufReader<R>,
    max_body: usize,
    body_fault: &dyn Fn(&str) -> Option<Fault>,
) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD;
    let mut line = read_line(reader, &mut budget)?;
    // Tolerate stray empty lines between requests (RFC 9112 §2.2).
    while line.is_empty() {
        line = read_line(reader, &mut budget)?;
    }
    let line = String::from_utf8(line).map_err(|_| bad(400, "request line is not UTF-8"))?;
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && t.starts_with('/') => (m, t, v),
        _ => return Err(bad(400, "malformed request line")),
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad(400, "malformed method"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(bad(505, "only HTTP/1.0 and HTTP/1.1 are supported"));
    }
    let mut headers = Vec::new();
    loop {
        let raw = read_line(reader, &mut budget)?;
        if raw.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(bad(431, "too many headers"));
        }
        let raw = String::from_utf8(raw).map_err(|_| bad(400, "header is not UTF-8"))?;
        let (name, value) = raw.split_once(':').ok_or_else(|| bad(400, "header without colon"))?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(400, "malformed header name"));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, parse_query(q)),
        None => (target, Vec::new()),
    };
    let mut req = Request {
        method: method.to_string(),
        path: path.to_string(),
        query,
        headers,
        body: Vec::new(),
        close: version == "HTTP/1.0",
    };
    if let Some(c) = req.header("connection") {
        if c.eq_ignore_ascii_case("close") {
            req.close = true;
        } else if c.eq_ignore_ascii_case("keep-alive") {
            req.close = false;
        }
    }
    let chunked = req.header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    if chunked {
        req.body = read_chunked(reader, max_body)?;
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad(400, "malformed Content-Length"))?;
        if len > max_body {
            return Err(bad(413, format!("request body of {len} bytes is over the limit of {max_body}")));
        }
        req.body = vec![0; len];
        match body_fault(&req.path) {
            Some(Fault::CloseMidUpload(after)) => {
                let keep = (after as usize).min(len);
                let _ = reader.read_exact(&mut req.body[..keep]);
                return Err(ReadError::Closed);
            }
            Some(Fault::SlowUpload { chunk, interval }) => {
                for part in req.body.chunks_mut(chunk) {
                    std::thread::sleep(interval);
                    reader.read_exact(part).map_err(|_| ReadError::Closed)?;
                }
            }
            _ => reader.read_exact(&mut req.body).map_err(|_| ReadError::Closed)?,
        }
    }
    Ok(req)
}

fn read_chunked<R: Read>(reader: &mut BufReader<R>, max_body: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let mut budget = 1024;
        let line = read_line(reader, &mut budget)?;
        let line = String::from_utf8_lossy(&line);
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad(400, "malformed chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            let mut budget = MAX_HEAD;
            while !read_line(reader, &mut budget)?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > max_body {
            return Err(bad(413, format!("request body is over the limit of {max_body} bytes")));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).map_err(|_| ReadError::Closed)?;
        let mut budget = 2;
        read_line(reader, &mut budget)?;
    }
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| crate::util::percent_decode(&s.replace('+', " ")).unwrap_or_default();
            (dec(k), dec(v))
        })
        .collect()
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: Body) -> Response {
        let mut headers = Vec::with_capacity(6);
        if !content_type.is_empty() {
            headers.push(("Content-Type".to_string(), content_type.to_string()));
        }
        Response { status, headers, body }
    }

    pub fn text(status: u16, text: impl Into<String>) -> Response {
        Response::new(status, "text/plain", Body::Bytes(text.into().into_bytes()))
    }

    pub fn json(status: u16, body: Vec<u8>) -> Response {
        Response::new(status, "application/json", Body::Bytes(body))
    }

    pub fn empty(status: u16) -> Response {
        Response::new(status, "", Body::Bytes(Vec::new()))
    }

    pub fn error(status: u16, message: &str, parameter: Option<&str>) -> Response {
        Response::json(status, crate::util::json_error(status, message, parameter))
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

/// Writes a response, applying `fault`. Returns whether the connection may be kept open.
pub fn write_response(
    stream: &mut dyn Wire,
    resp: &Response,
    head_only: bool,
    fault: Option<&Fault>,
) -> io::Result<bool> {
    if let Some(Fault::Delay(d)) = fault {
        sleep(*d);
    }
    if let Some(Fault::Drop) = fault {
        stream.close();
        return Ok(false);
    }
    let len = resp.body.len();
    let no_body = head_only || resp.status == 204;
    let chunked = matches!(fault, Some(Fault::Chunked)) && !no_body;
    let mut head = Vec::with_capacity(256);
    write!(head, "HTTP/1.1 {} {}\r\nServer: olconnect-sim\r\n", resp.status, reason(resp.status))?;
    for (k, v) in &resp.headers {
        write!(head, "{k}: {v}\r\n")?;
    }
    let announced = match fault {
        Some(Fault::ShortBody(missing)) => len + missing,
        _ => len,
    };
    if chunked {
        head.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    } else if resp.status != 204 {
        write!(head, "Content-Length: {announced}\r\n")?;
    }
    head.extend_from_slice(b"\r\n");
    if no_body {
        stream.write_all(&head)?;
        stream.flush()?;
        return Ok(true);
    }
    match fault {
        Some(Fault::CloseMidBody(after)) => {
            stream.write_all(&head)?;
            let mut writer = Limited { inner: stream, left: (*after).min(len.saturating_sub(1)) };
            let _ = resp.body.write_to(&mut writer, 0, len);
            stream.flush()?;
            stream.close();
            Ok(false)
        }
        Some(Fault::ShortBody(_)) => {
            stream.write_all(&head)?;
            resp.body.write_to(stream, 0, len)?;
            stream.flush()?;
            stream.close();
            Ok(false)
        }
        Some(Fault::Trickle { chunk, interval }) => {
            stream.write_all(&head)?;
            let chunk = (*chunk).max(1) as u64;
            let mut offset = 0;
            while offset < len {
                let n = chunk.min(len - offset);
                resp.body.write_to(stream, offset, n)?;
                stream.flush()?;
                offset += n;
                if offset < len {
                    sleep(*interval);
                }
            }
            Ok(true)
        }
        _ if chunked => {
            stream.write_all(&head)?;
            let mut w = ChunkedWriter { inner: stream };
            resp.body.write_to(&mut w, 0, len)?;
            stream.write_all(b"0\r\n\r\n")?;
            stream.flush()?;
            Ok(true)
        }
        _ => {
            if let Body::Bytes(b) = &resp.body {
                // One write for small responses: the keep-alive request rate depends on it.
                head.extend_from_slice(b);
                stream.write_all(&head)?;
            } else {
                stream.write_all(&head)?;
                resp.body.write_to(stream, 0, len)?;
            }
            stream.flush()?;
            Ok(true)
        }
    }
}

/// Passes at most `left` bytes, then fails: used to cut a body short.
struct Limited<'a> {
    inner: &'a mut dyn Wire,
    left: u64,
}

impl Write for Limited<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "cut by fault"));
        }
        let n = (buf.len() as u64).min(self.left) as usize;
        let n = self.inner.write(&buf[..n])?;
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct ChunkedWriter<'a> {
    inner: &'a mut dyn Wire,
}

impl Write for ChunkedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        write!(self.inner, "{:x}\r\n", buf.len())?;
        self.inner.write_all(buf)?;
        self.inner.write_all(b"\r\n")?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
