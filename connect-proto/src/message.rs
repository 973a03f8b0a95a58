//! Typed wire messages of Connect PAC v2 (spec §4–§6).
//!
//! Request bodies are serialised strictly (fields in §4's order, optional fields omitted);
//! responses are read leniently by [`crate::codec`].

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// Declares a wire enum with known values and an `Other(String)` catch-all (spec §6).
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this crate does not know, with its raw text.
            Other(String),
        }

        impl $name {
            /// Every known value, in the spec's order.
            pub const KNOWN: &'static [&'static str] = &[$($text,)*];

            /// Parses a wire value: trimmed, then exact, then ASCII case-insensitive (§6).
            #[must_use]
            pub fn parse(raw: &str) -> Self {
                let t = raw.trim();
                $(if t == $text { return Self::$variant; })*
                $(if t.eq_ignore_ascii_case($text) { return Self::$variant; })*
                Self::Other(String::from(t))
            }

            /// Returns the wire text (the raw text for `Other`).
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(s) => s.as_str(),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

wire_enum! {
    /// The `transactionType` of a request (§4).
    TransactionType {
        /// A purchase.
        Sale = "SALE",
        /// An unreferenced refund.
        Refund = "REFUND",
        /// A pre-authorisation (Ingenico only).
        PreAuth = "PRE_AUTH",
        /// The completion of pre-authorisations (Ingenico only).
        Completion = "COMPLETION",
        /// A card check.
        AccountVerification = "ACCOUNT_VERIFICATION",
        /// A reprint of the PDQ's last receipt (Ingenico only).
        Duplicate = "DUPLICATE",
    }
}

wire_enum! {
    /// The `transactionType` the PDQ actually performed (§6).
    ResultType {
        /// A purchase.
        Sale = "SALE",
        /// A refund.
        Refund = "REFUND",
        /// A reversed sale: no money moved.
        SaleReversal = "SALE_REVERSAL",
        /// A reversed refund: no money moved.
        RefundReversal = "REFUND_REVERSAL",
        /// A logon.
        Logon = "LOGON",
        /// A pre-authorisation.
        PreAuth = "PRE_AUTH",
        /// A completion.
        Completion = "COMPLETION",
        /// A card check.
        AccountVerification = "ACCOUNT_VERIFICATION",
    }
}

impl ResultType {
    /// Returns true for the `*_REVERSAL` types, which mean no money moved (§6, §15 Q7).
    #[must_use]
    pub fn is_reversal(&self) -> bool {
        matches!(self, Self::SaleReversal | Self::RefundReversal)
    }
}

wire_enum! {
    /// The `transactionResult` (§6).
    TransactionResult {
        /// Approved.
        Successful = "SUCCESSFUL",
        /// Declined.
        Declined = "DECLINED",
        /// Voided (e.g. a rejected signature).
        Void = "VOID",
        /// Failed.
        Unsuccessful = "UNSUCCESSFUL",
        /// Cancelled.
        Cancelled = "CANCELLED",
        /// Connect lost the PDQ: money may or may not have moved.
        TimedOut = "TIMED_OUT",
    }
}

wire_enum! {
    /// A terminal's `status` (§6); `Other` means not available.
    TerminalStatus {
        /// Idle and connected.
        Available = "AVAILABLE",
        /// Running a task.
        Busy = "BUSY",
    }
}

wire_enum! {
    /// How the card was read (§6).
    PaymentMethod {
        /// Not known.
        Unknown = "UNKNOWN",
        /// Keyed (CNP).
        Keyed = "KEYED",
        /// Swiped.
        Swiped = "SWIPED",
        /// Chip.
        IccChip = "ICC_CHIP",
        /// Contactless.
        Contactless = "CONTACTLESS",
    }
}

wire_enum! {
    /// How the cardholder was verified (§6).
    Cvm {
        /// Not known.
        Unknown = "UNKNOWN",
        /// No verification.
        None = "NONE",
        /// PIN.
        Pin = "PIN",
        /// Signature.
        Signature = "SIGNATURE",
        /// On the cardholder's device.
        Device = "DEVICE",
    }
}

wire_enum! {
    /// The report types of E7 (§4, §8.6).
    ReportType {
        /// End of day: balances and banking, triggers settlement.
        EndOfDay = "END_OF_DAY",
        /// Per-acquirer banking totals.
        Banking = "BANKING",
        /// Current session totals.
        XBalance = "X_BALANCE",
        /// Session totals with a reset.
        ZBalance = "Z_BALANCE",
    }
}

wire_enum! {
    /// A report's `reportResult` (§6).
    ReportResult {
        /// The report ran.
        Complete = "COMPLETE",
        /// Connect lost the PDQ.
        TimedOut = "TIMED_OUT",
    }
}

wire_enum! {
    /// The currencies Connect knows (§6).
    WireCurrency {
        /// Pound sterling.
        Gbp = "GBP",
        /// Euro.
        Eur = "EUR",
    }
}

/// The body of E3 (§4); optional fields are omitted, never `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRequest {
    /// What to run.
    pub transaction_type: TransactionType,
    /// The base amount in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// The currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<WireCurrency>,
    /// Cashback requested, SALE only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cashback: Option<i64>,
    /// Keyed entry without the card present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardholder_not_present: Option<bool>,
    /// The first pre-auth's auth code, COMPLETION only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    /// The sum of pre-auths on the card, COMPLETION only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_pre_authorised_total: Option<i64>,
}

