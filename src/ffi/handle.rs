//! Opaque C handles and the Rust values behind them, in one place (a light version of
//! rustls-ffi's `Castable`): each C handle type names its Rust type once, and these helpers are
//! the only casts between the two.

/// A C handle type (`wf_client`, `wf_result`) and the Rust value a pointer to it stands for.
pub(crate) trait Handle {
    type Rust;
}

/// Moves a value to the heap and gives the C handle that owns it.
pub(crate) fn into_raw<C: Handle>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// The value behind a handle; `None` for NULL.
///
/// # Safety
/// `p` is NULL or was returned by [`into_raw`] for the same `C` and not freed yet, and the value
/// outlives `'a` (the caller's contract: no free while a call is running).
pub(crate) unsafe fn try_ref<'a, C: Handle>(p: *const C) -> Option<&'a C::Rust> {
    // SAFETY: as documented above.
    unsafe { p.cast::<C::Rust>().as_ref() }
}

/// Drops the value behind a handle; NULL does nothing.
///
/// # Safety
/// `p` is NULL or was returned by [`into_raw`] for the same `C` and not freed yet.
pub(crate) unsafe fn free<C: Handle>(p: *mut C) {
    if !p.is_null() {
        // SAFETY: as documented above; ownership comes back from the caller.
        drop(unsafe { Box::from_raw(p.cast::<C::Rust>()) });
    }
}
