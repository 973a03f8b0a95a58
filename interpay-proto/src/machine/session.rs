//! One payment session's state, its persist record and the outcomes it ends with.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{
    Approval, Cancellation, CancelledBy, Currency, Decline, MaskedCard, Money, Operation, Outcome,
    PersistRecord, Receipt, References, RejectReason, Rejection, RequestId, Secret, Timestamp,
    TxnId, UnknownReason, Unresolved,
};
use serde::{Deserialize, Serialize};

use crate::message::{ResultKind, ResultMessage};
use crate::receipt::{RenderOptions, render};

/// The vendor name written in persist records.
pub(crate) const VENDOR: &str = "interpay";

/// Where a session is (spec §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    /// StartSession attempts running.
    Starting,
    /// Possibly delivered, no `0000` seen.
    Indeterminate,
    /// `0000` received; waiting for the callback.
    Awaiting,
    /// GetResult, cancel and grace (§7).
    Recovering,
    /// An approval arrived after a cancel: waiting for a `VOIDED` or spending a GetResult (§8).
    ConfirmingRace,
    /// Approved without `ACK=Y`: the Ack is under way (§6.3).
    Capturing,
}

/// An outbound exchange in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exchange {
    /// StartSession to `bases[base]`.
    Start { base: usize },
    /// GetResult; `peer_retry` marks the one resend to the peer.
    GetResult { base: usize, peer_retry: bool },
    /// GET CANCELURL.
    Cancel,
    /// Ack; `peer_retry` marks the one resend to the peer.
    Ack { base: usize, peer_retry: bool },
}

/// The vendor state kept in `PersistRecord::data`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ResumeData {
    pub phase: Option<Phase>,
    pub inv: String,
    pub secureid: Option<String>,
    pub cancelurl: Option<String>,
    pub host: Option<String>,
    pub host_base: usize,
    pub getresults_used: u8,
    pub cancel_sent: bool,
    /// The cancel got a reply (accepted or refused): its fate is known.
    pub cancel_answered: bool,
    pub result: Option<String>,
}

/// A session in flight.
#[derive(Debug)]
pub(crate) struct Session {
    pub txn: TxnId,
    pub operation: Operation,
    pub started_unix_ms: u64,
    pub requestid: String,
    pub inv: String,
    pub token: Secret<String>,
    pub amount_minor: i64,
    pub currency: Currency,
    pub refund: bool,
    pub body: Vec<u8>,
    pub phase: Phase,
    pub attempts: u8,
    pub possibly_delivered: bool,
    pub last_reply: Option<(String, String)>,
    pub host_base: usize,
    pub host_field: Option<String>,
    pub secureid: Option<String>,
    pub cancelurl: Option<String>,
    pub cancel_wanted: bool,
    pub cancel_sent: bool,
    /// The cancel got a reply; while false after `cancel_sent`, a cancel may still reach the
    /// gateway and void an approval (spec §8).
    pub cancel_answered: bool,
    pub getresults_used: u8,
    pub pending: Option<ResultMessage>,
    pub evidence: Vec<String>,
    pub inflight: BTreeMap<RequestId, Exchange>,
}

/// A finished session, kept so late and duplicate callbacks are answered (spec §5.6, §11).
#[derive(Clone, Debug)]
pub(crate) struct Retained {
    pub txn: TxnId,
    pub requestid: String,
    pub secureid: Option<String>,
    pub amount_minor: i64,
    pub kind: Option<ResultKind>,
    pub code: Option<String>,
    pub cancel_sent: bool,
    pub expires: Timestamp,
}

/// How an approval stands with capture (spec §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Capture {
    Captured,
    Pending,
    Unconfirmed,
}

impl Capture {
    const fn name(self) -> &'static str {
        match self {
            Self::Captured => "captured",
            Self::Pending => "pending",
            Self::Unconfirmed => "unconfirmed",
        }
    }
}

impl Session {
    /// Returns the persist record for the session as it stands.
    pub(crate) fn record(&self) -> PersistRecord {
        let mut record = PersistRecord::new(
            self.txn,
            VENDOR,
            self.operation.clone(),
            self.started_unix_ms,
            self.references(),
        );
        record.secrets.insert("token".into(), self.token.clone());
        let data = ResumeData {
            phase: Some(self.phase),
            inv: self.inv.clone(),
            secureid: self.secureid.clone(),
            cancelurl: self.cancelurl.clone(),
            host: self.host_field.clone(),
            host_base: self.host_base,
            getresults_used: self.getresults_used,
            cancel_sent: self.cancel_sent,
            cancel_answered: self.cancel_answered,
            result: self
                .pending
                .as_ref()
                .map(|p| alloc::format!("{} {}", p.code, p.text)),
        };
        record.data = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
        record
    }

    /// Returns the references known so far; `primary` is the REQUESTID.
    pub(crate) fn references(&self) -> References {
        let mut r = References::primary(self.requestid.clone()).with("INV", self.inv.clone());
        if let Some(s) = &self.secureid {
            r = r.with("SECUREID", s.clone());
        }
        r
    }

