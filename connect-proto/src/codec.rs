//! Pure encode/decode of Connect bodies: lenient on input, strict on output (spec §11).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::DecodeError;
use crate::message::{
    Cvm, ErrorBody, PaymentMethod, ReceiptLine, ReceiptLines, Report, ReportResult, ReportType,
    RequestLocation, ResultType, Terminal, TerminalList, TerminalStatus, Transaction,
    TransactionResult, Warning, WireCurrency,
};

/// The largest body the codec reads (§11).
pub const MAX_BODY: usize = 1024 * 1024;

/// Serialises a request or response body strictly: one JSON object, fields in struct order.
#[must_use]
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Parses an E4 body.
///
/// # Errors
/// [`DecodeError`] when the body is empty, too large, not JSON or not an object.
pub fn decode_transaction(bytes: &[u8]) -> Result<Transaction, DecodeError> {
    let map = object(bytes)?;
    Ok(transaction_from_map(map))
}

/// Parses an E8 body.
///
/// # Errors
/// [`DecodeError`] when the body is empty, too large, not JSON or not an object.
pub fn decode_report(bytes: &[u8]) -> Result<Report, DecodeError> {
    let map = object(bytes)?;
    let mut r = Fields::new(map);
    let report = Report {
        request_id: r.string(&["requestId", "reportId"]),
        location: r.string(&["location"]),
        notifications: r.notifications(),
        tid: r.string(&["tid", "tpi"]),
        report_type: r.string(&["reportType"]).map(|s| ReportType::parse(&s)),
        report_result: r.string(&["reportResult"]).map(|s| ReportResult::parse(&s)),
        report_time: r.string(&["reportTime"]),
        report_lines: r.lines("reportLines").unwrap_or_default(),
        balances: r.raw("balances"),
        banking: r.raw("banking"),
        extra: Vec::new(),
        warnings: Vec::new(),
    };
    let (extra, warnings) = r.finish();
    Ok(Report {
        extra,
        warnings,
        ..report
    })
}

/// Parses an E2 body (one terminal).
///
/// # Errors
/// [`DecodeError::MissingField`] without a `tid`, and the body errors of
/// [`decode_transaction`].
pub fn decode_terminal(bytes: &[u8]) -> Result<Terminal, DecodeError> {
    let map = object(bytes)?;
    terminal_from_map(map).ok_or(DecodeError::MissingField { name: "tid" })
}

/// Parses an E1 body; a bare array is accepted and entries without a `tid` are skipped.
///
/// # Errors
/// [`DecodeError`] when the body is empty, too large or not JSON.
pub fn decode_terminal_list(bytes: &[u8]) -> Result<(TerminalList, Vec<Warning>), DecodeError> {
    let value = json(bytes)?;
    let entries = match value {
        Value::Array(a) => a,
        Value::Object(mut m) => match m.remove("terminals") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => return Err(DecodeError::NotAnObject),
    };
    let mut list = TerminalList::default();
    let mut warnings = Vec::new();
    for entry in entries {
        match entry {
            Value::Object(m) => match terminal_from_map(m) {
                Some(t) => list.terminals.push(t),
                None => warnings.push(Warning::TerminalWithoutTid),
            },
            _ => warnings.push(Warning::TerminalWithoutTid),
        }
    }
    Ok((list, warnings))
}

/// Parses a 201 body; an empty `requestId` is kept empty (an unconfirmed start, §8.5).
///
/// # Errors
/// [`DecodeError`] when the body is empty, too large, not JSON or not an object.
pub fn decode_request_location(bytes: &[u8]) -> Result<RequestLocation, DecodeError> {
    let map = object(bytes)?;
    let mut r = Fields::new(map);
    Ok(RequestLocation {
        request_id: r.string(&["requestId", "reportId"]).unwrap_or_default(),
        location: r.string(&["location"]).unwrap_or_default(),
    })
}

