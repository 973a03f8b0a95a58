//! Exit codes and the CLI's error type: every failure is one line and one code.

use std::process::ExitCode;

use pos_core::OutcomeClass;

/// The process exit codes, stable for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Approved, or the command succeeded.
    Ok = 0,
    /// Declined by the issuer, or cancelled.
    DeclinedOrCancelled = 1,
    /// Bad input, missing configuration or an unreachable endpoint: nothing was charged.
    Usage = 2,
    /// The terminal refused the request before the card flow: nothing was charged.
    Rejected = 3,
    /// The outcome is unknown: reconcile by hand with the printed references.
    Unknown = 4,
    /// The demo found an outcome other than the scenario table's, or an internal failure.
    Failure = 5,
}

impl Exit {
    /// Returns the exit code for a transaction's outcome.
    pub(crate) const fn for_outcome(class: OutcomeClass) -> Self {
        match class {
            OutcomeClass::Approved => Self::Ok,
            OutcomeClass::Declined | OutcomeClass::Cancelled => Self::DeclinedOrCancelled,
            OutcomeClass::Rejected => Self::Rejected,
            OutcomeClass::Unknown => Self::Unknown,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}

/// A failure of the command itself (not a transaction's outcome).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Bad input or configuration; nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// The wait ended before the outcome was known: reconcile or resume.
    #[error("{0}")]
    Unknown(String),
    /// Something failed that is not the user's input.
    #[error("{0}")]
    Failure(String),
}

impl CliError {
    /// Builds a usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    /// Builds an internal failure.
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self::Failure(message.into())
    }

    /// Returns the exit code.
    pub(crate) const fn exit(&self) -> Exit {
        match self {
            Self::Usage(_) => Exit::Usage,
            Self::Unknown(_) => Exit::Unknown,
            Self::Failure(_) => Exit::Failure,
        }
    }
}
