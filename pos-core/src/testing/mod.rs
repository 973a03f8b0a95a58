//! The pair harness: a POS machine and a simulator on a virtual clock, for tests.
//!
//! [`Pair`] routes every transmit of one side to the other through a simulated link, with a
//! seeded fault injector in between (drop, delay, duplicate, reorder, disconnect, crash of
//! the POS machine and resume from its persisted records). Minutes of protocol time run in
//! microseconds. After every step it checks the money-safety invariants and panics with the
//! transcript on a violation:
//!
//! * a money-moving transmit follows its transaction's persist record;
//! * never two money-moving transmits for one transaction, across crashes;
//! * at most one `Finished` per transaction, and only for started ones;
//! * never `Approved` unless the simulator approved; never `Declined`, `Cancelled` or
//!   `Rejected` while the simulator still has the transaction pending or approved;
//! * the machine's timers advance (a `poll_timeout` that stays in the past is a hang).
//!
//! The [`Pair::transcript`] — one line per transmit, event and fault, with relative time and
//! secrets redacted — is what tests snapshot with insta.
//!
//! ```ignore
//! let mut pair = Pair::new(machine, simulator, PairConfig::default());
//! let txn = pair.start(Operation::Sale { .. })?;
//! let outcome = pair.run_until_finished(txn);
//! insta::assert_snapshot!(pair.transcript());
//! ```

mod corpus;
mod faults;
mod link;
mod pair;
mod transcript;

pub use corpus::replay_corpus;
pub use faults::{Dir, Fault, FaultRule, Matcher, RandomFaults};
pub use pair::{LOST_IN_CRASH, Pair, PairConfig, TxnRecord};
pub use transcript::Transcript;
