//! Credentials (docs/rest-api.md, "Authentication"; docs/c-contract.md, "Credentials"): HTTP
//! Basic on every call, a fixed `auth_token`, or a login whose token is refreshed before it
//! expires and once after the server rejects it. Secrets live in buffers wiped (zeroize) when
//! dropped, and every form of them is scrubbed from messages.

use crate::error::{Error, Result, Status};
use crate::wire::interrupt;
use base64::Engine;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// A string wiped from memory when dropped; its `Debug` shows nothing.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The forms in which this secret could appear in a server's answer: itself and, for a
    /// Basic header, its base64 part (with and without padding), the decoded `user:password`
    /// pair and the password.
    fn forms(&self) -> Vec<Zeroizing<String>> {
        let mut forms = vec![self.0.clone()];
        if let Some(b64) = self.0.strip_prefix("Basic ") {
            forms.push(Zeroizing::new(b64.to_string()));
            // Echoed without its padding, it still gives the credentials away.
            forms.push(Zeroizing::new(b64.trim_end_matches('=').to_string()));
            let decoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_default());
            if let Ok(pair) = std::str::from_utf8(&decoded) {
                forms.push(Zeroizing::new(pair.to_string()));
                if let Some((_, password)) = pair.split_once(':') {
                    forms.push(Zeroizing::new(password.to_string()));
                }
            }
        }
        forms.retain(|f| !f.is_empty());
        forms
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Secrets shorter than this are not cut out of a text (that would mangle it): a text that
/// contains one is withheld whole.
const SHORTEST_SCRUBBED: usize = 4;

/// `text` with every form of every secret replaced by `<redacted>`; `None` when a secret too
/// short to cut out appears in it (the caller then withholds the text).
pub fn scrub(text: &str, secrets: &[&Secret]) -> Option<String> {
    let mut out = text.to_string();
    let mut forms: Vec<Zeroizing<String>> = secrets.iter().flat_map(|s| s.forms()).collect();
    // Longest first, so that a pair is cut out whole before the password inside it.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    for form in &forms {
        if !out.contains(form.as_str()) {
            continue;
        }
        if form.len() < SHORTEST_SCRUBBED {
            return None;
        }
        out = out.replace(form.as_str(), "<redacted>");
    }
    // A secret that overlaps the marker can be made again by the cutting: then withhold.
    if forms.iter().any(|f| out.contains(f.as_str())) {
        return None;
    }
    Some(out)
}

/// `text` cut to at most `limit` bytes (at a character boundary) and marked with `…` when it was
/// longer. Call it on a text already scrubbed whole ([`scrub`]): cutting first could split a
/// secret so that scrubbing no longer finds it. A tail of the part kept that is the beginning of
/// a form of a secret is withheld as well, so that no part of a secret survives at the cut.
pub fn cut(text: &str, limit: usize, secrets: &[&Secret]) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let forms: Vec<Zeroizing<String>> = secrets.iter().flat_map(|s| s.forms()).collect();
    // Again after each withholding: what is left may end with the beginning of a secret too.
    while let Some(n) = forms.iter().map(|f| secret_start_at_end(&text.as_bytes()[..end], f.as_bytes())).max() {
        if n == 0 {
            break;
        }
        // A form starts with the first byte of a character, so this is a character boundary.
        end -= n;
    }
    let mut out = String::with_capacity(end + '…'.len_utf8());
    out.push_str(&text[..end]);
    out.push('…');
    out
}

/// The length of the longest end of `kept` that is a beginning of `form` (0 if none).
fn secret_start_at_end(kept: &[u8], form: &[u8]) -> usize {
    (1..=form.len().min(kept.len())).rev().find(|&n| kept.ends_with(&form[..n])).unwrap_or(0)
}

/// Lifetime assumed when the login answer has no `Token-Expires-In` (docs/rest-api.md, "Authentication").
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// Longest token lifetime believed; a larger `Token-Expires-In` is clamped to it.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);
/// How often a caller waiting for another thread's login checks whether it must stop.
const LOGIN_LOCK_STEP: Duration = Duration::from_millis(5);
/// Log in again when less than this remains of a token's life (the official client's margin).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(15);

/// Refuses a value that could alter the request's headers: CR, LF and other control characters.
pub fn check_header_safe(value: &str, what: &str) -> Result<()> {
    if value.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(format!(
            "the {what} contains a control character (CR, LF, tab or similar), which could alter the request headers: refused, nothing was sent"
        )));
    }
    Ok(())
}

