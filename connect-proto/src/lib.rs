//! Sans-IO POS side and cloud simulator for **Paymentsense Connect, Pay-at-Counter REST v2**.
//!
//! The wire protocol is `shared/specs/connect.md` (section numbers below refer to it); the
//! architecture and money-safety rules are `shared/DESIGN.md`. Pay-at-Table is out of scope.
//!
//! * [`ConnectMachine`] implements [`pos_core::Machine`] for one Connect host and one terminal
//!   (`Config::tid`): SALE (with cashback when `cashback_enabled`), REFUND, PRE_AUTH,
//!   COMPLETION (`original` = `"AUTHCODE"` or `"AUTHCODE/PREAUTH_TOTAL_MINOR"`),
//!   ACCOUNT_VERIFICATION, DUPLICATE ([`pos_core::Operation::ReprintLast`]), the four reports
//!   ([`pos_core::Operation::Report`]; `BatchClose` is END_OF_DAY), terminal lists and
//!   [`pos_core::Operation::Lookup`] by `requestId` (§3, §4, §8).
//! * [`sim::ConnectSim`] implements [`pos_core::Simulator`]: the cloud and its PDQs (§14).
//! * [`decode`] turns a captured body into what the machine would conclude, for `pos decode`.
//!
//! # The run loop
//!
//! Call a command or feed an input, then drain `poll_event` (journal every
//! [`pos_core::Event::Persist`] before sending anything), then drain `poll_transmit` and
//! perform each [`pos_core::TransmitKind::Http`] (never following redirects), feeding back
//! [`pos_core::Input::HttpResponse`] or [`pos_core::Input::HttpFailed`] (`Connect`/`Tls`
//! when no byte left, `Timeout`/`Io` otherwise), then sleep until `poll_timeout`.
//!
//! A sale is: persist intent → `POST /pac/terminals/{tid}/transactions` → 201 with a
//! `requestId` → persist reference → `GET …/{requestId}` every poll interval; new
//! notifications become [`pos_core::Event::Progress`] exactly once (§7), a
//! `SIGNATURE_VERIFICATION` becomes a [`pos_core::Question::SignatureCheck`] answered with
//! `answer` (PUT, §8.2), `cancel` sends a DELETE (§8.3), and `TRANSACTION_FINISHED` with a
//! result ends it (§6). A lost POST reply is never re-POSTed: recovery checks the terminal
//! and ends `Unknown` with an operator hint (§8.4, §8.5).
//!
//! # Time rules (§2, §10)
//!
//! * Never two requests to the host less than `min_request_gap_ms` (≥ 100 ms) apart, across
//!   polls, cancels, signature answers and operations; priority signature, cancel, POST,
//!   poll, terminal check.
//! * Poll interval 1 s (0.5–2 s); response deadline 15 s; transaction deadline 240 s (420 s
//!   CNP); signature window 80 s (locally 80 s − poll − 2 s); recovery window 120 s; report
//!   deadline 300 s; GET backoff 1, 2, 4, 8, 10 s honouring `Retry-After` up to 30 s.
//! * `poll_timeout` is never at or before `now`; spurious `handle_timeout` calls do nothing.
//!
//! # Features
//!
//! * `std` (default): `std` support in the dependencies. Without it the crate is `no_std` +
//!   `alloc`.
//! * `fuzzing`: the `fuzzing` module's bodies for `fuzz/` and the corpus replay test.
//!
//! # Example
//!
//! ```
//! use connect_proto::{Config, ConnectMachine};
//! use pos_core::{Currency, Event, IdGen, Machine, Money, Operation, Timestamp, TransmitKind, WallClock};
//!
//! let wall = WallClock::new(1_767_225_600_000);
//! let mut m = ConnectMachine::new(Config::default(), IdGen::from_seed(1), wall).unwrap();
//! let now = Timestamp::ZERO;
//! let amount = Money::from_minor(1250, Currency::GBP).unwrap();
//! let txn = m
//!     .start(now, Operation::Sale { amount, tip: None, cashback: None, reference: None })
//!     .unwrap();
//! // Journal the intent first ...
//! assert!(matches!(m.poll_event(), Some(Event::Persist(r)) if r.txn == txn));
//! // ... then send the POST.
//! let t = m.poll_transmit().unwrap();
//! assert!(t.moves_money);
//! let TransmitKind::Http { request, .. } = t.kind else { unreachable!() };
//! assert!(request.url.ends_with("/pac/terminals/40917263/transactions"));
//! assert_eq!(request.body, br#"{"transactionType":"SALE","amount":1250,"currency":"GBP"}"#);
//! ```
//!
//! With the simulator, `pos_core::testing::Pair::new(machine, ConnectSim::new(SimConfig::default(),
//! ids, wall), PairConfig::default())` runs the same sale to its outcome on a virtual clock.
#![cfg_attr(not(test), no_std)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
mod decode;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod machine;
pub mod message;
pub mod notify;
pub mod sim;
pub mod timer;

pub use decode::{DECODE_KINDS, decode};
pub use error::{ConfigError, DecodeError};
pub use machine::{Config, ConnectMachine, Host};
