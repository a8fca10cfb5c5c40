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

    /// Whether the failure only says the server could not answer now (no connection, a
    /// timeout, HTTP 502/503/504), as opposed to an answer about the request or the job: what
    /// waits go on through (docs/architecture.md, "Waiting").
    pub fn is_transient(&self) -> bool {
        matches!(self.status, Status::ConnectFailed | Status::Timeout)
            || (self.status == Status::ServerError && matches!(self.http_status, 502..=504))
    }

    /// Maps a non-2xx answer of the server to a status, with the server's own words (already
    /// cleaned of secrets). `had_credentials` tells a 401 without credentials from a rejection
    /// of the ones sent.
    pub fn from_http(what: &str, http_status: u16, server_words: &str, had_credentials: bool, lang: Language) -> Error {
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
            Status::AuthRequired => format!(" Configure credentials: {}.", Hint::SetCredentials.text(lang)),
            Status::AuthFailed => " Check the user name and password, or log in again for a new token.".to_string(),
            Status::Forbidden => " The server refused these credentials or the user lacks the role for this call (Data Handler for All-In-One).".to_string(),
            Status::NotFound => " Check the operation id; finished operations may have been removed from the server.".to_string(),
            _ => String::new(),
        };
        let said = if server_words.is_empty() { String::new() } else { format!(": {server_words}") };
        Error::new(status, format!("{what} failed with HTTP {http_status}{said}.{advice}")).with_http(http_status)
    }
}

/// The language a client's messages are written for: its hints name what the caller can do in
/// the caller's own words (a C function, a Python keyword argument, a .NET property, a CLI
/// option). The numbers are those of the C enum `wf_language` (docs/c-contract.md, "Messages").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    C = 0,
    Python = 1,
    DotNet = 2,
    Cli = 3,
}

impl Language {
    /// Every language, in the order of the columns of [`HINTS`].
    pub const ALL: [Language; 4] = [Language::C, Language::Python, Language::DotNet, Language::Cli];

    /// The name of its constant in the C enum `wf_language`.
    pub fn c_name(self) -> &'static str {
        match self {
            Language::C => "WF_LANGUAGE_C",
            Language::Python => "WF_LANGUAGE_PYTHON",
            Language::DotNet => "WF_LANGUAGE_DOTNET",
            Language::Cli => "WF_LANGUAGE_CLI",
        }
    }

    /// The language of a C number, if it is one.
    pub fn from_number(n: u32) -> Option<Language> {
        Language::ALL.get(usize::try_from(n).ok()?).copied()
    }
}