fn check_username(username: &str) -> Result<()> {
    if username.is_empty() {
        return Err(Error::invalid("the username is empty"));
    }
    if username.contains(':') {
        return Err(Error::invalid("the username contains ':', which HTTP Basic authentication cannot carry"));
    }
    check_header_safe(username, "username")
}

/// Validated Basic credentials: the `Authorization` header value.
pub fn basic_header(username: &str, password: &str) -> Result<Secret> {
    check_username(username)?;
    check_header_safe(password, "password")?;
    // Sized up front so that neither buffer reallocates, leaving an unwiped copy behind.
    let mut pair = Zeroizing::new(String::with_capacity(username.len() + 1 + password.len()));
    pair.push_str(username);
    pair.push(':');
    pair.push_str(password);
    let mut header = String::with_capacity("Basic ".len() + pair.len().div_ceil(3) * 4);
    header.push_str("Basic ");
    base64::engine::general_purpose::STANDARD.encode_string(pair.as_bytes(), &mut header);
    Ok(Secret(Zeroizing::new(header)))
}

/// A token obtained by logging in.
pub struct Session {
    pub token: Secret,
    refresh_at: Instant,
}

impl Session {
    pub fn new(token: Secret, lifetime: Option<Duration>) -> Session {
        // The lifetime is the server's number: clamped, so no arithmetic on it can overflow.
        let lifetime = lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME).min(MAX_TOKEN_LIFETIME);
        // Short lifetimes (test servers) refresh at half-life rather than on every call.
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        let now = Instant::now();
        Session { token, refresh_at: now.checked_add(lifetime - margin).unwrap_or(now) }
    }

    fn needs_refresh(&self) -> bool {
        Instant::now() >= self.refresh_at
    }
}

pub enum Credentials {
    None,
    Basic(Secret),
    Token(Secret),
    Login { basic: Secret, session: Option<Session> },
}

/// The header a request carries.
pub enum AuthHeader {
    None,
    Authorization(Secret),
    Token(Secret),
}

impl AuthHeader {
    /// The secret the header carries, if any.
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            AuthHeader::None => None,
            AuthHeader::Authorization(s) | AuthHeader::Token(s) => Some(s),
        }
    }
}

/// Logs in with the `Authorization: Basic` value given; returns the token and its lifetime.
pub type LoginFn<'a> = &'a dyn Fn(&Secret) -> Result<(Secret, Option<Duration>)>;

struct State {
    credentials: Credentials,
    /// Bumped whenever the credentials or the session change, so that threads that saw a
    /// rejected token can tell whether another thread already replaced it.
    generation: u64,
    /// Logins made (each with its retries), and how the last one failed if it did: a caller that
    /// waited for the login lock meanwhile reports that failure instead of trying again, so that
    /// callers queued behind a failing login do not each spend its retries in turn.
    logins: u64,
    last_login_failure: Option<Error>,
}

pub struct Auth {
    state: Mutex<State>,
    /// Held while logging in, so concurrent callers share one login.
    login_lock: Mutex<()>,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            state: Mutex::new(State {
                credentials: Credentials::None,
                generation: 0,
                logins: 0,
                last_login_failure: None,
            }),
            login_lock: Mutex::new(()),
        }
    }
}

