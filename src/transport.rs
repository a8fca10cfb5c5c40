//! The TCP transport under every request. It replaces the HTTP stack's own so that a call can
//! be stopped wherever it blocks: connecting (a non-blocking connect polled in steps), sending
//! and receiving (socket timeouts of at most one step) all ask the call's controls
//! (`interrupt::poll`) between steps, and never wait past the call's deadline. TLS, SOCKS and
//! HTTP CONNECT proxies are layered on top of it by the stack's own connectors, so the TLS
//! handshake and everything after it are stoppable too (connecting to a SOCKS proxy is not).
//!
//! A connection with nothing layered on it (plain HTTP, no proxy) can also be handed over to a
//! reader of a large body, which then reads the socket straight into its own buffer
//! ([`Handover`]; docs/architecture.md, "Reading bodies").

use crate::buffers::GrowingBuffers;
use crate::interrupt::{self, Interrupt, TICK};
use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, NextTimeout, RustlsConnector, SocksConnector,
    Transport,
};
use ureq::{Agent, Error, Timeout};

/// An agent whose connections use [`StoppableTcpConnector`], with the stack's proxy and TLS
/// layers around it (the same order as the stack's default chain).
pub(crate) fn agent(config: Config) -> Agent {
    let connector =
        ().chain(SocksConnector::default())
            .chain(ConnectProxyConnector::default())
            .chain(StoppableTcpConnector)
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
pub(crate) struct StoppableTcpConnector;

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
                    let bare = !details.needs_tls() && details.config.proxy().is_none();
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
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(Error::ConnectionFailed))
    }
}

fn is_final(e: &Error) -> bool {
    match e {
        Error::Timeout(_) => true,
        Error::Io(io) => Interrupt::from_io(io).is_some(),
        _ => false,
    }
}

/// A TCP connection made without blocking for longer than a step at a time.
fn connect(addr: SocketAddr, budget: Option<Duration>, start: Instant) -> Result<TcpStream, Error> {
    let domain = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: a plain system call; the descriptor is owned by the TcpStream right after.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error().into());
    }
    // SAFETY: `fd` is a new socket that nothing else owns.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let (storage, len) = socket_address(addr);
    // SAFETY: `storage` holds a socket address of `len` bytes for this family.
    let rc = unsafe { libc::connect(fd, (&storage as *const libc::sockaddr_storage).cast(), len) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e.into());
        }
        loop {
            let step = next_step(budget, start, Timeout::Connect)?;
            let mut pfd = libc::pollfd { fd: stream.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut pfd, 1, step.as_millis().min(i32::MAX as u128) as i32) };
            if ready > 0 {
                break;
            }
            if ready < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e.into());
                }
            }
        }
        if let Some(e) = stream.take_error()? {
            return Err(e.into());
        }
    }
    stream.set_nonblocking(false)?;
    Ok(stream)
}

fn socket_address(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero bytes are a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in and suitably aligned.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in6 and suitably aligned.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// A TCP connection whose reads and writes wait one step at a time.
pub(crate) struct StoppableTcp {
    stream: Arc<TcpStream>,
    buffers: GrowingBuffers,
    /// For a bare connection: what a body reader needs to take the socket over.
    handover: Option<Arc<Handover>>,
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
    /// Notes this connection, if bare, as the last one on this thread to read.
    fn note_last_read(&self) {
        let Some(h) = &self.handover else { return };
        LAST_READ.with(|last| {
            let mut last = last.borrow_mut();
            if !last.as_ref().is_some_and(|l| std::ptr::eq(l.as_ptr(), Arc::as_ptr(h))) {
                *last = Some(Arc::downgrade(h));
            }
        });
    }

    fn new(stream: Arc<TcpStream>, buffers: GrowingBuffers, handover: Option<Arc<Handover>>) -> StoppableTcp {
        StoppableTcp {
            stream,
            buffers,
            handover,
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
            if self.read_timeout != Some(step) {
                self.stream.set_read_timeout(Some(step))?;
                self.read_timeout = Some(step);
            }
            let input = self.buffers.input_append_buf();
            match (&*self.stream).read(input) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    // Noted after the read, not before the wait: a call made from a callback
                    // during the wait (on this thread) reads through its own connections.
                    self.note_last_read();
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
        // A pooled connection is reusable when reading would block: the peer has neither closed
        // it nor sent anything unasked. One non-blocking peek asks (the socket stays blocking).
        let mut probe = 0u8;
        // SAFETY: one byte of `probe` may be written; the socket is open while `self` holds it.
        let n = unsafe {
            libc::recv(self.stream.as_raw_fd(), (&mut probe as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT)
        };
        let open = n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock;
        // Between requests: a buffer grown for a large body goes back to its starting size.
        self.buffers.shrink();
        self.accepted = 0;
        open
    }
}

thread_local! {
    /// The bare connection that last waited for input on this thread: the one that received
    /// the response being handled, since a call's requests run on its thread one at a time.
    /// Weak, so that it never keeps a closed connection's socket open.
    static LAST_READ: RefCell<Option<Weak<Handover>>> = const { RefCell::new(None) };
}

/// Forgets the connection that last read on this thread (before a request whose response may
/// come through a connection that cannot be handed over).
pub(crate) fn forget_last_read() {
    LAST_READ.with(|last| last.borrow_mut().take());
}

/// Takes the bare connection that received the response just returned on this thread, if it
/// was one (see [`forget_last_read`]).
pub(crate) fn take_last_read() -> Option<Arc<Handover>> {
    LAST_READ.with(|last| last.borrow_mut().take()).and_then(|h| h.upgrade())
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
            let nanos = u64::try_from(step.as_nanos()).unwrap_or(u64::MAX);
            if self.read_timeout.load(Ordering::Relaxed) != nanos {
                self.stream.set_read_timeout(Some(step))?;
                self.read_timeout.store(nanos, Ordering::Relaxed);
            }
            // SAFETY: `buf` is valid for writes of its length; the socket is open while `self`
            // holds the stream.
            let n =
                unsafe { libc::recv(self.stream.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_WAITALL) };
            if n >= 0 {
                // With the step's timeout, a wait that got part of the bytes ends with them.
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if !is_wait_over(&e) {
                return Err(e);
            }
        }
    }
}
