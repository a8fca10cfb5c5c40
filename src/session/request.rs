//! The one request path every call goes through: authentication (with the single re-login and
//! replay), retries after transient failures of the requests that are safe to repeat (which and
//! when: `retry`), and the mapping of transport failures and HTTP answers to statuses, with
//! every secret cut out of the server's words.

use crate::error::{Error, Hint, Result, Status};
use crate::session::auth::{self, AuthHeader, Credentials, Secret, Session};
use crate::session::client::Client;
use crate::session::data::Data;
use crate::session::log::LogLevel;
use crate::session::retry::{Failure, Kind, Next};
use crate::session::url::{encode_segment, Segment};
use crate::session::words::{quotable, server_message};
use crate::wire::body::{self, ERROR_PREFIX};
use crate::wire::direct;
use crate::wire::interrupt::{self, Interrupt};
use crate::wire::transport::WriteStalled;
use std::cell::RefCell;
use std::io::{self, Read};
use std::time::{Duration, Instant};
use ureq::http::Response;
use ureq::{Agent, Body};
use zeroize::Zeroizing;

pub(crate) const SERVICE: &str = "/rest/serverengine";
pub(crate) const PRINT: &str = "/rest/serverengine/workflow/print";
/// Largest login answer (a token).
const LOGIN_BODY_LIMIT: u64 = 16 * 1024;

/// Words from an answer the client cannot use (a 2xx body or a header), fit to quote in a
/// message: control characters out, every secret in play scrubbed, then cut to a readable length.
fn quoted(words: &str, secrets: &[&Secret]) -> String {
    server_message(Some("text/plain"), words.as_bytes(), secrets)
}

/// Maps a transport failure before any response arrived.
fn transport_error(what: &str, e: ureq::Error, tls: bool, secrets: &[&Secret]) -> Error {
    use ureq::Error as E;
    let lang = interrupt::language();
    let (status, detail) = match &e {
        E::Timeout(t) => (
            Status::Timeout,
            format!("timed out ({t}); raise the limits with {} if the server is slow", Hint::RaiseTimeouts.text(lang)),
        ),
        E::HostNotFound => (Status::ConnectFailed, "the host name could not be resolved".into()),
        E::ConnectionFailed => (Status::ConnectFailed, "the connection could not be established".into()),
        E::Io(io) => match io.kind() {
            // The server stopped reading the request (not a read timeout: nothing was awaited).
            io::ErrorKind::TimedOut if WriteStalled::from_io(io).is_some() => (Status::Timeout, io.to_string()),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (Status::Timeout, format!("timed out: {io}")),
            // rustls reports handshake and certificate failures as InvalidData.
            io::ErrorKind::InvalidData if tls => (
                Status::TlsError,
                format!("TLS failed: {io}; check the server certificate or {}", Hint::CaFile.text(lang)),
            ),
            _ => (
                Status::ConnectFailed,
                format!("the connection failed before a response: {io}; is the server running at this address?"),
            ),
        },
        E::Tls(_) | E::Rustls(_) | E::Pem(_) => {
            (Status::TlsError, format!("TLS failed: {e}; check the server certificate or {}", Hint::CaFile.text(lang)))
        }
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => (Status::ConnectFailed, format!("the proxy failed: {e}")),
        _ => (Status::UnexpectedResponse, format!("the exchange broke the HTTP protocol: {e}")),
    };
    Error::new(status, format!("{what}: {}", quotable(&detail, secrets)))
}

/// Adds to a failure's message what the attempts were, when there is something to say.
fn with_note(mut e: Error, note: Option<String>) -> Error {
    if let Some(note) = note {
        e.message = format!("{} ({note})", e.message);
    }
    e
}

/// The log line of a retry: the request, why the attempt failed, when the next one goes.
fn retry_line(method: &str, path: &str, failure: Option<Failure>, pause: Duration, next: u32, of: u32) -> String {
    let why = failure.map_or_else(String::new, |f| f.reason());
    format!("{method} {path}: {why}; sending it again in {} ms (attempt {next} of {of})", pause.as_millis())
}

pub(crate) enum Method {
    Get,
    Head,
    Post,
}

impl Method {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
        }
    }
}

/// One request: what it is for (in messages), where it goes, its body, and its kind (whether it
/// is sent again after a transient failure: src/session/retry.rs).
pub(crate) struct Call<'a> {
    pub what: String,
    pub method: Method,
    pub path: String,
    pub body: Option<(&'a [u8], &'a str)>,
    pub accept: Option<&'a str>,
    pub kind: Kind,
}

