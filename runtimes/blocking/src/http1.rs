//! HTTP/1.1 framing for the runtime's small client and servers: encoding requests and
//! responses, parsing heads with `httparse`, and reading bodies (length, chunked, until close).
//!
//! The encode and parse functions work on byte buffers and are executor-neutral; the `read_*`
//! functions run them over a blocking [`Read`].

use std::io::{self, Read};

use pos_core::{Headers, HttpRequest, HttpResponse, Method, TransportError};

use crate::url::Target;

/// The largest request or response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// The largest body accepted.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The framing headers a runtime sets itself; a machine's own values for them are never
/// forwarded.
pub const OWN_HEADERS: [&str; 4] = ["host", "content-length", "connection", "transfer-encoding"];

/// Returns the headers of a machine's request or reply that may go on the wire: every one
/// except the runtime's own framing headers ([`OWN_HEADERS`]) and any whose name or value
/// could split the message (CR, LF, or a colon in the name), which is dropped with a warning.
pub fn forwardable_headers(headers: &Headers) -> impl Iterator<Item = (&str, &str)> {
    headers.iter().filter(|(name, value)| {
        if OWN_HEADERS.iter().any(|own| name.eq_ignore_ascii_case(own)) {
            return false;
        }
        let splits = value.contains(['\r', '\n']) || name.contains(['\r', '\n', ':']);
        if splits {
            tracing::warn!(header = %name, "header not valid on the wire: dropped");
        }
        !splits
    })
}

/// Builds the [`http::Request`] a client library sends for a machine's request: origin-form
/// target, the runtime's own `Host`, `Content-Length` (for a body, or a method that carries
/// one) and `Connection: close` (one connection per request), and the machine's other
/// headers; a header that is not valid on the wire is dropped, never sent raw.
///
/// # Errors
/// [`TransportError::Connect`] when the request cannot be encoded (nothing was sent).
pub fn to_http_request(
    request: &HttpRequest,
    target: &Target,
) -> Result<http::Request<Vec<u8>>, TransportError> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(target.path_and_query.as_str())
        .header(http::header::HOST, target.host_header());
    for (name, value) in forwardable_headers(&request.headers) {
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => builder = builder.header(name, value),
            _ => tracing::warn!(header = %name, "header not valid on the wire: dropped"),
        }
    }
    if !request.body.is_empty()
        || matches!(request.method, Method::Post | Method::Put | Method::Patch)
    {
        builder = builder.header(http::header::CONTENT_LENGTH, request.body.len());
    }
    builder
        .header(http::header::CONNECTION, "close")
        .body(request.body.clone())
        .map_err(|e| TransportError::Connect(format!("request not encodable: {e}")))
}

/// Builds the [`http::Response`] a server library sends for a machine's callback reply: its
/// status, body and [`forwardable_headers`] (a header the `http` crate refuses is dropped
/// with a warning, never the reply); a status outside 100..=999 becomes 500.
#[must_use]
pub fn to_http_response(response: &HttpResponse) -> http::Response<Vec<u8>> {
    let status = http::StatusCode::from_u16(response.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = http::Response::new(response.body.clone());
    *out.status_mut() = status;
    for (name, value) in forwardable_headers(&response.headers) {
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                out.headers_mut().append(name, value);
            }
            _ => tracing::warn!(header = %name, "header not valid on the wire: dropped"),
        }
    }
    out
}

/// Converts a request a server library read into the machines' request: the URL is the
/// request target's path and query, as a listener routes it; header values that are not
/// UTF-8 are kept lossily.
///
/// # Errors
/// The status to answer with: 405 when the method is not one of [`Method`]'s.
pub fn from_http_request(parts: http::request::Parts, body: Vec<u8>) -> Result<HttpRequest, u16> {
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let mut request =
        HttpRequest::try_from(http::Request::from_parts(parts, body)).map_err(|_| 405_u16)?;
    request.url = target;
    Ok(request)
}

