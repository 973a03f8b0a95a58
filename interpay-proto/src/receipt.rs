//! Receipt markup: the tokenizer and the plain-text renderer at width W (spec §9).
//!
//! Receipts are kept raw for reprints; [`render`] turns them into aligned lines a POS can
//! print or show. The tokenizer never fails: anything that is not a valid tag is text.

use alloc::string::String;
use alloc::vec::Vec;

/// One token of receipt markup (spec §9.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// Text, entities decoded, tabs as spaces.
    Text(String),
    /// An opening tag, name upper-cased.
    Open {
        /// The tag name, e.g. `C`.
        name: String,
        /// Attributes in order.
        attrs: Vec<(String, String)>,
    },
    /// A closing tag.
    Close {
        /// The tag name.
        name: String,
    },
    /// A self-contained tag such as `<IMG src=""/>`.
    Void {
        /// The tag name.
        name: String,
        /// Attributes in order.
        attrs: Vec<(String, String)>,
    },
    /// `<BR>` in any form, or a raw line ending.
    LineBreak,
}

/// How receipts are rendered to plain text (spec §9.3).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RenderOptions {
    /// Line width in Unicode scalar values.
    pub width: usize,
    /// Text printed for `<IMG>`, e.g. `[LOGO]`; `None` prints nothing.
    pub image_placeholder: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            width: 32,
            image_placeholder: None,
        }
    }
}

/// Splits receipt markup into tokens (spec §9.1).
#[must_use]
pub fn tokenize(markup: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut text = String::new();
    let mut rest = markup;
    // After a <BR>, one raw line ending (spaces and tabs allowed before it) is absorbed.
    let mut absorb = false;
    while let Some(c) = rest.chars().next() {
        if absorb {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            let eol = if trimmed.starts_with("\r\n") {
                2
            } else if trimmed.starts_with(['\r', '\n']) {
                1
            } else {
                0
            };
            absorb = false;
            if eol > 0 {
                rest = trimmed.get(eol..).unwrap_or("");
                continue;
            }
        }
        if c == '<' {
            if let Some((token, used)) = parse_tag(rest) {
                rest = rest.get(used..).unwrap_or("");
                if let Some(token) = token {
                    flush(&mut text, &mut tokens);
                    absorb = token == Token::LineBreak;
                    tokens.push(token);
                }
                continue;
            }
        }
        if c == '\r' || c == '\n' {
            flush(&mut text, &mut tokens);
            tokens.push(Token::LineBreak);
            let used = if rest.starts_with("\r\n") { 2 } else { 1 };
            rest = rest.get(used..).unwrap_or("");
            continue;
        }
        if c == '&' {
            if let Some((decoded, used)) = entity(rest) {
                text.push(decoded);
                rest = rest.get(used..).unwrap_or("");
                continue;
            }
        }
        text.push(if c == '\t' { ' ' } else { c });
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    flush(&mut text, &mut tokens);
    tokens
}

/// Renders receipt markup as plain-text lines (spec §9.3).
#[must_use]
pub fn render(markup: &str, options: &RenderOptions) -> Vec<String> {
    let width = options.width.max(1);
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut line = Line::default();
    for token in tokenize(markup) {
        match token {
            Token::Text(t) => line.push(align_of(&stack), &t),
            Token::Open { name, .. } => stack.push(name),
            Token::Close { name } => {
                if let Some(i) = stack.iter().rposition(|n| *n == name) {
                    stack.truncate(i);
                }
            }
            Token::Void { name, .. } => {
                if name == "IMG" {
                    line.image = true;
                    if let Some(p) = &options.image_placeholder {
                        line.push(align_of(&stack), p);
                    }
                }
            }
            Token::LineBreak => {
                core::mem::take(&mut line).emit(width, &mut out);
            }
        }
    }
    line.emit(width, &mut out);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
    Center,
}

#[derive(Default)]
struct Line {
    segments: Vec<(Align, String)>,
    image: bool,
}

impl Line {
    fn push(&mut self, align: Align, text: &str) {
        self.segments.push((align, text.into()));
    }

    fn emit(self, width: usize, out: &mut Vec<String>) {
        let has_text = self.segments.iter().any(|(_, t)| !t.is_empty());
        if !has_text {
            if !self.image {
                out.push(String::new());
            }
            return;
        }
        if self.segments.iter().all(|(a, _)| *a == Align::Center) {
            let text: String = self.segments.iter().map(|(_, t)| t.as_str()).collect();
            for piece in wrap(&text, width) {
                let pad = width.saturating_sub(len(&piece)) / 2;
                push_trimmed(out, &alloc::format!("{}{piece}", " ".repeat(pad)));
            }
            return;
        }
        let left: String = self
            .segments
            .iter()
            .filter(|(a, _)| *a != Align::Right)
            .map(|(_, t)| t.as_str())
            .collect();
        let right: String = self
            .segments
            .iter()
            .filter(|(a, _)| *a == Align::Right)
            .map(|(_, t)| t.as_str())
            .collect();
        let (l, r) = (len(&left), len(&right));
        if r == 0 {
            wrap(&left, width)
                .into_iter()
                .for_each(|p| push_trimmed(out, &p));
        } else if l + 1 + r <= width {
            let fill = width - l - r;
            push_trimmed(out, &alloc::format!("{left}{}{right}", " ".repeat(fill)));
        } else {
            if l > 0 {
                wrap(&left, width)
                    .into_iter()
                    .for_each(|p| push_trimmed(out, &p));
            }
            for piece in wrap(&right, width) {
                let pad = width.saturating_sub(len(&piece));
                push_trimmed(out, &alloc::format!("{}{piece}", " ".repeat(pad)));
            }
        }
    }
}

fn align_of(stack: &[String]) -> Align {
    stack
        .iter()
        .rev()
        .find_map(|n| match n.as_str() {
            "L" => Some(Align::Left),
            "R" => Some(Align::Right),
            "C" => Some(Align::Center),
            _ => None,
        })
        .unwrap_or(Align::Left)
}

fn len(s: &str) -> usize {
    s.chars().count()
}

fn push_trimmed(out: &mut Vec<String>, line: &str) {
    out.push(line.trim_end_matches(' ').into());
}

/// Wraps at the last space at or before `width`, else hard at `width`; continuation lines
/// drop leading spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    let mut first = true;
    loop {
        if !first {
            let skip = rest.iter().take_while(|c| **c == ' ').count();
            rest.drain(..skip);
            if rest.is_empty() {
                break;
            }
        }
        first = false;
        if rest.len() <= width {
            pieces.push(rest.iter().collect());
            break;
        }
        let window = rest.get(..=width).unwrap_or(&rest);
        let cut = window
            .iter()
            .rposition(|c| *c == ' ')
            .filter(|p| *p > 0)
            .unwrap_or(width);
        let tail = rest.split_off(cut.min(rest.len()));
        pieces.push(rest.iter().collect());
        rest = tail;
    }
    pieces
}

