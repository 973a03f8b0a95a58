//! Pure encode and classify: strict request JSON out, lenient responses in (spec §3, §7, §9,
//! §11), and [`decode`] for `pos decode`.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use pos_core::{Currency, MaskedCard, Money};
use serde_json::{Map, Value, json};

use crate::error::DecodeError;
use crate::message::{
    Envelope, ResponseCode, TOPIC_BATCH_CLOSE, TOPIC_CLOSE, TOPIC_GET_INFO, TOPIC_INIT,
    TOPIC_ORDER, TOPIC_PAY_INIT, TOPIC_QUERY, TOPIC_TIP_ADJUST, TransType,
};

/// The kinds [`decode`] accepts.
pub const DECODE_KINDS: &[&str] = &[
    "order_response",
    "query_response",
    "close_response",
    "response",
    "request",
    "serial_frame",
];

/// Longest amount string the POS writes and the simulator accepts (spec §9).
pub const MAX_AMOUNT_CHARS: usize = 12;

/// Parses a captured message of `kind` and returns what the machine would conclude from it.
///
/// Kinds: `order_response`, `query_response`, `close_response`, `response` (classified by its
/// topic), `request` (a POS request, as the simulator reads it) and `serial_frame` (one §12
/// frame as bytes; its payload is classified as a `response` when it is one).
///
/// # Errors
/// [`DecodeError`] saying what is wrong: not UTF-8, not JSON, not an object, a missing
/// `response_code`, an unknown kind, or a malformed serial frame.
pub fn decode(kind: &str, bytes: &[u8]) -> Result<Value, DecodeError> {
    match kind {
        "order_response" => decode_response(bytes, Some(TOPIC_ORDER)),
        "query_response" => decode_response(bytes, Some(TOPIC_QUERY)),
        "close_response" => decode_response(bytes, Some(TOPIC_CLOSE)),
        "response" => decode_response(bytes, None),
        "request" => decode_request(bytes),
        "serial_frame" => decode_serial(bytes),
        other => Err(DecodeError::UnknownKind {
            kind: other.into(),
            expected: DECODE_KINDS.join(", "),
        }),
    }
}

/// What a response to `ecrhub.pay.order` means (spec §7.1 order column, §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderClass {
    /// Money moved.
    Approved,
    /// Declined, refused before processing, or the terminal is not ready.
    Declined(DeclineKind),
    /// Cancelled or closed before payment.
    Cancelled,
    /// `101`: another transaction runs; nothing was created.
    Busy,
    /// `113`: the order number was used before; nothing was created.
    Duplicate,
    /// `104`: the original does not exist.
    NotFound,
    /// The result is unknown: recover with a query.
    Unknown,
}

/// Sub-kinds of [`OrderClass::Declined`] (spec §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineKind {
    /// Declined by the issuer or the terminal.
    Declined,
    /// Refused before processing (parameters, type, scenario, amount).
    Rejected,
    /// The terminal is not ready (not logged in, token expired).
    NotReady,
}

/// The verdict of a query on its target (spec §7.1 query column, §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryVerdict {
    /// The target was approved.
    Approved,
    /// The target was declined.
    Declined,
    /// The target was cancelled, closed or voided.
    Cancelled,
    /// The terminal does not know the target: it never arrived.
    NotFound,
    /// Still running or temporarily unknown: query again after backoff.
    Retry,
    /// Recovery cannot go on automatically.
    Stop,
}

/// What a close response says (spec §7.1 close column); a hint only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseClass {
    /// `000`: closed.
    Closed,
    /// `103`: the order completed anyway.
    CompletedAnyway,
    /// `104`: no such order.
    NotFound,
    /// Anything else: the order goes on.
    Refused,
}

/// What a tip adjustment, batch close, init or getInfo response says (spec §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminClass {
    /// `000`.
    Ok,
    /// `101`.
    Busy,
    /// `104`.
    NotFound,
    /// A declined code.
    Declined,
    /// Anything else.
    Unknown,
}