impl<'a> Call<'a> {
    /// A call of no kind the retry table names (never repeated) until [`kind`](Self::kind) says.
    pub(crate) fn new(what: impl Into<String>, method: Method, path: String) -> Call<'a> {
        Call { what: what.into(), method, path, body: None, accept: None, kind: Kind::Unlisted }
    }

    /// A call about one operation: `{PRINT}/{verb}/{op_id}`, the id checked and encoded.
    pub(crate) fn operation(verb: &str, op_id: &str, method: Method) -> Result<Call<'a>> {
        let segment = encode_segment(op_id, "operation id", Segment::OperationId)?;
        Ok(Call::new(format!("{verb} of operation '{op_id}'"), method, format!("{PRINT}/{verb}/{segment}")))
    }

    pub(crate) fn accept(mut self, media_type: &'a str) -> Call<'a> {
        self.accept = Some(media_type);
        self
    }

    pub(crate) fn kind(mut self, kind: Kind) -> Call<'a> {
        self.kind = kind;
        self
    }
}

impl Client {
    /// Logs in now; on success the client sends the token and logs in again when needed. On
    /// failure the previous credentials stay in place.
    pub fn login(&self, username: &str, password: &str) -> Result<()> {
        self.call(|| {
            let _slot = self.slot()?;
            let basic = auth::basic_header(username, password)?;
            let agent = self.agent();
            let line = LoginLine::default();
            let exchanged = self.login_exchange(&agent, &basic, &line);
            self.log_login(&line);
            let (token, lifetime) = exchanged?;
            self.shared.auth.set(Credentials::Login { basic, session: Some(Session::new(token, lifetime)) });
            Ok(())
        })
    }

    /// One login exchange, sent again after a transient failure (src/session/retry.rs; never
    /// after a 401). Its log lines (each attempt, each retry) go to `line`, to be logged by the
    /// caller once the login lock is released (no caller code runs while the library holds a lock).
    fn login_exchange(&self, agent: &Agent, basic: &Secret, line: &LoginLine) -> Result<(Secret, Option<Duration>)> {
        let what = "login";
        let held = self.secrets();
        // The credentials being tried are not installed yet: scrub them as well.
        let secrets: Vec<&Secret> = held.iter().chain([basic]).collect();
        let path = format!("{SERVICE}/authentication/login");
        let url = self.url(&path);
        let log = |make: &dyn Fn() -> String| {
            if self.shared.log.is_on() {
                line.borrow_mut().push(make());
            }
        };
        let mut made = 0;
        let mut resp = loop {
            made += 1;
            let started = Instant::now();
            let outcome = agent
                .post(&url)
                .header("Authorization", basic.expose())
                .header("Accept", "text/plain")
                .header("Accept-Encoding", "identity")
                .send_empty();
            let failure = match &outcome {
                Ok(resp) => {
                    log(&|| exchange_line("POST", &path, resp, started));
                    Failure::of_status(resp.status().as_u16(), header(resp, "Retry-After").as_deref())
                }
                Err(e) => Failure::of_transport(e),
            };
            match self.shared.retry.next(Kind::Login, failure, made) {
                Next::Retry(pause) => {
                    log(&|| retry_line("POST", &path, failure, pause, made + 1, self.shared.retry.attempts()));
                    self.shared.retry.count();
                    interrupt::sleep(pause).map_err(Interrupt::into_error)?;
                }
                Next::GiveUp(note) => match outcome {
                    Ok(mut resp) if !(200..300).contains(&resp.status().as_u16()) => {
                        return Err(with_note(http_error(what, &mut resp, true, &secrets), note))
                    }
                    Ok(resp) => break resp,
                    Err(e) => return Err(with_note(transport_error(what, e, self.is_https(), &secrets), note)),
                },
            }
        };
        let status = resp.status().as_u16();
        if let Some(coding) = unasked_coding(&resp) {
            return Err(coded_body_error(what, &coding, status, &secrets));
        }
        let lifetime =
            header(&resp, "Token-Expires-In").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
        // Reserved whole up front so that the token is never left behind by a reallocation.
        let mut body = Zeroizing::new(Vec::with_capacity(LOGIN_BODY_LIMIT as usize + 1));
        let reader = resp.body_mut().with_config().limit(u64::MAX).reader();
        reader.take(LOGIN_BODY_LIMIT + 1).read_to_end(&mut body).map_err(|e| body::read_error(what, e, 0, None))?;
        let text = std::str::from_utf8(&body).map(str::trim).unwrap_or("");
        if body.len() as u64 > LOGIN_BODY_LIMIT || text.is_empty() || text.chars().any(|c| c.is_control()) {
            return Err(Error::new(
                Status::UnexpectedResponse,
                "login: the server answered 200 without a usable token (not text, empty, or over 16 KiB)",
            )
            .with_http(status));
        }
        Ok((Secret::new(text), lifetime))
    }

