//! Unix (Linux first): `poll` for a connect in progress, socket timeouts for bounded reads (the
//! kernel wakes the read itself, one system call per wait), `recv(MSG_WAITALL)` so that a large
//! read waits for a whole chunk, a non-blocking peek for idle pooled connections, and
//! `mincore`/`madvise(MADV_POPULATE_WRITE)` for pages.

use socket2::Socket;
use std::io::{self, Read};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Whether `connect` on a non-blocking socket reported an attempt in progress.
pub(crate) fn connect_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS)
}

/// Waits at most `step` for a connecting socket to become writable (connected or failed).
pub(crate) fn wait_writable(socket: &Socket, step: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd { fd: socket.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
    // SAFETY: one valid pollfd.
    let ready = unsafe { libc::poll(&mut pfd, 1, step.as_millis().min(i32::MAX as u128) as i32) };
    match ready {
        n if n > 0 => Ok(true),
        0 => Ok(false),
        _ => {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// Bounds the socket's next read to `step`; `set` is its read timeout as last set, so that it
/// is set only when it changes (a large body takes thousands of reads).
fn bound_read(stream: &TcpStream, step: Duration, set: &mut Option<Duration>) -> io::Result<()> {
    if *set != Some(step) {
        stream.set_read_timeout(Some(step))?;
        *set = Some(step);
    }
    Ok(())
}

/// A blocking read that waits at most `step` (then `WouldBlock` or `TimedOut`).
pub(crate) fn read_step(
    stream: &TcpStream,
    buf: &mut [u8],
    step: Duration,
    set: &mut Option<Duration>,
) -> io::Result<usize> {
    bound_read(stream, step, set)?;
    (&*stream).read(buf)
}

/// Like [`read_step`], but waits until all of `buf` has arrived, the peer closed, or the step
/// ended with some bytes: one wake-up per chunk rather than per arrival.
pub(crate) fn read_all_step(
    stream: &TcpStream,
    buf: &mut [u8],
    step: Duration,
    set: &mut Option<Duration>,
) -> io::Result<usize> {
    bound_read(stream, step, set)?;
    // SAFETY: `buf` is valid for writes of its length; the socket is open while `stream` is.
    let n = unsafe { libc::recv(stream.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_WAITALL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Whether a connection is idle: the peer has neither closed it nor sent anything unasked. One
/// non-blocking peek (the socket stays blocking).
pub(crate) fn is_idle(stream: &TcpStream) -> bool {
    let mut probe = 0u8;
    // SAFETY: one byte of `probe` may be written; the socket is open while `stream` is.
    let n = unsafe {
        libc::recv(stream.as_raw_fd(), (&mut probe as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT)
    };
    n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
}

pub(crate) fn page_size() -> Option<usize> {
    // SAFETY: a plain query.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).ok().filter(|&p| p.is_power_of_two())
}

/// Whether the page starting at `page_start` (of `page` bytes, mapped: it holds a byte of the
/// caller's buffer) is in memory.
pub(crate) fn page_is_resident(page_start: usize) -> bool {
    let mut state = 0u8;
    // SAFETY: the page is mapped (see above); one page is asked about, so one byte of `state`
    // is written.
    let rc = unsafe { libc::mincore(page_start as *mut libc::c_void, 1, &mut state) };
    rc == 0 && state & 1 == 1
}

/// Faults in, as about to be written, the pages of `first..first + len` (page-aligned, each
/// holding a byte of a region the caller owns). No byte changes. False when the kernel cannot
/// (before Linux 5.14) or refuses.
pub(crate) fn populate_write(first: usize, len: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: every page of the range holds a byte of the caller's region, which it owns
        // and is about to write; MADV_POPULATE_WRITE only faults pages in as writable, it reads
        // and changes no byte.
        unsafe { libc::madvise(first as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (first, len);
        false
    }
}
