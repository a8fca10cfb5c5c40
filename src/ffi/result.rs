//! Get Result of Operation: into a caller buffer, as a library-owned `wf_result`, streamed to a
//! callback, or to a file.

use super::handle::{self, Handle};
use super::panic::{ffi_status, ffi_value};
use super::ptr::{client, out, out_buffer, str_arg};
use super::{wf_client, wf_result, wf_status, ResultType};
use crate::error::{Error, Hint, Language};
use crate::session::result::PathList;
use crate::{Fetched, OperationResult, ResultEndpoint};
use std::ffi::{c_char, c_void};
use std::path::Path;

/// A result with its paths as C strings, behind `wf_result`.
pub(crate) struct FfiResult {
    inner: OperationResult,
    paths: PathList,
}

impl Handle for wf_result {
    type Rust = FfiResult;
}

impl FfiResult {
    pub(crate) fn new(inner: OperationResult, paths: PathList) -> FfiResult {
        FfiResult { inner, paths }
    }
}

/// The result behind a handle; `None` for NULL.
///
/// # Safety
/// `p` is NULL or a pointer returned by this library and not yet freed.
unsafe fn result_ref<'a>(p: *const wf_result) -> Option<&'a FfiResult> {
    // SAFETY: the caller's contract, as above.
    unsafe { handle::try_ref(p) }
}

/// Called with each chunk of a streamed body, in order; `chunk` is valid only during the call.
/// Return 0 to go on, non-zero to stop (the call then returns `WF_ABORTED`). It may call the
/// library as a `wf_transfer_fn` may (see there).
pub type wf_write_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, chunk: *const u8, len: usize) -> i32>;

/// What calling again after `WF_BUFFER_TOO_SMALL` does, which the message must say truly.
#[derive(Clone, Copy)]
pub(crate) enum Retry {
    /// A result endpoint: the body is kept (unless over the client's limit for kept bodies).
    UsesKeptBody { kept_limit: u64, language: Language },
    /// The server is asked again (version, operation list).
    AsksAgain,
    /// Nothing was sent (the capacity was checked first).
    NothingSent,
}

/// Applies the buffer protocol to a fetch: WF_OK with the length, or WF_BUFFER_TOO_SMALL with
/// the length needed and a message that says what the retry will do.
pub(crate) fn finish_fetch(fetched: Fetched, len: &mut usize, retry: Retry) -> crate::Result<wf_status> {
    let capacity = *len;
    let (needed, what_next) = match (fetched, retry) {
        (Fetched::Copied(n), _) => {
            *len = n;
            return Ok(wf_status::WF_OK);
        }
        (Fetched::TooSmall(n), Retry::UsesKeptBody { .. }) => {
            (n, "call again with a buffer of that size: the body is kept, the server is not asked again".to_string())
        }
        (Fetched::NotKept(n), Retry::UsesKeptBody { kept_limit, language }) => (n, format!(
            "the body is larger than the client keeps between calls ({kept_limit} bytes; {}), so it was not kept: calling again asks the server again, which may no longer have it; for large results use {}",
            Hint::KeptBodyLimit.text(language),
            Hint::StreamingCalls.text(language),
        )),
        (Fetched::TooSmall(n) | Fetched::NotKept(n), Retry::AsksAgain) => (n, "call again with a buffer of that size: the server is asked again, and its answer may have grown meanwhile".to_string()),
        (Fetched::TooSmall(n) | Fetched::NotKept(n), Retry::NothingSent) => (n, "nothing was sent, so calling again with a buffer of that size sends the request once".to_string()),
    };
    *len = needed;
    let message = format!("the buffer of {capacity} bytes is too small: {needed} are needed; {what_next}");
    super::panic::set_last_error(&message, 0);
    Ok(wf_status::WF_BUFFER_TOO_SMALL)
}

/// How a result endpoint's body is copied into a caller's buffer (`Client::fetch_into` or
/// `Client::fetch_text_into`).
pub(crate) type FetchFn = fn(&crate::Client, ResultEndpoint, &str, &mut [u8]) -> crate::Result<Fetched>;

