//! The TCP transport under every request. It replaces the HTTP stack's own so that a call can
//! be stopped wherever it blocks: connecting (a non-blocking connect polled in steps), sending
//! and receiving (socket timeouts of at most one step) all ask the call's controls
//! (`interrupt::poll`) between steps, and never wait past the call's deadline. TLS, SOCKS and
//! HTTP CONNECT proxies are layered on top of it by the stack's own connectors, so the TLS
//! handshake and everything after it are stoppable too (connecting to a SOCKS proxy is not).
//!
//! A connection with nothing layered on it (plain HTTP, no proxy) can also be handed over to a
//! reader of a large body, which then reads the socket straight into its own buffer
//! ([`Handover`]; docs/architecture.md, "Reading bodies"). Whether a connection is bare is
//! decided from the client's own settings, which the stack's connectors cannot rewrite: the
//! CONNECT connector opens its leg to the proxy with a plain-HTTP, proxy-less configuration,
//! and TLS is layered on that leg afterwards.

use super::sys;
use crate::wire::buffers::GrowingBuffers;
use crate::wire::interrupt::{self, Interrupt, TICK};
use socket2::{Domain, Protocol, Socket, Type};
use std::any::Any;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, NextTimeout, RustlsConnector, SocksConnector,
    Transport,
};
use ureq::{Agent, Error, Timeout};

/// An agent whose connections use [`StoppableTcpConnector`], with the stack's proxy and TLS
/// layers around it (the same order as the stack's default chain). `bare` says whether the
/// client's connections carry the HTTP bytes themselves (an `http://` base URL and no proxy),
/// so that a large body may be read straight from the socket.
pub(crate) fn agent(config: Config, bare: bool) -> Agent {
    let connector =
        ().chain(SocksConnector::default())
            .chain(ConnectProxyConnector::default())
            .chain(StoppableTcpConnector { bare })
            .chain(RustlsConnector::default());
    Agent::with_parts(config, connector, DefaultResolver::default())
}

fn interrupted(i: Interrupt) -> Error {
    Error::Io(i.into_io())
}

/// How long the next wait may be: one step at most, within the remaining `budget` (counted
/// from `start`), within the call's deadline. `Err` when the call must stop or the budget is
/// spent.
fn next_step(budget: Option<Duration>, start: Instant, reason: Timeout) -> Result<Duration, Error> {
    interrupt::poll().map_err(interrupted)?;
    let mut step = TICK;
    if let Some(budget) = budget {
        let left = budget.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(Error::Timeout(reason));
        }
        step = step.min(left);
    }
    // A deadline that has passed is reported by the next poll; never ask the OS for a zero wait.
    Ok(interrupt::time_left(step).max(Duration::from_millis(1)))
}

#[derive(Debug)]
pub(crate) struct StoppableTcpConnector {
    /// From the client's settings: plain HTTP without a proxy. The details a connector is
    /// given are not enough: the leg to a CONNECT proxy looks like plain HTTP without a proxy.
    bare: bool,
}

impl<In: Transport> Connector<In> for StoppableTcpConnector {
    type Out = Either<In, StoppableTcp>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, Error> {
        if chained.is_some() {
            // A SOCKS connection already made (it overrides a direct one).
            return Ok(chained.map(Either::A));
        }
        let budget = details.timeout.not_zero().map(|d| *d);
        let start = Instant::now();
        let mut last = None;
        for addr in details.addrs.iter() {
            match connect(*addr, budget, start) {
                Ok(stream) => {
                    if details.config.no_delay() {
                        stream.set_nodelay(true)?;
                    }
                    let stream = Arc::new(stream);
                    let unconsumed = Arc::new(AtomicUsize::new(0));
                    let buffers = GrowingBuffers::new(details.config.output_buffer_size(), unconsumed.clone());
                    // Only the HTTP bytes themselves may be read past the stack: not under TLS,
                    // not through a proxy (whose protocol may wrap them).
                    let bare = self.bare && !details.needs_tls() && details.config.proxy().is_none();
                    let handover = bare.then(|| {
                        Arc::new(Handover {
                            stream: stream.clone(),
                            unconsumed,
                            taken: AtomicBool::new(false),
                            per_read: details.config.timeout_per_read(),
                            read_timeout: AtomicU64::new(0),
                        })
                    });
                    let mut tcp = StoppableTcp::new(stream, buffers, handover);
                    tcp.write_silence = details.config.timeout_per_read();
                    return Ok(Some(Either::B(tcp)));
                }
                // Stopping the call, or running out of time, ends the attempts.
                Err(e @ (Error::Timeout(_) | Error::Io(_))) if is_final(&e) => return Err(e),
                Err(Error::Io(io)) => last = Some(Error::Io(connect_failure(io))),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(Error::ConnectionFailed))
    }
}

/// An error of making a connection: nothing was sent on it. Marked so that the same kinds of
/// error (refused, unreachable) on a connection in use are not taken for it: a request that was
/// sent may have been read (src/session/retry.rs). Its text is the OS's, unchanged.
#[derive(Debug)]
struct ConnectFailure(io::Error);

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ConnectFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

pub(crate) fn connect_failure(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), ConnectFailure(e))
}

