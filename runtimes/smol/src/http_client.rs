//! An async HTTP/1.1 client: hyper's connection API over `async-net` sockets and
//! `futures-rustls`, one connection per request, the request's timeout as a hard deadline,
//! and every failure as its distinct [`TransportError`].
//!
//! The TLS configuration (web PKI, pinning, trust on first use) and the URL split come from
//! `pos-blocking`'s executor-neutral [`tls`] and [`url`] modules.
//!
//! [`tls`]: pos_blocking::tls
//! [`url`]: pos_blocking::url

use core::time::Duration;

use bytes::Bytes;
use futures_rustls::TlsConnector;
use http_body_util::{BodyExt, Full, Limited};
use pos_blocking::http1::{self, MAX_BODY};
use pos_blocking::tls;
use pos_blocking::url::Target;
use pos_core::{Fingerprint, HttpRequest, HttpResponse, Method, TlsTrust, TransportError};
use rustls::pki_types::ServerName;
use smol::Timer;
use smol::future::FutureExt as _;
use smol::io::{AsyncRead, AsyncWrite};
use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

pub use pos_blocking::http_client::Answered;

/// Sends one request and waits for its response until `timeout` has passed.
///
/// # Errors
/// As [`pos_blocking::http_client::send`]: [`TransportError::Connect`], [`TransportError::Tls`]
/// or [`TransportError::CertificateMismatch`] before anything was sent,
/// [`TransportError::Timeout`] or [`TransportError::Io`] once it may have been.
pub async fn send(
    request: &HttpRequest,
    timeout: Duration,
    trust: &TlsTrust,
) -> Result<Answered, TransportError> {
    let mut deadline = Timer::after(timeout);
    let target = Target::parse(&request.url).map_err(|e| TransportError::Connect(e.to_string()))?;
    tracing::debug!(method = %request.method, host = %target.host, port = target.port,
        path = %request.path(), "http request");
    let tcp = connect(&target)
        .or(expire(&mut deadline, || {
            TransportError::Connect(format!("{}: timed out", target.authority()))
        }))
        .await?;
    let wire = to_hyper(request, &target)?;
    let result = if target.scheme.is_tls() {
        let (stream, pin) = handshake(trust, &target, tcp)
            .or(expire(&mut deadline, || {
                TransportError::Tls("handshake timed out".into())
            }))
            .await?;
        exchange(stream, wire, request.method)
            .or(expire(&mut deadline, || TransportError::Timeout))
            .await
            .map(|r| (r, Some(pin)))
    } else {
        exchange(tcp, wire, request.method)
            .or(expire(&mut deadline, || TransportError::Timeout))
            .await
            .map(|r| (r, None))
    };
    match &result {
        Ok((resp, _)) => tracing::debug!(status = resp.status, "http response"),
        Err(e) => tracing::debug!(error = %e, "http request failed"),
    }
    result
}

/// Opens a TCP connection to the target (any of its addresses), without a deadline of its
/// own: callers race it against theirs.
///
/// # Errors
/// [`TransportError::Connect`] when no address of the host accepts.
pub async fn connect(target: &Target) -> Result<TcpStream, TransportError> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| TransportError::Connect(format!("{}: {e}", target.authority())))?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// Resolves with `error()` when the deadline timer fires; never otherwise.
async fn expire<T>(
    deadline: &mut Timer,
    error: impl FnOnce() -> TransportError,
) -> Result<T, TransportError> {
    deadline.await;
    Err(error())
}

async fn handshake(
    trust: &TlsTrust,
    target: &Target,
    tcp: TcpStream,
) -> Result<(futures_rustls::client::TlsStream<TcpStream>, Fingerprint), TransportError> {
    let config = tls::client_config(trust)?;
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| TransportError::Tls(format!("server name {}: {e}", target.host)))?;
    let stream = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            tls::classify_io_error(&e)
                .unwrap_or_else(|| TransportError::Tls(format!("handshake: {e}")))
        })?;
    let pin = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .ok_or_else(|| TransportError::Tls("no server certificate".into()))
        .and_then(|c| tls::fingerprint(c))?;
    Ok((stream, pin))
}

/// Builds hyper's request with the runtimes' one conversion ([`http1::to_http_request`]).
fn to_hyper(
    request: &HttpRequest,
    target: &Target,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    http1::to_http_request(request, target).map(|r| r.map(|body| Full::new(Bytes::from(body))))
}

/// Writes the request and reads the whole response, driving hyper's connection alongside.
async fn exchange<S>(
    stream: S,
    request: http::Request<Full<Bytes>>,
    method: Method,
) -> Result<HttpResponse, TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(FuturesIo::new(stream))
        .await
        .map_err(|e| TransportError::Io(e.to_string()))?;
    let talk = async move {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| TransportError::Io(e.to_string()))?;
        let (parts, body) = response.into_parts();
        let body = if method == Method::Head {
            Bytes::new()
        } else {
            Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| TransportError::Io(format!("response body: {e}")))?
                .to_bytes()
        };
        HttpResponse::try_from(http::Response::from_parts(parts, body.to_vec()))
            .map_err(|e| TransportError::Io(format!("malformed response: {e}")))
    };
    talk.or(drive(connection)).await
}

/// Runs hyper's connection; it only resolves on a connection error, which the request
/// future reports too, so a clean end just waits for that future.
async fn drive<S>(
    connection: hyper::client::conn::http1::Connection<FuturesIo<S>, Full<Bytes>>,
) -> Result<HttpResponse, TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if let Err(e) = connection.await {
        return Err(TransportError::Io(e.to_string()));
    }
    std::future::pending().await
}
