//! The client: base URL, connection options (the HTTP agent built from them), credentials, and
//! what it keeps between calls, shared by every view of it; a view adds the controls of its
//! calls (abort handle, timeout, transfer callback). Sending requests is in `request`, fetching
//! results in `fetch`, the workflow calls in `workflow`.

use crate::error::{Error, Language, Result, Status};
use crate::session::auth::{self, Credentials, Secret};
use crate::session::kept::KeptBodies;
use crate::session::log::{LogFn, LogLevel, Logger};
use crate::session::retry::Retries;
use crate::session::waits::WaitSignals;
use crate::wire::interrupt::{self, CallControls, Interrupt};
use crate::wire::limiter::{Limiter, Slot};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Proxy};

/// Size of the buffers of the stack's own transport layers (TLS, SOCKS); plain TCP connections
/// read into buffers that grow for large bodies (src/wire/buffers.rs).
const INPUT_BUFFER: usize = crate::wire::buffers::INPUT_START;

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

fn build_agent(base: &str, o: &Options) -> Agent {
    let roots = match &o.ca_certs {
        Some(certs) => RootCerts::Specific(certs.clone()),
        None => RootCerts::PlatformVerifier,
    };
    let tls = TlsConfig::builder().root_certs(roots).disable_verification(o.insecure).build();
    let config = Agent::config_builder()
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
        .build();
    // Only a plain-HTTP connection without a proxy carries the HTTP bytes themselves.
    let bare = !is_https_url(base) && o.proxy.is_none();
    crate::wire::transport::agent(config, bare)
}

fn is_https_url(url: &str) -> bool {
    url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// What every view of a client shares.
pub(crate) struct Shared {
    base: String,
    options: Mutex<Options>,
    agent: RwLock<Agent>,
    pub(crate) auth: auth::Auth,
    /// Bodies downloaded for a caller whose buffer was too small, by endpoint and operation.
    pub(crate) kept: KeptBodies,
    pub(crate) waits: WaitSignals,
    durable_files: std::sync::atomic::AtomicBool,
    /// The [`Language`] of its messages' hints, as its number.
    language: std::sync::atomic::AtomicU8,
    pub(crate) log: Logger,
    limiter: Limiter,
    /// The retry setting and the count of retries made (src/session/retry.rs).
    pub(crate) retry: Retries,
}

/// A thread-safe client of one OL Connect server. Cloning it, or [`Client::with_controls`],
/// gives another view of the same client (same connections, credentials and kept bodies).
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    controls: CallControls,
}

impl Client {
    pub fn new(base_url: &str) -> Result<Client> {
        let base = crate::session::url::parse_base_url(base_url)?;
        let options = Options::default();
        let agent = build_agent(&base, &options);
        let shared = Shared {
            base,
            options: Mutex::new(options),
            agent: RwLock::new(agent),
            auth: auth::Auth::default(),
            kept: KeptBodies::default(),
            waits: Default::default(),
            durable_files: std::sync::atomic::AtomicBool::new(true),
            language: std::sync::atomic::AtomicU8::new(Language::C as u8),
            log: Logger::default(),
            limiter: Limiter::default(),
            retry: Retries::default(),
        };
        Ok(Client { shared: Arc::new(shared), controls: CallControls::default() })
    }

    /// A view of this client whose calls obey `controls`: an abort handle that stops them, an
    /// overall timeout for each call, a transfer callback. Everything else is shared.
    pub fn with_controls(&self, controls: CallControls) -> Client {
        Client { shared: self.shared.clone(), controls }
    }

    pub fn controls(&self) -> &CallControls {
        &self.controls
    }

    /// Runs one call of the public API within this view's controls: a call whose abort handle
    /// is already triggered does not start, and a call stopped midway reports why.
    pub(crate) fn call<R>(&self, f: impl FnOnce() -> Result<R>) -> Result<R> {
        self.call_with(&self.controls, f)
    }

    pub(crate) fn call_with<R>(&self, controls: &CallControls, f: impl FnOnce() -> Result<R>) -> Result<R> {
        let scope = interrupt::enter(controls, self.message_language());
        let outcome = interrupt::poll().map_err(Interrupt::into_error).and_then(|()| f());
        let outcome = match (outcome, scope.interrupted()) {
            (Err(e), Some(i)) if !matches!(e.status, Status::Aborted | Status::Timeout) => Err(i.into_error()),
            (outcome, _) => outcome,
        };
        if let Err(e) = &outcome {
            self.shared.log.log(LogLevel::Error, || e.message.clone());
        }
        outcome
    }