/// Encodes a request for `target` with `Connection: close`; the runtime's own `Host`,
/// `Content-Length` and `Connection` replace any the machine set.
#[must_use]
pub fn encode_request(request: &HttpRequest, target: &Target) -> Vec<u8> {
    let mut out = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\n",
        request.method,
        target.path_and_query,
        target.host_header()
    );
    push_headers(&mut out, &request.headers);
    let needs_length = !request.body.is_empty()
        || matches!(request.method, Method::Post | Method::Put | Method::Patch);
    if needs_length {
        out.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&request.body);
    bytes
}

/// Encodes a response with `Connection: close` and its `Content-Length`.
#[must_use]
pub fn encode_response(response: &HttpResponse) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason_phrase(response.status)
    );
    push_headers(&mut out, &response.headers);
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response.body);
    bytes
}

/// A request head as received by a server: the request target is the path and query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, or `None` for one [`Method`] does not know.
    pub method: Option<Method>,
    /// The method as sent.
    pub method_name: String,
    /// The request target, e.g. `/callback/abc?x=1`.
    pub target: String,
    /// The headers.
    pub headers: Headers,
}

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The socket failed or timed out.
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    /// The peer closed before a complete message.
    #[error("connection closed before a complete message")]
    Closed,
    /// The bytes are not HTTP/1.1 or exceed the limits.
    #[error("malformed HTTP: {0}")]
    Malformed(String),
}

/// Parses a request head; `Ok(None)` means more bytes are needed.
///
/// # Errors
/// [`ReadError::Malformed`] for bytes that are not an HTTP/1.1 request.
pub fn parse_request_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, ReadError> {
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut storage);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => {
            let method_name = req.method.unwrap_or("").to_owned();
            let head = RequestHead {
                method: Method::parse(&method_name),
                method_name,
                target: req.path.unwrap_or("/").to_owned(),
                headers: headers_of(req.headers),
            };
            Ok(Some((head, len)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(ReadError::Malformed(e.to_string())),
    }
}

/// Parses a response head into status and headers; `Ok(None)` means more bytes are needed.
///
/// The reason phrase is ignored, whatever it says.
///
/// # Errors
/// [`ReadError::Malformed`] for bytes that are not an HTTP/1.1 response.
pub fn parse_response_head(buf: &[u8]) -> Result<Option<(u16, Headers, usize)>, ReadError> {
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut storage);
    match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Ok(Some((
            resp.code.unwrap_or(0),
            headers_of(resp.headers),
            len,
        ))),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(ReadError::Malformed(e.to_string())),
    }
}

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(usize),
    /// Chunked transfer encoding.
    Chunked,
    /// Everything until the peer closes (responses only).
    UntilClose,
}

/// Decides the framing of a body from its headers; `is_response` allows reading until close.
///
/// # Errors
/// [`ReadError::Malformed`] for an unparsable or too large `Content-Length`.
pub fn body_framing(headers: &Headers, is_response: bool) -> Result<BodyFraming, ReadError> {
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Ok(BodyFraming::Chunked);
    }
    match headers.get("content-length") {
        Some(v) => {
            let n: usize = v
                .trim()
                .parse()
                .map_err(|_| ReadError::Malformed(format!("content-length {v:?}")))?;
            if n > MAX_BODY {
                return Err(ReadError::Malformed(format!(
                    "body of {n} bytes is too large"
                )));
            }
            Ok(if n == 0 {
                BodyFraming::Empty
            } else {
                BodyFraming::Length(n)
            })
        }
        None if is_response => Ok(BodyFraming::UntilClose),
        None => Ok(BodyFraming::Empty),
    }
}

/// Decodes a complete chunked body; `Ok(None)` means more bytes are needed.
///
/// # Errors
/// [`ReadError::Malformed`] for a bad chunk size or a body over [`MAX_BODY`].
pub fn decode_chunked(buf: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
    let mut body = Vec::new();
    let mut rest = buf;
    loop {
        let Some(line_end) = find(rest, b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(rest.get(..line_end).unwrap_or_default())
            .map_err(|_| ReadError::Malformed("chunk size".into()))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| ReadError::Malformed(format!("chunk size {size_text:?}")))?;
        rest = rest.get(line_end + 2..).unwrap_or_default();
        if size == 0 {
            // Trailers end with an empty line; accept a bare terminator too.
            return Ok(find(rest, b"\r\n").map(|_| body));
        }
        if body.len() + size > MAX_BODY {
            return Err(ReadError::Malformed("chunked body too large".into()));
        }
        let Some(chunk) = rest.get(..size) else {
            return Ok(None);
        };
        body.extend_from_slice(chunk);
        rest = match rest.get(size..size + 2) {
            Some(b"\r\n") => rest.get(size + 2..).unwrap_or_default(),
            Some(_) => return Err(ReadError::Malformed("chunk not terminated".into())),
            None => return Ok(None),
        };
    }
}

