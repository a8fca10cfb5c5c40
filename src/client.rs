//! The client: base URL, connection options, credentials, and the one request path every call
//! goes through (authentication, the single re-login and replay, retries of idempotent calls on
//! refused connections, mapping of failures to statuses).

use crate::auth::{self, AuthHeader, Credentials, Secret, Session};
use crate::error::{Error, Result, Status};
use crate::result::{OperationResult, ResultMeta};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::{Mutex, RwLock};
use std::time::Duration;
use ureq::http::Response;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body, Proxy};

pub(crate) const SERVICE: &str = "/rest/serverengine";
pub(crate) const PRINT: &str = "/rest/serverengine/workflow/print";
/// Longest operation id accepted (the C contract's `WF_OPERATION_ID_CAPACITY` less the NUL).
pub(crate) const MAX_OPERATION_ID: usize = 127;
/// Error bodies are read up to this size for their message.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;
/// Size of the buffer each connection reads the socket into.
const INPUT_BUFFER: usize = 64 * 1024;
/// Delays before the retries of an idempotent call whose connection was refused.
const CONNECT_RETRY_DELAYS: [Duration; 3] =
    [Duration::from_millis(250), Duration::from_millis(500), Duration::from_millis(750)];

#[derive(Clone)]
struct Options {
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    ca_certs: Option<std::sync::Arc<Vec<Certificate<'static>>>>,
    insecure: bool,
    proxy: Option<Proxy>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(60)),
            ca_certs: None,
            insecure: false,
            proxy: None,
        }
    }
}

fn build_agent(o: &Options) -> Agent {
    let roots = match &o.ca_certs {
        Some(certs) => RootCerts::Specific(certs.clone()),
        None => RootCerts::PlatformVerifier,
    };
    let tls = TlsConfig::builder().root_certs(roots).disable_verification(o.insecure).build();
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(o.connect_timeout)
        .timeout_per_read(o.read_timeout)
        .tls_config(tls)
        .proxy(o.proxy.clone())
        .max_redirects(0)
        .input_buffer_size(INPUT_BUFFER)
        .max_idle_connections(256)
        .max_idle_connections_per_host(256)
        .user_agent(concat!("olconnect-wf/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Which result endpoint a kept body came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResultEndpoint {
    Result,
    ResultText,
    ManagedResult,
}

impl ResultEndpoint {
    fn verb(self) -> &'static str {
        match self {
            ResultEndpoint::Result => "getResult",
            ResultEndpoint::ResultText => "getResultTxt",
            ResultEndpoint::ManagedResult => "getManagedResult",
        }
    }
}

/// What copying a result into a caller's buffer gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// The body (plus NUL when asked) was copied; this many bytes, NUL included.
    Copied(usize),
    /// The buffer is too small: this many bytes are needed. The body is kept for the retry.
    TooSmall(usize),
}

/// A thread-safe client of one OL Connect server.
pub struct Client {
    base: String,
    options: Mutex<Options>,
    agent: RwLock<Agent>,
    pub(crate) auth: auth::Auth,
    /// Bodies downloaded for a caller whose buffer was too small, by endpoint and operation.
    kept: Mutex<HashMap<(ResultEndpoint, String), OperationResult>>,
    pub(crate) waits: crate::workflow::WaitSignals,
    durable_files: std::sync::atomic::AtomicBool,
}

/// Validates a base URL: `http(s)://host[:port][/prefix]`, no query, fragment or whitespace.
fn parse_base_url(url: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid(format!("invalid base URL '{}': {why}", url.escape_debug()));
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("it contains whitespace or control characters"));
    }
    let lower = url.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &url[7..]
    } else if lower.starts_with("https://") {
        &url[8..]
    } else {
        return Err(bad("it must start with http:// or https://, e.g. http://localhost:9340"));
    };
    if url.contains(['?', '#']) {
        return Err(bad("it must not have a query or fragment"));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return Err(bad("it needs a host and must not carry credentials (use the credential functions)"));
    }
    let base = url.trim_end_matches('/').to_string();
    ureq::http::Uri::try_from(format!("{base}{SERVICE}")).map_err(|e| bad(&e.to_string()))?;
    Ok(base)
}

