//! Named servers: the profiles of `$XDG_CONFIG_HOME/olcwf/config.toml` (`~/.config/olcwf/` when
//! the variable is unset), chosen with `--profile NAME`, `OLCONNECT_PROFILE`, or the file's
//! `default_profile`. A profile gives the URL, user, CA file, proxy and timeouts; its secrets only
//! by reference (a file only its owner can read, or an environment variable), checked as ssh
//! checks its files. Flags and the environment override it (see `settings.rs`, README.md,
//! "Profiles").

use std::path::{Path, PathBuf};

/// The keys a profile may have, and what each is (for the message about an unknown key).
const KEYS: &[&str] = &[
    "url",
    "user",
    "password_file",
    "password_env",
    "token_file",
    "token_env",
    "basic",
    "ca_file",
    "insecure",
    "proxy",
    "proxy_password_file",
    "proxy_password_env",
    "connect_timeout",
    "read_timeout",
];

/// Where a secret is: never the configuration itself.
#[derive(Clone, Debug, PartialEq)]
pub enum SecretRef {
    /// Its first line (a file only its owner may read or write).
    File(PathBuf),
    /// The value of an environment variable.
    Env(String),
}

impl SecretRef {
    /// The secret; a problem is said with what to do (the chmod to run, the variable to set).
    pub fn read(&self) -> Result<String, String> {
        match self {
            SecretRef::Env(name) => std::env::var(name).map_err(|_| {
                format!(
                    "the profile takes a secret from the environment variable {name}, which is not set (or not UTF-8)"
                )
            }),
            SecretRef::File(path) => {
                private_file(path)?;
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
                Ok(text.lines().next().unwrap_or("").to_string())
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub url: Option<String>,
    pub user: Option<String>,
    pub password: Option<SecretRef>,
    pub token: Option<SecretRef>,
    pub basic: Option<bool>,
    pub ca_file: Option<PathBuf>,
    pub insecure: Option<bool>,
    pub proxy: Option<String>,
    pub proxy_password: Option<SecretRef>,
    pub connect_timeout: Option<f64>,
    pub read_timeout: Option<f64>,
}

/// The configuration file: `$XDG_CONFIG_HOME/olcwf/config.toml`, else `~/.config/olcwf/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    base_dir("XDG_CONFIG_HOME", ".config").map(|d| d.join("olcwf").join("config.toml"))
}

/// `$VARIABLE` when it is an absolute path (as the XDG base directory rules say), else
/// `$HOME/fallback`.
pub fn base_dir(variable: &str, fallback: &str) -> Option<PathBuf> {
    let given = std::env::var_os(variable).map(PathBuf::from).filter(|p| p.is_absolute());
    given
        .or_else(|| std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(fallback)))
        .or_else(|| crate::sys::app_data_dir().map(|d| d.join(fallback)))
}

/// The profile to use: `requested` (--profile or OLCONNECT_PROFILE), else the file's
/// `default_profile`, else none. A missing file is no profile, unless one was requested.
pub fn select(requested: Option<&str>) -> Result<Option<Profile>, String> {
    let requested = requested.filter(|r| !r.is_empty());
    let Some(path) = config_path() else {
        return match requested {
            Some(name) => Err(format!(
                "profile '{name}' asked for, but there is no configuration file: set HOME or XDG_CONFIG_HOME"
            )),
            None => Ok(None),
        };
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && requested.is_none() => return Ok(None),
        Err(e) => {
            let name = requested.unwrap_or_default();
            return Err(format!("cannot read the configuration file {} (for profile '{name}'): {e}", path.display()));
        }
    };
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mode = crate::sys::owner_and_mode(&meta).map(|(uid, mode)| Mode { uid, mode });
    parse(&text, &path, requested, mode)
}

/// The owner and permission bits of the configuration file (none on Windows, whose ACLs olcwf
/// does not inspect).
#[derive(Clone, Copy)]
#[cfg_attr(windows, allow(dead_code))]
struct Mode {
    uid: u32,
    mode: u32,
}

/// The configuration file must be the user's (or root's) and writable by no one else, as ssh
/// wants of its configuration.
#[cfg(unix)]
fn check_mode(path: &Path, file: Mode) -> Result<(), String> {
    let shown = path.display();
    if file.uid != crate::sys::my_uid() && file.uid != 0 {
        return Err(format!("{shown} belongs to another user: olcwf reads only a configuration file of yours"));
    }
    if file.mode & 0o022 != 0 {
        return Err(format!(
            "{shown} may be changed by other users (mode {:04o}), who could send your credentials elsewhere: \
             run chmod go-w {}",
            file.mode & 0o7777,
            quote(path)
        ));
    }
    Ok(())
}

#[cfg(windows)]
fn check_mode(_path: &Path, _file: Mode) -> Result<(), String> {
    Ok(())
}

fn parse(text: &str, path: &Path, requested: Option<&str>, file: Option<Mode>) -> Result<Option<Profile>, String> {
    let shown = path.display();
    if let Some(file) = file {
        check_mode(path, file)?;
    }
    let doc: toml::Table = text.parse().map_err(|e| format!("{shown} is not valid TOML: {e}"))?;
    let mut default = None;
    let mut profiles = None;
    for (key, value) in &doc {
        match (key.as_str(), value) {
            ("default_profile", toml::Value::String(s)) => default = Some(s.clone()),
            ("profiles", toml::Value::Table(t)) => profiles = Some(t),
            _ => {
                return Err(format!(
                    "{shown}: unexpected top-level key '{key}': the file has `default_profile = \"NAME\"` and \
                     [profiles.NAME] tables"
                ))
            }
        }
    }
    let Some(name) = requested.map(str::to_string).or(default) else {
        return Ok(None);
    };
    let Some(table) = profiles.and_then(|p| p.get(&name)) else {
        let known: Vec<&str> = profiles.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
        return Err(format!(
            "no profile '{name}' in {shown} (its profiles: {})",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ));
    };
    let toml::Value::Table(table) = table else {
        return Err(format!("{shown}: profiles.{name} must be a table ([profiles.{name}])"));
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut p = Profile { name: name.clone(), ..Default::default() };
    for (key, value) in table {
        let at = format!("{shown}: profiles.{name}.{key}");
        let string = || value.as_str().map(str::to_string).ok_or_else(|| format!("{at} must be a string"));
        let boolean = || value.as_bool().ok_or_else(|| format!("{at} must be true or false"));
        let seconds = || match value {
            toml::Value::Integer(i) if *i >= 0 => Ok(*i as f64),
            toml::Value::Float(f) if *f >= 0.0 && f.is_finite() => Ok(*f),
            _ => Err(format!("{at} must be a number of seconds (0: no limit)")),
        };
        let file = || string().map(|s| resolve(&s, folder));
        match key.as_str() {
            "url" => p.url = Some(string()?),
            "user" => p.user = Some(string()?),
            "password_file" => p.password = Some(SecretRef::File(file()?)),
            "password_env" => p.password = Some(SecretRef::Env(string()?)),
            "token_file" => p.token = Some(SecretRef::File(file()?)),
            "token_env" => p.token = Some(SecretRef::Env(string()?)),
            "basic" => p.basic = Some(boolean()?),
            "ca_file" => p.ca_file = Some(file()?),
            "insecure" => p.insecure = Some(boolean()?),
            "proxy" => p.proxy = Some(string()?),
            "proxy_password_file" => p.proxy_password = Some(SecretRef::File(file()?)),
            "proxy_password_env" => p.proxy_password = Some(SecretRef::Env(string()?)),
            "connect_timeout" => p.connect_timeout = Some(seconds()?),
            "read_timeout" => p.read_timeout = Some(seconds()?),
            "password" | "token" | "proxy_password" => {
                return Err(format!(
                    "{at}: a secret is not written in the configuration file: put it in a file only you can read \
                     ({key}_file = \"PATH\", then chmod 600 PATH) or name an environment variable ({key}_env = \
                     \"NAME\")"
                ))
            }
            _ => return Err(format!("{at}: unknown key (the keys of a profile: {})", KEYS.join(", "))),
        }
    }
    let mode = file.map_or(0, |f| f.mode);
    if p.proxy.as_deref().is_some_and(has_password) && mode & 0o077 != 0 {
        return Err(format!(
            "{shown}: profiles.{name}.proxy carries a password, and the file may be read by other users (mode \
             {:04o}): run chmod 600 {} (or name the proxy's user only and put its password in \
             proxy_password_file)",
            mode & 0o7777,
            quote(path)
        ));
    }
    Ok(Some(p))
}

/// Whether a proxy URL has a password in its userinfo (`scheme://user:password@host`).
fn has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority.rsplit_once('@').is_some_and(|(userinfo, _)| userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty()))
}