    /// Returns the session's amount as money.
    pub(crate) fn amount(&self) -> Option<Money> {
        Money::from_minor(self.amount_minor, self.currency).ok()
    }

    /// Builds the approval outcome.
    pub(crate) fn approved(
        &self,
        msg: &ResultMessage,
        capture: Capture,
        cancel_raced: bool,
        receipt: &RenderOptions,
    ) -> Outcome {
        let mut refs = self.result_references(msg).with("capture", capture.name());
        if cancel_raced {
            refs = refs.with("cancel_raced", "true");
        }
        if self.refund && !msg.refund {
            refs = refs.with("refund_flag_missing", "true");
        }
        Outcome::Approved(Approval {
            amount: self.amount(),
            tip: None,
            cashback: None,
            auth_code: msg.auth.clone(),
            card: msg.card_mask.as_deref().map(MaskedCard::mask),
            receipt: receipt_lines(msg, receipt),
            references: refs,
            message: Some(msg.text.clone()),
        })
    }

    /// Builds the outcome of a non-approval result.
    pub(crate) fn not_approved(
        &self,
        kind: ResultKind,
        msg: &ResultMessage,
        receipt: &RenderOptions,
    ) -> Outcome {
        let mut refs = self.result_references(msg).with("result", kind.name());
        match kind {
            ResultKind::Declined => Outcome::Declined(Decline {
                code: Some(msg.code.clone()),
                message: Some(msg.text.clone()),
                card: msg.card_mask.as_deref().map(MaskedCard::mask),
                receipt: receipt_lines(msg, receipt),
                references: refs,
            }),
            ResultKind::Failed { terminal_fault } if msg.code != "8514" => {
                if terminal_fault {
                    refs = refs.with("terminal_fault", "true");
                }
                Outcome::Declined(Decline {
                    code: Some(msg.code.clone()),
                    message: Some(msg.text.clone()),
                    card: None,
                    receipt: receipt_lines(msg, receipt),
                    references: refs,
                })
            }
            _ => {
                let by = match kind {
                    ResultKind::Failed { .. } => CancelledBy::Timeout,
                    _ if self.cancel_sent => CancelledBy::Pos,
                    ResultKind::Cancelled => CancelledBy::Terminal,
                    _ => CancelledBy::Unspecified,
                };
                Outcome::Cancelled(Cancellation {
                    by,
                    code: Some(msg.code.clone()),
                    message: Some(msg.text.clone()),
                    references: refs,
                })
            }
        }
    }

    /// Builds a rejection of StartSession: nothing reached the card flow.
    pub(crate) fn rejected(
        &self,
        reason: RejectReason,
        code: Option<&str>,
        text: Option<&str>,
    ) -> Outcome {
        Outcome::Rejected(Rejection {
            reason,
            code: code.map(Into::into),
            message: text.map(Into::into),
            references: self.references(),
        })
    }

    /// Builds an unknown outcome with everything needed to reconcile by hand (spec §7.1).
    pub(crate) fn unknown(&self, reason: UnknownReason, hint: &str) -> Outcome {
        Outcome::Unknown(Unresolved {
            reason,
            hint: Some(alloc::format!(
                "{hint}; look up INV {} for the amount in the gateway's reporting",
                self.inv
            )),
            amount: self.amount(),
            references: self.references(),
            evidence: self.evidence.clone(),
        })
    }

    fn result_references(&self, msg: &ResultMessage) -> References {
        let mut refs = self.references();
        if let (None, Some(s)) = (&self.secureid, &msg.secureid) {
            refs = refs.with("SECUREID", s.clone());
        }
        if let Some(r) = &msg.refnum {
            refs = refs.with("REFNUM", r.clone());
        }
        if let Some(c) = &msg.card_type {
            refs = refs.with("CARDTYPE", c.clone());
        }
        refs.with("CODE", msg.code.clone())
    }
}

fn receipt_lines(msg: &ResultMessage, options: &RenderOptions) -> Receipt {
    let lines = |m: &Option<String>| m.as_deref().map(|m| render(m, options)).unwrap_or_default();
    Receipt {
        merchant: lines(&msg.receipt_merchant),
        customer: lines(&msg.receipt_customer),
    }
}

/// Encodes 16 random bytes as 26 lower-case base32 characters, RFC 4648 without padding.
pub(crate) fn base32_token(bytes: &[u8; 16]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(26);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let i = ((acc >> bits) & 31) as usize;
            out.push(char::from(*ALPHABET.get(i).unwrap_or(&b'a')));
        }
    }
    if bits > 0 {
        let i = ((acc << (5 - bits)) & 31) as usize;
        out.push(char::from(*ALPHABET.get(i).unwrap_or(&b'a')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_26_base32_characters() {
        let t = base32_token(&[0xff; 16]);
        assert_eq!(t.len(), 26);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(base32_token(&[0; 16]), "a".repeat(26));
    }
}
