//! The client: base URL, connection options, credentials, and the one request path every call
//! goes through (authentication, the single re-login and replay, retries of idempotent calls on
//! refused connections, mapping of failures to statuses).

use crate::auth::{self, AuthHeader, Credentials, Secret, Session};
use crate::body::{self, Bounded, ERROR_PREFIX, TEXT_LIMIT};
use crate::error::{server_message, Error, Result, Status};
use crate::kept::KeptBodies;
use crate::result::{OperationResult, ResultMeta};
use std::io::{self, Read};
use std::sync::{Mutex, RwLock};
use std::time::Duration;
use ureq::http::Response;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body, Proxy};
use zeroize::Zeroizing;

pub(crate) const SERVICE: &str = "/rest/serverengine";
pub(crate) const PRINT: &str = "/rest/serverengine/workflow/print";
/// Longest operation id accepted (the C contract's `WF_OPERATION_ID_CAPACITY` less the NUL).
pub(crate) const MAX_OPERATION_ID: usize = 127;
/// Largest login answer (a token).
const LOGIN_BODY_LIMIT: u64 = 16 * 1024;
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
    /// The password of the proxy URL, scrubbed from messages like the server credentials.
    proxy_password: Option<Secret>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(60)),
            ca_certs: None,
            insecure: false,
            proxy: None,
            proxy_password: None,
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
    /// The buffer is too small: this many bytes are needed, and the body is larger than the
    /// client keeps between calls (`set_kept_limit`): the retry asks the server again.
    NotKept(usize),
}

