//! Vendor-neutral vocabulary and the sans-IO contract for card-terminal protocol machines.
//!
//! Four vendor crates (`codepay-proto`, `paynt-proto`, `interpay-proto`, `connect-proto`)
//! implement [`Machine`] over this vocabulary, so one runtime loop drives all of them.
//!
//! # The run loop
//!
//! A machine is pure: bytes and events in, actions out. It never performs I/O, never reads a
//! clock and never draws randomness of its own; `now` comes with every call, and identifiers
//! come from the seed it was built with. A runtime drives it like this:
//!
//! 1. **Mutate.** Call one command ([`Machine::start`], [`Machine::cancel`],
//!    [`Machine::answer`], [`Machine::resume`]) or one input ([`Machine::handle_input`],
//!    [`Machine::handle_timeout`]).
//! 2. **Drain.** Call [`Machine::poll_event`] until it returns `None`, journalling every
//!    [`Event::Persist`] durably before going on; then call [`Machine::poll_transmit`] until
//!    `None` and perform each [`Transmit`] (open a connection, send a frame, send an HTTP
//!    request, answer a callback), feeding each result back as an [`Input`].
//! 3. **Wait** until the next input arrives or the time [`Machine::poll_timeout`] returns,
//!    then go back to 1.
//!
//! ```
//! # use pos_core::*;
//! fn drive<M: Machine>(m: &mut M, now: Timestamp, journal: &mut Vec<PersistRecord>) -> Vec<Transmit> {
//!     while let Some(event) = m.poll_event() {
//!         if let Event::Persist(record) = event {
//!             journal.push(record); // durably, before anything is sent
//!         }
//!     }
//!     let mut out = Vec::new();
//!     while let Some(t) = m.poll_transmit() {
//!         out.push(t); // perform it, then feed the result back with handle_input
//!     }
//!     let _wake_at = m.poll_timeout();
//!     out
//! }
//! ```
//!
//! # Money safety
//!
//! * **Persist before send**: a money request follows its [`Event::Persist`]; [`Outbox`]
//!   holds it back until that event was drained.
//! * **Never replay money**: a request that may have reached the terminal is never sent again.
//! * **Unknown is a state**: lost replies and timeouts lead to the vendor's lookup, and only
//!   then to [`Outcome::Unknown`].
//! * **Exactly one [`Event::Finished`]** per started transaction.
//! * **One transaction at a time** per terminal: [`CommandError::Busy`].
//! * **Every wait has a deadline** owned by the machine.
//!
//! # Features
//!
//! * `std` (default): conversions to the `http` crate's types and `std::error::Error`.
//!   Without it the crate is `#![no_std]` with `alloc`.
//! * `testing`: the pair harness ([`testing`]) for vendor crates' tests.
#![cfg_attr(not(test), no_std)]
#![deny(clippy::float_arithmetic)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod event;
pub mod http;
pub mod ids;
pub mod io;
pub mod machine;
pub mod money;
pub mod operation;
pub mod outbox;
pub mod outcome;
pub mod persist;
pub mod secret;
pub mod sim;
pub mod time;
pub mod timer;

#[cfg(feature = "testing")]
pub mod testing;

pub use event::{Answer, Event, Notice, Progress, Question, Report, Stage};
pub use http::{Headers, HttpRequest, HttpResponse, Method};
pub use ids::{CallbackId, IdGen, RequestId, TxnId};
pub use io::{Fingerprint, Input, TlsTrust, Transmit, TransmitKind, TransportError};
pub use machine::{CommandError, Machine};
pub use money::{Currency, Money, MoneyError};
pub use operation::{Capabilities, Operation, OperationKind, ReportKind};
pub use outbox::Outbox;
pub use outcome::{
    Approval, Cancellation, CancelledBy, Decline, MaskedCard, Outcome, OutcomeClass, Receipt,
    References, RejectReason, Rejection, UnknownReason, Unresolved,
};
pub use persist::PersistRecord;
pub use secret::Secret;
pub use sim::{Scenario, SimInput, SimTransmit, Simulator, Truth};
pub use time::{Timestamp, WallClock};
pub use timer::Timers;
