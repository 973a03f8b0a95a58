//! Sans-IO Paynt EPOS API: the POS-side machine and the terminal simulator.
//!
//! The wire protocol is `specs/paynt.md` of the project (section numbers below refer to it):
//! pairing (§3), `POST /transaction` to start (§4), `GET /transaction?uti=` to poll (§5),
//! receipts (§6), `DELETE` to cancel (§7), status mapping and reconciliation (§8),
//! identifiers and amounts (§9), timers (§10), lenient parsing (§11), the simulator (§12).
//!
//! # The run loop for this vendor
//!
//! [`PayntMachine`] implements [`pos_core::Machine`]. The terminal is an HTTPS server on the
//! LAN; the machine emits each request as [`pos_core::TransmitKind::Http`] with a request id,
//! a timeout and a [`pos_core::TlsTrust`]: `TrustOnFirstUse` for `/pair` and until a
//! fingerprint is known, `Pinned` afterwards. The runtime performs it and feeds back
//! `Input::HttpResponse` (with the peer certificate's fingerprint) or `Input::HttpFailed`.
//! There is never more than one request in flight. A sale goes:
//!
//! 1. `start(Sale)` emits `Event::Persist` (the reference), then the money POST.
//! 2. The reply carries the terminal's UTI: a second `Persist` with the UTI as `primary`.
//! 3. `GET` by UTI every second (first after 500 ms) until a final body; `Finished`.
//!
//! Pairing is `start(Operation::Pair { code })` (or [`PayntMachine::pair`]); it emits
//! `Notice::Credential { name: "paynt_token" }` and, on first use, `Notice::TrustCertificate`
//! for the POS to store in [`Config::token`] and [`Config::pinned_fingerprint`]. A lookup of
//! any UTI is `start(Operation::Lookup { original: uti })` (or [`PayntMachine::query`]).
//!
//! # Time rules
//!
//! Every wait has a deadline the machine owns (§10): `/pair` 10 s, POST 15 s, GET/DELETE
//! 10 s, polling 180 s after the POST reply, backoff `min(1 s × 2^k, 5 s)` after k transient
//! errors. A POST whose reply is lost is never re-sent: the outcome is `Unknown` with the
//! `reference`; after the deadline it is `Unknown` with the UTI, and `query` tells later.
//!
//! # Features
//!
//! * `std` (default): without it the crate is `#![no_std]` with `alloc`.
//! * `fuzzing`: the `fuzzing` module, bodies for `cargo fuzz` (pulls in pos-core's pair harness).
//!
//! # Example: a sale through the pair harness
//!
//! ```
//! use paynt_proto::sim::{PayntSim, SimConfig};
//! use paynt_proto::{Config, PayntMachine};
//! use pos_core::testing::{Pair, PairConfig};
//! use pos_core::{Currency, IdGen, Money, Operation, OutcomeClass, Secret, WallClock};
//!
//! let wall = WallClock::new(1_749_891_600_000);
//! let token = "5820337719046612";
//! let config = Config { token: Some(Secret::new(token.into())), ..Config::default() };
//! let sim = SimConfig { token: Some(token.into()), ..SimConfig::default() };
//! let machine = PayntMachine::new(config, IdGen::from_seed(1), wall).unwrap();
//! let mut pair = Pair::new(machine, PayntSim::new(sim, IdGen::from_seed(2), wall), PairConfig::default());
//! let amount = Money::from_minor(2450, Currency::EUR).unwrap();
//! let txn = pair
//!     .start(Operation::Sale { amount, tip: None, cashback: None, reference: None })
//!     .unwrap();
//! assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
//! ```
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod codec;
pub mod config;
mod decode;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod ident;
pub mod machine;
pub mod message;
pub mod sim;
pub mod timer;

pub use config::{AuthScheme, Config, Scheme, TimerConfig};
pub use decode::{DECODE_KINDS, decode};
pub use error::{CodecError, ConfigError, DecodeError, IdError};
pub use ident::ReferencePolicy;
pub use machine::{
    CAPABILITIES, PayntMachine, ResumeData, TOKEN_CREDENTIAL, VENDOR, is_retry_safe,
};
pub use sim::{PayntSim, SimConfig};
