//! `wf_client`: creation, credentials and connection options.

use super::handle::{self, Handle};
use super::panic::{ffi_status, ffi_value};
use super::ptr::{client, opt_str_arg, out, str_arg};
use super::{wf_client, wf_status};
use crate::error::{Error, Language};
use crate::Client;
use std::ffi::c_char;

impl Handle for wf_client {
    type Rust = Client;
}

/// The body shared by the two exports that take a user name and a password.
///
/// # Safety
/// As for the exports: a live client handle and NUL-terminated strings.
unsafe fn with_user_and_password(
    client: *const wf_client,
    username: *const c_char,
    password: *const c_char,
    apply: fn(&Client, &str, &str) -> crate::Result<()>,
) -> crate::Result<wf_status> {
    let c = unsafe { self::client(client) }?;
    let user = unsafe { str_arg(username, "username") }?;
    let pass = unsafe { str_arg(password, "password") }?;
    apply(c, user, pass)?;
    Ok(wf_status::WF_OK)
}

/// Creates a client of the server at `base_url` (`http://host[:port]` or `https://host[:port]`,
/// optionally with a path prefix; OL Connect listens on 9340 by default). Nothing is sent yet.
///
/// `WF_INVALID_ARGUMENT` (nothing is ever sent to another host or port) for: a port that is not
/// a number from 1 to 65535 or is empty (`host:`), an empty host, a host with characters a host
/// name cannot have (write an international name in its ASCII form), credentials in the URL
/// (`user:password@` is refused, never used: set credentials with `wf_client_set_basic_auth` or
/// `wf_client_login`), a query or fragment, whitespace. Messages quote the URL without its
/// userinfo, query or fragment.
///
/// On `WF_OK`, `*out_client` owns a new client: free it with `wf_client_free`. On error
/// `*out_client` is untouched. Defaults: no credentials, connect timeout 10 s, read timeout
/// 60 s, TLS verified against the system's roots, no proxy.
#[no_mangle]
pub unsafe extern "C" fn wf_client_new(base_url: *const c_char, out_client: *mut *mut wf_client) -> wf_status {
    ffi_status!({
        let url = unsafe { str_arg(base_url, "base_url") }?;
        let slot = out(out_client, "out_client")?;
        let c = Client::new(url)?;
        slot.set(handle::into_raw(c));
        Ok(wf_status::WF_OK)
    })
}

/// Frees a client, its connections, any kept result bodies, and wipes its credentials (see
/// `wf_client_login` for what is wiped).
/// NULL does nothing. No call may be running on the client or start afterwards; freeing twice
/// is the caller's bug.
#[no_mangle]
pub unsafe extern "C" fn wf_client_free(client: *mut wf_client) {
    ffi_value!((), {
        // SAFETY: from wf_client_new and not freed yet (the caller's contract).
        unsafe { handle::free(client) }
    })
}

/// Sends `Authorization: Basic base64(username:password)` on every request from now on,
/// replacing (and wiping) earlier credentials. Refuses (`WF_INVALID_ARGUMENT`) an empty
/// username, one with ':', and any control character (CR, LF...) in either value.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_basic_auth(
    client: *mut wf_client,
    username: *const c_char,
    password: *const c_char,
) -> wf_status {
    ffi_status!({ unsafe { with_user_and_password(client, username, password, Client::set_basic_auth) } })
}

/// Sends the header `auth_token: <auth_token>` on every request from now on, replacing (and
/// wiping) earlier credentials. No refresh is possible: when the token expires, calls fail with
/// `WF_AUTH_FAILED` (or `WF_FORBIDDEN` on older servers). Refuses an empty token or one with
/// control characters.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_token(client: *mut wf_client, auth_token: *const c_char) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        c.set_token(unsafe { str_arg(auth_token, "auth_token") }?)?;
        Ok(wf_status::WF_OK)
    })
}

/// Logs in now (`POST /rest/serverengine/authentication/login`); a failure is reported now and
/// leaves the earlier credentials in place. On success requests carry the token, and the client
/// logs in again by itself: before the token expires (`Token-Expires-In`, 3600 s when absent;
/// when less than 15 s, or half a short lifetime, remain) and once when a request is answered
/// 401/403, after which that request is replayed once. Concurrent callers share one login, and
/// its failure (a caller that waited while another's login failed reports that failure).
/// A `Token-Expires-In` over a year is taken as a year.
///
/// Secrets in memory: the library keeps the password only as the Basic header value, and every
/// buffer of its own that holds a secret (that header, the `user:password` pair it is built
/// from, login answers, tokens) is overwritten with zeros before it is freed. Copies made inside
/// the HTTP stack (the request's header map, the socket buffers of the TLS layer) are freed
/// without being wiped. Error messages never contain a password, token or Basic header in any
/// form (raw, base64, decoded pair), whatever the server echoes; a server message that contains
/// a secret shorter than 4 characters is withheld whole.
#[no_mangle]
pub unsafe extern "C" fn wf_client_login(
    client: *mut wf_client,
    username: *const c_char,
    password: *const c_char,
) -> wf_status {
    ffi_status!({ unsafe { with_user_and_password(client, username, password, Client::login) } })
}