    fn send_once(
        &self,
        agent: &Agent,
        call: &Call,
        auth: &AuthHeader,
    ) -> std::result::Result<Response<Body>, ureq::Error> {
        let url = self.url(&call.path);
        // Notes on the response the connection it came through, for a large body to be read
        // straight from the socket (src/wire/direct.rs).
        direct::before_request();
        let mut resp = match call.method {
            Method::Get => decorate(agent.get(&url), call, auth).call(),
            Method::Head => decorate(agent.head(&url), call, auth).call(),
            Method::Post => match call.body {
                Some((bytes, content_type)) => {
                    decorate(agent.post(&url), call, auth).content_type(content_type).send(bytes)
                }
                None => decorate(agent.post(&url), call, auth).send_empty(),
            },
        }?;
        direct::after_response(&mut resp);
        Ok(resp)
    }

    /// Sends a call whose body is `data` (an upload, an ad-hoc job) and returns its 2xx response.
    /// A body that cannot be sent twice is only sent on a session known to be valid: with login
    /// credentials the session is checked first (as the official client does), and a 401/403
    /// after the body was sent is reported, not replayed. A file is sent again, once, after a
    /// re-login.
    pub(crate) fn send_upload(&self, call: &Call, data: &mut Data, content_type: &str) -> Result<Response<Body>> {
        if self.shared.auth.can_relogin() {
            let check =
                Call::new("session check", Method::Head, format!("{SERVICE}/authentication")).kind(Kind::SessionCheck);
            drop(self.send(&check)?);
        }
        let agent = self.agent();
        let line = LoginLine::default();
        let login = |basic: &Secret| self.login_exchange(&agent, basic, &line);
        let header = self.shared.auth.header(&login);
        self.log_login(&line);
        let (mut header, generation) = header?;
        let had_credentials = !matches!(header, AuthHeader::None);
        let mut resp = self.send_data_once(&agent, call, &header, data, content_type)?;
        let status = resp.status().as_u16();
        if (status == 401 || status == 403) && self.shared.auth.can_relogin() {
            let _ = body::read_prefix(&mut resp, ERROR_PREFIX);
            if !data.replayable() {
                return Err(Error::new(
                    if status == 401 { Status::AuthFailed } else { Status::Forbidden },
                    format!(
                        "{}: the server rejected the credentials (HTTP {status}) after the data was sent; data from a reader cannot be sent twice: call again with new data (the session is renewed)",
                        call.what
                    ),
                )
                .with_http(status));
            }
            self.shared.log.log(LogLevel::Warn, || {
                format!(
                    "{} {}: HTTP {status}; logging in again and sending the data once more",
                    call.method.name(),
                    call.path
                )
            });
            let relogged = self.shared.auth.relogin(generation, &login);
            self.log_login(&line);
            header = relogged?.0;
            resp = self.send_data_once(&agent, call, &header, data, content_type)?;
        }
        self.accepted(call, resp, had_credentials, &header)
    }

    fn send_data_once(
        &self,
        agent: &Agent,
        call: &Call,
        auth: &AuthHeader,
        data: &mut Data,
        content_type: &str,
    ) -> Result<Response<Body>> {
        let length = data.length();
        let mut sending = data.open(&call.what)?;
        let started = Instant::now();
        let mut req = decorate(agent.post(self.url(&call.path)), call, auth).content_type(content_type);
        if let Some(n) = length {
            req = req.header("Content-Length", n.to_string());
        }
        let outcome = req.send(ureq::SendBody::from_reader(&mut sending));
        if let Some(local) = sending.failure(&call.what) {
            return Err(local);
        }
        let resp = outcome.map_err(|e| {
            // Never sent again (its kind says so); a connection lost may have delivered it.
            let note = match self.shared.retry.next(call.kind, Failure::of_transport(&e), 1) {
                Next::GiveUp(note) => note,
                Next::Retry(_) => None,
            };
            with_note(self.scrubbed(auth, |secrets| transport_error(&call.what, e, self.is_https(), secrets)), note)
        })?;
        // The whole body went out: report it, whatever the interval since the last report.
        interrupt::report_final().map_err(Interrupt::into_error)?;
        self.log_exchange(call, &resp, started);
        Ok(resp)
    }