/// The hints of the library's messages: one row per thing the caller is told to do or to look
/// at, one column per [`Language`] (C, Python, .NET, CLI). A message that gives a hint takes
/// the column of its client's language where it is made.
macro_rules! hints {
    ($($(#[$doc:meta])* $hint:ident => [$c:expr, $py:expr, $net:expr, $cli:expr $(,)?];)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Hint {
            $($(#[$doc])* $hint,)*
        }

        /// The table: every row has a text for every language (checked by the tests).
        pub const HINTS: &[(Hint, [&str; 4])] = &[$((Hint::$hint, [$c, $py, $net, $cli]),)*];
    };
}

hints! {
    /// Where credentials are given ("Configure credentials: ...").
    SetCredentials => [
        "wf_client_set_basic_auth, wf_client_set_token or wf_client_login",
        "username= and password= (or token=) of Client, or its login()",
        "Login(), SetBasicAuth() or SetToken() of WorkflowClient",
        "--user with OLCONNECT_PASSWORD (or --password-stdin), or OLCONNECT_TOKEN",
    ];
    /// Where the connect and read timeouts are raised ("raise the limits with ...").
    RaiseTimeouts => [
        "wf_client_set_timeouts",
        "timeout= and connect_timeout= of Client (or its set_timeouts())",
        "ReadTimeout and ConnectTimeout of WorkflowClientOptions",
        "--read-timeout and --connect-timeout",
    ];
    /// Where the certificates to trust are named ("check the server certificate or ...").
    CaFile => [
        "wf_client_set_tls_ca_file",
        "ca_file= of Client",
        "CaFile of WorkflowClientOptions",
        "--ca-file",
    ];
    /// The calls that fetch a large result in constant memory ("for large results use ...").
    StreamingCalls => [
        "wf_get_result_to_file or wf_get_result_stream",
        "get_result_to_file(), stream_result() or iter_result()",
        "GetResultToFile or GetResultToStream",
        "olcwf get-result -o FILE",
    ];
    /// Where the budget of kept bodies is set (a clause: "...; <hint>").
    KeptBodyLimit => [
        "wf_client_set_kept_body_limit sets it",
        "kept_body_limit= of Client sets it",
        "KeptBodyLimit of WorkflowClientOptions sets it",
        "olcwf keeps the library's default",
    ];
    /// What a call stopped by its transfer callback was stopped by (a whole clause).
    StoppedByTransferCallback => [
        "the call was stopped by its transfer callback",
        "the call was interrupted (Ctrl-C, or a callback such as on_bytes returned False)",
        "the call was stopped by its transfer progress handler",
        "the call was interrupted",
    ];
    /// What a wait stopped by its progress callback was stopped by ("... was stopped by <hint>").
    ProgressCallback => [
        "the progress callback",
        "on_progress (it returned False)",
        "the progress handler",
        "the progress display",
    ];
    /// What a streamed download was stopped by ("... was stopped by <hint>").
    WriteCallback => [
        "the write callback",
        "write (it returned False)",
        "the destination stream",
        "the output",
    ];
}

impl Hint {
    /// This hint in the words of `lang`.
    pub fn text(self, lang: Language) -> &'static str {
        let row = HINTS.iter().find(|(h, _)| *h == self).map(|(_, texts)| texts);
        // Every hint has its row (tests::every_hint_has_one_row_with_every_language).
        row.map_or("", |texts| texts[lang as usize])
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
    fn transient_failures_are_those_that_say_the_server_cannot_answer_now() {
        for (status, http, transient) in [
            (Status::ConnectFailed, 0, true),
            (Status::Timeout, 0, true),
            (Status::ServerError, 502, true),
            (Status::ServerError, 503, true),
            (Status::ServerError, 504, true),
            (Status::ServerError, 500, false),
            (Status::NotFound, 404, false),
            (Status::TlsError, 0, false),
        ] {
            assert_eq!(Error::new(status, "x").with_http(http).is_transient(), transient, "{status:?} {http}");
        }
    }

    #[test]
    fn status_mapping_follows_the_contract() {
        let s = |code, creds| Error::from_http("x", code, "", creds, Language::C).status;
        assert_eq!(s(401, false), Status::AuthRequired);
        assert_eq!(s(401, true), Status::AuthFailed);
        assert_eq!(s(403, true), Status::Forbidden);
        assert_eq!(s(400, true), Status::BadRequest);
        assert_eq!(s(503, true), Status::ServerError);
        assert_eq!(s(418, true), Status::UnexpectedResponse);
    }

    #[test]
    fn every_hint_has_one_row_with_every_language() {
        for (i, (hint, texts)) in HINTS.iter().enumerate() {
            assert!(HINTS[i + 1..].iter().all(|(h, _)| h != hint), "{hint:?} has two rows");
            for lang in Language::ALL {
                let text = texts[lang as usize];
                assert!(!text.trim().is_empty(), "{hint:?} has no text for {lang:?}");
                assert_eq!(hint.text(lang), text);
            }
        }
        // The columns are the languages, in the order of their numbers.
        for (n, lang) in Language::ALL.iter().enumerate() {
            assert_eq!(*lang as usize, n);
            assert_eq!(Language::from_number(n as u32), Some(*lang));
        }
        assert_eq!(Language::from_number(4), None);
    }

    #[test]
    fn only_the_c_column_names_c_functions() {
        for (hint, texts) in HINTS {
            for lang in [Language::Python, Language::DotNet, Language::Cli] {
                let text = texts[lang as usize];
                let lower = text.to_ascii_lowercase();
                assert!(!lower.contains("wf_"), "{hint:?} names a C function in {lang:?}: {text}");
                for c_word in ["callback", "null", "buffer", "user_data"] {
                    if lang != Language::Python || c_word != "callback" {
                        assert!(!lower.contains(c_word), "{hint:?} says '{c_word}' in {lang:?}: {text}");
                    }
                }
            }
        }
        assert!(HINTS.iter().any(|(_, texts)| texts[Language::C as usize].contains("wf_")));
    }

    #[test]
    fn a_missing_credentials_message_speaks_the_callers_language() {
        let c = Error::from_http("getProgress", 401, "", false, Language::C).message;
        let py = Error::from_http("getProgress", 401, "", false, Language::Python).message;
        assert!(c.contains("wf_client_set_basic_auth"), "{c}");
        assert!(py.contains("username=") && !py.contains("wf_"), "{py}");
    }
}
