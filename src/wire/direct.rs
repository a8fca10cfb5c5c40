//! Reading a large body straight from the socket. For a body of announced length on a bare
//! connection (plain HTTP, no proxy), the reader takes the bytes the HTTP stack already holds
//! through the stack, then reads the socket itself into the destination: no copy through the
//! connection's buffer, and each read waits for a whole chunk (fewer, larger reads). The
//! connection is then closed rather than pooled, so only bodies of at least [`DIRECT_MIN`] bytes
//! take this path. Where it pays off and by how much: docs/architecture.md, "Reading bodies".

use crate::wire::interrupt;
use crate::wire::transport::{self, Handover};
use std::io::{self, Read};
use std::sync::Arc;
use ureq::http::Response;
use ureq::{Body, BodyReader};

/// Smallest body read past the stack: below it, keeping the connection for the next call is
/// worth more than the faster reads.
pub(crate) const DIRECT_MIN: u64 = 8 * 1024 * 1024;
/// Most bytes one read from the socket waits for when it reads into a caller's buffer, and
/// when it reads into a stream's buffer (each measured best of 64 KiB to 1 MiB against both
/// servers of bench/client.sh; bench/RESULTS.md).
pub(crate) const BUFFER_READ: usize = 256 * 1024;
pub(crate) const STREAM_READ: usize = 1024 * 1024;

/// The connection a response came through, when it may be handed over.
#[derive(Clone)]
struct Bare(Arc<Handover>);

/// Before sending a request whose body may be read past the stack.
pub(crate) fn before_request() {
    interrupt::forget_connection();
}

/// After its response arrived: notes on it the connection it came through, when its body is
/// large enough to be read past the stack (nothing is added to the others).
pub(crate) fn after_response(resp: &mut Response<Body>) {
    let Some(h) = transport::take_received_through() else { return };
    if resp.body().content_length().is_some_and(|n| n >= DIRECT_MIN) {
        resp.extensions_mut().insert(Bare(h));
    }
}

/// The body of a response as one reader: through the HTTP stack, or straight from the socket
/// when `direct` allows it (the most bytes one socket read may wait for) and the body qualifies
/// (announced length of at least [`DIRECT_MIN`], on a bare connection).
pub(crate) fn reader(resp: &mut Response<Body>, direct: Option<usize>) -> BodyRead<'_> {
    let bare = resp.extensions_mut().remove::<Bare>();
    let length = resp.body().content_length();
    let direct = match (bare, length, direct) {
        (Some(Bare(h)), Some(n), Some(most)) if n >= DIRECT_MIN => {
            Some(Direct { handover: h, remaining: n, most: most.max(1) })
        }
        _ => None,
    };
    BodyRead { stack: resp.body_mut().with_config().limit(u64::MAX).reader(), direct }
}

pub(crate) struct BodyRead<'a> {
    stack: BodyReader<'a>,
    direct: Option<Direct>,
}

impl BodyRead<'_> {
    /// Whether the body is read straight from the socket.
    pub(crate) fn is_direct(&self) -> bool {
        self.direct.is_some()
    }
}

struct Direct {
    handover: Arc<Handover>,
    /// Bytes of the body not yet handed out.
    remaining: u64,
    /// The most bytes one socket read waits for.
    most: usize,
}

impl Read for BodyRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(d) = &mut self.direct else { return self.stack.read(buf) };
        let want = (buf.len() as u64).min(d.remaining) as usize;
        if want == 0 {
            return Ok(0);
        }
        let held = d.handover.unconsumed();
        let n = if held > 0 {
            // What the stack read with the head (or before) comes first, through the stack.
            self.stack.read(&mut buf[..want.min(held)])?
        } else {
            d.handover.read(&mut buf[..want.min(d.most)])?
        };
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        d.remaining = d.remaining.saturating_sub(n as u64);
        Ok(n)
    }
}
