//! Replies to the machine's own requests, recovery (spec §7), cancel (§8), Ack (§6.3) and
//! the end of a session.

use alloc::string::{String, ToString};

use pos_core::{
    Event, HttpRequest, HttpResponse, Method, Notice, Outcome, RejectReason, RequestId, Stage,
    Timestamp, UnknownReason,
};

use super::session::Capture;
use super::{Exchange, InterpayMachine, Phase, Retained};
use crate::codec::decode_body;
use crate::message::{
    Fields, RejectClass, ResultKind, ResultMessage, StartClass, StartReply, classify_result,
    classify_start, parse_amt,
};
use crate::timer::TimerKind;

/// Where a result came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Callback,
    GetResult,
}

impl InterpayMachine {
    /// Handles the reply (or the failure, `Err(possibly_delivered)`) of an exchange.
    pub(crate) fn on_http(
        &mut self,
        now: Timestamp,
        id: RequestId,
        reply: Result<HttpResponse, bool>,
    ) {
        self.http_deadlines.remove(&id);
        let Some(exchange) = self.session.as_mut().and_then(|s| s.inflight.remove(&id)) else {
            return; // late, duplicate or for a finished session
        };
        let fields = reply.and_then(|r| parse_reply(&r).ok_or(true));
        match exchange {
            Exchange::Start { base } => self.on_start_reply(now, base, fields),
            Exchange::GetResult { base, peer_retry } => {
                self.on_get_result(now, base, peer_retry, fields.as_ref().ok());
            }
            Exchange::Cancel => self.on_cancel_reply(now, fields.as_ref().ok()),
            Exchange::Ack { base, peer_retry } => {
                self.on_ack_reply(now, base, peer_retry, fields.as_ref().ok());
            }
        }
    }

