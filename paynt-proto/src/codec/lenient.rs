//! Lenient field readers (spec §11 rules 3–9): total functions over `serde_json::Value`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::message::StatusEntry;

/// What a present field held: a readable value, or something unreadable.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Field<T> {
    Ok(T),
    Bad,
}

/// Looks up the Paynt name first, then the aliases; `null` counts as absent.
pub(crate) fn pick<'a>(
    obj: &'a Map<String, Value>,
    names: &[&str],
) -> Option<(&'a str, &'a Value)> {
    names.iter().find_map(|name| {
        obj.get_key_value(*name)
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.as_str(), v))
    })
}

/// Reads a boolean: `true`/`false`, strings of them in any case, integers 1/0 (rule 5).
pub(crate) fn boolean(value: &Value) -> Field<bool> {
    match value {
        Value::Bool(b) => Field::Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Field::Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Field::Ok(false),
        Value::Number(n) => match n.as_u64() {
            Some(1) => Field::Ok(true),
            Some(0) => Field::Ok(false),
            _ => Field::Bad,
        },
        _ => Field::Bad,
    }
}

/// Reads an integer: JSON integers, floats with zero fraction, decimal strings (rule 6).
pub(crate) fn integer(value: &Value) -> Field<i64> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Field::Ok(i);
            }
            // A float with zero fraction, e.g. 2450.0: read from its text, never by arithmetic.
            let text = n.to_string();
            zero_fraction(&text).map_or(Field::Bad, Field::Ok)
        }
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>()
                .ok()
                .or_else(|| zero_fraction(t))
                .map_or(Field::Bad, Field::Ok)
        }
        _ => Field::Bad,
    }
}

/// Reads an amount in minor units: an integer in `0..=2^31-1`; negative or larger is bad.
pub(crate) fn amount(value: &Value) -> Field<u32> {
    match integer(value) {
        Field::Ok(i) => u32::try_from(i)
            .ok()
            .filter(|v| i32::try_from(*v).is_ok())
            .map_or(Field::Bad, Field::Ok),
        Field::Bad => Field::Bad,
    }
}

/// Reads a string: numbers become their literal JSON text, booleans their name (rule 7).
pub(crate) fn string(value: &Value) -> Field<String> {
    match value {
        Value::String(s) => Field::Ok(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Field::Ok(n.to_string()),
        // A float's text is what serde_json re-prints; keep it rather than fail.
        Value::Number(n) => Field::Ok(n.to_string()),
        Value::Bool(b) => Field::Ok(if *b { "true".into() } else { "false".into() }),
        _ => Field::Bad,
    }
}

/// Reads a token or serial: strings, or integers by their exact text; never a float.
pub(crate) fn exact_text(value: &Value) -> Field<String> {
    match value {
        Value::String(s) => Field::Ok(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Field::Ok(n.to_string()),
        _ => Field::Bad,
    }
}

/// Reads `Statuses`: a JSON string holding an array, or the array; bad elements skipped (rule 9).
pub(crate) fn statuses(value: &Value) -> Field<Vec<StatusEntry>> {
    let parsed;
    let items = match value {
        Value::Array(items) => items,
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => {
                parsed = items;
                &parsed
            }
            _ => return Field::Bad,
        },
        _ => return Field::Bad,
    };
    let entries = items
        .iter()
        .filter_map(|item| {
            let obj = item.as_object()?;
            let (_, v) = pick(obj, &["statusValue"])?;
            let Field::Ok(status_value) = integer(v) else {
                return None;
            };
            let status_description = match pick(obj, &["statusDescription"]).map(|(_, v)| string(v))
            {
                Some(Field::Ok(s)) => s,
                _ => String::new(),
            };
            Some(StatusEntry {
                status_value,
                status_description,
            })
        })
        .collect();
    Field::Ok(entries)
}

/// Reads a `transactionResponse`: a string-like value, or an object's `responseCode` (rule 11).
pub(crate) fn response_code(value: &Value) -> Field<String> {
    match value {
        Value::Object(obj) => match pick(obj, &["responseCode"]) {
            Some((_, v)) => string(v),
            None => Field::Bad,
        },
        other => string(other),
    }
}

fn zero_fraction(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.')?;
    if frac.is_empty() || !frac.bytes().all(|b| b == b'0') {
        return None;
    }
    int.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn booleans_are_lenient_and_others_are_bad() {
        assert_eq!(boolean(&json!("TRUE")), Field::Ok(true));
        assert_eq!(boolean(&json!(0)), Field::Ok(false));
        assert_eq!(boolean(&json!("yes")), Field::Bad);
        assert_eq!(boolean(&json!(2)), Field::Bad);
    }

    #[test]
    fn integers_accept_zero_fractions_and_strings_only() {
        assert_eq!(integer(&json!(2450.0)), Field::Ok(2450));
        assert_eq!(integer(&json!("2450")), Field::Ok(2450));
        assert_eq!(integer(&json!(24.5)), Field::Bad);
        assert_eq!(amount(&json!(-1)), Field::Bad);
        assert_eq!(amount(&json!(2_147_483_648_i64)), Field::Bad);
        assert_eq!(amount(&json!(2_147_483_647_i64)), Field::Ok(2_147_483_647));
    }

    #[test]
    fn tokens_keep_their_digits() {
        assert_eq!(
            exact_text(&json!(5_820_337_719_046_612_u64)),
            Field::Ok("5820337719046612".into())
        );
        assert_eq!(exact_text(&json!(1.5)), Field::Bad);
    }

    #[test]
    fn statuses_skip_malformed_elements() {
        let v = json!(
            "[{\"statusValue\":0,\"statusDescription\":\"Started\"},{\"x\":1},{\"statusValue\":\"12\"}]"
        );
        let Field::Ok(list) = statuses(&v) else {
            panic!("not read")
        };
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].status_value, 12);
    }
}
