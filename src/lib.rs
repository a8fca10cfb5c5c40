//! olconnect-wf: a client of the All-In-One service of an OL Connect Server, with a stable C ABI.
//!
//! The folders are the layers, each using only those below it (tests/layers.rs checks it):
//!
//! - [`wire`]: sockets, bodies, buffers, and what stops or bounds a call while it waits;
//! - [`session`]: the client, its requests, credentials, URLs, log and what it keeps;
//! - [`api`]: the operations: workflow, waiting, fetching results, the File Store;
//! - [`ffi`]: the C ABI, which checks pointers, converts strings, calls the layers above and maps
//!   errors to `wf_status`; the header `include/olconnect_wf.h` is generated from it.
//!
//! [`error`] is the vocabulary of all of them. docs/architecture.md shows how a call flows.

pub mod api;
pub mod error;
pub mod session;
pub mod wire;

pub mod ffi;

/// The library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use api::fetch::Fetched;
pub use api::filestore::{Adhoc, ResourceKind};
pub use api::wait::Progress;
pub use error::{Error, Language, Result, Status};
pub use session::client::Client;
pub use session::data::Data;
pub use session::log::LogLevel;
pub use session::result::{OperationResult, ResultEndpoint, ResultMeta, ResultType};
pub use wire::interrupt::{AbortHandle, CallControls, Transfer};
