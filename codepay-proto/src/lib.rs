//! Sans-IO protocol machine, terminal simulator and serial framer for CodePay ECR Hub (G2)
//! terminals. The wire protocol is `shared/specs/codepay.md`; section numbers (§) below refer
//! to it.
//!
//! # The run loop for this vendor
//!
//! [`CodepayMachine`] implements [`pos_core::Machine`] over WebSocket text messages (§2):
//!
//! 1. **Construction** queues a `Transmit::Connect` to `ws://<host>:35779/`. The runtime opens
//!    it and reports `Input::Connected` (or `Input::ConnectFailed`). The machine reconnects
//!    **by itself** after link loss, with its own timer (1 s doubling to 30 s, §2.5), so a
//!    runtime holds no vendor logic.
//! 2. **Commands** (`start`, `cancel`, `resume`) are taken only while connected; otherwise
//!    `CommandError::NotConnected`. One transaction at a time: `Busy` (or `RecoveryPending`).
//! 3. **Drain** `poll_event` (journal each `Event::Persist` durably) before `poll_transmit`.
//!    The order frame is a money transmit held back until its persist record was drained.
//! 4. **Inputs**: `Text`/`Binary` (both decoded as UTF-8 JSON), `Pong`, `Connected`,
//!    `Disconnected`. Call `handle_timeout` at `poll_timeout`.
//!
//! # Time rules (§10)
//!
//! All deadlines are the machine's own and come from [`Config`]: ping every 15 s, link lost
//! after 20 s without a pong or message; result deadline `expires` (120 s) + 60 s;
//! `reconnect_grace` 5 s for a re-delivered result; close deadline 60 s, close grace 5 s;
//! query and admin deadlines 60 s, batch close 180 s; recovery backoff 5 s doubling to 30 s,
//! recovery cap 10 min. A result that does not arrive leads to recovery (§8.5): one
//! `ecrhub.pay.close`, then `ecrhub.pay.query` with backoff until the truth or the cap, then
//! `Outcome::Unknown` carrying the `merchant_order_no`. The order is **never** re-sent.
//!
//! # Modules
//!
//! * [`message`], [`codec`]: the envelope, lenient parsing (§11), classification (§7), and
//!   [`decode`] for `pos decode`.
//! * [`sim`]: the terminal simulator (§13), itself sans-IO.
//! * [`serial`]: the USB/serial framer and link procedure (§12), `no_std`.
//! * `fuzzing` (feature `fuzzing`): fuzz bodies.
//!
//! # Features
//!
//! * `std` (default): `std` support in pos-core. Without it the crate is `#![no_std]` + alloc.
//! * `fuzzing`: [`fuzzing`](crate) bodies for `fuzz/`, with the pair harness.
//!
//! # Example: a sale by hand
//!
//! ```
//! use codepay_proto::{CodepayMachine, Config};
//! use pos_core::{Currency, Event, IdGen, Input, Machine, Money, Operation, Timestamp, TransmitKind, WallClock};
//!
//! let config = Config::new("192.0.2.10", "wz0123456789abcdef");
//! let mut m = CodepayMachine::new(config, IdGen::from_seed(7), WallClock::new(1_767_264_120_000)).unwrap();
//! assert!(matches!(m.poll_transmit().unwrap().kind, TransmitKind::Connect { .. }));
//! m.handle_input(Timestamp::from_millis(10), Input::Connected);
//! let sale = Operation::Sale {
//!     amount: Money::from_minor(2340, Currency::USD).unwrap(),
//!     tip: None, cashback: None, reference: None,
//! };
//! let txn = m.start(Timestamp::from_millis(20), sale).unwrap();
//! let mut order = None;
//! while let Some(e) = m.poll_event() {
//!     if let Event::Persist(record) = e { /* journal it durably here */ let _ = record; }
//! }
//! while let Some(t) = m.poll_transmit() {
//!     if let TransmitKind::Text(json) = t.kind { order = Some(json); }
//! }
//! let order = order.unwrap();
//! assert!(order.contains(r#""order_amount":"23.40""#));
//! // The terminal's answer, as the runtime would feed it back:
//! let v: serde_json::Value = serde_json::from_str(&order).unwrap();
//! let reply = serde_json::json!({
//!     "topic": "ecrhub.pay.order", "app_id": "wz0123456789abcdef",
//!     "request_id": v["request_id"], "response_code": "000",
//!     "biz_data": {"merchant_order_no": v["biz_data"]["merchant_order_no"], "trans_type": "1",
//!                  "trans_status": "2", "order_amount": "23.40", "price_currency": "USD"}
//! });
//! m.handle_input(Timestamp::from_millis(3_000), Input::Text(reply.to_string()));
//! let finished = core::iter::from_fn(|| m.poll_event())
//!     .find_map(|e| match e { Event::Finished { txn: t, outcome } if t == txn => Some(outcome), _ => None });
//! assert_eq!(finished.unwrap().class(), pos_core::OutcomeClass::Approved);
//! ```
//!
//! Through the pair harness (`pos_core::testing`), the same sale against [`sim::CodepaySim`]
//! is `Pair::new(machine, sim, PairConfig::default())`, `pair.run_for(10 ms)` to connect,
//! `pair.start(sale)` and `pair.run_until_finished(txn)`; see `tests/scenarios.rs`.
#![cfg_attr(not(test), no_std)]
#![deny(clippy::float_arithmetic)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
mod config;
mod error;
mod machine;
pub mod message;
pub mod serial;
pub mod sim;
mod timer;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

pub use codec::{DECODE_KINDS, decode};
pub use config::Config;
pub use error::{CodecError, ConfigError, DecodeError, SerialError};
pub use machine::{CodepayMachine, VENDOR};
pub use timer::TimerKind;
