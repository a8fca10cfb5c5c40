// The one table of `wf_status`: value, C name, the core `Status` it is produced from (empty for
// the statuses only the boundary produces), and the documentation the header carries. Expanded
// by `status_table!` in src/ffi/status.rs (the Rust enum, the conversion from `Status`, the names
// of `wf_status_name`) and by build.rs (the C enum in the header). Values are fixed: new
// statuses are appended, none renumbered, retired ones stay as comments.
status_table! {
    0 WF_OK [] "Success.";
    1 WF_INVALID_ARGUMENT [InvalidArgument] "NULL where a value is required, invalid UTF-8, a malformed URL, an operation id or header value that could alter the request, or an unknown option. Nothing was sent.";
    2 WF_BUFFER_TOO_SMALL [] "The caller's buffer cannot hold the result; the needed size was written.";
    3 WF_AUTH_REQUIRED [AuthRequired] "HTTP 401 and no credentials were configured.";
    4 WF_AUTH_FAILED [AuthFailed] "HTTP 401 with credentials sent, after the one automatic re-login.";
    5 WF_FORBIDDEN [Forbidden] "HTTP 403: a missing role (2023.1+ servers), or invalid credentials (older servers).";
    6 WF_NOT_FOUND [NotFound] "HTTP 404: the operation or file is not on the server.";
    7 WF_BAD_REQUEST [BadRequest] "HTTP 400: e.g. a File Store resource named in the configuration does not exist.";
    8 WF_SERVER_ERROR [ServerError] "HTTP 5xx: the operation or the server failed.";
    9 WF_UNEXPECTED_RESPONSE [UnexpectedResponse] "Any other HTTP status, or a response that breaks the protocol (truncated body, connection lost mid-body, missing operationId, unparsable progress, an answer over its limit, a body in a content coding that was not asked for).";
    10 WF_CONNECT_FAILED [ConnectFailed] "DNS failure, connection refused or reset before a response, proxy failure.";
    11 WF_TLS_ERROR [TlsError] "TLS handshake or certificate verification failed.";
    12 WF_TIMEOUT [Timeout] "A configured timeout or wait deadline expired.";
    13 WF_IO_ERROR [IoError] "A local file could not be written or renamed.";
    14 WF_ABORTED [Aborted] "A callback asked to stop, or the operation waited on was cancelled by `wf_cancel`.";
    15 WF_OUT_OF_MEMORY [OutOfMemory] "Not enough memory for a body the caller asked to hold in memory (`wf_get_result_ex`, a body kept for the buffer protocol): the allocation failed and nothing was delivered. Use the streaming calls (`wf_get_result_to_file`, `wf_get_result_stream`) for large results.";
    99 WF_INTERNAL_ERROR [] "A bug in the library (a caught panic); please report it.";
}
