//! The rest of the All-In-One workflow: submit, progress, wait, cancel, the text endpoints and
//! managed output downloads.

use super::panic::ffi_status;
use super::ptr::{client, opt_str_arg, out, out_buffer, str_arg, str_array};
use super::result::{fetch_result_into, finish_fetch, Retry};
use super::{wf_client, wf_status, WF_OPERATION_ID_CAPACITY};
use crate::{Client, Fetched, ResultEndpoint};
use std::ffi::{c_char, c_void};
use std::path::Path;
use std::time::Duration;

/// Called by `wf_wait` on the calling thread with each new percentage (0..100, never twice the
/// same). Return 0 to go on waiting, non-zero to stop (`wf_wait` then returns `WF_ABORTED`).
/// It may call the library as a `wf_transfer_fn` may (see there), `wf_cancel` included.
pub type wf_progress_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, percent: i32) -> i32>;

/// Copies text plus a NUL into the caller's buffer, or reports the size needed.
pub(super) fn copy_text(text: &[u8], what: &str, buf: &mut [u8], len: &mut usize) -> crate::Result<wf_status> {
    crate::wire::body::ensure_text(text, what)?;
    let fetched = if text.len() < buf.len() {
        buf[..text.len()].copy_from_slice(text);
        buf[text.len()] = 0;
        Fetched::Copied(text.len() + 1)
    } else {
        Fetched::TooSmall(text.len() + 1)
    };
    finish_fetch(fetched, len, Retry::AsksAgain)
}

/// Submits a JSON All-In-One configuration (`POST /rest/serverengine/workflow/print/submit`)
/// and writes the operation id, NUL-terminated, into `op_id_buf`.
///
/// `*op_id_len` is the capacity of `op_id_buf` and must be at least `WF_OPERATION_ID_CAPACITY`:
/// a smaller one gives `WF_BUFFER_TOO_SMALL` with `*op_id_len` = `WF_OPERATION_ID_CAPACITY`
/// before anything is sent (so a retry never submits twice). On `WF_OK`, `*op_id_len` is the
/// length written, NUL included. `WF_BAD_REQUEST` when a File Store resource the configuration
/// names does not exist, `WF_SERVER_ERROR` when the server rejects the step sequence; the
/// server's message is in `wf_last_error_message()`. A 202 without `operationId` is
/// `WF_UNEXPECTED_RESPONSE`. Submitting is not idempotent: it is never replayed once sent, except
/// once after a 401/403 answer when the client logged in again.
#[no_mangle]
pub unsafe extern "C" fn wf_submit(
    client: *const wf_client,
    config_json: *const c_char,
    op_id_buf: *mut c_char,
    op_id_len: *mut usize,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let config = unsafe { str_arg(config_json, "config_json") }?;
        let (buf, len) = unsafe { out_buffer(op_id_buf.cast(), op_id_len, "op_id_buf") }?;
        if buf.len() < WF_OPERATION_ID_CAPACITY {
            return finish_fetch(Fetched::TooSmall(WF_OPERATION_ID_CAPACITY), len, Retry::NothingSent);
        }
        let id = c.submit(config)?;
        copy_text(id.as_bytes(), "submit", buf, len)
    })
}

/// Asks for the progress of an operation (`GET …/getProgress/{op_id}`). On `WF_OK`,
/// `*out_percent` is 0..100 and `*out_done` false while it runs; once finished (the server says
/// `done`) `*out_percent` is 100 and `*out_done` true. A finished operation may already have been
/// dropped by the server: that is `WF_NOT_FOUND` here (`wf_wait` treats it as finished).
/// Retried a few times when the connection is refused.
#[no_mangle]
pub unsafe extern "C" fn wf_get_progress(
    client: *const wf_client,
    op_id: *const c_char,
    out_percent: *mut i32,
    out_done: *mut bool,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let op = unsafe { str_arg(op_id, "op_id") }?;
        let (percent, done) = (out(out_percent, "out_percent")?, out(out_done, "out_done")?);
        let p = c.progress(op)?;
        percent.set(p.percent);
        done.set(p.done);
        Ok(wf_status::WF_OK)
    })
}

