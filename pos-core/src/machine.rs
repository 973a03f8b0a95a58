//! The sans-IO contract every vendor machine implements.

use alloc::string::String;

use crate::event::{Answer, Event};
use crate::http::HttpRequest;
use crate::ids::TxnId;
use crate::io::{Input, Transmit};
use crate::money::MoneyError;
use crate::operation::{Capabilities, Operation, OperationKind};
use crate::persist::PersistRecord;
use crate::time::Timestamp;

/// A POS-side protocol machine for one terminal (or one cloud account).
///
/// # The run loop
///
/// 1. Mutate: call one command (`start`, `cancel`, `answer`, `resume`) or one input
///    (`handle_input`, `handle_timeout`) with the current time.
/// 2. Drain: call `poll_event` until `None` (journal each [`Event::Persist`] durably as it
///    comes), then `poll_transmit` until `None`, performing each transmit.
/// 3. Wait: until the next input arrives or `poll_timeout` passes, then go to 1.
///
/// Machines never perform I/O, read a clock or draw randomness of their own. A command that
/// cannot be taken now is refused with a [`CommandError`] and changes nothing.
pub trait Machine {
    /// Returns the vendor's name as written in persist records, e.g. `"codepay"`.
    fn vendor(&self) -> &'static str;

    /// Returns the operations this machine supports, as configured.
    fn capabilities(&self) -> Capabilities;

    /// Starts an operation and returns its id.
    ///
    /// Emits a [`Event::Persist`] before any money-moving transmit.
    ///
    /// # Errors
    /// Refuses with a [`CommandError`] (busy, unsupported, invalid amount or reference …) and
    /// changes nothing.
    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError>;

    /// Asks the terminal to cancel a transaction in flight. The outcome arrives later as
    /// [`Event::Finished`]; an approval that wins the race still ends `Approved`.
    ///
    /// # Errors
    /// `UnknownTransaction`, `NothingToCancel` when the transaction cannot be cancelled now.
    fn cancel(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError>;

    /// Answers a [`crate::Question`] the terminal asked.
    ///
    /// # Errors
    /// `NoQuestionPending` when the transaction has no open question.
    fn answer(&mut self, now: Timestamp, txn: TxnId, answer: Answer) -> Result<(), CommandError>;

    /// Takes over a transaction from a persist record written before a crash, and runs the
    /// vendor's recovery until it ends with its true outcome or `Unknown`. Never re-sends a
    /// money request that may have been sent.
    ///
    /// # Errors
    /// `InvalidRecord` for another vendor's or a malformed record, `Busy` when a transaction
    /// is already in flight.
    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError>;

    /// Feeds something that happened in the world.
    fn handle_input(&mut self, now: Timestamp, input: Input);

    /// Lets timers fire. Early or repeated calls are harmless no-ops.
    fn handle_timeout(&mut self, now: Timestamp);

    /// Returns the next thing to do, or `None`.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<Transmit>;

    /// Returns the next event, or `None`.
    #[must_use]
    fn poll_event(&mut self) -> Option<Event>;

    /// Returns when `handle_timeout` should next be called, or `None` when nothing waits.
    #[must_use]
    fn poll_timeout(&self) -> Option<Timestamp>;

    /// Returns true when an inbound callback request belongs to this machine, so a runtime
    /// serving many machines on one listener can route it.
    fn accepts_callback(&self, _request: &HttpRequest) -> bool {
        false
    }
}

/// Why a command was refused. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A transaction is already in flight on this terminal.
    #[error("a transaction is already in flight")]
    Busy,
    /// A transaction is being recovered; wait for its outcome.
    #[error("a transaction is being recovered")]
    RecoveryPending,
    /// The terminal is not connected.
    #[error("the terminal is not connected")]
    NotConnected,
    /// The POS has no credential for the terminal yet (pair first).
    #[error("not paired with the terminal")]
    NotPaired,
    /// The vendor or this configuration does not support the operation.
    #[error("{kind} is not supported")]
    Unsupported {
        /// The operation's kind.
        kind: OperationKind,
    },
    /// An amount is invalid for the vendor.
    #[error("invalid amount: {0}")]
    InvalidAmount(#[from] MoneyError),
    /// An amount is valid money but outside what this vendor or operation accepts.
    #[error("amount not accepted: {reason}")]
    AmountNotAccepted {
        /// Why.
        reason: String,
    },
    /// A reference breaks the vendor's rules.
    #[error("invalid reference {reference:?}: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// Another argument is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: String,
        /// Why.
        reason: String,
    },
    /// No transaction with this id is in flight.
    #[error("unknown transaction {txn}")]
    UnknownTransaction {
        /// The id.
        txn: TxnId,
    },
    /// The transaction cannot be cancelled in its current state.
    #[error("nothing to cancel")]
    NothingToCancel,
    /// The transaction has no open question.
    #[error("no question is pending")]
    NoQuestionPending,
    /// The persist record cannot be resumed by this machine.
    #[error("cannot resume: {reason}")]
    InvalidRecord {
        /// Why.
        reason: String,
    },
}
