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
mod panic;
mod ptr;
pub mod result;
pub mod workflow;

use crate::error::Status;
use panic::ffi_value;
use std::ffi::c_char;

/// The version of the ABI described by this header. Wrappers compare it with
/// `wf_abi_version()` right after loading the library and refuse to run on a mismatch.
pub const WF_ABI_VERSION: u32 = 1;

/// The capacity `wf_submit` needs for the operation id, NUL included.
pub const WF_OPERATION_ID_CAPACITY: usize = 128;

/// Largest answer of the text endpoints (`wf_get_result_text`, `wf_get_managed_result`,
/// `wf_get_operations`, `wf_server_version`): a longer one is `WF_UNEXPECTED_RESPONSE`.
pub const WF_TEXT_LIMIT: usize = 4194304;
const _: () = assert!(WF_TEXT_LIMIT as u64 == crate::body::TEXT_LIMIT);

/// Most paths `wf_get_result_ex` parses from a path list; a longer list is
/// `WF_UNEXPECTED_RESPONSE` (read such a result with `wf_get_result_stream`).
pub const WF_MAX_PATHS: usize = 1000000;
const _: () = assert!(WF_MAX_PATHS == crate::result::MAX_PATHS);

/// Default of `wf_client_set_kept_body_limit`: 32 MiB of bodies kept per client.
pub const WF_DEFAULT_KEPT_BODY_LIMIT: usize = 33554432;
const _: () = assert!(WF_DEFAULT_KEPT_BODY_LIMIT as u64 == crate::kept::DEFAULT_KEPT_LIMIT);

/// Status of every fallible call. Values are fixed: new ones are appended, none renumbered.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum wf_status {
    /// Success.
    WF_OK = 0,
    /// NULL where a value is required, invalid UTF-8, a malformed URL, an operation id or header
    /// value that could alter the request, or an unknown option. Nothing was sent.
    WF_INVALID_ARGUMENT = 1,
    /// The caller's buffer cannot hold the result; the needed size was written.
    WF_BUFFER_TOO_SMALL = 2,
    /// HTTP 401 and no credentials were configured.
    WF_AUTH_REQUIRED = 3,
    /// HTTP 401 with credentials sent, after the one automatic re-login.
    WF_AUTH_FAILED = 4,
    /// HTTP 403: a missing role (2023.1+ servers), or invalid credentials (older servers).
    WF_FORBIDDEN = 5,
    /// HTTP 404: the operation or file is not on the server.
    WF_NOT_FOUND = 6,
    /// HTTP 400: e.g. a File Store resource named in the configuration does not exist.
    WF_BAD_REQUEST = 7,
    /// HTTP 5xx: the operation or the server failed.
    WF_SERVER_ERROR = 8,
    /// Any other HTTP status, or a response that breaks the protocol (truncated body,
    /// connection lost mid-body, missing operationId, unparsable progress).
    WF_UNEXPECTED_RESPONSE = 9,
    /// DNS failure, connection refused or reset before a response, proxy failure.
    WF_CONNECT_FAILED = 10,
    /// TLS handshake or certificate verification failed.
    WF_TLS_ERROR = 11,
    /// A configured timeout or wait deadline expired.
    WF_TIMEOUT = 12,
    /// A local file could not be written or renamed.
    WF_IO_ERROR = 13,
    /// A callback asked to stop, or the operation waited on was cancelled by `wf_cancel`.
    WF_ABORTED = 14,
    /// Not enough memory for a body the caller asked to hold in memory (`wf_get_result_ex`, a
    /// body kept for the buffer protocol): the allocation failed and nothing was delivered. Use
    /// the streaming calls (`wf_get_result_to_file`, `wf_get_result_stream`) for large results.
    WF_OUT_OF_MEMORY = 15,
    /// A bug in the library (a caught panic); please report it.
    WF_INTERNAL_ERROR = 99,
}

impl From<Status> for wf_status {
    fn from(s: Status) -> wf_status {
        match s {
            Status::InvalidArgument => wf_status::WF_INVALID_ARGUMENT,
            Status::BufferTooSmall => wf_status::WF_BUFFER_TOO_SMALL,
            Status::AuthRequired => wf_status::WF_AUTH_REQUIRED,
            Status::AuthFailed => wf_status::WF_AUTH_FAILED,
            Status::Forbidden => wf_status::WF_FORBIDDEN,
            Status::NotFound => wf_status::WF_NOT_FOUND,
            Status::BadRequest => wf_status::WF_BAD_REQUEST,
            Status::ServerError => wf_status::WF_SERVER_ERROR,
            Status::UnexpectedResponse => wf_status::WF_UNEXPECTED_RESPONSE,
            Status::ConnectFailed => wf_status::WF_CONNECT_FAILED,
            Status::TlsError => wf_status::WF_TLS_ERROR,
            Status::Timeout => wf_status::WF_TIMEOUT,
            Status::IoError => wf_status::WF_IO_ERROR,
            Status::Aborted => wf_status::WF_ABORTED,
            Status::InternalError => wf_status::WF_INTERNAL_ERROR,
            Status::OutOfMemory => wf_status::WF_OUT_OF_MEMORY,
        }
    }
}

/// What the body of a result holds, from the `X-Result-Type` header (sent by 2023.1+ servers
/// when the configuration had `"returnIdInHeader": true`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum wf_result_type {
    /// No (or an unknown) `X-Result-Type` header.
    WF_RESULT_UNKNOWN = 0,
    /// The body is a Data Set ID.
    WF_RESULT_DATA_SET_ID = 1,
    /// The body is a Content Set ID.
    WF_RESULT_CONTENT_SET_ID = 2,
    /// The body is a Job Set ID.
    WF_RESULT_JOB_SET_ID = 3,
    /// The body is the content of the single spool file.
    WF_RESULT_OUTPUT_STREAMED = 4,
    /// The body is a list of absolute paths of spool files on the server.
    WF_RESULT_OUTPUT_PATHS = 5,
    /// The body identifies managed output in the File Store.
    WF_RESULT_OUTPUT_MANAGED = 6,
}

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
    let name: &'static str = match status {
        0 => "WF_OK\0",
        1 => "WF_INVALID_ARGUMENT\0",
        2 => "WF_BUFFER_TOO_SMALL\0",
        3 => "WF_AUTH_REQUIRED\0",
        4 => "WF_AUTH_FAILED\0",
        5 => "WF_FORBIDDEN\0",
        6 => "WF_NOT_FOUND\0",
        7 => "WF_BAD_REQUEST\0",
        8 => "WF_SERVER_ERROR\0",
        9 => "WF_UNEXPECTED_RESPONSE\0",
        10 => "WF_CONNECT_FAILED\0",
        11 => "WF_TLS_ERROR\0",
        12 => "WF_TIMEOUT\0",
        13 => "WF_IO_ERROR\0",
        14 => "WF_ABORTED\0",
        15 => "WF_OUT_OF_MEMORY\0",
        99 => "WF_INTERNAL_ERROR\0",
        _ => "WF_UNKNOWN_STATUS\0",
    };
    name.as_ptr().cast()
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
