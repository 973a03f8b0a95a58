//! `pos decode`: a captured Paynt message in, the machine's normalised reading out.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Value, json};

use crate::codec;
use crate::error::DecodeError;
use crate::message::Classification;

/// The kinds [`decode`] understands.
pub const DECODE_KINDS: &[&str] = &[
    "result",
    "status",
    "start_request",
    "start_response",
    "pair_response",
    "error",
];

/// Parses a captured message of `kind` and returns what the machine would conclude from it.
///
/// `result` is a GET body read as final-or-not (§5.2–§5.3); `status` is the same with the
/// HTTP status first, e.g. `206 {"uti":..}`; the others are the POST body, the POST reply,
/// the `/pair` reply and an error body (§8.3). Card numbers come out masked; tokens redacted.
///
/// # Errors
/// [`DecodeError::UnknownKind`], [`DecodeError::BadStatus`] or the codec's typed error.
pub fn decode(kind: &str, bytes: &[u8]) -> Result<Value, DecodeError> {
    match kind {
        "result" => result(None, bytes),
        "status" => {
            let text = String::from_utf8_lossy(bytes);
            let trimmed = text.trim_start();
            let (code, body) = trimmed
                .split_once(char::is_whitespace)
                .unwrap_or((trimmed, ""));
            let status = code.parse::<u16>().map_err(|_| DecodeError::BadStatus {
                text: code.chars().take(16).collect(),
            })?;
            result(Some(status), body.as_bytes())
        }
        "start_request" => {
            let r = codec::decode_start_request(bytes)?;
            Ok(serde_json::to_value(r).unwrap_or(Value::Null))
        }
        "start_response" => {
            let r = codec::decode_start_response(bytes)?;
            let usable = r
                .uti
                .as_deref()
                .is_some_and(|u| crate::ident::check_terminal_uti(u).is_ok());
            Ok(json!({
                "uti": r.uti,
                "usable_uti": usable,
                "trans_type": r.trans_type,
                "amount_minor": r.amount_trans,
                "conclusion": if usable { "started: poll by UTI" } else { "unknown: no usable UTI" },
            }))
        }
        "pair_response" => {
            let r = codec::decode_pair_response(bytes)?;
            Ok(json!({
                "serial": r.serial_number,
                "token": "[redacted]",
                "token_valid": crate::ident::check_token(&r.auth_token).is_ok(),
            }))
        }
        "error" => Ok(json!({ "text": codec::error_text(bytes) })),
        other => Err(DecodeError::UnknownKind {
            kind: other.into(),
            known: DECODE_KINDS.join(", "),
        }),
    }
}

fn result(status: Option<u16>, bytes: &[u8]) -> Result<Value, DecodeError> {
    if status.is_some_and(|s| s != 200 && !(201..300).contains(&s)) {
        let state = match status {
            Some(206) => "in_progress",
            Some(404) => "not_found_or_in_progress",
            Some(401 | 403) => "unauthorized",
            Some(408 | 429 | 500..=599) => "transient",
            _ => "query_rejected",
        };
        return Ok(json!({ "status": status, "state": state, "text": codec::error_text(bytes) }));
    }
    let r = match codec::decode_result(bytes, codec::MAX_BODY_BYTES) {
        Ok(r) => r,
        // Row 5 of §5.2: an unparsable 2xx body means "in progress"; say why as well.
        Err(e) if status.is_some() => {
            return Ok(
                json!({ "status": status, "state": "in_progress", "unparsable": e.to_string() }),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let outcome = match r.classify() {
        None => "in_progress",
        Some(Classification::Approved) => "approved",
        Some(Classification::Declined) => "declined",
        Some(Classification::Cancelled { .. }) => "cancelled",
        Some(Classification::Voided) => "voided",
    };
    Ok(json!({
        "status": status,
        "state": if r.is_final() { "final" } else { "in_progress" },
        "outcome": outcome,
        "contradictory_flags": matches!(r.classify(), Some(Classification::Cancelled { contradictory: true })),
        "trans_type": r.transaction_type,
        "amount_minor": r.trans_amount,
        "currency_code": r.currency_code,
        "auth_code": r.auth_code,
        "response_code": r.transaction_response,
        "card": r.primary_account_number.as_deref().map(|p| pos_core::MaskedCard::mask(p).to_string()),
        "entry": r.transaction_source.as_ref().map(|s| s.as_str().to_string()),
        "signature": r.signature,
        "uti": r.uti,
        "original_uti": r.original_uti,
        "transaction_date": r.transaction_date,
        "transaction_unix_ms": r.transaction_date.as_deref().and_then(codec::parse_java_date),
        "statuses": r.statuses,
        "bad_fields": r.bad_fields,
        "extra_keys": r.extra.keys().collect::<Vec<_>>(),
        "merchant_receipt": r.merchant_receipt.as_deref().map(|l| codec::render_receipt(l, 40)),
        "cardholder_receipt": r.cardholder_receipt.as_deref().map(|l| codec::render_receipt(l, 40)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_decode_to_their_outcome() {
        let v = decode(
            "result",
            br#"{"transApproved":true,"transAmount":2450,"primaryAccountNumber":"5413330000004111","uti":"u1"}"#,
        )
        .unwrap();
        assert_eq!(v["outcome"], "approved");
        assert_eq!(v["card"], "541333******4111");
        let v = decode("status", b"206 {\"uti\":\"u1\"}").unwrap();
        assert_eq!(v["state"], "in_progress");
        assert!(matches!(
            decode("nope", b""),
            Err(DecodeError::UnknownKind { .. })
        ));
        assert!(matches!(
            decode("status", b"abc {}"),
            Err(DecodeError::BadStatus { .. })
        ));
        let v = decode("pair_response", br#"{"authToken":"5820337719046612"}"#).unwrap();
        assert_eq!(v["token"], "[redacted]");
    }
}