/// Reads the `userMessage` of an error body, if there is one (never branched on, §5).
#[must_use]
pub fn user_message(bytes: &[u8]) -> Option<String> {
    let map = object(bytes).ok()?;
    Fields::new(map).string(&["userMessage"])
}

/// Parses an error body.
///
/// # Errors
/// [`DecodeError`] when the body is empty, too large, not JSON or not an object.
pub fn decode_error_body(bytes: &[u8]) -> Result<ErrorBody, DecodeError> {
    let map = object(bytes)?;
    Ok(ErrorBody {
        user_message: Fields::new(map)
            .string(&["userMessage"])
            .unwrap_or_default(),
    })
}

/// Serialises a transaction as E4 does; `None` fields are omitted, unknown fields kept.
#[must_use]
pub fn encode_transaction(t: &Transaction) -> Vec<u8> {
    encode(&transaction_to_value(t))
}

/// Builds the JSON object of a transaction (for [`encode_transaction`] and the simulator).
#[must_use]
pub fn transaction_to_value(t: &Transaction) -> Value {
    let mut m = Map::new();
    for (k, v) in &t.extra {
        m.insert(k.clone(), v.clone());
    }
    put_str(&mut m, "requestId", t.request_id.as_deref());
    put_str(&mut m, "location", t.location.as_deref());
    m.insert(
        "notifications".into(),
        Value::Array(t.notifications.iter().cloned().map(Value::String).collect()),
    );
    put_str(
        &mut m,
        "transactionResult",
        t.transaction_result.as_ref().map(TransactionResult::as_str),
    );
    put_str(
        &mut m,
        "transactionType",
        t.transaction_type.as_ref().map(ResultType::as_str),
    );
    put_int(&mut m, "amountBase", t.amount_base);
    put_int(&mut m, "amountCashback", t.amount_cashback);
    put_int(&mut m, "amountGratuity", t.amount_gratuity);
    put_int(&mut m, "amountTotal", t.amount_total);
    put_str(
        &mut m,
        "currency",
        t.currency.as_ref().map(WireCurrency::as_str),
    );
    put_str(&mut m, "authCode", t.auth_code.as_deref());
    put_str(&mut m, "transactionId", t.transaction_id.as_deref());
    put_str(&mut m, "transactionNumber", t.transaction_number.as_deref());
    put_str(&mut m, "cardSchemeName", t.card_scheme_name.as_deref());
    put_str(&mut m, "applicationLabel", t.application_label.as_deref());
    put_str(&mut m, "applicationId", t.application_id.as_deref());
    put_str(
        &mut m,
        "cardHolderVerificationMethod",
        t.cvm.as_ref().map(Cvm::as_str),
    );
    put_str(
        &mut m,
        "paymentMethod",
        t.payment_method.as_ref().map(PaymentMethod::as_str),
    );
    put_str(
        &mut m,
        "primaryAccountNumber",
        t.primary_account_number.as_deref(),
    );
    put_str(
        &mut m,
        "primaryAccountNumberSequence",
        t.primary_account_number_sequence.as_deref(),
    );
    put_str(&mut m, "dateOfExpiry", t.date_of_expiry.as_deref());
    put_str(&mut m, "dateOfStart", t.date_of_start.as_deref());
    put_str(&mut m, "transactionTime", t.transaction_time.as_deref());
    if let Some(r) = &t.receipt_lines {
        m.insert("receiptLines".into(), receipts_to_value(r));
    }
    put_str(&mut m, "userMessage", t.user_message.as_deref());
    Value::Object(m)
}