    pub(crate) fn on_timer(&mut self, now: Timestamp, kind: TimerKind) {
        let Some(phase) = self.session.as_ref().map(|s| s.phase) else {
            return;
        };
        match (kind, phase) {
            (TimerKind::CallbackDeadline, Phase::Indeterminate) => {
                let Some(outcome) = self.with_session(|s| {
                    s.unknown(
                        UnknownReason::RequestReplyLost,
                        "StartSession may have reached the terminal but no callback came",
                    )
                }) else {
                    return;
                };
                self.finish(now, outcome, None);
            }
            (TimerKind::CallbackDeadline, Phase::Awaiting) => self.begin_recovery(now),
            (TimerKind::CancelGrace, Phase::Recovering | Phase::ConfirmingRace) => {
                let can_ask = self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.getresults_used < 2 && s.secureid.is_some());
                if can_ask && (phase == Phase::Recovering || self.config.confirm_cancel_race) {
                    self.send_get_result(now, None, false);
                } else {
                    self.no_usable_result(now);
                }
            }
            (TimerKind::AckDeadline, Phase::Capturing) => {
                self.finish_pending(now, Capture::Unconfirmed);
            }
            _ => {}
        }
    }

    // ----- StartSession ------------------------------------------------------------------

    fn on_start_reply(&mut self, now: Timestamp, base: usize, fields: Result<Fields, bool>) {
        let reply = match fields {
            Ok(f) => match StartReply::from_fields(&f) {
                Some(r) => r,
                None => return self.start_failed(now, base, true),
            },
            Err(pd) => return self.start_failed(now, base, pd),
        };
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let earlier_doubt = session.possibly_delivered;
        // A REQUESTID this machine drew from its CSPRNG cannot collide with an older session in
        // practice, so a 9012 for it means our own StartSession arrived twice (a duplicated
        // delivery whose first reply was lost): the session may be live and the card may still
        // be charged. Only a POS-supplied reference can be a genuine reuse (spec §4.4).
        let ours_twice = session.operation.reference().is_none();
        session.last_reply = Some((reply.code.clone(), reply.text.clone()));
        match classify_start(&reply.code, &reply.text) {
            StartClass::Delivered => self.delivered(now, base, reply),
            StartClass::RetryOnPeer => self.start_failed(now, base, false),
            StartClass::Duplicate if earlier_doubt || ours_twice => self.indeterminate(now),
            StartClass::Duplicate => {
                let Some(outcome) = self.with_session(|s| {
                    s.rejected(
                        RejectReason::Duplicate,
                        Some(&reply.code),
                        Some(&reply.text),
                    )
                }) else {
                    return;
                };
                self.finish(now, outcome, None);
            }
            StartClass::Rejected(class) => {
                let final_class = matches!(class, RejectClass::Credentials | RejectClass::LocalBug);
                if earlier_doubt && !final_class {
                    return self.indeterminate(now);
                }
                if class == RejectClass::Credentials {
                    self.out.event(Event::Notice(Notice::ReauthNeeded {
                        code: reply.code.clone(),
                    }));
                }
                let reason = reject_reason(&reply.code, class);
                let Some(outcome) =
                    self.with_session(|s| s.rejected(reason, Some(&reply.code), Some(&reply.text)))
                else {
                    return;
                };
                self.finish(now, outcome, None);
            }
        }
    }

    fn delivered(&mut self, now: Timestamp, base: usize, reply: StartReply) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if !matches!(s.phase, Phase::Starting | Phase::Indeterminate) {
            // A StartSession reply overtaken by the session's own result (found by fuzzing):
            // keep the identifiers it brings, but never move the session back to Awaiting or
            // send a queued cancel after the result arrived — that cancel would void an
            // approval the machine is about to report (an approval after a cancel wins).
            if s.secureid.is_none() {
                s.secureid = reply.secureid;
            }
            if s.cancelurl.is_none() {
                s.cancelurl = reply.cancelurl;
            }
            return;
        }
        s.phase = Phase::Awaiting;
        s.host_base = base;
        s.secureid = reply.secureid;
        s.cancelurl = reply.cancelurl;
        s.host_field = reply.host;
        let (txn, missing, cancel_wanted) = (
            s.txn,
            s.secureid.is_none() || s.cancelurl.is_none(),
            s.cancel_wanted,
        );
        let record = s.record();
        self.out.event(Event::Persist(record));
        self.progress(txn, Stage::Accepted, "sent to the terminal");
        if missing {
            self.out.event(Event::Notice(Notice::ProtocolError {
                detail: "Anomaly(MissingSessionFields): 0000 without SECUREID or CANCELURL".into(),
            }));
        }
        let deadline = now + self.config.timeouts.get(TimerKind::CallbackDeadline);
        self.timers.set(TimerKind::CallbackDeadline, deadline);
        if cancel_wanted && !missing {
            self.timers.clear(TimerKind::CallbackDeadline);
            self.send_cancel(now);
        }
    }

    /// An attempt ended without `0000`: fail over once, else conclude (spec §4.3 step 4–5).
    fn start_failed(&mut self, now: Timestamp, base: usize, possibly_delivered: bool) {
        let max = self.config.max_start_attempts;
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.possibly_delivered |= possibly_delivered;
        let secondary = self.config.endpoints.secondary.clone();
        if let (0, Some(url), true) = (base, secondary, s.attempts < max) {
            s.attempts += 1;
            let body = s.body.clone();
            // The byte-identical body with the same REQUESTID: the gateway's duplicate
            // protection makes it unable to charge twice (spec §4.3), so it is not counted
            // as a second money request.
            let request = self.post(&url, body);
            self.send(now, Exchange::Start { base: 1 }, request, false);
            return;
        }
        if s.possibly_delivered {
            return self.indeterminate(now);
        }
        let last = s.last_reply.clone();
        let Some(outcome) = self.with_session(|s| match &last {
            Some((code, text)) => {
                let reason = reject_reason(code, RejectClass::Other);
                s.rejected(reason, Some(code), Some(text))
            }
            None => s.rejected(RejectReason::Unavailable, None, Some("GatewayUnavailable")),
        }) else {
            return;
        };
        self.finish(now, outcome, None);
    }

    fn indeterminate(&mut self, now: Timestamp) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.phase = Phase::Indeterminate;
        let txn = s.txn;
        self.progress(
            txn,
            Stage::Recovering,
            "StartSession possibly delivered; awaiting the callback",
        );
        let deadline = now + self.config.timeouts.get(TimerKind::CallbackDeadline);
        self.timers.set(TimerKind::CallbackDeadline, deadline);
    }

    // ----- recovery ---------------------------------------------------------------------

    /// Step 1–2 of spec §7.1: the first GetResult.
    pub(crate) fn begin_recovery(&mut self, now: Timestamp) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.phase = Phase::Recovering;
        let txn = s.txn;
        if s.secureid.is_none() {
            let Some(outcome) =
                self.with_session(|s| s.unknown(UnknownReason::NoResult, "no SECUREID to look up"))
            else {
                return;
            };
            return self.finish(now, outcome, None);
        }
        self.progress(
            txn,
            Stage::Recovering,
            "no callback by the deadline; asking GetResult",
        );
        self.send_get_result(now, None, false);
    }

    fn send_get_result(&mut self, now: Timestamp, base: Option<usize>, peer_retry: bool) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if !peer_retry {
            s.getresults_used += 1;
        }
        let base = base.unwrap_or(s.host_base);
        let secureid = s.secureid.clone().unwrap_or_default();
        let mut f = self.follow_up_fields("GetResult", &secureid);
        if self.config.auto_ack {
            f.push("ACK", "Y");
        }
        let url = self.follow_up_url(base);
        let request = self.post(&url, self.encode(&f));
        self.send(
            now,
            Exchange::GetResult { base, peer_retry },
            request,
            false,
        );
    }

    fn on_get_result(&mut self, now: Timestamp, base: usize, peer_retry: bool, f: Option<&Fields>) {
        let msg = f.and_then(ResultMessage::from_fields);
        let code = msg.as_ref().map(|m| m.code.clone()).unwrap_or_default();
        let retry_class = msg.is_none() || is_retry_code(&code);
        if retry_class && !peer_retry && self.config.endpoints.secondary.is_some() {
            return self.send_get_result(now, Some(1 - base.min(1)), true);
        }
        let Some(msg) = msg else {
            return self.no_usable_result(now);
        };
        if let Some(s) = self.session.as_mut() {
            s.evidence
                .push(alloc::format!("GetResult {} {}", msg.code, msg.text));
        }
        let cancel_sent = self.session.as_ref().is_some_and(|s| s.cancel_sent);
        let kind = classify_result(&msg.code, &msg.text, false);
        let usable = match code.as_str() {
            "9005" => Some(ResultKind::Cancelled),
            "9004" => Some(ResultKind::Failed {
                terminal_fault: false,
            }),
            c if c.starts_with("85") && c != "8509" => Some(ResultKind::Failed {
                terminal_fault: matches!(c, "8504" | "8512" | "8513" | "8514"),
            }),
            _ => match kind {
                ResultKind::Voided
                | ResultKind::Approved
                | ResultKind::Ambiguous
                | ResultKind::Reversed
                | ResultKind::Declined => Some(kind),
                _ => None,
            },
        };
        if matches!(code.as_str(), "1001" | "9128") {
            self.out.event(Event::Notice(Notice::ReauthNeeded { code }));
        }
        match usable {
            Some(kind) => {
                let kind = if cancel_sent && kind.rank() == 1 {
                    ResultKind::Cancelled
                } else {
                    kind
                };
                self.apply_result(now, kind, msg, Source::GetResult);
            }
            None => self.no_usable_result(now),
        }
    }

    /// The GetResult gave nothing usable: cancel once, or give up (spec §7.1 steps 3 and 6).
    fn no_usable_result(&mut self, now: Timestamp) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        if s.phase == Phase::ConfirmingRace {
            return self.finish_race(now, true);
        }
        if !s.cancel_sent && s.cancelurl.is_some() && s.getresults_used < 2 {
            return self.send_cancel(now);
        }
        let Some(outcome) =
            self.with_session(|s| s.unknown(UnknownReason::NoResult, "recovery found no result"))
        else {
            return;
        };
        self.finish(now, outcome, None);
    }

    /// GETs the CANCELURL, a request and never an outcome (spec §8).
    pub(crate) fn send_cancel(&mut self, now: Timestamp) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let Some(url) = s.cancelurl.clone() else {
            return;
        };
        s.cancel_sent = true;
        s.phase = Phase::Recovering;
        let txn = s.txn;
        let record = s.record();
        self.out.event(Event::Persist(record));
        self.progress(txn, Stage::CancelRequested, "cancel requested");
        let request = HttpRequest::new(Method::Get, url).header("Accept", "application/json");
        self.send(now, Exchange::Cancel, request, false);
    }

    fn on_cancel_reply(&mut self, now: Timestamp, f: Option<&Fields>) {
        let code = f
            .as_ref()
            .and_then(|f| f.text("CODE"))
            .map(ToString::to_string);
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.cancel_answered |= code.is_some();
        let txn = s.txn;
        let reason = match code.as_deref() {
            Some(c @ ("8508" | "8506")) => Some(alloc::format!("CancelRefused {{ code: {c} }}")),
            Some(_) => None,
            None => Some("cancel reply lost; the result still decides".into()),
        };
        if let Some(reason) = reason {
            self.out
                .event(Event::Notice(Notice::CancelRefused { txn, reason }));
        }
        if matches!(
            self.session.as_ref().map(|s| s.phase),
            Some(Phase::Recovering)
        ) {
            let grace = now + self.config.timeouts.get(TimerKind::CancelGrace);
            self.timers.set(TimerKind::CancelGrace, grace);
        }
    }

    // ----- results ----------------------------------------------------------------------

    /// Applies a valid result to the session in flight (spec §5.6, §6, §8).
    pub(crate) fn apply_result(
        &mut self,
        now: Timestamp,
        kind: ResultKind,
        msg: ResultMessage,
        source: Source,
    ) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if s.secureid.is_none() {
            s.secureid.clone_from(&msg.secureid);
        }
        let phase = s.phase;
        match kind {
            ResultKind::Approved => {
                let amount_ok = msg.amt.as_deref().and_then(parse_amt) == Some(s.amount_minor);
                if !amount_ok || (msg.refund && !s.refund) {
                    s.evidence.push(alloc::format!(
                        "approval with AMT {:?} REFUND {} does not match",
                        msg.amt,
                        msg.refund
                    ));
                    let Some(outcome) = self.with_session(|s| {
                        s.unknown(
                            UnknownReason::ConflictingEvidence,
                            "AmountMismatch or RefundMismatch",
                        )
                    }) else {
                        return;
                    };
                    return self.finish(now, outcome, Some((kind, msg.code)));
                }
                // A cancel whose reply was lost may still reach the gateway after this approval
                // and void it (found by fuzzing): the approval is evidence, not the outcome.
                // A racing callback is confirmed first (below), and lands here as GetResult.
                let confirming_later = source == Source::Callback
                    && (phase == Phase::ConfirmingRace || self.config.confirm_cancel_race);
                if s.cancel_sent && !s.cancel_answered && !confirming_later {
                    s.evidence.push(cancel_fate_evidence(&msg));
                    let Some(outcome) = self.with_session(|s| {
                        s.unknown(UnknownReason::ConflictingEvidence, "CancelFateUnknown")
                    }) else {
                        return;
                    };
                    return self.finish(now, outcome, Some((kind, msg.code)));
                }
                if phase == Phase::ConfirmingRace {
                    if source == Source::GetResult {
                        s.pending = Some(msg);
                        return self.finish_race(now, false);
                    }
                    return; // a duplicate of the racing approval
                }
                if s.cancel_sent && source == Source::Callback && self.config.confirm_cancel_race {
                    s.phase = Phase::ConfirmingRace;
                    s.pending = Some(msg);
                    let grace = now + self.config.timeouts.get(TimerKind::CancelGrace);
                    self.timers.clear(TimerKind::CallbackDeadline);
                    self.timers.set(TimerKind::CancelGrace, grace);
                    return;
                }
                let raced = s.cancel_sent && source == Source::Callback;
                if msg.ack {
                    let outcome = s.approved(&msg, Capture::Captured, raced, &self.config.receipt);
                    return self.finish(now, outcome, Some((kind, msg.code)));
                }
                if phase == Phase::Capturing {
                    return; // the Ack is under way
                }
                let secureid = s.secureid.clone();
                s.pending = Some(msg);
                match (self.config.auto_ack, secureid) {
                    (true, Some(secureid)) => self.send_ack(now, &secureid),
                    (true, None) => self.finish_pending(now, Capture::Unconfirmed),
                    (false, _) => self.finish_pending(now, Capture::Pending),
                }
            }
            ResultKind::Ambiguous => {
                s.evidence.push(alloc::format!("{} {}", msg.code, msg.text));
                let Some(outcome) = self.with_session(|s| {
                    s.unknown(UnknownReason::ConflictingEvidence, "AmbiguousResult")
                }) else {
                    return;
                };
                self.finish(now, outcome, Some((kind, msg.code)));
            }
            _ if phase == Phase::ConfirmingRace && kind.rank() < 3 => {
                s.evidence.push(alloc::format!(
                    "{} {} after the approval",
                    msg.code,
                    msg.text
                ));
            }
            _ if phase == Phase::Capturing && kind.rank() < 3 => {
                s.evidence.push(alloc::format!(
                    "{} {} after the approval",
                    msg.code,
                    msg.text
                ));
            }
            _ => {
                let outcome = s.not_approved(kind, &msg, &self.config.receipt);
                self.finish(now, outcome, Some((kind, msg.code)));
            }
        }
    }

    /// Ends an approval that raced a cancel (spec §8); `raced` when no GetResult confirmed it.
    /// An unconfirmed approval whose cancel never answered may be voided by that cancel yet:
    /// Unknown, the approval kept as evidence (the same rule as for an unconfirmed approval
    /// in `apply_result`).
    fn finish_race(&mut self, now: Timestamp, raced: bool) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let Some(msg) = s.pending.clone() else {
            return;
        };
        if raced && s.cancel_sent && !s.cancel_answered {
            s.evidence.push(cancel_fate_evidence(&msg));
            let Some(outcome) = self.with_session(|s| {
                s.unknown(UnknownReason::ConflictingEvidence, "CancelFateUnknown")
            }) else {
                return;
            };
            return self.finish(now, outcome, Some((ResultKind::Approved, msg.code)));
        }
        let capture = if msg.ack {
            Capture::Captured
        } else {
            Capture::Unconfirmed
        };
        let outcome = s.approved(&msg, capture, raced, &self.config.receipt);
        self.finish(now, outcome, Some((ResultKind::Approved, msg.code)));
    }

    fn send_ack(&mut self, now: Timestamp, secureid: &str) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.phase = Phase::Capturing;
        let base = s.host_base;
        let record = s.record();
        self.out.event(Event::Persist(record));
        self.timers.clear(TimerKind::CallbackDeadline);
        let deadline = now + self.config.timeouts.get(TimerKind::AckDeadline);
        self.timers.set(TimerKind::AckDeadline, deadline);
        self.send_ack_to(now, secureid, base, false);
    }

    fn send_ack_to(&mut self, now: Timestamp, secureid: &str, base: usize, peer_retry: bool) {
        let f = self.follow_up_fields("Ack", secureid);
        let url = self.follow_up_url(base);
        let request = self.post(&url, self.encode(&f));
        self.send(now, Exchange::Ack { base, peer_retry }, request, false);
    }

    fn on_ack_reply(&mut self, now: Timestamp, base: usize, peer_retry: bool, f: Option<&Fields>) {
        let code = f
            .as_ref()
            .and_then(|f| f.text("CODE"))
            .unwrap_or("")
            .to_string();
        let text = f
            .as_ref()
            .and_then(|f| f.get("TEXT"))
            .unwrap_or("")
            .to_ascii_uppercase();
        if (f.is_none() || is_retry_code(&code))
            && !peer_retry
            && self.config.endpoints.secondary.is_some()
        {
            let secureid = self
                .session
                .as_ref()
                .and_then(|s| s.secureid.clone())
                .unwrap_or_default();
            return self.send_ack_to(now, &secureid, 1 - base.min(1), true);
        }
        if code == "0000" {
            self.finish_pending(now, Capture::Captured);
        } else if code == "9008" || text.contains("REVERSED") || text.contains("NOT CAPTURED") {
            let Some(s) = self.session.as_ref() else {
                return;
            };
            let mut msg = s.pending.clone().unwrap_or_default();
            msg.code = code;
            msg.text = text;
            let outcome = s.not_approved(ResultKind::Reversed, &msg, &self.config.receipt);
            self.finish(now, outcome, Some((ResultKind::Reversed, msg.code)));
        } else {
            if f.is_some() && !is_retry_code(&code) {
                self.out.event(Event::Notice(Notice::ProtocolError {
                    detail: alloc::format!("Anomaly(AckRejected): {code} {text}"),
                }));
            }
            self.finish_pending(now, Capture::Unconfirmed);
        }
    }

    /// Ends the session with its pending approval at the given capture state.
    fn finish_pending(&mut self, now: Timestamp, capture: Capture) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        let Some(msg) = s.pending.clone() else {
            return;
        };
        let outcome = s.approved(&msg, capture, false, &self.config.receipt);
        self.finish(now, outcome, Some((ResultKind::Approved, msg.code)));
    }

    /// Emits `Finished` and keeps the session addressable for late callbacks.
    pub(crate) fn finish(
        &mut self,
        now: Timestamp,
        outcome: Outcome,
        result: Option<(ResultKind, String)>,
    ) {
        let Some(s) = self.session.take() else {
            return;
        };
        for id in s.inflight.keys() {
            self.http_deadlines.remove(id);
        }
        self.timers.clear_all();
        let retention = self.config.timeouts.get(TimerKind::Retention);
        self.retained.insert(
            s.token.expose().clone(),
            Retained {
                txn: s.txn,
                requestid: s.requestid.clone(),
                secureid: s.secureid.clone(),
                amount_minor: s.amount_minor,
                kind: result.as_ref().map(|(k, _)| *k),
                code: result.map(|(_, c)| c),
                cancel_sent: s.cancel_sent,
                expires: now + retention,
            },
        );
        self.out.event(Event::Finished {
            txn: s.txn,
            outcome,
        });
    }

    pub(crate) fn with_session<T>(&self, f: impl FnOnce(&super::Session) -> T) -> Option<T> {
        self.session.as_ref().map(f)
    }

    fn follow_up_fields(&self, action: &str, secureid: &str) -> Fields {
        Fields::new()
            .with("TERMID", self.config.termid.clone())
            .with("PASS", self.config.pass.expose().clone())
            .with("TYPE", "W")
            .with("ACTION", action)
            .with("SECUREID", secureid)
            .with("JSON", "Y")
    }

    fn follow_up_url(&self, base: usize) -> String {
        if self.config.use_host_field {
            if let Some(h) = self.session.as_ref().and_then(|s| s.host_field.clone()) {
                return h;
            }
        }
        self.base(base)
            .unwrap_or(self.config.endpoints.primary.as_str())
            .into()
    }
}

