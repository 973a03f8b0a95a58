//! Typed Paynt EPOS API messages (spec §3–§7), as the codec reads and writes them.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

/// A transaction type, `transType` / `transactionType` (spec §4.1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum TransType {
    /// Charge now.
    Sale,
    /// Unreferenced credit.
    Refund,
    /// Void by UTI of an unsettled transaction.
    Reversal,
    /// Reserve funds.
    Preauth,
    /// Capture a PREAUTH by UTI.
    Completion,
    /// In responses only.
    Unknown,
    /// A value this crate does not know, kept raw (spec §11 rule 8).
    Other(String),
}

impl TransType {
    /// Returns the wire spelling.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sale => "SALE",
            Self::Refund => "REFUND",
            Self::Reversal => "REVERSAL",
            Self::Preauth => "PREAUTH",
            Self::Completion => "COMPLETION",
            Self::Unknown => "UNKNOWN",
            Self::Other(raw) => raw,
        }
    }

    /// Parses a wire value, ignoring ASCII case; unknown values become `Other`.
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        match raw.to_ascii_uppercase().as_str() {
            "SALE" => Self::Sale,
            "REFUND" => Self::Refund,
            "REVERSAL" => Self::Reversal,
            "PREAUTH" => Self::Preauth,
            "COMPLETION" => Self::Completion,
            "UNKNOWN" => Self::Unknown,
            _ => Self::Other(raw.into()),
        }
    }

    /// Returns true for the five types a POS may send.
    #[must_use]
    pub const fn is_sendable(&self) -> bool {
        matches!(
            self,
            Self::Sale | Self::Refund | Self::Reversal | Self::Preauth | Self::Completion
        )
    }

    /// Returns true when the type carries `amountTrans` in requests.
    #[must_use]
    pub const fn has_amount(&self) -> bool {
        !matches!(self, Self::Reversal)
    }

    /// Returns true when the type refers to an original by UTI.
    #[must_use]
    pub const fn needs_original(&self) -> bool {
        matches!(self, Self::Reversal | Self::Completion)
    }
}

impl From<String> for TransType {
    fn from(s: String) -> Self {
        Self::parse(&s)
    }
}

impl From<TransType> for String {
    fn from(t: TransType) -> Self {
        t.as_str().into()
    }
}

impl fmt::Display for TransType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Card entry mode, `transactionSource` (spec §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum TransactionSource {
    /// Chip.
    Icc,
    /// Contactless.
    Picc,
    /// Magnetic stripe.
    Mag,
    /// Keyed.
    Manual,
    /// No card.
    None,
    /// Anything else, kept raw.
    Other(String),
}

impl TransactionSource {
    /// Returns the wire spelling.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Icc => "ICC",
            Self::Picc => "PICC",
            Self::Mag => "MAG",
            Self::Manual => "MANUAL",
            Self::None => "NONE",
            Self::Other(raw) => raw,
        }
    }

    /// Parses a wire value, ignoring ASCII case.
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        match raw.to_ascii_uppercase().as_str() {
            "ICC" => Self::Icc,
            "PICC" => Self::Picc,
            "MAG" => Self::Mag,
            "MANUAL" => Self::Manual,
            "NONE" => Self::None,
            _ => Self::Other(raw.into()),
        }
    }
}

impl From<String> for TransactionSource {
    fn from(s: String) -> Self {
        Self::parse(&s)
    }
}

impl From<TransactionSource> for String {
    fn from(t: TransactionSource) -> Self {
        t.as_str().into()
    }
}

/// The body of `POST /transaction` (spec §4.2), in the spec's key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRequest {
    /// The transaction type.
    pub trans_type: TransType,
    /// The amount in minor units; absent for REVERSAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_trans: Option<u32>,
    /// The original's UTI (REVERSAL, COMPLETION).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uti: Option<String>,
    /// The POS reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Tip in minor units (SALE, `amount_extras` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_gratuity: Option<u32>,
    /// Cash back in minor units (SALE, `amount_extras` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cashback: Option<u32>,
}

/// The immediate reply to `POST /transaction` (spec §4.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartResponse {
    /// Echo of the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trans_type: Option<TransType>,
    /// Echo of the amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_trans: Option<u32>,
    /// The new, terminal-generated UTI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uti: Option<String>,
    /// Echo of the tip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_gratuity: Option<u32>,
    /// Echo of the cash back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cashback: Option<u32>,
}

/// The reply to `GET /pair` (spec §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairResponse {
    /// The terminal serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// The auth token; a secret, never logged.
    pub auth_token: String,
}

/// One `Statuses` entry (spec §5.2, progress).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusEntry {
    /// The numeric status.
    pub status_value: i64,
    /// Its description.
    #[serde(default)]
    pub status_description: String,
}

