//! `olconnect-sim`: a stand-in for the REST API of an OL Connect Server (Authentication and
//! All-In-One services, File Store download), following docs/rest-api.md, with switches
//! for every ambiguity of the documentation and fault injection for client tests.
//!
//! ```no_run
//! use olconnect_sim::{Settings, Simulator, FaultRule, Fault};
//! let sim = Simulator::start(Settings::default()).unwrap();
//! sim.add_fault(FaultRule::once(Fault::Unavailable).on_path("getResult"));
//! println!("{}", sim.url());
//! ```

mod accesslog;
mod auth;
mod config;
mod control;
mod faults;
mod filestore;
mod http;
mod output;
mod pdf;
mod records;
mod requestlog;
mod server;
mod settings;
mod spool;
mod state;
mod tls;
mod util;
mod workflow;

pub use config::Startup;
pub use faults::{Fault, FaultRule, FAULT_KEYS, FAULT_KINDS};
pub use filestore::DEMO as DEMO_FILE_STORE;
pub use output::generated_bytes;
pub use requestlog::LoggedRequest;
pub use settings::{Dialect, EarlyResult, Role, Settings, SpoolContent, User, KEYS as SETTING_KEYS};

use state::Shared;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;

/// A running simulator; it stops when dropped.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    scheme: &'static str,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Starts on 127.0.0.1 with a free port.
    pub fn start(settings: Settings) -> io::Result<Simulator> {
        Simulator::bind("127.0.0.1:0".parse().unwrap(), settings)
    }

    /// Starts on the given address (port 0 picks a free one).
    pub fn bind(addr: SocketAddr, settings: Settings) -> io::Result<Simulator> {
        Simulator::launch(addr, Startup { settings, faults: Vec::new() })
    }

    /// Starts on the given address with fault rules in force from the first request on.
    pub fn launch(addr: SocketAddr, startup: Startup) -> io::Result<Simulator> {
        let Startup { settings, faults } = startup;
        let tls = tls::server_config(&settings)?;
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(settings));
        shared.faults.lock().unwrap().extend(faults);
        let for_thread = shared.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let thread = std::thread::Builder::new()
            .name("sim-accept".into())
            .spawn(move || server::accept_loop(listener, for_thread, tls))?;
        Ok(Simulator { shared, addr, scheme, thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT` (or `https://` when serving TLS)
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Changes settings while running; applies to requests that start afterwards.
    pub fn update(&self, change: impl FnOnce(&mut Settings)) {
        change(&mut self.shared.settings.write().unwrap());
    }

    pub fn settings(&self) -> Settings {
        self.shared.settings.read().unwrap().clone()
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.faults.lock().unwrap().push(rule);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap().clear();
    }

    /// The requests received so far (oldest first), with secrets redacted.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Makes every token issued so far expire now.
    pub fn expire_tokens(&self) {
        auth::expire_all(&self.shared);
    }

    /// TCP connections accepted so far (to show that a client reuses its connections).
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    pub fn requests_served(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
