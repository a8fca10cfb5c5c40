//! olconnect-wf: a client of the All-In-One service of an OL Connect Server, with a stable C ABI.
//!
//! The core is plain Rust: [`Client`] (connection options, credentials), [`request`] (the one
//! request path: authentication, retries, error mapping), [`fetch`] (results into buffers,
//! memory, callbacks and files), [`workflow`] and [`wait`] (submit, progress, wait, cancel),
//! [`result`] (what a result is) and [`error`]. The `ffi` module is the C ABI: it checks
//! pointers, converts strings, calls the core and maps errors to `wf_status`; the header
//! `include/olconnect_wf.h` is generated from it. docs/architecture.md shows how a call flows.

pub mod auth;
mod body;
mod buffers;
pub mod client;
pub mod data;
mod direct;
pub mod error;
pub mod fetch;
pub mod filestore;
pub mod interrupt;
mod kept;
mod limiter;
pub mod log;
mod pages;
pub mod request;
pub mod result;
mod tempfile;
mod transport;
pub mod url;
pub mod wait;
pub mod workflow;

pub mod ffi;

/// The library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use client::Client;
pub use data::Data;
pub use error::{Error, Result, Status};
pub use fetch::Fetched;
pub use filestore::{Adhoc, ResourceKind};
pub use interrupt::{AbortHandle, CallControls, Transfer};
pub use log::LogLevel;
pub use result::{OperationResult, ResultEndpoint, ResultMeta, ResultType};
pub use wait::Progress;
