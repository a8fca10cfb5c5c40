//! olconnect-wf: a client of the All-In-One service of an OL Connect Server, with a stable C ABI.
//!
//! The core is plain Rust: [`Client`] (connection options, credentials, the request path),
//! [`result`] (what a result is), [`workflow`] (submit, progress, wait, cancel, streaming) and
//! [`error`]. The `ffi` module is the C ABI: it checks pointers, converts strings, calls the
//! core and maps errors to `wf_status`; the header `include/olconnect_wf.h` is generated from it.

pub mod auth;
mod body;
pub mod client;
pub mod error;
mod kept;
pub mod result;
pub mod url;
pub mod workflow;

pub mod ffi;

pub use client::{Client, Fetched, ResultEndpoint};
pub use error::{Error, Result, Status};
pub use result::{OperationResult, ResultMeta, ResultType};
pub use workflow::Progress;