/// Whether `e` came from making a connection (nothing was sent).
pub(crate) fn is_connect_failure(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<ConnectFailure>())
}

fn is_final(e: &Error) -> bool {
    match e {
        Error::Timeout(_) => true,
        Error::Io(io) => Interrupt::from_io(io).is_some(),
        _ => false,
    }
}

/// A TCP connection made without blocking for longer than a step at a time: one attempt,
/// started once and waited for in steps (never restarted per step).
fn connect(addr: SocketAddr, budget: Option<Duration>, start: Instant) -> Result<TcpStream, Error> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    if let Err(e) = socket.connect(&addr.into()) {
        if !sys::connect_in_progress(&e) {
            return Err(e.into());
        }
        loop {
            let step = next_step(budget, start, Timeout::Connect)?;
            if sys::wait_writable(&socket, step)? {
                break;
            }
        }
        if let Some(e) = socket.take_error()? {
            return Err(e.into());
        }
    }
    socket.set_nonblocking(false)?;
    Ok(socket.into())
}

/// A TCP connection whose reads and writes wait one step at a time.
pub(crate) struct StoppableTcp {
    stream: Arc<TcpStream>,
    buffers: GrowingBuffers,
    /// For a bare connection: what a body reader needs to take the socket over, and the same
    /// as the call's frame notes it (src/wire/interrupt.rs, `note_connection`).
    handover: Option<Arc<Handover>>,
    noted: Option<Arc<dyn Any + Send + Sync>>,
    /// The socket timeouts last set, to set them only when they change.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// The longest a write may wait with the peer accepting nothing (the client's read timeout,
    /// which bounds silence in both directions), and the bytes of the current request the
    /// peer accepted, for the message.
    write_silence: Option<Duration>,
    accepted: u64,
}

impl std::fmt::Debug for StoppableTcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoppableTcp").field("peer", &self.stream.peer_addr().ok()).finish()
    }
}

impl StoppableTcp {
    fn new(stream: Arc<TcpStream>, buffers: GrowingBuffers, handover: Option<Arc<Handover>>) -> StoppableTcp {
        let noted = handover.clone().map(|h| h as Arc<dyn Any + Send + Sync>);
        StoppableTcp {
            stream,
            buffers,
            handover,
            noted,
            read_timeout: None,
            write_timeout: None,
            write_silence: None,
            accepted: 0,
        }
    }
}

fn is_wait_over(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

/// A request the peer stopped accepting: nothing of it accepted for the whole read timeout.
#[derive(Debug)]
pub(crate) struct WriteStalled {
    /// Bytes of the request (head and body, as sent on the connection) accepted before.
    pub accepted: u64,
    pub silence: Duration,
}

impl WriteStalled {
    pub(crate) fn from_io(e: &io::Error) -> Option<&WriteStalled> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<WriteStalled>())
    }
}

impl std::fmt::Display for WriteStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server stopped accepting the request after {} bytes of it: it accepted nothing more for {} ms (the read timeout); raise the read timeout if the server is slow",
            self.accepted,
            self.silence.as_millis()
        )
    }
}

impl std::error::Error for WriteStalled {}

