//! The tokio runtime: drives any [`pos_core::Machine`] on tokio sockets and timers, many
//! machines per process, with one shared callback listener.
//!
//! The runtime owns the sockets, TLS, the HTTP client, the callback listener, the clock, the
//! seed and the journal hook — and no vendor logic. One async [`Driver`] loop runs every
//! vendor, with the same shape as `pos_blocking::Driver`:
//!
//! 1. a command ([`Driver::start`], [`Driver::cancel`], [`Driver::answer`],
//!    [`Driver::resume`]) or an input from a transport task mutates the machine;
//! 2. events are drained, each [`pos_core::Event::Persist`] journalled in the
//!    [`PersistSink`] **before** any transmit is performed (a failing sink stops every send
//!    and surfaces as [`DriverError::Persist`]);
//! 3. transmits are performed, each in a task: WebSocket frames on the connection's
//!    tokio-tungstenite task, HTTP requests with hyper over tokio-rustls (the transmit's
//!    timeout is a hard deadline; pinning, trust on first use and web PKI come from
//!    [`pos_blocking::tls`]), callback replies through the [`CallbackListener`];
//! 4. the driver awaits the next input or the machine's `poll_timeout` (`sleep_until`), on a
//!    clock that keeps counting across system suspend and may run scaled ([`Clock`]).
//!
//! Transport failures reach the machine as their distinct [`pos_core::TransportError`]:
//! `Connect` (not sent), `Tls`, `CertificateMismatch`, `Timeout`, `Io`.
//!
//! # A sale on each vendor
//!
//! Paynt (HTTPS to a terminal on the LAN, pinned self-signed certificate):
//!
//! ```no_run
//! use pos_core::{Answer, Currency, Event, Fingerprint, Money, Operation, Secret};
//! use pos_tokio::{Clock, Driver, JsonLinesSink, os_ids};
//!
//! # async fn sale() -> Result<(), Box<dyn std::error::Error>> {
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
//! let txn = driver
//!     .start(Operation::Sale { amount, tip: None, cashback: None, reference: None })
//!     .await?;
//! let outcome = driver
//!     .finish(txn, |event| match event {
//!         Event::Question { .. } => Some(Answer::Signature { accepted: true }),
//!         _ => None,
//!     })
//!     .await?;
//! println!("{:?}", outcome.class());
//! # Ok(()) }
//! ```
//!
//! CodePay (WebSocket to the terminal; the machine asks for the connection itself and the
//! driver opens it — CodePay's `101 Web Socket Protocol Handshake` is accepted):
//!
//! ```no_run
//! use pos_core::{Currency, Money, Operation};
//! use pos_tokio::{Clock, Driver, os_ids};
//!
//! # async fn sale() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = Clock::start();
//! let config = codepay_proto::Config::new("192.0.2.20", "wz0123456789abcdef");
//! let machine = codepay_proto::CodepayMachine::new(config, os_ids()?, clock.wall())?;
//! let mut driver = Driver::new(machine, clock);
//! // Let the connection come up before the sale.
//! while !driver.with_machine(|m| m.is_connected()) {
//!     driver.next_event_within(std::time::Duration::from_millis(100)).await?;
//! }
//! let amount = Money::parse_major("12.50", Currency::USD)?;
//! let txn = driver
//!     .start(Operation::Sale { amount, tip: None, cashback: None, reference: None })
//!     .await?;
//! let outcome = driver.finish(txn, |_| None).await?;
//! # Ok(()) }
//! ```
//!
//! Paymentsense Connect (HTTPS to the cloud relay, web PKI; a signature question is answered
//! from the closure):
//!
//! ```no_run
//! use pos_core::{Answer, Currency, Event, Money, Operation, Secret};
//! use pos_tokio::{Clock, Driver, os_ids};
//!
//! # async fn sale() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = Clock::start();
//! let config = connect_proto::Config {
//!     host: connect_proto::Host::Live { account: "acme".into() },
//!     api_key: Secret::new("the-api-key".into()),
//!     tid: "40917263".into(),
//!     ..connect_proto::Config::default()
//! };
//! let machine = connect_proto::ConnectMachine::new(config, os_ids()?, clock.wall())?;
//! let mut driver = Driver::new(machine, clock);
//! let amount = Money::parse_major("12.50", Currency::GBP)?;
//! let txn = driver
//!     .start(Operation::Sale { amount, tip: None, cashback: None, reference: None })
//!     .await?;
//! let outcome = driver
//!     .finish(txn, |event| match event {
//!         Event::Question { .. } => Some(Answer::Signature { accepted: true }),
//!         _ => None,
//!     })
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! InterPay (HTTPS to the gateway; the result arrives later as a callback to the POS). Bind
//! one [`CallbackListener`], give its public URL to the machine, and attach the driver:
//!
//! ```no_run
//! use pos_core::{Currency, Money, Operation, Secret};
//! use pos_tokio::{CallbackListener, Clock, Driver, os_ids};
//!
//! # async fn sale() -> Result<(), Box<dyn std::error::Error>> {
//! let listener =
//!     CallbackListener::bind("0.0.0.0:8443".parse()?, Some("https://pos.example.net/".into()))
//!         .await?;
//! let clock = Clock::start();
//! let config = interpay_proto::Config {
//!     termid: "QK7R2M4P".into(),
//!     pass: Secret::new("example-pass".into()),
//!     deviceid: "FRONTDESK-2".into(),
//!     callback_base: listener.url_for("interpay/"),
//!     ..interpay_proto::Config::default()
//! };
//! let machine = interpay_proto::InterpayMachine::new(config, os_ids()?, clock.wall())?;
//! let mut driver = Driver::new(machine, clock).with_callback_listener(&listener);
//! let amount = Money::parse_major("12.50", Currency::CAD)?;
//! let txn = driver
//!     .start(Operation::Sale { amount, tip: None, cashback: None, reference: None })
//!     .await?;
//! let outcome = driver.finish(txn, |_| None).await?;
//! # Ok(()) }
//! ```
//!
//! # Many terminals in one process
//!
//! A cloud POS backend runs one [`Driver`] per terminal (or per transaction), each in its own
//! task, all on one runtime — a current-thread runtime is enough. Every InterPay driver
//! attaches to the **same** [`CallbackListener`]; each callback is routed to the driver whose
//! machine accepts it ([`pos_core::Machine::accepts_callback`]: InterPay recognises its own
//! callback tokens), so the gateway can use one public URL for every terminal:
//!
//! ```no_run
//! use std::sync::Arc;
//! use pos_core::{Currency, Money, Operation, Outcome, Secret};
//! use pos_tokio::{CallbackListener, Clock, Driver, DriverError, os_ids};
//!
//! # async fn fleet() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = Arc::new(CallbackListener::bind("0.0.0.0:8443".parse()?, None).await?);
//! let clock = Clock::start();
//! let mut tasks = tokio::task::JoinSet::new();
//! for device in ["LANE-1", "LANE-2", "LANE-3"] {
//!     let config = interpay_proto::Config {
//!         termid: "QK7R2M4P".into(),
//!         pass: Secret::new("example-pass".into()),
//!         deviceid: device.into(),
//!         callback_base: listener.url_for("cb/"),
//!         ..interpay_proto::Config::default()
//!     };
//!     let machine = interpay_proto::InterpayMachine::new(config, os_ids()?, clock.wall())?;
//!     let mut driver = Driver::new(machine, clock).with_callback_listener(&listener);
//!     let amount = Money::parse_major("12.50", Currency::CAD)?;
//!     tasks.spawn(async move {
//!         let op = Operation::Sale { amount, tip: None, cashback: None, reference: None };
//!         let txn = driver.start(op).await?;
//!         driver.finish(txn, |_| None).await
//!     });
//! }
//! while let Some(done) = tasks.join_next().await {
//!     let outcome: Result<Outcome, DriverError> = done?;
//!     println!("{:?}", outcome?.class());
//! }
//! # Ok(()) }
//! ```
//!
//! Drivers of other vendors run in the same set of tasks; a [`CallbackListener::route`] gives
//! path-prefix routing instead, for machines that do not recognise their callbacks.
//!
//! # Shared with the other runtimes
//!
//! Nothing executor-neutral is copied: the [`Clock`], the seed ([`os_ids`]), the journal
//! contract and its sinks ([`PersistSink`], [`MemorySink`], [`JsonLinesSink`],
//! [`FailingSink`]), the errors ([`DriverError`], [`ServeError`]), TLS configs and pinning
//! ([`pos_blocking::tls`]), URL targets ([`pos_blocking::url`]) and the body limits come from
//! `pos-blocking`. End-to-end tests serve the simulators with
//! [`pos_blocking::server::SimServer`].
//!
//! The driver itself is a thin loop over [`pos_blocking::core::DriverCore`] (journal before
//! send, held records, the event queue, WebSocket generations, transmit decisions), its
//! public commands come from [`pos_blocking::driver_methods!`], and the callback listener
//! routes with [`pos_blocking::callback::Routes`]: this crate only waits, spawns and does I/O.
//!
//! # Logging
//!
//! Through `tracing`: transmits and inputs are logged at `debug` by kind, id, method, host
//! and path only — never headers (Authorization), query strings or bodies.
pub mod callback;
mod connect;
mod driver;
mod handle;
pub mod http_client;
mod ws;

pub use callback::{CallbackListener, CallbackRoute};
pub use driver::Driver;
pub use handle::DriverHandle;
pub use pos_blocking::{
    Clock, DriverError, FailingSink, JsonLinesSink, MemorySink, PersistError, PersistSink,
    ServeError, os_ids,
};
