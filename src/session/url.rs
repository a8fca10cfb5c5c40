//! The URLs a caller gives us (the server's base URL and a proxy URL), checked part by part
//! before anything is sent: a port that is not 1..=65535, an empty host, credentials or a query
//! in the base URL are refused, so that no request (and no credential) can go to another port
//! or host than the one the caller meant. Messages never quote userinfo, a query or a fragment.
//! See docs/c-contract.md, "URLs".

use crate::error::{Error, Result};

/// Longest operation id accepted (the C contract's `WF_OPERATION_ID_CAPACITY` less the NUL).
pub(crate) const MAX_OPERATION_ID: usize = 127;

/// Schemes `wf_client_set_proxy` accepts (those the HTTP stack implements).
const PROXY_SCHEMES: [&str; 7] = ["http", "https", "socks", "socks4", "socks4a", "socks5", "socks5h"];

struct Parts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    /// From the first '/' to the end, without query or fragment.
    path: &'a str,
    has_query_or_fragment: bool,
}

/// `scheme://host[:port]/path` with userinfo, query and fragment left out, for messages.
pub fn redacted(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let userinfo = if authority.contains('@') { "…@" } else { "" };
    let scheme = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    let shown = format!("{scheme}{userinfo}{host_port}{path}");
    // The password may also be written elsewhere in the URL (its host, path, or what stands
    // before "://"): then the whole URL is withheld.
    let password = authority.rsplit_once('@').and_then(|(u, _)| u.split_once(':')).map_or("", |(_, p)| p);
    if !password.is_empty() && shown.contains(password) {
        return "… (withheld: it contains the password)".to_string();
    }
    shown.escape_debug().to_string()
}

fn split<'a>(url: &'a str, default_scheme: Option<&'static str>) -> std::result::Result<Parts<'a>, String> {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("it contains whitespace or control characters".into());
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => match default_scheme {
            Some(d) => (d, url),
            None => return Err("it must start with http:// or https://, e.g. http://localhost:9340".into()),
        },
    };
    let has_query_or_fragment = rest.contains(['?', '#']);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    check_host_and_port(host_port)?;
    Ok(Parts { scheme, userinfo, path, has_query_or_fragment })
}

fn check_host_and_port(host_port: &str) -> std::result::Result<(), String> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let Some((inside, after)) = bracketed.split_once(']') else {
            return Err("its IPv6 host has no closing ']'".into());
        };
        if inside.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("its host in brackets is not an IPv6 address".into());
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("it has characters after the IPv6 host that are not a port")?),
        };
        (&host_port[..inside.len() + 2], port)
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err("it has no host".into());
    }
    if !host.starts_with('[') && !host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        return Err(
            "its host has characters a host name cannot have (use the ASCII form of an international name)".into()
        );
    }
    if let Some(p) = port {
        parse_port(p)?;
    }
    Ok(())
}

fn parse_port(p: &str) -> std::result::Result<u16, String> {
    if p.is_empty() {
        return Err("its port is empty (write host:port with a number, or leave out the ':')".into());
    }
    if !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 5 {
        return Err(format!("its port '{}' is not a number from 1 to 65535", p.escape_debug()));
    }
    match p.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => Err(format!("its port {p} is not a number from 1 to 65535")),
    }
}

/// Validates a base URL, `http(s)://host[:port][/prefix]`, and returns it without trailing '/'.
pub fn parse_base_url(url: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid(format!("invalid base URL '{}': {why}; nothing was sent", redacted(url)));
    let parts = split(url, None).map_err(|why| bad(&why))?;
    if !parts.scheme.eq_ignore_ascii_case("http") && !parts.scheme.eq_ignore_ascii_case("https") {
        return Err(bad("it must start with http:// or https://, e.g. http://localhost:9340"));
    }
    if parts.userinfo.is_some() {
        return Err(bad(
            "it must not carry credentials (user:password@); set them on the client instead (basic credentials, a token or a login)",
        ));
    }
    if parts.has_query_or_fragment {
        return Err(bad("it must not have a query or fragment"));
    }
    let base = url.trim_end_matches('/').to_string();
    ureq::http::Uri::try_from(format!("{base}/rest")).map_err(|e| bad(&e.to_string()))?;
    Ok(base)
}

