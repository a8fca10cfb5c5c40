//! Control of calls in flight: `wf_abort` (a switch that stops calls from another thread or a
//! signal handler), client views whose calls obey an abort switch, an overall timeout and a
//! transfer callback, the log hook, and the cap on concurrent requests.

use super::handle::{self, Handle};
use super::panic::{ffi_status, ffi_value};
use super::ptr::{client, out};
use super::{wf_client, wf_status};
use crate::session::log::LogLevel;
use crate::wire::interrupt::{AbortHandle, CallControls, Transfer};
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

/// A switch that stops the calls of the client views made with it. Opaque; thread-safe.
///
/// Methods: `wf_abort_new`, `wf_abort_trigger`, `wf_abort_is_triggered`, `wf_abort_reset`,
/// `wf_abort_free`.
pub struct wf_abort {
    _private: [u8; 0],
}

impl Handle for wf_abort {
    type Rust = Arc<AbortHandle>;
}

/// Bytes a call has moved, given to a `wf_transfer_fn`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct wf_transfer {
    /// Bytes of the response body received so far (of the body being downloaded).
    pub received: u64,
    /// Its total, when the server announced one (`Content-Length`); -1 when unknown.
    pub receive_total: i64,
    /// Bytes of a request body sent so far (uploads).
    pub sent: u64,
    /// Its total when known; -1 when unknown or when nothing is sent.
    pub send_total: i64,
}

impl From<&Transfer> for wf_transfer {
    fn from(t: &Transfer) -> wf_transfer {
        let total = |n: Option<u64>| n.and_then(|n| i64::try_from(n).ok()).unwrap_or(-1);
        wf_transfer {
            received: t.received,
            receive_total: total(t.receive_total),
            sent: t.sent,
            send_total: total(t.send_total),
        }
    }
}

/// Called during every call of a client view, on the thread making the call: at least every
/// 100 ms while the call waits (connecting, waiting for an answer, between polls of `wf_wait`),
/// as data moves (at most every 50 ms), and once more when a download completes. Every download
/// of a result counts its bytes, whatever it goes into: a file, a `wf_write_fn`, the caller's
/// buffer (`wf_get_result`, `wf_get_result_text`, `wf_get_managed_result`) or memory
/// (`wf_get_result_ex`, `wf_run_adhoc_ex`). `transfer` is valid during the call only. Return 0
/// to go on, non-zero to stop the call (`WF_ABORTED`), mid-body too.
///
/// Calling back in: this callback, like every callback of this library (`wf_log_fn`,
/// `wf_write_fn`, `wf_read_fn`, `wf_progress_fn`), may call any function of the library, on any
/// client, its own included; the library holds no lock while a callback runs. Such a call is a
/// call of its own: its view's abort switch, timeout and transfer callback apply to it and its
/// byte counts are its own, while the abort switch and timeout of the call it was made from
/// still stop it. Under `wf_client_set_max_concurrent` it shares the request slot of the call it
/// was made from (it never waits for a slot its own thread holds). A callback is not called
/// again by the calls it makes. `wf_cancel` of the operation that `wf_wait` is waiting for is
/// sent at once, and the wait returns `WF_ABORTED` when the callback returns. A callback must not
/// free a handle that the running call uses (its client or view, abort switch, `wf_data`).
pub type wf_transfer_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, transfer: *const wf_transfer) -> i32>;

/// Called with each log line, on the thread of the call that logs (so from several threads when
/// the client is shared). `message` is valid during the call only and never holds a secret.
/// It may call the library as a `wf_transfer_fn` may (see there).
pub type wf_log_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, level: LogLevel, message: *const c_char)>;

/// The caller's `user_data`, carried to the thread of each call. The caller promises what the
/// callback's documentation asks: it may be called from the threads that make calls.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: the pointer is only handed back to the caller's own callback; which threads call it is
// part of the documented contract of `wf_client_with_controls` and `wf_client_set_log`.
unsafe impl Send for UserData {}
// SAFETY: as above; the library never dereferences it.
unsafe impl Sync for UserData {}

impl UserData {
    /// The pointer (a method, so that closures capture the whole wrapper, not its field).
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// Creates an abort switch, not triggered. On `WF_OK`, `*out_abort` owns it: free it with
/// `wf_abort_free` (a view made with it keeps what it needs, so the order does not matter).
#[no_mangle]
pub unsafe extern "C" fn wf_abort_new(out_abort: *mut *mut wf_abort) -> wf_status {
    ffi_status!({
        out(out_abort, "out_abort")?.set(handle::into_raw(Arc::new(AbortHandle::new())));
        Ok(wf_status::WF_OK)
    })
}

/// Triggers the switch: every call of a view made with it stops within 250 ms wherever it is
/// (connecting, logging in, sending, waiting for an answer, reading a body, sleeping between
/// polls) with `WF_ABORTED`, leaves no partial file, and leaves the client usable. Calls
/// started while it is triggered stop at once. It stays triggered until `wf_abort_reset`.
/// Thread-safe, and async-signal-safe (one atomic store): call it from a SIGINT handler.
/// NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn wf_abort_trigger(abort: *const wf_abort) {
    // No allocation, no lock: the guard costs nothing unless a panic happens, which it cannot.
    ffi_value!((), {
        // SAFETY: NULL or a live handle (the caller's contract).
        if let Some(a) = unsafe { handle::try_ref(abort) } {
            a.trigger();
        }
    })
}

