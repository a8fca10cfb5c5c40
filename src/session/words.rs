//! The server's words, fit to quote in a message: the message of a JSON Error or a plain-text
//! body, cleaned of control characters, with every form of every secret in play scrubbed from the
//! whole text before it is cut to a readable length.

use crate::session::auth::{self, Secret};
use serde_json::Value;

/// Longest server message quoted in an error message.
const MESSAGE_LIMIT: usize = 1000;

/// Said instead of a server's words that could not be quoted without a secret.
const WITHHELD: &str = "(the details are withheld: they contained the credentials)";

/// The server's message, fit to quote: `error.message` (and `error.parameter`) of a JSON Error,
/// or a plain-text body, cleaned of control characters, with every form of the secrets in play
/// scrubbed from the whole text, then cut to a readable length (see [`quotable`]). `body` may be
/// only the first part of a longer answer: the fields are then looked for in what arrived.
pub fn server_message(content_type: Option<&str>, body: &[u8], secrets: &[&Secret]) -> String {
    let text = String::from_utf8_lossy(body);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let looks_json = ct.contains("json") || text.trim_start().starts_with('{');
    let fields = looks_json.then(|| json_error_fields(&text)).flatten();
    let raw = match fields {
        Some((msg, Some(p))) if !p.is_empty() => format!("{msg} (parameter: {p})"),
        Some((msg, _)) => msg,
        None if ct.is_empty() || ct.starts_with("text/") || ct.contains("json") => text.trim().to_string(),
        None => format!("unrecognised {ct} content of {} bytes", body.len()),
    };
    // Control characters out before scrubbing, so that a character replaced cannot complete a
    // secret after the scrub.
    let words: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    quotable(&words, secrets)
}

/// Words fit to quote in a message: every form of every secret scrubbed from the whole text
/// first, then cut to a readable length withholding any beginning of a secret at the cut
/// ([`auth::cut`]); withheld whole when a secret cannot be cut out. Cutting first would leave
/// the part of a secret before the cut, which scrubbing no longer recognises.
pub fn quotable(words: &str, secrets: &[&Secret]) -> String {
    match auth::scrub(words, secrets) {
        Some(clean) => auth::cut(&clean, MESSAGE_LIMIT, secrets),
        None => WITHHELD.to_string(),
    }
}

/// `error.message` and `error.parameter` of a JSON Error (docs/rest-api.md, "Errors"); from a
/// document cut short, the first string fields of those names that arrived whole.
fn json_error_fields(text: &str) -> Option<(String, Option<String>)> {
    if let Ok(doc) = serde_json::from_str::<Value>(text) {
        let err = doc.get("error")?;
        let as_text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let message = err.get("message").and_then(as_text).unwrap_or_default();
        return Some((message, err.get("parameter").and_then(as_text)));
    }
    let message = string_field(text, "message")?;
    Some((message, string_field(text, "parameter")))
}

/// The value of the first `"name": "…"` member found in possibly incomplete JSON text.
fn string_field(text: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\"");
    let mut from = 0;
    while let Some(at) = text[from..].find(&key).map(|i| i + from) {
        from = at + key.len();
        if text[..at].ends_with('\\') {
            continue; // inside another string, as an escaped quote
        }
        let rest = text[from..].trim_start().strip_prefix(':')?.trim_start();
        let Some(body) = rest.strip_prefix('"') else { continue };
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => return serde_json::from_str(&rest[..i + 2]).ok(),
                _ => {}
            }
        }
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, Status};

    #[test]
    fn json_error_message_and_parameter_are_quoted() {
        let body = br#"{"error":{"status":404,"message":"Operation not found in Server","parameter":"abc"}}"#;
        let words = server_message(Some("application/json"), body, &[]);
        let e = Error::from_http("getResult of operation 'abc'", 404, &words, true, crate::error::Language::C);
        assert_eq!(e.status, Status::NotFound);
        assert_eq!(e.http_status, 404);
        assert!(e.message.contains("Operation not found in Server (parameter: abc)"), "{}", e.message);
    }
    #[test]
    fn plain_text_and_binary_bodies_are_handled() {
        assert_eq!(server_message(Some("text/plain"), b"Token expired\r\n", &[]), "Token expired");
        assert_eq!(server_message(Some("image/png"), b"\x89PNG", &[]), "unrecognised image/png content of 4 bytes");
        let long = "x".repeat(5000);
        assert!(server_message(Some("text/plain"), long.as_bytes(), &[]).len() < 1100);
        assert_eq!(server_message(Some("text/plain"), b"a\x1b[31mb", &[]), "a [31mb");
    }
    #[test]
    fn a_secret_near_the_cut_is_scrubbed_before_the_cut() {
        // Found by review: the words were cut to 1000 bytes and then scrubbed, so a password
        // echoed across byte 1000 left its beginning in the message.
        let password = "Tr0ub4dor&3-horse-22ch";
        let basic = crate::session::auth::basic_header("ol-admin", password).unwrap();
        let b64 = basic.expose().strip_prefix("Basic ").unwrap().to_string();
        let forms = [
            password.to_string(),
            format!("ol-admin:{password}"),
            b64.trim_end_matches('=').to_string(),
            b64.clone(),
            basic.expose().to_string(),
        ];
        for form in &forms {
            for at in 960..=1010 {
                let filler = "x".repeat(at);
                let bodies = [
                    (Some("text/plain"), format!("{filler}{form} and more words after it")),
                    (None, format!("{filler}\t{form}\r\n{}", "y".repeat(100))),
                    (
                        Some("application/json"),
                        serde_json::json!({"error": {"message": format!("{filler}{form} rejected"), "parameter": "p"}})
                            .to_string(),
                    ),
                ];
                for (content_type, body) in bodies {
                    let words = server_message(content_type, body.as_bytes(), &[&basic]);
                    assert!(!words.contains(&form[..4]), "a part of {form:?} at {at} got through: {words}");
                    assert!(words.len() <= MESSAGE_LIMIT + '…'.len_utf8(), "{} bytes", words.len());
                    let e = Error::from_http("login", 401, &words, true, crate::error::Language::C);
                    assert!(!e.message.contains(&form[..4]), "{}", e.message);
                }
            }
        }
    }
    #[test]
    fn words_that_cannot_lose_a_short_secret_are_withheld() {
        let short = crate::session::auth::basic_header("ol-admin", "pw").unwrap();
        assert_eq!(server_message(Some("text/plain"), b"bad pw", &[&short]), WITHHELD);
        assert_eq!(quotable("all fine", &[&short]), "all fine");
    }
    #[test]
    fn fields_are_found_in_a_json_error_cut_short() {
        let cut =
            br#"{"error":{"stack":"x \"message\": \"no\"","message":"Boom \u00e9","parameter":"p","trace":"at a.b(C"#;
        assert_eq!(server_message(None, cut, &[]), "Boom \u{e9} (parameter: p)");
        assert_eq!(
            server_message(None, br#"{"error":{"status":500,"message":"cut her"#, &[]),
            r#"{"error":{"status":500,"message":"cut her"#
        );
        assert_eq!(
            server_message(None, br#"{"error":{"message":01}}"#, &[]),
            r#"{"error":{"message":01}}"#,
            "not JSON"
        );
    }
}
