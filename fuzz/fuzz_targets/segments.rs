//! Operation ids and File Store names: never a panic; an encoded segment has no character that
//! could change the request path and decodes back to exactly what the caller gave.
#![no_main]
use libfuzzer_sys::fuzz_target;
use olconnect_wf::session::url::{encode_segment, Segment};

fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(id) = std::str::from_utf8(data) else { return };
    for kind in [Segment::OperationId, Segment::FileStoreName] {
        if let Ok(enc) = encode_segment(id, "id", kind) {
            assert!(!enc.contains(['/', '\\', '?', '#', ' ']), "{enc:?}");
            assert!(enc != "." && enc != "..");
            assert!(enc.is_ascii());
            assert_eq!(decode(&enc), id.as_bytes());
        }
    }
});
