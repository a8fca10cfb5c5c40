//! The C ABI (`include/olconnect_wf.h` is generated from this module by cbindgen).
//! Each function checks its pointers, converts its strings, calls the core and maps the outcome
//! to a `wf_status`; the logic lives in the core modules.
#![allow(non_camel_case_types)]
// The exports are reachable from Rust (the integration tests call them). Their safety contract
// is the C contract, the same for every one of them and stated once in docs/c-contract.md
// ("General rules"): handles from this library and not yet freed, NUL-terminated strings,
// buffers valid for the lengths given and not overlapping other arguments.
#![allow(clippy::missing_safety_doc)]

pub mod client;
pub mod control;
pub mod filestore;
mod handle;
mod log_level;
mod panic;
mod ptr;
pub mod result;
mod status;
pub mod workflow;

pub use crate::session::result::ResultType;
use panic::ffi_value;
pub use status::wf_status;
use std::ffi::c_char;

/// The version of the ABI described by this header. Wrappers compare it with
/// `wf_abi_version()` right after loading the library and refuse to run on a mismatch.
pub const WF_ABI_VERSION: u32 = 1;

/// The capacity `wf_submit` needs for the operation id, NUL included.
pub const WF_OPERATION_ID_CAPACITY: usize = 128;

/// Largest answer of the text endpoints (`wf_get_result_text`, `wf_get_managed_result`,
/// `wf_get_operations`, `wf_server_version`): a longer one is `WF_UNEXPECTED_RESPONSE`.
pub const WF_TEXT_LIMIT: usize = 4194304;
const _: () = assert!(WF_TEXT_LIMIT as u64 == crate::wire::body::TEXT_LIMIT);

/// Most paths `wf_get_result_ex` parses from a path list; a longer list is
/// `WF_UNEXPECTED_RESPONSE` (read such a result with `wf_get_result_stream`).
pub const WF_MAX_PATHS: usize = 1000000;
const _: () = assert!(WF_MAX_PATHS == crate::session::result::MAX_PATHS);

/// Default of `wf_client_set_kept_body_limit`: 32 MiB of bodies kept per client.
pub const WF_DEFAULT_KEPT_BODY_LIMIT: usize = 33554432;
const _: () = assert!(WF_DEFAULT_KEPT_BODY_LIMIT as u64 == crate::session::kept::DEFAULT_KEPT_LIMIT);

/// Default of `wf_client_set_retry`: attempts of a request that is safe to repeat, the first
/// included.
pub const WF_DEFAULT_RETRY_ATTEMPTS: u32 = 4;
const _: () = assert!(WF_DEFAULT_RETRY_ATTEMPTS == crate::session::retry::DEFAULT_ATTEMPTS);

/// Default of `wf_client_set_retry`: the longest pause between two attempts, in milliseconds.
pub const WF_DEFAULT_RETRY_MAX_BACKOFF_MS: u32 = 2000;
const _: () =
    assert!(WF_DEFAULT_RETRY_MAX_BACKOFF_MS as u128 == crate::session::retry::DEFAULT_MAX_BACKOFF.as_millis());

/// How long a wait goes on through an outage by default (`wf_client_set_outage_limit`).
pub const WF_DEFAULT_OUTAGE_LIMIT_MS: u32 = 600_000;
const _: () = assert!(WF_DEFAULT_OUTAGE_LIMIT_MS as u128 == crate::session::retry::DEFAULT_OUTAGE_LIMIT.as_millis());

/// An OL Connect client. Opaque; thread-safe: one client may be used from many threads at
/// once and shares a connection pool between them.
///
/// Methods: `wf_client_new`, `wf_client_free`, the `wf_client_set_*` setters, `wf_client_login`,
/// `wf_client_clear_auth`, and every `wf_get_*`, `wf_submit`, `wf_wait`, `wf_cancel` call.
pub struct wf_client {
    _private: [u8; 0],
}

/// A result fetched by `wf_get_result_ex`. Opaque; owned by the caller, freed with
/// `wf_result_free`; may be read from several threads and freed from any thread.
///
/// Methods: `wf_result_data`, `wf_result_type_of`, `wf_result_data_set_id`,
/// `wf_result_content_set_id`, `wf_result_job_set_id`, `wf_result_path_count`,
/// `wf_result_path`, `wf_result_free`.
pub struct wf_result {
    _private: [u8; 0],
}

/// The library version, e.g. "0.1.0". Static string; never NULL; never free it.
#[no_mangle]
pub extern "C" fn wf_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version of the loaded library (`WF_ABI_VERSION` of the header it was built with).
#[no_mangle]
pub extern "C" fn wf_abi_version() -> u32 {
    WF_ABI_VERSION
}

/// The name of a status, e.g. "WF_NOT_FOUND"; "WF_UNKNOWN_STATUS" for any other value.
/// Takes a plain integer so that any value is safe. Static string; never NULL.
#[no_mangle]
pub extern "C" fn wf_status_name(status: i32) -> *const c_char {
    status::status_name(status).unwrap_or("WF_UNKNOWN_STATUS\0").as_ptr().cast()
}

/// The name of a log level, e.g. "WF_LOG_WARN" (for the `level` a `wf_log_fn` receives);
/// "WF_UNKNOWN_LOG_LEVEL" for any other value. Takes a plain integer so that any value is safe.
/// Static string; never NULL.
#[no_mangle]
pub extern "C" fn wf_log_level_name(level: i32) -> *const c_char {
    log_level::log_level_name(level).unwrap_or("WF_UNKNOWN_LOG_LEVEL\0").as_ptr().cast()
}

/// The message of the last failed call on this thread: what failed, the server's JSON error
/// `message` and `parameter` when there was one, and what to do. Never contains a password or
/// token. Empty string (never NULL) after a success. Owned by the library; valid until the next
/// fallible `wf_` call on this thread (getters like this one do not clear it).
#[no_mangle]
pub extern "C" fn wf_last_error_message() -> *const c_char {
    ffi_value!(c"".as_ptr(), { panic::last_error_ptr() })
}

/// The HTTP status of the exchange that made the last call on this thread fail; 0 if there was
/// none (e.g. connection refused, invalid argument) or the last call succeeded.
#[no_mangle]
pub extern "C" fn wf_last_http_status() -> i32 {
    ffi_value!(0, { panic::last_http_status() })
}
