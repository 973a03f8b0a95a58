//! Typed wire vocabulary of ECR Hub G2: topics, transaction types, response codes and the
//! leniently parsed envelope (spec §3, §4, §7, §11).

use alloc::string::{String, ToString};

use serde_json::{Map, Value};

use crate::error::DecodeError;

/// Topic of a transaction request (spec §4).
pub const TOPIC_ORDER: &str = "ecrhub.pay.order";
/// Topic of a lookup by `merchant_order_no` (spec §4).
pub const TOPIC_QUERY: &str = "ecrhub.pay.query";
/// Topic of a close (abort) of an unfinished order (spec §4).
pub const TOPIC_CLOSE: &str = "ecrhub.pay.close";
/// Topic of a tip adjustment (spec §4).
pub const TOPIC_TIP_ADJUST: &str = "ecrhub.pay.tip.adjustment";
/// Topic of a batch close (spec §4).
pub const TOPIC_BATCH_CLOSE: &str = "ecrhub.pay.batch.close";
/// Default topic of init (spec §4, §14 row 9).
pub const TOPIC_INIT: &str = "ecrhub.init";
/// The alternative init spelling one SDK uses (spec §4).
pub const TOPIC_PAY_INIT: &str = "ecrhub.pay.init";
/// Topic of the terminal identity request (spec §4).
pub const TOPIC_GET_INFO: &str = "ecrhub.getInfo";
/// Legacy JSON heartbeat, received only (spec §2.4).
pub const TOPIC_HEARTBEAT: &str = "ecrhub.heartbeat";

/// `trans_type` of an order (spec §4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TransType {
    /// `"1"`: sale.
    Sale,
    /// `"2"`: void of an unsettled transaction.
    Void,
    /// `"3"`: refund, referenced or not.
    Refund,
    /// `"4"`: pre-authorisation.
    PreAuth,
    /// `"6"`: pre-auth completion.
    Completion,
    /// `"11"`: sale with cash back.
    Cashback,
}

impl TransType {
    /// Returns the wire code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Sale => "1",
            Self::Void => "2",
            Self::Refund => "3",
            Self::PreAuth => "4",
            Self::Completion => "6",
            Self::Cashback => "11",
        }
    }

    /// Parses a wire code (after trimming); `None` for anything the crate does not send.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "1" => Some(Self::Sale),
            "2" => Some(Self::Void),
            "3" => Some(Self::Refund),
            "4" => Some(Self::PreAuth),
            "6" => Some(Self::Completion),
            "11" => Some(Self::Cashback),
            _ => None,
        }
    }

    /// Returns true for the types whose approval charges a card (1, 4, 6, 11).
    #[must_use]
    pub const fn charges(self) -> bool {
        matches!(
            self,
            Self::Sale | Self::PreAuth | Self::Completion | Self::Cashback
        )
    }
}

/// A normalised `response_code` (spec §11 rule 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResponseCode {
    /// Non-empty and all `0` digits: `"000"`, `"0"`, number `0`.
    Success,
    /// Any other all-digit code, compared numerically (`"0101"` is 101).
    Code(u32),
    /// Missing or not numeric.
    Other,
}

impl ResponseCode {
    /// Normalises the code text.
    #[must_use]
    pub fn parse(raw: Option<&str>) -> Self {
        let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
            return Self::Other;
        };
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Self::Other;
        }
        if text.bytes().all(|b| b == b'0') {
            return Self::Success;
        }
        text.trim_start_matches('0')
            .parse::<u32>()
            .map_or(Self::Other, Self::Code)
    }
}

/// One ECR Hub message (request or response), parsed leniently (spec §11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// `topic`, if present and non-empty.
    pub topic: Option<String>,
    /// `app_id`, if present and non-empty.
    pub app_id: Option<String>,
    /// `request_id`, if present and non-empty.
    pub request_id: Option<String>,
    /// `response_code` as text, if present.
    pub response_code: Option<String>,
    /// `response_msg`, if present and non-empty.
    pub response_msg: Option<String>,
    /// `biz_data` as an object; empty when absent, null, `""`, `{}` or of a wrong type.
    pub biz: Map<String, Value>,
    /// True when `biz_data` had a type that is neither an object nor a string holding one.
    pub biz_warning: bool,
    /// `device_data`, when an object.
    pub device_data: Option<Map<String, Value>>,
}

