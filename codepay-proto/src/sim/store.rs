//! The simulator's transaction store: one record per accepted order, surviving disconnects.

use alloc::collections::BTreeMap;
use alloc::string::String;

use pos_core::Truth;

/// One accepted order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `trans_type` code.
    pub trans_type: String,
    /// `trans_status`: `9`, `0`, `1`, `2`, `3` or `4`.
    pub status: &'static str,
    /// `order_amount` in minor units (0 for a void).
    pub order_minor: i64,
    /// `tip_amount` in minor units.
    pub tip_minor: i64,
    /// `cashback_amount` in minor units.
    pub cashback_minor: i64,
    /// `orig_merchant_order_no`.
    pub orig: Option<String>,
    /// Refunded so far, in minor units.
    pub refunded_minor: i64,
    /// Settled by a batch close.
    pub settled: bool,
    /// The response code of a failed order (`106`, `110` …).
    pub failure: Option<String>,
    /// Echoed and generated response fields.
    pub fields: BTreeMap<String, String>,
}

impl Record {
    /// Returns the total charged: order + tip + cash back.
    #[must_use]
    pub const fn total_minor(&self) -> i64 {
        self.order_minor
            .saturating_add(self.tip_minor)
            .saturating_add(self.cashback_minor)
    }

    /// Returns true for statuses that end the record.
    #[must_use]
    pub fn is_final(&self) -> bool {
        !matches!(self.status, "9" | "0")
    }

    /// Returns what really happened, for the harness.
    #[must_use]
    pub fn truth(&self) -> Truth {
        match self.status {
            "9" | "0" => Truth::Pending,
            "2" | "4" => Truth::Approved,
            "3" => Truth::NotProcessed,
            _ => match self.failure.as_deref() {
                Some("106" | "111" | "112" | "115" | "119") => Truth::Declined,
                Some("101") => Truth::NotProcessed,
                _ => Truth::Cancelled,
            },
        }
    }
}