/// Serialises a report as E8 does.
#[must_use]
pub fn encode_report(r: &Report) -> Vec<u8> {
    let mut m = Map::new();
    for (k, v) in &r.extra {
        m.insert(k.clone(), v.clone());
    }
    put_str(&mut m, "requestId", r.request_id.as_deref());
    put_str(&mut m, "location", r.location.as_deref());
    m.insert(
        "notifications".into(),
        Value::Array(r.notifications.iter().cloned().map(Value::String).collect()),
    );
    put_str(&mut m, "tid", r.tid.as_deref());
    put_str(
        &mut m,
        "reportType",
        r.report_type.as_ref().map(ReportType::as_str),
    );
    put_str(
        &mut m,
        "reportResult",
        r.report_result.as_ref().map(ReportResult::as_str),
    );
    put_str(&mut m, "reportTime", r.report_time.as_deref());
    if !r.report_lines.is_empty() {
        m.insert("reportLines".into(), lines_to_value(&r.report_lines));
    }
    if let Some(b) = &r.balances {
        m.insert("balances".into(), b.clone());
    }
    if let Some(b) = &r.banking {
        m.insert("banking".into(), b.clone());
    }
    encode(&Value::Object(m))
}

/// Turns receipt lines into the plain text a [`pos_core::Receipt`] holds.
#[must_use]
pub fn receipt_text(lines: Option<&Vec<ReceiptLine>>) -> Vec<String> {
    lines
        .map(|ls| ls.iter().map(|l| l.value.clone()).collect())
        .unwrap_or_default()
}

// ----- helpers --------------------------------------------------------------------------

fn json(bytes: &[u8]) -> Result<Value, DecodeError> {
    if bytes.len() > MAX_BODY {
        return Err(DecodeError::TooLarge { len: bytes.len() });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(DecodeError::Empty);
    };
    let trimmed = bytes.get(start..).unwrap_or_default();
    serde_json::from_slice(trimmed).map_err(|e| DecodeError::Json {
        detail: e.to_string(),
    })
}

fn object(bytes: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    match json(bytes)? {
        Value::Object(m) => Ok(m),
        _ => Err(DecodeError::NotAnObject),
    }
}

fn transaction_from_map(map: Map<String, Value>) -> Transaction {
    let mut r = Fields::new(map);
    let t = Transaction {
        request_id: r.string(&["requestId"]),
        location: r.string(&["location"]),
        notifications: r.notifications(),
        transaction_result: r
            .string(&["transactionResult"])
            .map(|s| TransactionResult::parse(&s)),
        transaction_type: r
            .string(&["transactionType"])
            .map(|s| ResultType::parse(&s)),
        amount_base: r.int("amountBase"),
        amount_cashback: r.int("amountCashback"),
        amount_gratuity: r.int("amountGratuity"),
        amount_total: r.int("amountTotal"),
        currency: r.string(&["currency"]).map(|s| WireCurrency::parse(&s)),
        auth_code: r.string(&["authCode"]),
        transaction_id: r.string(&["transactionId"]),
        transaction_number: r.string(&["transactionNumber"]),
        card_scheme_name: r.string(&["cardSchemeName"]),
        application_label: r.string(&["applicationLabel"]),
        application_id: r.string(&["applicationId"]),
        cvm: r
            .string(&[
                "cardHolderVerificationMethod",
                "cardholderVerificationMethod",
            ])
            .map(|s| Cvm::parse(&s)),
        payment_method: r
            .string(&["paymentMethod"])
            .map(|s| PaymentMethod::parse(&s)),
        primary_account_number: r.string(&["primaryAccountNumber"]),
        primary_account_number_sequence: r.string(&["primaryAccountNumberSequence"]),
        date_of_expiry: r.string(&["dateOfExpiry"]),
        date_of_start: r.string(&["dateOfStart"]),
        transaction_time: r.string(&["transactionTime"]),
        receipt_lines: r.receipts(),
        user_message: r.string(&["userMessage"]),
        extra: Vec::new(),
        warnings: Vec::new(),
    };
    let (extra, warnings) = r.finish();
    Transaction {
        extra,
        warnings,
        ..t
    }
}

