//! The operations of the All-In-One service and the File Store, as a Rust API on
//! `session::client::Client`: submit, progress and cancel (`workflow`), waiting for one, any or
//! all operations (`wait`) through the client's watcher (`watch`), fetching
//! results into buffers, memory, callbacks and files (`fetch`), uploads, deletes and ad-hoc runs
//! (`filestore`).
//!
//! May use: the session, the wire and `crate::error`. Never the C boundary (tests/layers.rs
//! checks it).

pub mod fetch;
pub mod filestore;
pub mod wait;
pub(crate) mod watch;
pub mod workflow;
