//! Error types of the crate: configuration, message decoding and serial framing.

use alloc::string::String;

/// Why a [`crate::Config`] cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `app_id` must be 1–64 printable ASCII characters (spec §3.1).
    #[error("app_id must be 1-64 printable ASCII characters, got {len} characters")]
    AppId {
        /// The length given.
        len: usize,
    },
    /// The order-number prefix must be 0–10 ASCII letters or digits (spec §9).
    #[error("order_prefix must be 0-10 ASCII letters or digits: {prefix:?}")]
    OrderPrefix {
        /// The prefix given.
        prefix: String,
    },
    /// `expires_secs` must lie in 30–3600 (spec §5.1).
    #[error("expires_secs must lie in 30..=3600, got {value}")]
    Expires {
        /// The value given.
        value: u32,
    },
    /// A host or path cannot form a `ws://` URL.
    #[error("invalid endpoint: {reason}")]
    Endpoint {
        /// Why.
        reason: String,
    },
    /// A timer is zero or out of order.
    #[error("invalid timer {name}: {reason}")]
    Timer {
        /// The field name.
        name: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// `pay_scenario` is not one of the documented values (spec §7.4).
    #[error("unknown pay_scenario {value:?}")]
    PayScenario {
        /// The value given.
        value: String,
    },
}

/// Why a captured message could not be decoded (see [`crate::decode`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not UTF-8.
    #[error("not UTF-8 at byte {valid_up_to}")]
    NotUtf8 {
        /// How many leading bytes were valid.
        valid_up_to: usize,
    },
    /// The text is not JSON.
    #[error("not JSON: {reason}")]
    NotJson {
        /// The parser's message.
        reason: String,
    },
    /// The JSON is valid but not an object.
    #[error("JSON is a {found}, not an object")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// A field has a type the protocol does not allow.
    #[error("field {field} has the wrong type: {found}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A field needed for this kind of message is missing.
    #[error("missing field {field}")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// The `kind` argument of [`crate::decode`] is not one of [`crate::DECODE_KINDS`].
    #[error("unknown kind {kind:?}; expected one of {expected}")]
    UnknownKind {
        /// The kind given.
        kind: String,
        /// The accepted kinds, comma-separated.
        expected: String,
    },
    /// A serial frame is malformed.
    #[error("serial frame: {0}")]
    Frame(#[from] CodecError),
    /// The message is a request, where a response was expected (or the reverse).
    #[error("unexpected message: {reason}")]
    Unexpected {
        /// Why.
        reason: String,
    },
}

/// Why bytes on the serial line are not a frame (spec §12.4).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The bytes do not start with `55 AA`.
    #[error("no start marker 55 AA")]
    NoStart,
    /// The frame type is not 0, 1 or 2.
    #[error("unknown frame type {0:#04x}")]
    BadType(u8),
    /// The XOR checksum does not match.
    #[error("checksum {found:#04x}, expected {expected:#04x}")]
    BadChecksum {
        /// The checksum in the frame.
        found: u8,
        /// The checksum of the content.
        expected: u8,
    },
    /// The frame does not end with `CC 33`.
    #[error("no end marker CC 33")]
    BadEnd,
    /// The declared data length exceeds the limit.
    #[error("data length {len} exceeds the limit {max}")]
    TooLong {
        /// The declared length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A data frame with ID 0, or a control frame with data or an ID.
    #[error("inconsistent header: {reason}")]
    BadHeader {
        /// Why.
        reason: &'static str,
    },
}

/// Why a payload cannot be sent on the serial link.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SerialError {
    /// The payload is larger than one frame may carry (1014 bytes, spec §12.2).
    #[error("payload of {len} bytes exceeds {max}")]
    TooLarge {
        /// The payload's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The payload is empty; a data frame carries at least one byte.
    #[error("empty payload")]
    Empty,
    /// The link is not up (no handshake confirmation yet).
    #[error("serial link is down")]
    LinkDown,
    /// A data frame is still waiting for its ACK.
    #[error("a data frame is still unacknowledged")]
    Busy,
}