/// `~/x` from HOME, a relative path from the configuration file's folder.
fn resolve(given: &str, folder: &Path) -> PathBuf {
    if let Some(rest) = given.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    let path = PathBuf::from(given);
    if path.is_absolute() {
        path
    } else {
        folder.join(path)
    }
}

/// A secret file must be a regular file of the user's that no one else may read or write, as
/// ssh wants of a private key.
fn private_file(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the secret file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("the secret file {shown} is not a regular file"));
    }
    match crate::sys::owner_and_mode(&meta) {
        Some((uid, mode)) => check_private_mode(path, uid, mode),
        None => Ok(()),
    }
}

#[cfg(windows)]
fn check_private_mode(_path: &Path, _uid: u32, _mode: u32) -> Result<(), String> {
    Ok(())
}

#[cfg(unix)]
fn check_private_mode(path: &Path, uid: u32, mode: u32) -> Result<(), String> {
    let shown = path.display();
    if uid != crate::sys::my_uid() {
        return Err(format!("the secret file {shown} belongs to another user: it must be yours (chown it)"));
    }
    if mode & 0o077 != 0 {
        return Err(format!(
            "the secret file {shown} may be read or changed by other users (mode {:04o}), so it is not used: \
             run chmod 600 {}",
            mode & 0o7777,
            quote(path)
        ));
    }
    Ok(())
}

