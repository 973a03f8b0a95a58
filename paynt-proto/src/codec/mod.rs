//! Pure encode/decode of Paynt bodies: lenient on input, strict on output (spec §11).

mod date;
mod lenient;
mod receipt;

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

pub use date::{format_java_date, parse_java_date};
pub use receipt::render_receipt;

use crate::error::CodecError;
use crate::message::{
    PairResponse, StartRequest, StartResponse, TransType, TransactionResult, TransactionSource,
};
use lenient::{Field, amount, boolean, exact_text, integer, pick, response_code, statuses, string};

/// The default body limit, 1 MiB (spec §11 rule 2).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Parses a body into a JSON object: strips a UTF-8 BOM, enforces `max`, requires an object.
///
/// # Errors
/// `TooLarge`, `NotJson` or `NotObject`.
pub fn parse_object(body: &[u8], max: usize) -> Result<Map<String, Value>, CodecError> {
    if body.len() > max {
        return Err(CodecError::TooLarge {
            len: body.len(),
            max,
        });
    }
    let body = body.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(body);
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => Err(CodecError::NotObject),
        Err(e) => Err(CodecError::NotJson {
            detail: e.to_string(),
        }),
    }
}

/// Encodes a start request as compact JSON in the spec's key order.
#[must_use]
pub fn encode_start_request(request: &StartRequest) -> Vec<u8> {
    serde_json::to_vec(request).unwrap_or_default()
}

/// Decodes a start request leniently (the simulator's side of §12.3).
///
/// # Errors
/// A [`CodecError`] for an unreadable body, a missing or unsendable `transType`, or a bad
/// amount, UTI or reference field.
pub fn decode_start_request(body: &[u8]) -> Result<StartRequest, CodecError> {
    let obj = parse_object(body, MAX_BODY_BYTES)?;
    let trans_type = match pick(&obj, &["transType"]).map(|(_, v)| string(v)) {
        Some(Field::Ok(t)) => TransType::parse(&t),
        Some(_) => return Err(bad("transType", "not a string")),
        None => return Err(CodecError::Missing { field: "transType" }),
    };
    Ok(StartRequest {
        trans_type,
        amount_trans: strict_amount(&obj, "amountTrans")?,
        uti: strict_string(&obj, "uti")?,
        reference: strict_string(&obj, "reference")?,
        amount_gratuity: strict_amount(&obj, "amountGratuity")?,
        amount_cashback: strict_amount(&obj, "amountCashback")?,
    })
}

/// Encodes a start reply.
#[must_use]
pub fn encode_start_response(response: &StartResponse) -> Vec<u8> {
    serde_json::to_vec(response).unwrap_or_default()
}

/// Decodes a start reply leniently; unreadable fields are absent.
///
/// # Errors
/// A [`CodecError`] when the body is not a JSON object.
pub fn decode_start_response(body: &[u8]) -> Result<StartResponse, CodecError> {
    let obj = parse_object(body, MAX_BODY_BYTES)?;
    Ok(StartResponse {
        trans_type: ok(pick(&obj, &["transType", "transactionType"]).map(|(_, v)| string(v)))
            .map(|t| TransType::parse(&t)),
        amount_trans: ok(pick(&obj, &["amountTrans", "transAmount"]).map(|(_, v)| amount(v))),
        uti: ok(pick(&obj, &["uti"]).map(|(_, v)| exact_text(v))),
        amount_gratuity: ok(pick(&obj, &["amountGratuity"]).map(|(_, v)| amount(v))),
        amount_cashback: ok(pick(&obj, &["amountCashback"]).map(|(_, v)| amount(v))),
    })
}

/// Encodes a pairing reply; with `token_as_number` a numeric token goes out as a JSON number.
#[must_use]
pub fn encode_pair_response(response: &PairResponse, token_as_number: bool) -> Vec<u8> {
    let mut obj = Map::new();
    if let Some(serial) = &response.serial_number {
        obj.insert("serialNumber".into(), Value::String(serial.clone()));
    }
    let token = match response.auth_token.parse::<u64>() {
        Ok(n) if token_as_number => Value::Number(n.into()),
        _ => Value::String(response.auth_token.clone()),
    };
    obj.insert("authToken".into(), token);
    serde_json::to_vec(&Value::Object(obj)).unwrap_or_default()
}

