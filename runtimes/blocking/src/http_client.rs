//! A blocking HTTP/1.1 client over std sockets and rustls, one connection per request, with
//! the request's timeout as a hard deadline and every failure as its distinct
//! [`TransportError`].

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;

use core::time::Duration;
use pos_core::{Fingerprint, HttpRequest, HttpResponse, Timestamp, TlsTrust, TransportError};
use rustls::pki_types::ServerName;

use crate::clock::Clock;
use crate::http1::{self, ReadError};
use crate::tls;
use crate::url::Target;

/// A response and, for HTTPS, the public-key pin of the certificate the server presented.
pub type Answered = (HttpResponse, Option<Fingerprint>);

/// Sends one request and waits for its response until `timeout` has passed.
///
/// # Errors
/// - [`TransportError::Connect`]: bad URL, name resolution or TCP connect failed (not sent);
/// - [`TransportError::Tls`] / [`TransportError::CertificateMismatch`]: the handshake failed
///   (not sent);
/// - [`TransportError::Timeout`]: no complete response in time (may have been processed);
/// - [`TransportError::Io`]: the connection broke after the request may have been sent.
pub fn send(
    request: &HttpRequest,
    timeout: Duration,
    trust: &TlsTrust,
) -> Result<Answered, TransportError> {
    let clock = Clock::start();
    let deadline = Timestamp::ZERO + timeout;
    let target = Target::parse(&request.url).map_err(|e| TransportError::Connect(e.to_string()))?;
    tracing::debug!(method = %request.method, host = %target.host, port = target.port, path = %path_only(&target), "http request");
    let tcp = connect(&target, &clock, deadline)?;
    let mut stream = DeadlineStream {
        inner: tcp,
        clock,
        deadline,
    };
    let wire = http1::encode_request(request, &target);
    let result = if target.scheme.is_tls() {
        let config = tls::client_config(trust)?;
        let (mut tls_stream, fingerprint) = handshake(config, &target, stream)?;
        exchange(&mut tls_stream, &wire, request).map(|r| (r, Some(fingerprint)))
    } else {
        exchange(&mut stream, &wire, request).map(|r| (r, None))
    };
    match &result {
        Ok((resp, _)) => tracing::debug!(status = resp.status, "http response"),
        Err(e) => tracing::debug!(error = %e, "http request failed"),
    }
    result
}

/// Opens a TCP connection to the target within the deadline.
///
/// # Errors
/// [`TransportError::Connect`] when no address of the host accepts in time.
pub fn connect(
    target: &Target,
    clock: &Clock,
    deadline: Timestamp,
) -> Result<TcpStream, TransportError> {
    let addrs = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| TransportError::Connect(format!("{}: {e}", target.authority())))?;
    let mut last = format!("{}: no address", target.authority());
    for addr in addrs {
        let left = clock.until(deadline);
        if left.is_zero() {
            return Err(TransportError::Connect(format!("{addr}: timed out")));
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(TransportError::Connect(last))
}

/// A TCP stream whose every read and write times out at one deadline.
#[derive(Debug)]
pub struct DeadlineStream {
    /// The socket.
    pub inner: TcpStream,
    /// The clock the deadline is on.
    pub clock: Clock,
    /// When every operation gives up with `TimedOut`.
    pub deadline: Timestamp,
}

impl DeadlineStream {
    fn arm(&self, write: bool) -> io::Result<()> {
        let left = self.clock.until(self.deadline);
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
        }
        if write {
            self.inner.set_write_timeout(Some(left))
        } else {
            self.inner.set_read_timeout(Some(left))
        }
    }
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm(false)?;
        self.inner.read(buf)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm(true)?;
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

type TlsStream = rustls::StreamOwned<rustls::ClientConnection, DeadlineStream>;

fn handshake(
    config: Arc<rustls::ClientConfig>,
    target: &Target,
    mut sock: DeadlineStream,
) -> Result<(TlsStream, Fingerprint), TransportError> {
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| TransportError::Tls(format!("server name {}: {e}", target.host)))?;
    let mut conn =
        rustls::ClientConnection::new(config, name).map_err(|e| tls::classify_tls_error(&e))?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            return Err(tls::classify_io_error(&e)
                .unwrap_or_else(|| TransportError::Tls(format!("handshake: {e}"))));
        }
    }
    let fingerprint = conn
        .peer_certificates()
        .and_then(|certs| certs.first())
        .ok_or_else(|| TransportError::Tls("no server certificate".into()))
        .and_then(|c| tls::fingerprint(c))?;
    Ok((rustls::StreamOwned::new(conn, sock), fingerprint))
}

fn exchange<S: Read + Write>(
    stream: &mut S,
    wire: &[u8],
    request: &HttpRequest,
) -> Result<HttpResponse, TransportError> {
    stream
        .write_all(wire)
        .and_then(|()| stream.flush())
        .map_err(|e| io_error(&e))?;
    http1::read_response(stream, request.method).map_err(|e| match e {
        ReadError::Io(e) => io_error(&e),
        ReadError::Closed => TransportError::Io("connection closed before the response".into()),
        ReadError::Malformed(m) => TransportError::Io(format!("malformed response: {m}")),
    })
}

fn io_error(e: &io::Error) -> TransportError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportError::Timeout,
        _ => TransportError::Io(e.to_string()),
    }
}

fn path_only(target: &Target) -> &str {
    target.path_and_query.split('?').next().unwrap_or("/")
}