/// Checks an operation id (or File Store reference) and percent-encodes it as one path segment.
/// Anything that could change which resource is requested is refused.
pub fn encode_segment(id: &str, what: &str) -> Result<String> {
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
    if let Some(c) = id.chars().find(|&c| matches!(c, '/' | '\\' | '?' | '#' | '%') || c.is_control()) {
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

/// Maps a transport failure before any response arrived.
fn transport_error(what: &str, e: ureq::Error, tls: bool) -> Error {
    use ureq::Error as E;
    let (status, detail) = match &e {
        E::Timeout(t) => (
            Status::Timeout,
            format!("timed out ({t}); raise the limits with wf_client_set_timeouts if the server is slow"),
        ),
        E::HostNotFound => (Status::ConnectFailed, "the host name could not be resolved".into()),
        E::ConnectionFailed => (Status::ConnectFailed, "the connection could not be established".into()),
        E::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (Status::Timeout, format!("timed out: {io}")),
            // rustls reports handshake and certificate failures as InvalidData.
            io::ErrorKind::InvalidData if tls => (
                Status::TlsError,
                format!("TLS failed: {io}; check the server certificate or wf_client_set_tls_ca_file"),
            ),
            _ => (
                Status::ConnectFailed,
                format!("the connection failed before a response: {io}; is the server running at this address?"),
            ),
        },
        E::Tls(_) | E::Rustls(_) | E::Pem(_) => {
            (Status::TlsError, format!("TLS failed: {e}; check the server certificate or wf_client_set_tls_ca_file"))
        }
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => (Status::ConnectFailed, format!("the proxy failed: {e}")),
        _ => (Status::UnexpectedResponse, format!("the exchange broke the HTTP protocol: {e}")),
    };
    Error::new(status, format!("{what}: {detail}"))
}

fn is_refused(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused)
        || matches!(e, ureq::Error::ConnectionFailed)
}

/// Maps a failure while reading a body the server had started to send.
pub(crate) fn body_error(what: &str, e: io::Error, received: u64, expected: Option<u64>) -> Error {
    let timed_out = e.kind() == io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|i| i.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
    let of = expected.map(|n| format!(" of {n}")).unwrap_or_default();
    if timed_out {
        return Error::new(
            Status::Timeout,
            format!("{what}: the server went silent after {received}{of} bytes of the body (read timeout)"),
        );
    }
    Error::new(Status::UnexpectedResponse, format!("{what}: the connection was lost after {received}{of} bytes of the body ({e}); nothing was delivered as complete"))
}

pub(crate) enum Method {
    Get,
    Post,
}

/// One request: what it is for (in messages), where it goes, and its body.
pub(crate) struct Call<'a> {
    pub what: String,
    pub method: Method,
    pub path: String,
    pub body: Option<(&'a [u8], &'a str)>,
    pub accept: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(what: impl Into<String>, method: Method, path: String) -> Call<'a> {
        Call { what: what.into(), method, path, body: None, accept: None }
    }

    /// A call about one operation: `{PRINT}/{verb}/{op_id}`, the id checked and encoded.
    pub(crate) fn operation(verb: &str, op_id: &str, method: Method) -> Result<Call<'a>> {
        let segment = encode_segment(op_id, "operation id")?;
        Ok(Call::new(format!("{verb} of operation '{op_id}'"), method, format!("{PRINT}/{verb}/{segment}")))
    }

    pub(crate) fn accept(mut self, media_type: &'a str) -> Call<'a> {
        self.accept = Some(media_type);
        self
    }

    fn idempotent(&self) -> bool {
        matches!(self.method, Method::Get)
    }
}