/// Decodes a pairing reply (spec §3): the token from its literal text, never via a float.
///
/// # Errors
/// A [`CodecError`]: not an object, `authToken` absent or empty, or not text.
pub fn decode_pair_response(body: &[u8]) -> Result<PairResponse, CodecError> {
    let obj = parse_object(body, MAX_BODY_BYTES)?;
    let auth_token = match pick(&obj, &["authToken"]).map(|(_, v)| exact_text(v)) {
        Some(Field::Ok(t)) if !t.is_empty() => t,
        Some(Field::Bad) => return Err(bad("authToken", "neither text nor an integer")),
        _ => return Err(CodecError::Missing { field: "authToken" }),
    };
    let serial_number = match pick(&obj, &["serialNumber"]).map(|(_, v)| exact_text(v)) {
        Some(Field::Ok(s)) => Some(s),
        Some(_) => return Err(bad("serialNumber", "neither text nor an integer")),
        None => None,
    };
    Ok(PairResponse {
        serial_number,
        auth_token,
    })
}

/// Decodes a status/result body leniently (spec §5.1, §11).
///
/// # Errors
/// A [`CodecError`] when the body is too large, not JSON or not an object.
pub fn decode_result(body: &[u8], max: usize) -> Result<TransactionResult, CodecError> {
    let obj = parse_object(body, max)?;
    Ok(result_from_object(obj))
}

/// Encodes a result body with Paynt's names, the simulator's output.
#[must_use]
pub fn encode_result(result: &TransactionResult) -> Vec<u8> {
    let mut obj = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            obj.insert(k.into(), v);
        }
    };
    put("transApproved", result.trans_approved.map(Value::Bool));
    put("transCancelled", result.trans_cancelled.map(Value::Bool));
    put("voided", result.voided.map(Value::Bool));
    put(
        "transactionType",
        result.transaction_type.as_ref().map(|t| t.as_str().into()),
    );
    put("transAmount", result.trans_amount.map(Value::from));
    put("authCode", result.auth_code.clone().map(Value::String));
    put(
        "transactionResponse",
        result.transaction_response.clone().map(Value::String),
    );
    put(
        "primaryAccountNumber",
        result.primary_account_number.clone().map(Value::String),
    );
    put(
        "transactionSource",
        result
            .transaction_source
            .as_ref()
            .map(|s| s.as_str().into()),
    );
    put(
        "cardholderVerificationMethod",
        result
            .cardholder_verification_method
            .clone()
            .map(Value::String),
    );
    put("signature", result.signature.map(Value::Bool));
    put("appName", result.app_name.clone().map(Value::String));
    put(
        "applicationId",
        result.application_id.clone().map(Value::String),
    );
    put(
        "currencyCode",
        result.currency_code.clone().map(Value::String),
    );
    put("merchantId", result.merchant_id.clone().map(Value::String));
    put("terminalId", result.terminal_id.clone().map(Value::String));
    put("messageId", result.message_id.map(Value::from));
    put(
        "transactionDate",
        result.transaction_date.clone().map(Value::String),
    );
    put(
        "transDateTimeEpoch",
        result.trans_date_time_epoch.map(Value::from),
    );
    put("uti", result.uti.clone().map(Value::String));
    put(
        "originalUti",
        result.original_uti.clone().map(Value::String),
    );
    put(
        "cardholderReceipt",
        result
            .cardholder_receipt
            .as_deref()
            .map(receipt::encode_receipt),
    );
    put(
        "merchantReceipt",
        result
            .merchant_receipt
            .as_deref()
            .map(receipt::encode_receipt),
    );
    put(
        "Statuses",
        result.statuses.as_ref().map(|s| {
            // Cumulative statuses travel as a JSON string holding the array, as the analog does.
            Value::String(serde_json::to_string(s).unwrap_or_default())
        }),
    );
    put(
        "transPartiallyApproved",
        result.trans_partially_approved.map(Value::Bool),
    );
    put("amountGratuity", result.amount_gratuity.map(Value::from));
    put("amountCashback", result.amount_cashback.map(Value::from));
    put(
        "merchantReference",
        result.merchant_reference.clone().map(Value::String),
    );
    for (k, v) in &result.extra {
        obj.entry(k.clone()).or_insert_with(|| v.clone());
    }
    serde_json::to_vec(&Value::Object(obj)).unwrap_or_default()
}

/// Reads an error body (spec §8.3): a JSON object's first message field, else the text,
/// trimmed and cut to 512 characters. Never fails.
#[must_use]
pub fn error_text(body: &[u8]) -> String {
    let body = body.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(body);
    if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
        let names = ["errorText", "message", "error", "description", "errorCode"];
        if let Some((_, v)) = pick(&obj, &names) {
            if let Field::Ok(s) = string(v) {
                return cut(s.trim());
            }
        }
    }
    cut(String::from_utf8_lossy(body).trim())
}

