//! What the CLI shows: live progress lines with a spinner on stderr (only on a terminal),
//! and outcomes for people or as JSON on stdout.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use pos_core::{Event, Notice, Outcome, Question, Report, TxnId};
use serde::Serialize;

/// Prints progress lines to stderr, keeping a spinner below them while something runs.
#[derive(Debug)]
pub(crate) struct Printer {
    spinner: bool,
    label: Mutex<String>,
    drawn: AtomicBool,
    lock: Mutex<()>,
}

impl Printer {
    /// Builds a printer; the spinner is drawn only when stderr is a terminal.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            spinner: std::io::stderr().is_terminal(),
            label: Mutex::new(String::new()),
            drawn: AtomicBool::new(false),
            lock: Mutex::new(()),
        })
    }

    /// Prints one progress line above the spinner.
    pub(crate) fn line(&self, text: &str) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut err = std::io::stderr().lock();
        if self.drawn.swap(false, Ordering::SeqCst) {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "{text}");
    }

    /// Sets the text shown beside the spinner.
    pub(crate) fn set_label(&self, label: impl Into<String>) {
        *self.label.lock().unwrap_or_else(PoisonError::into_inner) = label.into();
    }

    /// Starts the spinner (a no-op off a terminal); it stops when the guard is dropped.
    pub(crate) fn spin(self: &Arc<Self>) -> Spinner {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = self.spinner.then(|| {
            let printer = self.clone();
            let stop = stop.clone();
            thread::spawn(move || {
                let frames = ['|', '/', '-', '\\'];
                let mut n = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    printer.draw(frames.get(n % frames.len()).copied().unwrap_or('|'));
                    n = n.wrapping_add(1);
                    thread::sleep(Duration::from_millis(120));
                }
                printer.clear();
            })
        });
        Spinner { stop, thread }
    }

    fn draw(&self, frame: char) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let label = self
            .label
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{frame} {label}");
        let _ = err.flush();
        self.drawn.store(true, Ordering::SeqCst);
    }

    fn clear(&self) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if self.drawn.swap(false, Ordering::SeqCst) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// A running spinner; dropping it stops and erases it.
#[derive(Debug)]
pub(crate) struct Spinner {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Describes an event for a progress line, or `None` for events not worth a line.
pub(crate) fn describe(event: &Event) -> Option<String> {
    match event {
        Event::Persist(record) => Some(match &record.references.primary {
            Some(primary) => format!("journalled ({primary})"),
            None => "journalled".to_owned(),
        }),
        Event::Progress { progress, .. } => {
            let stage = name_of(&progress.stage);
            Some(match &progress.message {
                Some(m) => format!("{stage}: {m}"),
                None => stage,
            })
        }
        Event::Question { question, .. } => Some(match question {
            Question::SignatureCheck { timeout } => {
                format!("signature check (answer within {} s)", timeout.as_secs())
            }
            other => format!("question: {other:?}"),
        }),
        Event::Report { report, .. } => Some(format!(
            "report {} ({} fields)",
            report.kind,
            report.fields.len()
        )),
        Event::Notice(notice) => Some(notice_text(notice)),
        Event::Finished { outcome, .. } => Some(format!("finished: {}", outcome.class())),
        other => Some(format!("{other:?}")),
    }
}

/// Describes a notice; credentials are named, never shown.
fn notice_text(notice: &Notice) -> String {
    match notice {
        Notice::LinkUp => "link up".to_owned(),
        Notice::LinkLost { reason } => format!("link lost: {reason}"),
        Notice::ReauthNeeded { code } => format!("credentials refused ({code}): pair again"),
        Notice::Credential { name, .. } => format!("received credential {name}"),
        Notice::TrustCertificate(fp) => format!("terminal certificate {fp}"),
        Notice::CancelRefused { reason, .. } => format!("cancel refused: {reason}"),
        Notice::LateResult { detail, .. } => format!("late result: {detail}"),
        Notice::Unsolicited { detail } => format!("unsolicited: {detail}"),
        Notice::ProtocolError { detail } => format!("protocol error: {detail}"),
        other => format!("{other:?}"),
    }
}

/// Returns the snake_case name serde gives a value (a stage, a reason).
pub(crate) fn name_of<T: Serialize + std::fmt::Debug>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{value:?}"),
    }
}

/// The result of a command, as printed.
#[derive(Debug, Serialize)]
pub(crate) struct Finished {
    /// The vendor.
    pub(crate) vendor: &'static str,
    /// The transaction.
    pub(crate) txn: TxnId,
    /// The outcome.
    pub(crate) outcome: Outcome,
    /// Reports the transaction produced.
    pub(crate) reports: Vec<Report>,
}

/// Renders a finished transaction as pretty JSON.
pub(crate) fn json(finished: &Finished) -> String {
    let mut value = serde_json::to_value(finished).unwrap_or(serde_json::Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "class".to_owned(),
            serde_json::Value::String(finished.outcome.class().to_string()),
        );
        map.insert(
            "txn".to_owned(),
            serde_json::Value::String(finished.txn.to_string()),
        );
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Renders a finished transaction for people.
pub(crate) fn human(finished: &Finished) -> String {
    let mut out = String::new();
    let outcome = &finished.outcome;
    let _ = writeln!(
        out,
        "{}: {} ({})",
        finished.vendor,
        outcome.class().to_string().to_uppercase(),
        finished.txn
    );
    let mut field = |name: &str, value: &dyn std::fmt::Display| {
        let _ = writeln!(out, "  {name:<10} {value}");
    };
    match outcome {
        Outcome::Approved(a) => {
            if let Some(m) = &a.amount {
                field("amount", &money(m));
            }
            if let Some(m) = &a.tip {
                field("tip", &money(m));
            }
            if let Some(m) = &a.cashback {
                field("cashback", &money(m));
            }
            if let Some(code) = &a.auth_code {
                field("auth code", code);
            }
            if let Some(card) = &a.card {
                field("card", &format!("{card:?}"));
            }
            if let Some(m) = &a.message {
                field("message", m);
            }
        }
        Outcome::Declined(d) => {
            if let Some(code) = &d.code {
                field("code", code);
            }
            if let Some(m) = &d.message {
                field("message", m);
            }
        }
        Outcome::Cancelled(c) => {
            field("by", &name_of(&c.by));
            if let Some(m) = &c.message {
                field("message", m);
            }
        }
        Outcome::Rejected(r) => {
            field("reason", &name_of(&r.reason));
            if let Some(code) = &r.code {
                field("code", code);
            }
            if let Some(m) = &r.message {
                field("message", m);
            }
        }
        Outcome::Unknown(u) => {
            field("reason", &name_of(&u.reason));
            if let Some(h) = &u.hint {
                field("hint", h);
            }
            if let Some(m) = &u.amount {
                field("amount", &money(m));
            }
            for e in &u.evidence {
                field("evidence", e);
            }
        }
        other => field("outcome", &format!("{other:?}")),
    }
    let refs = outcome.references();
    if let Some(p) = &refs.primary {
        field("reference", p);
    }
    for (k, v) in &refs.other {
        field(k, v);
    }
    for report in &finished.reports {
        let _ = writeln!(out, "  report {}", report.kind);
        for (k, v) in &report.fields {
            let _ = writeln!(out, "    {k}: {v}");
        }
    }
    out
}

fn money(m: &pos_core::Money) -> String {
    format!("{} {}", m.to_major_string(), m.currency())
}