/// Forgets (and wipes) the credentials: requests go out without any.
#[no_mangle]
pub unsafe extern "C" fn wf_client_clear_auth(client: *mut wf_client) -> wf_status {
    ffi_status!({
        unsafe { self::client(client) }?.clear_auth();
        Ok(wf_status::WF_OK)
    })
}

/// Sets the connect timeout and the read timeout in milliseconds; 0 means no limit.
/// `read_ms` bounds silence in both directions, not a whole transfer: the server sending
/// nothing for that long while the client reads (an answer, a body), or accepting nothing of a
/// request (an upload) for that long, is `WF_TIMEOUT`; so a large download or upload is never
/// cut off while data flows. Applies to requests that start afterwards.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_timeouts(client: *mut wf_client, connect_ms: u32, read_ms: u32) -> wf_status {
    ffi_status!({
        unsafe { self::client(client) }?.set_timeouts(connect_ms, read_ms);
        Ok(wf_status::WF_OK)
    })
}

/// Verifies https servers against the certificates of this PEM file only; NULL restores the
/// system's roots. `WF_IO_ERROR` if the file cannot be read, `WF_TLS_ERROR` if it holds no
/// certificate.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_tls_ca_file(client: *mut wf_client, pem_path: *const c_char) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        c.set_tls_ca_file(unsafe { opt_str_arg(pem_path, "pem_path") }?)?;
        Ok(wf_status::WF_OK)
    })
}

/// With `true`, accepts any server certificate (for test servers only: this disables the
/// protection TLS gives). Verification is on by default.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_tls_insecure(client: *mut wf_client, accept_invalid_certs: bool) -> wf_status {
    ffi_status!({
        unsafe { self::client(client) }?.set_tls_insecure(accept_invalid_certs);
        Ok(wf_status::WF_OK)
    })
}

/// With `true` (the default), `wf_get_result_to_file` and `wf_download_managed` sync a file to
/// the disk before renaming it into place, and hand its data to the disk while it downloads: the
/// file survives a crash of the machine once the call returned. With `false` the file still
/// appears only when complete, but is left in the page cache: faster (as fast as `curl -o`), at
/// the risk of losing it in a crash shortly after.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_durable_files(client: *mut wf_client, durable: bool) -> wf_status {
    ffi_status!({
        unsafe { self::client(client) }?.set_durable_files(durable);
        Ok(wf_status::WF_OK)
    })
}

/// A `wf_language` value, as it crosses the boundary (the C enum is written by build.rs).
#[allow(non_camel_case_types)]
pub type wf_language = i32;

/// Chooses the language of this client's messages (and of its views', made before or after):
/// what a message of `wf_last_error_message` or of the log tells the caller to call or set is
/// named in the words of `language` (`WF_LANGUAGE_C`, the default, names the C functions,
/// `WF_LANGUAGE_PYTHON` the Python package's arguments and methods, `WF_LANGUAGE_DOTNET` the .NET
/// members, `WF_LANGUAGE_CLI` the options of `olcwf`). Only those hints change; the rest of a
/// message, and the statuses, are the same in every language. Applies to the calls that start
/// after it returns. Any other value is `WF_INVALID_ARGUMENT` and changes nothing. Messages made
/// before a client exists (those of `wf_client_new`) name no function.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_message_language(client: *mut wf_client, language: wf_language) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let lang = u32::try_from(language).ok().and_then(Language::from_number).ok_or_else(|| {
            Error::invalid(format!("{language} is not a wf_language (WF_LANGUAGE_C to WF_LANGUAGE_CLI)"))
        })?;
        c.set_message_language(lang);
        Ok(wf_status::WF_OK)
    })
}

/// Sends every request, `localhost` included, through this proxy (`http://host:port`,
/// `socks5://host:port`, with optional `user:password@`); NULL: no proxy. Environment variables
/// such as `http_proxy` are not consulted. Schemes: http, https, socks4, socks4a, socks5,
/// socks5h (http when none is given). `WF_INVALID_ARGUMENT` for a port that is not a number
/// from 1 to 65535 or is empty, an empty host, another scheme, a path, query or fragment: a
/// proxy is never contacted on a port other than the one written. The proxy password is
/// scrubbed from messages like the server credentials.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_proxy(client: *mut wf_client, proxy_url: *const c_char) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        c.set_proxy(unsafe { opt_str_arg(proxy_url, "proxy_url") }?)?;
        Ok(wf_status::WF_OK)
    })
}