/// A path as a shell word, for a command to copy.
pub fn quote(path: &Path) -> String {
    shell_word(&path.display().to_string())
}

/// `text` as one shell word: as it is when it holds only safe characters, else single-quoted.
pub fn shell_word(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mine(mode: u32) -> Option<Mode> {
        Some(Mode { uid: crate::sys::my_uid(), mode })
    }

    fn at() -> &'static Path {
        Path::new("/home/u/.config/olcwf/config.toml")
    }

    #[test]
    fn a_profile_is_read_with_its_references() {
        let text = r#"
default_profile = "prod"
[profiles.prod]
url = "https://connect:9340"
user = "ol-admin"
password_file = "prod.password"
ca_file = "/etc/ca.pem"
connect_timeout = 3
read_timeout = 1.5
[profiles.test]
url = "http://test:9340"
token_env = "TEST_TOKEN"
"#;
        let p = parse(text, at(), None, mine(0o644)).unwrap().unwrap();
        assert_eq!(p.name, "prod");
        assert_eq!(p.password, Some(SecretRef::File("/home/u/.config/olcwf/prod.password".into())));
        assert_eq!((p.connect_timeout, p.read_timeout), (Some(3.0), Some(1.5)));
        let t = parse(text, at(), Some("test"), mine(0o600)).unwrap().unwrap();
        assert_eq!(t.token, Some(SecretRef::Env("TEST_TOKEN".into())));
        assert!(parse("", at(), None, mine(0o644)).unwrap().is_none());
        let e = parse(text, at(), Some("nope"), mine(0o644)).unwrap_err();
        assert!(e.contains("prod, test"), "{e}");
    }

    #[test]
    fn secrets_are_only_referred_to_and_the_file_is_checked_like_ssh() {
        let e = parse("[profiles.a]\npassword = \"x\"\n", at(), Some("a"), mine(0o600)).unwrap_err();
        assert!(e.contains("password_file") && !e.contains("\"x\""), "{e}");
        let e = parse("[profiles.a]\nurl = \"u\"\n", at(), Some("a"), mine(0o664)).unwrap_err();
        assert!(e.contains("chmod go-w /home/u/.config/olcwf/config.toml"), "{e}");
        let proxy = "[profiles.a]\nproxy = \"http://al:pw@proxy:3128\"\n";
        let e = parse(proxy, at(), Some("a"), mine(0o644)).unwrap_err();
        assert!(e.contains("chmod 600") && !e.contains("pw@"), "{e}");
        assert!(parse(proxy, at(), Some("a"), mine(0o600)).is_ok());
        let e = parse("[profiles.a]\nurll = \"u\"\n", at(), Some("a"), mine(0o600)).unwrap_err();
        assert!(e.contains("unknown key") && e.contains("connect_timeout"), "{e}");
        assert!(!has_password("http://al@proxy:3128") && has_password("socks5://al:x@p:1"));
    }

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(shell_word("/tmp/out.pdf"), "/tmp/out.pdf");
        assert_eq!(shell_word("my file's.pdf"), r"'my file'\''s.pdf'");
    }
}
