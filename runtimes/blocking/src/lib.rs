//! The blocking runtime: drives any [`pos_core::Machine`] on std threads and blocking
//! sockets, and serves any [`pos_core::Simulator`] on real sockets.
//!
//! The runtime owns the sockets, TLS, the HTTP client, the callback listener, the clock, the
//! seed and the journal hook — and no vendor logic. One [`Driver`] loop runs every vendor:
//!
//! 1. a command ([`Driver::start`], [`Driver::cancel`], [`Driver::answer`],
//!    [`Driver::resume`]) or an input from a transport thread mutates the machine;
//! 2. events are drained, each [`pos_core::Event::Persist`] journalled in the
//!    [`PersistSink`] **before** any transmit is performed (a failing sink stops every send
//!    and surfaces as [`DriverError::Persist`]);
//! 3. transmits are performed: WebSocket frames on the connection thread, HTTP requests on a
//!    thread each (with the transmit's timeout as a hard deadline), callback replies on the
//!    [`CallbackListener`];
//! 4. the driver waits on one channel until the next input or the machine's `poll_timeout`,
//!    on a clock that keeps counting across system suspend ([`Clock`]). Nothing can hang.
//!
//! Waits (`next_event_within`, `finish_within`, `wait_until`) are in machine time, which is
//! real time on [`Clock::start`] and `speed` × real time on [`Clock::start_scaled`].
//!
//! # A sale with each vendor
//!
//! Only the machine's constructor differs; the driver, the journal and the outcome are the
//! same. Each sale journals to `journal.jsonl` before any money request leaves; after a crash,
//! [`JsonLinesSink::unfinished`] gives the records to [`Driver::resume`].
//!
//! **Paynt** — HTTPS to a PAX terminal on the LAN, its self-signed certificate pinned by
//! public key (pair first with `Operation::Pair { code }` to learn the token and the pin):
//!
//! ```no_run
//! use pos_blocking::{Clock, Driver, JsonLinesSink, os_ids};
//! use pos_core::{Answer, Currency, Event, Fingerprint, Money, Operation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = Clock::start();
//! let config = paynt_proto::Config {
//!     host: "192.0.2.10".into(),
//!     token: Some("5820337719046612".into()),
//!     pinned_fingerprint: Some(Fingerprint::parse(&"ab".repeat(32))?),
//!     ..paynt_proto::Config::default()
//! };
//! let machine = paynt_proto::PayntMachine::new(config, os_ids()?, clock.wall())?;
//! let mut driver = Driver::new(machine, clock).with_sink(JsonLinesSink::open("journal.jsonl")?);
//! let amount = Money::parse_major("12.50", Currency::EUR)?;
//! let txn = driver.start(Operation::Sale { amount, tip: None, cashback: None, reference: None })?;
//! let outcome = driver.finish(txn, |event| match event {
//!     Event::Question { .. } => Some(Answer::Signature { accepted: true }),
//!     _ => None,
//! })?;
//! println!("{:?}", outcome.class());
//! # Ok(()) }
//! ```
//!
//! **CodePay** — a WebSocket to the terminal; the machine asks for the connection itself when
//! it is built, so wait for the link before starting:
//!
//! ```no_run
//! use std::time::Duration;
//! use pos_blocking::{Clock, Driver, JsonLinesSink, os_ids};
//! use pos_core::{Currency, Money, Operation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = Clock::start();
//! let config = codepay_proto::Config::new("192.168.1.40", "wz0123456789abcdef");
//! let machine = codepay_proto::CodepayMachine::new(config, os_ids()?, clock.wall())?;
//! let mut driver = Driver::new(machine, clock).with_sink(JsonLinesSink::open("journal.jsonl")?);
//! driver.wait_until(Duration::from_secs(10), |m| m.is_connected())?;
//! let amount = Money::parse_major("12.50", Currency::USD)?;
//! let txn = driver.start(Operation::Sale { amount, tip: None, cashback: None, reference: None })?;
//! let outcome = driver.finish(txn, |_| None)?;
//! println!("{:?}", outcome.class());
//! # Ok(()) }
//! ```
//!
//! **InterPay** — HTTPS to the cloud gateway; the result arrives later as a callback, so bind
//! a [`CallbackListener`] (its public base is where the gateway reaches it), give the machine
//! a callback base below it and attach the matching route:
//!
//! ```no_run
//! use pos_blocking::{CallbackListener, Clock, Driver, JsonLinesSink, os_ids};
//! use pos_core::{Currency, Money, Operation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = CallbackListener::bind(
//!     "0.0.0.0:8443".parse()?,
//!     Some("https://pos.example.net/ipcb/".into()),
//! )?;
//! let clock = Clock::start();
//! let config = interpay_proto::Config {
//!     endpoints: interpay_proto::Endpoints {
//!         primary: "https://gw-a.interpay.example/api".into(),
//!         secondary: Some("https://gw-b.interpay.example/api".into()),
//!     },
//!     termid: "QK7R2M4P".into(),
//!     pass: "example-pass".into(),
//!     deviceid: "FRONTDESK-2".into(),
//!     callback_base: listener.url_for("till-1/"),
//!     ..interpay_proto::Config::default()
//! };
//! let machine = interpay_proto::InterpayMachine::new(config, os_ids()?, clock.wall())?;
//! let mut driver = Driver::new(machine, clock)
//!     .with_sink(JsonLinesSink::open("journal.jsonl")?)
//!     .with_callbacks(listener.route("till-1/"));
//! let amount = Money::parse_major("42.75", Currency::CAD)?;
//! let txn = driver.start(Operation::Sale { amount, tip: None, cashback: None, reference: None })?;
//! let outcome = driver.finish(txn, |_| None)?;
//! println!("{:?}", outcome.class());
//! # Ok(()) }
//! ```
//!
//! **Connect** — HTTPS to the Paymentsense cloud with Basic auth; the terminal may ask the
//! POS to check the cardholder's signature:
//!
//! ```no_run
//! use pos_blocking::{Clock, Driver, JsonLinesSink, os_ids};
//! use pos_core::{Answer, Currency, Event, Money, Operation, Question};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = Clock::start();
//! let config = connect_proto::Config {
//!     host: connect_proto::Host::Live { account: "my-shop".into() },
//!     api_key: "the-site-api-key".into(),
//!     tid: "40917263".into(),
//!     ..connect_proto::Config::default()
//! };
//! let machine = connect_proto::ConnectMachine::new(config, os_ids()?, clock.wall())?;
//! let mut driver = Driver::new(machine, clock).with_sink(JsonLinesSink::open("journal.jsonl")?);
//! let amount = Money::parse_major("12.50", Currency::GBP)?;
//! let txn = driver.start(Operation::Sale { amount, tip: None, cashback: None, reference: None })?;
//! let outcome = driver.finish(txn, |event| match event {
//!     Event::Question { question: Question::SignatureCheck { .. }, .. } => {
//!         Some(Answer::Signature { accepted: true }) // after the clerk compared it
//!     }
//!     _ => None,
//! })?;
//! println!("{:?}", outcome.class());
//! # Ok(()) }
//! ```
//!
//! A cancel from another thread (a "Cancel" button while this one waits in `finish`) goes
//! through [`Driver::handle`].
//!
//! # Shared with the async runtimes
//!
//! `pos-smol` and `pos-tokio` reuse every executor-neutral piece instead of copying it:
//!
//! - [`core`]: the sans-IO [`core::DriverCore`] every driver is a thin loop over (journal
//!   before send, the held record while the journal fails, the caller's event queue, the
//!   finish note, WebSocket generations, the transmit decisions through a
//!   [`core::Transport`], the turn order), [`core::consider`] for `finish` loops,
//!   [`core::link`] for what a WebSocket task reports, [`core::SharedMachine`] for a machine a
//!   listener routes by, and the [`driver_methods!`] every driver's public commands come from;
//! - [`callback`]: the routing table ([`callback::Routes`]: prefixes, `accepts_callback`,
//!   pending replies, 404/503, counters) and [`listener_methods!`];
//! - [`clock`] (suspend-aware clock, OS seed, [`Clock::transport_timeout`]'s one floor),
//!   [`tls`] (rustls configs for each [`pos_core::TlsTrust`], the pinning verifier,
//!   fingerprints, self-signed certificates, error classification), [`url`] (URL targets),
//!   [`http1`] (HTTP/1.1 on byte buffers, [`http1::forwardable_headers`],
//!   [`http1::to_http_request`]), [`ws`] (tungstenite message mapping) and [`persist`] (the
//!   journal contract and its sinks).
//!
//! The simulator servers in [`server`] serve their end-to-end tests.
//!
//! # Logging
//!
//! Through `tracing`: transmits and inputs are logged at `debug` by kind, id, method, host
//! and path only — never headers (Authorization), query strings or bodies.
pub mod callback;
pub mod clock;
pub mod core;
mod driver;
pub mod error;
pub mod http1;
pub mod http_client;
pub mod persist;
pub mod server;
pub mod tls;
pub mod url;
pub mod ws;

pub use callback::{CallbackListener, CallbackRoute};
pub use clock::{Clock, os_ids};
pub use driver::{Driver, DriverHandle};
pub use error::{DriverError, ServeError};
pub use persist::{FailingSink, JsonLinesSink, MemorySink, PersistError, PersistSink};
