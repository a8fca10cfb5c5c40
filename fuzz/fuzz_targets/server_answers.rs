//! What a server says, parsed outside any request: the JSON Error body (and any other error
//! body), progress answers, path lists and the result headers. Never a panic; bounded output.
#![no_main]
use libfuzzer_sys::fuzz_target;
use olconnect_wf::session::words::server_message;
use olconnect_wf::session::result::PathList;
use olconnect_wf::api::wait::parse_progress;
use olconnect_wf::ResultMeta;

fuzz_target!(|input: (u8, &[u8])| {
    let (which, body) = input;
    let content_type = match which % 4 {
        0 => Some("application/json"),
        1 => Some("text/plain; charset=utf-8"),
        2 => Some("application/octet-stream"),
        _ => None,
    };
    let message = server_message(content_type, body, &[]);
    // At most 1000 bytes of text plus the ellipsis, whatever the body.
    assert!(message.len() <= 1000 + '…'.len_utf8(), "message of {} bytes", message.len());
    assert!(!message.chars().any(char::is_control), "control characters in {message:?}");
    let text = String::from_utf8_lossy(body);
    if let Some(p) = parse_progress(&text) {
        assert!((0..=100).contains(&p.percent));
    }
    if let Ok(list) = PathList::parse(body) {
        assert_eq!(list.iter().count(), list.len());
        for i in 0..list.len() {
            let p = list.get(i).expect("in range");
            assert!(!p.is_empty() && !p.contains(['\0', ',', '\n', '\r']));
            assert_eq!(list.get_c(i).expect("in range").to_str().ok(), Some(p));
        }
        assert!(list.get(list.len()).is_none());
    }
    let mut fields = text.split('\n');
    let values: Vec<Option<String>> = (0..4).map(|_| fields.next().map(str::to_string)).collect();
    let _ = ResultMeta::from_headers(|name| match name {
        "X-Result-Type" => values[0].clone(),
        "X-Data-Set-ID" => values[1].clone(),
        "X-Content-Set-ID" => values[2].clone(),
        "X-Job-Set-ID" => values[3].clone(),
        _ => None,
    });
});