/// Reads one request from a server socket; the returned request's URL is the target as
/// received. Also returns bytes read past the head when the request is a WebSocket upgrade.
///
/// # Errors
/// [`ReadError`] when the socket fails, closes early or sends malformed HTTP.
pub fn read_request<S: Read>(stream: &mut S) -> Result<(RequestHead, Vec<u8>), ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let (head, head_len) = read_head(stream, &mut buf, parse_request_head)?;
    let leftover = buf.split_off(head_len);
    let framing = body_framing(&head.headers, false)?;
    if is_upgrade(&head.headers) {
        return Ok((head, leftover));
    }
    let body = read_body(stream, leftover, framing)?;
    Ok((head, body))
}

/// Reads one response from a client socket.
///
/// # Errors
/// [`ReadError`] when the socket fails, closes early or sends malformed HTTP.
pub fn read_response<S: Read>(stream: &mut S, method: Method) -> Result<HttpResponse, ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let ((status, headers), head_len) = read_head(stream, &mut buf, |b| {
        Ok(parse_response_head(b)?.map(|(s, h, n)| ((s, h), n)))
    })?;
    let leftover = buf.split_off(head_len);
    let framing = if method == Method::Head || status == 204 || status == 304 || status < 200 {
        BodyFraming::Empty
    } else {
        body_framing(&headers, true)?
    };
    let body = read_body(stream, leftover, framing)?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Returns true when the headers ask for a WebSocket upgrade.
