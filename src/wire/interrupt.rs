//! Stopping and bounding a call while it runs. Each call of a client pushes a frame with its
//! own controls (an abort handle, an overall timeout, a transfer callback) and its own transfer
//! counters on a per-thread stack of calls in progress; a call made from a callback of another
//! (on the same thread) pushes its frame above it, so every frame's abort switch and deadline
//! apply to the calls above it, while the transfer callback and counters are the call's own.
//! Everything that can block (connecting, sending, waiting for an answer, reading a body,
//! sleeping between polls, waiting for the login lock or a request slot) waits in steps of at
//! most [`TICK`] and asks [`poll`] between steps. So an abort, a deadline or a callback's "stop"
//! takes effect within one step, wherever the call is. See docs/c-contract.md, "Stopping a
//! call", and docs/architecture.md, "State of a call".

use crate::error::{Error, Hint, Language, Status};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
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
            Interrupt::Stopped => f.write_str(Hint::StoppedByTransferCallback.text(language())),
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

/// One call in progress on this thread, or an inner part of one (see [`enter_quiet`]).
struct Frame {
    id: u64,
    /// An inner frame belongs to the call below it: it keeps caller code from running (`quiet`)
    /// while the library holds a lock. The call's transfer callback, counters and connection
    /// note stay with the call's own frame.
    inner: bool,
    quiet: bool,
    /// The language of the client whose call this is: its messages' hints speak it.
    language: Language,
    abort: Option<Arc<AbortHandle>>,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    on_transfer: Option<TransferFn>,
    transfer: Transfer,
    last_report: Option<Instant>,
    /// While its transfer callback runs: the callback is not called again from a call it makes.
    in_callback: bool,
    /// Set by the first `poll` that stopped this frame, or a frame below it.
    interrupted: Option<Interrupt>,
    /// The connection that last received input for this call (see `note_connection`).
    connection: Option<Weak<dyn Any + Send + Sync>>,
    /// The request slots this call holds, by limiter (see `holds_slot`).
    slots: Vec<usize>,
}

impl Frame {
    fn new(id: u64, controls: &CallControls, inner: bool, quiet: bool, language: Language) -> Frame {
        Frame {
            id,
            inner,
            quiet,
            language,
            abort: controls.abort.clone(),
            timeout: controls.timeout,
            deadline: controls.timeout.and_then(|t| Instant::now().checked_add(t)),
            on_transfer: controls.on_transfer.clone(),
            transfer: Transfer::default(),
            last_report: None,
            in_callback: false,
            interrupted: None,
            connection: None,
            slots: Vec::new(),
        }
    }

    /// Why this frame must stop now, if it must.
    fn must_stop(&self, now: Instant) -> Option<Interrupt> {
        if self.interrupted.is_some() {
            return self.interrupted;
        }
        if self.abort.as_ref().is_some_and(|h| h.is_triggered()) {
            return Some(Interrupt::Aborted);
        }
        match (self.deadline, self.timeout) {
            (Some(d), Some(t)) if now >= d => Some(Interrupt::Deadline(t)),
            _ => None,
        }
    }
}