impl Transport for StoppableTcp {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let timeout = timeout.for_write();
        let budget = timeout.not_zero().map(|d| *d);
        let start = Instant::now();
        // Silence is counted from the last byte the peer accepted.
        let mut last_accepted = start;
        let mut written = 0;
        while written < amount {
            let mut step = next_step(budget, start, timeout.reason)?;
            if let Some(silence) = self.write_silence {
                let left = silence.saturating_sub(last_accepted.elapsed());
                if left.is_zero() {
                    let stalled = WriteStalled { accepted: self.accepted, silence };
                    return Err(io::Error::new(io::ErrorKind::TimedOut, stalled).into());
                }
                step = step.min(left.max(Duration::from_millis(1)));
            }
            if self.write_timeout != Some(step) {
                self.stream.set_write_timeout(Some(step))?;
                self.write_timeout = Some(step);
            }
            match (&*self.stream).write(&self.buffers.output()[written..amount]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => {
                    written += n;
                    self.accepted += n as u64;
                    last_accepted = Instant::now();
                }
                Err(e) if is_wait_over(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let timeout = timeout.for_read();
        let budget = timeout.not_zero().map(|d| *d);
        let start = Instant::now();
        loop {
            let step = next_step(budget, start, timeout.reason)?;
            let input = self.buffers.input_append_buf();
            match sys::read_step(&self.stream, input, step, &mut self.read_timeout) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    // Noted for the call in progress after the read, not before the wait: a
                    // call made from a callback during the wait notes on its own frame.
                    if let Some(h) = &self.noted {
                        interrupt::note_connection(h);
                    }
                    return Ok(n > 0);
                }
                Err(e) if is_wait_over(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn is_open(&mut self) -> bool {
        if self.handover.as_ref().is_some_and(|h| h.taken.load(Ordering::Relaxed)) {
            // Read past the HTTP stack: where the next answer starts is known to nobody.
            return false;
        }
        // A pooled connection is reusable when the peer has neither closed it nor sent anything
        // unasked.
        let open = sys::is_idle(&self.stream);
        // Between requests: a buffer grown for a large body goes back to its starting size.
        self.buffers.shrink();
        self.accepted = 0;
        open
    }
}

/// Takes the bare connection that received the response just returned to the call in
/// progress, if it was one (see `interrupt::forget_connection`, called before its request).
pub(crate) fn take_received_through() -> Option<Arc<Handover>> {
    interrupt::take_connection().and_then(|c| c.downcast::<Handover>().ok())
}

/// A bare connection, shared with a reader of a large body that takes its socket over once the
/// HTTP stack has handed out the bytes it read already. After that the connection is never
/// reused: the stack's view of the body is behind.
pub(crate) struct Handover {
    stream: Arc<TcpStream>,
    /// Bytes the connection read that the HTTP stack has not consumed yet.
    unconsumed: Arc<AtomicUsize>,
    taken: AtomicBool,
    /// The longest a read may wait with nothing arriving (the client's read timeout).
    per_read: Option<Duration>,
    /// The socket's read timeout as this reader last set it, in nanoseconds (0: not yet), to
    /// set it only when it changes: a large body takes thousands of reads.
    read_timeout: AtomicU64,
}

impl std::fmt::Debug for Handover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handover").field("peer", &self.stream.peer_addr().ok()).finish()
    }
}

impl Handover {
    /// Bytes read from the socket that the HTTP stack still holds.
    pub(crate) fn unconsumed(&self) -> usize {
        self.unconsumed.load(Ordering::Relaxed)
    }

    /// Reads up to `buf.len()` bytes straight from the socket, waiting until all of them have
    /// arrived (so a large buffer takes few reads) or the step ends with some; never waits past
    /// the read timeout with nothing arriving, nor past the call's controls. The caller asks
    /// only for bytes of the body still due. `Ok(0)`: the peer closed the connection.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.taken.store(true, Ordering::Relaxed);
        let start = Instant::now();
        loop {
            let step = next_step(self.per_read, start, Timeout::RecvBody).map_err(|e| match e {
                Error::Io(io) => io,
                _ => io::Error::new(io::ErrorKind::TimedOut, "the server sent nothing within the read timeout"),
            })?;
            // The socket timeout as last set (0: never), kept in an atomic since `self` is shared.
            let last = self.read_timeout.load(Ordering::Relaxed);
            let mut set = (last != 0).then(|| Duration::from_nanos(last));
            let read = sys::read_all_step(&self.stream, buf, step, &mut set);
            let now = set.map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
            if now != last {
                self.read_timeout.store(now, Ordering::Relaxed);
            }
            match read {
                // A wait that got part of the bytes ends with them.
                Ok(n) => return Ok(n),
                Err(e) if is_wait_over(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
