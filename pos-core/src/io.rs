//! What flows between a machine and its runtime: [`Input`]s in, [`Transmit`]s out.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http::{HttpRequest, HttpResponse};
use crate::ids::{CallbackId, RequestId, TxnId};

/// Something that happened in the world, handed to `Machine::handle_input`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Input {
    /// The connection asked for by [`TransmitKind::Connect`] is open.
    Connected,
    /// The connection was closed, by either side or by the network.
    Disconnected {
        /// What the runtime knows of why.
        reason: String,
    },
    /// The connection asked for by [`TransmitKind::Connect`] could not be opened.
    ConnectFailed {
        /// Why.
        error: TransportError,
    },
    /// A WebSocket text message (or, on a serial link, one decoded payload).
    Text(String),
    /// A WebSocket binary message.
    Binary(Vec<u8>),
    /// A WebSocket pong, answering a [`TransmitKind::Ping`].
    Pong(Vec<u8>),
    /// The response to an HTTP request the machine sent.
    HttpResponse {
        /// The id from the [`TransmitKind::Http`].
        id: RequestId,
        /// The response.
        response: HttpResponse,
        /// The public-key pin of the server's certificate, for HTTPS.
        peer_certificate: Option<Fingerprint>,
    },
    /// An HTTP request the machine sent failed without a response.
    HttpFailed {
        /// The id from the [`TransmitKind::Http`].
        id: RequestId,
        /// Why.
        error: TransportError,
    },
    /// An inbound HTTP request to the POS's callback listener. Answer with
    /// [`TransmitKind::CallbackReply`] carrying the same `id`.
    Callback {
        /// Chosen by the runtime, echoed in the reply.
        id: CallbackId,
        /// The request as received.
        request: HttpRequest,
    },
}

/// Why a connection or a request failed. Each is distinct because each means something
/// different for money: a connect failure means the request never left; a timeout or an
/// I/O error after sending means it may have arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made (refused, unreachable, DNS): the request was not sent.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The TLS handshake failed for a reason other than the pinned certificate.
    #[error("TLS failed: {0}")]
    Tls(String),
    /// The server's certificate is not the one pinned: the request was not sent.
    #[error("certificate mismatch: expected {expected}, got {actual}")]
    CertificateMismatch {
        /// The pinned fingerprint.
        expected: Fingerprint,
        /// The fingerprint the server presented.
        actual: Fingerprint,
    },
    /// No response within the request's timeout: it may have been processed.
    #[error("timed out")]
    Timeout,
    /// The connection broke after the request may have been sent.
    #[error("I/O error: {0}")]
    Io(String),
}

impl TransportError {
    /// Returns true when the request certainly did not reach the server.
    #[must_use]
    pub const fn certainly_not_sent(&self) -> bool {
        matches!(
            self,
            Self::Connect(_) | Self::Tls(_) | Self::CertificateMismatch { .. }
        )
    }
}

/// Something the machine wants done, returned by `Machine::poll_transmit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transmit {
    /// The transaction this transmit belongs to, if any.
    pub txn: Option<TxnId>,
    /// True when this request can move money: it is sent at most once per transaction and
    /// only after the transaction's persist event was drained.
    pub moves_money: bool,
    /// What to do.
    pub kind: TransmitKind,
}

impl Transmit {
    /// Builds a transmit that belongs to no transaction and moves no money.
    #[must_use]
    pub const fn plain(kind: TransmitKind) -> Self {
        Self {
            txn: None,
            moves_money: false,
            kind,
        }
    }

    /// Builds a transmit for a transaction that moves no money (a lookup, a cancel).
    #[must_use]
    pub const fn for_txn(txn: TxnId, kind: TransmitKind) -> Self {
        Self {
            txn: Some(txn),
            moves_money: false,
            kind,
        }
    }

    /// Builds the money-moving request of a transaction.
    #[must_use]
    pub const fn money(txn: TxnId, kind: TransmitKind) -> Self {
        Self {
            txn: Some(txn),
            moves_money: true,
            kind,
        }
    }
}

/// The kinds of [`Transmit`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TransmitKind {
    /// Open the machine's connection (WebSocket or serial) to `url`; report with
    /// [`Input::Connected`] or [`Input::ConnectFailed`].
    Connect {
        /// Where to, e.g. `ws://192.0.2.10:35779/`.
        url: String,
        /// Give up and report `ConnectFailed(Timeout)` after this long.
        timeout: Duration,
    },
    /// Close the machine's connection; report with [`Input::Disconnected`].
    Close,
    /// Send a WebSocket text message.
    Text(String),
    /// Send a WebSocket binary message.
    Binary(Vec<u8>),
    /// Send a WebSocket ping.
    Ping(Vec<u8>),
    /// Send an HTTP request; report with [`Input::HttpResponse`] or [`Input::HttpFailed`].
    Http {
        /// Echoed in the input that reports the result.
        id: RequestId,
        /// The request.
        request: HttpRequest,
        /// Report [`TransportError::Timeout`] if no response arrives within this long.
        timeout: Duration,
        /// How to trust the server's certificate for HTTPS.
        tls: TlsTrust,
    },
    /// Answer an inbound callback.
    CallbackReply {
        /// The id from [`Input::Callback`].
        id: CallbackId,
        /// The reply.
        response: HttpResponse,
    },
}

/// How an HTTPS client trusts the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum TlsTrust {
    /// The usual web PKI roots.
    #[default]
    WebPki,
    /// Only a certificate whose public key has this pin (self-signed terminals).
    Pinned(Fingerprint),
    /// Any certificate, reporting its fingerprint in [`Input::HttpResponse`] so that it can be
    /// pinned from then on (trust on first use).
    TrustOnFirstUse,
}

/// A public-key pin: the SHA-256 of the server certificate's DER-encoded
/// SubjectPublicKeyInfo.
///
/// Pinning the key rather than the whole certificate survives a certificate renewal that
/// keeps the key, and ignores dates and issuer, as self-signed terminals need.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Parses hex with or without `:` separators, any case.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, FingerprintError> {
        let hex: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
        if hex.len() != 64 {
            return Err(FingerprintError);
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(hex.chunks(2)) {
            let s = core::str::from_utf8(pair).map_err(|_| FingerprintError)?;
            *slot = u8::from_str_radix(s, 16).map_err(|_| FingerprintError)?;
        }
        Ok(Self(out))
    }
}

/// A fingerprint that is not 32 bytes of hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a fingerprint is 64 hex digits, optionally separated by ':'")]
pub struct FingerprintError;

impl TryFrom<String> for Fingerprint {
    type Error = FingerprintError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Fingerprint> for String {
    fn from(f: Fingerprint) -> Self {
        alloc::format!("{f}")
    }
}

impl fmt::Display for Fingerprint {
    /// Formats as colon-separated uppercase hex, as browsers show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_and_print() {
        let f = Fingerprint([0xab; 32]);
        let text = f.to_string();
        assert_eq!(Fingerprint::parse(&text).unwrap(), f);
        assert_eq!(Fingerprint::parse(&"ab".repeat(32)).unwrap(), f);
        assert!(Fingerprint::parse("ab:cd").is_err());
        assert!(Fingerprint::parse(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn only_connect_and_tls_failures_are_certainly_unsent() {
        assert!(TransportError::Connect("refused".into()).certainly_not_sent());
        assert!(!TransportError::Timeout.certainly_not_sent());
        assert!(!TransportError::Io("reset".into()).certainly_not_sent());
    }
}
