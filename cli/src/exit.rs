//! Exit codes, one per family of `wf_status`, stable from the first release (documented in
//! `olcwf --help` and the README).

use olconnect_wf::{Error, Status};

pub const OK: u8 = 0;
/// A bug, or anything not in another family.
pub const OTHER: u8 = 1;
/// Wrong usage: unknown option, missing argument, invalid argument or file name.
pub const USAGE: u8 = 2;
/// Authentication: no or wrong credentials, an expired token, a missing role.
pub const AUTH: u8 = 3;
/// The operation or file is not on the server.
pub const NOT_FOUND: u8 = 4;
/// The server refused or failed the request (400, 5xx, a broken answer, a delete answered false).
pub const SERVER: u8 = 5;
/// The server could not be reached or answered too slowly: connection, TLS, timeout.
pub const CONNECTION: u8 = 6;
/// A local file could not be read or written, or memory ran out.
pub const LOCAL_IO: u8 = 7;
/// Stopped by Ctrl-C (or a progress callback); no partial file is left. A second Ctrl-C stops the
/// clean-up of `olcwf run` as well.
pub const ABORTED: u8 = 130;

/// The exit code of a failed call.
pub fn code(e: &Error) -> u8 {
    match e.status {
        Status::InvalidArgument => USAGE,
        Status::AuthRequired | Status::AuthFailed | Status::Forbidden => AUTH,
        Status::NotFound => NOT_FOUND,
        Status::BadRequest | Status::ServerError | Status::UnexpectedResponse => SERVER,
        Status::ConnectFailed | Status::TlsError | Status::Timeout => CONNECTION,
        Status::IoError | Status::OutOfMemory => LOCAL_IO,
        Status::Aborted => ABORTED,
    }
}

/// The name of a failure's kind in `--json` output (`not-found`), stable like the codes.
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::InvalidArgument => "invalid-argument",
        Status::AuthRequired => "auth-required",
        Status::AuthFailed => "auth-failed",
        Status::Forbidden => "forbidden",
        Status::NotFound => "not-found",
        Status::BadRequest => "bad-request",
        Status::ServerError => "server-error",
        Status::UnexpectedResponse => "unexpected-response",
        Status::ConnectFailed => "connect-failed",
        Status::TlsError => "tls-error",
        Status::Timeout => "timeout",
        Status::IoError => "io-error",
        Status::Aborted => "aborted",
        Status::OutOfMemory => "out-of-memory",
    }
}

/// The table shown by `--help`.
pub const TABLE: &str = "Exit codes:
  0    success
  1    anything else (a bug: please report it)
  2    usage: unknown option, missing or invalid argument
  3    authentication: no or wrong credentials, expired token, missing role
  4    the operation or file is not on the server
  5    the server refused or failed the request (400, 5xx, a broken answer,
       a delete it answered false)
  6    connection, TLS or timeout: the server could not be reached in time
  7    a local file could not be read or written, or memory ran out
  130  stopped by Ctrl-C; no partial file is left (a second Ctrl-C also stops
       the clean-up; what is left on the server is said)";