impl Auth {
    pub fn set(&self, credentials: Credentials) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.credentials = credentials; // the old secrets are wiped as they drop here
        st.generation += 1;
        st.last_login_failure = None;
    }

    pub fn has_credentials(&self) -> bool {
        !matches!(self.state.lock().unwrap_or_else(|e| e.into_inner()).credentials, Credentials::None)
    }

    /// Whether a rejected request may be retried after logging in again.
    pub fn can_relogin(&self) -> bool {
        matches!(self.state.lock().unwrap_or_else(|e| e.into_inner()).credentials, Credentials::Login { .. })
    }

    /// The header for the next request and the generation it belongs to; logs in first when
    /// the session is missing or about to expire.
    pub fn header(&self, login: LoginFn) -> Result<(AuthHeader, u64)> {
        {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match &st.credentials {
                Credentials::None => return Ok((AuthHeader::None, st.generation)),
                Credentials::Basic(h) => return Ok((AuthHeader::Authorization(h.clone()), st.generation)),
                Credentials::Token(t) => return Ok((AuthHeader::Token(t.clone()), st.generation)),
                Credentials::Login { session: Some(s), .. } if !s.needs_refresh() => {
                    return Ok((AuthHeader::Token(s.token.clone()), st.generation))
                }
                Credentials::Login { .. } => {}
            }
        }
        let generation = self.state.lock().unwrap_or_else(|e| e.into_inner()).generation;
        self.relogin(generation, login)
    }

    /// The login lock; a caller waiting for it can still be stopped (another thread's login may
    /// be stalled on a slow server).
    fn lock_for_login(&self) -> Result<std::sync::MutexGuard<'_, ()>> {
        loop {
            match self.login_lock.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => {
                    interrupt::sleep(LOGIN_LOCK_STEP).map_err(interrupt::Interrupt::into_error)?
                }
            }
        }
    }

    /// Logs in again unless another thread already did since `seen_generation`; returns the
    /// new token header.
    pub fn relogin(&self, seen_generation: u64, login: LoginFn) -> Result<(AuthHeader, u64)> {
        let logins_seen = self.state.lock().unwrap_or_else(|e| e.into_inner()).logins;
        let _one_at_a_time = self.lock_for_login()?;
        let basic = {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match &st.credentials {
                Credentials::Login { session: Some(s), .. }
                    if st.generation != seen_generation && !s.needs_refresh() =>
                {
                    return Ok((AuthHeader::Token(s.token.clone()), st.generation));
                }
                Credentials::Login { basic, .. } => {
                    // Another caller's login with these credentials failed while this one waited.
                    if let Some(e) = st.last_login_failure.as_ref().filter(|_| st.logins != logins_seen) {
                        return Err(e.clone());
                    }
                    basic.clone()
                }
                _ => {
                    return Err(Error::new(
                        crate::error::Status::AuthFailed,
                        "the credentials changed while logging in; retry",
                    ))
                }
            }
        };
        // No caller code (a transfer callback) runs while the login lock is held: a call made
        // from it that needs a login would wait for this very lock.
        let outcome = {
            let _quiet = interrupt::enter_quiet();
            login(&basic)
        };
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.logins += 1;
        let (token, lifetime) = match outcome {
            Ok(session) => {
                st.last_login_failure = None;
                session
            }
            Err(e) => {
                // Not a stop of this call's own controls (or its time): another caller's may be fine.
                if !matches!(e.status, Status::Aborted | Status::Timeout) {
                    st.last_login_failure = Some(e.clone());
                }
                return Err(e);
            }
        };
        if let Credentials::Login { basic: current, session } = &mut st.credentials {
            // Only install the token if nobody replaced the credentials meanwhile.
            if current.expose() == basic.expose() {
                *session = Some(Session::new(token.clone(), lifetime));
                st.generation += 1;
            }
        }
        Ok((AuthHeader::Token(token), st.generation))
    }

    /// The `auth_token` requests carry now: a fixed token, or the session of a login.
    pub fn token(&self) -> Option<Secret> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &st.credentials {
            Credentials::Token(t) => Some(t.clone()),
            Credentials::Login { session: Some(s), .. } => Some(s.token.clone()),
            _ => None,
        }
    }

    /// The secrets in use, to scrub them from any message.
    pub fn secrets(&self) -> Vec<Secret> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &st.credentials {
            Credentials::None => vec![],
            Credentials::Basic(h) => vec![h.clone()],
            Credentials::Token(t) => vec![t.clone()],
            Credentials::Login { basic, session } => {
                let mut v = vec![basic.clone()];
                if let Some(s) = session {
                    v.push(s.token.clone());
                }
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn basic_header_is_base64_of_user_colon_password() {
        assert_eq!(basic_header("ol-admin", "secret").unwrap().expose(), "Basic b2wtYWRtaW46c2VjcmV0");
        assert!(basic_header("a\r\nX-Evil: 1", "p").is_err());
        assert!(basic_header("a", "p\n").is_err());
        assert!(basic_header("a:b", "p").is_err());
        assert!(basic_header("", "p").is_err());
        assert_eq!(format!("{:?}", Secret::new("pw")), "<redacted>");
    }

    #[test]
    fn every_form_of_a_secret_is_scrubbed() {
        let basic = basic_header("ol-admin", "Pa55word").unwrap();
        let b64 = basic.expose().strip_prefix("Basic ").unwrap().to_string();
        let text = format!("got [{}] [{b64}] [ol-admin:Pa55word] [Pa55word] [tok-12345]", basic.expose());
        let token = Secret::new("tok-12345");
        let clean = scrub(&text, &[&basic, &token]).unwrap();
        for leak in [b64.as_str(), "Pa55word", "tok-12345"] {
            assert!(!clean.contains(leak), "{clean}");
        }
        assert!(clean.starts_with("got [<redacted>] [<redacted>]"), "{clean}");
        let short = basic_header("ol-admin", "pw").unwrap();
        assert_eq!(scrub("bad pw", &[&short]), None);
        assert_eq!(scrub("all fine", &[&short]).as_deref(), Some("all fine"));
    }

    #[test]
    fn a_secret_made_again_by_the_marker_is_withheld() {
        // Found by the `scrub` fuzz target: cutting "<reda" out of "h<redacte" gives
        // "h<redacted>cte", which holds "<reda" again.
        let basic = basic_header("d>", "<reda").unwrap();
        assert_eq!(scrub("h<redacte", &[&basic]), None);
    }

    #[test]
    fn base64_without_its_padding_is_scrubbed() {
        // Found by the `http_response` fuzz target: an echo of the Basic header's base64 without
        // its trailing '=' went through.
        let basic = basic_header("ol-admin", "fuzz-secret-pw").unwrap();
        let b64 = basic.expose().strip_prefix("Basic ").unwrap();
        assert!(b64.ends_with('='));
        let clean = scrub(&format!("echo {}!", b64.trim_end_matches('=')), &[&basic]).unwrap();
        assert_eq!(clean, "echo <redacted>!");
    }

    /// A password and every form of it the scrubbing knows, with the client's secrets.
    fn forms_of(password: &str) -> (Secret, Vec<String>) {
        let basic = basic_header("ol-admin", password).unwrap();
        let b64 = basic.expose().strip_prefix("Basic ").unwrap().to_string();
        let forms = vec![
            password.to_string(),
            format!("ol-admin:{password}"),
            b64.trim_end_matches('=').to_string(),
            b64.clone(),
            basic.expose().to_string(),
        ];
        (basic, forms)
    }

    #[test]
    fn the_cut_withholds_the_beginning_of_a_secret() {
        let (basic, forms) = forms_of("Tr0ub4dor&3-horse-22ch");
        for form in &forms {
            for at in 960..=1010 {
                // The form runs over the cut: what comes before the cut is its beginning.
                if at + 4 > 1000 || at + form.len() <= 1000 {
                    continue;
                }
                let text = format!("{}{form}{}", "x".repeat(at), "y".repeat(200));
                let out = cut(&text, 1000, &[&basic]);
                assert!(!out.contains(&form[..4]), "{} bytes of {form:?} left at {at}: {out}", 1000 - at);
                assert!(out.ends_with('…') && out.len() <= 1000 + '…'.len_utf8());
            }
        }
    }

    #[test]
    fn the_cut_withholds_again_what_then_ends_the_text() {
        let basic = basic_header("ol-admin", "Pa55word").unwrap();
        let text = format!("{}Pa55Pa55w{}", "x".repeat(991), "z".repeat(50));
        assert_eq!(cut(&text, 1000, &[&basic]), format!("{}…", "x".repeat(991)));
        // Short texts are not cut; a cut falls on a character boundary.
        assert_eq!(cut("Pa55", 1000, &[&basic]), "Pa55");
        assert_eq!(cut(&"é".repeat(600), 1000, &[]), format!("{}…", "é".repeat(500)));
        assert_eq!(cut(&format!("x{}", "é".repeat(600)), 1000, &[]), format!("x{}…", "é".repeat(499)));
    }

    #[test]
    fn huge_lifetimes_are_clamped() {
        let s = Session::new(Secret::new("t"), Some(Duration::from_secs(u64::MAX)));
        assert!(!s.needs_refresh());
    }

    #[test]
    fn short_lifetimes_refresh_at_half_life() {
        let s = Session::new(Secret::new("t"), Some(Duration::from_secs(2)));
        assert!(!s.needs_refresh());
        let s = Session::new(Secret::new("t"), Some(Duration::ZERO));
        assert!(s.needs_refresh());
    }

    #[test]
    fn concurrent_relogins_share_one_login() {
        let auth = Arc::new(Auth::default());
        auth.set(Credentials::Login { basic: basic_header("u", "p").unwrap(), session: None });
        let logins = Arc::new(AtomicUsize::new(0));
        let (_, generation) = {
            let l = logins.clone();
            auth.header(&move |_| {
                l.fetch_add(1, Ordering::SeqCst);
                Ok((Secret::new("first"), None))
            })
            .unwrap()
        };
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let auth = auth.clone();
                let logins = logins.clone();
                std::thread::spawn(move || {
                    let (h, _) = auth
                        .relogin(generation, &|_| {
                            logins.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            Ok((Secret::new("second"), None))
                        })
                        .unwrap();
                    matches!(h, AuthHeader::Token(t) if t.expose() == "second")
                })
            })
            .collect();
        assert!(threads.into_iter().all(|t| t.join().unwrap()));
        assert_eq!(logins.load(Ordering::SeqCst), 2);
    }
}