/// The body of E6 (§4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureRequest {
    /// True when the signature matches.
    pub accepted: bool,
}

/// The body of E7 (§4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    /// Which report.
    pub report_type: ReportType,
}

/// The 201 body of E3 and E7 (§5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLocation {
    /// The Connect-assigned id; empty means unconfirmed.
    #[serde(default)]
    pub request_id: String,
    /// Informational absolute URI.
    #[serde(default)]
    pub location: String,
}

/// One terminal from E1/E2 (§5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminal {
    /// The terminal id.
    pub tid: String,
    /// Available or busy.
    pub status: TerminalStatus,
    /// The currency it is set up for.
    pub currency: WireCurrency,
    /// Its URI.
    pub location: String,
}

/// The 200 body of E1 (§5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalList {
    /// The connected terminals.
    pub terminals: Vec<Terminal>,
}

/// A receipt or report line (§5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    /// The text (separators carry one too).
    pub value: String,
    /// The rendering hint; missing means `TEXT`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Formatting flags such as `BOLD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub format: Vec<String>,
}

/// `receiptLines`: the merchant and customer copies, plus any other keys (§5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptLines {
    /// The merchant copy.
    pub merchant: Option<Vec<ReceiptLine>>,
    /// The customer copy.
    pub customer: Option<Vec<ReceiptLine>>,
    /// Other keys, in wire order.
    pub other: Vec<(String, Vec<ReceiptLine>)>,
}

/// A warning the codec raised while reading a response leniently (§5, §11).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// A field had the wrong type and was dropped.
    BadField {
        /// The field's name.
        name: String,
    },
    /// The total is not the sum of its parts, or the base differs from the request.
    AmountMismatch,
    /// A terminal entry without a `tid` was skipped.
    TerminalWithoutTid,
}

/// The E4 body, read leniently: every field optional except `notifications` (§5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transaction {
    /// The request id.
    pub request_id: Option<String>,
    /// Its URI.
    pub location: Option<String>,
    /// Cumulative notifications, newest first (§7).
    pub notifications: Vec<String>,
    /// The result, once finished.
    pub transaction_result: Option<TransactionResult>,
    /// The type performed.
    pub transaction_type: Option<ResultType>,
    /// The base amount.
    pub amount_base: Option<i64>,
    /// The cashback applied.
    pub amount_cashback: Option<i64>,
    /// The gratuity entered on the PDQ.
    pub amount_gratuity: Option<i64>,
    /// The total charged.
    pub amount_total: Option<i64>,
    /// The currency.
    pub currency: Option<WireCurrency>,
    /// The auth code.
    pub auth_code: Option<String>,
    /// The PDQ's transaction id.
    pub transaction_id: Option<String>,
    /// The number within the PDQ session.
    pub transaction_number: Option<String>,
    /// The card scheme, free text.
    pub card_scheme_name: Option<String>,
    /// The EMV application label.
    pub application_label: Option<String>,
    /// The EMV AID.
    pub application_id: Option<String>,
    /// The verification method.
    pub cvm: Option<Cvm>,
    /// How the card was read.
    pub payment_method: Option<PaymentMethod>,
    /// The masked PAN as sent.
    pub primary_account_number: Option<String>,
    /// The PAN sequence number.
    pub primary_account_number_sequence: Option<String>,
    /// `MM/YY`.
    pub date_of_expiry: Option<String>,
    /// `MM/YY`.
    pub date_of_start: Option<String>,
    /// `YYYY-MM-DDThh:mm:ss`, PDQ local time, raw.
    pub transaction_time: Option<String>,
    /// The receipts.
    pub receipt_lines: Option<ReceiptLines>,
    /// Text for the operator.
    pub user_message: Option<String>,
    /// Unknown fields in wire order.
    pub extra: Vec<(String, serde_json::Value)>,
    /// What the codec had to drop.
    pub warnings: Vec<Warning>,
}

impl Transaction {
    /// Returns true when `TRANSACTION_FINISHED` appears anywhere in the list (§7).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.notifications
            .iter()
            .any(|n| n.trim().eq_ignore_ascii_case("TRANSACTION_FINISHED"))
    }
}

/// The E8 body, read leniently (§5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The request id.
    pub request_id: Option<String>,
    /// Its URI.
    pub location: Option<String>,
    /// Cumulative notifications, newest first.
    pub notifications: Vec<String>,
    /// The terminal.
    pub tid: Option<String>,
    /// The report type.
    pub report_type: Option<ReportType>,
    /// The result, once finished.
    pub report_result: Option<ReportResult>,
    /// `YYYY-MM-DDThh:mm:ss`, raw.
    pub report_time: Option<String>,
    /// The printed lines.
    pub report_lines: Vec<ReceiptLine>,
    /// `balances`, kept as JSON (maps keep wire order in `fields`).
    pub balances: Option<serde_json::Value>,
    /// `banking`, kept as JSON.
    pub banking: Option<serde_json::Value>,
    /// Unknown fields in wire order.
    pub extra: Vec<(String, serde_json::Value)>,
    /// What the codec had to drop.
    pub warnings: Vec<Warning>,
}

impl Report {
    /// Returns true when `REPORT_FINISHED` appears anywhere in the list.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.notifications
            .iter()
            .any(|n| n.trim().eq_ignore_ascii_case("REPORT_FINISHED"))
    }
}

/// The body of 401, 404 and 422 answers (§3, §5): shown verbatim, never branched on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Text for the operator.
    #[serde(default)]
    pub user_message: String,
}