/// Validates a proxy URL, `[scheme://][user:password@]host[:port]` (http when no scheme).
pub fn check_proxy_url(url: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid(format!("invalid proxy URL '{}': {why}; nothing was sent", redacted(url)));
    let parts = split(url, Some("http")).map_err(|why| bad(&why))?;
    if !PROXY_SCHEMES.iter().any(|s| parts.scheme.eq_ignore_ascii_case(s)) {
        return Err(bad(&format!("its scheme must be one of {}", PROXY_SCHEMES.join(", "))));
    }
    if parts.has_query_or_fragment || !matches!(parts.path, "" | "/") {
        return Err(bad("it must not have a path, query or fragment"));
    }
    Ok(())
}

/// The password part of a proxy URL's userinfo, to be scrubbed from messages.
pub fn proxy_password(url: &str) -> Option<String> {
    let parts = split(url, Some("http")).ok()?;
    parts.userinfo?.split_once(':').map(|(_, p)| p.to_string()).filter(|p| !p.is_empty())
}

/// What a path segment names, which decides what it may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// An operation id: the contract refuses `/ ? # % \\`, as no server issues them.
    OperationId,
    /// A File Store id or file name: any character that can be percent-encoded, so names such
    /// as `50% off.pdf` work; only separators and relative segments are refused.
    FileStoreName,
}

/// Checks an operation id or File Store name and percent-encodes it as one path segment.
/// Anything that could change which resource is requested is refused.
pub fn encode_segment(id: &str, what: &str, kind: Segment) -> Result<String> {
    let refuse = |why: &str| Err(Error::invalid(format!("the {what} {why}: refused, nothing was sent")));
    if id.is_empty() {
        return refuse("is empty");
    }
    if id.len() > MAX_OPERATION_ID * 8 {
        return refuse(&format!("is {} bytes long, far longer than any server issues", id.len()));
    }
    if id == "." || id == ".." {
        return refuse("is a relative path segment ('.' or '..')");
    }
    let forbidden = |c: char| match kind {
        Segment::OperationId => matches!(c, '/' | '\\' | '?' | '#' | '%'),
        Segment::FileStoreName => matches!(c, '/' | '\\'),
    };
    if let Some(c) = id.chars().find(|&c| forbidden(c) || c.is_control()) {
        return refuse(&format!("contains {:?}, which could alter the request path", c));
    }
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn redaction_drops_userinfo_query_and_fragment() {
        assert_eq!(redacted("http://u:pw@h:1/p?q=secret#f"), "http://…@h:1/p");
        assert_eq!(redacted("h:1"), "h:1");
    }

    #[test]
    fn redaction_withholds_a_url_that_repeats_its_password() {
        // Found by the `urls` fuzz target: the password written again in the path was shown.
        let shown = redacted("http://u:hunter2@h:1/hunter2");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!redacted("u:s3cr3t@s3cr3t.example:1").contains("s3cr3t"));
        assert!(!redacted("wwww/://:wwww@h").contains("wwww"), "nor in what looks like a scheme");
        assert_eq!(redacted("http://u:pw@h:1/p"), "http://…@h:1/p");
    }

    #[test]
    fn ports_are_numbers_from_1_to_65535() {
        assert_eq!(parse_port("09340"), Ok(9340));
        for bad in ["", "0", "65536", "99999", "abc", "+1", "-1", "123456", "1 "] {
            assert!(parse_port(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(parse_base_url("http://localhost:9340/").unwrap(), "http://localhost:9340");
        assert_eq!(parse_base_url("HTTPS://h/prefix").unwrap(), "HTTPS://h/prefix");
        for bad in
            ["localhost:9340", "ftp://h", "http://", "http://h/a b", "http://h?x", "http://u:p@h", "http://h\r\n"]
        {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn operation_ids_cannot_change_the_path() {
        let op = Segment::OperationId;
        assert_eq!(encode_segment("1281ef9d-7a74-4448", "id", op).unwrap(), "1281ef9d-7a74-4448");
        assert_eq!(encode_segment("a b+é", "id", op).unwrap(), "a%20b%2B%C3%A9");
        for bad in ["", ".", "..", "a/b", "a?b", "a#b", "a%2Fb", "a\r\nb", "a\\b", "a\0b", "\u{7f}"] {
            assert_eq!(encode_segment(bad, "id", op).unwrap_err().status, Status::InvalidArgument, "{bad:?}");
        }
        assert!(encode_segment(&"x".repeat(5000), "id", op).is_err());
        let name = Segment::FileStoreName;
        assert_eq!(encode_segment("50% off?#.pdf", "name", name).unwrap(), "50%25%20off%3F%23.pdf");
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb"] {
            assert!(encode_segment(bad, "name", name).is_err(), "{bad:?}");
        }
    }
}
