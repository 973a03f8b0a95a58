//! The runtime's errors.

use pos_core::{CommandError, TxnId};

use crate::persist::PersistError;

/// Why a driver call failed. Declines, timeouts and lost connections are outcomes, not
/// errors: these are about the command or the journal.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The machine refused the command; nothing changed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The persist sink failed: nothing more is sent until [`crate::Driver::retry_persist`]
    /// succeeds.
    #[error("journal failed for {txn}: {error}")]
    Persist {
        /// The transaction whose record could not be stored.
        txn: TxnId,
        /// The sink's error.
        error: PersistError,
    },
    /// The wait ended before the transaction finished.
    #[error("gave up waiting for {txn}")]
    Deadline {
        /// The transaction.
        txn: TxnId,
    },
    /// The driver is gone (for a [`crate::DriverHandle`]).
    #[error("the driver is not running")]
    NotRunning,
}

/// Why a server or listener could not start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot bind: {0}")]
    Bind(String),
    /// The TLS certificate could not be made.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}
