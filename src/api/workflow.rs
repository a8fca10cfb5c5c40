//! The All-In-One workflow calls (docs/rest-api.md, "All-In-One"): submit, progress, wait,
//! cancel, the operation list and the server version. Results are fetched in `fetch`.

use crate::api::wait::{parse_progress, Progress};
use crate::error::{Error, Result, Status};
use crate::session::client::Client;
use crate::session::request::{header, Call, Method, PRINT, SERVICE};
use crate::session::retry::Kind;
use crate::session::url::{encode_segment, Segment, MAX_OPERATION_ID};
use crate::wire::body::TEXT_LIMIT;

/// Largest answer read from `submit` and `cancel` (their bodies carry nothing we use).
const SMALL_BODY: u64 = 1024 * 1024;

impl Client {
    /// Submits a JSON All-In-One configuration; returns the operation id.
    pub fn submit(&self, config_json: &str) -> Result<String> {
        self.call(|| {
            let _slot = self.slot()?;
            if config_json.trim().is_empty() {
                return Err(Error::invalid("the All-In-One configuration is empty"));
            }
            let mut call = Call::new("submit of the All-In-One configuration", Method::Post, format!("{PRINT}/submit"))
                .kind(Kind::Submit);
            call.body = Some((config_json.as_bytes(), "application/json"));
            let mut resp = self.send(&call)?;
            let _ = resp.body_mut().with_config().limit(SMALL_BODY).read_to_vec();
            operation_id(&resp, "submit")
        })
    }

    pub fn progress(&self, op_id: &str) -> Result<Progress> {
        self.call(|| {
            let _slot = self.slot()?;
            let call = Call::operation("getProgress", op_id, Method::Get)?.accept("text/plain").kind(Kind::Progress);
            let body = self.send_read(&call, 1024)?;
            let text = String::from_utf8_lossy(&body);
            parse_progress(&text).ok_or_else(|| {
                Error::new(
                    Status::UnexpectedResponse,
                    format!("getProgress of operation '{op_id}': unparsable progress '{}'", self.quote(&text)),
                )
            })
        })
    }

    /// Cancels an operation. A `wait` for it on this client stops with `Aborted` at once, before
    /// the server answers (so that nothing the watcher learns meanwhile can read the cancel as
    /// the end of the job); a wait on this thread (a cancel made from its callback) stops as soon
    /// as the callback returns.
    pub fn cancel(&self, op_id: &str) -> Result<()> {
        self.call(|| {
            let call = Call::operation("cancel", op_id, Method::Post)?.kind(Kind::Cancel);
            self.shared.waits.cancel(op_id);
            let _slot = self.slot()?;
            self.send_read(&call, SMALL_BODY)?;
            Ok(())
        })
    }

    /// `getOperations` as the server's JSON text.
    pub fn operations(&self) -> Result<Vec<u8>> {
        self.call(|| {
            let _slot = self.slot()?;
            let call = Call::new("getOperations", Method::Get, format!("{PRINT}/getOperations"))
                .accept("application/json")
                .kind(Kind::Operations);
            self.send_read(&call, TEXT_LIMIT)
        })
    }

    /// The server version (`GET /rest/serverengine/authentication/version`, which the official
    /// client treats as the Connect server version).
    pub fn server_version(&self) -> Result<Vec<u8>> {
        self.call(|| {
            let _slot = self.slot()?;
            let call = Call::new("version", Method::Get, format!("{SERVICE}/authentication/version"))
                .accept("text/plain")
                .kind(Kind::Version);
            let body = self.send_read(&call, SMALL_BODY)?;
            Ok(String::from_utf8_lossy(&body).trim().as_bytes().to_vec())
        })
    }
}

/// The `operationId` of an answer to a call that starts an operation, checked: present, short
/// enough for `WF_OPERATION_ID_CAPACITY`, and usable as a path segment.
pub(crate) fn operation_id(resp: &ureq::http::Response<ureq::Body>, what: &str) -> Result<String> {
    let status = resp.status().as_u16();
    let unexpected =
        |why: String| Err(Error::new(Status::UnexpectedResponse, format!("{what}: {why}")).with_http(status));
    match header(resp, "operationId").map(|s| s.trim().to_string()) {
        None => unexpected(format!("HTTP {status} without an operationId header")),
        Some(id) if id.len() > MAX_OPERATION_ID => {
            unexpected(format!("the operationId is {} bytes long, over the limit of {MAX_OPERATION_ID}", id.len()))
        }
        Some(id) => match encode_segment(&id, "operationId", Segment::OperationId) {
            Ok(_) => Ok(id),
            Err(e) => unexpected(format!("unusable operationId: {}", e.message)),
        },
    }
}