    /// A request slot under the client's cap on concurrent requests (none when uncapped).
    pub(crate) fn slot(&self) -> Result<Slot<'_>> {
        self.shared.limiter.acquire().map_err(Interrupt::into_error)
    }

    /// The language of the hints in this client's messages (and its views'): what to call or
    /// set is said in that language's words (src/error.rs, `HINTS`). C by default.
    pub fn set_message_language(&self, language: Language) {
        self.shared.language.store(language as u8, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn message_language(&self) -> Language {
        let n = self.shared.language.load(std::sync::atomic::Ordering::Relaxed);
        Language::from_number(u32::from(n)).unwrap_or_default()
    }

    /// At most `max` requests of this client in flight at once (0: no cap, the default).
    pub fn set_max_concurrent(&self, max: usize) {
        self.shared.limiter.set_max(max);
    }

    /// Up to `max_attempts` attempts of a request that is safe to repeat, the first included (1:
    /// no retry; 0 is taken as 1), after a transient failure, with pauses growing from 250 ms up to
    /// `max_backoff` (docs/architecture.md, "Retries"). Default: 4 attempts, 2 s.
    pub fn set_retry(&self, max_attempts: u32, max_backoff: Duration) {
        self.shared.retry.set(max_attempts, max_backoff);
    }

    /// The retry setting: attempts (the first included) and the longest pause.
    pub fn retry(&self) -> (u32, Duration) {
        (self.shared.retry.attempts(), self.shared.retry.max_backoff())
    }

    /// How long a wait goes on while the server cannot be asked about its operations (no
    /// connection, timeouts, 502/503/504 for every look) before it gives up with the last
    /// failure; `None`: through any outage, until its own deadline or abort. Default 10 minutes
    /// (docs/architecture.md, "Waiting").
    pub fn set_outage_limit(&self, limit: Option<Duration>) {
        self.shared.retry.set_outage_limit(limit);
    }

    pub fn outage_limit(&self) -> Option<Duration> {
        self.shared.retry.outage_limit()
    }

    /// Retries made by this client (all its views) since it was created.
    pub fn retries(&self) -> u64 {
        self.shared.retry.made()
    }

    /// Sends each log line to `hook` (None: no logging, the default).
    pub fn set_log(&self, hook: Option<LogFn>) {
        self.shared.log.set(hook);
    }

    /// The most bytes of result bodies kept for the buffer protocol (0: keep none); the oldest
    /// kept bodies are released when a new one would go over it.
    pub fn set_kept_limit(&self, bytes: u64) {
        self.shared.kept.set_limit(bytes);
    }

    pub fn kept_limit(&self) -> u64 {
        self.shared.kept.limit()
    }

    /// Bytes of result bodies kept now.
    pub fn kept_bytes(&self) -> u64 {
        self.shared.kept.data_bytes()
    }

    pub fn base_url(&self) -> &str {
        &self.shared.base
    }

    pub(crate) fn is_https(&self) -> bool {
        is_https_url(&self.shared.base)
    }

    fn reconfigure(&self, change: impl FnOnce(&mut Options)) {
        let mut o = self.shared.options.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut o);
        *self.shared.agent.write().unwrap_or_else(|e| e.into_inner()) = build_agent(&self.shared.base, &o);
    }

    /// 0 means no limit. `read_ms` bounds silence in both directions, not a whole transfer: the
    /// server sending nothing while the client reads, or accepting nothing of a request.
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
        self.shared.durable_files.store(durable, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn durable_files(&self) -> bool {
        self.shared.durable_files.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_tls_insecure(&self, insecure: bool) {
        self.reconfigure(|o| o.insecure = insecure);
    }

    /// Send every request through this proxy (`http://`, `socks5://`...); `None`: no proxy.
    pub fn set_proxy(&self, proxy_url: Option<&str>) -> Result<()> {
        let (proxy, password) = match proxy_url {
            None => (None, None),
            Some(url) => {
                crate::session::url::check_proxy_url(url)?;
                let proxy = Proxy::new(url).map_err(|e| {
                    Error::invalid(format!("invalid proxy URL '{}': {e}", crate::session::url::redacted(url)))
                })?;
                (Some(proxy), crate::session::url::proxy_password(url).map(Secret::new))
            }
        };
        self.reconfigure(|o| {
            o.proxy = proxy;
            o.proxy_password = password;
        });
        Ok(())
    }

    pub fn set_basic_auth(&self, username: &str, password: &str) -> Result<()> {
        self.shared.auth.set(Credentials::Basic(auth::basic_header(username, password)?));
        Ok(())
    }

    pub fn set_token(&self, token: &str) -> Result<()> {
        if token.is_empty() {
            return Err(Error::invalid("the token is empty"));
        }
        auth::check_header_safe(token, "token")?;
        self.shared.auth.set(Credentials::Token(Secret::new(token)));
        Ok(())
    }

    /// The `auth_token` requests carry now (after `login` or `set_token`), for a caller that
    /// hands it to another process; `None` with Basic or no credentials.
    pub fn token(&self) -> Option<Secret> {
        self.shared.auth.token()
    }

    pub fn clear_auth(&self) {
        self.shared.auth.set(Credentials::None);
    }

    pub(crate) fn agent(&self) -> Agent {
        self.shared.agent.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shared.base)
    }

    /// Every secret the client holds (credentials, session token, proxy password), to scrub
    /// them from any message, whatever the server echoed.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        let mut all = self.shared.auth.secrets();
        all.extend(self.shared.options.lock().unwrap_or_else(|e| e.into_inner()).proxy_password.clone());
        all
    }
}