/// Whether the switch is triggered; false for NULL.
#[no_mangle]
pub unsafe extern "C" fn wf_abort_is_triggered(abort: *const wf_abort) -> bool {
    ffi_value!(false, { unsafe { handle::try_ref(abort) }.is_some_and(|a| a.is_triggered()) })
}

/// Makes the switch untriggered again, so that its views can make calls again. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn wf_abort_reset(abort: *const wf_abort) {
    ffi_value!((), {
        if let Some(a) = unsafe { handle::try_ref(abort) } {
            a.reset();
        }
    })
}

/// Frees the caller's reference to a switch. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn wf_abort_free(abort: *mut wf_abort) {
    ffi_value!((), {
        // SAFETY: from wf_abort_new and not freed yet (the caller's contract).
        unsafe { handle::free(abort) }
    })
}

/// Makes a view of `client`: a `wf_client` that shares everything with it (connections,
/// credentials, kept bodies, options) and whose every call obeys these controls, so that any
/// function taking a client gains them. Free the view with `wf_client_free` (the client it was
/// made from lives on, and either may be freed first).
/// - `abort` (NULL: none): triggering it stops the view's calls (see `wf_abort_trigger`).
/// - `timeout_ms` (0: none): each call must finish within this time, everything included:
///   connect retries, a login it triggers, waiting for a request slot, the body. Past it the call
///   returns `WF_TIMEOUT`. For `wf_wait`, the smaller of this and its own `timeout_ms` bounds the
///   whole wait, the poll in flight included.
/// - `on_transfer` (NULL: none) with `user_data`: see `wf_transfer_fn`; when the view is used
///   from several threads at once, it is called from each of them.
#[no_mangle]
pub unsafe extern "C" fn wf_client_with_controls(
    client: *const wf_client,
    abort: *const wf_abort,
    timeout_ms: u32,
    on_transfer: wf_transfer_fn,
    user_data: *mut c_void,
    out_view: *mut *mut wf_client,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let slot = out(out_view, "out_view")?;
        // SAFETY: NULL or a live handle (the caller's contract).
        let abort = unsafe { handle::try_ref(abort) }.cloned();
        let user = UserData(user_data);
        let on_transfer = on_transfer.map(|f| -> crate::wire::interrupt::TransferFn {
            Arc::new(move |t: &Transfer| {
                let info = wf_transfer::from(t);
                // SAFETY: the caller's callback with its own user_data, on the calling thread.
                unsafe { f(user.get(), &info) == 0 }
            })
        });
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms as u64));
        slot.set(handle::into_raw(c.with_controls(CallControls { abort, timeout, on_transfer })));
        Ok(wf_status::WF_OK)
    })
}

/// Sends each log line of this client (and of all its views) to `log` with `user_data`; NULL
/// turns logging off (the default; while off, nothing is formatted). Lines: each HTTP exchange
/// (`WF_LOG_INFO`: method, path, status, announced length, time to the answer), retries and
/// re-logins (`WF_LOG_WARN`), failed calls (`WF_LOG_ERROR`). A line never contains a password,
/// token or Basic header. `log` is called from the threads that make calls: it must be
/// thread-safe when the client is shared.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_log(
    client: *const wf_client,
    log: wf_log_fn,
    user_data: *mut c_void,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let user = UserData(user_data);
        c.set_log(log.map(|f| -> crate::session::log::LogFn {
            Arc::new(move |level: LogLevel, message: &str| {
                let line = CString::new(message.replace('\0', " ")).unwrap_or_default();
                // SAFETY: the caller's callback with its own user_data and a valid C string.
                unsafe { f(user.get(), level, line.as_ptr()) }
            })
        }));
        Ok(wf_status::WF_OK)
    })
}

/// Allows at most `max` requests of this client (and all its views) in flight at once; 0 (the
/// default) allows any number. Callers beyond it wait their turn, within their own timeout and
/// abort switch. A call keeps its slot until its body is read, so a running download is never
/// starved by new calls; `wf_wait` takes a slot per poll and none while it sleeps. A call made
/// from a callback of a call holding a slot (on the same thread) shares that slot.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_max_concurrent(client: *const wf_client, max: u32) -> wf_status {
    ffi_status!({
        unsafe { self::client(client) }?.set_max_concurrent(max as usize);
        Ok(wf_status::WF_OK)
    })
}