impl Envelope {
    /// Parses a text or binary message (spec §11 rules 1–6, 9).
    ///
    /// # Errors
    /// Invalid UTF-8, invalid JSON, or JSON that is not an object.
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let text = core::str::from_utf8(bytes).map_err(|e| DecodeError::NotUtf8 {
            valid_up_to: e.valid_up_to(),
        })?;
        let text = text.trim_start_matches('\u{feff}').trim();
        let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::NotJson {
            reason: e.to_string(),
        })?;
        let Value::Object(mut obj) = value else {
            return Err(DecodeError::NotAnObject {
                found: json_type(&value),
            });
        };
        // Moved out of the parsed object, not copied: `biz_data` is the bulk of a frame.
        let (biz, biz_warning) = match obj.remove("biz_data") {
            None | Some(Value::Null) => (Map::new(), false),
            Some(Value::Object(m)) => (m, false),
            Some(Value::String(s)) if s.trim().is_empty() => (Map::new(), false),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
                Ok(Value::Object(m)) => (m, false),
                _ => (Map::new(), true),
            },
            Some(_) => (Map::new(), true),
        };
        let device_data = match obj.remove("device_data") {
            Some(Value::Object(m)) => Some(m),
            _ => None,
        };
        Ok(Self {
            topic: text_field(&obj, "topic"),
            app_id: text_field(&obj, "app_id"),
            request_id: text_field(&obj, "request_id"),
            response_code: text_field(&obj, "response_code"),
            response_msg: text_field(&obj, "response_msg"),
            biz,
            biz_warning,
            device_data,
        })
    }

    /// Returns the normalised response code.
    #[must_use]
    pub fn code(&self) -> ResponseCode {
        ResponseCode::parse(self.response_code.as_deref())
    }

    /// Returns a `biz_data` field as text (spec §11 rules 3–4).
    #[must_use]
    pub fn biz_text(&self, key: &str) -> Option<String> {
        text_field(&self.biz, key)
    }

    /// Returns `biz_data.merchant_order_no`.
    #[must_use]
    pub fn order_no(&self) -> Option<String> {
        self.biz_text("merchant_order_no")
    }
}

/// Returns a field as trimmed text: strings and numbers (literal text) and booleans; `null`
/// and `""` mean absent (spec §11 rules 3–4).
#[must_use]
pub fn text_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.into())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        _ => None,
    }
}

/// Returns a boolean field: `true`/`false` or `"true"`/`"false"` (spec §11 rule 7).
#[must_use]
pub fn bool_field(obj: &Map<String, Value>, key: &str) -> Option<bool> {
    match obj.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Returns the JSON type name of a value, for error messages.
#[must_use]
pub const fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Returns true when `s` is a valid `merchant_order_no`: 1–32 ASCII letters or digits (§9).
#[must_use]
pub fn valid_order_no(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_exact_wire_text() {
        // An amount sent as a JSON number must reach Money digit for digit, never via f64
        // (found by fuzzing: 7.777…73e87 came back as 7.777…78e87).
        let obj: Map<String, Value> = serde_json::from_str(
            r#"{"a":12345678901234567.89,"b":0.1000000000000000055,"c":1250}"#,
        )
        .unwrap();
        assert_eq!(
            text_field(&obj, "a").as_deref(),
            Some("12345678901234567.89")
        );
        assert_eq!(
            text_field(&obj, "b").as_deref(),
            Some("0.1000000000000000055")
        );
        assert_eq!(text_field(&obj, "c").as_deref(), Some("1250"));
    }

    #[test]
    fn response_codes_normalise() {
        assert_eq!(ResponseCode::parse(Some("000")), ResponseCode::Success);
        assert_eq!(ResponseCode::parse(Some("0")), ResponseCode::Success);
        assert_eq!(ResponseCode::parse(Some(" 0101 ")), ResponseCode::Code(101));
        assert_eq!(ResponseCode::parse(Some("abc")), ResponseCode::Other);
        assert_eq!(ResponseCode::parse(Some("")), ResponseCode::Other);
        assert_eq!(ResponseCode::parse(None), ResponseCode::Other);
    }

    #[test]
    fn envelope_is_lenient() {
        let raw = "\u{feff} {\"topic\":\"ecrhub.pay.order\",\"response_code\":0,\"biz_data\":\"{\\\"trans_status\\\":2}\",\"x\":1} ";
        let env = Envelope::parse(raw.as_bytes()).unwrap();
        assert_eq!(env.code(), ResponseCode::Success);
        assert_eq!(env.biz_text("trans_status").as_deref(), Some("2"));
        let env = Envelope::parse(br#"{"biz_data":[1],"request_id":""}"#).unwrap();
        assert!(env.biz_warning);
        assert_eq!(env.request_id, None);
        assert!(matches!(
            Envelope::parse(b"[1]"),
            Err(DecodeError::NotAnObject { found: "array" })
        ));
        assert!(matches!(
            Envelope::parse(b"{"),
            Err(DecodeError::NotJson { .. })
        ));
        assert!(matches!(
            Envelope::parse(&[0xff, 0xfe]),
            Err(DecodeError::NotUtf8 { .. })
        ));
    }

    #[test]
    fn order_numbers_follow_the_rules() {
        assert!(valid_order_no("L011767264120000Q7K2ZD"));
        assert!(!valid_order_no(""));
        assert!(!valid_order_no("A-1"));
        assert!(!valid_order_no(&"A".repeat(33)));
    }
}
