//! Fault injection: what can go wrong on the wire, and which requests it hits.

use serde_json::Value;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Wait this long before sending the response head.
    Delay(Duration),
    /// Send the body `chunk` bytes at a time with a pause between chunks.
    Trickle { chunk: usize, interval: Duration },
    /// Send the head with the full `Content-Length`, then at most this many body bytes, then close.
    CloseMidBody(u64),
    /// Announce a `Content-Length` this many bytes larger than the body sent, then close.
    ShortBody(u64),
    /// Send the body with `Transfer-Encoding: chunked`.
    Chunked,
    /// Answer 500 with a JSON Error carrying this message.
    Error500Json(String),
    /// Answer 500 with this plain-text body.
    Error500Text(String),
    /// Answer 503 with a JSON Error (then, once the rule is used up, succeed).
    Unavailable,
    /// Close the connection without answering.
    Drop,
    /// Read this many bytes of the request body, then close the connection (an upload cut off).
    CloseMidUpload(u64),
    /// Read the request body `chunk` bytes at a time with a pause between chunks.
    SlowUpload { chunk: usize, interval: Duration },
}

impl Fault {
    /// Whether the fault acts while the request body is read (before any answer).
    pub fn on_request_body(&self) -> bool {
        matches!(self, Fault::CloseMidUpload(_) | Fault::SlowUpload { .. })
    }
}

/// A fault and the requests it applies to.
#[derive(Clone, Debug)]
pub struct FaultRule {
    pub fault: Fault,
    /// Only requests whose path contains this text.
    pub path_contains: Option<String>,
    /// Only requests about this operation id.
    pub operation: Option<String>,
    /// How many matching requests it hits; `None`: all of them until cleared.
    pub remaining: Option<u32>,
}

impl FaultRule {
    /// A rule that hits the next matching request only.
    pub fn once(fault: Fault) -> FaultRule {
        FaultRule { fault, path_contains: None, operation: None, remaining: Some(1) }
    }

    /// A rule that hits the next `n` matching requests.
    pub fn times(fault: Fault, n: u32) -> FaultRule {
        FaultRule { remaining: Some(n), ..FaultRule::once(fault) }
    }

    /// A rule for every matching request until the faults are cleared.
    pub fn always(fault: Fault) -> FaultRule {
        FaultRule { remaining: None, ..FaultRule::once(fault) }
    }

    pub fn on_path(mut self, text: &str) -> FaultRule {
        self.path_contains = Some(text.to_string());
        self
    }

    pub fn on_operation(mut self, id: &str) -> FaultRule {
        self.operation = Some(id.to_string());
        self
    }

    pub(crate) fn matches(&self, path: &str, op: Option<&str>) -> bool {
        self.path_contains.as_deref().is_none_or(|p| path.contains(p))
            && self.operation.as_deref().is_none_or(|o| op == Some(o))
    }

    /// Parses the JSON of `POST /sim/faults`, e.g.
    /// `{"kind":"close_mid_body","bytes":1000,"count":1,"path":"getResult","operation":"…"}`.
    pub fn from_json(v: &Value) -> Result<FaultRule, String> {
        let num = |k: &str, default: u64| {
            v.get(k).map_or(Some(default), Value::as_u64).ok_or(format!("{k} must be a number"))
        };
        let text = |k: &str, default: &str| v.get(k).and_then(Value::as_str).unwrap_or(default).to_string();
        let kind = v.get("kind").and_then(Value::as_str).ok_or("a fault needs a kind")?;
        let fault = match kind {
            "delay" => Fault::Delay(Duration::from_millis(num("ms", 1000)?)),
            "trickle" => Fault::Trickle {
                chunk: num("chunk", 1024)? as usize,
                interval: Duration::from_millis(num("interval_ms", 10)?),
            },
            "close_mid_body" => Fault::CloseMidBody(num("bytes", 0)?),
            "short_body" => Fault::ShortBody(num("bytes", 100)?.max(1)),
            "chunked" => Fault::Chunked,
            "error_500_json" => Fault::Error500Json(text("message", "Simulated server failure")),
            "error_500_text" => Fault::Error500Text(text("message", "Simulated server failure")),
            "unavailable" => Fault::Unavailable,
            "drop" => Fault::Drop,
            "close_mid_upload" => Fault::CloseMidUpload(num("bytes", 0)?),
            "slow_upload" => Fault::SlowUpload {
                chunk: num("chunk", 1024)?.max(1) as usize,
                interval: Duration::from_millis(num("interval_ms", 10)?),
            },
            other => return Err(format!("unknown fault kind '{other}'")),
        };
        let remaining = match v.get("count") {
            None => Some(1),
            Some(Value::Null) => None,
            Some(c) => Some(c.as_u64().ok_or("count must be a number or null")? as u32),
        };
        Ok(FaultRule {
            fault,
            path_contains: v.get("path").and_then(Value::as_str).map(str::to_string),
            operation: v.get("operation").and_then(Value::as_str).map(str::to_string),
            remaining,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_rules_parse_with_defaults() {
        let r = FaultRule::from_json(&json!({"kind":"close_mid_body","bytes":10,"path":"getResult"})).unwrap();
        assert_eq!(r.fault, Fault::CloseMidBody(10));
        assert_eq!(r.remaining, Some(1));
        assert!(r.matches("/x/getResult/1", None));
        assert!(!r.matches("/x/getProgress/1", None));
        let r = FaultRule::from_json(&json!({"kind":"unavailable","count":null,"operation":"a"})).unwrap();
        assert_eq!(r.remaining, None);
        assert!(r.matches("/p", Some("a")) && !r.matches("/p", Some("b")) && !r.matches("/p", None));
        assert!(FaultRule::from_json(&json!({"kind":"meteor"})).is_err());
        assert!(FaultRule::from_json(&json!({})).is_err());
    }
}