const KNOWN: [&str; 44] = [
    "transApproved",
    "transCancelled",
    "voided",
    "transactionType",
    "transType",
    "transAmount",
    "amountTrans",
    "authCode",
    "authorisationCode",
    "transactionResponse",
    "responseCode",
    "primaryAccountNumber",
    "cardPan",
    "transactionSource",
    "cardType",
    "cardholderVerificationMethod",
    "signature",
    "cvmSigRequired",
    "appName",
    "cardScheme",
    "applicationId",
    "emvAId",
    "currencyCode",
    "transCurrencyCode",
    "merchantId",
    "terminalId",
    "messageId",
    "transactionDate",
    "transDateTime",
    "transDateTimeEpoch",
    "uti",
    "originalUti",
    "cardholderReceipt",
    "merchantReceipt",
    "Statuses",
    "statuses",
    "transPartiallyApproved",
    "amountGratuity",
    "amountCashback",
    "merchantReference",
    "errorCode",
    "errorText",
    "retrievalReferenceNumber",
    "stan",
];

fn result_from_object(obj: Map<String, Value>) -> TransactionResult {
    let mut r = FieldReader {
        obj: &obj,
        bad_fields: Vec::new(),
    };
    let mut result = TransactionResult {
        trans_approved: r.read(&["transApproved"], boolean),
        trans_cancelled: r.read(&["transCancelled"], boolean),
        voided: r.read(&["voided"], boolean),
        transaction_type: r
            .read(&["transactionType", "transType"], string)
            .map(|t| TransType::parse(&t)),
        trans_amount: r.read(&["transAmount", "amountTrans"], amount),
        auth_code: r.read(&["authCode", "authorisationCode"], string),
        transaction_response: r.read(&["transactionResponse", "responseCode"], response_code),
        primary_account_number: r.read(&["primaryAccountNumber", "cardPan"], string),
        transaction_source: r
            .read(&["transactionSource", "cardType"], string)
            .map(|t| TransactionSource::parse(&t)),
        cardholder_verification_method: r.read(&["cardholderVerificationMethod"], string),
        signature: r.read(&["signature", "cvmSigRequired"], boolean),
        app_name: r.read(&["appName", "cardScheme"], string),
        application_id: r.read(&["applicationId", "emvAId"], string),
        currency_code: r.read(&["currencyCode", "transCurrencyCode"], string),
        merchant_id: r.read(&["merchantId"], string),
        terminal_id: r.read(&["terminalId"], string),
        message_id: r.read(&["messageId"], integer),
        transaction_date: r.read(&["transactionDate", "transDateTime"], string),
        trans_date_time_epoch: r.read(&["transDateTimeEpoch"], integer),
        uti: r.read(&["uti"], exact_text),
        original_uti: r.read(&["originalUti"], exact_text),
        cardholder_receipt: r.read(&["cardholderReceipt"], receipt::decode_receipt),
        merchant_receipt: r.read(&["merchantReceipt"], receipt::decode_receipt),
        statuses: r.read(&["Statuses", "statuses"], statuses),
        trans_partially_approved: r.read(&["transPartiallyApproved"], boolean),
        amount_gratuity: r.read(&["amountGratuity"], amount),
        amount_cashback: r.read(&["amountCashback"], amount),
        merchant_reference: r.read(&["merchantReference"], string),
        extra: BTreeMap::new(),
        bad_fields: Vec::new(),
    };
    result.bad_fields = r.bad_fields;
    for (k, v) in obj {
        if !KNOWN.contains(&k.as_str()) && !v.is_null() {
            result.extra.insert(k, v);
        }
    }
    result
}

/// Reads typed fields out of a result object, each converted once from the map's value, and
/// lists the present fields whose values could not be read (spec §11).
struct FieldReader<'a> {
    obj: &'a Map<String, Value>,
    bad_fields: Vec<String>,
}

impl FieldReader<'_> {
    /// Reads the first non-null of `names` with `read`; an unreadable value is noted as bad
    /// and reads as absent.
    fn read<T>(&mut self, names: &[&str], read: impl FnOnce(&Value) -> Field<T>) -> Option<T> {
        let (key, value) = pick(self.obj, names)?;
        match read(value) {
            Field::Ok(v) => Some(v),
            Field::Bad => {
                self.bad_fields.push(String::from(key));
                None
            }
        }
    }
}

