//! Scrubbing secrets from a server's words: never a panic, and a text let through never holds a
//! secret (a password, a token, a Basic header or its parts). Credentials are made the way the
//! library accepts them (a username without ':', no control characters). Cut short after the
//! scrub, the text does not end with the beginning of a secret either.
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use olconnect_wf::session::auth::{basic_header, check_header_safe, cut, scrub, Secret};

fuzz_target!(|input: (String, String, String, String)| {
    let (text, user, password, token) = input;
    let Ok(basic) = basic_header(&user, &password) else { return };
    if check_header_safe(&token, "token").is_err() {
        return;
    }
    let pair = format!("{user}:{password}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pair);
    let token = Secret::new(token);
    if let Some(out) = scrub(&text, &[&basic, &token]) {
        let short = cut(&out, out.len() / 2, &[&basic, &token]);
        let kept = short.strip_suffix('…').unwrap_or(&short);
        for s in [basic.expose(), token.expose(), b64.as_str(), pair.as_str(), password.as_str()] {
            if !s.is_empty() {
                assert!(!out.contains(s), "a secret got through: {s:?} in {out:?}");
                // The cut's own marker ('…') is not the server's words: a secret made of it is
                // not leaked by adding it.
                assert!(!kept.contains(s), "a secret got through the cut: {s:?} in {short:?}");
                if kept.len() < out.len() {
                    let beginning = (1..=s.len()).find(|&n| s.is_char_boundary(n) && kept.ends_with(&s[..n]));
                    assert!(beginning.is_none(), "the cut left the beginning of {s:?}: {short:?}");
                }
            }
        }
    }
});
