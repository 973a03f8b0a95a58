//! Receipt lines (spec §6, §11 rule 10): lenient decoding, strict encoding, plain text.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;

use super::lenient::{Field, string};
use crate::message::{Align, ReceiptGroup, ReceiptLine};

/// Renders receipt lines as plain text at `width` columns: `L` at column 0, `R` ending at the
/// width, `C` centred; groups that would overlap go on their own lines; long text wraps.
#[must_use]
pub fn render_receipt(lines: &[ReceiptLine], width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in lines {
        if line.is_empty() {
            out.push(String::new());
            continue;
        }
        let mut row: Vec<char> = Vec::new();
        for group in line {
            let text: Vec<char> = group.text.chars().collect();
            if text.len() > width {
                flush(&mut out, &mut row);
                for chunk in text.chunks(width) {
                    out.push(
                        place(chunk, group.align, width)
                            .into_iter()
                            .map(|c| c.unwrap_or(' '))
                            .collect::<String>()
                            .trim_end()
                            .into(),
                    );
                }
                continue;
            }
            let placed = place(&text, group.align, width);
            if !fits(&row, &placed) {
                flush(&mut out, &mut row);
            }
            merge(&mut row, &placed);
        }
        flush(&mut out, &mut row);
    }
    out
}

/// Decodes a receipt: an array of lines; anything else is `None`.
pub(crate) fn decode_receipt(value: &Value) -> Field<Vec<ReceiptLine>> {
    let Value::Array(lines) = value else {
        return Field::Bad;
    };
    Field::Ok(lines.iter().filter_map(decode_line).collect())
}

/// Encodes a receipt strictly: each line an array of 4-string groups.
pub(crate) fn encode_receipt(lines: &[ReceiptLine]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|line| {
                Value::Array(
                    line.iter()
                        .flat_map(|g| {
                            [
                                Value::String(g.text.clone()),
                                Value::String(alloc::format!("{}", g.size)),
                                Value::String(g.align.letter().into()),
                                Value::String(if g.bold { "B" } else { "N" }.into()),
                            ]
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

fn decode_line(value: &Value) -> Option<ReceiptLine> {
    let cells: Vec<String> = match value {
        Value::Array(items) => items
            .iter()
            .map(|v| match string(v) {
                Field::Ok(s) => s,
                _ => String::new(),
            })
            .collect(),
        // A flat string list: one group "3", L, N.
        Value::String(s) => alloc::vec![s.clone()],
        Value::Null => return None,
        other => match string(other) {
            Field::Ok(s) => alloc::vec![s],
            _ => return None,
        },
    };
    Some(
        cells
            .chunks(4)
            .map(|chunk| {
                let get = |i: usize| chunk.get(i).map(String::as_str);
                ReceiptGroup {
                    text: get(0).unwrap_or("").into(),
                    size: get(1)
                        .and_then(|s| s.trim().parse::<u8>().ok())
                        .filter(|n| (1..=9).contains(n))
                        .unwrap_or(3),
                    align: match get(2).map(str::trim) {
                        Some(a) if a.eq_ignore_ascii_case("C") => Align::Centre,
                        Some(a) if a.eq_ignore_ascii_case("R") => Align::Right,
                        _ => Align::Left,
                    },
                    bold: get(3).is_some_and(|s| s.trim().eq_ignore_ascii_case("B")),
                }
            })
            .collect(),
    )
}

fn place(text: &[char], align: Align, width: usize) -> Vec<Option<char>> {
    let mut row = alloc::vec![None; width];
    let len = text.len().min(width);
    let start = match align {
        Align::Left => 0,
        Align::Right => width - len,
        Align::Centre => (width - len) / 2,
    };
    for (slot, c) in row.iter_mut().skip(start).zip(text.iter()) {
        *slot = Some(*c);
    }
    row
}

fn fits(row: &[char], placed: &[Option<char>]) -> bool {
    placed
        .iter()
        .enumerate()
        .all(|(i, c)| c.is_none() || row.get(i).is_none_or(|r| *r == ' '))
}

fn merge(row: &mut Vec<char>, placed: &[Option<char>]) {
    for (i, c) in placed.iter().enumerate() {
        if let Some(c) = c {
            while row.len() <= i {
                row.push(' ');
            }
            if let Some(slot) = row.get_mut(i) {
                *slot = *c;
            }
        }
    }
}

fn flush(out: &mut Vec<String>, row: &mut Vec<char>) {
    if !row.is_empty() {
        let text: String = row.iter().collect();
        out.push(String::from(text.trim_end()));
        row.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_render_by_alignment() {
        let Field::Ok(lines) = decode_receipt(&json!([
            ["CUSTOMER COPY", "5", "C", "B"],
            ["TID", "2", "L", "N", "71904433", "2", "R", "N"],
            [],
            "plain text",
            ["short", "12", "X", "Q", "tail"]
        ])) else {
            panic!()
        };
        assert_eq!(lines[4][0].size, 3);
        assert_eq!(lines[4][1].align, Align::Left);
        let text = render_receipt(&lines, 20);
        assert_eq!(text[0], "   CUSTOMER COPY");
        assert_eq!(text[1], "TID         71904433");
        assert_eq!(text[2], "");
        assert_eq!(text[3], "plain text");
        assert_eq!(text[4], "short");
        assert_eq!(text[5], "tail");
    }

    #[test]
    fn encoding_round_trips() {
        let Field::Ok(lines) =
            decode_receipt(&json!([["A", "2", "R", "B", "B", "9", "C", "N"], []]))
        else {
            panic!()
        };
        let Field::Ok(again) = decode_receipt(&encode_receipt(&lines)) else {
            panic!()
        };
        assert_eq!(lines, again);
    }
}