/// Parses a gateway reply: HTTP 200 and a parsable envelope, else `None` (spec §2.4).
fn parse_reply(r: &HttpResponse) -> Option<Fields> {
    if r.status != 200 {
        return None;
    }
    let f = decode_body(r.headers.get("content-type"), &r.body).ok()?;
    f.text("CODE").is_some().then_some(f)
}

fn is_retry_code(code: &str) -> bool {
    matches!(code, "9100" | "9101")
        || code
            .parse::<u32>()
            .is_ok_and(|n| (9900..=9999).contains(&n) && code.len() == 4)
}

fn reject_reason(code: &str, class: RejectClass) -> RejectReason {
    match (code, class) {
        ("8501" | "8506", _) => RejectReason::NotFound,
        (_, RejectClass::TerminalBusy) => RejectReason::Busy,
        (_, RejectClass::UserRetryable) => RejectReason::Unavailable,
        (_, RejectClass::Credentials) => RejectReason::Unauthorized,
        ("8502" | "8503" | "8508", _) => RejectReason::Unsupported,
        (_, RejectClass::LocalBug | RejectClass::Configuration) => RejectReason::Invalid,
        _ => RejectReason::Other,
    }
}

/// The evidence an approval leaves when the cancel sent before it has not answered.
fn cancel_fate_evidence(msg: &ResultMessage) -> String {
    alloc::format!(
        "{} {} while a cancel whose reply has not come back may still void it",
        msg.code,
        msg.text
    )
}
