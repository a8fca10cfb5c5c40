//! Bringing local data in from C: `wf_data` (a file, a buffer or a read callback), uploads to the
//! File Store, delete and exists, and ad-hoc All-In-One jobs.

use super::handle::{self, Handle};
use super::panic::{ffi_status, ffi_value};
use super::ptr::{client, opt_str_arg, out, out_buffer, str_arg};
use super::result::{finish_fetch, wf_write_fn, FfiResult, Retry};
use super::{wf_client, wf_result, wf_status};
use crate::api::filestore::{Adhoc, ResourceKind};
use crate::error::{Error, Result};
use crate::session::result::PathList;
use crate::{Data, Fetched, OperationResult};
use std::ffi::{c_char, c_void};
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

/// `kind` of `wf_upload` as it crosses the boundary: the C enum `wf_resource_kind` (written by
/// build.rs from src/api/resource_kind_table.rs; cbindgen.toml keeps this alias out of the
/// header), received as a plain integer so that any value a C caller passes is safe.
pub type wf_resource_kind = i32;

/// `kind` of `wf_upload`: choose the kind from the file name (the `filename` given, else the
/// file's own name): `.OL-datamapper`, `.OL-template`, `.OL-jobpreset`, `.OL-outputpreset`, any
/// other name a data file. Typed, so that C++ passes it where a `wf_resource_kind` is expected.
pub const WF_RESOURCE_FROM_NAME: wf_resource_kind = 0 as wf_resource_kind;

/// The capacity `wf_upload` needs for the id it writes, NUL included.
pub const WF_FILE_ID_CAPACITY: usize = 1024;

/// The bytes to send: a file, a caller's buffer, or a read callback. Opaque; used by one call at
/// a time (a second call on it meanwhile is `WF_INVALID_ARGUMENT`); free with `wf_data_free`.
///
/// Methods: `wf_data_from_file`, `wf_data_from_buffer`, `wf_data_from_reader`, `wf_data_free`.
pub struct wf_data {
    _private: [u8; 0],
}

impl Handle for wf_data {
    type Rust = Mutex<Data<'static>>;
}

/// Called to read the data of a `wf_data` made by `wf_data_from_reader`, on the thread of the
/// call that sends it: fill `buf` with up to `capacity` bytes and return how many (0 at the
/// end, and only there), or -1 when the data cannot be read (the call then fails with
/// `WF_IO_ERROR`). With a length announced it is never asked for more than the bytes still due,
/// and once they are all read it is called once more (`capacity` 1) and must return 0. It may
/// call the library as a `wf_transfer_fn` may (see there).
pub type wf_read_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, buf: *mut u8, capacity: usize) -> i64>;

/// One ad-hoc All-In-One job: the resources by File Store id or name, and its options.
#[repr(C)]
pub struct wf_adhoc_job {
    /// The data mapping configuration (required).
    pub data_mapping: *const c_char,
    /// The template (required).
    pub template_name: *const c_char,
    /// The job creation preset; NULL or "0" for none.
    pub job_preset: *const c_char,
    /// The output creation preset (required).
    pub output_preset: *const c_char,
    /// Create the output on the server only, without sending it to its final destination.
    pub create_only: bool,
    /// Synchronous runs: the result as text (the spool file paths) instead of its content.
    pub result_as_text: bool,
    /// Print only this range of records, e.g. "1-5,8"; NULL: all.
    pub print_range: *const c_char,
    /// The name to give the data file on the server; NULL: the server chooses.
    pub filename: *const c_char,
}

struct CReader {
    read: unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> i64,
    user_data: *mut c_void,
}

// SAFETY: the caller's callback is only called on the thread of the call that sends the data,
// as documented; the library never touches `user_data` itself.
unsafe impl Send for CReader {}

impl Read for CReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: the caller's callback with its own user_data and a buffer valid for its length.
        let n = unsafe { (self.read)(self.user_data, buf.as_mut_ptr(), buf.len()) };
        match usize::try_from(n) {
            Ok(n) if n <= buf.len() => Ok(n),
            Ok(_) => Err(io::Error::other("the read callback returned more bytes than the buffer holds")),
            Err(_) => Err(io::Error::other("the read callback reported an error")),
        }
    }
}

