//! The boundary guard: every exported body runs inside `catch_unwind`, and the thread-local
//! last error that `wf_last_error_message` and `wf_last_http_status` report.

use super::wf_status;
use crate::error::Error;
use std::cell::RefCell;
use std::ffi::CString;

struct LastError {
    message: CString,
    http_status: i32,
}

thread_local! {
    static LAST: RefCell<LastError> = RefCell::new(LastError { message: CString::default(), http_status: 0 });
}

pub(crate) fn clear_last_error() {
    LAST.with(|l| {
        let mut l = l.borrow_mut();
        if !l.message.as_bytes().is_empty() {
            l.message = CString::default();
        }
        l.http_status = 0;
    });
}

pub(crate) fn set_last_error(message: &str, http_status: u16) {
    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST.with(|l| *l.borrow_mut() = LastError { message, http_status: http_status as i32 });
}

pub(crate) fn last_error_ptr() -> *const std::ffi::c_char {
    LAST.with(|l| l.borrow().message.as_ptr())
}

pub(crate) fn last_http_status() -> i32 {
    LAST.with(|l| l.borrow().http_status)
}

pub(crate) fn into_status(outcome: std::thread::Result<crate::error::Result<wf_status>>) -> wf_status {
    match outcome {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => report(&e),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            set_last_error(&format!("internal error (a bug in olconnect-wf, please report it): {what}"), 0);
            wf_status::WF_INTERNAL_ERROR
        }
    }
}

fn report(e: &Error) -> wf_status {
    set_last_error(&e.message, e.http_status);
    e.status.into()
}

/// Runs a fallible exported body: clears the last error, catches panics, maps errors.
/// The body evaluates to `Result<wf_status>`.
macro_rules! ffi_status {
    ($body:block) => {{
        $crate::ffi::panic::clear_last_error();
        $crate::ffi::panic::into_status(::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> $crate::error::Result<$crate::ffi::wf_status> { $body },
        )))
    }};
}

/// Runs an infallible exported body; a panic gives `$default`.
macro_rules! ffi_value {
    ($default:expr, $body:block) => {{
        ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)).unwrap_or($default)
    }};
}

pub(crate) use {ffi_status, ffi_value};
