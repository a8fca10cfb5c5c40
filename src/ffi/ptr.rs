//! NULL-checked conversions of C arguments, so exported bodies read straight.

use super::handle;
use super::wf_client;
use crate::error::{Error, Result};
use crate::Client;
use std::ffi::{c_char, CStr};

/// The client behind a handle; NULL is `WF_INVALID_ARGUMENT`.
///
/// # Safety
/// `p` is NULL or a pointer returned by `wf_client_new` and not yet freed.
pub(crate) unsafe fn client<'a>(p: *const wf_client) -> Result<&'a Client> {
    // SAFETY: the caller's contract, as above.
    unsafe { handle::try_ref(p) }.ok_or_else(|| Error::invalid("the client handle is NULL"))
}

/// A required NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::invalid(format!("{name} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| Error::invalid(format!("{name} is not valid UTF-8")))
}

/// An optional string: NULL gives `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        unsafe { str_arg(p, name) }.map(Some)
    }
}

/// Most strings one array argument may hold (a sanity bound on a count, not a server's number).
pub(crate) const MAX_STRINGS: usize = 1 << 20;

/// A required array of `count` NUL-terminated UTF-8 strings (at least one).
///
/// # Safety
/// `p` is NULL or points to `count` pointers, each NULL or a NUL-terminated string, all
/// outliving the call.
pub(crate) unsafe fn str_array<'a>(p: *const *const c_char, count: usize, name: &str) -> Result<Vec<&'a str>> {
    if p.is_null() || count == 0 {
        return Err(Error::invalid(format!("{name} is NULL or empty: give at least one operation id")));
    }
    if count > MAX_STRINGS {
        return Err(Error::invalid(format!("{name} has {count} entries, over the limit of {MAX_STRINGS}")));
    }
    // SAFETY: `count` readable pointers by the caller's contract.
    let pointers = unsafe { std::slice::from_raw_parts(p, count) };
    pointers
        .iter()
        .enumerate()
        // SAFETY: each is NULL or a NUL-terminated string by the caller's contract.
        .map(|(i, &s)| unsafe { str_arg(s, &format!("{name}[{i}]")) })
        .collect()
}

/// The `(buffer, *capacity)` pair of the buffer protocol. A capacity over `isize::MAX` cannot
/// describe a real buffer and is refused.
///
/// # Safety
/// `len` is NULL or valid for reads and writes; `buf` is NULL or valid for `*len` bytes, and
/// does not overlap any other argument of the call.
pub(crate) unsafe fn out_buffer<'a>(
    buf: *mut u8,
    len: *mut usize,
    name: &str,
) -> Result<(&'a mut [u8], &'a mut usize)> {
    // SAFETY: non-NULL `len` is a valid size_t by the caller's contract.
    let len = unsafe { len.as_mut() }.ok_or_else(|| Error::invalid(format!("the length pointer of {name} is NULL")))?;
    if buf.is_null() {
        if *len != 0 {
            return Err(Error::invalid(format!("{name} is NULL but its capacity is {}", *len)));
        }
        return Ok((&mut [], len));
    }
    if *len > isize::MAX as usize {
        return Err(Error::invalid(format!(
            "the capacity of {name} ({}) is larger than any buffer can be (over isize::MAX); nothing was sent",
            *len
        )));
    }
    // SAFETY: `buf` is valid for `*len` writable bytes by the caller's contract.
    Ok((unsafe { std::slice::from_raw_parts_mut(buf, *len) }, len))
}

/// A required output pointer, written only on success.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn set(self, value: T) {
        // SAFETY: non-NULL (checked in `out`) and writable by the caller's contract; `write`
        // does not read or drop whatever the caller's memory held.
        unsafe { self.0.write(value) }
    }
}

pub(crate) fn out<T>(p: *mut T, name: &str) -> Result<Out<T>> {
    if p.is_null() {
        Err(Error::invalid(format!("{name} is NULL")))
    } else {
        Ok(Out(p))
    }
}

