//! The wire: what moves bytes between a call and the server's socket, and what stops or bounds a
//! call while it waits. Our TCP transport under the HTTP stack (`transport`), a large body read
//! straight from the socket (`direct`), the connection's growing read buffer (`buffers`), a
//! destination's memory pages (`pages`), reading bodies within bounds (`body`), each call's
//! frame of controls and counters (`interrupt`) and the cap on requests in flight (`limiter`).
//!
//! May use: the wire itself and the library's vocabulary of errors (`crate::error`). Never the
//! session, the operations or the C boundary (tests/layers.rs checks it).

pub(crate) mod body;
pub(crate) mod buffers;
pub(crate) mod direct;
pub mod interrupt;
pub(crate) mod limiter;
pub(crate) mod pages;
mod sys;
pub(crate) mod transport;
