//! The session: a client of one server and what it keeps between calls. The client, its options
//! and HTTP agent (`client`), the one request path with authentication, re-login and error
//! mapping (`request`), which requests are repeated after a transient failure and how (`retry`), credentials and the scrubbing of secrets (`auth`), URLs and path
//! segments (`url`), the log hook (`log`), request bodies from files, buffers and readers
//! (`data`), what a result is (`result`) and the bodies kept for the buffer protocol (`kept`),
//! the operations being waited on, what the watcher learnt of them and whether a cancel stopped
//! them (`waits`), the server's words fit to quote, secrets scrubbed (`words`), and the atomic
//! download file (`tempfile`).
//!
//! May use: the wire, the session itself and `crate::error`. Never the operations or the C
//! boundary (tests/layers.rs checks it).

pub mod auth;
pub mod client;
pub mod data;
pub(crate) mod kept;
pub mod log;
pub mod request;
pub mod result;
pub(crate) mod retry;
pub(crate) mod tempfile;
pub mod url;
pub(crate) mod waits;
pub mod words;
