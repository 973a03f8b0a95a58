//! The smol runtime: drives any [`pos_core::Machine`] on smol, with the same contract as the
//! blocking runtime (`pos-blocking`) and none of its threads.
//!
//! The runtime owns the sockets, TLS, the HTTP client, the callback listener, the clock, the
//! seed and the journal hook — and no vendor logic. One async [`Driver`] loop runs every
//! vendor:
//!
//! 1. a command ([`Driver::start`], [`Driver::cancel`], [`Driver::answer`],
//!    [`Driver::resume`]) or an input from a transport task mutates the machine;
//! 2. events are drained, each [`pos_core::Event::Persist`] journalled in the
//!    [`PersistSink`] **before** any transmit is performed (a failing sink stops every send
//!    and surfaces as [`DriverError::Persist`]); the sink runs on smol's blocking pool so an
//!    fsync never stalls the executor;
//! 3. transmits are performed as tasks: a WebSocket link per connection
//!    (`async-tungstenite`), an HTTP request each (hyper over `futures-rustls`, the
//!    transmit's timeout a hard deadline), callback replies on the [`CallbackListener`];
//! 4. the driver awaits the next input or the machine's `poll_timeout` on an `async-io`
//!    timer, on the suspend-aware (optionally scaled) [`Clock`]. Nothing can hang.
//!
//! Every waiting method is cancel-safe: dropping its future loses no event, and a record
//! whose journalling was interrupted is journalled again before anything is sent.
//!
//! Transports run on smol's global executor by default; [`Driver::with_spawner`] and
//! [`CallbackListener::bind_on`] put them on an [`smol::Executor`] the caller runs, e.g. one
//! executor on one thread for hundreds of terminals.
//!
//! # A sale, Paynt (HTTPS, pinned self-signed certificate)
//!
//! ```no_run
//! use pos_core::{Answer, Currency, Event, Fingerprint, Money, Operation, Secret};
//! use pos_smol::{Clock, Driver, JsonLinesSink, os_ids};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let clock = Clock::start();
//!     let config = paynt_proto::Config {
//!         host: "192.0.2.10".into(),
//!         token: Some(Secret::new("5820337719046612".into())),
//!         pinned_fingerprint: Some(Fingerprint::parse(&"ab".repeat(32))?),
//!         ..paynt_proto::Config::default()
//!     };
//!     let machine = paynt_proto::PayntMachine::new(config, os_ids()?, clock.wall())?;
//!     let mut driver = Driver::new(machine, clock).with_sink(JsonLinesSink::open("journal.jsonl")?);
//!     let amount = Money::parse_major("12.50", Currency::EUR)?;
//!     let sale = Operation::Sale { amount, tip: None, cashback: None, reference: None };
//!     let txn = driver.start(sale).await?;
//!     let outcome = driver
//!         .finish(txn, |event| match event {
//!             Event::Question { .. } => Some(Answer::Signature { accepted: true }),
//!             _ => None,
//!         })
//!         .await?;
//!     println!("{:?}", outcome.class());
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # A sale, CodePay (WebSocket on the LAN)
//!
//! The machine asks for its connection on construction; the driver opens it.
//!
//! ```no_run
//! use core::time::Duration;
//! use pos_core::{Currency, Money, Operation};
//! use pos_smol::{Clock, Driver, os_ids};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let clock = Clock::start();
//!     let config = codepay_proto::Config::new("192.168.1.40", "wz0123456789abcdef");
//!     let machine = codepay_proto::CodepayMachine::new(config, os_ids()?, clock.wall())?;
//!     let mut driver = Driver::new(machine, clock);
//!     while !driver.machine().is_connected() {
//!         driver.next_event_within(Duration::from_millis(250)).await?;
//!     }
//!     let amount = Money::parse_major("12.50", Currency::USD)?;
//!     let sale = Operation::Sale { amount, tip: None, cashback: None, reference: None };
//!     let txn = driver.start(sale).await?;
//!     let outcome = driver.finish(txn, |_| None).await?;
//!     println!("{:?}", outcome.class());
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # A sale, InterPay (HTTPS to the gateway, the result as a callback)
//!
//! Bind a [`CallbackListener`] (any number of tills share one, each under its own path),
//! put [`CallbackListener::url_for`] in the machine's configuration, and attach the route:
//!
//! ```no_run
//! use pos_core::{Currency, Money, Operation, Secret};
//! use pos_smol::{CallbackListener, Clock, Driver, os_ids};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let public = Some("https://pos.example.net/".to_owned());
//!     let listener = CallbackListener::bind("0.0.0.0:8443".parse()?, public).await?;
//!     let clock = Clock::start();
//!     let config = interpay_proto::Config {
//!         endpoints: interpay_proto::Endpoints {
//!             primary: "https://gateway.example.com/api".into(),
//!             secondary: None,
//!         },
//!         termid: "QK7R2M4P".into(),
//!         pass: Secret::new("example-pass".into()),
//!         deviceid: "FRONTDESK-2".into(),
//!         callback_base: listener.url_for("till-1/"),
//!         ..interpay_proto::Config::default()
//!     };
//!     let machine = interpay_proto::InterpayMachine::new(config, os_ids()?, clock.wall())?;
//!     let mut driver = Driver::new(machine, clock).with_callbacks(listener.route("till-1/"));
//!     let amount = Money::parse_major("12.50", Currency::CAD)?;
//!     let sale = Operation::Sale { amount, tip: None, cashback: None, reference: None };
//!     let txn = driver.start(sale).await?;
//!     let outcome = driver.finish(txn, |_| None).await?;
//!     println!("{:?}", outcome.class());
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # A sale, Connect (HTTPS to the cloud, web PKI; a signature question)
//!
//! ```no_run
//! use pos_core::{Answer, Currency, Event, Money, Operation, Secret};
//! use pos_smol::{Clock, Driver, os_ids};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let clock = Clock::start();
//!     let config = connect_proto::Config {
//!         host: connect_proto::Host::Test { account: "acme".into() },
//!         api_key: Secret::new("your-api-key".into()),
//!         tid: "40917263".into(),
//!         ..connect_proto::Config::default()
//!     };
//!     let machine = connect_proto::ConnectMachine::new(config, os_ids()?, clock.wall())?;
//!     let mut driver = Driver::new(machine, clock);
//!     let amount = Money::parse_major("12.50", Currency::GBP)?;
//!     let sale = Operation::Sale { amount, tip: None, cashback: None, reference: None };
//!     let txn = driver.start(sale).await?;
//!     let outcome = driver
//!         .finish(txn, |event| match event {
//!             // Show the signature to the clerk; here it is accepted.
//!             Event::Question { .. } => Some(Answer::Signature { accepted: true }),
//!             _ => None,
//!         })
//!         .await?;
//!     println!("{:?}", outcome.class());
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # Shared with the blocking runtime
//!
//! Nothing executor-neutral is duplicated: the [`Clock`] and [`os_ids`], the journal contract
//! ([`PersistSink`] and its sinks), [`DriverError`], the rustls configurations for each
//! [`pos_core::TlsTrust`] with the pinning verifier and fingerprints
//! ([`pos_blocking::tls`]), URL targets ([`pos_blocking::url`]) and the size limits
//! ([`pos_blocking::http1`]) all come from `pos-blocking`. Its simulator servers
//! ([`pos_blocking::server`]) serve this crate's end-to-end tests.
//!
//! The driver itself is a thin loop over [`pos_blocking::core::DriverCore`] (journal before
//! send, held records, the event queue, WebSocket generations, transmit decisions), its
//! public commands come from [`pos_blocking::driver_methods!`], and the callback listener
//! routes with [`pos_blocking::callback::Routes`]: this crate only waits, spawns and does I/O.
//!
//! # Why hyper
//!
//! HTTP/1.1 (client and callback server) is hyper 1.x's connection API, which takes any
//! `hyper::rt::Read + Write`; `smol-hyper`'s `FuturesIo` adapts `async-net` and
//! `futures-rustls` streams to it, and its `SmolTimer` bounds header reads. hyper is the
//! maintained, widely deployed implementation; `async-h1` and `http-types` have had no
//! release in years.
//!
//! # Logging
//!
//! Through `tracing`: transmits and inputs are logged at `debug` by kind, id, method, host
//! and path only — never headers (Authorization), query strings or bodies.
pub mod callback;
mod driver;
mod handle;
pub mod http_client;
mod spawn;
mod ws;

pub use callback::{CallbackListener, CallbackRoute};
pub use driver::Driver;
pub use handle::DriverHandle;
pub use pos_blocking::persist::JournalLine;
pub use pos_blocking::{
    Clock, DriverError, FailingSink, JsonLinesSink, MemorySink, PersistError, PersistSink,
    ServeError, os_ids,
};
pub use spawn::Spawner;
