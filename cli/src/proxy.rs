//! The proxy: its URL from --proxy or OLCONNECT_PROXY, its password from
//! OLCONNECT_PROXY_PASSWORD (so that it is not in the process list or the shell's history, as a
//! password in the URL on the command line would be). The password goes into the URL that the
//! library is handed, percent-encoded; every form of it is cut out of what olcwf prints.

use crate::redact;

pub const PASSWORD_VARIABLE: &str = "OLCONNECT_PROXY_PASSWORD";

/// The proxy URL to hand the library: `given` with `password` (from the environment) put in
/// its userinfo. A problem is a usage error whose message quotes no password.
pub fn url(given: &str, password: Option<&str>) -> Result<String, String> {
    let (scheme, rest) = match given.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), given),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    let in_url = userinfo.and_then(|u| u.split_once(':')).map(|(_, p)| p).filter(|p| !p.is_empty());
    if let Some(p) = in_url {
        redact::add(p);
        redact::add(&percent_decode(p));
    }
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Ok(given.to_string());
    };
    let encoded = percent_encode(password);
    redact::add(password);
    redact::add(&encoded);
    let Some(user) = userinfo.map(|u| u.split_once(':').map_or(u, |(user, _)| user)).filter(|u| !u.is_empty()) else {
        return Err(format!(
            "{PASSWORD_VARIABLE} is set but the proxy URL names no user to go with it: write the proxy as \
             http://USER@host:port"
        ));
    };
    if in_url.is_some() {
        return Err(format!(
            "the proxy URL carries a password and {PASSWORD_VARIABLE} is set too: give it in one place \
             (the environment keeps it out of the process list)"
        ));
    }
    Ok(format!("{scheme}{user}:{encoded}@{host}{tail}"))
}

/// Every byte but the unreserved ones as %XX, as userinfo needs.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// %XX sequences decoded (others kept as they are), for the form a password written in the URL
/// takes once decoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_into_the_userinfo_encoded() {
        assert_eq!(url("http://alice@h:3128", Some("a:b@c/d%")).unwrap(), "http://alice:a%3Ab%40c%2Fd%25@h:3128");
        assert_eq!(url("alice@h:3128", Some("pw")).unwrap(), "alice:pw@h:3128");
        assert_eq!(url("socks5://alice:@h:1080", Some("pw")).unwrap(), "socks5://alice:pw@h:1080");
        assert_eq!(url("http://h:3128", None).unwrap(), "http://h:3128");
        assert_eq!(url("http://alice:inurl@h:3128", Some("")).unwrap(), "http://alice:inurl@h:3128");
        assert!(url("http://h:3128", Some("pw")).unwrap_err().contains(PASSWORD_VARIABLE));
        let both = url("http://alice:inurl@h:3128", Some("pw")).unwrap_err();
        assert!(both.contains("one place") && !both.contains("inurl") && !both.contains("pw@"));
        assert_eq!(percent_decode("a%3Ab%zz%4"), "a:b%zz%4");
    }
}
