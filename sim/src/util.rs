//! Small helpers with no dependency: percent decoding, ids, JSON errors.

use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Percent-decodes one path segment or query value; `None` when the escapes are malformed or
/// the result is not UTF-8.
pub fn percent_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

static ID_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random-looking, unique version-4 style UUID (no crate needed: time, a counter and a mixer).
pub fn new_uuid() -> String {
    let n = ID_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let a = mix(t ^ n.rotate_left(32));
    let b = mix(a ^ n ^ 0x9e37_79b9_7f4a_7c15);
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// An opaque token string, 48 hex digits.
pub fn new_token() -> String {
    let u = new_uuid().replace('-', "");
    let extra = mix(ID_COUNTER.fetch_add(1, Ordering::Relaxed) ^ 0x5bd1_e995);
    format!("{u}{extra:016x}")
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub fn epoch_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The JSON Error object (docs/rest-api.md, "Errors").
pub fn json_error(status: u16, message: &str, parameter: Option<&str>) -> Vec<u8> {
    let mut error = json!({ "status": status, "message": message });
    if let Some(p) = parameter {
        error["parameter"] = json!(p);
    }
    json!({ "error": error }).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_rejects_bad_escapes() {
        assert_eq!(percent_decode("a%2Fb").unwrap(), "a/b");
        assert_eq!(percent_decode("plain").unwrap(), "plain");
        assert!(percent_decode("%zz").is_none());
        assert!(percent_decode("%4").is_none());
        assert!(percent_decode("%ff").is_none());
    }

    #[test]
    fn uuids_are_unique_and_well_formed() {
        let a = new_uuid();
        let b = new_uuid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn json_error_has_the_documented_shape() {
        let v: serde_json::Value = serde_json::from_slice(&json_error(404, "gone", Some("x"))).unwrap();
        assert_eq!(v["error"]["status"], 404);
        assert_eq!(v["error"]["message"], "gone");
        assert_eq!(v["error"]["parameter"], "x");
    }
}