thread_local! {
    /// The calls in progress on this thread, outermost first. A frame is pushed by the call
    /// that owns it and popped when that call returns ([`Scope`]); nothing else writes here.
    static CALLS: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// The frame of one call (or inner part) on this thread's stack, popped when dropped.
pub(crate) struct Scope {
    id: u64,
    /// Pinned to the thread whose stack holds the frame.
    _not_send: PhantomData<*const ()>,
}

fn push(controls: &CallControls, inner: bool, quiet: bool, language: Language) -> Scope {
    let id = NEXT_ID.with(|n| {
        let id = n.get().wrapping_add(1);
        n.set(id);
        id
    });
    CALLS.with(|c| c.borrow_mut().push(Frame::new(id, controls, inner, quiet, language)));
    Scope { id, _not_send: PhantomData }
}

/// Enters the frame of a public call with these controls: its own abort switch, timeout,
/// transfer callback and counters. Frames below it (the calls it was made from, on this
/// thread) still stop it with their abort switches and deadlines. `language` is that of the
/// client making the call: the messages made during the call speak it ([`language`]).
pub(crate) fn enter(controls: &CallControls, language: Language) -> Scope {
    push(controls, false, false, language)
}

/// The language of the innermost call in progress on this thread (C outside any call): the
/// column of the hints (src/error.rs) for the messages made meanwhile, in any layer.
pub fn language() -> Language {
    CALLS.with(|c| {
        let frames = c.borrow();
        call_frame(&frames).map_or(Language::C, |top| frames[top].language)
    })
}

/// Keeps the call in progress from running caller code (its transfer callback) for as long as
/// the scope lives, while its abort switch and deadline still apply: for work done while the
/// library holds a lock that a call made from a callback could want.
pub(crate) fn enter_quiet() -> Scope {
    push(&CallControls::default(), true, true, Language::C)
}

impl Scope {
    /// Why the call was stopped, if it was.
    pub(crate) fn interrupted(&self) -> Option<Interrupt> {
        CALLS.with(|c| c.borrow().iter().find(|f| f.id == self.id).and_then(|f| f.interrupted))
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        CALLS.with(|c| {
            let mut frames = c.borrow_mut();
            if let Some(pos) = frames.iter().position(|f| f.id == self.id) {
                // Scopes are dropped in the reverse order of their creation: nothing is above.
                frames.truncate(pos);
            }
        });
    }
}

/// The position of the innermost call frame (not an inner one).
fn call_frame(frames: &[Frame]) -> Option<usize> {
    frames.iter().rposition(|f| !f.inner)
}

fn with_call<R>(f: impl FnOnce(&mut Frame) -> R) -> Option<R> {
    CALLS.with(|c| {
        let mut frames = c.borrow_mut();
        let top = call_frame(&frames)?;
        Some(f(&mut frames[top]))
    })
}

/// Whether the call on this thread must stop now; calls its transfer callback when one is due.
/// Outside any call, never.
pub(crate) fn poll() -> Result<(), Interrupt> {
    poll_with(false)
}

fn same_callback(a: &TransferFn, b: &TransferFn) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

fn poll_with(data_moved: bool) -> Result<(), Interrupt> {
    // The callback runs after the stack is released, so that it may call into the library.
    let due = CALLS.with(|c| {
        let mut frames = c.borrow_mut();
        let now = Instant::now();
        // A frame that must stop stops every frame above it: the calls made from it.
        if let Some((at, stop)) = frames.iter().enumerate().find_map(|(i, f)| f.must_stop(now).map(|s| (i, s))) {
            for f in &mut frames[at..] {
                f.interrupted.get_or_insert(stop);
            }
            return Err(stop);
        }
        let Some(top) = call_frame(&frames) else { return Ok(None) };
        if frames[top + 1..].iter().any(|f| f.quiet) {
            return Ok(None);
        }
        let Some(cb) = frames[top].on_transfer.clone() else { return Ok(None) };
        // A call made from this very callback does not call it again (no re-entry).
        if frames.iter().any(|f| f.in_callback && f.on_transfer.as_ref().is_some_and(|o| same_callback(o, &cb))) {
            return Ok(None);
        }
        let frame = &mut frames[top];
        let due = frame.last_report.is_none_or(|last| {
            let since = now.duration_since(last);
            since >= TICK || (data_moved && since >= REPORT_INTERVAL)
        });
        if !due {
            return Ok(None);
        }
        frame.last_report = Some(now);
        frame.in_callback = true;
        Ok(Some((cb, frame.transfer, frame.id)))
    })?;
    let Some((callback, transfer, id)) = due else { return Ok(()) };
    let go_on = callback(&transfer);
    CALLS.with(|c| {
        let mut frames = c.borrow_mut();
        if let Some(pos) = frames.iter().position(|f| f.id == id) {
            frames[pos].in_callback = false;
            if !go_on {
                for f in &mut frames[pos..] {
                    f.interrupted.get_or_insert(Interrupt::Stopped);
                }
            }
        }
    });
    if go_on {
        Ok(())
    } else {
        Err(Interrupt::Stopped)
    }
}

/// Whether the call on this thread may be stopped by something that wakes no one: an abort
/// switch (triggering it is a bare atomic store, safe in a signal handler) or a transfer callback
/// (called every [`TICK`] while the call waits), in any of its frames. A call blocked on a
/// wake-up must then look every tick; one without either may sleep until its deadline.
pub(crate) fn stoppable_without_wake_up() -> bool {
    CALLS.with(|c| c.borrow().iter().any(|f| f.abort.is_some() || f.on_transfer.is_some()))
}

/// How long the call on this thread may still wait: the smaller of `want` and the time left
/// before the nearest deadline of its frames.
pub(crate) fn time_left(want: Duration) -> Duration {
    CALLS.with(|c| {
        let now = Instant::now();
        c.borrow().iter().filter_map(|f| f.deadline).fold(want, |w, d| w.min(d.saturating_duration_since(now)))
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
        std::thread::sleep(time_left(left.min(TICK)).max(Duration::from_millis(1)));
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
    with_call(|f| f.last_report = None);
    poll_with(true)
}

fn update(change: impl FnOnce(&mut Transfer)) {
    with_call(|f| change(&mut f.transfer));
}

/// Notes, for the call in progress, the connection that just received input: the one that
/// carried the answer being read, since a call's requests run one at a time. Weak, so that it
/// never keeps a closed connection open. Calls made from a callback note on their own frames.
pub(crate) fn note_connection(connection: &Arc<dyn Any + Send + Sync>) {
    with_call(|f| {
        if !f.connection.as_ref().is_some_and(|w| std::ptr::addr_eq(w.as_ptr(), Arc::as_ptr(connection))) {
            f.connection = Some(Arc::downgrade(connection));
        }
    });
}

/// Forgets the connection noted for the call in progress (before it sends a request).
pub(crate) fn forget_connection() {
    with_call(|f| f.connection = None);
}

/// Takes the connection noted for the call in progress since it was last forgotten.
pub(crate) fn take_connection() -> Option<Arc<dyn Any + Send + Sync>> {
    with_call(|f| f.connection.take()).flatten().and_then(|w| w.upgrade())
}

/// Whether a call in progress on this thread holds a slot of the limiter `limiter` (a call made
/// from a callback then shares it instead of waiting for its own caller to give it back).
pub(crate) fn holds_slot(limiter: usize) -> bool {
    CALLS.with(|c| c.borrow().iter().any(|f| f.slots.contains(&limiter)))
}

/// Notes that the call in progress took a slot of `limiter`.
pub(crate) fn note_slot(limiter: usize) {
    with_call(|f| f.slots.push(limiter));
}

/// Notes that a slot of `limiter` was given back.
pub(crate) fn forget_slot(limiter: usize) {
    CALLS.with(|c| {
        let mut frames = c.borrow_mut();
        if let Some(f) = frames.iter_mut().rev().find(|f| f.slots.contains(&limiter)) {
            f.slots.retain(|&l| l != limiter);
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
        let scope = enter(&controls, Language::C);
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
        let _outer = enter(&controls, Language::C);
        let _inner = enter(&CallControls::default(), Language::C);
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
        let _scope = enter(&controls, Language::C);
        begin_receive(Some(200));
        assert_eq!(received(50), Ok(()));
        assert_eq!(report_final(), Ok(()), "a final report is always made");
        assert_eq!(received(60), Ok(()), "not due yet");
        assert_eq!(report_final(), Err(Interrupt::Stopped));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_nested_call_obeys_its_own_abort_and_keeps_its_own_counters() {
        let outer_abort = Arc::new(AbortHandle::new());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let outer = enter(
            &CallControls {
                abort: Some(outer_abort.clone()),
                on_transfer: Some(Arc::new(move |t: &Transfer| {
                    log.lock().unwrap().push(t.received);
                    true
                })),
                ..Default::default()
            },
            Language::C,
        );
        begin_receive(Some(1000));
        assert_eq!(received(400), Ok(()));
        {
            let inner_abort = Arc::new(AbortHandle::new());
            inner_abort.trigger();
            let inner = enter(&CallControls { abort: Some(inner_abort), ..Default::default() }, Language::C);
            begin_receive(None);
            assert_eq!(poll(), Err(Interrupt::Aborted), "the nested call's own switch stops it");
            assert_eq!(inner.interrupted(), Some(Interrupt::Aborted));
        }
        assert_eq!(poll(), Ok(()), "the outer call goes on");
        assert_eq!(report_final(), Ok(()));
        assert_eq!(seen.lock().unwrap().last(), Some(&400), "its counters were not reset");
        assert_eq!(outer.interrupted(), None);
        {
            let _inner = enter(&CallControls::default(), Language::C);
            outer_abort.trigger();
            assert_eq!(poll(), Err(Interrupt::Aborted), "the outer switch stops the nested call");
        }
        assert_eq!(outer.interrupted(), Some(Interrupt::Aborted));
    }

    #[test]
    fn a_nested_deadline_is_its_own_and_the_nearest_one_bounds_waits() {
        let _outer = enter(&CallControls { timeout: Some(Duration::from_secs(60)), ..Default::default() }, Language::C);
        let inner =
            enter(&CallControls { timeout: Some(Duration::from_millis(100)), ..Default::default() }, Language::C);
        assert!(time_left(Duration::from_secs(10)) <= Duration::from_millis(100));
        let start = Instant::now();
        assert_eq!(sleep(Duration::from_secs(5)), Err(Interrupt::Deadline(Duration::from_millis(100))));
        assert!(start.elapsed() < Duration::from_millis(400));
        drop(inner);
        assert_eq!(poll(), Ok(()));
    }

    #[test]
    fn a_callback_is_not_reentered_by_the_calls_it_makes() {
        let depth = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (d, m) = (depth.clone(), most.clone());
        let controls = CallControls {
            on_transfer: Some(Arc::new(move |_: &Transfer| {
                let now = d.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                // A call made from the callback, on the same view: same controls.
                let same = CallControls { on_transfer: CURRENT.with(|c| c.borrow().clone()), ..Default::default() };
                let _nested = enter(&same, Language::C);
                let _ = report_final();
                d.fetch_sub(1, Ordering::SeqCst);
                true
            })),
            ..Default::default()
        };
        thread_local! {
            static CURRENT: RefCell<Option<TransferFn>> = const { RefCell::new(None) };
        }
        CURRENT.with(|c| *c.borrow_mut() = controls.on_transfer.clone());
        let _outer = enter(&controls, Language::C);
        assert_eq!(report_final(), Ok(()));
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_quiet_scope_runs_no_callback_but_still_stops() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let abort = Arc::new(AbortHandle::new());
        let _call = enter(
            &CallControls {
                abort: Some(abort.clone()),
                on_transfer: Some(Arc::new(move |_: &Transfer| {
                    seen.fetch_add(1, Ordering::SeqCst);
                    true
                })),
                ..Default::default()
            },
            Language::C,
        );
        {
            let _quiet = enter_quiet();
            assert_eq!(report_final(), Ok(()));
            assert_eq!(calls.load(Ordering::SeqCst), 0);
            abort.trigger();
            assert_eq!(poll(), Err(Interrupt::Aborted));
        }
    }

    #[test]
    fn a_connection_note_belongs_to_the_call_that_read() {
        let _outer = enter(&CallControls::default(), Language::C);
        let outer_conn: Arc<dyn Any + Send + Sync> = Arc::new(1u8);
        let nested_conn: Arc<dyn Any + Send + Sync> = Arc::new(2u8);
        forget_connection();
        {
            let _nested = enter(&CallControls::default(), Language::C);
            note_connection(&nested_conn);
        }
        assert!(take_connection().is_none(), "a nested call's connection is not the outer call's");
        note_connection(&outer_conn);
        {
            let _inner = enter_quiet();
            let taken = take_connection().expect("an inner scope sees its call's note");
            assert!(Arc::ptr_eq(&taken, &outer_conn));
        }
    }

    #[test]
    fn slots_are_known_to_calls_made_from_the_holder() {
        let _outer = enter(&CallControls::default(), Language::C);
        note_slot(7);
        {
            let _nested = enter(&CallControls::default(), Language::C);
            assert!(holds_slot(7));
            assert!(!holds_slot(8));
        }
        forget_slot(7);
        assert!(!holds_slot(7));
    }
}
