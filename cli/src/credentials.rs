//! Where the credentials come from: a token (OLCONNECT_TOKEN), or a user name (flag or
//! OLCONNECT_USER) with a password read from standard input (--password-stdin), from
//! OLCONNECT_PASSWORD, or asked for on the terminal. A password is never taken from the command
//! line, and there is no default one.

use olconnect_wf::{Client, Error};
use std::io::{BufRead, IsTerminal};

pub struct Source {
    pub user: Option<String>,
    pub token: Option<String>,
    pub password_env: Option<String>,
    pub password_stdin: bool,
    /// Send HTTP Basic on every request instead of logging in.
    pub basic: bool,
}

/// Sets the client's credentials from `source`; a problem is a usage error (its message says
/// what to do).
pub fn apply(client: &Client, source: Source) -> Result<(), CredentialsError> {
    if let Some(token) = source.token.filter(|t| !t.is_empty()) {
        return client.set_token(&token).map_err(CredentialsError::Call);
    }
    let Some(user) = source.user.filter(|u| !u.is_empty()) else {
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
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("password for {user}: "))
            .map_err(|e| CredentialsError::Usage(format!("cannot read the password: {e}")))?
    } else {
        return Err(CredentialsError::Usage(format!(
            "no password for user {user}: give it on standard input with --password-stdin, or in OLCONNECT_PASSWORD"
        )));
    };
    if source.basic { client.set_basic_auth(&user, &password) } else { client.login(&user, &password) }
        .map_err(CredentialsError::Call)
}

pub enum CredentialsError {
    Usage(String),
    Call(Error),
}