/// Classifies an order response.
#[must_use]
pub fn classify_order(env: &Envelope, trans_type: Option<TransType>) -> OrderClass {
    match env.code() {
        ResponseCode::Success => {
            let exact = env.response_code.as_deref().map(str::trim) == Some("000");
            let status = env.biz_text("trans_status");
            let money_type = trans_type.is_none_or(TransType::charges);
            match status.as_deref() {
                Some("2" | "4") => OrderClass::Approved,
                Some("3") if money_type => OrderClass::Cancelled,
                Some("3") => OrderClass::Approved,
                Some("1") => OrderClass::Cancelled,
                Some("0" | "9") => OrderClass::Unknown,
                _ if !money_type && exact => OrderClass::Approved,
                _ => OrderClass::Unknown,
            }
        }
        ResponseCode::Code(code) => classify_order_code(code),
        ResponseCode::Other => OrderClass::Unknown,
    }
}

/// Classifies a failure code of an order response (spec §7.1).
#[must_use]
pub const fn classify_order_code(code: u32) -> OrderClass {
    match code {
        101 => OrderClass::Busy,
        102 | 110 => OrderClass::Cancelled,
        104 => OrderClass::NotFound,
        105 | 106 | 111 | 112 | 115 | 119 => OrderClass::Declined(DeclineKind::Declined),
        113 => OrderClass::Duplicate,
        114 | 117 | 120 | 121 | 202 => OrderClass::Declined(DeclineKind::Rejected),
        116 | 118 => OrderClass::Declined(DeclineKind::NotReady),
        _ => OrderClass::Unknown,
    }
}

/// Returns the query verdict on the target of a query response.
#[must_use]
pub fn query_verdict(env: &Envelope) -> QueryVerdict {
    match env.code() {
        ResponseCode::Success => {
            let target_type = env
                .biz_text("trans_type")
                .as_deref()
                .and_then(TransType::from_code);
            match env.biz_text("trans_status").as_deref() {
                Some("2" | "4") => QueryVerdict::Approved,
                Some("3") if target_type == Some(TransType::Void) => QueryVerdict::Approved,
                Some("3" | "1") => QueryVerdict::Cancelled,
                Some("0" | "9") => QueryVerdict::Retry,
                _ => QueryVerdict::Stop,
            }
        }
        ResponseCode::Code(code) => match code {
            102 | 110 => QueryVerdict::Cancelled,
            103 | 105 => QueryVerdict::Approved,
            104 => QueryVerdict::NotFound,
            106 | 111 | 112 | 115 => QueryVerdict::Declined,
            113 | 114 | 117 | 119 | 120 | 121 | 202 => QueryVerdict::Stop,
            _ => QueryVerdict::Retry,
        },
        ResponseCode::Other => QueryVerdict::Retry,
    }
}

/// Classifies a close response.
#[must_use]
pub fn close_class(env: &Envelope) -> CloseClass {
    match env.code() {
        ResponseCode::Success => CloseClass::Closed,
        ResponseCode::Code(103) => CloseClass::CompletedAnyway,
        ResponseCode::Code(104) => CloseClass::NotFound,
        _ => CloseClass::Refused,
    }
}

/// Classifies a tip adjustment, batch close, init or getInfo response.
#[must_use]
pub fn admin_class(env: &Envelope) -> AdminClass {
    match env.code() {
        ResponseCode::Success => AdminClass::Ok,
        ResponseCode::Code(101) => AdminClass::Busy,
        ResponseCode::Code(104) => AdminClass::NotFound,
        ResponseCode::Code(c) => match classify_order_code(c) {
            OrderClass::Declined(_) => AdminClass::Declined,
            _ => AdminClass::Unknown,
        },
        ResponseCode::Other => AdminClass::Unknown,
    }
}

/// Writes an amount as the POS sends it: exactly the currency's decimals, at most 12
/// characters (spec §9). `None` when it is too long.
#[must_use]
pub fn amount_text(m: &Money) -> Option<String> {
    let s = m.to_major_string();
    (s.len() <= MAX_AMOUNT_CHARS).then_some(s)
}

/// Parses a received amount leniently (spec §11 rule 8): `"10"`, `"10.5"`, `"10.50"`;
/// extra fraction digits only when zero. `None` when unparseable.
#[must_use]
pub fn parse_amount(text: &str, currency: Currency) -> Option<Money> {
    Money::parse_major(text.trim(), currency).ok()
}

