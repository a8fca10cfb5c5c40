//! Stopping and bounding a call while it runs. Each call of a client runs inside a scope that
//! holds its controls (an abort handle, an overall timeout, a transfer callback); everything that
//! can block (connecting, sending, waiting for an answer, reading a body, sleeping between polls,
//! waiting for the login lock or a request slot) waits in steps of at most [`TICK`] and asks
//! [`poll`] between steps. So an abort, a deadline or a callback's "stop" takes effect within
//! one step, wherever the call is. See docs/c-contract.md, "Stopping a call".

use crate::error::{Error, Status};
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a blocked call goes without checking its controls.
pub const TICK: Duration = Duration::from_millis(100);
/// The shortest interval between two transfer callbacks caused by data (stalls report every TICK).
const REPORT_INTERVAL: Duration = Duration::from_millis(50);

/// A switch that stops the calls watching it. Triggering it is one atomic store: safe from any
/// thread and from a signal handler. It stays triggered until reset.
#[derive(Debug, Default)]
pub struct AbortHandle {
    triggered: AtomicBool,
}

impl AbortHandle {
    pub fn new() -> AbortHandle {
        AbortHandle::default()
    }

    pub fn trigger(&self) {
        self.triggered.store(true, Ordering::SeqCst);
    }

    pub fn is_triggered(&self) -> bool {
        self.triggered.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.triggered.store(false, Ordering::SeqCst);
    }
}

/// Bytes a call has moved: of the body it receives, with the total when the server announced
/// one, and of the body it sends, with its total when known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    pub received: u64,
    pub receive_total: Option<u64>,
    pub sent: u64,
    pub send_total: Option<u64>,
}

/// Called on the calling thread with the call's transfer, at least every [`TICK`] while the call
/// waits and as data moves; returning false stops the call (`Aborted`).
pub type TransferFn = Arc<dyn Fn(&Transfer) -> bool + Send + Sync>;

/// What bounds each call made through a client view (see `Client::with_controls`).
#[derive(Clone, Default)]
pub struct CallControls {
    pub abort: Option<Arc<AbortHandle>>,
    /// The most a whole call may take, retries, logins and waits included.
    pub timeout: Option<Duration>,
    pub on_transfer: Option<TransferFn>,
}

impl fmt::Debug for CallControls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallControls")
            .field("abort", &self.abort)
            .field("timeout", &self.timeout)
            .field("on_transfer", &self.on_transfer.is_some())
            .finish()
    }
}

/// Why a call was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// Its abort handle was triggered.
    Aborted,
    /// Its transfer callback asked to stop.
    Stopped,
    /// Its overall timeout passed.
    Deadline(Duration),
}

impl fmt::Display for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interrupt::Aborted => f.write_str("the call was aborted"),
            Interrupt::Stopped => f.write_str("the call was stopped by its transfer callback"),
            Interrupt::Deadline(t) => write!(f, "the call did not finish within its timeout of {} ms", t.as_millis()),
        }
    }
}

impl std::error::Error for Interrupt {}

impl Interrupt {
    /// As an I/O error, so that it passes through the HTTP stack's readers. Not of kind
    /// `Interrupted`: readers retry those (EINTR), and a stopped call must not be retried.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }

    /// The error of a call stopped for this reason.
    pub fn into_error(self) -> Error {
        match self {
            Interrupt::Aborted | Interrupt::Stopped => Error::new(
                Status::Aborted,
                format!("{self}; nothing was delivered as complete and no partial file was left"),
            ),
            Interrupt::Deadline(_) => Error::new(Status::Timeout, format!("{self}; nothing was delivered as complete")),
        }
    }

    /// The interrupt an I/O error carries, if it is one.
    pub fn from_io(e: &std::io::Error) -> Option<Interrupt> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<Interrupt>()).copied()
    }
}

struct Active {
    controls: CallControls,
    deadline: Option<Instant>,
    transfer: Transfer,
    last_report: Option<Instant>,
    /// Set by the first `poll` that stopped the call.
    interrupted: Option<Interrupt>,
}

