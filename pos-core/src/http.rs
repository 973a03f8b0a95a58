//! HTTP exchanged as data: small request and response structs that work without `std`.
//!
//! With the `std` feature they convert to and from `http::Request<Vec<u8>>` and
//! `http::Response<Vec<u8>>`, which is what the runtimes send and receive.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// HEAD.
    Head,
    /// OPTIONS.
    Options,
}

impl Method {
    /// Returns the method's name as sent on the wire.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
        }
    }

    /// Parses a method name (case-sensitive, as HTTP is).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            "HEAD" => Self::Head,
            "OPTIONS" => Self::Options,
            _ => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header names and values in order; names compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// Builds an empty header list.
    #[must_use]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends a header.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Appends a header and returns the list, for building.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(name, value);
        self
    }

    /// Returns the first value of a header, matching the name case-insensitively.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Iterates over the headers in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Returns the number of headers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns true when there is no header.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An HTTP request as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL (`https://host:port/path?query`) for outgoing requests; for inbound
    /// callbacks, the path and query as received (`/callback/abc?x=1`).
    pub url: String,
    /// The headers.
    pub headers: Headers,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// Builds a request without headers or body.
    #[must_use]
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header and returns the request, for building.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Sets the body and returns the request, for building.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Returns the URL without scheme and authority, as a server reads it from the request
    /// line (`/` when an absolute URL has no path). A simulator's callback reaches the POS
    /// machine with its URL reduced to this.
    #[must_use]
    pub fn path_and_query(&self) -> &str {
        self.url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| {
                rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/")
            })
    }

    /// Returns the path of the URL, without scheme, authority or query.
    #[must_use]
    pub fn path(&self) -> &str {
        self.path_and_query()
            .split(['?', '#'])
            .next()
            .unwrap_or("/")
    }

    /// Returns the query string of the URL, without the `?`.
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.url
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or(""))
    }
}

/// An HTTP response as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Headers,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Builds a response without headers or body.
    #[must_use]
    pub const fn new(status: u16) -> Self {
        Self {
            status,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header and returns the response, for building.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Sets the body and returns the response, for building.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Builds a response with a JSON body and its content type.
    #[must_use]
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::new(status)
            .header("content-type", "application/json")
            .body(body)
    }

    /// Returns true for a 2xx status.
    #[must_use]
    pub const fn is_success(&self) -> bool {
        self.status >= 200 && self.status < 300
    }
}

/// The characters RFC 3986 leaves unreserved; everything else is escaped.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query or path value as UTF-8, escaping all but RFC 3986's unreserved
/// characters (uppercase hex).
#[must_use]
pub fn percent_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string()
}

/// Percent-decodes a value as UTF-8. `+` stays `+` (decode forms' spaces first); invalid
/// escapes are kept literally and invalid UTF-8 is replaced, so this never fails.
#[must_use]
pub fn percent_decode(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(feature = "std")]
mod convert {
    //! Conversions to and from the `http` crate, used by the runtimes.

    use super::{Headers, HttpRequest, HttpResponse, Method};
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    /// Why a value from the `http` crate could not be converted.
    #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
    #[non_exhaustive]
    pub enum HttpConvertError {
        /// The method is not one of [`Method`]'s.
        #[error("unsupported HTTP method {0}")]
        Method(String),
        /// The request could not be built.
        #[error("invalid request: {0}")]
        Invalid(String),
    }