/// Sets how many bytes of result bodies the client keeps for the buffer protocol (the body of a
/// `wf_get_result`, `wf_get_result_text` or `wf_get_managed_result` answered
/// `WF_BUFFER_TOO_SMALL`, kept so that the retry does not ask the server again). Default
/// `WF_DEFAULT_KEPT_BODY_LIMIT` (32 MiB); 0 keeps nothing. When a new body would go over the
/// limit, the oldest kept bodies are released (a later call for one of them asks the server
/// again, and its error message says so); a body larger than the whole limit is never kept (its
/// `WF_BUFFER_TOO_SMALL` message says so). Large results belong to `wf_get_result_to_file` and
/// `wf_get_result_stream`, which need a fixed buffer only. A result that would otherwise be lost
/// (read by `wf_get_result_ex` or `wf_run_adhoc_ex` without a path list that could be built, or
/// taken from the kept bodies by a call that then failed locally) is kept even over this limit,
/// and is the first released when room is needed.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_kept_body_limit(client: *const wf_client, bytes: usize) -> wf_status {
    ffi_status!({
        unsafe { self::client(client) }?.set_kept_limit(bytes as u64);
        Ok(wf_status::WF_OK)
    })
}

/// Sets how the client repeats a request after a transient failure: at most `max_attempts`
/// attempts, the first included (1: never repeat), with pauses that start at 250 ms and double
/// up to `max_backoff_ms`, each shortened at random by up to half (jitter). Defaults:
/// `WF_DEFAULT_RETRY_ATTEMPTS` (4) and `WF_DEFAULT_RETRY_MAX_BACKOFF_MS` (2000). Applies to the
/// client and all its views, from the next request on. `max_attempts` 0 is `WF_INVALID_ARGUMENT`.
///
/// What is repeated (docs/c-contract.md, "Retries"): requests that only read (progress, the
/// operation list, the version, `wf_managed_exists`, `wf_download_managed`, a login) after the
/// connection could not be made, was lost before an answer, or HTTP 502, 503 or 504 (a
/// `Retry-After` of the server is waited for when it is no longer than `max_backoff_ms`; else the
/// failure is reported at once); `wf_get_result*`, `wf_cancel` and `wf_delete_managed` only when the
/// connection could not be made (nothing was sent, so no result can have been handed out);
/// `wf_submit`, uploads and ad-hoc runs never. A 401, any other 4xx, a 500, a read timeout and a
/// failure while a body is read are never repeated. Pauses run within the call's timeout and
/// abort switch: no attempt starts that the call's timeout would cut off, and the message of the
/// last failure then says so. Each retry writes one `WF_LOG_INFO` line with its reason.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_retry(
    client: *mut wf_client,
    max_attempts: u32,
    max_backoff_ms: u32,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        if max_attempts == 0 {
            return Err(crate::Error::invalid(
                "max_attempts counts the first attempt: give at least 1 (1 never repeats a request)",
            ));
        }
        c.set_retry(max_attempts, std::time::Duration::from_millis(max_backoff_ms.into()));
        Ok(wf_status::WF_OK)
    })
}

/// Sets how long a wait (`wf_wait`, `wf_wait_any`, `wf_wait_all`) goes on while the server cannot
/// be asked about its operations: no connection, timeouts, or HTTP 502, 503 or 504 for every look
/// of the watcher. After `limit_ms` of such failures in a row, the wait returns the last one (its
/// status, e.g. `WF_CONNECT_FAILED` or `WF_TIMEOUT`, and HTTP status), naming the operation and how
/// to resume: the job may still be running on the server. 0: waits go on through any outage,
/// until their own timeout or abort switch. Default `WF_DEFAULT_OUTAGE_LIMIT_MS` (600000, ten
/// minutes). Applies to the client and all its views, to waits in progress too.
#[no_mangle]
pub unsafe extern "C" fn wf_client_set_outage_limit(client: *mut wf_client, limit_ms: u32) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        c.set_outage_limit((limit_ms > 0).then(|| std::time::Duration::from_millis(limit_ms.into())));
        Ok(wf_status::WF_OK)
    })
}

/// Writes to `*out` how many times the client (with all its views) has repeated a request since
/// it was created (see `wf_client_set_retry`). `*out` is written only on `WF_OK`; NULL `out` is
/// `WF_INVALID_ARGUMENT`. Safe from any thread at any time.
#[no_mangle]
pub unsafe extern "C" fn wf_client_retry_count(client: *const wf_client, out: *mut u64) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let slot = self::out(out, "out")?;
        slot.set(c.retries());
        Ok(wf_status::WF_OK)
    })
}