/// The pointer helpers and the handle casts, on their own: plain memory, no network, so they
/// also run under Miri (`cargo +nightly miri test --lib ffi::`; docs/RELIABILITY.md).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::handle::Handle;
    use crate::ffi::result::{wf_result_data, wf_result_free, wf_result_path, wf_result_path_count, FfiResult};
    use crate::ffi::wf_result;
    use crate::session::result::{OperationResult, PathList, ResultMeta, ResultType};
    use crate::Status;

    #[test]
    fn strings_null_valid_and_not_utf8() {
        assert_eq!(unsafe { str_arg(std::ptr::null(), "url") }.unwrap_err().status, Status::InvalidArgument);
        assert_eq!(unsafe { str_arg(c"héllo".as_ptr(), "url") }.unwrap(), "héllo");
        let bad = [0xffu8 as c_char, 0x41, 0];
        let e = unsafe { str_arg(bad.as_ptr(), "url") }.unwrap_err();
        assert!(e.message.contains("not valid UTF-8"), "{}", e.message);
        assert_eq!(unsafe { opt_str_arg(std::ptr::null(), "proxy") }.unwrap(), None);
        assert_eq!(unsafe { opt_str_arg(c"x".as_ptr(), "proxy") }.unwrap(), Some("x"));
    }

    #[test]
    fn out_buffers_are_checked_before_use() {
        let mut storage = [0u8; 8];
        let mut len = storage.len();
        let (buf, cap) = unsafe { out_buffer(storage.as_mut_ptr(), &mut len, "out_buf") }.unwrap();
        buf.copy_from_slice(b"12345678");
        *cap = 8;
        assert_eq!(&storage, b"12345678");
        assert!(unsafe { out_buffer(storage.as_mut_ptr(), std::ptr::null_mut(), "out_buf") }.is_err());
        let mut zero = 0usize;
        assert!(unsafe { out_buffer(std::ptr::null_mut(), &mut zero, "out_buf") }.unwrap().0.is_empty());
        let mut some = 4usize;
        assert!(unsafe { out_buffer(std::ptr::null_mut(), &mut some, "out_buf") }.is_err());
        let mut huge = usize::MAX;
        assert!(unsafe { out_buffer(storage.as_mut_ptr(), &mut huge, "out_buf") }.is_err());
    }

    #[test]
    fn out_pointers_are_written_only_when_set() {
        let mut slot = 7i64;
        out(&mut slot as *mut i64, "id").unwrap().set(42);
        assert_eq!(slot, 42);
        assert!(out(std::ptr::null_mut::<i64>(), "id").is_err());
    }

    struct Probe;
    impl Handle for Probe {
        type Rust = Vec<String>;
    }

    #[test]
    fn handles_round_trip_and_free_once() {
        let p = handle::into_raw::<Probe>(vec!["a".to_string()]);
        assert_eq!(unsafe { handle::try_ref(p) }.unwrap()[0], "a");
        assert!(unsafe { handle::try_ref::<Probe>(std::ptr::null()) }.is_none());
        unsafe { handle::free(p) };
        unsafe { handle::free::<Probe>(std::ptr::null_mut()) };
    }

    #[test]
    fn result_handles_give_data_and_paths_through_the_c_functions() {
        let body = b"/spool/a.pdf,/spool/b.pdf".to_vec();
        let paths = PathList::parse(&body).unwrap();
        let meta = ResultMeta {
            result_type: ResultType::OutputPaths,
            data_set_id: None,
            content_set_id: None,
            job_set_id: None,
        };
        let r = handle::into_raw::<wf_result>(FfiResult::new(OperationResult::new(body.clone(), meta), paths));
        unsafe {
            let mut len = 0usize;
            let data = wf_result_data(r, &mut len);
            assert_eq!(std::slice::from_raw_parts(data, len), &body[..]);
            assert_eq!(wf_result_path_count(r), 2);
            assert_eq!(CStr::from_ptr(wf_result_path(r, 1)).to_str().unwrap(), "/spool/b.pdf");
            assert!(wf_result_path(r, 2).is_null());
            assert_eq!(wf_result_path_count(std::ptr::null()), 0);
            wf_result_free(r);
            wf_result_free(std::ptr::null_mut());
        }
    }
}
