//! The record a runtime journals before a money request is sent, and resumes from.

use alloc::collections::BTreeMap;
use alloc::string::String;

use serde::{Deserialize, Serialize};

use crate::ids::TxnId;
use crate::operation::Operation;
use crate::outcome::References;
use crate::secret::Secret;

/// Everything needed to find a transaction again after a crash.
///
/// Emitted as [`crate::Event::Persist`] before the first transmit that can move money, and
/// again whenever the machine learns a new reference (each replaces the previous one). Give
/// the latest record of every unfinished transaction to `Machine::resume` on a fresh machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistRecord {
    /// The transaction.
    pub txn: TxnId,
    /// The vendor crate that wrote it, e.g. `"codepay"`; `resume` refuses another vendor's.
    pub vendor: String,
    /// The operation as the POS started it.
    pub operation: Operation,
    /// The Unix time (ms) the transaction started, from the machine's wall clock.
    pub started_unix_ms: u64,
    /// The references known so far.
    pub references: References,
    /// Credentials the recovery needs (e.g. a callback token). Redacted in `Debug`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Secret<String>>,
    /// Vendor-specific state: how far the transaction got (e.g. whether the request was sent).
    #[serde(default)]
    pub data: serde_json::Value,
}

impl PersistRecord {
    /// Builds a record with no secrets and no vendor data.
    #[must_use]
    pub fn new(
        txn: TxnId,
        vendor: &str,
        operation: Operation,
        started_unix_ms: u64,
        references: References,
    ) -> Self {
        Self {
            txn,
            vendor: vendor.into(),
            operation,
            started_unix_ms,
            references,
            secrets: BTreeMap::new(),
            data: serde_json::Value::Null,
        }
    }
}