/// Waits until an operation has finished. The client's watcher (one thread per client, while
/// anything is waited on) learns the progress of every operation waited on through the client
/// with one `getOperations` per interval (from 100 ms, growing to 2 s), and asks `getProgress`
/// only of an operation that left that list or is not in it yet; so a thousand waits cost the
/// server what one does. This call sleeps until the watcher learns something, never a busy loop.
/// Calls `on_progress` (NULL allowed) on the calling thread with each new percentage, and with
/// 100 at the end. A 404 after the operation was once seen
/// counts as finished (servers drop finished operations); a 404 before is `WF_NOT_FOUND`.
/// `timeout_ms` 0 means no deadline; past it, `WF_TIMEOUT`. The wait goes on through failures
/// that only say the server cannot answer now (no connection, a timeout, HTTP 502/503/504, each
/// request already retried: `wf_client_set_retry`); if its deadline passes meanwhile, the
/// `WF_TIMEOUT` message carries the last failure (and `wf_last_http_status` its status), names
/// the operation and says how to resume. A 500 three times in a row, or any other failure, ends
/// it with that failure. `WF_ABORTED` when `on_progress`
/// returns non-zero or `wf_cancel` is called on this client for this operation (from another
/// thread: within 250 ms, even while a poll is in flight; from a callback of this wait: once it
/// returns).
#[no_mangle]
pub unsafe extern "C" fn wf_wait(
    client: *const wf_client,
    op_id: *const c_char,
    timeout_ms: u32,
    on_progress: wf_progress_fn,
    user_data: *mut c_void,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let op = unsafe { str_arg(op_id, "op_id") }?;
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms as u64));
        // SAFETY: the callback and user_data are the caller's.
        let mut report = |p: i32| on_progress.is_none_or(|f| unsafe { f(user_data, p) } == 0);
        c.wait(op, timeout, &mut report)?;
        Ok(wf_status::WF_OK)
    })
}

/// Waits until the first of `count` operations (`op_ids`, each as for `wf_wait`) ends, through
/// the client's watcher (see `wf_wait`): one thread waits for any number of operations, and the
/// server sees one `getOperations` per interval for all of them. On return `*out_index` (when
/// not NULL) is the index of the operation that ended, or `count` when none did; the status is
/// how it ended: `WF_OK` (finished), `WF_NOT_FOUND`, `WF_ABORTED` (cancelled by `wf_cancel` on
/// this client), the server's error... When the wait itself ends first: `WF_TIMEOUT` after
/// `timeout_ms` (0: no deadline), `WF_ABORTED` (the view's abort switch or transfer callback),
/// `WF_INVALID_ARGUMENT` (NULL or empty `op_ids`, a NULL or invalid id), with `count` in
/// `*out_index`. Thread-safe; the ids need to live during the call only.
#[no_mangle]
pub unsafe extern "C" fn wf_wait_any(
    client: *const wf_client,
    op_ids: *const *const c_char,
    count: usize,
    timeout_ms: u32,
    out_index: *mut usize,
) -> wf_status {
    ffi_status!({
        // SAFETY: NULL or writable by the caller's contract; set first, so every outcome sets it.
        let mut index = unsafe { out_index.as_mut() };
        let mut put = |i: usize| {
            if let Some(slot) = index.as_deref_mut() {
                *slot = i;
            }
        };
        put(count);
        let c = unsafe { self::client(client) }?;
        let ids = unsafe { str_array(op_ids, count, "op_ids") }?;
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms as u64));
        let (which, outcome) = c.wait_any(&ids, timeout)?;
        put(which);
        outcome?;
        Ok(wf_status::WF_OK)
    })
}

/// Waits until every one of `count` operations (`op_ids`, each as for `wf_wait`) has ended,
/// through the client's watcher (see `wf_wait`). `WF_OK` when all finished; otherwise the status
/// of the first one (in the order given) that did not, its id in the message. `WF_TIMEOUT` after
/// `timeout_ms` (0: no deadline); `WF_ABORTED` from the view's abort switch or transfer
/// callback; `WF_INVALID_ARGUMENT` for NULL or empty `op_ids`, or a NULL or invalid id.
/// Thread-safe; the ids need to live during the call only.
#[no_mangle]
pub unsafe extern "C" fn wf_wait_all(
    client: *const wf_client,
    op_ids: *const *const c_char,
    count: usize,
    timeout_ms: u32,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let ids = unsafe { str_array(op_ids, count, "op_ids") }?;
        let timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms as u64));
        c.wait_all(&ids, timeout)?;
        Ok(wf_status::WF_OK)
    })
}

/// Cancels an operation (`POST …/cancel/{op_id}`, 204). A `wf_wait` on the same client for the
/// same operation then returns `WF_ABORTED` within 250 ms, its poll in flight stopped, whatever
/// the server is doing. `WF_NOT_FOUND` when the server does not know it.
#[no_mangle]
pub unsafe extern "C" fn wf_cancel(client: *const wf_client, op_id: *const c_char) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        c.cancel(unsafe { str_arg(op_id, "op_id") }?)?;
        Ok(wf_status::WF_OK)
    })
}