/// The body shared by the exports of the buffer protocol over a result endpoint.
///
/// # Safety
/// As for the exports: a live client handle, a NUL-terminated `op_id`, a buffer valid for the
/// capacity in `*out_len`.
pub(crate) unsafe fn fetch_result_into(
    client: *const wf_client,
    op_id: *const c_char,
    out_buf: *mut u8,
    out_len: *mut usize,
    endpoint: ResultEndpoint,
    fetch: FetchFn,
) -> crate::Result<wf_status> {
    let c = unsafe { self::client(client) }?;
    let op = unsafe { str_arg(op_id, "op_id") }?;
    let (buf, len) = unsafe { out_buffer(out_buf, out_len, "the output buffer") }?;
    let retry = Retry::UsesKeptBody { kept_limit: c.kept_limit(), language: c.message_language() };
    finish_fetch(fetch(c, endpoint, op, buf)?, len, retry)
}

/// Fetches the result of a finished operation
/// (`POST /rest/serverengine/workflow/print/getResult/{op_id}`) into `out_buf`.
///
/// On entry `*out_len` is the capacity of `out_buf` (`out_buf` may be NULL when it is 0; a
/// capacity over `PTRDIFF_MAX` is `WF_INVALID_ARGUMENT`). `out_buf` must not overlap `op_id`.
/// - `WF_OK`: the body was copied, `*out_len` is its length.
/// - `WF_BUFFER_TOO_SMALL`: nothing usable was copied, `*out_len` is the exact length needed.
///   The client keeps the downloaded body, so calling again for the same `op_id` with a big
///   enough buffer does not ask the server a second time (servers may not keep results). A kept
///   body is released once delivered, by `wf_client_free`, or when newer kept bodies need the
///   room (see `wf_client_set_kept_body_limit`). A body larger than that limit is not kept, and
///   is not even read when its `Content-Length` says so: the message says so, and the retry
///   asks the server again.
/// - `WF_OUT_OF_MEMORY`: the body did not fit in memory (it grows as it arrives: the server's
///   `Content-Length` never sizes an allocation beyond the caller's buffer).
/// - any other status: `*out_len` is untouched; `out_buf` may have been partly written.
///
/// Every request asks for the body unencoded (`Accept-Encoding: identity`); a body sent with
/// another `Content-Encoding` is `WF_UNEXPECTED_RESPONSE`, never handed back.
///
/// On a view with a transfer callback (`wf_client_with_controls`), the body's bytes are reported
/// as they arrive, with the announced total, and a final report when it is whole; the callback
/// may stop the download (`WF_ABORTED`).
///
/// The body is an entity ID, a list of absolute paths, or the bytes of a single spool file: use
/// `wf_get_result_ex` to know which. `op_id` is sent percent-encoded as one path segment; one
/// with `/ ? # % \`, control characters, `.`/`..` or empty is refused (`WF_INVALID_ARGUMENT`).
#[no_mangle]
pub unsafe extern "C" fn wf_get_result(
    client: *const wf_client,
    op_id: *const c_char,
    out_buf: *mut u8,
    out_len: *mut usize,
) -> wf_status {
    ffi_status!({
        unsafe { fetch_result_into(client, op_id, out_buf, out_len, ResultEndpoint::Result, crate::Client::fetch_into) }
    })
}