fn terminal_from_map(map: Map<String, Value>) -> Option<Terminal> {
    let mut r = Fields::new(map);
    let tid = r.string(&["tid", "tpi"])?;
    Some(Terminal {
        tid,
        status: TerminalStatus::parse(&r.string(&["status"]).unwrap_or_default()),
        currency: WireCurrency::parse(&r.string(&["currency"]).unwrap_or_default()),
        location: r.string(&["location"]).unwrap_or_default(),
    })
}

/// Takes fields out of a JSON object one by one; what is left becomes `extra`.
struct Fields {
    map: Map<String, Value>,
    warnings: Vec<Warning>,
}

impl Fields {
    const fn new(map: Map<String, Value>) -> Self {
        Self {
            map,
            warnings: Vec::new(),
        }
    }

    /// Takes the first present name; null and empty strings are absent; numbers become text.
    fn string(&mut self, names: &[&str]) -> Option<String> {
        let mut found = None;
        for name in names {
            if let Some(v) = self.map.remove(*name) {
                if found.is_none() {
                    found = Some(((*name).to_string(), v));
                }
            }
        }
        let (name, v) = found?;
        match v {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.warnings.push(Warning::BadField { name });
                None
            }
        }
    }

    /// Takes an integer: a JSON integer, an integral float or a digit string (§11).
    fn int(&mut self, name: &str) -> Option<i64> {
        let v = self.map.remove(name)?;
        let text = match &v {
            Value::Null => return None,
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    return Some(i);
                }
                n.to_string()
            }
            _ => String::new(),
        };
        let parsed = parse_integral(&text);
        if parsed.is_none() {
            self.warnings.push(Warning::BadField { name: name.into() });
        }
        parsed
    }

    fn notifications(&mut self) -> Vec<String> {
        match self.map.remove("notifications") {
            Some(Value::Array(a)) => a
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            Some(Value::Null) | None => Vec::new(),
            Some(_) => {
                self.warnings.push(Warning::BadField {
                    name: "notifications".into(),
                });
                Vec::new()
            }
        }
    }

    fn raw(&mut self, name: &str) -> Option<Value> {
        match self.map.remove(name)? {
            Value::Null => None,
            v => Some(v),
        }
    }

    fn lines(&mut self, name: &str) -> Option<Vec<ReceiptLine>> {
        let v = self.map.remove(name)?;
        match v {
            Value::Array(a) => Some(a.iter().filter_map(line_from_value).collect()),
            Value::Null => None,
            _ => {
                self.warnings.push(Warning::BadField { name: name.into() });
                None
            }
        }
    }

    fn receipts(&mut self) -> Option<ReceiptLines> {
        let v = self.map.remove("receiptLines")?;
        let Value::Object(m) = v else {
            if !v.is_null() {
                self.warnings.push(Warning::BadField {
                    name: "receiptLines".into(),
                });
            }
            return None;
        };
        let mut out = ReceiptLines::default();
        for (k, v) in m {
            let lines: Vec<ReceiptLine> = match &v {
                Value::Array(a) => a.iter().filter_map(line_from_value).collect(),
                _ => continue,
            };
            match k.as_str() {
                "MERCHANT" => out.merchant = Some(lines),
                "CUSTOMER" => out.customer = Some(lines),
                _ => out.other.push((k, lines)),
            }
        }
        Some(out)
    }

    fn finish(self) -> (Vec<(String, Value)>, Vec<Warning>) {
        (self.map.into_iter().collect(), self.warnings)
    }
}

/// Reads a receipt line; one without `value` is kept with an empty value (§11).
fn line_from_value(v: &Value) -> Option<ReceiptLine> {
    let m = v.as_object()?;
    let value = match m.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let kind = m
        .get("type")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(String::from);
    let format = m
        .get("format")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Some(ReceiptLine {
        value,
        kind,
        format,
    })
}