/// The result fields of a response, normalised (spec §6.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Details {
    /// `merchant_order_no`.
    pub merchant_order_no: Option<String>,
    /// `trans_type` as sent.
    pub trans_type: Option<String>,
    /// `trans_status` as sent.
    pub trans_status: Option<String>,
    /// `price_currency` as sent.
    pub currency: Option<String>,
    /// `order_amount` in minor units, when parseable.
    pub order_minor: Option<i64>,
    /// `tip_amount` in minor units, when parseable.
    pub tip_minor: Option<i64>,
    /// `cashback_amount` (or `cash_amount`) in minor units, when parseable.
    pub cashback_minor: Option<i64>,
    /// Amount fields present but unparseable, with their raw text.
    pub unparseable: BTreeMap<String, String>,
    /// `auth_code`.
    pub auth_code: Option<String>,
    /// `card_no`, masked.
    pub card: Option<String>,
    /// References by field name: `trans_no`, `ref_no`, `pay_method_id`, … .
    pub references: BTreeMap<String, String>,
}

impl Details {
    /// Extracts the details of a response, reading amounts in `fallback` when the response
    /// names no known currency.
    #[must_use]
    pub fn from_envelope(env: &Envelope, fallback: Currency) -> Self {
        let currency_text = env.biz_text("price_currency");
        let currency = currency_text
            .as_deref()
            .and_then(|c| Currency::from_code(c).ok())
            .unwrap_or(fallback);
        let mut d = Self {
            merchant_order_no: env.order_no(),
            trans_type: env.biz_text("trans_type"),
            trans_status: env.biz_text("trans_status"),
            currency: currency_text,
            auth_code: env.biz_text("auth_code"),
            card: env
                .biz_text("card_no")
                .map(|c| MaskedCard::mask(&c).as_str().into()),
            ..Self::default()
        };
        d.order_minor = d.amount(env, "order_amount", currency);
        d.tip_minor = d.amount(env, "tip_amount", currency);
        d.cashback_minor = d
            .amount(env, "cashback_amount", currency)
            .or_else(|| d.amount(env, "cash_amount", currency));
        for key in [
            "trans_no",
            "ref_no",
            "pay_method_id",
            "entry_mode",
            "card_type",
            "trans_end_time",
            "pay_channel_trans_no",
            "orig_merchant_order_no",
            "terminal_sn",
            "merchant_no",
        ] {
            if let Some(v) = env.biz_text(key) {
                d.references.insert(key.into(), v);
            }
        }
        d
    }

    fn amount(&mut self, env: &Envelope, key: &str, currency: Currency) -> Option<i64> {
        let raw = env.biz_text(key)?;
        if let Some(m) = parse_amount(&raw, currency) {
            Some(m.minor_units())
        } else {
            self.unparseable.insert(key.into(), raw);
            None
        }
    }

    /// Returns order + tip + cash back in minor units, when the order amount is known.
    #[must_use]
    pub fn total_minor(&self) -> Option<i64> {
        let base = self.order_minor?;
        Some(
            base.saturating_add(self.tip_minor.unwrap_or(0))
                .saturating_add(self.cashback_minor.unwrap_or(0)),
        )
    }
}

/// Encodes a request envelope compactly (spec §3.1): optional fields omitted, `version`
/// `"1.0"`, `biz_data` always present.
#[must_use]
pub fn encode_request(
    topic: &str,
    app_id: &str,
    request_id: &str,
    timestamp_ms: u64,
    biz: &Map<String, Value>,
    device_data: Option<&Map<String, Value>>,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\"topic\":");
    out.push_str(&json_string(topic));
    out.push_str(",\"app_id\":");
    out.push_str(&json_string(app_id));
    out.push_str(",\"request_id\":");
    out.push_str(&json_string(request_id));
    out.push_str(",\"timestamp\":\"");
    out.push_str(&timestamp_ms.to_string());
    out.push_str("\",\"version\":\"1.0\",\"biz_data\":");
    out.push_str(&Value::Object(biz.clone()).to_string());
    if let Some(d) = device_data {
        out.push_str(",\"device_data\":");
        out.push_str(&Value::Object(d.clone()).to_string());
    }
    out.push('}');
    out
}

fn json_string(s: &str) -> String {
    Value::String(s.into()).to_string()
}

