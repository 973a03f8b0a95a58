//! The crate's error types.

use alloc::string::String;

/// Why a Connect body could not be read at all (a bad optional field is only a warning).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is empty after trimming whitespace and a BOM.
    #[error("the body is empty")]
    Empty,
    /// The body is over the 1 MiB limit.
    #[error("the body is {len} bytes, over the 1 MiB limit")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// The body is not JSON.
    #[error("the body is not JSON: {detail}")]
    Json {
        /// The parser's message.
        detail: String,
    },
    /// The body is JSON but not an object.
    #[error("the body is not a JSON object")]
    NotAnObject,
    /// A required field is missing.
    #[error("the required field {name} is missing")]
    MissingField {
        /// The field's name.
        name: &'static str,
    },
    /// `decode` was given a kind it does not know.
    #[error("unknown kind {kind:?}; known kinds: {known}")]
    UnknownKind {
        /// The kind asked for.
        kind: String,
        /// The known kinds, comma-separated.
        known: String,
    },
}

/// Why a [`crate::Config`] was refused by [`crate::ConnectMachine::new`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The account is not `[a-z0-9-]{1,63}` without a hyphen at either end.
    #[error("invalid account {account:?}: [a-z0-9-]{{1,63}}, no hyphen at either end")]
    BadAccount {
        /// The account as given.
        account: String,
    },
    /// A custom host has a scheme other than https (or http without the opt-in) or an
    /// invalid authority.
    #[error("invalid custom host: {reason}")]
    BadHost {
        /// Why.
        reason: String,
    },
    /// The API key is empty or holds control characters.
    #[error("the API key is empty or holds control characters")]
    BadApiKey,
    /// The Basic-auth username holds `:` or control characters.
    #[error("the username may not hold ':' or control characters")]
    BadUsername,
    /// A partner id is not 1–64 visible ASCII characters.
    #[error("{which} must be 1-64 visible ASCII characters")]
    BadPartnerId {
        /// `Software-House-Id` or `Installer-Id`.
        which: &'static str,
    },
    /// The terminal id is not 1–32 characters without `/?#` or control characters.
    #[error("invalid terminal id {tid:?}")]
    BadTid {
        /// The id as given.
        tid: String,
    },
    /// A duration is outside its allowed range.
    #[error("{name} is {ms} ms, allowed {min}..={max} ms")]
    OutOfRange {
        /// The setting.
        name: &'static str,
        /// The value given.
        ms: u64,
        /// The lowest allowed.
        min: u64,
        /// The highest allowed.
        max: u64,
    },
    /// The Accept type is not a Connect v2 media type.
    #[error("the Accept type must be application/connect.v2+json")]
    BadAccept,
}