impl Client {
    pub fn new(base_url: &str) -> Result<Client> {
        let base = parse_base_url(base_url)?;
        let options = Options::default();
        let agent = build_agent(&options);
        Ok(Client {
            base,
            options: Mutex::new(options),
            agent: RwLock::new(agent),
            auth: auth::Auth::default(),
            kept: Mutex::new(HashMap::new()),
            waits: Default::default(),
            durable_files: std::sync::atomic::AtomicBool::new(true),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn is_https(&self) -> bool {
        self.base.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }

    fn reconfigure(&self, change: impl FnOnce(&mut Options)) {
        let mut o = self.options.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut o);
        *self.agent.write().unwrap_or_else(|e| e.into_inner()) = build_agent(&o);
    }

    /// 0 means no limit. `read_ms` bounds the silence between two reads, not a whole transfer.
    pub fn set_timeouts(&self, connect_ms: u32, read_ms: u32) {
        let d = |ms: u32| (ms > 0).then(|| Duration::from_millis(ms as u64));
        self.reconfigure(|o| {
            o.connect_timeout = d(connect_ms);
            o.read_timeout = d(read_ms);
        });
    }

    /// Trust only the certificates of this PEM file; `None` restores the system roots.
    pub fn set_tls_ca_file(&self, pem_path: Option<&str>) -> Result<()> {
        let certs = match pem_path {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| Error::new(Status::IoError, format!("cannot read CA file '{path}': {e}")))?;
                let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                        Ok(_) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|e| Error::new(Status::TlsError, format!("CA file '{path}' is not valid PEM: {e}")))?;
                if certs.is_empty() {
                    return Err(Error::new(Status::TlsError, format!("CA file '{path}' holds no certificate")));
                }
                Some(std::sync::Arc::new(certs))
            }
        };
        self.reconfigure(|o| o.ca_certs = certs);
        Ok(())
    }

    /// Whether downloaded files are synced to the disk before they are renamed into place (the
    /// default). Without it a file still appears only when complete, but a crash of the machine
    /// shortly after may lose it; downloads are then as fast as the page cache allows.
    pub fn set_durable_files(&self, durable: bool) {
        self.durable_files.store(durable, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn durable_files(&self) -> bool {
        self.durable_files.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_tls_insecure(&self, insecure: bool) {
        self.reconfigure(|o| o.insecure = insecure);
    }

    /// Send every request through this proxy (`http://`, `socks5://`...); `None`: no proxy.
    pub fn set_proxy(&self, proxy_url: Option<&str>) -> Result<()> {
        let proxy = match proxy_url {
            None => None,
            Some(url) => {
                auth::check_header_safe(url, "proxy URL")?;
                Some(Proxy::new(url).map_err(|e| Error::invalid(format!("invalid proxy URL: {e}")))?)
            }
        };
        self.reconfigure(|o| o.proxy = proxy);
        Ok(())
    }

    pub fn set_basic_auth(&self, username: &str, password: &str) -> Result<()> {
        self.auth.set(Credentials::Basic(auth::basic_header(username, password)?));
        Ok(())
    }

    pub fn set_token(&self, token: &str) -> Result<()> {
        if token.is_empty() {
            return Err(Error::invalid("the token is empty"));
        }
        auth::check_header_safe(token, "token")?;
        self.auth.set(Credentials::Token(Secret::new(token)));
        Ok(())
    }

    /// Logs in now; on success the client sends the token and logs in again when needed. On
    /// failure the previous credentials stay in place.
    pub fn login(&self, username: &str, password: &str) -> Result<()> {
        let basic = auth::basic_header(username, password)?;
        let agent = self.agent();
        let (token, lifetime) = self.login_exchange(&agent, basic.expose())?;
        self.auth.set(Credentials::Login { basic, session: Some(Session::new(token, lifetime)) });
        Ok(())
    }

    pub fn clear_auth(&self) {
        self.auth.set(Credentials::None);
    }

    fn agent(&self) -> Agent {
        self.agent.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn login_exchange(&self, agent: &Agent, basic: &str) -> Result<(Secret, Option<Duration>)> {
        let what = "login";
        let url = self.url(&format!("{SERVICE}/authentication/login"));
        let mut resp = agent
            .post(&url)
            .header("Authorization", basic)
            .header("Accept", "text/plain")
            .send_empty()
            .map_err(|e| transport_error(what, e, self.is_https()))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(self.scrub(http_error(what, &mut resp, true)));
        }
        let lifetime =
            header(&resp, "Token-Expires-In").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
        let body = read_limited(what, &mut resp, 16 * 1024)?;
        let token = Secret::new(
            String::from_utf8(body)
                .map_err(|_| Error::new(Status::UnexpectedResponse, "login: the token is not text"))?
                .trim(),
        );
        if token.expose().is_empty() || token.expose().chars().any(|c| c.is_control()) {
            return Err(Error::new(
                Status::UnexpectedResponse,
                "login: the server answered 200 without a usable token",
            )
            .with_http(status));
        }
        Ok((token, lifetime))
    }

    /// Removes the credentials in use from a message, whatever the server echoed.
    fn scrub(&self, mut e: Error) -> Error {
        for s in self.auth.secrets() {
            let s = s.expose();
            let b64 = s.strip_prefix("Basic ").unwrap_or(s);
            for secret in [s, b64] {
                if secret.len() >= 4 && e.message.contains(secret) {
                    e.message = e.message.replace(secret, "<redacted>");
                }
            }
        }
        e
    }

    fn send_once(
        &self,
        agent: &Agent,
        call: &Call,
        auth: &AuthHeader,
    ) -> std::result::Result<Response<Body>, ureq::Error> {
        let url = self.url(&call.path);
        macro_rules! decorate {
            ($req:expr) => {{
                let mut req = $req;
                match auth {
                    AuthHeader::None => {}
                    AuthHeader::Authorization(h) => req = req.header("Authorization", h.expose()),
                    AuthHeader::Token(t) => req = req.header("auth_token", t.expose()),
                }
                if let Some(a) = call.accept {
                    req = req.header("Accept", a);
                }
                req
            }};
        }
        match call.method {
            Method::Get => decorate!(agent.get(&url)).call(),
            Method::Post => match call.body {
                Some((bytes, content_type)) => decorate!(agent.post(&url)).content_type(content_type).send(bytes),
                None => decorate!(agent.post(&url)).send_empty(),
            },
        }
    }

    fn send_with_retries(&self, agent: &Agent, call: &Call, auth: &AuthHeader) -> Result<Response<Body>> {
        let mut delays = CONNECT_RETRY_DELAYS.iter();
        loop {
            match self.send_once(agent, call, auth) {
                Ok(r) => return Ok(r),
                Err(e) if call.idempotent() && is_refused(&e) => match delays.next() {
                    Some(d) => std::thread::sleep(*d),
                    None => return Err(transport_error(&call.what, e, self.is_https())),
                },
                Err(e) => return Err(transport_error(&call.what, e, self.is_https())),
            }
        }
    }

    /// Sends a call and returns its 2xx response; anything else becomes an [`Error`].
    pub(crate) fn send(&self, call: &Call) -> Result<Response<Body>> {
        let agent = self.agent();
        let login = |basic: &str| self.login_exchange(&agent, basic);
        let (header, generation) = self.auth.header(&login)?;
        let had_credentials = !matches!(header, AuthHeader::None);
        let mut resp = self.send_with_retries(&agent, call, &header)?;
        let mut status = resp.status().as_u16();
        if (status == 401 || status == 403) && self.auth.can_relogin() {
            // The token may have expired or been revoked: log in again once, replay once.
            drain(&mut resp);
            let (header, _) = self.auth.relogin(generation, &login)?;
            resp = self.send_with_retries(&agent, call, &header)?;
            status = resp.status().as_u16();
        }
        if (200..300).contains(&status) {
            Ok(resp)
        } else {
            Err(self.scrub(http_error(&call.what, &mut resp, had_credentials)))
        }
    }

    /// Sends a call and reads its whole body (at most `limit` bytes).
    pub(crate) fn send_read(&self, call: &Call, limit: u64) -> Result<Vec<u8>> {
        let mut resp = self.send(call)?;
        read_limited(&call.what, &mut resp, limit)
    }

    pub(crate) fn take_kept(&self, endpoint: ResultEndpoint, op_id: &str) -> Option<OperationResult> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).remove(&(endpoint, op_id.to_string()))
    }

    fn keep(&self, endpoint: ResultEndpoint, op_id: &str, result: OperationResult) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).insert((endpoint, op_id.to_string()), result);
    }

    /// Starts the request of a result endpoint, or gives the body kept from an earlier call.
    pub(crate) fn open_result(&self, endpoint: ResultEndpoint, op_id: &str) -> Result<Opened> {
        let call = Call::operation(endpoint.verb(), op_id, Method::Post)?;
        if let Some(kept) = self.take_kept(endpoint, op_id) {
            return Ok(Opened::Kept(kept));
        }
        let resp = self.send(&call)?;
        Ok(Opened::Live(call.what, resp))
    }

    /// The whole result with its headers (`wf_get_result_ex`).
    pub fn fetch_result(&self, op_id: &str) -> Result<OperationResult> {
        self.open_result(ResultEndpoint::Result, op_id)?.read_all()
    }

    /// Copies a result body into `buf`, or keeps it and reports the size needed (the buffer
    /// protocol of the C contract). With `nul`, the body must be text and a NUL is appended.
    /// When the announced length fits, the body is read straight into `buf` (no extra copy);
    /// on failure `buf` may then hold part of it.
    pub fn fetch_into(&self, endpoint: ResultEndpoint, op_id: &str, buf: &mut [u8], nul: bool) -> Result<Fetched> {
        let extra = nul as usize;
        let mut opened = self.open_result(endpoint, op_id)?;
        if let Opened::Live(what, resp) = &mut opened {
            if let Some(n) = resp.body().content_length().filter(|&n| !nul && n <= buf.len() as u64) {
                read_exact_body(what, resp, &mut buf[..n as usize])?;
                return Ok(Fetched::Copied(n as usize));
            }
        }
        let result = opened.read_all()?;
        if nul {
            ensure_text(&result.data, &format!("{} of operation '{op_id}'", endpoint.verb()))?;
        }
        let needed = result.data.len() + extra;
        if needed > buf.len() {
            self.keep(endpoint, op_id, result);
            return Ok(Fetched::TooSmall(needed));
        }
        buf[..result.data.len()].copy_from_slice(&result.data);
        if nul {
            buf[result.data.len()] = 0;
        }
        Ok(Fetched::Copied(needed))
    }
}

