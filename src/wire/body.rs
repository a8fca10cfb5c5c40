//! Reading response bodies within bounds. No number the server sends sizes an allocation: a
//! body grows as its bytes arrive, with fallible allocation, up to a limit the library or the
//! caller chose; running out of memory is `Status::OutOfMemory`, never an abort. A result's body
//! is counted for the call's transfer callback as it arrives, one count per read, and the
//! callback may stop it. See docs/c-contract.md, "Memory" and "Stopping a call".

use crate::error::{Error, Hint, Result, Status};
use crate::wire::direct;
use crate::wire::interrupt::{self, Interrupt};
use crate::wire::pages::{self, Prefault};
use std::io::{self, Read};
use ureq::http::Response;
use ureq::Body;

/// How much of an error body is read for the server's message.
pub(crate) const ERROR_PREFIX: u64 = 1024 * 1024;
/// Largest answer of the text endpoints (ids, path lists, small JSON): `WF_TEXT_LIMIT`.
pub(crate) const TEXT_LIMIT: u64 = 4 * 1024 * 1024;

/// A body read up to a limit: all of it, or only its size when it was over the limit.
pub(crate) enum Bounded {
    Whole(Vec<u8>),
    /// The body was longer than the limit: it was read to its end and dropped; its size.
    Over(u64),
}

/// Whether a body read counts its bytes for the call's transfer callback.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// A result: counted as it arrives (and stoppable by the callback), with a final report.
    Bytes,
    /// A small answer that is not a result (an id, a progress, a version): not counted.
    Not,
}

/// A reader that counts each read's bytes for the call's transfer callback (one count per read,
/// so that the hot loops stay cheap) and stops when the call must stop.
struct Counting<R> {
    inner: R,
    count: Count,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 && self.count == Count::Bytes {
            interrupt::received(n as u64).map_err(Interrupt::into_io)?;
        }
        Ok(n)
    }
}

impl<R> Counting<R> {
    /// Starts counting a body (`announced` its total when known).
    fn new(inner: R, count: Count, announced: Option<u64>) -> Counting<R> {
        if count == Count::Bytes {
            interrupt::begin_receive(announced);
        }
        Counting { inner, count }
    }

    /// The body arrived whole: the final report, whatever the interval since the last one.
    fn finish(&self, what: &str) -> Result<()> {
        if self.count == Count::Bytes {
            interrupt::report_final().map_err(|i| stopped(what, i))?;
        }
        Ok(())
    }
}

/// Reads a whole body of at most `limit` bytes; a longer one is an error.
pub(crate) fn read_all(what: &str, resp: &mut Response<Body>, limit: u64, count: Count) -> Result<Vec<u8>> {
    match read_bounded(what, resp, limit, false, count)? {
        Bounded::Whole(body) => Ok(body),
        Bounded::Over(_) => Err(Error::new(
            Status::UnexpectedResponse,
            format!("{what}: the answer is over the limit of {limit} bytes for it; nothing was delivered"),
        )),
    }
}

/// Reads a whole result body if it has at most `limit` bytes, else reads the rest without
/// keeping it and gives its size. Counted for the transfer callback.
pub(crate) fn read_or_measure(what: &str, resp: &mut Response<Body>, limit: u64) -> Result<Bounded> {
    read_bounded(what, resp, limit, true, Count::Bytes)
}

fn read_bounded(
    what: &str,
    resp: &mut Response<Body>,
    limit: u64,
    measure_rest: bool,
    count: Count,
) -> Result<Bounded> {
    let announced = resp.body().content_length();
    // A large body goes into pages brought in ahead of the reads and, where the kernel can
    // bring them in, straight from the socket (src/wire/pages.rs, src/wire/direct.rs).
    let large = announced.is_some_and(|n| n >= direct::DIRECT_MIN);
    let direct = (large && pages::can_prefault()).then_some(direct::BUFFER_READ);
    let mut reader = Counting::new(direct::reader(resp, direct), count, announced);
    let mut body = Vec::new();
    let mut bounded = reader.by_ref().take(limit.saturating_add(1));
    // Both grow the vector with try_reserve: exhaustion comes back as an io::Error.
    let read =
        if large { read_to_end_ahead(&mut bounded, &mut body) } else { bounded.read_to_end(&mut body).map(|_| ()) };
    if let Err(e) = read {
        return Err(read_error(what, e, body.len() as u64, announced));
    }
    let received = body.len() as u64;
    if received > limit {
        if !measure_rest {
            // Not read to its end: no final report.
            return Ok(Bounded::Over(received));
        }
        // The rest goes through the start of the vector, in reads as large as the others.
        body.clear();
        let rest = body
            .try_reserve_exact(direct::BUFFER_READ)
            .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))
            .and_then(|()| {
                body.resize(direct::BUFFER_READ, 0);
                drain(&mut reader, &mut body)
            })
            .map_err(|e| read_error(what, e, received, announced))?;
        drop(body);
        let total = received.saturating_add(rest);
        return match announced {
            Some(n) if n != total => Err(truncated(what, total, n)),
            _ => reader.finish(what).map(|()| Bounded::Over(total)),
        };
    }
    match announced {
        Some(n) if n != received => Err(truncated(what, received, n)),
        _ => reader.finish(what).map(|()| Bounded::Whole(body)),
    }
}

/// First capacity of a vector read by [`read_to_end_ahead`]; it then doubles.
const FIRST_CAPACITY: usize = 1024 * 1024;

