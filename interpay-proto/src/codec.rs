//! Pure encoders and decoders: flat JSON, tag/value with `&&` escaping, forms (spec §2, §5.2).
//!
//! Lenient on input (any name case, numbers as text, bare flags), strict on output.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::error::CodecError;
use crate::message::Fields;

/// The wire format of a POS request (spec §2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireFormat {
    /// `application/json`, one flat object of strings.
    #[default]
    Json,
    /// `text/plain` tag/value, values percent-encoded.
    TagValue,
}

/// Encodes a flat JSON object of strings in field order (TERMID first, spec §2.2).
#[must_use]
pub fn encode_json(fields: &Fields) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, name);
        out.push(':');
        push_json_string(&mut out, value);
    }
    out.push('}');
    out
}

/// Decodes a flat JSON object: strings kept, numbers and booleans as their JSON text, `null`
/// absent, nested objects ignored except `RECEIPTS` (spec §2.2, §5.2).
///
/// # Errors
/// `NotUtf8`, `Json` or `NotAnObject`.
pub fn decode_json(bytes: &[u8]) -> Result<Fields, CodecError> {
    let text = core::str::from_utf8(bytes).map_err(|_| CodecError::NotUtf8)?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| CodecError::Json(e.to_string()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(CodecError::NotAnObject);
    };
    let mut fields = Fields::new();
    for (name, value) in &map {
        match value {
            serde_json::Value::String(s) => fields.push(name.as_str(), s.as_str()),
            serde_json::Value::Number(n) => fields.push(name.as_str(), n.to_string()),
            serde_json::Value::Bool(b) => fields.push(name.as_str(), b.to_string()),
            serde_json::Value::Object(inner) if name.eq_ignore_ascii_case("RECEIPTS") => {
                for (copy, markup) in inner {
                    let canonical = if copy.eq_ignore_ascii_case("customer") {
                        "Customer"
                    } else if copy.eq_ignore_ascii_case("merchant") {
                        "Merchant"
                    } else {
                        continue;
                    };
                    if let serde_json::Value::String(m) = markup {
                        fields.push(alloc::format!("RECEIPTS[{canonical}]"), m.as_str());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(fields)
}

/// Encodes tag/value with raw values, a literal `&` written `&&` (spec §2.3).
///
/// Used for gateway replies and tag/value callbacks; POS requests use [`encode_query`].
#[must_use]
pub fn encode_tag_value(fields: &Fields) -> String {
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(&value.replace('&', "&&"));
    }
    out
}

/// Decodes tag/value without percent-decoding (spec §2.3): `&&` is a literal `&`, a lone `&`
/// ends a field, `&` inside a `[…]` group does not, a field splits on its first `=`, a bare
/// name is the flag `Y`. Groups named `RECEIPTS` are flattened to `RECEIPTS[Customer]` etc.
#[must_use]
pub fn decode_tag_value(text: &str) -> Fields {
    let mut fields = Fields::new();
    for raw in split_tag_value(text) {
        let (name, value) = match raw.split_once('=') {
            Some((n, v)) => (n, v),
            None => (raw.as_str(), "Y"),
        };
        if name.is_empty() {
            continue;
        }
        if value.starts_with('[') && name.eq_ignore_ascii_case("RECEIPTS") {
            let inner = value
                .strip_prefix('[')
                .and_then(|v| v.strip_suffix(']'))
                .unwrap_or(value);
            for (copy, markup) in decode_tag_value(inner).iter() {
                fields.push(alloc::format!("RECEIPTS[{copy}]"), markup);
            }
            continue;
        }
        fields.push(name, value);
    }
    fields
}

/// Encodes fields as a query string or form body, percent-encoding all but RFC 3986
/// unreserved characters (spec §2.3).
#[must_use]
pub fn encode_query(fields: &Fields) -> String {
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// Decodes a form body or a query string: split on `&`, `+` is a space, percent-decoded as
/// UTF-8 (spec §5.2). Invalid escapes stay literal.
#[must_use]
pub fn decode_form(text: &str) -> Fields {
    let mut fields = Fields::new();
    for part in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, "Y"));
        let name = percent_decode(&name.replace('+', " "));
        if name.is_empty() {
            continue;
        }
        fields.push(name, percent_decode(&value.replace('+', " ")));
    }
    fields
}

/// Decodes a reply or callback body by Content-Type, else by its first non-blank byte
/// (`{` = JSON); `form` selects form decoding for `application/x-www-form-urlencoded`.
///
/// # Errors
/// `Empty`, `NotUtf8`, `Json` or `NotAnObject`.
pub fn decode_body(content_type: Option<&str>, bytes: &[u8]) -> Result<Fields, CodecError> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        return Err(CodecError::Empty);
    };
    if ct.contains("json") || *first == b'{' {
        return decode_json(bytes);
    }
    let text = core::str::from_utf8(bytes).map_err(|_| CodecError::NotUtf8)?;
    let text = text.trim_end_matches(['\r', '\n']);
    if ct.contains("x-www-form-urlencoded") {
        Ok(decode_form(text))
    } else {
        Ok(decode_tag_value(text))
    }
}