#[must_use]
pub fn is_upgrade(headers: &Headers) -> bool {
    headers
        .get("upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Returns the standard reason phrase of a status code.
#[must_use]
pub const fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn push_headers(out: &mut String, headers: &Headers) {
    for (name, value) in forwardable_headers(headers) {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
}

fn headers_of(raw: &[httparse::Header<'_>]) -> Headers {
    let mut headers = Headers::new();
    for h in raw {
        headers.push(h.name, String::from_utf8_lossy(h.value).into_owned());
    }
    headers
}

fn read_head<S: Read, T>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, ReadError>,
) -> Result<(T, usize), ReadError> {
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(parsed) = parse(buf)? {
            return Ok(parsed);
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::Malformed("head too large".into()));
        }
    }
}

fn read_body<S: Read>(
    stream: &mut S,
    mut buf: Vec<u8>,
    framing: BodyFraming,
) -> Result<Vec<u8>, ReadError> {
    let mut chunk = [0u8; 8192];
    loop {
        match framing {
            BodyFraming::Empty => return Ok(Vec::new()),
            BodyFraming::Length(n) if buf.len() >= n => {
                buf.truncate(n);
                return Ok(buf);
            }
            BodyFraming::Chunked => {
                if let Some(body) = decode_chunked(&buf)? {
                    return Ok(body);
                }
            }
            _ => {}
        }
        if buf.len() > MAX_BODY + MAX_HEAD {
            return Err(ReadError::Malformed("body too large".into()));
        }
        let n = match stream.read(&mut chunk) {
            // A TLS peer that closes without close_notify still ends a read-until-close body.
            Err(e)
                if framing == BodyFraming::UntilClose
                    && e.kind() == io::ErrorKind::UnexpectedEof =>
            {
                0
            }
            other => other?,
        };
        if n == 0 {
            return if framing == BodyFraming::UntilClose {
                Ok(buf)
            } else {
                Err(ReadError::Closed)
            };
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_replies_keep_the_machines_headers_but_not_the_framing() {
        let reply = HttpResponse::new(202)
            .header("Content-Type", "text/plain")
            .header("Content-Length", "999")
            .header("X-Split", "a\r\nb")
            .body(b"OK".to_vec());
        let out = to_http_response(&reply);
        assert_eq!(out.status(), 202);
        assert_eq!(out.headers()["content-type"], "text/plain");
        assert!(out.headers().get("content-length").is_none());
        assert!(out.headers().get("x-split").is_none());
        assert_eq!(out.body(), b"OK");
    }

    #[test]
    fn received_requests_keep_the_target_and_odd_header_bytes() {
        let (parts, ()) = http::Request::builder()
            .method("POST")
            .uri("http://pos.example/ipcb/t1/?a=1")
            .header("x-gw", http::HeaderValue::from_bytes(b"\xff").unwrap())
            .body(())
            .unwrap()
            .into_parts();
        let request = from_http_request(parts, b"CODE=0000".to_vec()).unwrap();
        assert_eq!(request.url, "/ipcb/t1/?a=1");
        assert_eq!(request.headers.get("x-gw"), Some("\u{fffd}"));
        let (parts, ()) = http::Request::builder()
            .method("TRACE")
            .uri("/")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(from_http_request(parts, Vec::new()), Err(405));
    }

    #[test]
    fn requests_round_trip_through_the_wire_format() {
        let target = Target::parse("http://127.0.0.1:9000/a/b?c=d").unwrap();
        let req = HttpRequest::new(Method::Post, "http://127.0.0.1:9000/a/b?c=d")
            .header("Content-Type", "application/json")
            .header("Content-Length", "999")
            .header("Evil", "x\r\nInjected: y")
            .body(b"{\"a\":1}".to_vec());
        let wire = encode_request(&req, &target);
        let text = String::from_utf8(wire.clone()).unwrap();
        assert!(text.starts_with("POST /a/b?c=d HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n"));
        assert!(!text.contains("999") && !text.contains("Injected"));
        let (head, body) = read_request(&mut wire.as_slice()).unwrap();
        assert_eq!(head.method, Some(Method::Post));
        assert_eq!(head.target, "/a/b?c=d");
        assert_eq!(head.headers.get("content-type"), Some("application/json"));
        assert_eq!(body, b"{\"a\":1}");
    }

    #[test]
    fn client_requests_carry_our_framing_and_no_header_that_could_split_them() {
        let request = HttpRequest::new(Method::Put, "http://10.0.0.5:8080/a?b=c")
            .header("Host", "evil.example")
            .header("Connection", "keep-alive")
            .header("Evil", "x\r\nInjected: y")
            .header("Authorization", "Basic abc");
        let target = Target::parse(&request.url).unwrap();
        let wire = to_http_request(&request, &target).unwrap();
        assert_eq!(wire.uri(), "/a?b=c");
        let headers = wire.headers();
        assert_eq!(headers[http::header::HOST], "10.0.0.5:8080");
        assert_eq!(headers[http::header::CONNECTION], "close");
        assert_eq!(
            headers[http::header::CONTENT_LENGTH],
            "0",
            "a PUT says its length"
        );
        assert_eq!(headers[http::header::AUTHORIZATION], "Basic abc");
        assert_eq!(headers.len(), 4, "{headers:?}");
    }

    #[test]
    fn responses_are_read_by_length_chunks_or_close() {
        let resp = HttpResponse::json(201, b"{}".to_vec());
        let wire = encode_response(&resp);
        let got = read_response(&mut wire.as_slice(), Method::Post).unwrap();
        assert_eq!(got.status, 201);
        assert_eq!(got.body, b"{}");

        let chunked = b"HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        let got = read_response(&mut chunked.as_slice(), Method::Get).unwrap();
        assert_eq!(got.body, b"abcde");

        let until_close = b"HTTP/1.1 200 Whatever Reason\r\n\r\nhello";
        let got = read_response(&mut until_close.as_slice(), Method::Get).unwrap();
        assert_eq!(got.body, b"hello");

        let truncated = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        assert!(matches!(
            read_response(&mut truncated.as_slice(), Method::Get),
            Err(ReadError::Closed)
        ));
        assert!(matches!(
            read_response(&mut b"garbage\r\n\r\n".as_slice(), Method::Get),
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            decode_chunked(b"zz\r\n"),
            Err(ReadError::Malformed(_))
        ));
    }
}