fn ok<T>(field: Option<Field<T>>) -> Option<T> {
    match field {
        Some(Field::Ok(v)) => Some(v),
        _ => None,
    }
}

fn strict_amount(obj: &Map<String, Value>, field: &'static str) -> Result<Option<u32>, CodecError> {
    match pick(obj, &[field]).map(|(_, v)| (v, amount(v))) {
        None => Ok(None),
        Some((_, Field::Ok(a))) => Ok(Some(a)),
        Some((v, _)) => Err(bad(
            field,
            &alloc::format!("{v} is not an integer in 0..=2147483647"),
        )),
    }
}

fn strict_string(
    obj: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, CodecError> {
    match pick(obj, &[field]) {
        None => Ok(None),
        Some((_, Value::String(s))) => Ok(Some(s.clone())),
        Some(_) => Err(bad(field, "not a string")),
    }
}

fn bad(field: &'static str, reason: &str) -> CodecError {
    CodecError::BadField {
        field,
        reason: reason.into(),
    }
}

fn cut(text: &str) -> String {
    text.chars().take(512).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_requests_are_compact_in_table_order() {
        let r = StartRequest {
            trans_type: TransType::Completion,
            amount_trans: Some(12675),
            uti: Some("8c03d5e9-16af-3b7c-9e24-5f1a0d6c73b8".into()),
            reference: Some("7d1f3b5a9c2e4f6a8b0d1c3e5f7a9b2d".into()),
            amount_gratuity: None,
            amount_cashback: None,
        };
        let text = String::from_utf8(encode_start_request(&r)).unwrap();
        assert_eq!(
            text,
            r#"{"transType":"COMPLETION","amountTrans":12675,"uti":"8c03d5e9-16af-3b7c-9e24-5f1a0d6c73b8","reference":"7d1f3b5a9c2e4f6a8b0d1c3e5f7a9b2d"}"#
        );
        assert_eq!(decode_start_request(text.as_bytes()).unwrap(), r);
    }

    #[test]
    fn results_read_aliases_bom_and_bad_fields() {
        let body = "\u{feff}{\"transApproved\":\"yes\",\"amountTrans\":\"2450\",\"cardPan\":\"5411\",\"transactionResponse\":{\"responseCode\":\"00\"},\"foo\":1,\"transApproved\":\"TRUE\"}";
        let r = decode_result(body.as_bytes(), MAX_BODY_BYTES).unwrap();
        assert_eq!(r.trans_approved, Some(true), "duplicate key: the last wins");
        assert_eq!(r.trans_amount, Some(2450));
        assert_eq!(r.primary_account_number.as_deref(), Some("5411"));
        assert_eq!(r.transaction_response.as_deref(), Some("00"));
        assert_eq!(r.extra.get("foo"), Some(&Value::from(1)));
        let bad = decode_result(br#"{"transApproved":"maybe"}"#, MAX_BODY_BYTES).unwrap();
        assert_eq!(bad.trans_approved, None);
        assert_eq!(bad.bad_fields, ["transApproved"]);
        assert!(!bad.is_final());
    }

    #[test]
    fn pair_tokens_keep_their_literal_text() {
        let r =
            decode_pair_response(br#"{"serialNumber":7300418825,"authToken":9820337719046612345}"#)
                .unwrap();
        assert_eq!(r.auth_token, "9820337719046612345");
        assert_eq!(r.serial_number.as_deref(), Some("7300418825"));
        assert_eq!(
            decode_pair_response(br#"{"authToken":""}"#),
            Err(CodecError::Missing { field: "authToken" })
        );
        assert!(decode_pair_response(br#"{"authToken":1.5e20}"#).is_err());
    }

    #[test]
    fn error_bodies_are_read_leniently() {
        assert_eq!(
            error_text(br#"{"message":" Terminal busy "}"#),
            "Terminal busy"
        );
        assert_eq!(
            error_text(b"  Invalid pairing code\n"),
            "Invalid pairing code"
        );
        assert_eq!(error_text(&[0xff, b'a']), "\u{fffd}a");
        assert_eq!(error_text("x".repeat(600).as_bytes()).len(), 512);
    }

    #[test]
    fn oversized_and_non_object_bodies_are_typed_errors() {
        assert_eq!(
            parse_object(b"{}", 1),
            Err(CodecError::TooLarge { len: 2, max: 1 })
        );
        assert_eq!(parse_object(b"[1]", 10), Err(CodecError::NotObject));
        assert!(matches!(
            parse_object(b"{", 10),
            Err(CodecError::NotJson { .. })
        ));
    }
}