/// Fetches the result as text (`POST …/getResultTxt/{op_id}`): an entity ID or the absolute
/// path(s) of the spool file(s), never file content. NUL-terminated; the lengths count the NUL.
/// Same buffer protocol as `wf_get_result`, including the kept body on `WF_BUFFER_TOO_SMALL`.
/// An answer over `WF_TEXT_LIMIT` bytes is `WF_UNEXPECTED_RESPONSE`.
#[no_mangle]
pub unsafe extern "C" fn wf_get_result_text(
    client: *const wf_client,
    op_id: *const c_char,
    out: *mut c_char,
    out_len: *mut usize,
) -> wf_status {
    ffi_status!({
        let (endpoint, fetch) = (ResultEndpoint::ResultText, Client::fetch_text_into);
        unsafe { fetch_result_into(client, op_id, out.cast(), out_len, endpoint, fetch) }
    })
}

/// Fetches the managed result (`POST …/getManagedResult/{op_id}`, servers 2023.1 and later) as
/// the server's JSON text, e.g. `{"identifier":5000,"files":["job_0001.pdf"]}`: the File Store
/// folder holding the output and its file names (download them with `wf_download_managed`).
/// NUL-terminated; same buffer protocol as `wf_get_result_text`, kept body and
/// `WF_TEXT_LIMIT` included.
#[no_mangle]
pub unsafe extern "C" fn wf_get_managed_result(
    client: *const wf_client,
    op_id: *const c_char,
    json_out: *mut c_char,
    out_len: *mut usize,
) -> wf_status {
    ffi_status!({
        let (endpoint, fetch) = (ResultEndpoint::ManagedResult, Client::fetch_text_into);
        unsafe { fetch_result_into(client, op_id, json_out.cast(), out_len, endpoint, fetch) }
    })
}

/// The operations running on the server (`GET …/getOperations`) as the server's JSON array
/// text. NUL-terminated; on `WF_BUFFER_TOO_SMALL` call again with the size given (the list is
/// fetched anew; it may have grown, giving `WF_BUFFER_TOO_SMALL` again). At most
/// `WF_TEXT_LIMIT` bytes.
#[no_mangle]
pub unsafe extern "C" fn wf_get_operations(
    client: *const wf_client,
    json_out: *mut c_char,
    out_len: *mut usize,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let (buf, len) = unsafe { out_buffer(json_out.cast(), out_len, "json_out") }?;
        copy_text(&c.operations()?, "getOperations", buf, len)
    })
}

/// The server's version string (`GET /rest/serverengine/authentication/version`, e.g.
/// "2024.2.1.12345"), NUL-terminated, with the buffer protocol of `wf_get_operations`.
#[no_mangle]
pub unsafe extern "C" fn wf_server_version(
    client: *const wf_client,
    out: *mut c_char,
    out_len: *mut usize,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let (buf, len) = unsafe { out_buffer(out.cast(), out_len, "out") }?;
        copy_text(&c.server_version()?, "version", buf, len)
    })
}

/// Downloads managed output from the File Store (`GET /rest/serverengine/filestore/file/{file_id}`)
/// to the local file `path`, streamed, with the same temporary-file-and-rename guarantees as
/// `wf_get_result_to_file`. `file_id` is the `identifier` of `wf_get_managed_result` (or a
/// Managed File name). With `file_name` NULL a folder arrives as one ZIP archive; with a name
/// from the `files` list, that one file (`…/file/{file_id}/{file_name}`). A program on another
/// machine than the server uses this instead of the server-local paths of a multi-file result.
/// `file_id` and `file_name` are percent-encoded as one path segment each, so any name works
/// (`50% off.pdf`, `a#b?.pdf`); only what could change the path is refused
/// (`WF_INVALID_ARGUMENT`): `/`, `\`, control characters, `.`, `..`, empty. `path` is checked
/// as for `wf_get_result_to_file` before anything is sent.
#[no_mangle]
pub unsafe extern "C" fn wf_download_managed(
    client: *const wf_client,
    file_id: *const c_char,
    file_name: *const c_char,
    path: *const c_char,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let id = unsafe { str_arg(file_id, "file_id") }?;
        let name = unsafe { opt_str_arg(file_name, "file_name") }?;
        let path = unsafe { str_arg(path, "path") }?;
        c.download_managed(id, name, Path::new(path))?;
        Ok(wf_status::WF_OK)
    })
}