pub use pos_core::http::{percent_decode, percent_encode};

/// Splits top-level tag/value fields, unescaping `&&` outside groups.
fn split_tag_value(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut in_value = false;
    let mut group = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '=' if !in_value => {
                in_value = true;
                cur.push(c);
                group = chars.peek() == Some(&'[');
            }
            '[' if group => {
                depth += 1;
                cur.push(c);
            }
            ']' if group => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            '&' if depth > 0 => cur.push(c),
            '&' => {
                if chars.peek() == Some(&'&') {
                    chars.next();
                    cur.push('&');
                } else {
                    out.push(core::mem::take(&mut cur));
                    in_value = false;
                    group = false;
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.retain(|f| !f.is_empty());
    out
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_order_and_escapes() {
        let f = Fields::new()
            .with("TERMID", "A1")
            .with("DESC", "say \"hi\"\n");
        let s = encode_json(&f);
        assert_eq!(s, r#"{"TERMID":"A1","DESC":"say \"hi\"\n"}"#);
        let back = decode_json(s.as_bytes()).unwrap();
        assert_eq!(back.get("desc"), Some("say \"hi\"\n"));
    }

    #[test]
    fn json_is_lenient_on_types() {
        let f =
            decode_json(br#"{"CODE":0,"ACK":true,"X":null,"RECEIPTS":{"customer":"<B>x</B>"}}"#)
                .unwrap();
        assert_eq!(f.get("CODE"), Some("0"));
        assert_eq!(f.get("ACK"), Some("true"));
        assert_eq!(f.get("X"), None);
        assert_eq!(f.get("RECEIPTS[Customer]"), Some("<B>x</B>"));
        assert_eq!(decode_json(b"[1]"), Err(CodecError::NotAnObject));
    }

    #[test]
    fn tag_value_unescapes_and_groups() {
        let f = decode_tag_value(
            "TEXT=A&&B&CODE=0000&REFUND&RECEIPTS=[Customer=<L>a&&b</L>&Merchant=m]&URL=https://x/?a=1",
        );
        assert_eq!(f.get("TEXT"), Some("A&B"));
        assert_eq!(f.get("CODE"), Some("0000"));
        assert_eq!(f.get("REFUND"), Some("Y"));
        assert_eq!(f.get("RECEIPTS[Customer]"), Some("<L>a&b</L>"));
        assert_eq!(f.get("RECEIPTS[Merchant]"), Some("m"));
        assert_eq!(f.get("URL"), Some("https://x/?a=1"));
        let enc = encode_tag_value(&Fields::new().with("A", "x&").with("B", "&y"));
        assert_eq!(enc, "A=x&&&B=&&y");
        let back = decode_tag_value(&enc);
        assert_eq!(back.get("A"), Some("x&"));
        assert_eq!(back.get("B"), Some("&y"));
    }

    #[test]
    fn forms_percent_decode() {
        let f = decode_form("CODE=0000&TEXT=APPROVED+NOW&RECEIPTS%5BCustomer%5D=%3CB%3E&BAD=%zz");
        assert_eq!(f.get("TEXT"), Some("APPROVED NOW"));
        assert_eq!(f.get("RECEIPTS[Customer]"), Some("<B>"));
        assert_eq!(f.get("BAD"), Some("%zz"));
        let q = encode_query(&Fields::new().with("E", "a b&c"));
        assert_eq!(q, "E=a%20b%26c");
        assert_eq!(decode_form(&q).get("E"), Some("a b&c"));
    }

    #[test]
    fn body_choice_follows_content_type_then_first_byte() {
        assert!(decode_body(None, b"  {\"CODE\":\"1\"}").is_ok());
        assert_eq!(decode_body(None, b"  "), Err(CodecError::Empty));
        let f = decode_body(Some("text/plain"), b"CODE=0000&TEXT=A%20B").unwrap();
        assert_eq!(
            f.get("TEXT"),
            Some("A%20B"),
            "tag/value is not percent-decoded"
        );
        let f = decode_body(Some("application/x-www-form-urlencoded"), b"TEXT=A%20B").unwrap();
        assert_eq!(f.get("TEXT"), Some("A B"));
    }
}