pub(crate) enum Opened {
    Kept(OperationResult),
    Live(String, Response<Body>),
}

impl Opened {
    pub(crate) fn meta(&self) -> ResultMeta {
        match self {
            Opened::Kept(r) => r.meta.clone(),
            Opened::Live(_, resp) => ResultMeta::from_headers(|n| header(resp, n)),
        }
    }

    /// The whole result: the kept one, or the body read now.
    fn read_all(self) -> Result<OperationResult> {
        let meta = self.meta();
        match self {
            Opened::Kept(r) => Ok(r),
            Opened::Live(what, mut resp) => Ok(OperationResult::new(read_limited(&what, &mut resp, u64::MAX)?, meta)),
        }
    }
}

/// Refuses an answer that a C string cannot carry: not UTF-8, or with a NUL inside.
pub(crate) fn ensure_text(data: &[u8], what: &str) -> Result<()> {
    if data.contains(&0) || std::str::from_utf8(data).is_err() {
        return Err(Error::new(Status::UnexpectedResponse, format!("{what}: the server's answer is not UTF-8 text")));
    }
    Ok(())
}

pub(crate) fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn http_error(what: &str, resp: &mut Response<Body>, had_credentials: bool) -> Error {
    let status = resp.status().as_u16();
    let content_type = header(resp, "Content-Type");
    let body = resp.body_mut().with_config().limit(ERROR_BODY_LIMIT).read_to_vec().unwrap_or_default();
    Error::from_http(what, status, content_type.as_deref(), &body, had_credentials)
}

