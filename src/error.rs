//! The error type of the core: a status from the C contract's table, the HTTP status of the
//! exchange (0 if none) and a message that says what failed and what to do.

use std::fmt;

/// What went wrong in the core: each variant is produced by the core and maps to the `wf_status`
/// of the same meaning (src/ffi/status_table.rs); `WF_BUFFER_TOO_SMALL` and `WF_INTERNAL_ERROR` are
/// produced by the C boundary only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    InvalidArgument,
    AuthRequired,
    AuthFailed,
    Forbidden,
    NotFound,
    BadRequest,
    ServerError,
    UnexpectedResponse,
    ConnectFailed,
    TlsError,
    Timeout,
    IoError,
    Aborted,
    OutOfMemory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    /// The HTTP status of the failed exchange, 0 when there was none.
    pub http_status: u16,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, http_status: 0, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    pub fn with_http(mut self, http_status: u16) -> Error {
        self.http_status = http_status;
        self
    }

    /// Maps a non-2xx answer of the server to a status, with the server's own words (already
    /// cleaned of secrets). `had_credentials` tells a 401 without credentials from a rejection
    /// of the ones sent.
    pub fn from_http(what: &str, http_status: u16, server_words: &str, had_credentials: bool) -> Error {
        let status = match http_status {
            400 => Status::BadRequest,
            401 if had_credentials => Status::AuthFailed,
            401 => Status::AuthRequired,
            403 => Status::Forbidden,
            404 => Status::NotFound,
            500..=599 => Status::ServerError,
            _ => Status::UnexpectedResponse,
        };
        let advice = match status {
            Status::AuthRequired => " Configure credentials: wf_client_set_basic_auth, wf_client_set_token or wf_client_login.",
            Status::AuthFailed => " Check the user name and password, or log in again for a new token.",
            Status::Forbidden => " The server refused these credentials or the user lacks the role for this call (Data Handler for All-In-One).",
            Status::NotFound => " Check the operation id; finished operations may have been removed from the server.",
            _ => "",
        };
        let said = if server_words.is_empty() { String::new() } else { format!(": {server_words}") };
        Error::new(status, format!("{what} failed with HTTP {http_status}{said}.{advice}")).with_http(http_status)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping_follows_the_contract() {
        let s = |code, creds| Error::from_http("x", code, "", creds).status;
        assert_eq!(s(401, false), Status::AuthRequired);
        assert_eq!(s(401, true), Status::AuthFailed);
        assert_eq!(s(403, true), Status::Forbidden);
        assert_eq!(s(400, true), Status::BadRequest);
        assert_eq!(s(503, true), Status::ServerError);
        assert_eq!(s(418, true), Status::UnexpectedResponse);
    }
}
