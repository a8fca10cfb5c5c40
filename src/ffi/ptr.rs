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
