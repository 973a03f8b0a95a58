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
//! # A sale, Paynt (HTTPS, pinned self-signed certificate)
//!
//! ```no_run
//! use pos_blocking::{Clock, Driver, JsonLinesSink, os_ids};
//! use pos_core::{Answer, Currency, Event, Fingerprint, Money, Operation, Secret};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = Clock::start();
//! let config = paynt_proto::Config {
//!     host: "192.0.2.10".into(),
//!     token: Some(Secret::new("5820337719046612".into())),
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
//! The other vendors are driven the same way; only the machine's constructor differs:
//! `CodepayMachine::new(config, ids, wall)` (WebSocket: the driver opens the connection the
//! machine asks for), `ConnectMachine::new(..)` (HTTPS with web PKI), and
//! `InterpayMachine::new(..)`, whose results arrive as callbacks: bind a
//! [`CallbackListener`], put [`CallbackListener::url_for`] in the machine's configuration,
//! and attach the route with [`Driver::with_callbacks`]:
//!
//! ```no_run
//! # use pos_blocking::*;
//! # fn demo<M: pos_core::Machine>(make: impl FnOnce(String) -> M) -> Result<(), Box<dyn std::error::Error>> {
//! let listener = CallbackListener::bind("0.0.0.0:8443".parse()?, Some("https://pos.example.net/".into()))?;
//! let machine = make(listener.url_for("till-1/")); // the machine's callback base
//! let driver = Driver::new(machine, Clock::start()).with_callbacks(listener.route("till-1/"));
//! # Ok(()) }
//! ```
//!
//! # Shared with the async runtimes
//!
//! `pos-smol` and `pos-tokio` reuse the executor-neutral modules instead of copying them:
//! [`clock`] (suspend-aware clock, OS seed), [`tls`] (rustls configs for each
//! [`pos_core::TlsTrust`], the pinning verifier, fingerprints, self-signed certificates,
//! error classification), [`url`] (URL targets), [`http1`] (HTTP/1.1 encoding and parsing on
//! byte buffers) and [`persist`] (the journal contract and its sinks). The simulator servers
//! in [`server`] can serve their end-to-end tests.
//!
//! # Logging
//!
//! Through `tracing`: transmits and inputs are logged at `debug` by kind, id, method, host
//! and path only — never headers (Authorization), query strings or bodies.
pub mod callback;
pub mod clock;
mod driver;
pub mod error;
pub mod http1;
pub mod http_client;
pub mod persist;
pub mod server;
pub mod tls;
pub mod url;
mod ws;

pub use callback::{CallbackListener, CallbackRoute};
pub use clock::{Clock, os_ids};
pub use driver::{Driver, DriverHandle};
pub use error::{DriverError, ServeError};
pub use persist::{FailingSink, JsonLinesSink, MemorySink, PersistError, PersistSink};
