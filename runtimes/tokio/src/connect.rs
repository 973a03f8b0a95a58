//! Opening a byte stream to a URL target: TCP, then TLS for `https`/`wss` with the blocking
//! crate's rustls configs (web PKI, pinned, trust on first use).

use core::time::Duration;
use std::pin::Pin;
use std::task::{Context, Poll};

use pos_blocking::tls;
use pos_blocking::url::Target;
use pos_core::{Fingerprint, TlsTrust, TransportError};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A connected stream, plain or TLS.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connects to the target within `timeout`; returns the stream and, for TLS, the
/// fingerprint of the certificate the server presented.
///
/// Every failure here happens before a byte of the request left, so each is a
/// [`TransportError::Connect`], [`TransportError::Tls`] or
/// [`TransportError::CertificateMismatch`].
pub(crate) async fn open(
    target: &Target,
    trust: &TlsTrust,
    timeout: Duration,
) -> Result<(Stream, Option<Fingerprint>), TransportError> {
    let tcp = tokio::time::timeout(timeout, TcpStream::connect(target.authority()))
        .await
        .map_err(|_| TransportError::Connect(format!("{}: timed out", target.authority())))?
        .map_err(|e| TransportError::Connect(format!("{}: {e}", target.authority())))?;
    let _ = tcp.set_nodelay(true);
    if !target.scheme.is_tls() {
        return Ok((Stream::Plain(tcp), None));
    }
    let config = tls::client_config(trust)?;
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| TransportError::Tls(format!("server name {:?}: {e}", target.host)))?;
    let handshake = TlsConnector::from(config).connect(name, tcp);
    let tls_stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| TransportError::Tls("handshake timed out".into()))?
        .map_err(|e| {
            tls::classify_io_error(&e).unwrap_or_else(|| TransportError::Tls(e.to_string()))
        })?;
    let fingerprint = tls_stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .ok_or_else(|| TransportError::Tls("no server certificate".into()))
        .and_then(|c| tls::fingerprint(c))?;
    Ok((Stream::Tls(Box::new(tls_stream)), Some(fingerprint)))
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