fn new_data(data: Data<'static>, out_data: *mut *mut wf_data) -> Result<wf_status> {
    out(out_data, "out_data")?.set(handle::into_raw(Mutex::new(data)));
    Ok(wf_status::WF_OK)
}

/// Data from the file at `path`, checked now: `WF_IO_ERROR` when it does not exist, is not a
/// regular file or cannot be read. Its length now is announced to the server; it is read when
/// sent, and read again for the one replay a re-login may need: keep the file unchanged until
/// the call returns. A file that ends before that length when sent, or goes on past it, stops
/// the call with `WF_IO_ERROR` ("the data ended after X of the N bytes announced", "the data has
/// more than the N bytes announced"), and the server stores nothing. On `WF_OK`, `*out_data` is a
/// new `wf_data` (free it with `wf_data_free`).
#[no_mangle]
pub unsafe extern "C" fn wf_data_from_file(path: *const c_char, out_data: *mut *mut wf_data) -> wf_status {
    ffi_status!({
        let path = unsafe { str_arg(path, "path") }?;
        new_data(Data::file(Path::new(path))?, out_data)
    })
}

/// Data from the caller's buffer of `len` bytes, which must stay valid and unchanged until the
/// `wf_data` is freed (it is not copied). NULL only with `len` 0.
#[no_mangle]
pub unsafe extern "C" fn wf_data_from_buffer(data: *const u8, len: usize, out_data: *mut *mut wf_data) -> wf_status {
    ffi_status!({
        let bytes: &'static [u8] = if data.is_null() {
            if len != 0 {
                return Err(Error::invalid(format!("data is NULL but its length is {len}")));
            }
            &[]
        } else {
            if len > isize::MAX as usize {
                return Err(Error::invalid("the length of data is larger than any buffer can be"));
            }
            // SAFETY: valid for `len` bytes until wf_data_free, by the caller's contract.
            unsafe { std::slice::from_raw_parts(data, len) }
        };
        new_data(Data::bytes(bytes), out_data)
    })
}

/// Data read through `read` with `user_data` when it is sent: `length` bytes, or -1 when unknown
/// (then sent chunked). A reader that returns 0 before `length` bytes, or has more than
/// `length`, stops the call with `WF_IO_ERROR` ("the data ended after X of the N bytes
/// announced", "the data has more than the N bytes announced") at once, never an endless wait,
/// and the server stores nothing: announce the exact length, or -1. It can be sent once: a
/// second call with it is `WF_INVALID_ARGUMENT`, and a 401/403 after it was sent is reported, not
/// replayed (with login credentials the session is checked before sending).
#[no_mangle]
pub unsafe extern "C" fn wf_data_from_reader(
    read: wf_read_fn,
    user_data: *mut c_void,
    length: i64,
    out_data: *mut *mut wf_data,
) -> wf_status {
    ffi_status!({
        let read = read.ok_or_else(|| Error::invalid("the read callback is NULL"))?;
        let length = u64::try_from(length).ok();
        new_data(Data::reader(CReader { read, user_data }, length), out_data)
    })
}

/// Frees a `wf_data`. NULL does nothing; it must not be in use by a call.
#[no_mangle]
pub unsafe extern "C" fn wf_data_free(data: *mut wf_data) {
    ffi_value!((), {
        // SAFETY: from a wf_data_from_* function and not freed yet (the caller's contract).
        unsafe { handle::free(data) }
    })
}