/// Reads (and drops) what is left of a small body so the connection can be reused.
fn drain(resp: &mut Response<Body>) {
    let _ = resp.body_mut().with_config().limit(ERROR_BODY_LIMIT).read_to_vec();
}

/// Reads a whole body of at most `limit` bytes, preallocated from its announced length.
pub(crate) fn read_limited(what: &str, resp: &mut Response<Body>, limit: u64) -> Result<Vec<u8>> {
    let announced = resp.body().content_length();
    if let Some(n) = announced.filter(|&n| n > limit) {
        return Err(Error::new(
            Status::UnexpectedResponse,
            format!("{what}: the body of {n} bytes is over the limit of {limit}"),
        ));
    }
    let mut reader = resp.body_mut().with_config().limit(limit).reader();
    let mut body = Vec::with_capacity(announced.unwrap_or(0).min(1 << 30) as usize);
    reader.read_to_end(&mut body).map_err(|e| body_error(what, e, body.len() as u64, announced))?;
    Ok(body)
}

fn read_exact_body(what: &str, resp: &mut Response<Body>, buf: &mut [u8]) -> Result<()> {
    let expected = Some(buf.len() as u64);
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => return Err(body_error(what, io::ErrorKind::UnexpectedEof.into(), filled as u64, expected)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(body_error(what, e, filled as u64, expected)),
        }
    }
    // Reaching the end lets the connection go back to the pool.
    let mut probe = [0u8; 1];
    match reader.read(&mut probe) {
        Ok(0) => Ok(()),
        Ok(_) => {
            Err(Error::new(Status::UnexpectedResponse, format!("{what}: the body is longer than its Content-Length")))
        }
        Err(e) => Err(body_error(what, e, filled as u64, expected)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(parse_base_url("http://localhost:9340/").unwrap(), "http://localhost:9340");
        assert_eq!(parse_base_url("HTTPS://h/prefix").unwrap(), "HTTPS://h/prefix");
        for bad in
            ["localhost:9340", "ftp://h", "http://", "http://h/a b", "http://h?x", "http://u:p@h", "http://h\r\n"]
        {
            assert_eq!(parse_base_url(bad).unwrap_err().status, Status::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn operation_ids_cannot_change_the_path() {
        assert_eq!(encode_segment("1281ef9d-7a74-4448", "id").unwrap(), "1281ef9d-7a74-4448");
        assert_eq!(encode_segment("a b+é", "id").unwrap(), "a%20b%2B%C3%A9");
        for bad in ["", ".", "..", "a/b", "a?b", "a#b", "a%2Fb", "a\r\nb", "a\\b", "a\0b", "\u{7f}"] {
            assert_eq!(encode_segment(bad, "id").unwrap_err().status, Status::InvalidArgument, "{bad:?}");
        }
        assert!(encode_segment(&"x".repeat(5000), "id").is_err());
    }
}