/// One group of a receipt line: text, size `"1"`–`"9"`, alignment, style (spec §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptGroup {
    /// The text.
    pub text: String,
    /// Font size `1`–`9`.
    pub size: u8,
    /// `L`, `C` or `R`.
    pub align: Align,
    /// True for bold (`B`).
    pub bold: bool,
}

/// Alignment of a receipt group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    /// `L`.
    Left,
    /// `C`.
    Centre,
    /// `R`.
    Right,
}

impl Align {
    /// Returns the wire letter.
    #[must_use]
    pub const fn letter(self) -> &'static str {
        match self {
            Self::Left => "L",
            Self::Centre => "C",
            Self::Right => "R",
        }
    }
}

/// A receipt line: zero groups is a blank line.
pub type ReceiptLine = Vec<ReceiptGroup>;

/// A parsed status/result body (spec §5.1), every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionResult {
    /// `transApproved`.
    pub trans_approved: Option<bool>,
    /// `transCancelled`.
    pub trans_cancelled: Option<bool>,
    /// `voided`.
    pub voided: Option<bool>,
    /// `transactionType`.
    pub transaction_type: Option<TransType>,
    /// `transAmount` in minor units.
    pub trans_amount: Option<u32>,
    /// `authCode`.
    pub auth_code: Option<String>,
    /// `transactionResponse`.
    pub transaction_response: Option<String>,
    /// `primaryAccountNumber`, as the terminal sent it (masked before it leaves the crate).
    pub primary_account_number: Option<String>,
    /// `transactionSource`.
    pub transaction_source: Option<TransactionSource>,
    /// `cardholderVerificationMethod`.
    pub cardholder_verification_method: Option<String>,
    /// `signature`.
    pub signature: Option<bool>,
    /// `appName`.
    pub app_name: Option<String>,
    /// `applicationId`.
    pub application_id: Option<String>,
    /// `currencyCode`.
    pub currency_code: Option<String>,
    /// `merchantId`.
    pub merchant_id: Option<String>,
    /// `terminalId`.
    pub terminal_id: Option<String>,
    /// `messageId`.
    pub message_id: Option<i64>,
    /// `transactionDate`, raw.
    pub transaction_date: Option<String>,
    /// `transDateTimeEpoch` (analog), as given.
    pub trans_date_time_epoch: Option<i64>,
    /// `uti`.
    pub uti: Option<String>,
    /// `originalUti`.
    pub original_uti: Option<String>,
    /// `cardholderReceipt`.
    pub cardholder_receipt: Option<Vec<ReceiptLine>>,
    /// `merchantReceipt`.
    pub merchant_receipt: Option<Vec<ReceiptLine>>,
    /// `Statuses` / `statuses`.
    pub statuses: Option<Vec<StatusEntry>>,
    /// `transPartiallyApproved` (analog).
    pub trans_partially_approved: Option<bool>,
    /// `amountGratuity` (analog).
    pub amount_gratuity: Option<u32>,
    /// `amountCashback` (analog).
    pub amount_cashback: Option<u32>,
    /// `merchantReference` (analog).
    pub merchant_reference: Option<String>,
    /// Keys this crate does not model.
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Fields that were present but unreadable (spec §11), by name.
    pub bad_fields: Vec<String>,
}

impl TransactionResult {
    /// Returns true when the body is final by spec §5.2 rows 3–4.
    #[must_use]
    pub fn is_final(&self) -> bool {
        self.trans_approved.is_some()
            || (self.trans_cancelled == Some(true) && self.trans_approved.is_none())
    }

    /// Classifies a final body in the spec's §5.3 order; `None` when not final.
    #[must_use]
    pub fn classify(&self) -> Option<Classification> {
        if !self.is_final() {
            return None;
        }
        Some(if self.trans_cancelled == Some(true) {
            Classification::Cancelled {
                contradictory: self.trans_approved == Some(true),
            }
        } else if self.trans_approved == Some(false) {
            Classification::Declined
        } else if self.voided == Some(true) {
            Classification::Voided
        } else {
            Classification::Approved
        })
    }
}

/// The outcome class of a final result (spec §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Cancelled on the terminal (`contradictory` when `transApproved` was also true).
    Cancelled {
        /// Both flags were true.
        contradictory: bool,
    },
    /// Declined.
    Declined,
    /// Approved, later voided.
    Voided,
    /// Approved.
    Approved,
}

/// Anomalies the machine notes beside an outcome (spec §4.3, §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anomaly {
    /// The start echo differs from the request.
    EchoMismatch,
    /// The result's type differs from the request's.
    TypeMismatch,
    /// An approval for another amount.
    AmountMismatch,
    /// `transPartiallyApproved: true`.
    PartialApproval,
    /// A result currency other than the configured one.
    CurrencyMismatch,
    /// Both `transCancelled` and `transApproved` were true.
    ContradictoryFlags,
    /// A field was present but unreadable.
    BadField,
}
