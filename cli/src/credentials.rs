//! Where the credentials come from. First the command line and the environment: a token
//! (OLCONNECT_TOKEN), or a user name (--user or OLCONNECT_USER) with a password read from standard
//! input (--password-stdin), from OLCONNECT_PASSWORD, or asked for on the terminal. When they name
//! none, the profile's: its token, or its user with its password (each from a file or a variable
//! the profile names; --password-stdin and OLCONNECT_PASSWORD still come first). A password is
//! never taken from the command line, and there is no default one.

use crate::profile::SecretRef;
use olconnect_wf::{Client, Error};
use std::io::{BufRead, IsTerminal};

#[derive(Default)]
pub struct Source {
    pub user: Option<String>,
    pub token: Option<String>,
    pub password_env: Option<String>,
    pub password_stdin: bool,
    /// Send HTTP Basic on every request instead of logging in.
    pub basic: bool,
    /// The profile's user, password and token (used when the above name no credentials).
    pub profile_user: Option<String>,
    pub profile_password: Option<SecretRef>,
    pub profile_token: Option<SecretRef>,
}

/// Sets the client's credentials from `source`; a problem is a usage error (its message says
/// what to do).
pub fn apply(client: &Client, source: Source) -> Result<(), CredentialsError> {
    if let Some(token) = source.token.filter(|t| !t.is_empty()) {
        return client.set_token(&token).map_err(CredentialsError::Call);
    }
    let given = source.user.filter(|u| !u.is_empty());
    if given.is_none() {
        if let Some(token) = &source.profile_token {
            let token = token.read().map_err(CredentialsError::Usage)?;
            return client.set_token(&token).map_err(CredentialsError::Call);
        }
    }
    let from_profile = given.is_none();
    let Some(user) = given.or(source.profile_user.filter(|u| !u.is_empty())) else {
        return Ok(()); // a server without security needs none
    };
    let password = if source.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CredentialsError::Usage(format!("cannot read the password from standard input: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else if let Some(p) = source.password_env {
        p
    } else if let Some(secret) = source.profile_password.as_ref().filter(|_| from_profile) {
        secret.read().map_err(CredentialsError::Usage)?
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("password for {user}: "))
            .map_err(|e| CredentialsError::Usage(format!("cannot read the password: {e}")))?
    } else {
        return Err(CredentialsError::Usage(format!(
            "no password for user {user}: give it on standard input with --password-stdin, in OLCONNECT_PASSWORD, \
             or by reference in a profile (password_file)"
        )));
    };
    if source.basic { client.set_basic_auth(&user, &password) } else { client.login(&user, &password) }
        .map_err(CredentialsError::Call)
}

pub enum CredentialsError {
    Usage(String),
    Call(Error),
}