thread_local! {
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

/// The scope of one call on this thread; nested calls (a wait's progress requests, a login
/// inside a request) share the outermost scope and its deadline.
pub(crate) struct Scope {
    owner: bool,
}

/// Enters the scope of a call with these controls, unless one is active on this thread already.
pub(crate) fn enter(controls: &CallControls) -> Scope {
    ACTIVE.with(|a| {
        let mut a = a.borrow_mut();
        if a.is_some() {
            return Scope { owner: false };
        }
        let deadline = controls.timeout.and_then(|t| Instant::now().checked_add(t));
        *a = Some(Active {
            controls: controls.clone(),
            deadline,
            transfer: Transfer::default(),
            last_report: None,
            interrupted: None,
        });
        Scope { owner: true }
    })
}

impl Scope {
    /// Why the call was stopped, if it was.
    pub(crate) fn interrupted(&self) -> Option<Interrupt> {
        ACTIVE.with(|a| a.borrow().as_ref().and_then(|a| a.interrupted))
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.owner {
            ACTIVE.with(|a| a.borrow_mut().take());
        }
    }
}

/// Why the call on this thread was stopped, if it was.
pub(crate) fn current() -> Option<Interrupt> {
    ACTIVE.with(|a| a.borrow().as_ref().and_then(|a| a.interrupted))
}

/// Whether the call on this thread must stop now; calls its transfer callback when one is due.
/// Outside any scope, never.
pub(crate) fn poll() -> Result<(), Interrupt> {
    poll_with(false)
}

fn poll_with(data_moved: bool) -> Result<(), Interrupt> {
    // The callback runs outside the borrow, so that it may itself call into the library.
    let (callback, transfer) = match ACTIVE.with(|a| {
        let mut a = a.borrow_mut();
        let Some(a) = a.as_mut() else { return Ok(None) };
        if let Some(i) = a.interrupted {
            return Err(i);
        }
        let now = Instant::now();
        let stop = if a.controls.abort.as_ref().is_some_and(|h| h.is_triggered()) {
            Some(Interrupt::Aborted)
        } else {
            match (a.deadline, a.controls.timeout) {
                (Some(d), Some(t)) if now >= d => Some(Interrupt::Deadline(t)),
                _ => None,
            }
        };
        if let Some(i) = stop {
            a.interrupted = Some(i);
            return Err(i);
        }
        let Some(cb) = a.controls.on_transfer.clone() else { return Ok(None) };
        let due = a.last_report.is_none_or(|last| {
            let since = now.duration_since(last);
            since >= TICK || (data_moved && since >= REPORT_INTERVAL)
        });
        if !due {
            return Ok(None);
        }
        a.last_report = Some(now);
        Ok(Some((cb, a.transfer)))
    })? {
        Some(pair) => pair,
        None => return Ok(()),
    };
    if callback(&transfer) {
        return Ok(());
    }
    ACTIVE.with(|a| {
        if let Some(a) = a.borrow_mut().as_mut() {
            a.interrupted = Some(Interrupt::Stopped);
        }
    });
    Err(Interrupt::Stopped)
}

/// How long the call on this thread may still wait: the smaller of `want` and its time left.
pub(crate) fn time_left(want: Duration) -> Duration {
    ACTIVE.with(|a| match a.borrow().as_ref().and_then(|a| a.deadline) {
        Some(d) => want.min(d.saturating_duration_since(Instant::now())),
        None => want,
    })
}

/// Sleeps `d` in steps of at most [`TICK`], stopping early when the call must stop.
pub(crate) fn sleep(d: Duration) -> Result<(), Interrupt> {
    let end = Instant::now() + d;
    loop {
        poll()?;
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(TICK));
    }
}

/// Starts counting a body the call receives (`total` when announced).
pub(crate) fn begin_receive(total: Option<u64>) {
    update(|t| {
        t.received = 0;
        t.receive_total = total;
    });
}

/// Counts bytes received; reports them when a report is due; stops the call when it must.
pub(crate) fn received(n: u64) -> Result<(), Interrupt> {
    update(|t| t.received = t.received.saturating_add(n));
    poll_with(true)
}

/// Starts counting a body the call sends (`total` when known).
pub(crate) fn begin_send(total: Option<u64>) {
    update(|t| {
        t.sent = 0;
        t.send_total = total;
    });
}

/// Counts bytes sent; reports them when a report is due; stops the call when it must.
pub(crate) fn sent(n: u64) -> Result<(), Interrupt> {
    update(|t| t.sent = t.sent.saturating_add(n));
    poll_with(true)
}

/// Reports the final counts of a transfer that completed, whatever the interval.
pub(crate) fn report_final() -> Result<(), Interrupt> {
    ACTIVE.with(|a| {
        if let Some(a) = a.borrow_mut().as_mut() {
            a.last_report = None;
        }
    });
    poll_with(true)
}

fn update(change: impl FnOnce(&mut Transfer)) {
    ACTIVE.with(|a| {
        if let Some(a) = a.borrow_mut().as_mut() {
            change(&mut a.transfer);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn an_interrupt_is_not_an_io_error_that_readers_retry() {
        let e = Interrupt::Aborted.into_io();
        assert_ne!(e.kind(), std::io::ErrorKind::Interrupted);
        assert_eq!(Interrupt::from_io(&e), Some(Interrupt::Aborted));
    }

    #[test]
    fn outside_a_scope_nothing_stops() {
        assert_eq!(poll(), Ok(()));
        assert_eq!(time_left(Duration::from_secs(3)), Duration::from_secs(3));
    }

    #[test]
    fn an_abort_stops_the_scope_and_stays_until_reset() {
        let abort = Arc::new(AbortHandle::new());
        let controls = CallControls { abort: Some(abort.clone()), ..Default::default() };
        let scope = enter(&controls);
        assert_eq!(poll(), Ok(()));
        abort.trigger();
        assert_eq!(poll(), Err(Interrupt::Aborted));
        abort.reset();
        assert_eq!(poll(), Err(Interrupt::Aborted), "a stopped call stays stopped");
        assert_eq!(scope.interrupted(), Some(Interrupt::Aborted));
        drop(scope);
        assert_eq!(poll(), Ok(()));
    }

    #[test]
    fn a_deadline_bounds_sleeps_and_nested_scopes_share_it() {
        let controls = CallControls { timeout: Some(Duration::from_millis(150)), ..Default::default() };
        let _outer = enter(&controls);
        let _inner = enter(&CallControls::default());
        let start = Instant::now();
        assert_eq!(sleep(Duration::from_secs(10)), Err(Interrupt::Deadline(Duration::from_millis(150))));
        assert!(start.elapsed() < Duration::from_millis(400));
        assert_eq!(time_left(Duration::from_secs(1)), Duration::ZERO);
    }

    #[test]
    fn the_transfer_callback_sees_bytes_and_can_stop() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let controls = CallControls {
            on_transfer: Some(Arc::new(move |t: &Transfer| {
                seen.fetch_add(1, Ordering::SeqCst);
                t.received < 100
            })),
            ..Default::default()
        };
        let _scope = enter(&controls);
        begin_receive(Some(200));
        assert_eq!(received(50), Ok(()));
        assert_eq!(report_final(), Ok(()), "a final report is always made");
        assert_eq!(received(60), Ok(()), "not due yet");
        assert_eq!(report_final(), Err(Interrupt::Stopped));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
