//! Typed wire messages of the Terminal Payment API and their classification (spec §2–§6, §10).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// A flat message: names and string values in wire order (spec §2.2, §2.3).
///
/// Names are matched case-insensitively and the first duplicate wins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Builds an empty message.
    #[must_use]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends a field.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Appends a field and returns the message, for building.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(name, value);
        self
    }

    /// Appends a field only when no field of that name exists yet.
    pub fn fill(&mut self, name: &str, value: &str) {
        if self.get(name).is_none() {
            self.push(name, value);
        }
    }

    /// Returns the first value of a field, matching the name case-insensitively.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Returns a field's value trimmed, or `None` when absent or blank.
    #[must_use]
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Returns a flag per spec §10.3: `Y`/`y` is true; `N`, empty or absent is false.
    #[must_use]
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("y"))
    }

    /// Iterates over the fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Returns the number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns true when there is no field.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How the immediate reply to StartSession is classified (spec §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StartClass {
    /// `0000`: the request reached the terminal.
    Delivered,
    /// `9012 DUPLICATE…`: the REQUESTID was used before (§4.4).
    Duplicate,
    /// `9100`, `9101`, `9900`–`9999`: try the peer gateway with the identical body.
    RetryOnPeer,
    /// Refused; the attempt is over and no callback follows.
    Rejected(RejectClass),
}

/// Why a StartSession was refused (spec §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectClass {
    /// Device or gateway configuration.
    Configuration,
    /// The terminal is busy, offline or not responding: a new session may work later.
    UserRetryable,
    /// The terminal is busy (`8505`).
    TerminalBusy,
    /// Declined before the card flow, or another terminal response: show TEXT.
    Other,
    /// TERMID or PASS refused; never retried.
    Credentials,
    /// The request broke a format rule: a bug in this crate or its configuration.
    LocalBug,
}

/// Classifies a StartSession reply by CODE and TEXT (spec §4.2).
#[must_use]
pub fn classify_start(code: &str, text: &str) -> StartClass {
    let numeric: Option<u32> = code.trim().parse().ok().filter(|_| code.trim().len() == 4);
    match code.trim() {
        "0000" => StartClass::Delivered,
        "8505" => StartClass::Rejected(RejectClass::TerminalBusy),
        "8501" | "8502" | "8503" | "8507" | "8508" | "8510" | "9001" => {
            StartClass::Rejected(RejectClass::Configuration)
        }
        "8504" | "8512" | "8513" => StartClass::Rejected(RejectClass::UserRetryable),
        "8506" | "8514" | "8509" => StartClass::Rejected(RejectClass::Other),
        "8511" => StartClass::Rejected(RejectClass::LocalBug),
        "1001" | "9128" => StartClass::Rejected(RejectClass::Credentials),
        "9012" if text.trim().to_ascii_uppercase().starts_with("DUPLICATE") => {
            StartClass::Duplicate
        }
        "9100" | "9101" => StartClass::RetryOnPeer,
        _ => match numeric {
            Some(9900..=9999) => StartClass::RetryOnPeer,
            Some(9000..=9899) => StartClass::Rejected(RejectClass::LocalBug),
            _ => StartClass::Rejected(RejectClass::Other),
        },
    }
}

/// The outcome a callback or GetResult reply reports (spec §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResultKind {
    /// `VOIDED`: an approval was undone before settlement.
    Voided,
    /// `0000 APPROVED`.
    Approved,
    /// `0000` with another TEXT: needs review.
    Ambiguous,
    /// `9008` or `REVERSED`: an approval was reversed.
    Reversed,
    /// `8509`, `9007`: declined.
    Declined,
    /// `9005`, `CANCEL`, or any failure after a cancel request.
    Cancelled,
    /// Any other non-`0000` code; no charge stands.
    Failed {
        /// True for `8504`, `8512`, `8513`, `8514`: a reconciliation look is prudent.
        terminal_fault: bool,
    },
}

impl ResultKind {
    /// Returns the rank used to order outcomes (spec §5.6).
    #[must_use]
    pub const fn rank(self) -> u8 {
        match self {
            Self::Ambiguous => 0,
            Self::Declined | Self::Failed { .. } | Self::Cancelled => 1,
            Self::Approved => 2,
            Self::Voided | Self::Reversed => 3,
        }
    }

    /// Returns a short name for notices and `decode`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Voided => "voided",
            Self::Approved => "approved",
            Self::Ambiguous => "ambiguous",
            Self::Reversed => "reversed",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Failed { .. } => "failed",
        }
    }
}

