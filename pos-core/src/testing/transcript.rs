//! The transcript: one line per transmit, event and fault, for review and snapshots.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::event::Event;
use crate::http::{Headers, HttpRequest, HttpResponse};
use crate::io::{Input, TransmitKind};
use crate::sim::{SimInput, SimTransmit};
use crate::time::Timestamp;

/// Header names whose values never appear in a transcript.
const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
];

/// A growing list of transcript lines with secrets redacted.
#[derive(Debug, Default)]
pub struct Transcript {
    origin: Timestamp,
    lines: Vec<String>,
    secrets: Vec<String>,
}

impl Transcript {
    pub(crate) fn new(origin: Timestamp) -> Self {
        Self {
            origin,
            lines: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// Adds a secret: every occurrence in later lines prints as `[redacted]`.
    pub fn redact(&mut self, secret: &str) {
        if !secret.is_empty() {
            self.secrets.push(secret.into());
        }
    }

    /// Appends a line at `now` for `actor` (`pos→sim`, `sim→pos`, `event`, `fault` …).
    pub fn push(&mut self, now: Timestamp, actor: &str, text: &str) {
        let mut text = text.to_string();
        for s in &self.secrets {
            text = text.replace(s.as_str(), "[redacted]");
        }
        let t = now.saturating_duration_since(self.origin).as_millis();
        let line = alloc::format!("{:>5}.{:03}s {:<8} {}", t / 1000, t % 1000, actor, text);
        self.lines.push(line);
    }

    /// Returns every line joined with newlines, for `insta::assert_snapshot!`.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Returns the last `n` lines, for panic messages.
    #[must_use]
    pub fn tail(&self, n: usize) -> String {
        let start = self.lines.len().saturating_sub(n);
        self.lines.get(start..).unwrap_or_default().join("\n")
    }
}

/// Renders a POS transmit as one line; also the text fault matchers see.
pub(crate) fn transmit_text(kind: &TransmitKind) -> String {
    match kind {
        TransmitKind::Connect { url, .. } => alloc::format!("connect {url}"),
        TransmitKind::Close => "close".into(),
        TransmitKind::Text(t) => alloc::format!("text {}", one_line(t)),
        TransmitKind::Binary(b) => alloc::format!("binary {}", bytes_text(b)),
        TransmitKind::Ping(_) => "ping".into(),
        TransmitKind::Http { request, .. } => request_text(request),
        TransmitKind::CallbackReply { response, .. } => {
            alloc::format!("reply {}", response_text(response))
        }
    }
}

/// Renders a simulator transmit as one line.
pub(crate) fn sim_transmit_text(t: &SimTransmit) -> String {
    match t {
        SimTransmit::Text(s) => alloc::format!("text {}", one_line(s)),
        SimTransmit::Binary(b) => alloc::format!("binary {}", bytes_text(b)),
        SimTransmit::Pong(_) => "pong".into(),
        SimTransmit::Close => "close".into(),
        SimTransmit::HttpResponse { response, .. } => response_text(response),
        SimTransmit::HttpDrop { .. } => "http (connection closed without a response)".into(),
        SimTransmit::Callback { request, .. } => {
            alloc::format!("callback {}", request_text(request))
        }
    }
}

/// Renders an input the harness synthesised (connect results, failures) as one line.
pub(crate) fn input_text(input: &Input) -> String {
    match input {
        Input::Connected => "connected".into(),
        Input::Disconnected { reason } => alloc::format!("disconnected ({reason})"),
        Input::ConnectFailed { error } => alloc::format!("connect failed: {error}"),
        Input::HttpFailed { error, .. } => alloc::format!("http failed: {error}"),
        other => alloc::format!("{other:?}"),
    }
}

/// Renders a simulator input the harness synthesised as one line.
pub(crate) fn sim_input_text(input: &SimInput) -> String {
    match input {
        SimInput::Connected => "connected".into(),
        SimInput::Disconnected => "disconnected".into(),
        SimInput::CallbackFailed { error, .. } => alloc::format!("callback failed: {error}"),
        other => alloc::format!("{other:?}"),
    }
}

/// Renders an event as one line.
pub(crate) fn event_text(event: &Event) -> String {
    alloc::format!("{event:?}")
}

fn request_text(r: &HttpRequest) -> String {
    let mut out = alloc::format!("{} {}", r.method, r.url);
    push_headers(&mut out, &r.headers);
    push_body(&mut out, &r.body);
    out
}

fn response_text(r: &HttpResponse) -> String {
    let mut out = alloc::format!("http {}", r.status);
    push_headers(&mut out, &r.headers);
    push_body(&mut out, &r.body);
    out
}

fn push_headers(out: &mut String, headers: &Headers) {
    if headers.is_empty() {
        return;
    }
    out.push_str(" [");
    for (i, (name, value)) in headers.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let secret = SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name));
        let shown = if secret { "[redacted]" } else { value };
        let _ = write!(out, "{name}: {shown}");
    }
    out.push(']');
}

fn push_body(out: &mut String, body: &[u8]) {
    if !body.is_empty() {
        out.push(' ');
        out.push_str(&bytes_text(body));
    }
}

fn bytes_text(b: &[u8]) -> String {
    match core::str::from_utf8(b) {
        Ok(s) => one_line(s),
        Err(_) => b.iter().map(|x| alloc::format!("{x:02x}")).collect(),
    }
}

fn one_line(s: &str) -> String {
    s.replace('\r', "\\r").replace('\n', "\\n")
}
