//! What the wire needs of the operating system beyond std, one module per OS with the same
//! functions and the same meaning: waiting for a socket in a bounded step, reading in a bounded
//! step, telling whether a pooled connection is still idle, and a destination's memory pages.
//! The call paths above (`transport`, `direct`, `pages`) are the same on every OS.
//! docs/platforms.md says what is built and tested where.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;
