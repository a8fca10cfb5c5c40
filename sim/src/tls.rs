//! HTTPS: a rustls server configuration from the PEM files of the settings.

use crate::settings::Settings;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::sync::Arc;

pub fn server_config(settings: &Settings) -> io::Result<Option<Arc<rustls::ServerConfig>>> {
    let (cert, key) = match (&settings.tls_cert, &settings.tls_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        _ => return Err(io::Error::other("HTTPS needs both tls_cert and tls_key")),
    };
    let bad = |what: &str, e: &dyn std::fmt::Display| io::Error::other(format!("{what}: {e}"));
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(&format!("cannot read {}", cert.display()), &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&format!("invalid certificate in {}", cert.display()), &e))?;
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| bad(&format!("cannot read the key {}", key.display()), &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS set-up", &e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad("certificate and key do not fit", &e))?;
    Ok(Some(Arc::new(config)))
}