// ----- decode ---------------------------------------------------------------------------

fn decode_response(bytes: &[u8], topic: Option<&str>) -> Result<Value, DecodeError> {
    let env = Envelope::parse(bytes)?;
    if env.response_code.is_none() {
        return Err(DecodeError::MissingField {
            field: "response_code",
        });
    }
    let topic = topic
        .map(String::from)
        .or_else(|| env.topic.clone())
        .unwrap_or_default();
    let trans_type = env
        .biz_text("trans_type")
        .as_deref()
        .and_then(TransType::from_code);
    let class = match topic.as_str() {
        TOPIC_ORDER => json!({"order": classify_order(&env, trans_type)}),
        TOPIC_QUERY => json!({"query": query_verdict(&env)}),
        TOPIC_CLOSE => json!({"close": close_class(&env)}),
        TOPIC_TIP_ADJUST | TOPIC_BATCH_CLOSE | TOPIC_INIT | TOPIC_PAY_INIT | TOPIC_GET_INFO => {
            json!({"admin": admin_class(&env)})
        }
        _ => Value::Null,
    };
    let currency = Currency::USD;
    let details = Details::from_envelope(&env, currency);
    let cur = details
        .currency
        .as_deref()
        .and_then(|c| Currency::from_code(c).ok())
        .unwrap_or(currency);
    let money = |minor: Option<i64>| {
        minor
            .and_then(|m| Money::from_minor(m, cur).ok())
            .map(|m| m.to_major_string())
    };
    Ok(json!({
        "topic": topic,
        "request_id": env.request_id,
        "response_code": env.response_code,
        "response_msg": env.response_msg,
        "code": code_json(env.code()),
        "class": class,
        "merchant_order_no": details.merchant_order_no,
        "trans_type": details.trans_type,
        "trans_status": details.trans_status,
        "currency": cur.code(),
        "order_amount": money(details.order_minor),
        "tip_amount": money(details.tip_minor),
        "cashback_amount": money(details.cashback_minor),
        "total": money(details.total_minor()),
        "total_minor_units": details.total_minor(),
        "unparseable_amounts": details.unparseable,
        "auth_code": details.auth_code,
        "card": details.card,
        "references": details.references,
        "biz_data_warning": env.biz_warning,
    }))
}

fn code_json(code: ResponseCode) -> Value {
    match code {
        ResponseCode::Success => json!("success"),
        ResponseCode::Code(c) => json!(c),
        ResponseCode::Other => json!("other"),
    }
}

fn decode_request(bytes: &[u8]) -> Result<Value, DecodeError> {
    let env = Envelope::parse(bytes)?;
    if env.response_code.is_some() {
        return Err(DecodeError::Unexpected {
            reason: "has response_code: this is a response".into(),
        });
    }
    let topic = env
        .topic
        .clone()
        .ok_or(DecodeError::MissingField { field: "topic" })?;
    let mut biz: BTreeMap<String, String> = BTreeMap::new();
    for key in env.biz.keys() {
        if let Some(v) = env.biz_text(key) {
            biz.insert(key.clone(), v);
        }
    }
    Ok(json!({
        "topic": topic,
        "app_id": env.app_id,
        "request_id": env.request_id,
        "trans_type": env.biz_text("trans_type"),
        "merchant_order_no": env.order_no(),
        "biz_data": biz,
    }))
}

fn decode_serial(bytes: &[u8]) -> Result<Value, DecodeError> {
    let (frame, used) = crate::serial::parse_frame(bytes, crate::serial::DEFAULT_MAX_RX_DATA)?
        .ok_or(DecodeError::Frame(crate::error::CodecError::BadEnd))?;
    let payload = if frame.data.is_empty() {
        Value::Null
    } else {
        match decode_response(&frame.data, None) {
            Ok(v) => v,
            Err(_) => decode_request(&frame.data)?,
        }
    };
    let extra: Vec<u8> = bytes.get(used..).unwrap_or_default().to_vec();
    Ok(json!({
        "frame": frame.kind_name(),
        "ack": frame.ack,
        "id": frame.id,
        "data_len": frame.data.len(),
        "trailing_bytes": extra.len(),
        "payload": payload,
    }))
}

#[cfg(test)]
mod tests;
