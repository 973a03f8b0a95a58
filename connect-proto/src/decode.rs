//! `decode`: what the machine would conclude from one captured Connect body, as JSON.

use alloc::string::String;
use alloc::vec::Vec;

use pos_core::MaskedCard;
use serde_json::{Value, json};

use crate::codec;
use crate::error::DecodeError;
use crate::message::{Transaction, TransactionResult};

/// The kinds [`decode`] understands.
pub const DECODE_KINDS: &[&str] = &[
    "transaction",
    "report",
    "terminal",
    "terminal_list",
    "request_location",
    "error",
];

/// Parses a captured body of `kind` (one of [`DECODE_KINDS`]) and returns the normalised,
/// typed result: outcome class, amounts, references and masked card for a transaction.
///
/// # Errors
/// [`DecodeError::UnknownKind`] for another kind, and the codec's errors for a body that is
/// not a JSON object of that kind.
pub fn decode(kind: &str, bytes: &[u8]) -> Result<Value, DecodeError> {
    match kind {
        "transaction" => Ok(transaction(&codec::decode_transaction(bytes)?)),
        "report" => {
            let r = codec::decode_report(bytes)?;
            Ok(json!({
                "kind": "report",
                "finished": r.is_finished(),
                "request_id": r.request_id,
                "tid": r.tid,
                "report_type": r.report_type.as_ref().map(|t| t.as_str()),
                "report_result": r.report_result.as_ref().map(|t| t.as_str()),
                "report_time": r.report_time,
                "notifications": r.notifications,
                "lines": r.report_lines.iter().map(|l| l.value.clone()).collect::<Vec<String>>(),
                "balances": r.balances,
                "banking": r.banking,
                "warnings": r.warnings,
            }))
        }
        "terminal" => {
            let t = codec::decode_terminal(bytes)?;
            Ok(
                json!({"kind": "terminal", "tid": t.tid, "status": t.status.as_str(),
                "currency": t.currency.as_str()}),
            )
        }
        "terminal_list" => {
            let (list, warnings) = codec::decode_terminal_list(bytes)?;
            let terminals: Vec<Value> = list
                .terminals
                .iter()
                .map(|t| json!({"tid": t.tid, "status": t.status.as_str(), "currency": t.currency.as_str()}))
                .collect();
            Ok(json!({"kind": "terminal_list", "terminals": terminals, "warnings": warnings}))
        }
        "request_location" => {
            let l = codec::decode_request_location(bytes)?;
            Ok(
                json!({"kind": "request_location", "confirmed": !l.request_id.is_empty(),
                "request_id": l.request_id, "location": l.location}),
            )
        }
        "error" => {
            let e = codec::decode_error_body(bytes)?;
            Ok(json!({"kind": "error", "user_message": e.user_message}))
        }
        other => Err(DecodeError::UnknownKind {
            kind: other.into(),
            known: DECODE_KINDS.join(", "),
        }),
    }
}

fn transaction(t: &Transaction) -> Value {
    let finished = t.is_finished();
    let reversal = t
        .transaction_type
        .as_ref()
        .is_some_and(|ty| ty.is_reversal());
    let class = match (&t.transaction_result, finished) {
        (_, false) => "pending",
        (Some(TransactionResult::Successful), true) if !reversal => "approved",
        (
            Some(
                TransactionResult::Successful
                | TransactionResult::Declined
                | TransactionResult::Void
                | TransactionResult::Unsuccessful,
            ),
            true,
        ) => "declined",
        (Some(TransactionResult::Cancelled), true) => "cancelled",
        (Some(TransactionResult::TimedOut | TransactionResult::Other(_)), true) => {
            "unknown_after_recovery"
        }
        (None, true) => "missing_result",
    };
    json!({
        "kind": "transaction",
        "finished": finished,
        "outcome_class": class,
        "transaction_result": t.transaction_result.as_ref().map(|r| r.as_str()),
        "transaction_type": t.transaction_type.as_ref().map(|r| r.as_str()),
        "amounts": {
            "base": t.amount_base, "cashback": t.amount_cashback,
            "gratuity": t.amount_gratuity, "total": t.amount_total,
        },
        "currency": t.currency.as_ref().map(|c| c.as_str()),
        "auth_code": t.auth_code,
        "references": {
            "requestId": t.request_id,
            "transactionId": t.transaction_id,
            "transactionNumber": t.transaction_number,
        },
        "card": t.primary_account_number.as_deref().map(|p| String::from(MaskedCard::mask(p).as_str())),
        "cvm": t.cvm.as_ref().map(|c| c.as_str()),
        "payment_method": t.payment_method.as_ref().map(|c| c.as_str()),
        "notifications": t.notifications,
        "user_message": t.user_message,
        "warnings": t.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_sale_decodes_to_approved() {
        let v = decode(
            "transaction",
            br#"{"location":"l","notifications":["TRANSACTION_FINISHED"],"transactionResult":"SUCCESSFUL",
            "transactionType":"SALE","amountBase":"2200","amountTotal":2200,"primaryAccountNumber":"4111111111111111"}"#,
        )
        .unwrap();
        assert_eq!(v["outcome_class"], "approved");
        assert_eq!(v["amounts"]["base"], 2200);
        assert_eq!(v["card"], "411111******1111");
    }

    #[test]
    fn reversals_and_timeouts_are_not_approvals() {
        let v = decode("transaction", br#"{"notifications":["TRANSACTION_FINISHED"],"transactionResult":"SUCCESSFUL","transactionType":"SALE_REVERSAL"}"#).unwrap();
        assert_eq!(v["outcome_class"], "declined");
        let v = decode(
            "transaction",
            br#"{"notifications":["TRANSACTION_FINISHED"],"transactionResult":"TIMED_OUT"}"#,
        )
        .unwrap();
        assert_eq!(v["outcome_class"], "unknown_after_recovery");
    }

    #[test]
    fn unknown_kinds_and_bad_bodies_are_typed_errors() {
        assert!(matches!(
            decode("nope", b"{}"),
            Err(DecodeError::UnknownKind { .. })
        ));
        assert_eq!(
            decode("terminal", b"{}"),
            Err(DecodeError::MissingField { name: "tid" })
        );
        assert_eq!(decode("error", b""), Err(DecodeError::Empty));
        for kind in DECODE_KINDS {
            assert!(decode(kind, b"not json").is_err());
        }
    }
}
