//! The Authentication service and the credential check every call goes through, in both
//! 401/403 dialects (docs/rest-api.md, "Authentication").

use crate::http::{Request, Response};
use crate::settings::{Dialect, Role, Settings, User};
use crate::state::{Shared, Token};
use crate::util::new_token;
use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::{alphabet, Engine};
use std::time::{Duration, Instant};

/// Standard base64, with or without padding (clients differ).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

enum Failure {
    Missing,
    Invalid,
    Expired,
    MissingRole,
}

fn basic_credentials(req: &Request) -> Option<Option<(String, String)>> {
    let value = req.header("authorization")?;
    let decoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
        .and_then(|b64| BASE64.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_string(), p.to_string())));
    Some(decoded)
}

fn find_user<'a>(settings: &'a Settings, name: &str, password: &str) -> Option<&'a User> {
    settings.users.iter().find(|u| u.name == name && u.password == password)
}

fn failure_response(settings: &Settings, failure: Failure) -> Response {
    let modern = settings.dialect == Dialect::Modern;
    let challenge = |r: Response| r.with_header("WWW-Authenticate", "BASIC");
    match failure {
        Failure::Missing if modern => challenge(Response::error(
            401,
            "Authentication required: send Basic credentials or an auth_token header",
            None,
        )),
        Failure::Missing => challenge(Response::empty(401)),
        Failure::Expired if modern => {
            challenge(Response::error(401, "The authentication token has expired: log in again", None))
        }
        Failure::Expired => Response::text(401, "Authentication token has expired"),
        Failure::Invalid if modern => {
            challenge(Response::error(401, "Invalid credentials or authentication token", None))
        }
        Failure::Invalid => Response::text(403, "Authentication failed: invalid credentials or token"),
        Failure::MissingRole if modern => {
            Response::error(403, "The user does not have the role required for this method", None)
        }
        Failure::MissingRole => Response::text(403, "Access denied: insufficient rights for this method"),
    }
}

/// Lets the request through when security is off or its credentials are good and the user has
/// one of `roles` (any role when empty); otherwise the dialect's 401/403 answer.
pub fn check(shared: &Shared, settings: &Settings, req: &Request, roles: &[Role]) -> Result<(), Response> {
    if !settings.security {
        return Ok(());
    }
    let user_name = if let Some(basic) = basic_credentials(req) {
        match basic.as_ref().and_then(|(u, p)| find_user(settings, u, p)) {
            Some(u) => u.name.clone(),
            None => return Err(failure_response(settings, Failure::Invalid)),
        }
    } else if let Some(token) = req.header("auth_token") {
        let tokens = shared.tokens.lock().unwrap();
        match tokens.get(token) {
            Some(t) if t.expires > Instant::now() => t.user.clone(),
            Some(_) => return Err(failure_response(settings, Failure::Expired)),
            None => return Err(failure_response(settings, Failure::Invalid)),
        }
    } else {
        return Err(failure_response(settings, Failure::Missing));
    };
    let Some(user) = settings.users.iter().find(|u| u.name == user_name) else {
        return Err(failure_response(settings, Failure::Invalid));
    };
    if roles.is_empty() || roles.iter().any(|r| user.roles.contains(r)) {
        Ok(())
    } else {
        Err(failure_response(settings, Failure::MissingRole))
    }
}

/// `POST /rest/serverengine/authentication/login`.
pub fn login(shared: &Shared, settings: &Settings, req: &Request) -> Response {
    let modern = settings.dialect == Dialect::Modern;
    let Some(basic) = basic_credentials(req) else {
        return failure_response(settings, Failure::Missing);
    };
    let user = match basic.as_ref().and_then(|(u, p)| find_user(settings, u, p)) {
        Some(u) => u,
        None if modern => {
            return Response::error(401, "Invalid user name or password", None)
                .with_header("WWW-Authenticate", "BASIC");
        }
        None => return Response::text(401, "Invalid user name or password"),
    };
    let token = new_token();
    let ttl = settings.token_ttl;
    shared
        .tokens
        .lock()
        .unwrap()
        .insert(token.clone(), Token { user: user.name.clone(), expires: Instant::now() + ttl });
    let resp = Response::text(200, token);
    if settings.token_expires_header {
        resp.with_header("Token-Expires-In", ttl.as_secs().to_string())
    } else {
        resp
    }
}

/// Makes every issued token expire now (tests of re-login).
pub fn expire_all(shared: &Shared) {
    let past = Instant::now() - Duration::from_millis(1);
    for t in shared.tokens.lock().unwrap().values_mut() {
        t.expires = past;
    }
}
