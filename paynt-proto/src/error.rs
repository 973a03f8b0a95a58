//! Error types of the Paynt crate.

use alloc::string::String;

/// Why a wire body could not be read (spec §11).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The body exceeds `max_body_bytes`.
    #[error("body of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not JSON.
    #[error("body is not JSON: {detail}")]
    NotJson {
        /// The parser's message.
        detail: String,
    },
    /// The body is JSON but not an object.
    #[error("body is not a JSON object")]
    NotObject,
    /// A required field is absent or empty.
    #[error("required field {field} is missing")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// A field is present but unreadable.
    #[error("field {field} is invalid: {reason}")]
    BadField {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// A configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The serial (`tid`) is not 1–32 ASCII letters or digits.
    #[error("serial {serial:?} must be 1-32 ASCII letters or digits")]
    BadSerial {
        /// The serial as given.
        serial: String,
    },
    /// The stored token is not 1–256 visible ASCII without whitespace.
    #[error("the stored token must be 1-256 visible ASCII characters")]
    BadToken,
    /// The host is empty or holds characters that cannot be in a URL authority.
    #[error("host {host:?} is not usable")]
    BadHost {
        /// The host as given.
        host: String,
    },
    /// The base path does not start with `/` or ends with `/`.
    #[error("base path {path:?} must start with '/' and not end with '/'")]
    BadBasePath {
        /// The path as given.
        path: String,
    },
    /// A timer is zero.
    #[error("timer {name} must be positive")]
    ZeroTimer {
        /// The timer's name.
        name: &'static str,
    },
    /// Plain HTTP was configured without the explicit opt-in.
    #[error("scheme http needs allow_plain_http (lab and loopback only)")]
    PlainHttpNotAllowed,
}

/// Why `decode` could not read a captured message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The kind is not one of `DECODE_KINDS`.
    #[error("unknown kind {kind:?}; known kinds: {known}")]
    UnknownKind {
        /// The kind as given.
        kind: String,
        /// The known kinds, comma-separated.
        known: String,
    },
    /// The body could not be read.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The status line prefix (`206 {...}`) is not a number.
    #[error("status {text:?} is not an HTTP status")]
    BadStatus {
        /// The text as given.
        text: String,
    },
}

/// Why a UTI or a reference is not acceptable (spec §9).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Empty.
    #[error("is empty")]
    Empty,
    /// Longer than allowed.
    #[error("is {len} bytes long, more than {max}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Holds a character the rule forbids.
    #[error("holds the forbidden character {found:?}")]
    Forbidden {
        /// The first forbidden character.
        found: char,
    },
}
