//! TLS configuration: rustls client configs for each [`TlsTrust`], the pinning verifier,
//! certificate fingerprints, and self-signed server certificates for simulators.
//!
//! Executor-neutral: `pos-smol` and `pos-tokio` build their TLS streams from these configs.

use std::sync::Arc;

use pos_core::{Fingerprint, TlsTrust, TransportError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};
use sha2::{Digest, Sha256};

/// Returns the public-key pin of a DER certificate, as [`TlsTrust::Pinned`] expects it: the
/// SHA-256 of the certificate's DER-encoded SubjectPublicKeyInfo (Paynt spec §2).
///
/// The SPKI is taken by `rustls-webpki`, the X.509 parser rustls itself verifies
/// certificates with (already in the dependency tree, so no second parser and no hand-written
/// DER walk to get wrong).
///
/// # Errors
/// [`TransportError::Tls`] when the bytes are not an X.509 certificate.
pub fn fingerprint(der: &[u8]) -> Result<Fingerprint, TransportError> {
    let cert = CertificateDer::from(der);
    let parsed = webpki::EndEntityCert::try_from(&cert)
        .map_err(|e| TransportError::Tls(format!("unreadable certificate: {e}")))?;
    Ok(spki_fingerprint(parsed.subject_public_key_info().as_ref()))
}

/// Returns the pin of a DER-encoded SubjectPublicKeyInfo (its SHA-256).
#[must_use]
pub fn spki_fingerprint(spki_der: &[u8]) -> Fingerprint {
    Fingerprint(Sha256::digest(spki_der).into())
}

/// Returns the crypto provider every config of the runtimes uses (ring).
#[must_use]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the client config for a trust mode: web PKI roots, a pinned fingerprint, or any
/// certificate (trust on first use; the caller reports the fingerprint it saw).
///
/// # Errors
/// [`TransportError::Tls`] when rustls refuses the protocol versions (it does not with ring).
pub fn client_config(trust: &TlsTrust) -> Result<Arc<ClientConfig>, TransportError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?;
    let config = match trust {
        TlsTrust::Pinned(expected) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier {
                expected: Some(*expected),
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        TlsTrust::TrustOnFirstUse => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier {
                expected: None,
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        // `TlsTrust` is non-exhaustive: anything new defaults to the strictest mode.
        _ => {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// Maps a rustls handshake error to the transport error the machine gets: a pin mismatch
/// becomes [`TransportError::CertificateMismatch`], anything else [`TransportError::Tls`].
#[must_use]
pub fn classify_tls_error(error: &rustls::Error) -> TransportError {
    if let rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) = error {
        if let Some(m) = other.0.downcast_ref::<PinMismatch>() {
            return TransportError::CertificateMismatch {
                expected: m.expected,
                actual: m.actual,
            };
        }
    }
    TransportError::Tls(error.to_string())
}

/// Finds a [`PinMismatch`] inside an I/O error raised by a rustls stream.
#[must_use]
pub fn classify_io_error(error: &std::io::Error) -> Option<TransportError> {
    let inner = error.get_ref()?;
    inner
        .downcast_ref::<rustls::Error>()
        .map(classify_tls_error)
}

/// The server presented a certificate other than the pinned one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("certificate mismatch: expected {expected}, got {actual}")]
pub struct PinMismatch {
    /// The pinned fingerprint.
    pub expected: Fingerprint,
    /// The presented one.
    pub actual: Fingerprint,
}

/// A self-signed certificate and its key, generated at start for a simulator's HTTPS server.
#[derive(Clone)]
pub struct SelfSigned {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    key_der: Vec<u8>,
    /// Its public-key pin (SHA-256 of the SubjectPublicKeyInfo), for pinning.
    pub fingerprint: Fingerprint,
}

impl core::fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SelfSigned")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl SelfSigned {
    /// Generates a fresh certificate for these host names and IP addresses.
    ///
    /// # Errors
    /// [`TransportError::Tls`] when rcgen fails.
    pub fn generate(names: &[&str]) -> Result<Self, TransportError> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        let cert_der = certified.cert.der().to_vec();
        Ok(Self {
            fingerprint: fingerprint(&cert_der)?,
            key_der: certified.signing_key.serialize_der(),
            cert_der,
        })
    }

    /// Builds a rustls server config presenting this certificate.
    ///
    /// # Errors
    /// [`TransportError::Tls`] when rustls refuses the key.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TransportError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(self.cert_der.clone())], key)
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

/// Accepts exactly the pinned certificate (or any, for trust on first use), ignoring names
/// and dates as a self-signed terminal reached by IP requires, but still checking the
/// handshake signatures so the peer proves it holds the certificate's key.
#[derive(Debug)]
struct PinVerifier {
    expected: Option<Fingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // An unparsable certificate can match no pin; rustls reports it as a TLS failure.
        let actual = fingerprint(end_entity).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        match self.expected {
            Some(expected) if expected != actual => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                    expected,
                    actual,
                }))),
            )),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_has_its_fingerprint() {
        let cert = SelfSigned::generate(&["localhost", "127.0.0.1"]).unwrap();
        assert_eq!(cert.fingerprint, fingerprint(&cert.cert_der).unwrap());
        assert!(cert.server_config().is_ok());
        assert!(!format!("{cert:?}").contains("key_der"));
        for trust in [
            TlsTrust::WebPki,
            TlsTrust::TrustOnFirstUse,
            TlsTrust::Pinned(cert.fingerprint),
        ] {
            assert!(client_config(&trust).is_ok());
        }
    }

    #[test]
    fn the_pin_is_the_hash_of_the_public_key_not_of_the_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let names = vec!["localhost".to_owned()];
        let first = rcgen::CertificateParams::new(names.clone())
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let mut renewed = rcgen::CertificateParams::new(names).unwrap();
        renewed.serial_number = Some(rcgen::SerialNumber::from(vec![7, 7, 7]));
        let renewed = renewed.self_signed(&key).unwrap();
        assert_ne!(first.der().as_ref(), renewed.der().as_ref());
        let expected =
            Fingerprint(Sha256::digest(rcgen::PublicKeyData::subject_public_key_info(&key)).into());
        assert_eq!(fingerprint(first.der()).unwrap(), expected);
        assert_eq!(
            fingerprint(renewed.der()).unwrap(),
            expected,
            "same key, same pin"
        );
        assert_ne!(
            expected,
            Fingerprint(Sha256::digest(first.der().as_ref()).into()),
            "not the certificate hash"
        );
        let other = SelfSigned::generate(&["localhost"]).unwrap();
        assert_ne!(other.fingerprint, expected);
        assert!(matches!(
            fingerprint(b"not a certificate"),
            Err(TransportError::Tls(_))
        ));
    }

    #[test]
    fn a_pin_mismatch_is_classified_distinctly() {
        let m = PinMismatch {
            expected: Fingerprint([1; 32]),
            actual: Fingerprint([2; 32]),
        };
        let err = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(m)),
        ));
        assert_eq!(
            classify_tls_error(&err),
            TransportError::CertificateMismatch {
                expected: m.expected,
                actual: m.actual
            }
        );
        assert!(matches!(
            classify_tls_error(&rustls::Error::DecryptError),
            TransportError::Tls(_)
        ));
    }
}