/// A thread-safe client of one OL Connect server.
pub struct Client {
    base: String,
    options: Mutex<Options>,
    agent: RwLock<Agent>,
    pub(crate) auth: auth::Auth,
    /// Bodies downloaded for a caller whose buffer was too small, by endpoint and operation.
    kept: KeptBodies,
    pub(crate) waits: crate::workflow::WaitSignals,
    durable_files: std::sync::atomic::AtomicBool,
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

/// The server's words with every secret in play cut out, or withheld when that cannot be done.
fn clean(words: &str, secrets: &[&Secret]) -> String {
    auth::scrub(words, secrets)
        .unwrap_or_else(|| "(the details are withheld: they contained the credentials)".to_string())
}

/// Maps a transport failure before any response arrived.
fn transport_error(what: &str, e: ureq::Error, tls: bool, secrets: &[&Secret]) -> Error {
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
    Error::new(status, format!("{what}: {}", clean(&detail, secrets)))
}

fn is_refused(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused)
        || matches!(e, ureq::Error::ConnectionFailed)
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
        let segment = encode_segment(op_id, "operation id", Segment::OperationId)?;
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
        let base = crate::url::parse_base_url(base_url)?;
        let options = Options::default();
        let agent = build_agent(&options);
        Ok(Client {
            base,
            options: Mutex::new(options),
            agent: RwLock::new(agent),
            auth: auth::Auth::default(),
            kept: KeptBodies::default(),
            waits: Default::default(),
            durable_files: std::sync::atomic::AtomicBool::new(true),
        })
    }

    /// The most bytes of result bodies kept for the buffer protocol (0: keep none); the oldest
    /// kept bodies are released when a new one would go over it.
    pub fn set_kept_limit(&self, bytes: u64) {
        self.kept.set_limit(bytes);
    }

    pub fn kept_limit(&self) -> u64 {
        self.kept.limit()
    }

    /// Bytes of result bodies kept now.
    pub fn kept_bytes(&self) -> u64 {
        self.kept.data_bytes()
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
        let (proxy, password) = match proxy_url {
            None => (None, None),
            Some(url) => {
                crate::url::check_proxy_url(url)?;
                let proxy = Proxy::new(url)
                    .map_err(|e| Error::invalid(format!("invalid proxy URL '{}': {e}", crate::url::redacted(url))))?;
                (Some(proxy), crate::url::proxy_password(url).map(Secret::new))
            }
        };
        self.reconfigure(|o| {
            o.proxy = proxy;
            o.proxy_password = password;
        });
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
        let (token, lifetime) = self.login_exchange(&agent, &basic)?;
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

    /// Every secret the client holds (credentials, session token, proxy password), to scrub
    /// them from any message, whatever the server echoed.
    fn secrets(&self) -> Vec<Secret> {
        let mut all = self.auth.secrets();
        all.extend(self.options.lock().unwrap_or_else(|e| e.into_inner()).proxy_password.clone());
        all
    }

    fn login_exchange(&self, agent: &Agent, basic: &Secret) -> Result<(Secret, Option<Duration>)> {
        let what = "login";
        let held = self.secrets();
        // The credentials being tried are not installed yet: scrub them as well.
        let secrets: Vec<&Secret> = held.iter().chain([basic]).collect();
        let url = self.url(&format!("{SERVICE}/authentication/login"));
        let mut resp = agent
            .post(&url)
            .header("Authorization", basic.expose())
            .header("Accept", "text/plain")
            .header("Accept-Encoding", "identity")
            .send_empty()
            .map_err(|e| transport_error(what, e, self.is_https(), &secrets))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(http_error(what, &mut resp, true, &secrets));
        }
        check_identity(what, &resp)?;
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
                // A compressed body would not be the result: ask for the bytes as they are.
                req.header("Accept-Encoding", "identity")
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
            let e = match self.send_once(agent, call, auth) {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            match delays.next() {
                Some(d) if call.idempotent() && is_refused(&e) => std::thread::sleep(*d),
                _ => {
                    let held = self.secrets();
                    let secrets: Vec<&Secret> = held.iter().chain(auth.secret()).collect();
                    return Err(transport_error(&call.what, e, self.is_https(), &secrets));
                }
            }
        }
    }

    /// Sends a call and returns its 2xx response; anything else becomes an [`Error`].
    pub(crate) fn send(&self, call: &Call) -> Result<Response<Body>> {
        let agent = self.agent();
        let login = |basic: &Secret| self.login_exchange(&agent, basic);
        let (header, generation) = self.auth.header(&login)?;
        let had_credentials = !matches!(header, AuthHeader::None);
        let mut header = header;
        let mut resp = self.send_with_retries(&agent, call, &header)?;
        let mut status = resp.status().as_u16();
        if (status == 401 || status == 403) && self.auth.can_relogin() {
            // The token may have expired or been revoked: log in again once, replay once.
            let _ = body::read_prefix(&mut resp, ERROR_PREFIX);
            header = self.auth.relogin(generation, &login)?.0;
            resp = self.send_with_retries(&agent, call, &header)?;
            status = resp.status().as_u16();
        }
        if !(200..300).contains(&status) {
            let held = self.secrets();
            let secrets: Vec<&Secret> = held.iter().chain(header.secret()).collect();
            return Err(http_error(&call.what, &mut resp, had_credentials, &secrets));
        }
        check_identity(&call.what, &resp)?;
        Ok(resp)
    }

    /// Sends a call and reads its whole body (at most `limit` bytes).
    pub(crate) fn send_read(&self, call: &Call, limit: u64) -> Result<Vec<u8>> {
        let mut resp = self.send(call)?;
        body::read_all(&call.what, &mut resp, limit)
    }

    /// Keeps a body again after a local failure (a callback that stopped, a file that could not
    /// be written), so that the result is not lost with it.
    pub(crate) fn keep_again(&self, endpoint: ResultEndpoint, op_id: &str, result: OperationResult) {
        self.kept.keep(endpoint, op_id, result);
    }

    /// Adds to a failure of a fetch that a body kept earlier was released meanwhile.
    fn note_released(&self, mut e: Error, endpoint: ResultEndpoint, op_id: &str) -> Error {
        if self.kept.was_released(endpoint, op_id) {
            e.message.push_str(&format!(
                " (The body of this result kept from an earlier call was released to stay within the client's limit for kept bodies, {} bytes, so the server was asked again.)",
                self.kept.limit()
            ));
        }
        e
    }

    /// Starts the request of a result endpoint, or gives the body kept from an earlier call.
    pub(crate) fn open_result(&self, endpoint: ResultEndpoint, op_id: &str) -> Result<Opened> {
        let call = Call::operation(endpoint.verb(), op_id, Method::Post)?;
        if let Some(kept) = self.kept.take(endpoint, op_id) {
            return Ok(Opened::Kept(kept));
        }
        let resp = self.send(&call).map_err(|e| self.note_released(e, endpoint, op_id))?;
        Ok(Opened::Live(call.what, resp))
    }

    /// The whole result with its headers (`wf_get_result_ex`).
    pub fn fetch_result(&self, op_id: &str) -> Result<OperationResult> {
        self.open_result(ResultEndpoint::Result, op_id)?.read_all()
    }

    /// Copies a result body into `buf`, or keeps it and reports the size needed (the buffer
    /// protocol of the C contract). With `nul`, the body must be text of at most
    /// `WF_TEXT_LIMIT` bytes and a NUL is appended. When the announced length fits, the body is
    /// read straight into `buf` (no extra copy); on failure `buf` may then hold part of it. A
    /// body larger than the kept-body limit is not kept (`Fetched::NotKept`).
    pub fn fetch_into(&self, endpoint: ResultEndpoint, op_id: &str, buf: &mut [u8], nul: bool) -> Result<Fetched> {
        let (data, meta) = match self.open_result(endpoint, op_id)? {
            Opened::Kept(r) => (r.data, r.meta),
            Opened::Live(what, mut resp) => {
                let meta = ResultMeta::from_headers(|n| header(&resp, n));
                let announced = resp.body().content_length();
                if let Some(n) = announced.filter(|&n| !nul && n <= buf.len() as u64) {
                    body::read_exact(&what, &mut resp, &mut buf[..n as usize])?;
                    return Ok(Fetched::Copied(n as usize));
                }
                let bounded = if nul {
                    Bounded::Whole(body::read_all(&what, &mut resp, TEXT_LIMIT)?)
                } else if let Some(n) = announced.filter(|&n| !self.kept.fits(n)) {
                    // Too large for the caller's buffer and for keeping: not read at all.
                    Bounded::Over(n)
                } else {
                    body::read_or_measure(&what, &mut resp, self.kept.limit().max(buf.len() as u64))?
                };
                match bounded {
                    Bounded::Whole(data) => (data, meta),
                    Bounded::Over(size) => return Ok(Fetched::NotKept(usize::try_from(size).unwrap_or(usize::MAX))),
                }
            }
        };
        if nul {
            ensure_text(&data, &format!("{} of operation '{op_id}'", endpoint.verb()))?;
        }
        let needed = data.len() + nul as usize;
        if needed > buf.len() {
            let kept = self.kept.keep(endpoint, op_id, OperationResult::new(data, meta));
            return Ok(if kept { Fetched::TooSmall(needed) } else { Fetched::NotKept(needed) });
        }
        buf[..data.len()].copy_from_slice(&data);
        if nul {
            buf[data.len()] = 0;
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
    pub(crate) fn read_all(self) -> Result<OperationResult> {
        let meta = self.meta();
        match self {
            Opened::Kept(r) => Ok(r),
            Opened::Live(what, mut resp) => Ok(OperationResult::new(body::read_all(&what, &mut resp, u64::MAX)?, meta)),
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

/// The error for a non-2xx answer, with the server's words (from the first part of the body)
/// cleaned of the secrets in play.
fn http_error(what: &str, resp: &mut Response<Body>, had_credentials: bool, secrets: &[&Secret]) -> Error {
    let status = resp.status().as_u16();
    let content_type = header(resp, "Content-Type");
    let prefix = body::read_prefix(resp, ERROR_PREFIX);
    let words = server_message(content_type.as_deref(), &prefix);
    Error::from_http(what, status, &clean(&words, secrets), had_credentials)
}

/// Refuses a body sent with a content coding: the client asked for `identity`, and coded bytes
/// are not the result.
fn check_identity(what: &str, resp: &Response<Body>) -> Result<()> {
    match header(resp, "Content-Encoding").map(|v| v.trim().to_string()) {
        Some(coding) if !coding.is_empty() && !coding.eq_ignore_ascii_case("identity") => Err(Error::new(
            Status::UnexpectedResponse,
            format!(
                "{what}: the server sent the body encoded as '{}' although the client asked for it unencoded (Accept-Encoding: identity); these bytes are not the result and were not delivered",
                coding.escape_debug()
            ),
        )
        .with_http(resp.status().as_u16())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