fn flush(text: &mut String, tokens: &mut Vec<Token>) {
    if !text.is_empty() {
        tokens.push(Token::Text(core::mem::take(text)));
    }
}

/// Parses a tag at the start of `s` (which begins with `<`). Returns the token (`None` for an
/// ignored `</BR>`) and the bytes used, or `None` when this is not a valid tag.
fn parse_tag(s: &str) -> Option<(Option<Token>, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let start = i;
    if !b.get(i)?.is_ascii_alphabetic() {
        return None;
    }
    while b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
        i += 1;
    }
    let name = s.get(start..i)?.to_ascii_uppercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        let ws_start = i;
        while b.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
            i += 1;
        }
        match b.get(i)? {
            b'>' => {
                i += 1;
                break;
            }
            b'/' if b.get(i + 1) == Some(&b'>') => {
                self_closing = true;
                i += 2;
                break;
            }
            c if c.is_ascii_alphabetic() && i > ws_start && !closing => {
                let (attr, used) = parse_attr(s.get(i..)?)?;
                attrs.push(attr);
                i += used;
            }
            _ => return None,
        }
    }
    let token = if name == "BR" {
        if closing {
            None
        } else {
            Some(Token::LineBreak)
        }
    } else if closing {
        Some(Token::Close { name })
    } else if self_closing || name == "IMG" {
        Some(Token::Void { name, attrs })
    } else {
        Some(Token::Open { name, attrs })
    };
    Some((token, i))
}

