//! The request log: what arrived, with `Authorization` and `auth_token` redacted, for tests
//! (`Simulator::requests`) and the `/sim/requests` control route.

use crate::http::Request;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::Mutex;

/// One request as the simulator received it, secrets redacted.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query, as sent (percent-encoding kept).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body_len: usize,
}

impl LoggedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn to_json(&self) -> Value {
        let headers: serde_json::Map<String, Value> =
            self.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), json!(v))).collect();
        json!({ "method": self.method, "target": self.target, "headers": headers, "body_len": self.body_len })
    }
}

/// The newest requests received, oldest first.
#[derive(Default)]
pub struct RequestLog {
    entries: Mutex<VecDeque<LoggedRequest>>,
}

impl RequestLog {
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.lock().unwrap().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap().clear();
    }

    /// Records a request, with its secrets redacted, keeping the newest `capacity` ones.
    pub fn record(&self, capacity: usize, req: &Request) {
        record(&self.entries, capacity, req);
    }
}

fn record(entries: &Mutex<VecDeque<LoggedRequest>>, capacity: usize, req: &Request) {
    if capacity == 0 {
        return;
    }
    let headers = req
        .headers
        .iter()
        .map(|(k, v)| {
            let redacted = if k.eq_ignore_ascii_case("authorization") {
                let scheme = v.split(' ').next().unwrap_or("");
                format!("{scheme} <redacted>")
            } else if k.eq_ignore_ascii_case("auth_token") {
                "<redacted>".to_string()
            } else {
                v.clone()
            };
            (k.clone(), redacted)
        })
        .collect();
    let mut target = req.path.clone();
    if !req.query.is_empty() {
        target.push('?');
        target.push_str(&req.query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"));
    }
    let mut log = entries.lock().unwrap();
    if log.len() >= capacity {
        log.pop_front();
    }
    log.push_back(LoggedRequest { method: req.method.clone(), target, headers, body_len: req.body.len() });
}