/// Parses `-?digits(.0*)?` without floating point.
fn parse_integral(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if !frac.bytes().all(|b| b == b'0') {
        return None;
    }
    let digits = int.strip_prefix('-').unwrap_or(int);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    int.parse().ok()
}

fn put_str(m: &mut Map<String, Value>, name: &str, v: Option<&str>) {
    if let Some(v) = v {
        m.insert(name.into(), Value::String(v.into()));
    }
}

fn put_int(m: &mut Map<String, Value>, name: &str, v: Option<i64>) {
    if let Some(v) = v {
        m.insert(name.into(), Value::from(v));
    }
}

fn lines_to_value(lines: &[ReceiptLine]) -> Value {
    serde_json::to_value(lines).unwrap_or(Value::Array(Vec::new()))
}

fn receipts_to_value(r: &ReceiptLines) -> Value {
    let mut m = Map::new();
    for (k, v) in &r.other {
        m.insert(k.clone(), lines_to_value(v));
    }
    if let Some(l) = &r.merchant {
        m.insert("MERCHANT".into(), lines_to_value(l));
    }
    if let Some(l) = &r.customer {
        m.insert("CUSTOMER".into(), lines_to_value(l));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_numbers_and_spellings() {
        let body = br#"{"location":"x","notifications":["TRANSACTION_FINISHED",3],
            "amountBase":"100","amountTotal":100.0,"amountGratuity":"1.5",
            "cardholderVerificationMethod":"pin","transactionResult":" successful ",
            "dateOfStart":"","authCode":null,"zz":1}"#;
        let t = decode_transaction(body).unwrap();
        assert_eq!(t.amount_base, Some(100));
        assert_eq!(t.amount_total, Some(100));
        assert_eq!(t.amount_gratuity, None);
        assert_eq!(
            t.warnings,
            [Warning::BadField {
                name: "amountGratuity".into()
            }]
        );
        assert_eq!(t.cvm, Some(Cvm::Pin));
        assert_eq!(t.transaction_result, Some(TransactionResult::Successful));
        assert_eq!(t.date_of_start, None);
        assert_eq!(t.auth_code, None);
        assert_eq!(t.notifications, ["TRANSACTION_FINISHED"]);
        assert_eq!(t.extra, [("zz".into(), Value::from(1))]);
        assert!(t.is_finished());
    }

    #[test]
    fn bodies_that_are_not_objects_are_typed_errors() {
        assert_eq!(decode_transaction(b"  "), Err(DecodeError::Empty));
        assert_eq!(decode_transaction(b"[1]"), Err(DecodeError::NotAnObject));
        assert!(matches!(
            decode_transaction(b"{"),
            Err(DecodeError::Json { .. })
        ));
        assert_eq!(
            decode_transaction(b"\xEF\xBB\xBF{\"notifications\":[]}")
                .unwrap()
                .notifications
                .len(),
            0
        );
    }

    #[test]
    fn terminal_lists_accept_bare_arrays_and_skip_entries_without_tid() {
        let (list, warnings) = decode_terminal_list(
            br#"[{"tid":"1","status":"AVAILABLE","currency":"GBP","location":"l"},{"status":"BUSY"}]"#,
        )
        .unwrap();
        assert_eq!(list.terminals.len(), 1);
        assert_eq!(warnings, [Warning::TerminalWithoutTid]);
        let (list, _) = decode_terminal_list(b"{}").unwrap();
        assert!(list.terminals.is_empty());
    }

    #[test]
    fn integral_parsing_never_uses_floats() {
        assert_eq!(parse_integral("12"), Some(12));
        assert_eq!(parse_integral("12.000"), Some(12));
        assert_eq!(parse_integral("-3"), Some(-3));
        assert_eq!(parse_integral("1e3"), None);
        assert_eq!(parse_integral("1.25"), None);
        assert_eq!(parse_integral(""), None);
        assert_eq!(parse_integral("99999999999999999999"), None);
    }
}