fn parse_attr(s: &str) -> Option<((String, String), usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    {
        i += 1;
    }
    let name = s.get(..i)?.to_ascii_lowercase();
    if b.get(i) != Some(&b'=') {
        return Some(((name, String::new()), i));
    }
    i += 1;
    let value = match b.get(i)? {
        q @ (b'"' | b'\'') => {
            let end = s.get(i + 1..)?.find(char::from(*q))? + i + 1;
            let v = s.get(i + 1..end)?;
            i = end + 1;
            v
        }
        _ => {
            let start = i;
            while b
                .get(i)
                .is_some_and(|c| !matches!(c, b' ' | b'\t' | b'>' | b'"' | b'\''))
                && !(b.get(i) == Some(&b'/') && b.get(i + 1) == Some(&b'>'))
            {
                i += 1;
            }
            s.get(start..i)?
        }
    };
    Some(((name, decode_entities(value)), i))
}

fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            if let Some((d, used)) = entity(rest) {
                out.push(d);
                rest = rest.get(used..).unwrap_or("");
                continue;
            }
        }
        out.push(c);
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    out
}

/// Decodes an entity at the start of `s` (which begins with `&`).
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.get(..12.min(s.len()))?.find(';')?;
    let body = s.get(1..end)?;
    let c = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let n = if let Some(hex) = body.strip_prefix("#x").or(body.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                body.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(n)?
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_renders_exactly() {
        let markup = r#"<C><IMG src=""/></C><BR/><C><LG>LAKESIDE FC</LG></C><BR/><C>12 Shore Rd, Kingston</C><BR/><BR/><L>SALE</L><R>VISA</R><BR/><L>CARD</L><R>****1111</R><BR/><L>AUTH</L><R>T41872</R><BR/><L><B>TOTAL</B></L><R><B>$25.50</B></R><BR/><BR/><C><INV>APPROVED</INV></C><BR/><C>CUSTOMER COPY</C>"#;
        let lines = render(markup, &RenderOptions::default());
        let expected = [
            "          LAKESIDE FC",
            "     12 Shore Rd, Kingston",
            "",
            "SALE                        VISA",
            "CARD                    ****1111",
            "AUTH                      T41872",
            "TOTAL                     $25.50",
            "",
            "            APPROVED",
            "         CUSTOMER COPY",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn every_tag_tokenizes() {
        let t = tokenize(
            "<L>a</L><R>b</R><C>c</C><LG>d</LG><B>e</B><INV>f</INV><INV/><BR><br /></BR><IMG src='x.png'>",
        );
        assert!(t.contains(&Token::Open {
            name: "LG".into(),
            attrs: Vec::new()
        }));
        assert!(t.contains(&Token::Close { name: "INV".into() }));
        assert!(t.contains(&Token::Void {
            name: "INV".into(),
            attrs: Vec::new()
        }));
        assert_eq!(
            t.iter().filter(|x| **x == Token::LineBreak).count(),
            2,
            "</BR> is ignored"
        );
        assert!(t.contains(&Token::Void {
            name: "IMG".into(),
            attrs: alloc::vec![("src".into(), "x.png".into())]
        }));
    }

    #[test]
    fn malformed_markup_is_text_and_never_fails() {
        let t = tokenize("a < b <1x> <L unclosed &amp; &bogus; &#65;&#x42;\tz");
        assert_eq!(
            t,
            [Token::Text("a < b <1x> <L unclosed & &bogus; AB z".into())]
        );
        // A raw line ending right after <BR> is absorbed; a second one is a break.
        assert_eq!(tokenize("x<BR>  \r\ny").len(), 3);
        assert_eq!(tokenize("x<BR>\n\ny").len(), 4);
        let lines = render(
            "<R>unmatched</L></R><C>centre</C>",
            &RenderOptions {
                width: 12,
                image_placeholder: None,
            },
        );
        assert_eq!(lines, ["centre", "   unmatched"]);
    }

    #[test]
    fn long_text_wraps_and_images_use_the_placeholder() {
        let o = RenderOptions {
            width: 10,
            image_placeholder: Some("[LOGO]".into()),
        };
        assert_eq!(
            render("<C><IMG/></C><BR/>hello big world", &o),
            ["  [LOGO]", "hello big", "world"]
        );
        assert_eq!(render("abcdefghijkl", &o), ["abcdefghij", "kl"]);
    }
}
