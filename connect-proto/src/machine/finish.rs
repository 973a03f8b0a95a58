//! How an operation ends: mapping Connect results to [`Outcome`]s (spec §6, §8.4).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{
    Approval, Cancellation, CancelledBy, Currency, Decline, MaskedCard, Money, Outcome, Receipt,
    References, RejectReason, Rejection, UnknownReason, Unresolved,
};

use super::op::{Op, OpKind, Reason};
use crate::codec;
use crate::message::{Transaction, TransactionResult, TransactionType};

/// Returns the references every outcome of `op` carries.
pub(super) fn references(op: &Op, tid: &str) -> References {
    let mut r = References::default().with("tid", tid);
    r.primary.clone_from(&op.request_id);
    if let Some(reference) = op.operation.reference() {
        r = r.with("pos_reference", reference);
    }
    r
}

/// Maps a final result; `None` for `TIMED_OUT` and unknown values, which go to recovery.
pub(super) fn from_result(op: &Op, t: &Transaction, tid: &str) -> Option<Outcome> {
    let result = t.transaction_result.as_ref()?;
    let mut refs = references(op, tid);
    for (name, value) in [
        ("transactionId", &t.transaction_id),
        ("transactionNumber", &t.transaction_number),
        ("authCode", &t.auth_code),
    ] {
        if let Some(v) = value {
            refs = refs.with(name, v.as_str());
        }
    }
    if let Some(ty) = &t.transaction_type {
        refs = refs.with("transactionType", ty.as_str());
    }
    if op.cancel_refused {
        refs = refs.with("cancel_refused", "true");
    }
    let receipt = receipt(t);
    let card = t.primary_account_number.as_deref().map(MaskedCard::mask);
    let message = t.user_message.clone();
    let reversal = t
        .transaction_type
        .as_ref()
        .is_some_and(|ty| ty.is_reversal());
    Some(match result {
        TransactionResult::Successful if !reversal => {
            let currency = currency_of(op, t);
            let money = |v: Option<i64>| {
                v.filter(|v| *v > 0)
                    .and_then(|v| currency.and_then(|c| Money::from_minor(v, c).ok()))
            };
            if amount_mismatch(op, t) {
                refs = refs.with("warning", "AmountMismatch");
            }
            if let OpKind::Transaction(r) = &op.kind {
                if let Some(cb) = r.amount_cashback {
                    refs = refs.with("amountCashbackRequested", format!("{cb}"));
                }
                if r.transaction_type == TransactionType::Duplicate {
                    refs = refs.with("duplicate", "true: not a payment, evidence only");
                }
            }
            Outcome::Approved(Approval {
                amount: money(t.amount_total),
                tip: money(t.amount_gratuity),
                cashback: money(t.amount_cashback),
                auth_code: t.auth_code.clone(),
                card,
                receipt,
                references: refs,
                message,
            })
        }
        TransactionResult::Successful
        | TransactionResult::Declined
        | TransactionResult::Void
        | TransactionResult::Unsuccessful => {
            let code = if reversal {
                String::from("Reversed")
            } else {
                String::from(result.as_str())
            };
            Outcome::Declined(Decline {
                code: Some(code),
                message,
                card,
                receipt,
                references: refs,
            })
        }
        TransactionResult::Cancelled => Outcome::Cancelled(Cancellation {
            by: if op.cancel_sent {
                CancelledBy::Pos
            } else {
                CancelledBy::Terminal
            },
            code: Some("CANCELLED".into()),
            message,
            references: refs,
        }),
        TransactionResult::TimedOut | TransactionResult::Other(_) => return None,
    })
}

/// Builds a rejection: nothing started.
pub(super) fn rejected(
    op: &Op,
    tid: &str,
    reason: RejectReason,
    code: &str,
    message: Option<String>,
) -> Outcome {
    Outcome::Rejected(Rejection {
        reason,
        code: Some(code.into()),
        message,
        references: references(op, tid),
    })
}

/// Builds the `Unknown` that ends recovery, with the operator hint of §8.4.
pub(super) fn unknown(op: &Op, tid: &str, reason: Reason) -> Outcome {
    let (after, hint) = op.terminal_after.hint();
    let refs = references(op, tid)
        .with("reason", reason.name())
        .with("terminal_after", after);
    let mut evidence: Vec<String> = op.evidence.clone();
    if let Some(t) = &op.last_seen {
        if let Some(r) = &t.transaction_result {
            evidence.push(format!("last transactionResult {}", r.as_str()));
        }
        if let Some(m) = &t.user_message {
            evidence.push(format!("userMessage {m}"));
        }
    }
    Outcome::Unknown(Unresolved {
        reason: match reason {
            Reason::ConnectTimedOut | Reason::UnrecognisedResult => {
                UnknownReason::TerminalReportedUnknown
            }
            Reason::MissingResult | Reason::Deadline | Reason::NotFoundOrExpired => {
                UnknownReason::NoResult
            }
            Reason::StartUnconfirmed => UnknownReason::RequestReplyLost,
            Reason::ConfigError => UnknownReason::Unauthorized,
        },
        hint: Some(hint.into()),
        amount: op.operation.total(),
        references: refs,
        evidence,
    })
}

fn receipt(t: &Transaction) -> Receipt {
    let lines = t.receipt_lines.as_ref();
    Receipt {
        merchant: codec::receipt_text(lines.and_then(|r| r.merchant.as_ref())),
        customer: codec::receipt_text(lines.and_then(|r| r.customer.as_ref())),
    }
}

fn currency_of(op: &Op, t: &Transaction) -> Option<Currency> {
    t.currency
        .as_ref()
        .and_then(|c| Currency::from_code(c.as_str()).ok())
        .or_else(|| op.currency())
        .or_else(|| match &op.kind {
            OpKind::Transaction(r) => r
                .currency
                .as_ref()
                .and_then(|c| Currency::from_code(c.as_str()).ok()),
            _ => None,
        })
}

/// `Warning::AmountMismatch` of §5: the total is not the sum, or the base is not the request.
fn amount_mismatch(op: &Op, t: &Transaction) -> bool {
    let parts = [t.amount_base, t.amount_cashback, t.amount_gratuity];
    let sum_bad = match (t.amount_total, parts) {
        (Some(total), [Some(b), c, g]) => {
            b.checked_add(c.unwrap_or(0))
                .and_then(|x| x.checked_add(g.unwrap_or(0)))
                != Some(total)
        }
        _ => false,
    };
    let base_bad = match (&op.kind, t.amount_base) {
        (OpKind::Transaction(r), Some(base)) => r.amount.is_some_and(|a| a != base),
        _ => false,
    };
    sum_bad || base_bad
}
