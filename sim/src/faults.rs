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
    /// The kind's name, as in [`FAULT_KINDS`].
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Delay(_) => "delay",
            Fault::Trickle { .. } => "trickle",
            Fault::CloseMidBody(_) => "close-mid-body",
            Fault::ShortBody(_) => "short-body",
            Fault::Chunked => "chunked",
            Fault::Error500Json(_) => "error-500-json",
            Fault::Error500Text(_) => "error-500-text",
            Fault::Unavailable => "unavailable",
            Fault::Drop => "drop",
            Fault::CloseMidUpload(_) => "close-mid-upload",
            Fault::SlowUpload { .. } => "slow-upload",
        }
    }

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

    /// Parses a rule given as a JSON object (`POST /sim/faults`, a table of the TOML file), e.g.
    /// `{"path":"getResult","kind":"close-mid-body","after":65536,"times":1}`, or as a JSON string
    /// in the command-line form of [`FaultRule::parse`].
    pub fn from_json(v: &Value) -> Result<FaultRule, String> {
        if let Some(spec) = v.as_str() {
            return FaultRule::parse(spec);
        }
        let map = v.as_object().ok_or("a fault is a JSON object or a PATH:KIND[:KEY=VALUE...] string")?;
        let params: Vec<(String, Value)> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        FaultRule::from_params(&params)
    }

    /// Parses the command-line form `PATH:KIND[:KEY=VALUE...]`, e.g.
    /// `getResult:close-mid-body:after=65536:times=1`; PATH is text the request path must contain,
    /// `*` for any request. A message may itself contain `:`.
    pub fn parse(spec: &str) -> Result<FaultRule, String> {
        let mut fields = spec.splitn(3, ':');
        let path = fields.next().unwrap_or("").trim();
        let kind = fields.next().ok_or_else(|| format!("fault '{spec}' is not PATH:KIND[:KEY=VALUE...]"))?;
        let mut params = vec![("kind".to_string(), Value::String(kind.trim().to_string()))];
        if !path.is_empty() && path != "*" {
            params.push(("path".into(), Value::String(path.to_string())));
        }
        for field in fields.next().map(|rest| rest.split(':')).into_iter().flatten() {
            match field.split_once('=') {
                Some((k, v)) if !k.contains(' ') => params.push((k.trim().to_string(), Value::String(v.to_string()))),
                // No KEY=: the text continues a message that contains a colon.
                _ => match params.last_mut() {
                    Some((key, Value::String(prev))) if key == "message" => {
                        prev.push(':');
                        prev.push_str(field);
                    }
                    _ => return Err(format!("fault '{spec}': '{field}' is not KEY=VALUE")),
                },
            }
        }
        FaultRule::from_params(&params)
    }

    /// Builds a rule from `KEY = VALUE` pairs (keys and kinds with `-` or `_`; see [`FAULT_KINDS`]
    /// and [`FAULT_KEYS`]). Numbers may be strings (command line).
    fn from_params(params: &[(String, Value)]) -> Result<FaultRule, String> {
        let canonical = |k: &str| {
            let k = k.replace('-', "_");
            match k.as_str() {
                "bytes" => "after".to_string(),
                "count" => "times".to_string(),
                "operation" => "op".to_string(),
                _ => k,
            }
        };
        let mut map = std::collections::BTreeMap::new();
        for (k, v) in params {
            let key = canonical(k);
            if !FAULT_KEYS.iter().any(|(known, _)| *known == key) {
                return Err(format!("unknown fault key '{k}' (known: {})", key_names()));
            }
            map.insert(key, v.clone());
        }
        let num = |k: &str, default: u64| match map.get(k) {
            None => Ok(default),
            Some(Value::Number(n)) => n.as_u64().ok_or(format!("{k} must be a whole number")),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| format!("{k} must be a whole number, not '{s}'")),
            Some(_) => Err(format!("{k} must be a whole number")),
        };
        let text = |k: &str| match map.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
            None => None,
        };
        let message = || text("message").unwrap_or_else(|| "Simulated server failure".into());
        let ms = |k: &str, default| num(k, default).map(Duration::from_millis);
        let kind = text("kind").ok_or("a fault needs a kind")?.replace('_', "-");
        let fault = match kind.as_str() {
            "delay" => Fault::Delay(ms("ms", 1000)?),
            "trickle" => {
                Fault::Trickle { chunk: num("chunk", 1024)?.max(1) as usize, interval: ms("interval_ms", 10)? }
            }
            "close-mid-body" => Fault::CloseMidBody(num("after", 0)?),
            "short-body" => Fault::ShortBody(num("missing", num("after", 100)?)?.max(1)),
            "chunked" => Fault::Chunked,
            "error-500-json" => Fault::Error500Json(message()),
            "error-500-text" => Fault::Error500Text(message()),
            "unavailable" => Fault::Unavailable,
            "drop" => Fault::Drop,
            "close-mid-upload" => Fault::CloseMidUpload(num("after", 0)?),
            "slow-upload" => {
                Fault::SlowUpload { chunk: num("chunk", 1024)?.max(1) as usize, interval: ms("interval_ms", 10)? }
            }
            other => {
                let kinds: Vec<&str> = FAULT_KINDS.iter().map(|(k, _, _)| *k).collect();
                return Err(format!("unknown fault kind '{other}' (known: {})", kinds.join(", ")));
            }
        };
        let remaining = match map.get("times") {
            None => Some(1),
            Some(Value::Null) => None,
            Some(Value::String(s)) if s == "always" => None,
            Some(_) => match num("times", 1)? {
                0 => return Err("times must be at least 1, or always".into()),
                n => Some(u32::try_from(n).map_err(|_| "times is too large; use always")?),
            },
        };
        Ok(FaultRule { fault, path_contains: text("path"), operation: text("op"), remaining })
    }
}