    /// Sends a call, and again after a transient failure when its kind allows (within the
    /// client's retry setting and the call's deadline: src/session/retry.rs). Gives the last
    /// response (any status), with a note on the attempts for the error it may become.
    fn send_attempts(&self, agent: &Agent, call: &Call, auth: &AuthHeader) -> Result<(Response<Body>, Option<String>)> {
        let mut made = 0;
        loop {
            made += 1;
            let started = Instant::now();
            let outcome = self.send_once(agent, call, auth);
            let failure = match &outcome {
                Ok(resp) => {
                    self.log_exchange(call, resp, started);
                    Failure::of_status(resp.status().as_u16(), header(resp, "Retry-After").as_deref())
                }
                Err(e) => Failure::of_transport(e),
            };
            match self.shared.retry.next(call.kind, failure, made) {
                Next::Retry(pause) => {
                    self.shared.log.log(LogLevel::Info, || {
                        let of = self.shared.retry.attempts();
                        retry_line(call.method.name(), &call.path, failure, pause, made + 1, of)
                    });
                    self.shared.retry.count();
                    interrupt::sleep(pause).map_err(Interrupt::into_error)?;
                }
                Next::GiveUp(note) => {
                    return match outcome {
                        Ok(resp) => Ok((resp, note)),
                        Err(e) => Err(with_note(
                            self.scrubbed(auth, |secrets| transport_error(&call.what, e, self.is_https(), secrets)),
                            note,
                        )),
                    }
                }
            }
        }
    }

    /// Sends a call and returns its 2xx response; anything else becomes an [`Error`].
    pub(crate) fn send(&self, call: &Call) -> Result<Response<Body>> {
        let agent = self.agent();
        let line = LoginLine::default();
        // Whether this call logged in itself (not only took a token another thread's login got).
        let logged_in = std::cell::Cell::new(false);
        let login = |basic: &Secret| {
            logged_in.set(true);
            self.login_exchange(&agent, basic, &line)
        };
        let header = self.shared.auth.header(&login);
        self.log_login(&line);
        let (mut header, generation) = header?;
        let had_credentials = !matches!(header, AuthHeader::None);
        let (mut resp, mut note) = self.send_attempts(&agent, call, &header)?;
        let status = resp.status().as_u16();
        if (status == 401 || status == 403) && self.shared.auth.can_relogin() {
            // The token may have expired or been revoked: log in again once, replay once.
            self.shared.log.log(LogLevel::Warn, || {
                format!("{} {}: HTTP {status}; logging in again and replaying once", call.method.name(), call.path)
            });
            let _ = body::read_prefix(&mut resp, ERROR_PREFIX);
            logged_in.set(false);
            let relogged = self.shared.auth.relogin(generation, &login);
            self.log_login(&line);
            let (renewed, generation) = relogged?;
            header = renewed;
            (resp, note) = self.send_attempts(&agent, call, &header)?;
            let status = resp.status().as_u16();
            // The token came from another thread's login and was revoked too meanwhile (the
            // server forgot its sessions): this call logs in itself, once, and replays once more.
            if (status == 401 || status == 403) && !logged_in.get() && self.shared.auth.can_relogin() {
                let _ = body::read_prefix(&mut resp, ERROR_PREFIX);
                let relogged = self.shared.auth.relogin(generation, &login);
                self.log_login(&line);
                header = relogged?.0;
                (resp, note) = self.send_attempts(&agent, call, &header)?;
            }
        }
        self.accepted(call, resp, had_credentials, &header).map_err(|e| with_note(e, note))
    }

