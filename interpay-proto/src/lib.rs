//! Sans-IO POS side of the InterPay (SportsPay) Terminal Payment API, and its gateway +
//! terminal simulator. The wire protocol is `shared/specs/interpay.md`; section numbers
//! below (§) refer to it.
//!
//! # The run loop
//!
//! [`InterpayMachine`] implements [`pos_core::Machine`]. A runtime:
//!
//! 1. calls one command (`start`, `cancel`, `resume`) or input (`handle_input`,
//!    `handle_timeout`) with `now`;
//! 2. drains `poll_event` until `None`, journalling every `Event::Persist` durably (it
//!    precedes the StartSession it protects and carries the callback token as a secret), then
//!    drains `poll_transmit`: HTTP requests (StartSession, GetResult, Ack as POST JSON; cancel
//!    as GET of the CANCELURL) and `CallbackReply`s;
//! 3. waits for the next input or `poll_timeout`.
//!
//! Inbound callbacks arrive as `Input::Callback { id, request }` with the path and query as
//! received. [`pos_core::Machine::accepts_callback`] tells a shared listener whether a
//! request's path (callback base + this machine's secret token) belongs to this machine. The
//! reply (`200`, `400`, `404`, `405`, `413`, empty body, §5.5) is queued after the events the
//! callback caused, so a runtime that journals events before sending transmits records the
//! result before the gateway hears `200`.
//!
//! # Time rules (§11)
//!
//! Time enters only through `now`. Each HTTP exchange has the runtime's timeout (default
//! 30 s) plus the machine's own deadline 5 s later. After `0000` the machine waits
//! `CallbackDeadline` (300 s) for the callback, then recovers (§7): one GetResult, a cancel
//! only if that found nothing, `CancelGrace` (20 s), a second GetResult, then `Unknown`. It
//! never polls. An approval without `ACK=Y` is acknowledged once within `AckDeadline`
//! (150 s). Finished sessions answer late callbacks for `Retention` (24 h).
//!
//! # Money safety
//!
//! StartSession is the only money request; it is sent once per transaction. The only
//! resend is the byte-identical body (same REQUESTID) to the secondary gateway after a
//! retry-class reply or a transport failure (§4.3), which the gateway's duplicate check
//! makes harmless. A lost reply makes the session `Indeterminate`, settled only by a callback
//! carrying its token, else `Unknown`. Cancel is a request, never an outcome (§8); an
//! approval after a cancel is confirmed before it is reported.
//!
//! # Features
//!
//! * `std` (default): `std::error::Error` for the errors. Without it the crate is `no_std`
//!   with `alloc`.
//! * `fuzzing`: the `fuzzing` module of fuzz bodies for `cargo fuzz` and the corpus replay test.
//!
//! # Example
//!
//! ```
//! use interpay_proto::sim::{InterpaySim, SimConfig};
//! use interpay_proto::{Config, Endpoints, InterpayMachine};
//! use pos_core::{Currency, IdGen, Machine, Money, Operation, Timestamp, WallClock};
//!
//! let config = Config {
//!     endpoints: Endpoints { primary: "https://gw.example/api".into(), secondary: None },
//!     termid: "QK7R2M4P".into(),
//!     pass: "example-pass".into(),
//!     deviceid: "FRONTDESK-2".into(),
//!     callback_base: "https://pos.example.net/ipcb/".into(),
//!     ..Config::default()
//! };
//! let wall = WallClock::new(1_778_336_000_000);
//! let mut pos = InterpayMachine::new(config, IdGen::from_seed(1), wall).unwrap();
//! let mut gateway = InterpaySim::new(SimConfig::default(), IdGen::from_seed(2), wall);
//! let amount = Money::from_minor(4275, Currency::CAD).unwrap();
//! let now = Timestamp::ZERO;
//! let txn = pos
//!     .start(now, Operation::Sale { amount, tip: None, cashback: None, reference: None })
//!     .unwrap();
//! assert!(matches!(pos.poll_event(), Some(pos_core::Event::Persist(_)))); // journal it first
//! let request = pos.poll_transmit().unwrap();
//! assert!(request.moves_money);
//! # let _ = (txn, &mut gateway);
//! ```
//!
//! The pair harness (`pos_core::testing::Pair`) drives a machine and [`sim::InterpaySim`]
//! together on a virtual clock; see this crate's `tests/`.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod codec;
mod decode;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod machine;
pub mod message;
pub mod receipt;
pub mod sim;
pub mod timer;

pub use decode::{DECODE_KINDS, decode};
pub use error::{CodecError, ConfigError, DecodeError};
pub use machine::{Config, Endpoints, InterpayMachine, Lang};
