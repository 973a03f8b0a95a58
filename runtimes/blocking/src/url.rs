//! Splitting the URLs machines hand out into what a socket needs.
//!
//! Executor-neutral: `pos-smol` and `pos-tokio` use it as it is.

/// The scheme of a URL the runtimes can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// `http://`.
    Http,
    /// `https://`.
    Https,
    /// `ws://`.
    Ws,
    /// `wss://`.
    Wss,
}

impl Scheme {
    /// Returns true for the schemes that run over TLS.
    #[must_use]
    pub const fn is_tls(self) -> bool {
        matches!(self, Self::Https | Self::Wss)
    }

    /// Returns the port used when the URL names none.
    #[must_use]
    pub const fn default_port(self) -> u16 {
        match self {
            Self::Http | Self::Ws => 80,
            Self::Https | Self::Wss => 443,
        }
    }
}

/// An absolute URL split into scheme, host, port and the request target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The scheme.
    pub scheme: Scheme,
    /// The host name or IP address, without brackets for IPv6.
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
    /// The path and query, starting with `/`.
    pub path_and_query: String,
}

impl Target {
    /// Parses an absolute `http`, `https`, `ws` or `wss` URL.
    ///
    /// # Errors
    /// [`UrlError`] for another scheme, a missing host, a bad port or user info.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let bad = |why: &str| UrlError {
            url: url.to_owned(),
            reason: why.to_owned(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            _ => return Err(bad("unsupported scheme")),
        };
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(split);
        if authority.contains('@') {
            return Err(bad("user info is not supported"));
        }
        let tail = tail.split('#').next().unwrap_or("");
        let path_and_query = if tail.is_empty() {
            "/".to_owned()
        } else if tail.starts_with('?') {
            format!("/{tail}")
        } else {
            tail.to_owned()
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None => scheme.default_port(),
        };
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port,
            path_and_query,
        })
    }

    /// Returns `host:port` for connecting, with brackets around an IPv6 address.
    #[must_use]
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Returns the value of the `Host` header: the port only when it is not the default.
    #[must_use]
    pub fn host_header(&self) -> String {
        if self.port == self.scheme.default_port() {
            if self.host.contains(':') {
                format!("[{}]", self.host)
            } else {
                self.host.clone()
            }
        } else {
            self.authority()
        }
    }
}

/// A URL the runtimes cannot open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid URL {url:?}: {reason}")]
pub struct UrlError {
    /// The URL as given.
    pub url: String,
    /// What is wrong.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_targets() {
        let t = Target::parse("https://10.0.0.5:8080/payntpos/1.0.0/pair?tid=1#x").unwrap();
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!(t.authority(), "10.0.0.5:8080");
        assert_eq!(t.path_and_query, "/payntpos/1.0.0/pair?tid=1");
        let t = Target::parse("ws://[::1]:35779").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.authority(), "[::1]:35779");
        assert_eq!(t.path_and_query, "/");
        let t = Target::parse("HTTP://h?q=1").unwrap();
        assert_eq!((t.port, t.path_and_query.as_str()), (80, "/?q=1"));
        assert_eq!(t.host_header(), "h");
        for bad in [
            "ftp://h/",
            "h/x",
            "http://:1/",
            "http://h:x/",
            "http://u@h/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
