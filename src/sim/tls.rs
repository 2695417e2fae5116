//! TLS for the simulated API server. client-go (so kubectl) sends
//! credentials only over TLS, and a real API server is always TLS, so the
//! sim makes a throwaway certificate authority and a server certificate for
//! 127.0.0.1 at start and hands the CA to clients in the kubeconfig.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct ServerTls {
    /// The CA certificate clients trust, PEM.
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
}

pub fn generate() -> Result<ServerTls, String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("cannot make the simulated cluster's {what}: {e}");
    let ca_key = KeyPair::generate().map_err(|e| fail("CA key", &e))?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(|e| fail("CA", &e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "modeldeck-sim-ca");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(|e| fail("CA", &e))?;

    let server_key = KeyPair::generate().map_err(|e| fail("server key", &e))?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(|e| fail("server certificate", &e))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "modeldeck-sim-apiserver");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&server_key, &ca)
        .map_err(|e| fail("server certificate", &e))?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| fail("TLS settings", &e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .map_err(|e| fail("TLS settings", &e))?;
    // Only HTTP/1.1 is served; offering it alone keeps clients off h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls {
        ca_pem: ca.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}