    /// Converts headers leniently: a value that is not UTF-8 is kept, its odd bytes replaced,
    /// so that a message (a terminal's answer to a payment) is never lost over one header.
    fn headers_from(map: &http::HeaderMap) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in map {
            headers.push(name.as_str(), String::from_utf8_lossy(value.as_bytes()));
        }
        headers
    }

    impl TryFrom<HttpRequest> for http::Request<Vec<u8>> {
        type Error = HttpConvertError;

        fn try_from(req: HttpRequest) -> Result<Self, Self::Error> {
            let mut builder = http::Request::builder()
                .method(req.method.as_str())
                .uri(&req.url);
            for (name, value) in req.headers.iter() {
                builder = builder.header(name, value);
            }
            builder
                .body(req.body)
                .map_err(|e| HttpConvertError::Invalid(e.to_string()))
        }
    }

    impl TryFrom<http::Request<Vec<u8>>> for HttpRequest {
        type Error = HttpConvertError;

        fn try_from(req: http::Request<Vec<u8>>) -> Result<Self, Self::Error> {
            let (parts, body) = req.into_parts();
            let method = Method::parse(parts.method.as_str())
                .ok_or_else(|| HttpConvertError::Method(parts.method.to_string()))?;
            Ok(Self {
                method,
                url: parts.uri.to_string(),
                headers: headers_from(&parts.headers),
                body,
            })
        }
    }

    impl TryFrom<HttpResponse> for http::Response<Vec<u8>> {
        type Error = HttpConvertError;

        fn try_from(resp: HttpResponse) -> Result<Self, Self::Error> {
            let mut builder = http::Response::builder().status(resp.status);
            for (name, value) in resp.headers.iter() {
                builder = builder.header(name, value);
            }
            builder
                .body(resp.body)
                .map_err(|e| HttpConvertError::Invalid(e.to_string()))
        }
    }

    impl TryFrom<http::Response<Vec<u8>>> for HttpResponse {
        type Error = HttpConvertError;

        fn try_from(resp: http::Response<Vec<u8>>) -> Result<Self, Self::Error> {
            let (parts, body) = resp.into_parts();
            Ok(Self {
                status: parts.status.as_u16(),
                headers: headers_from(&parts.headers),
                body,
            })
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn requests_and_responses_convert_both_ways() {
            let req = HttpRequest::new(Method::Post, "https://t.example:8443/transaction?x=1")
                .header("Authorization", "Bearer t")
                .body(b"{}".to_vec());
            let h: http::Request<Vec<u8>> = req.clone().try_into().unwrap();
            assert_eq!(h.method(), http::Method::POST);
            let back = HttpRequest::try_from(h).unwrap();
            assert_eq!(back.url, req.url);
            assert_eq!(back.headers.get("authorization"), Some("Bearer t"));
            assert_eq!(back.path(), "/transaction");
            assert_eq!(back.query(), Some("x=1"));

            let resp = HttpResponse::json(201, b"{}".to_vec());
            let h: http::Response<Vec<u8>> = resp.clone().try_into().unwrap();
            assert_eq!(HttpResponse::try_from(h).unwrap(), resp);
        }

        #[test]
        fn a_header_value_that_is_not_utf8_keeps_the_message() {
            let h = http::Response::builder()
                .status(200)
                .header(
                    "x-terminal",
                    http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
                )
                .body(b"{\"transApproved\":true}".to_vec())
                .unwrap();
            let resp = HttpResponse::try_from(h).unwrap();
            assert_eq!(resp.headers.get("x-terminal"), Some("caf\u{fffd}"));
            assert_eq!(resp.body, b"{\"transApproved\":true}");
        }
    }
}

#[cfg(feature = "std")]
pub use convert::HttpConvertError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_are_split_from_urls() {
        assert_eq!(
            HttpRequest::new(Method::Get, "http://h/a/b?c=d").path(),
            "/a/b"
        );
        assert_eq!(HttpRequest::new(Method::Get, "http://h").path(), "/");
        assert_eq!(
            HttpRequest::new(Method::Post, "https://pos.example.net/ipcb/t1/?a=1").path_and_query(),
            "/ipcb/t1/?a=1"
        );
        assert_eq!(
            HttpRequest::new(Method::Post, "http://h").path_and_query(),
            "/"
        );
        assert_eq!(
            HttpRequest::new(Method::Post, "/cb?x=1").path_and_query(),
            "/cb?x=1"
        );
        assert_eq!(HttpRequest::new(Method::Get, "/cb/x?y=1").path(), "/cb/x");
        assert_eq!(
            HttpRequest::new(Method::Get, "/cb/x?y=1#f").query(),
            Some("y=1")
        );
        assert_eq!(Method::parse("DELETE"), Some(Method::Delete));
        assert_eq!(Method::parse("delete"), None);
    }

    #[test]
    fn percent_coding_round_trips_and_is_lenient() {
        let v = "a b&c=d/é~-._";
        assert_eq!(percent_encode(v), "a%20b%26c%3Dd%2F%C3%A9~-._");
        assert_eq!(percent_decode(&percent_encode(v)), v);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b"), "a+b");
        assert_eq!(percent_decode("%FF"), "\u{fffd}");
    }
}