/// Classifies a result by CODE and TEXT, first matching row wins (spec §6.1).
#[must_use]
pub fn classify_result(code: &str, text: &str, cancel_requested: bool) -> ResultKind {
    let code = code.trim();
    let text = text.trim().to_ascii_uppercase();
    if text == "VOIDED" {
        ResultKind::Voided
    } else if code == "0000" && text == "APPROVED" {
        ResultKind::Approved
    } else if code == "0000" {
        ResultKind::Ambiguous
    } else if code == "9008" || text.contains("REVERSED") {
        ResultKind::Reversed
    } else if code == "8509" || code == "9007" {
        ResultKind::Declined
    } else if code == "9005" || text.contains("CANCEL") || cancel_requested {
        ResultKind::Cancelled
    } else {
        ResultKind::Failed {
            terminal_fault: matches!(code, "8504" | "8512" | "8513" | "8514"),
        }
    }
}

/// A result as a callback or a GetResult reply carries it (spec §5.3, §7.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultMessage {
    /// `CODE`.
    pub code: String,
    /// `TEXT`.
    pub text: String,
    /// `AMT` as received.
    pub amt: Option<String>,
    /// `SECUREID`.
    pub secureid: Option<String>,
    /// `REQUESTID`.
    pub requestid: Option<String>,
    /// `REFNUM`.
    pub refnum: Option<String>,
    /// `INV`.
    pub inv: Option<String>,
    /// `ACK=Y`.
    pub ack: bool,
    /// `REFUND=Y`.
    pub refund: bool,
    /// `AUTH`.
    pub auth: Option<String>,
    /// `CARDTYPE`, the raw letter.
    pub card_type: Option<String>,
    /// `CARDMASK`, e.g. `****1234`.
    pub card_mask: Option<String>,
    /// The customer receipt markup (spec §9).
    pub receipt_customer: Option<String>,
    /// The merchant receipt markup (spec §9).
    pub receipt_merchant: Option<String>,
}

impl ResultMessage {
    /// Reads a result from decoded fields; `None` when CODE or TEXT is missing.
    #[must_use]
    pub fn from_fields(f: &Fields) -> Option<Self> {
        let own = |name: &str| f.text(name).map(ToString::to_string);
        let receipt = |copy: &str| {
            ["RECEIPTS[", "RECEIPTS."]
                .iter()
                .find_map(|p| {
                    let name = if p.ends_with('[') {
                        alloc::format!("{p}{copy}]")
                    } else {
                        alloc::format!("{p}{copy}")
                    };
                    f.get(&name).map(ToString::to_string)
                })
                .filter(|r| !r.is_empty())
        };
        Some(Self {
            code: f.text("CODE")?.into(),
            text: f.get("TEXT")?.trim().into(),
            amt: own("AMT"),
            secureid: own("SECUREID"),
            requestid: own("REQUESTID"),
            refnum: own("REFNUM"),
            inv: own("INV"),
            ack: f.flag("ACK"),
            refund: f.flag("REFUND"),
            auth: own("AUTH"),
            card_type: own("CARDTYPE"),
            card_mask: own("CARDMASK"),
            receipt_customer: receipt("Customer"),
            receipt_merchant: receipt("Merchant"),
        })
    }

    /// Returns the card brand named by `CARDTYPE` (spec §10.4).
    #[must_use]
    pub fn card_brand(&self) -> Option<CardType> {
        self.card_type.as_deref().map(CardType::from_letter)
    }
}

/// The reply to StartSession (spec §4.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartReply {
    /// `CODE`.
    pub code: String,
    /// `TEXT`.
    pub text: String,
    /// `SECUREID` on `0000`.
    pub secureid: Option<String>,
    /// `CANCELURL` on `0000`.
    pub cancelurl: Option<String>,
    /// `HOST` on `0000`.
    pub host: Option<String>,
}

impl StartReply {
    /// Reads a StartSession reply; `None` without a CODE (an unparsable envelope).
    #[must_use]
    pub fn from_fields(f: &Fields) -> Option<Self> {
        let secureid = f
            .text("SECUREID")
            .filter(|s| s.len() <= 128)
            .map(ToString::to_string);
        Some(Self {
            code: f.text("CODE")?.into(),
            text: f.get("TEXT").unwrap_or("").trim().into(),
            secureid,
            cancelurl: f.text("CANCELURL").map(ToString::to_string),
            host: f.text("HOST").map(ToString::to_string),
        })
    }
}

/// The card brand of `CARDTYPE` in terminal callbacks (spec §10.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CardType {
    /// `V`.
    Visa,
    /// `M`.
    Mastercard,
    /// `A`.
    Amex,
    /// `D`.
    Discover,
    /// `I`: Interac debit.
    Interac,
    /// Any other letter, kept raw.
    Other(String),
}

impl CardType {
    /// Maps the terminal letter.
    #[must_use]
    pub fn from_letter(letter: &str) -> Self {
        match letter.trim() {
            "V" => Self::Visa,
            "M" => Self::Mastercard,
            "A" => Self::Amex,
            "D" => Self::Discover,
            "I" => Self::Interac,
            other => Self::Other(other.into()),
        }
    }
}

