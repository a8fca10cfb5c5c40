//! How olcwf reaches the server: the connection options, each taken from the first place that
//! gives it: a flag, then the environment, then the profile (`profile.rs`), then the default.
//! See README.md (olcwf, "Profiles").

use crate::ctrl_c::CtrlC;
use crate::{credentials, millis, progress, proxy, say, Failure, Session};
use clap::Args;
use olconnect_wf::{Client, LogLevel};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_URL: &str = "http://localhost:9340";
const DEFAULT_CONNECT_TIMEOUT: f64 = 10.0;
const DEFAULT_READ_TIMEOUT: f64 = 60.0;

#[derive(Args)]
pub struct Connection {
    /// Use a named server of the configuration file (see Profiles in `olcwf --help`)
    #[arg(long, env = "OLCONNECT_PROFILE", value_name = "NAME", global = true)]
    pub profile: Option<String>,
    /// Base URL of the server [default: the profile's, else http://localhost:9340]
    #[arg(long, env = "OLCONNECT_URL", global = true)]
    pub url: Option<String>,
    /// User to log in as (its password: OLCONNECT_PASSWORD, --password-stdin, the profile, or a prompt)
    #[arg(long, env = "OLCONNECT_USER", global = true)]
    pub user: Option<String>,
    /// Read the password from the first line of standard input
    #[arg(long, global = true)]
    pub password_stdin: bool,
    /// Send HTTP Basic credentials on every request instead of logging in
    #[arg(long, global = true)]
    pub basic: bool,
    /// Trust only the certificates of this PEM file
    #[arg(long, value_name = "PEM", global = true)]
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (test servers only)
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Send every request through this proxy (http://[USER@]host:port, socks5://[USER@]host:port;
    /// the password in OLCONNECT_PROXY_PASSWORD)
    #[arg(long, env = "OLCONNECT_PROXY", hide_env_values = true, global = true)]
    pub proxy: Option<String>,
    /// Seconds to wait for a connection (0: no limit) [default: the profile's, else 10]
    #[arg(long, value_name = "SECONDS", global = true)]
    pub connect_timeout: Option<f64>,
    /// Seconds a server may stay silent while answering, or accept nothing of an upload (0: no
    /// limit) [default: the profile's, else 60]
    #[arg(long, value_name = "SECONDS", global = true)]
    pub read_timeout: Option<f64>,
    /// Times to send again a request that is safe to repeat (progress, the operation list, a
    /// download, a login...) after a lost connection or HTTP 502/503/504; never a submit or an
    /// upload [default: the library's, 3]
    #[arg(long, value_name = "N", global = true)]
    pub retry: Option<u32>,
    /// Seconds `run`, `wait` and `resume` go on waiting while the server cannot be reached, before
    /// they give up and say how to resume (0: no limit) [default: the library's, 600]
    #[arg(long, value_name = "SECONDS", global = true)]
    pub retry_max_time: Option<f64>,
}

/// What the other options of the command line say of the output.
pub struct Display {
    pub quiet: bool,
    pub verbose: bool,
    pub json: bool,
}

/// A client set up from the options, the environment and the profile, logged in.
pub fn connect(c: &Connection, display: &Display) -> Result<Session, Failure> {
    let profile = crate::profile::select(c.profile.as_deref()).map_err(Failure::Usage)?.unwrap_or_default();
    let url = c.url.clone().or(profile.url.clone()).unwrap_or_else(|| DEFAULT_URL.to_string());
    let client = Client::new(&url)?;
    // The library's hints name olcwf's options, not C functions (docs/c-contract.md, "Messages").
    client.set_message_language(olconnect_wf::Language::Cli);
    let connect_timeout = c.connect_timeout.or(profile.connect_timeout).unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let read_timeout = c.read_timeout.or(profile.read_timeout).unwrap_or(DEFAULT_READ_TIMEOUT);
    client.set_timeouts(millis(connect_timeout), millis(read_timeout));
    if let Some(n) = c.retry {
        let (_, max_backoff) = client.retry();
        client.set_retry(n.saturating_add(1), max_backoff);
    }
    if let Some(s) = c.retry_max_time {
        client.set_outage_limit((millis(s) > 0).then(|| Duration::from_millis(millis(s) as u64)));
    }
    if let Some(pem) = c.ca_file.as_ref().or(profile.ca_file.as_ref()) {
        let path = pem.to_str().ok_or_else(|| Failure::Usage("the CA file name is not UTF-8".into()))?;
        client.set_tls_ca_file(Some(path))?;
    }
    client.set_tls_insecure(c.insecure || profile.insecure == Some(true));
    if let Some(given) = c.proxy.as_ref().or(profile.proxy.as_ref()) {
        let password = match std::env::var_os(proxy::PASSWORD_VARIABLE) {
            Some(p) => Some(
                p.into_string()
                    .map_err(|_| Failure::Usage(format!("{} is not valid UTF-8", proxy::PASSWORD_VARIABLE)))?,
            ),
            None => match &profile.proxy_password {
                Some(secret) => Some(secret.read().map_err(Failure::Usage)?),
                None => None,
            },
        };
        let url = proxy::url(given, password.as_deref()).map_err(Failure::Usage)?;
        client.set_proxy(Some(&url))?;
    }
    if display.verbose {
        client.set_log(Some(Arc::new(|level: LogLevel, line: &str| say(&format!("{level:?}: {line}")))));
    }
    // A --profile or --url from the command line (not the environment) goes into the commands
    // that messages give.
    let from_flag = |given: &Option<String>, variable: &str| {
        given.as_ref().filter(|g| std::env::var(variable).ok().as_ref() != Some(*g)).cloned()
    };
    let mut again = "olcwf".to_string();
    if let Some(name) = from_flag(&c.profile, "OLCONNECT_PROFILE") {
        again.push_str(&format!(" --profile {}", crate::profile::shell_word(&name)));
    }
    if let Some(url) = from_flag(&c.url, "OLCONNECT_URL") {
        again.push_str(&format!(" --url {}", crate::profile::shell_word(&url)));
    }
    let session = Session {
        client,
        ctrl_c: CtrlC::install(),
        mode: progress::Mode::detect(display.quiet),
        quiet: display.quiet,
        json: display.json,
        profile: (!profile.name.is_empty()).then(|| profile.name.clone()),
        again,
    };
    let source = credentials::Source {
        user: c.user.clone(),
        token: std::env::var("OLCONNECT_TOKEN").ok(),
        password_env: std::env::var("OLCONNECT_PASSWORD").ok(),
        password_stdin: c.password_stdin,
        basic: c.basic || profile.basic == Some(true),
        profile_user: profile.user,
        profile_password: profile.password,
        profile_token: profile.token,
    };
    credentials::apply(&session.calls(), source).map_err(|e| match e {
        credentials::CredentialsError::Usage(m) => Failure::Usage(m),
        credentials::CredentialsError::Call(e) => Failure::Call(e),
    })?;
    Ok(session)
}