/// The `Data` behind a handle, for the duration of one call.
unsafe fn with_data<T>(data: *mut wf_data, f: impl FnOnce(&mut Data<'static>) -> Result<T>) -> Result<T> {
    // SAFETY: NULL or a live handle (the caller's contract).
    let cell = unsafe { handle::try_ref(data) }.ok_or_else(|| Error::invalid("data is NULL"))?;
    let mut guard = cell.try_lock().map_err(|_| Error::invalid("the data is being sent by another call"))?;
    f(&mut guard)
}

/// Uploads data to the File Store (`POST /rest/serverengine/filestore/{kind}`), streamed:
/// memory stays constant whatever its size. `kind` is a `wf_resource_kind`, or
/// `WF_RESOURCE_FROM_NAME`. `filename` (NULL: the file's own name, if any) names the upload;
/// `persistent` files are never removed by the server's clean-up. Writes the Managed File ID (or
/// name, as the server gives it) NUL-terminated into `id_out`, whose capacity `*id_len` must be
/// at least `WF_FILE_ID_CAPACITY` (checked before anything is sent). Empty data is refused
/// (`WF_INVALID_ARGUMENT`) before anything is sent; data that cannot be read is `WF_IO_ERROR`;
/// a 400 from the server (2023.2+: "no data") is `WF_BAD_REQUEST`. Bytes sent are reported to a
/// view's transfer callback, and a view's abort switch stops the upload.
#[no_mangle]
pub unsafe extern "C" fn wf_upload(
    client: *const wf_client,
    kind: wf_resource_kind,
    data: *mut wf_data,
    filename: *const c_char,
    persistent: bool,
    id_out: *mut c_char,
    id_len: *mut usize,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let name = unsafe { opt_str_arg(filename, "filename") }?;
        let kind = match kind {
            WF_RESOURCE_FROM_NAME => None,
            n => Some(
                ResourceKind::from_number(n).ok_or_else(|| Error::invalid(format!("{n} is not a wf_resource_kind")))?,
            ),
        };
        let (buf, len) = unsafe { out_buffer(id_out.cast(), id_len, "id_out") }?;
        if buf.len() < WF_FILE_ID_CAPACITY {
            return finish_fetch(Fetched::TooSmall(WF_FILE_ID_CAPACITY), len, Retry::NothingSent);
        }
        let id = unsafe { with_data(data, |d| c.upload(kind, d, name, persistent)) }?;
        if id.len() >= buf.len() {
            return Err(Error::new(
                crate::Status::UnexpectedResponse,
                format!("the upload was stored, but its id is {} bytes long, over WF_FILE_ID_CAPACITY", id.len()),
            ));
        }
        buf[..id.len()].copy_from_slice(id.as_bytes());
        buf[id.len()] = 0;
        *len = id.len() + 1;
        Ok(wf_status::WF_OK)
    })
}

/// Deletes a managed file or folder (`/rest/serverengine/filestore/delete/{file_id}`). On
/// `WF_OK`, `*out_deleted` is the server's answer (true: deleted). A file still required by OL
/// Connect is `WF_BAD_REQUEST` (2023.2+ servers; older ones answer false), an unknown one
/// `WF_NOT_FOUND`; the server's message is in `wf_last_error_message()`.
#[no_mangle]
pub unsafe extern "C" fn wf_delete_managed(
    client: *const wf_client,
    file_id: *const c_char,
    out_deleted: *mut bool,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let id = unsafe { str_arg(file_id, "file_id") }?;
        let slot = out(out_deleted, "out_deleted")?;
        slot.set(c.delete_managed(id)?);
        Ok(wf_status::WF_OK)
    })
}

/// Whether a managed file or folder exists (`HEAD /rest/serverengine/filestore/file/{file_id}`,
/// servers 2023.2 and later). On `WF_OK`, `*out_exists` says.
#[no_mangle]
pub unsafe extern "C" fn wf_managed_exists(
    client: *const wf_client,
    file_id: *const c_char,
    out_exists: *mut bool,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let id = unsafe { str_arg(file_id, "file_id") }?;
        let slot = out(out_exists, "out_exists")?;
        slot.set(c.managed_exists(id)?);
        Ok(wf_status::WF_OK)
    })
}

/// The `Adhoc` of a `wf_adhoc_job`.
unsafe fn adhoc<'a>(job: *const wf_adhoc_job) -> Result<Adhoc<'a>> {
    // SAFETY: NULL or a valid wf_adhoc_job (the caller's contract).
    let j = unsafe { job.as_ref() }.ok_or_else(|| Error::invalid("job is NULL"))?;
    // SAFETY: each string is NULL or NUL-terminated (the caller's contract).
    unsafe {
        Ok(Adhoc {
            data_mapping: str_arg(j.data_mapping, "job->data_mapping")?,
            template: str_arg(j.template_name, "job->template_name")?,
            job_preset: opt_str_arg(j.job_preset, "job->job_preset")?,
            output_preset: str_arg(j.output_preset, "job->output_preset")?,
            create_only: j.create_only,
            print_range: opt_str_arg(j.print_range, "job->print_range")?,
            filename: opt_str_arg(j.filename, "job->filename")?,
            result_as_text: j.result_as_text,
        })
    }
}