    /// A 2xx response is the caller's (once its content coding is checked); anything else
    /// becomes an [`Error`] carrying the server's words, scrubbed.
    fn accepted(
        &self,
        call: &Call,
        mut resp: Response<Body>,
        had_credentials: bool,
        auth: &AuthHeader,
    ) -> Result<Response<Body>> {
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(self.scrubbed(auth, |secrets| http_error(&call.what, &mut resp, had_credentials, secrets)));
        }
        // The secrets are gathered only for an error, not for every answer.
        if let Some(coding) = unasked_coding(&resp) {
            return Err(self.scrubbed(auth, |secrets| coded_body_error(&call.what, &coding, status, secrets)));
        }
        Ok(resp)
    }

    /// Words from a 2xx answer the client cannot use, fit to quote in a message (see [`quoted`]).
    pub(crate) fn quote(&self, words: &str) -> String {
        self.scrubbed(&AuthHeader::None, |secrets| quoted(words, secrets))
    }

    /// Runs `f` with every secret the client holds plus the one sent with this exchange.
    fn scrubbed<R>(&self, auth: &AuthHeader, f: impl FnOnce(&[&Secret]) -> R) -> R {
        let held = self.secrets();
        let secrets: Vec<&Secret> = held.iter().chain(auth.secret()).collect();
        f(&secrets)
    }

    /// One log line per exchange: method, path, status, announced length, time to the answer.
    fn log_exchange(&self, call: &Call, resp: &Response<Body>, started: Instant) {
        self.shared.log.log(LogLevel::Info, || exchange_line(call.method.name(), &call.path, resp, started));
    }

    /// Logs the lines of a login exchange made meanwhile (its attempts), if one was.
    fn log_login(&self, line: &LoginLine) {
        let lines = std::mem::take(&mut *line.borrow_mut());
        for l in lines {
            self.shared.log.log(LogLevel::Info, || l);
        }
    }

    /// Sends a call and reads its whole body (at most `limit` bytes).
    pub(crate) fn send_read(&self, call: &Call, limit: u64) -> Result<Vec<u8>> {
        let mut resp = self.send(call)?;
        body::read_all(&call.what, &mut resp, limit, body::Count::Not)
    }
}

/// The log lines of a login exchange (one per attempt, and one per retry), kept until the login
/// lock is released.
type LoginLine = RefCell<Vec<String>>;

fn exchange_line(method: &str, path: &str, resp: &Response<Body>, started: Instant) -> String {
    let length = resp.body().content_length().map_or("length not announced".to_string(), |n| format!("{n} bytes"));
    format!("{method} {path} -> HTTP {} ({length}) in {} ms", resp.status().as_u16(), started.elapsed().as_millis())
}

/// A request with the headers every call carries: credentials, Accept, Accept-Encoding.
fn decorate<B>(req: ureq::RequestBuilder<B>, call: &Call, auth: &AuthHeader) -> ureq::RequestBuilder<B> {
    let req = match auth {
        AuthHeader::None => req,
        AuthHeader::Authorization(h) => req.header("Authorization", h.expose()),
        AuthHeader::Token(t) => req.header("auth_token", t.expose()),
    };
    let req = match call.accept {
        Some(a) => req.header("Accept", a),
        None => req,
    };
    // A compressed body would not be the result: ask for the bytes as they are.
    req.header("Accept-Encoding", "identity")
}

pub(crate) fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The error for a non-2xx answer, with the server's words (from the first part of the body)
/// cleaned of the secrets in play.
fn http_error(what: &str, resp: &mut Response<Body>, had_credentials: bool, secrets: &[&Secret]) -> Error {
    let status = resp.status().as_u16();
    let content_type = header(resp, "Content-Type");
    let prefix = body::read_prefix(resp, ERROR_PREFIX);
    let words = server_message(content_type.as_deref(), &prefix, secrets);
    Error::from_http(what, status, &words, had_credentials, interrupt::language())
}

/// The content coding of a body sent coded although the client asked for `identity`.
fn unasked_coding(resp: &Response<Body>) -> Option<String> {
    header(resp, "Content-Encoding")
        .map(|v| v.trim().to_string())
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
}

/// Refuses a body sent with a content coding: coded bytes are not the result.
fn coded_body_error(what: &str, coding: &str, http_status: u16, secrets: &[&Secret]) -> Error {
    Error::new(
        Status::UnexpectedResponse,
        format!(
            "{what}: the server sent the body encoded as '{}' although the client asked for it unencoded (Accept-Encoding: identity); these bytes are not the result and were not delivered",
            quoted(coding, secrets)
        ),
    )
    .with_http(http_status)
}