fn key_names() -> String {
    FAULT_KEYS.iter().map(|(k, _)| k.replace('_', "-")).collect::<Vec<_>>().join(", ")
}

/// The fault kinds: name, keys, what happens (for `--help`, docs/simulator.md and the tests that
/// keep both in step).
pub const FAULT_KINDS: &[(&str, &str, &str)] = &[
    ("delay", "ms=1000", "wait before answering"),
    ("trickle", "chunk=1024 interval-ms=10", "send the body a chunk at a time with pauses"),
    ("close-mid-body", "after=0", "announce the full Content-Length, send `after` body bytes, close"),
    ("short-body", "missing=100", "announce `missing` bytes more than the body sent, then close"),
    ("chunked", "", "send the body with Transfer-Encoding: chunked"),
    ("error-500-json", "message=...", "answer 500 with a JSON Error"),
    ("error-500-text", "message=...", "answer 500 with a plain-text body"),
    ("unavailable", "", "answer 503 with a JSON Error"),
    ("drop", "", "close the connection without answering"),
    ("close-mid-upload", "after=0", "read `after` bytes of the request body, then close"),
    ("slow-upload", "chunk=1024 interval-ms=10", "read the request body a chunk at a time with pauses"),
];

/// The keys of a fault rule besides those of its kind (aliases: bytes = after, count = times,
/// operation = op).
pub const FAULT_KEYS: &[(&str, &str)] = &[
    ("kind", "one of the fault kinds"),
    ("path", "only requests whose path contains this text (the PATH of PATH:KIND; * = any)"),
    ("op", "only requests about this operation id"),
    ("times", "how many matching requests it hits (default 1), or always"),
    ("ms", "delay: milliseconds"),
    ("chunk", "trickle, slow-upload: bytes per chunk"),
    ("interval_ms", "trickle, slow-upload: pause between chunks"),
    ("after", "close-mid-body, close-mid-upload: bytes before the connection closes"),
    ("missing", "short-body: bytes announced but not sent"),
    ("message", "error-500-json, error-500-text: the error message"),
];

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
        assert!(FaultRule::from_json(&json!({"kind":"drop","bogus":1})).unwrap_err().contains("bogus"));
    }

    #[test]
    fn the_command_line_form_has_the_same_vocabulary() {
        let r = FaultRule::parse("getResult:close-mid-body:after=65536:times=1").unwrap();
        assert_eq!(
            (r.fault, r.path_contains.as_deref(), r.remaining),
            (Fault::CloseMidBody(65536), Some("getResult"), Some(1))
        );
        let same = FaultRule::from_json(&json!({"path":"getResult","kind":"close_mid_body","bytes":65536})).unwrap();
        assert_eq!(
            (same.fault, same.path_contains, same.remaining),
            (Fault::CloseMidBody(65536), Some("getResult".into()), Some(1))
        );
        let r = FaultRule::parse("*:error-500-text:message=a: b:c:times=always").unwrap();
        assert_eq!((r.fault, r.path_contains, r.remaining), (Fault::Error500Text("a: b:c".into()), None, None));
        let r = FaultRule::parse("/version:delay:ms=5:op=abc:times=3").unwrap();
        assert_eq!(
            (r.fault, r.operation.as_deref(), r.remaining),
            (Fault::Delay(Duration::from_millis(5)), Some("abc"), Some(3))
        );
        assert_eq!(FaultRule::from_json(&json!("*:drop")).unwrap().fault, Fault::Drop);
        for bad in ["getResult", "x:meteor", "x:delay:ms=soon", "x:drop:times=0", "x:drop:speed=1", "x:drop:oops"] {
            assert!(FaultRule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_kind_in_the_table_parses_with_its_documented_keys() {
        for (kind, keys, _) in FAULT_KINDS {
            let mut spec = format!("*:{kind}");
            for kv in keys.split_whitespace() {
                spec.push(':');
                spec.push_str(&kv.replace("...", "x"));
            }
            let rule = FaultRule::parse(&spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(rule.fault.name(), *kind, "the table, the parser and Fault::name agree");
        }
    }
}
