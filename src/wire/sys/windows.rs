//! Windows: `WSAPoll` bounds every wait of a socket, and a read follows only once bytes (or the
//! end) are there, so no receive ever times out (after a receive that timed out, Winsock leaves
//! the connection in an indeterminate state). Pages are not brought in ahead: large bodies take
//! the HTTP stack's path into buffers whose pages are not known to be in memory.

use socket2::Socket;
use std::io::{self, Read};
use std::net::TcpStream;
use std::os::windows::io::AsRawSocket;
use std::time::Duration;
use windows_sys::Win32::Networking::WinSock::{
    WSAPoll, POLLRDNORM, POLLWRNORM, SOCKET, SOCKET_ERROR, WSAEINPROGRESS, WSAEWOULDBLOCK, WSAPOLLFD,
};

/// Whether `connect` on a non-blocking socket reported an attempt in progress.
pub(crate) fn connect_in_progress(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(code) if code == WSAEWOULDBLOCK || code == WSAEINPROGRESS)
}

/// Waits at most `step` for `events` on a socket; true when one (or an error, or the end) is
/// reported.
fn poll(socket: SOCKET, events: i16, step: Duration) -> io::Result<bool> {
    let mut pfd = WSAPOLLFD { fd: socket, events, revents: 0 };
    let millis = step.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid WSAPOLLFD for a socket that is open while the caller holds it.
    let ready = unsafe { WSAPoll(&mut pfd, 1, millis) };
    if ready == SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(ready > 0)
}

/// Waits at most `step` for a connecting socket to become writable (connected or failed).
pub(crate) fn wait_writable(socket: &Socket, step: Duration) -> io::Result<bool> {
    poll(socket.as_raw_socket() as SOCKET, POLLWRNORM, step)
}

fn timed_out() -> io::Error {
    io::ErrorKind::WouldBlock.into()
}

/// A read that waits at most `step` (then `WouldBlock`): it reads only once the socket has
/// bytes or the end, so the read itself returns at once. `_set` is for the OSes that bound the
/// read with a socket timeout.
pub(crate) fn read_step(
    stream: &TcpStream,
    buf: &mut [u8],
    step: Duration,
    _set: &mut Option<Duration>,
) -> io::Result<usize> {
    if !poll(stream.as_raw_socket() as SOCKET, POLLRDNORM, step)? {
        return Err(timed_out());
    }
    (&*stream).read(buf)
}

/// The same as [`read_step`] here: a read of what has arrived, never a wait past `step`.
pub(crate) fn read_all_step(
    stream: &TcpStream,
    buf: &mut [u8],
    step: Duration,
    set: &mut Option<Duration>,
) -> io::Result<usize> {
    read_step(stream, buf, step, set)
}

/// Whether a connection is idle: the peer has neither closed it nor sent anything unasked
/// (nothing to read, not even the end).
pub(crate) fn is_idle(stream: &TcpStream) -> bool {
    matches!(poll(stream.as_raw_socket() as SOCKET, POLLRDNORM, Duration::ZERO), Ok(false))
}

pub(crate) fn page_size() -> Option<usize> {
    None
}

/// Not known here: pages are never taken for resident.
pub(crate) fn page_is_resident(_page_start: usize) -> bool {
    false
}

/// Not done here: the reads fault the pages in themselves.
pub(crate) fn populate_write(_first: usize, _len: usize) -> bool {
    false
}
