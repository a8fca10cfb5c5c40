//! The `/sim/` control routes: the request log, faults, settings, token expiry and counters of a
//! running simulator (only when its `control` setting is on).

use crate::auth;
use crate::faults::FaultRule;
use crate::http::{Request, Response};
use crate::output::Body;
use crate::requestlog::LoggedRequest;
use crate::state::Shared;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// The `/sim/` control routes (only when the `control` setting is on).
pub fn handle(shared: &Shared, req: &Request) -> Response {
    let body = || {
        serde_json::from_slice::<Value>(&req.body)
            .map_err(|e| Response::error(400, &format!("Malformed JSON: {e}"), None))
    };
    let ok = || Response::json(200, b"{\"ok\":true}".to_vec());
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/sim/requests") => {
            let log: Vec<Value> = shared.log.snapshot().iter().map(LoggedRequest::to_json).collect();
            Response::json(200, Value::Array(log).to_string().into_bytes())
        }
        ("DELETE", "/sim/requests") => {
            shared.log.clear();
            ok()
        }
        // One rule (a JSON object or a PATH:KIND[:KEY=VALUE...] string) or a list of them; all or none.
        ("POST", "/sim/faults") => {
            let rules = body().and_then(|v| {
                let list = match v {
                    Value::Array(items) => items,
                    one => vec![one],
                };
                list.iter()
                    .map(FaultRule::from_json)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Response::error(400, &e, None))
            });
            match rules {
                Ok(rules) => {
                    shared.faults.lock().unwrap().extend(rules);
                    ok()
                }
                Err(resp) => resp,
            }
        }
        ("DELETE", "/sim/faults") => {
            shared.faults.lock().unwrap().clear();
            ok()
        }
        ("GET", "/sim/settings") => {
            Response::json(200, shared.settings.read().unwrap().to_json().to_string().into_bytes())
        }
        ("POST", "/sim/settings") => match body() {
            Ok(v) => {
                let mut candidate = shared.settings();
                match candidate.apply(&v) {
                    Ok(()) => {
                        *shared.settings.write().unwrap() = candidate;
                        ok()
                    }
                    Err(e) => Response::error(400, &e, None),
                }
            }
            Err(resp) => resp,
        },
        ("POST", "/sim/expire-tokens") => {
            auth::expire_all(shared);
            ok()
        }
        ("GET", "/sim/stats") => {
            let stats = json!({
                "connections": shared.connections.load(Ordering::Relaxed),
                "requests": shared.requests.load(Ordering::Relaxed),
                "operations": shared.ops.lock().unwrap().len(),
            });
            Response::json(200, stats.to_string().into_bytes())
        }
        _ => Response::new(
            404,
            "application/json",
            Body::Bytes(crate::util::json_error(404, "Unknown control route", Some(&req.path))),
        ),
    }
}
