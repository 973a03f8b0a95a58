//! `decode`: a captured vendor message as the machine would read it, for `pos decode`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Value, json};

use crate::codec::{decode_body, decode_form};
use crate::error::DecodeError;
use crate::message::{
    ResultMessage, StartReply, card_last4, classify_result, classify_start, parse_amt,
};
use crate::receipt::{RenderOptions, render};

/// The kinds [`decode`] accepts.
pub const DECODE_KINDS: &[&str] = &[
    "start_request",
    "start_reply",
    "callback",
    "callback_form",
    "get_result",
    "receipt",
];

/// Parses a captured message of `kind` and returns what the machine would conclude from it.
///
/// # Errors
/// `UnknownKind`, a codec error, or a missing or invalid field.
pub fn decode(kind: &str, bytes: &[u8]) -> Result<Value, DecodeError> {
    match kind {
        "start_request" => {
            let f = decode_body(None, bytes)?;
            let fields: Vec<Value> = f
                .iter()
                .map(|(n, v)| {
                    let shown = if n.eq_ignore_ascii_case("PASS") {
                        "[redacted]"
                    } else {
                        v
                    };
                    json!([n, shown])
                })
                .collect();
            let amt = f.text("AMT").ok_or(DecodeError::MissingField("AMT"))?;
            let minor = parse_amt(amt).ok_or_else(|| invalid("AMT", amt))?;
            Ok(json!({
                "kind": kind,
                "action": f.get("ACTION"),
                "amount_minor": minor,
                "refund": f.flag("REFUND"),
                "requestid": f.get("REQUESTID"),
                "fields": fields,
            }))
        }
        "start_reply" => {
            let f = decode_body(None, bytes)?;
            let r = StartReply::from_fields(&f).ok_or(DecodeError::MissingField("CODE"))?;
            let class = classify_start(&r.code, &r.text);
            Ok(json!({
                "kind": kind,
                "code": r.code,
                "text": r.text,
                "class": serde_json::to_value(class).unwrap_or(Value::Null),
                "secureid": r.secureid,
                "cancelurl": r.cancelurl,
                "host": r.host,
            }))
        }
        "callback" | "callback_form" | "get_result" => {
            let f = if kind == "callback_form" {
                let text = core::str::from_utf8(bytes).map_err(|_| crate::CodecError::NotUtf8)?;
                decode_form(text)
            } else {
                decode_body(None, bytes)?
            };
            let m = ResultMessage::from_fields(&f).ok_or(DecodeError::MissingField("CODE/TEXT"))?;
            if m.requestid.is_none() && m.secureid.is_none() {
                return Err(DecodeError::MissingField("REQUESTID or SECUREID"));
            }
            Ok(result_json(kind, &m))
        }
        "receipt" => {
            let text = String::from_utf8_lossy(bytes);
            Ok(json!({"kind": kind, "lines": render(&text, &RenderOptions::default())}))
        }
        _ => Err(DecodeError::UnknownKind {
            kind: kind.into(),
            expected: DECODE_KINDS.join(", "),
        }),
    }
}

fn result_json(kind: &str, m: &ResultMessage) -> Value {
    let class = classify_result(&m.code, &m.text, false);
    let amount_minor = m.amt.as_deref().and_then(parse_amt);
    let options = RenderOptions::default();
    let receipt = |r: &Option<String>| r.as_deref().map(|r| render(r, &options));
    json!({
        "kind": kind,
        "outcome": class.name(),
        "terminal_fault": matches!(class, crate::message::ResultKind::Failed { terminal_fault: true }),
        "code": m.code,
        "text": m.text,
        "amount": m.amt,
        "amount_minor": amount_minor,
        "amount_parsable": amount_minor.is_some(),
        "requestid": m.requestid,
        "secureid": m.secureid,
        "refnum": m.refnum,
        "inv": m.inv,
        "auth": m.auth,
        "card_type": m.card_brand().map(|c| serde_json::to_value(c).unwrap_or(Value::Null)),
        "card": m.card_mask.as_deref().map(|c| pos_core::MaskedCard::mask(c).to_string()),
        "card_last4": m.card_mask.as_deref().and_then(card_last4),
        "ack": m.ack,
        "refund": m.refund,
        "receipt_customer": receipt(&m.receipt_customer),
        "receipt_merchant": receipt(&m.receipt_merchant),
    })
}

fn invalid(field: &'static str, value: &str) -> DecodeError {
    DecodeError::InvalidField {
        field,
        value: value.into(),
    }
}