/// Reads to the end into `body`, which grows by doubling (fallible: exhaustion is an
/// `OutOfMemory` error) and whose new pages are brought in ahead of the reads (src/wire/pages.rs):
/// for a large body read straight from the socket, where first-touch page faults would
/// otherwise cost more than the reads.
fn read_to_end_ahead(reader: &mut impl Read, body: &mut Vec<u8>) -> io::Result<()> {
    let mut ahead = Prefault::new();
    loop {
        if body.len() == body.capacity() {
            body.try_reserve_exact(body.capacity().max(FIRST_CAPACITY))
                .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        }
        let (filled, capacity) = (body.len(), body.capacity());
        let want = (capacity - filled).min(direct::BUFFER_READ);
        ahead.ahead(body.as_mut_ptr(), capacity, filled, want);
        // Within the capacity: no allocation.
        body.resize(filled + want, 0);
        let read = reader.read(&mut body[filled..]);
        body.truncate(filled + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads a body to its end through `scratch` without keeping it; the number of bytes read.
fn drain(reader: &mut impl Read, scratch: &mut [u8]) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        match reader.read(scratch) {
            Ok(0) => return Ok(total),
            Ok(n) => total = total.saturating_add(n as u64),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Up to `limit` bytes of a body, ignoring how it ends (for error messages).
pub(crate) fn read_prefix(resp: &mut Response<Body>, limit: u64) -> Vec<u8> {
    let mut prefix = Vec::new();
    let reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let _ = reader.take(limit).read_to_end(&mut prefix);
    prefix
}

/// Reads exactly `buf.len()` bytes (the announced length) of a result into the caller's buffer,
/// then checks that the body ends there. Counted for the transfer callback.
pub(crate) fn read_exact(what: &str, resp: &mut Response<Body>, buf: &mut [u8]) -> Result<()> {
    let (len, expected) = (buf.len(), Some(buf.len() as u64));
    // A large body goes straight from the socket into pages in memory: they are already, or
    // they are brought in ahead of the reads (src/wire/pages.rs).
    let large = len as u64 >= direct::DIRECT_MIN;
    let mut ahead = (large && !pages::is_resident(buf)).then(Prefault::new);
    let in_memory = match &mut ahead {
        Some(p) => p.ahead(buf.as_mut_ptr(), len, 0, direct::BUFFER_READ),
        None => large,
    };
    let mut reader =
        Counting::new(direct::reader(resp, in_memory.then_some(direct::BUFFER_READ)), Count::Bytes, expected);
    let mut filled = 0;
    while filled < len {
        if let Some(p) = &mut ahead {
            p.ahead(buf.as_mut_ptr(), len, filled, direct::BUFFER_READ);
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => return Err(truncated(what, filled as u64, buf.len() as u64)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(what, e, filled as u64, expected)),
        }
    }
    // Reaching the end lets the connection go back to the pool.
    let mut probe = [0u8; 1];
    match reader.read(&mut probe) {
        Ok(0) => reader.finish(what),
        Ok(_) => {
            Err(Error::new(Status::UnexpectedResponse, format!("{what}: the body is longer than its Content-Length")))
        }
        Err(e) => Err(read_error(what, e, filled as u64, expected)),
    }
}

fn truncated(what: &str, received: u64, announced: u64) -> Error {
    Error::new(
        Status::UnexpectedResponse,
        format!("{what}: the body was truncated: the server announced {announced} bytes and the connection ended after {received} of {announced}; nothing was delivered as complete"),
    )
}

/// The error of a body read that its call's controls stopped (abort, deadline, callback).
fn stopped(what: &str, i: Interrupt) -> Error {
    let mut e = i.into_error();
    e.message = format!("{what}: {}", e.message);
    e
}

/// Maps a failure while reading a body the server had started to send.
pub(crate) fn read_error(what: &str, e: io::Error, received: u64, expected: Option<u64>) -> Error {
    if let Some(i) = Interrupt::from_io(&e) {
        return stopped(what, i);
    }
    if e.kind() == io::ErrorKind::OutOfMemory {
        return Error::new(
            Status::OutOfMemory,
            format!(
                "{what}: not enough memory to hold the body ({received} bytes received); for large results use {}, which need a fixed buffer only",
                Hint::StreamingCalls.text(interrupt::language())
            ),
        );
    }
    let timed_out = e.kind() == io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|i| i.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
    let of = expected.map(|n| format!(" of {n}")).unwrap_or_default();
    if timed_out {
        return Error::new(
            Status::Timeout,
            format!("{what}: the server went silent after {received}{of} bytes of the body (read timeout)"),
        );
    }
    if let Some(n) = expected.filter(|&n| received < n && e.kind() == io::ErrorKind::UnexpectedEof) {
        return truncated(what, received, n);
    }
    Error::new(Status::UnexpectedResponse, format!("{what}: the connection was lost after {received}{of} bytes of the body ({e}); nothing was delivered as complete"))
}

/// Refuses an answer that a C string cannot carry: not UTF-8, or with a NUL inside.
pub(crate) fn ensure_text(data: &[u8], what: &str) -> Result<()> {
    if data.contains(&0) || std::str::from_utf8(data).is_err() {
        return Err(Error::new(Status::UnexpectedResponse, format!("{what}: the server's answer is not UTF-8 text")));
    }
    Ok(())
}