/// Fetches the result of a finished operation with what its headers say about it.
/// On `WF_OK`, `*out_result` is a new `wf_result` owned by the caller (free it with
/// `wf_result_free`); on error it is untouched. Uses a body kept by an earlier
/// `WF_BUFFER_TOO_SMALL` of `wf_get_result` for the same `op_id` instead of asking again.
/// The whole body is held in memory, grown as it arrives: `WF_OUT_OF_MEMORY` when it does not
/// fit. A path list costs at most four times its body; one of more than `WF_MAX_PATHS` paths is
/// `WF_UNEXPECTED_RESPONSE`. When the body arrived but its path list cannot be built (too many
/// paths, over 4 GiB, `WF_OUT_OF_MEMORY` for the list), the body is kept, even over the limit of
/// `wf_client_set_kept_body_limit`, and the message says so: `wf_get_result_to_file`,
/// `wf_get_result_stream` or `wf_get_result` for the same `op_id` then deliver it without asking
/// the server (which may have deleted it once read). A view's transfer callback sees the body's
/// bytes as they arrive, as for `wf_get_result`.
#[no_mangle]
pub unsafe extern "C" fn wf_get_result_ex(
    client: *const wf_client,
    op_id: *const c_char,
    out_result: *mut *mut wf_result,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let op = unsafe { str_arg(op_id, "op_id") }?;
        let slot = out(out_result, "out_result")?;
        let (inner, paths) = c.fetch_result_with_paths(op)?;
        slot.set(handle::into_raw(FfiResult::new(inner, paths)));
        Ok(wf_status::WF_OK)
    })
}

/// The body of a result: a pointer to `*out_len` bytes (not NUL-terminated), owned by the
/// result and valid until `wf_result_free`. NULL result: returns NULL and sets `*out_len` to 0.
/// `out_len` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn wf_result_data(result: *const wf_result, out_len: *mut usize) -> *const u8 {
    ffi_value!(std::ptr::null(), {
        let r = unsafe { result_ref(result) };
        let (p, n) = r.map_or((std::ptr::null(), 0), |r| (r.inner.data.as_ptr(), r.inner.data.len()));
        if let Some(len) = unsafe { out_len.as_mut() } {
            *len = n;
        }
        p
    })
}

/// What the body holds, from `X-Result-Type`; `WF_RESULT_UNKNOWN` when the header was absent
/// (servers before 2023.1, or a configuration without `"returnIdInHeader": true`) or for NULL.
#[no_mangle]
pub unsafe extern "C" fn wf_result_type_of(result: *const wf_result) -> ResultType {
    ffi_value!(ResultType::Unknown, {
        unsafe { result_ref(result) }.map_or(ResultType::Unknown, |r| r.inner.meta.result_type)
    })
}

/// The `X-Data-Set-ID` header; -1 if absent (or NULL result).
#[no_mangle]
pub unsafe extern "C" fn wf_result_data_set_id(result: *const wf_result) -> i64 {
    ffi_value!(-1, { unsafe { result_ref(result) }.and_then(|r| r.inner.meta.data_set_id).unwrap_or(-1) })
}

/// The `X-Content-Set-ID` header; -1 if absent (or NULL result).
#[no_mangle]
pub unsafe extern "C" fn wf_result_content_set_id(result: *const wf_result) -> i64 {
    ffi_value!(-1, { unsafe { result_ref(result) }.and_then(|r| r.inner.meta.content_set_id).unwrap_or(-1) })
}

/// The `X-Job-Set-ID` header; -1 if absent (or NULL result).
#[no_mangle]
pub unsafe extern "C" fn wf_result_job_set_id(result: *const wf_result) -> i64 {
    ffi_value!(-1, { unsafe { result_ref(result) }.and_then(|r| r.inner.meta.job_set_id).unwrap_or(-1) })
}

/// The number of paths when the body is a list of spool file paths (type
/// `WF_RESULT_OUTPUT_PATHS`, or no type and a body made only of absolute paths), split on commas
/// and line breaks with surrounding spaces removed; 0 otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn wf_result_path_count(result: *const wf_result) -> usize {
    ffi_value!(0, { unsafe { result_ref(result) }.map_or(0, |r| r.paths.len()) })
}

/// Path number `index` (from 0) as a NUL-terminated UTF-8 string owned by the result, valid until
/// `wf_result_free`; NULL when `index` is out of range or `result` is NULL.
#[no_mangle]
pub unsafe extern "C" fn wf_result_path(result: *const wf_result, index: usize) -> *const c_char {
    ffi_value!(std::ptr::null(), {
        unsafe { result_ref(result) }.and_then(|r| r.paths.get_c(index)).map_or(std::ptr::null(), |p| p.as_ptr())
    })
}

