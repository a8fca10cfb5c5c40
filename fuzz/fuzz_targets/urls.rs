//! Base and proxy URLs from a caller: never a panic; an accepted base URL is one the HTTP stack
//! parses to the same host and port we checked, with no credentials and a port in 1..=65535,
//! and a redacted URL never shows the userinfo.
#![no_main]
use libfuzzer_sys::fuzz_target;
use olconnect_wf::session::url::{check_proxy_url, parse_base_url, proxy_password, redacted};

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else { return };
    let _ = check_proxy_url(url);
    let password = proxy_password(url);
    let shown = redacted(url);
    // Withheld, the URL becomes a fixed text (which may contain a short password by chance).
    let withheld = shown.starts_with("… (withheld");
    if let Some(p) = password.filter(|p| p.len() >= 4 && !withheld) {
        assert!(!shown.contains(&p), "a redacted URL shows the password");
    }
    if let Ok(base) = parse_base_url(url) {
        let rest = base.split_once("://").expect("accepted with a scheme").1;
        let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
        assert!(!authority.contains('@'), "an accepted base URL carries credentials");
        let uri: ureq::http::Uri = format!("{base}/rest").parse().expect("accepted, so the stack parses it");
        let parsed = uri.authority().expect("an authority").as_str();
        assert_eq!(parsed, authority, "the stack would connect elsewhere than checked");
        if let Some(port) = uri.port_u16() {
            assert!(port >= 1, "port 0 accepted");
            let written = authority.rsplit_once(':').map(|(_, p)| p).unwrap_or_default();
            assert_eq!(written.parse::<u32>().ok(), Some(u32::from(port)), "port read differently");
        }
    }
});