/// Starts an ad-hoc All-In-One job (`POST /rest/serverengine/workflow/print/{dm}/{template}/
/// {job preset}/{output preset}?async=true`) on `data`, sent as the request body; writes the
/// operation id like `wf_submit` (same capacity rule, checked before sending). Then
/// `wf_wait`, `wf_get_result*` and `wf_cancel` work as for a submitted job. Resource names are
/// percent-encoded as path segments (`/`, `\`, `.`, `..` and control characters are refused).
#[no_mangle]
pub unsafe extern "C" fn wf_submit_adhoc(
    client: *const wf_client,
    job: *const wf_adhoc_job,
    data: *mut wf_data,
    op_id_buf: *mut c_char,
    op_id_len: *mut usize,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let job = unsafe { adhoc(job) }?;
        let (buf, len) = unsafe { out_buffer(op_id_buf.cast(), op_id_len, "op_id_buf") }?;
        if buf.len() < super::WF_OPERATION_ID_CAPACITY {
            return finish_fetch(Fetched::TooSmall(super::WF_OPERATION_ID_CAPACITY), len, Retry::NothingSent);
        }
        let id = unsafe { with_data(data, |d| c.submit_adhoc(&job, d)) }?;
        super::workflow::copy_text(id.as_bytes(), "ad-hoc All-In-One", buf, len)
    })
}

/// Runs an ad-hoc job synchronously (`async=false`) and streams its result to the file `path`
/// with the guarantees of `wf_get_result_to_file` (checked before sending; complete or absent).
/// `out_info` (NULL allowed) receives the result's type and set IDs as for
/// `wf_get_result_to_file_ex`.
#[no_mangle]
pub unsafe extern "C" fn wf_run_adhoc_to_file(
    client: *const wf_client,
    job: *const wf_adhoc_job,
    data: *mut wf_data,
    path: *const c_char,
    out_info: *mut *mut wf_result,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let job = unsafe { adhoc(job) }?;
        let path = unsafe { str_arg(path, "path") }?;
        let (_, meta) = unsafe { with_data(data, |d| c.run_adhoc_to_file(&job, d, Path::new(path))) }?;
        if !out_info.is_null() {
            let info = FfiResult::new(OperationResult::new(Vec::new(), meta), PathList::default());
            out(out_info, "out_info")?.set(handle::into_raw(info));
        }
        Ok(wf_status::WF_OK)
    })
}

/// Runs an ad-hoc job synchronously and hands its result to `write`, as `wf_get_result_stream`.
#[no_mangle]
pub unsafe extern "C" fn wf_run_adhoc_stream(
    client: *const wf_client,
    job: *const wf_adhoc_job,
    data: *mut wf_data,
    write: wf_write_fn,
    user_data: *mut c_void,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let job = unsafe { adhoc(job) }?;
        let write = write.ok_or_else(|| Error::invalid("the write callback is NULL"))?;
        // SAFETY: the callback and user_data are the caller's; the chunk is valid for the call.
        let mut sink = |chunk: &[u8]| unsafe { write(user_data, chunk.as_ptr(), chunk.len()) } == 0;
        unsafe { with_data(data, |d| c.run_adhoc_stream(&job, d, &mut sink)) }?;
        Ok(wf_status::WF_OK)
    })
}

/// Runs an ad-hoc job synchronously and gives its whole result in memory, as
/// `wf_get_result_ex`: on `WF_OK`, `*out_result` is a new `wf_result` (free it with
/// `wf_result_free`). When the body arrived but its path list cannot be built, the result is
/// not lost: it is kept under an operation id of the client's own (with a space, unlike any
/// server's), named in the message, for `wf_get_result_to_file`, `wf_get_result_stream` or
/// `wf_get_result` to deliver. A view's transfer callback sees the data sent, then the result's
/// bytes as they arrive.
#[no_mangle]
pub unsafe extern "C" fn wf_run_adhoc_ex(
    client: *const wf_client,
    job: *const wf_adhoc_job,
    data: *mut wf_data,
    out_result: *mut *mut wf_result,
) -> wf_status {
    ffi_status!({
        let c = unsafe { self::client(client) }?;
        let job = unsafe { adhoc(job) }?;
        let slot = out(out_result, "out_result")?;
        let (inner, paths) = unsafe { with_data(data, |d| c.run_adhoc_with_paths(&job, d)) }?;
        slot.set(handle::into_raw(FfiResult::new(inner, paths)));
        Ok(wf_status::WF_OK)
    })
}
