//! The client: base URL, connection options (the HTTP agent built from them), credentials, and
//! what it keeps between calls. Sending requests is in `request`, fetching results in `fetch`,
//! the workflow calls in `workflow`.

use crate::auth::{self, Credentials, Secret};
use crate::error::{Error, Result, Status};
use crate::kept::KeptBodies;
use crate::wait::WaitSignals;
use std::sync::{Mutex, RwLock};
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Proxy};

/// Size of the buffer each connection reads the socket into.
const INPUT_BUFFER: usize = 64 * 1024;

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

/// A thread-safe client of one OL Connect server.
pub struct Client {
    base: String,
    options: Mutex<Options>,
    agent: RwLock<Agent>,
    pub(crate) auth: auth::Auth,
    /// Bodies downloaded for a caller whose buffer was too small, by endpoint and operation.
    pub(crate) kept: KeptBodies,
    pub(crate) waits: WaitSignals,
    durable_files: std::sync::atomic::AtomicBool,
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

    pub(crate) fn is_https(&self) -> bool {
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

    pub fn clear_auth(&self) {
        self.auth.set(Credentials::None);
    }

    pub(crate) fn agent(&self) -> Agent {
        self.agent.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every secret the client holds (credentials, session token, proxy password), to scrub
    /// them from any message, whatever the server echoed.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        let mut all = self.auth.secrets();
        all.extend(self.options.lock().unwrap_or_else(|e| e.into_inner()).proxy_password.clone());
        all
    }
}
