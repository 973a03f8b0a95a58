//! Inbound callbacks: routing by token, parsing, matching and the reply (spec §5).

use alloc::string::String;

use pos_core::{
    CallbackId, Event, HttpRequest, HttpResponse, Method, Notice, Timestamp, Transmit, TransmitKind,
};

use super::InterpayMachine;
use super::flow::Source;
use crate::codec::{decode_body, decode_form};
use crate::message::{Fields, ResultKind, ResultMessage, classify_result, parse_amt};

impl InterpayMachine {
    /// Returns the token segment of a callback path under the callback base, if the rest of
    /// the path is one the machine hands out (spec §5.1).
    pub(crate) fn token_of<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(self.callback_path.as_str())?;
        let (token, tail) = rest.split_once('/').unwrap_or((rest, ""));
        matches!(tail, "" | "ok" | "fail" | "ok/" | "fail/")
            .then_some(token)
            .filter(|t| !t.is_empty())
    }

    pub(crate) fn knows_token(&self, token: &str) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.token.expose() == token)
            || self.retained.contains_key(token)
    }

    /// Handles one inbound callback and queues its reply after the events it caused.
    pub(crate) fn on_callback(&mut self, now: Timestamp, id: CallbackId, request: &HttpRequest) {
        let status = self.callback_status(now, request);
        let txn = self.session.as_ref().map(|s| s.txn);
        let kind = TransmitKind::CallbackReply {
            id,
            response: HttpResponse::new(status),
        };
        self.out.transmit(match txn {
            Some(txn) => Transmit::for_txn(txn, kind),
            None => Transmit::plain(kind),
        });
    }

    fn callback_status(&mut self, now: Timestamp, request: &HttpRequest) -> u16 {
        if !matches!(request.method, Method::Get | Method::Post) {
            return 405;
        }
        if request.body.len() > self.config.max_callback_bytes {
            return 413;
        }
        let token = self.token_of(request.path()).map(String::from);
        let Some(token) = token.filter(|t| self.knows_token(t)) else {
            let shown: String = self
                .token_of(request.path())
                .unwrap_or("")
                .chars()
                .take(4)
                .collect();
            self.notice(Notice::Unsolicited {
                detail: alloc::format!("UnmatchedCallback: unknown token {shown}…"),
            });
            return 404;
        };
        let Some(msg) = parse_callback(request) else {
            self.notice(Notice::ProtocolError {
                detail: "CallbackRejected(Malformed)".into(),
            });
            return 400;
        };
        let active = self
            .session
            .as_ref()
            .is_some_and(|s| *s.token.expose() == token);
        let (requestid, secureid, amount_minor, cancel_sent) = if active {
            let Some(s) = self.session.as_ref() else {
                return 500;
            };
            (
                s.requestid.clone(),
                s.secureid.clone(),
                s.amount_minor,
                s.cancel_sent,
            )
        } else {
            let Some(r) = self.retained.get(&token) else {
                return 404;
            };
            (
                r.requestid.clone(),
                r.secureid.clone(),
                r.amount_minor,
                r.cancel_sent,
            )
        };
        if !identity_matches(&msg, &requestid, secureid.as_deref()) {
            self.notice(Notice::ProtocolError {
                detail: "CallbackRejected(IdentityMismatch)".into(),
            });
            return 400;
        }
        let kind = classify_result(&msg.code, &msg.text, cancel_sent);
        if kind == ResultKind::Approved
            && msg.amt.as_deref().and_then(parse_amt) != Some(amount_minor)
        {
            // A forged or garbled approval must not move the session; recovery still finds
            // the truth with GetResult.
            self.notice(Notice::ProtocolError {
                detail: alloc::format!("CallbackRejected(AmountMismatch): AMT {:?}", msg.amt),
            });
            return 400;
        }
        if active {
            self.apply_result(now, kind, msg, Source::Callback);
        } else {
            self.late_result(&token, kind, &msg);
        }
        200
    }

    /// Records a callback for a finished session: duplicate, revision or stale (spec §5.6).
    fn late_result(&mut self, token: &str, kind: ResultKind, msg: &ResultMessage) {
        let Some(r) = self.retained.get_mut(token) else {
            return;
        };
        let detail = match (r.kind, r.code.as_deref()) {
            (Some(k), Some(c)) if k == kind && c == msg.code => {
                alloc::format!("duplicate {} {}", msg.code, msg.text)
            }
            (Some(k), _) if kind.rank() > k.rank() => {
                let anomaly = if k.rank() == 1 && kind == ResultKind::Approved {
                    "; Anomaly(ApprovedAfterNonApproval): money probably moved"
                } else {
                    ""
                };
                let d = alloc::format!(
                    "OutcomeRevised {{ from: {}, to: {} }}{anomaly}",
                    k.name(),
                    kind.name()
                );
                r.kind = Some(kind);
                r.code = Some(msg.code.clone());
                d
            }
            (None, _) => alloc::format!("late {} {} after an unknown outcome", msg.code, msg.text),
            _ => alloc::format!("Anomaly(StaleOrConflicting): {} {}", msg.code, msg.text),
        };
        let txn = Some(r.txn);
        self.notice(Notice::LateResult { txn, detail });
    }

    fn notice(&mut self, notice: Notice) {
        self.out.event(Event::Notice(notice));
    }
}

/// Parses a callback in any accepted form; body fields win over query fields (spec §5.2).
pub(crate) fn parse_callback(request: &HttpRequest) -> Option<ResultMessage> {
    let mut fields = if request.body.iter().all(u8::is_ascii_whitespace) {
        Fields::new()
    } else {
        decode_body(request.headers.get("content-type"), &request.body).ok()?
    };
    if let Some(q) = request.query() {
        for (name, value) in decode_form(q).iter() {
            fields.fill(name, value);
        }
    }
    let msg = ResultMessage::from_fields(&fields)?;
    (msg.requestid.is_some() || msg.secureid.is_some()).then_some(msg)
}

/// Checks REQUESTID and SECUREID against the session (spec §5.4 step 3).
fn identity_matches(msg: &ResultMessage, requestid: &str, secureid: Option<&str>) -> bool {
    let rid = msg.requestid.as_deref().map(|r| r == requestid);
    let sid = match (msg.secureid.as_deref(), secureid) {
        (Some(got), Some(known)) => Some(got == known),
        _ => None,
    };
    rid != Some(false) && sid != Some(false) && (rid == Some(true) || sid == Some(true))
}