/// Formats minor units as `AMT`: point and exactly two decimals (spec §10.2).
#[must_use]
pub fn format_amt(minor: i64) -> String {
    let minor = minor.max(0);
    alloc::format!("{}.{:02}", minor / 100, minor % 100)
}

/// Parses an inbound `AMT` into minor units: trimmed `^[0-9]+\.[0-9]{1,2}$` (spec §10.2).
#[must_use]
pub fn parse_amt(text: &str) -> Option<i64> {
    let (int, frac) = text.trim().split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.len() > 2 || int.len() > 15 {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let mut cents: i64 = frac.parse().ok()?;
    if frac.len() == 1 {
        cents *= 10;
    }
    whole.checked_mul(100)?.checked_add(cents)
}

/// Returns the last four characters of a card mask when they are digits (spec §10.4).
#[must_use]
pub fn card_last4(mask: &str) -> Option<&str> {
    let start = mask.len().checked_sub(4)?;
    mask.get(start..)
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
}

/// Returns true for `CUSTEMAIL`'s alphabet and length (spec §3).
#[must_use]
pub fn valid_custemail(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@.!#$%+-_{|}~".contains(&b))
}

/// Returns true for a REQUESTID: 5–20 digits (spec §10.1).
#[must_use]
pub fn valid_requestid(s: &str) -> bool {
    (5..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Returns true for an INV: 5–20 alphanumerics (spec §3).
#[must_use]
pub fn valid_inv(s: &str) -> bool {
    (5..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_section_10_2() {
        assert_eq!(format_amt(1100), "11.00");
        assert_eq!(format_amt(5), "0.05");
        assert_eq!(parse_amt(" 11.00 "), Some(1100));
        assert_eq!(parse_amt("11.5"), Some(1150));
        assert_eq!(parse_amt("11"), None);
        assert_eq!(parse_amt("11.005"), None);
        assert_eq!(parse_amt("-1.00"), None);
        assert_eq!(parse_amt(".50"), None);
    }

    #[test]
    fn start_codes_classify_per_table() {
        assert_eq!(classify_start("0000", "SUCCESS"), StartClass::Delivered);
        assert_eq!(
            classify_start("9012", "DUPLICATE REQUESTID"),
            StartClass::Duplicate
        );
        assert_eq!(
            classify_start("9012", "INVALID REQUESTID"),
            StartClass::Rejected(RejectClass::LocalBug)
        );
        assert_eq!(classify_start("9950", "X"), StartClass::RetryOnPeer);
        assert_eq!(classify_start("9101", "X"), StartClass::RetryOnPeer);
        assert_eq!(
            classify_start("9128", "INVALID PASSWORD"),
            StartClass::Rejected(RejectClass::Credentials)
        );
        assert_eq!(
            classify_start("8505", "TERMINAL BUSY"),
            StartClass::Rejected(RejectClass::TerminalBusy)
        );
        assert_eq!(
            classify_start("8513", "GATEWAY ERROR"),
            StartClass::Rejected(RejectClass::UserRetryable)
        );
        assert_eq!(
            classify_start("zz", ""),
            StartClass::Rejected(RejectClass::Other)
        );
    }

    #[test]
    fn results_classify_first_row_wins() {
        assert_eq!(classify_result("0000", "VOIDED", false), ResultKind::Voided);
        assert_eq!(
            classify_result("0000", " approved ", false),
            ResultKind::Approved
        );
        assert_eq!(classify_result("0000", "OK", false), ResultKind::Ambiguous);
        assert_eq!(classify_result("9008", "X", false), ResultKind::Reversed);
        assert_eq!(
            classify_result("8509", "DECLINED", false),
            ResultKind::Declined
        );
        assert_eq!(
            classify_result("9005", "CANCELLED", false),
            ResultKind::Cancelled
        );
        assert_eq!(
            classify_result("8514", "TIMED OUT", true),
            ResultKind::Cancelled
        );
        assert_eq!(
            classify_result("8514", "TIMED OUT", false),
            ResultKind::Failed {
                terminal_fault: true
            }
        );
        assert!(ResultKind::Voided.rank() > ResultKind::Approved.rank());
    }

    #[test]
    fn fields_match_names_case_insensitively_first_wins() {
        let f = Fields::new()
            .with("code", "0000")
            .with("CODE", "9999")
            .with("ACK", "y");
        assert_eq!(f.get("Code"), Some("0000"));
        assert!(f.flag("ack"));
        assert!(!f.flag("REFUND"));
        assert_eq!(card_last4("****1234"), Some("1234"));
        assert_eq!(card_last4("12"), None);
        assert_eq!(CardType::from_letter("I"), CardType::Interac);
    }
}
