//! The HTTP client: hyper 1 over tokio sockets and tokio-rustls, one connection per request,
//! with the request's timeout as a hard deadline and every failure as its distinct
//! [`TransportError`].

use core::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use pos_blocking::http1::{self, MAX_BODY};
use pos_blocking::url::Target;
use pos_core::{HttpRequest, HttpResponse, TlsTrust, TransportError};

use crate::connect;

pub use pos_blocking::http_client::Answered;

/// Sends one request and waits for its whole response until `timeout` has passed.
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
    let target = Target::parse(&request.url).map_err(|e| TransportError::Connect(e.to_string()))?;
    tracing::debug!(method = %request.method, host = %target.host, port = target.port, path = %request.path(), "http request");
    let deadline = tokio::time::Instant::now() + timeout;
    let (stream, fingerprint) = connect::open(&target, trust, timeout).await?;
    let wire = to_hyper(request, &target)?;
    let exchange = async {
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| TransportError::Io(format!("handshake: {e}")))?;
        // The connection future moves the bytes; it ends when the server closes or the
        // sender is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let response = sender
            .send_request(wire)
            .await
            .map_err(|e| TransportError::Io(e.to_string()))?;
        from_hyper(response).await
    };
    let result = tokio::time::timeout_at(deadline, exchange)
        .await
        .unwrap_or(Err(TransportError::Timeout))
        .map(|response| (response, fingerprint));
    match &result {
        Ok((response, _)) => tracing::debug!(status = response.status, "http response"),
        Err(error) => tracing::debug!(%error, "http request failed"),
    }
    result
}

/// Builds hyper's request with the runtimes' one conversion ([`http1::to_http_request`]).
fn to_hyper(
    request: &HttpRequest,
    target: &Target,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    http1::to_http_request(request, target).map(|r| r.map(|body| Full::new(Bytes::from(body))))
}

async fn from_hyper(
    response: http::Response<hyper::body::Incoming>,
) -> Result<HttpResponse, TransportError> {
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| TransportError::Io(format!("response body: {e}")))?
        .to_bytes();
    HttpResponse::try_from(http::Response::from_parts(parts, body.to_vec()))
        .map_err(|e| TransportError::Io(format!("malformed response: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pos_core::Method;

    #[test]
    fn requests_go_out_in_origin_form_with_our_own_framing_headers() {
        let request = HttpRequest::new(Method::Post, "https://10.0.0.5:8080/a/b?c=d#frag")
            .header("Authorization", "Bearer t")
            .header("Host", "evil.example")
            .header("Content-Length", "999")
            .header("Evil", "x\r\nInjected: y")
            .body(b"{}".to_vec());
        let target = Target::parse(&request.url).unwrap();
        let wire = to_hyper(&request, &target).unwrap();
        assert_eq!(wire.method(), http::Method::POST);
        assert_eq!(wire.uri(), "/a/b?c=d");
        let headers = wire.headers();
        assert_eq!(headers[http::header::HOST], "10.0.0.5:8080");
        assert_eq!(headers[http::header::CONTENT_LENGTH], "2");
        assert_eq!(headers[http::header::AUTHORIZATION], "Bearer t");
        assert_eq!(headers.get_all(http::header::HOST).iter().count(), 1);
        assert!(headers.get("evil").is_none());
        assert!(headers.get("injected").is_none());

        let get = HttpRequest::new(Method::Get, "http://h/x");
        let wire = to_hyper(&get, &Target::parse(&get.url).unwrap()).unwrap();
        assert!(wire.headers().get(http::header::CONTENT_LENGTH).is_none());
        assert_eq!(wire.headers()[http::header::HOST], "h");
    }
}
