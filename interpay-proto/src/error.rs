//! Error types of the crate: configuration, codec and `decode` errors.

use alloc::string::String;

/// Why a [`crate::Config`] was refused by [`crate::InterpayMachine::new`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field breaks its format rule (spec §3, §5.1, §11).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The configuration field.
        field: &'static str,
        /// Which rule it breaks.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Why a body could not be decoded (spec §2.2–§2.4, §5.2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The body is not valid UTF-8.
    #[error("the body is not UTF-8")]
    NotUtf8,
    /// The body looks like JSON but does not parse.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The JSON body is not one flat object.
    #[error("the JSON body is not an object")]
    NotAnObject,
    /// The body is empty.
    #[error("the body is empty")]
    Empty,
}

/// Why [`crate::decode`] could not interpret a captured message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The kind is not one of [`crate::DECODE_KINDS`].
    #[error("unknown kind {kind:?}; expected one of {expected}")]
    UnknownKind {
        /// The kind as given.
        kind: String,
        /// The accepted kinds, comma-separated.
        expected: String,
    },
    /// The bytes do not parse in the kind's wire format.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A field the kind requires is missing.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A field has a value the spec does not allow.
    #[error("invalid {field}: {value:?}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// The value as received.
        value: String,
    },
}