/// Frees a result and its data and paths. NULL does nothing; freeing twice is the caller's bug.
#[no_mangle]
pub unsafe extern "C" fn wf_result_free(result: *mut wf_result) {
    ffi_value!((), {
        // SAFETY: from this library and not freed yet (the caller's contract).
        unsafe { handle::free(result) }
    })
}

/// Streams the result of a finished operation to `write`, chunk by chunk (at most 128 KiB
/// each), in fixed memory (about 1 MiB of buffers) whatever the size of the result. `write` is
/// called on the calling thread
/// with `user_data`. A non-zero return from `write` stops the download with `WF_ABORTED`.
/// If the connection is lost mid-body, or the body is shorter than its `Content-Length`, the
/// call fails (`WF_UNEXPECTED_RESPONSE`, or `WF_TIMEOUT` on a silent server) after `write` may
/// have received part of the body: the one exception to "outputs only on `WF_OK`".
#[no_mangle]
pub unsafe extern "C" fn wf_get_result_stream(
    client: *const wf_client,
    op_id: *const c_char,
    write: wf_write_fn,
    user_data: *mut c_void,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let op = unsafe { str_arg(op_id, "op_id") }?;
        let write = write.ok_or_else(|| Error::invalid("the write callback is NULL"))?;
        // SAFETY: the callback and user_data are the caller's; the chunk is valid for the call.
        c.stream_result(op, &mut |chunk| unsafe { write(user_data, chunk.as_ptr(), chunk.len()) } == 0)?;
        Ok(wf_status::WF_OK)
    })
}

/// Downloads the result of a finished operation to the file `path`, with memory bounded by a
/// fixed buffer. The body goes to a temporary file beside `path` (same folder, name starting
/// with '.'), which is synced (see `wf_client_set_durable_files`) and renamed onto `path` only
/// when the whole body arrived: `path`
/// then appears complete or not at all, and an existing file there is replaced only on success.
/// On any failure no partial file remains. `WF_IO_ERROR` when `path` is a directory or its folder
/// is not writable (both checked before the request is sent, so a local problem never consumes
/// a one-time result) or writing fails. The temporary file has a short name (`.wf-PID-N.part`),
/// so any valid file name works. A replaced file keeps its permissions; a new file gets 0666
/// less the process umask. With durable files, the folder is synced after the rename (the
/// current folder for a bare file name). A body kept by an earlier `WF_BUFFER_TOO_SMALL` that
/// cannot be written (or that the `wf_get_result_stream` callback stops) stays kept.
#[no_mangle]
pub unsafe extern "C" fn wf_get_result_to_file(
    client: *const wf_client,
    op_id: *const c_char,
    path: *const c_char,
) -> wf_status {
    // SAFETY: the caller's arguments, passed on; no result handle is asked for.
    unsafe { wf_get_result_to_file_ex(client, op_id, path, std::ptr::null_mut()) }
}

/// Like `wf_get_result_to_file`, and on `WF_OK` also gives what the result's headers said:
/// `*out_info` is a new `wf_result` (free it with `wf_result_free`) whose type and set IDs are
/// those of the response and whose data is empty (the body is in the file); its path list is
/// empty too (use `wf_get_result_ex` to have a path list parsed). `out_info` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn wf_get_result_to_file_ex(
    client: *const wf_client,
    op_id: *const c_char,
    path: *const c_char,
    out_info: *mut *mut wf_result,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let op = unsafe { str_arg(op_id, "op_id") }?;
        let path = unsafe { str_arg(path, "path") }?;
        let (_, meta) = c.result_to_file(op, Path::new(path))?;
        if !out_info.is_null() {
            let info = FfiResult::new(OperationResult::new(Vec::new(), meta), PathList::default());
            out(out_info, "out_info")?.set(handle::into_raw(info));
        }
        Ok(wf_status::WF_OK)
    })
}
