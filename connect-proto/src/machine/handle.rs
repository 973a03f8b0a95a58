//! Responses, failures and deadlines: every transition of spec §8.1–§8.6 and §9.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{
    Approval, Event, HttpResponse, Notice, Outcome, RejectReason, Report, RequestId, Stage,
    Timestamp, TransportError,
};

use super::op::{Cancel, Op, OpKind, Phase, Reason, Sig, TerminalAfter};
use super::{ConnectMachine, Flow, Req, finish, signature_question};
use crate::codec;
use crate::message::{ReportResult, TerminalStatus, TransactionResult};
use crate::notify::{self, Meaning};
use crate::timer;

/// A response or failure, classified once.
enum Reply<'a> {
    /// A 2xx and its body.
    Success(&'a [u8]),
    /// Any other status.
    Status {
        status: u16,
        user_message: Option<String>,
        retry_after: Option<Duration>,
    },
    /// No response; `not_sent` when the request certainly did not leave.
    Failed { not_sent: bool, detail: String },
}

impl<'a> Reply<'a> {
    fn from_response(r: &'a HttpResponse) -> Self {
        if r.is_success() {
            return Reply::Success(&r.body);
        }
        let retry_after = r
            .headers
            .get("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(timer::RETRY_AFTER_CAP));
        Reply::Status {
            status: r.status,
            user_message: codec::user_message(&r.body),
            retry_after,
        }
    }

    /// True for statuses a control request (PUT/DELETE) resends (§8.2, §8.3, §9).
    const fn resendable(&self) -> bool {
        match self {
            Reply::Status { status, .. } => matches!(*status, 408 | 429 | 500..=599),
            Reply::Failed { .. } => true,
            Reply::Success(_) => false,
        }
    }
}

impl ConnectMachine {
    pub(super) fn on_response(&mut self, now: Timestamp, id: RequestId, r: &HttpResponse) {
        let Some(inf) = self.inflight.remove(&id) else {
            return; // late or unknown: ignored
        };
        let reply = Reply::from_response(r);
        self.with_op(inf.txn, |m, op| m.dispatch(now, op, inf.req, &reply));
    }

    pub(super) fn on_failure(&mut self, now: Timestamp, id: RequestId, e: &TransportError) {
        let Some(inf) = self.inflight.remove(&id) else {
            return;
        };
        let reply = Reply::Failed {
            not_sent: e.certainly_not_sent(),
            detail: format!("{e}"),
        };
        self.with_op(inf.txn, |m, op| m.dispatch(now, op, inf.req, &reply));
    }

    fn dispatch(&mut self, now: Timestamp, op: &mut Op, req: Req, reply: &Reply<'_>) -> Flow {
        match req {
            Req::Post => {
                op.post_inflight = false;
                self.on_post(now, op, reply)
            }
            Req::Poll => {
                op.get_inflight = false;
                if matches!(op.kind, OpKind::List) {
                    self.on_list(now, op, reply)
                } else {
                    self.on_poll(now, op, reply)
                }
            }
            Req::Terminal => {
                op.get_inflight = false;
                self.on_terminal(now, op, reply)
            }
            Req::Delete => {
                op.ctl_inflight = false;
                self.on_delete(now, op, reply);
                Flow::Continue
            }
            Req::Signature => {
                op.ctl_inflight = false;
                op.sig_inflight = false;
                self.on_signature(now, op, reply);
                Flow::Continue
            }
        }
    }

    // ----- E3 / E7 -------------------------------------------------------------------------

    fn on_post(&mut self, now: Timestamp, op: &mut Op, reply: &Reply<'_>) -> Flow {
        let tid = self.cfg.tid.clone();
        let reject = |m: &mut Self, op: &Op, reason, code: &str, msg: Option<String>| {
            let outcome = finish::rejected(op, &tid, reason, code, msg);
            m.finish(op, outcome)
        };
        match reply {
            Reply::Success(body) => match codec::decode_request_location(body) {
                Ok(loc) if !loc.request_id.is_empty() && loc.request_id.chars().count() <= 64 => {
                    op.request_id = Some(loc.request_id.clone());
                    op.phase = Phase::Polling;
                    self.persist(op);
                    self.progress(
                        op.txn,
                        Stage::Accepted,
                        format!("Accepted: requestId {}", loc.request_id),
                    );
                    op.poll_due = Some(now + self.poll_interval());
                    if op.cancel == Cancel::AwaitingStart {
                        op.cancel = Cancel::Pending { resends: 0 };
                        op.delete_due = Some(now);
                    }
                    Flow::Continue
                }
                _ => self.unconfirmed(now, op, "201 without a usable requestId"),
            },
            Reply::Status {
                status,
                user_message,
                ..
            } => {
                let msg = user_message.clone();
                match status {
                    401 => reject(self, op, RejectReason::Unauthorized, "Unauthorized", msg),
                    404 => reject(
                        self,
                        op,
                        RejectReason::Unavailable,
                        "TerminalUnavailable",
                        msg,
                    ),
                    422 if self.cfg.classify_422 => {
                        op.phase = Phase::Classifying;
                        op.post_status = Some((422, msg));
                        op.term_due = Some(now);
                        Flow::Continue
                    }
                    422 => reject(self, op, RejectReason::Invalid, "Unprocessable", msg),
                    500..=599 => self.unconfirmed(now, op, &format!("status {status}")),
                    _ => reject(
                        self,
                        op,
                        RejectReason::Other,
                        &format!("UnexpectedStatus {status}"),
                        msg,
                    ),
                }
            }
            Reply::Failed {
                not_sent: true,
                detail,
            } => reject(
                self,
                op,
                RejectReason::Unavailable,
                "NotDelivered",
                Some(detail.clone()),
            ),
            Reply::Failed { detail, .. } => self.unconfirmed(now, op, detail),
        }
    }

    fn unconfirmed(&mut self, now: Timestamp, op: &mut Op, why: &str) -> Flow {
        op.evidence.push(format!("start unconfirmed: {why}"));
        if op.cancel == Cancel::AwaitingStart {
            op.cancel = Cancel::None;
            self.progress(
                op.txn,
                Stage::Other,
                "CancelUndeliverable: cancel on the PDQ".into(),
            );
        }
        self.enter_recovery(now, op, Reason::StartUnconfirmed);
        Flow::Continue
    }

    // ----- E4 / E8 -------------------------------------------------------------------------

    fn on_poll(&mut self, now: Timestamp, op: &mut Op, reply: &Reply<'_>) -> Flow {
        let recovering = matches!(op.phase, Phase::Recovering(_));
        match reply {
            Reply::Success(body) => {
                if op.is_report() {
                    match codec::decode_report(body) {
                        Ok(r) => return self.on_report_body(now, op, &r, body),
                        Err(e) => op.evidence.push(format!("unreadable report: {e}")),
                    }
                } else {
                    match codec::decode_transaction(body) {
                        Ok(t) => return self.on_transaction_body(now, op, t),
                        Err(e) => op.evidence.push(format!("unreadable transaction: {e}")),
                    }
                }
                self.poll_backoff(now, op, None);
            }
            Reply::Status { status: 404, .. } if op.resumed && !recovering => {
                self.enter_recovery(now, op, Reason::NotFoundOrExpired);
            }
            Reply::Status { status: 404, .. } if !recovering => {
                if !op.unreachable_shown {
                    op.unreachable_shown = true;
                    self.progress(
                        op.txn,
                        Stage::Other,
                        "TerminalUnreachable: the PDQ is not connected; retrying".into(),
                    );
                }
                op.poll_due = Some(now + timer::UNREACHABLE_RETRY);
            }
            Reply::Status {
                status: 401 | 422,
                user_message,
                ..
            } if !recovering => {
                op.evidence
                    .push(config_evidence(reply, user_message.as_ref()));
                self.enter_recovery(now, op, Reason::ConfigError);
            }
            Reply::Status {
                status,
                user_message,
                retry_after,
            } => {
                let retried = matches!(*status, 300..=399 | 404 | 408 | 429 | 500..=599);
                if !retried && !recovering {
                    op.bad_4xx += 1;
                    if op.bad_4xx >= 3 {
                        op.evidence
                            .push(config_evidence(reply, user_message.as_ref()));
                        self.enter_recovery(now, op, Reason::ConfigError);
                        return Flow::Continue;
                    }
                }
                self.poll_backoff(now, op, *retry_after);
            }
            Reply::Failed { .. } => self.poll_backoff(now, op, None),
        }
        Flow::Continue
    }

    fn poll_backoff(&mut self, now: Timestamp, op: &mut Op, retry_after: Option<Duration>) {
        let mut wait = timer::backoff(op.backoff_step).max(self.poll_interval());
        if let Some(ra) = retry_after {
            wait = wait.max(ra);
        }
        if matches!(op.phase, Phase::Recovering(_)) {
            wait = wait.max(timer::RECOVERY_BUSY_RECHECK);
        }
        op.backoff_step = op.backoff_step.saturating_add(1);
        op.poll_due = Some(now + wait);
    }

    fn on_transaction_body(
        &mut self,
        now: Timestamp,
        op: &mut Op,
        t: crate::message::Transaction,
    ) -> Flow {
        op.backoff_step = 0;
        op.bad_4xx = 0;
        op.unreachable_shown = false;
        self.notifications(now, op, &t.notifications, t.is_finished());
        let finished = t.is_finished();
        let result = t.transaction_result.clone();
        op.last_seen = Some(t);
        let recovering = matches!(op.phase, Phase::Recovering(_));
        if finished || recovering {
            match &result {
                Some(TransactionResult::TimedOut) => {
                    op.evidence.push("Connect reported TIMED_OUT".into());
                    if recovering {
                        op.phase = Phase::Recovering(Reason::ConnectTimedOut);
                        op.poll_due = None;
                        if op.terminal_after == TerminalAfter::Available {
                            return self.finish_unknown(op, Reason::ConnectTimedOut);
                        }
                        op.term_due = op.term_due.or(Some(now));
                    } else {
                        self.enter_recovery(now, op, Reason::ConnectTimedOut);
                    }
                    return Flow::Continue;
                }
                Some(TransactionResult::Other(raw)) if finished => {
                    op.evidence.push(format!("unrecognised result {raw}"));
                    if !recovering {
                        self.enter_recovery(now, op, Reason::UnrecognisedResult);
                    }
                    return Flow::Continue;
                }
                Some(_) if finished => {
                    let tid = self.cfg.tid.clone();
                    let outcome = op
                        .last_seen
                        .as_ref()
                        .and_then(|t| finish::from_result(op, t, &tid));
                    if let Some(outcome) = outcome {
                        return self.finish(op, outcome);
                    }
                }
                _ => {}
            }
        }
        if recovering {
            op.poll_due = Some(now + timer::RECOVERY_BUSY_RECHECK);
        } else if finished {
            let left = op.finish_polls_left.unwrap_or(timer::FINISH_GRACE_POLLS);
            if left == 0 {
                self.enter_recovery(now, op, Reason::MissingResult);
            } else {
                op.finish_polls_left = Some(left - 1);
                op.poll_due = Some(now + self.poll_interval());
            }
        } else {
            op.poll_due = Some(now + self.poll_interval());
        }
        Flow::Continue
    }

    fn on_report_body(
        &mut self,
        now: Timestamp,
        op: &mut Op,
        r: &crate::message::Report,
        raw: &[u8],
    ) -> Flow {
        op.backoff_step = 0;
        op.bad_4xx = 0;
        self.notifications(now, op, &r.notifications, r.is_finished());
        if !r.is_finished() {
            op.poll_due = Some(now + self.poll_interval());
            return Flow::Continue;
        }
        match &r.report_result {
            Some(ReportResult::Complete) => {
                let kind = r
                    .report_type
                    .as_ref()
                    .map_or_else(|| String::from("REPORT"), |t| String::from(t.as_str()));
                let report = Report {
                    kind,
                    fields: report_fields(r),
                    raw: core::str::from_utf8(raw).ok().map(String::from),
                };
                self.out.event(Event::Report {
                    txn: op.txn,
                    report,
                });
                let tid = self.cfg.tid.clone();
                let outcome = Outcome::Approved(Approval {
                    references: finish::references(op, &tid),
                    ..Approval::default()
                });
                self.finish(op, outcome)
            }
            other => {
                let what = other.as_ref().map_or("no reportResult", |r| r.as_str());
                op.evidence.push(format!("report finished with {what}"));
                if !matches!(op.phase, Phase::Recovering(_)) {
                    self.enter_recovery(now, op, Reason::ConnectTimedOut);
                } else {
                    op.poll_due = None;
                    op.phase = Phase::Recovering(Reason::ConnectTimedOut);
                    op.term_due = op.term_due.or(Some(now));
                }
                Flow::Continue
            }
        }
    }

    /// Diffs the list (§7) and acts on each new entry.
    fn notifications(&mut self, now: Timestamp, op: &mut Op, list: &[String], finished: bool) {
        let replayed = if op.replay { " (replayed)" } else { "" };
        op.replay = false;
        for n in op.diff.update(list) {
            let text = notify::operator_text(&n.value).unwrap_or("");
            let message = format!("{}: {text}{replayed}", n.value);
            match notify::meaning(&n.value) {
                Meaning::Progress(stage) => self.progress(op.txn, stage, message),
                Meaning::Finished => self.progress(op.txn, Stage::Other, message),
                Meaning::Cancelling => self.progress(op.txn, Stage::CancelRequested, message),
                Meaning::CancelRefused => {
                    op.cancel = Cancel::Refused;
                    op.delete_due = None;
                    op.cancel_refused = true;
                    self.progress(op.txn, Stage::Other, message);
                    self.out.event(Event::Notice(Notice::CancelRefused {
                        txn: op.txn,
                        reason: "CancelRefused: the PDQ could not cancel".into(),
                    }));
                }
                Meaning::SignatureClosed => {
                    if matches!(op.sig, Sig::Open { .. }) {
                        op.sig = Sig::Closed;
                        op.sig_due = None;
                    }
                    self.progress(op.txn, Stage::Other, message);
                }
                Meaning::SignaturePrompt => {
                    self.progress(op.txn, Stage::Other, message);
                    let can_open = matches!(op.sig, Sig::None | Sig::Closed)
                        && op.phase == Phase::Polling
                        && !finished
                        && prompt_still_open(list);
                    if can_open {
                        let window_end = (now + timer::SIGNATURE_WINDOW)
                            .saturating_sub(self.poll_interval() + timer::SIGNATURE_MARGIN);
                        op.sig = Sig::Open {
                            window_end,
                            answered: None,
                            resends: 0,
                        };
                        self.out.event(Event::Question {
                            txn: op.txn,
                            question: signature_question(now, window_end),
                        });
                    }
                }
            }
        }
    }

    // ----- E2 ------------------------------------------------------------------------------

    fn on_terminal(&mut self, now: Timestamp, op: &mut Op, reply: &Reply<'_>) -> Flow {
        let tid = self.cfg.tid.clone();
        let status = match reply {
            Reply::Success(body) => codec::decode_terminal(body).ok().map(|t| t.status),
            _ => None,
        };
        if op.phase == Phase::Classifying {
            let msg = op.post_status.take().and_then(|(_, m)| m);
            let outcome = if status == Some(TerminalStatus::Busy) {
                finish::rejected(op, &tid, RejectReason::Busy, "TerminalBusy", msg)
            } else {
                finish::rejected(op, &tid, RejectReason::Invalid, "Unprocessable", msg)
            };
            return self.finish(op, outcome);
        }
        let Phase::Recovering(reason) = op.phase else {
            return Flow::Continue;
        };
        let e4 = e4_active(op, reason);
        match (reply, status) {
            (_, Some(TerminalStatus::Available)) => {
                op.terminal_after = TerminalAfter::Available;
                if !e4 {
                    return self.finish_unknown(op, reason);
                }
            }
            (_, Some(TerminalStatus::Busy)) => {
                op.terminal_after = TerminalAfter::Busy;
                op.term_due = Some(now + timer::RECOVERY_BUSY_RECHECK);
            }
            (_, Some(TerminalStatus::Other(_))) | (Reply::Status { status: 404, .. }, _) => {
                op.terminal_after = TerminalAfter::Unreachable;
                op.term_due = Some(now + timer::RECOVERY_UNREACHABLE_RECHECK);
            }
            (
                Reply::Status {
                    status: 401 | 422,
                    user_message,
                    ..
                },
                _,
            ) => {
                op.evidence
                    .push(config_evidence(reply, user_message.as_ref()));
                op.terminal_after = TerminalAfter::NotChecked;
                return self.finish_unknown(op, reason);
            }
            (Reply::Status { retry_after, .. }, _) => {
                let wait = timer::backoff(op.backoff_step).max(retry_after.unwrap_or_default());
                op.backoff_step = op.backoff_step.saturating_add(1);
                op.term_due = Some(now + wait);
            }
            (Reply::Success(_) | Reply::Failed { .. }, None) => {
                let wait = timer::backoff(op.backoff_step);
                op.backoff_step = op.backoff_step.saturating_add(1);
                op.term_due = Some(now + wait);
            }
        }
        Flow::Continue
    }

    // ----- E5 / E6 -------------------------------------------------------------------------

    fn on_delete(&mut self, now: Timestamp, op: &mut Op, reply: &Reply<'_>) {
        if matches!(reply, Reply::Success(_)) {
            return;
        }
        if let Cancel::Pending { resends } = op.cancel {
            if reply.resendable() && resends < 1 && op.phase == Phase::Polling {
                op.cancel = Cancel::Pending {
                    resends: resends + 1,
                };
                op.delete_due = Some(now + timer::CONTROL_RESEND);
                return;
            }
            op.cancel = Cancel::None;
            self.progress(
                op.txn,
                Stage::Other,
                format!("CancelRejected: {}", reply_text(reply)),
            );
        }
    }

    fn on_signature(&mut self, now: Timestamp, op: &mut Op, reply: &Reply<'_>) {
        if matches!(reply, Reply::Success(_)) {
            return;
        }
        if let Sig::Open {
            window_end,
            answered: Some(a),
            resends,
        } = op.sig
        {
            let retry_at = now + timer::CONTROL_RESEND;
            if reply.resendable() && resends < 2 && retry_at < window_end {
                op.sig = Sig::Open {
                    window_end,
                    answered: Some(a),
                    resends: resends + 1,
                };
                op.sig_due = Some(retry_at);
                return;
            }
        }
        self.progress(
            op.txn,
            Stage::Other,
            format!("SignatureAnswerRejected: {}", reply_text(reply)),
        );
    }

    // ----- E1 ------------------------------------------------------------------------------

    fn on_list(&mut self, now: Timestamp, op: &mut Op, reply: &Reply<'_>) -> Flow {
        let tid = self.cfg.tid.clone();
        match reply {
            Reply::Success(body) => {
                if let Ok((list, warnings)) = codec::decode_terminal_list(body) {
                    let mut fields: Vec<(String, String)> = list
                        .terminals
                        .iter()
                        .map(|t| {
                            (
                                t.tid.clone(),
                                format!("{} {}", t.status.as_str(), t.currency.as_str()),
                            )
                        })
                        .collect();
                    if !warnings.is_empty() {
                        fields.push(("warnings".into(), format!("{}", warnings.len())));
                    }
                    self.out.event(Event::Report {
                        txn: op.txn,
                        report: Report {
                            kind: "terminals".into(),
                            fields,
                            raw: core::str::from_utf8(body).ok().map(String::from),
                        },
                    });
                    let outcome = Outcome::Approved(Approval {
                        message: Some(format!("{} terminal(s)", list.terminals.len())),
                        ..Approval::default()
                    });
                    return self.finish(op, outcome);
                }
                self.poll_backoff(now, op, None);
            }
            Reply::Status {
                status: 401,
                user_message,
                ..
            } => {
                let o = finish::rejected(
                    op,
                    &tid,
                    RejectReason::Unauthorized,
                    "Unauthorized",
                    user_message.clone(),
                );
                return self.finish(op, o);
            }
            Reply::Status {
                status: 422,
                user_message,
                ..
            } => {
                let o = finish::rejected(
                    op,
                    &tid,
                    RejectReason::Invalid,
                    "Unprocessable",
                    user_message.clone(),
                );
                return self.finish(op, o);
            }
            Reply::Status { retry_after, .. } => self.poll_backoff(now, op, *retry_after),
            Reply::Failed { .. } => self.poll_backoff(now, op, None),
        }
        Flow::Continue
    }

    // ----- deadlines and endings ------------------------------------------------------------

    pub(super) fn check_deadlines(&mut self, now: Timestamp, op: &mut Op) -> Flow {
        if let Sig::Open { window_end, .. } = op.sig {
            if now >= window_end {
                op.sig = Sig::WindowClosed;
                op.sig_due = None;
                self.progress(
                    op.txn,
                    Stage::Other,
                    "SignatureWindowClosed: the 80 s signature window has passed".into(),
                );
            }
        }
        if op.deadline.is_some_and(|d| d <= now) {
            op.deadline = None;
            match op.phase {
                Phase::Polling if matches!(op.kind, OpKind::List) => {
                    let tid = self.cfg.tid.clone();
                    let o = finish::rejected(
                        op,
                        &tid,
                        RejectReason::Unavailable,
                        "TerminalListFailed",
                        None,
                    );
                    return self.finish(op, o);
                }
                Phase::Polling => {
                    op.evidence.push("the transaction deadline passed".into());
                    self.enter_recovery(now, op, Reason::Deadline);
                }
                _ => {}
            }
        }
        if op.recovery_end.is_some_and(|d| d <= now) {
            let reason = match op.phase {
                Phase::Recovering(r) => r,
                _ => Reason::Deadline,
            };
            op.evidence.push("the recovery window passed".into());
            return self.finish_unknown(op, reason);
        }
        Flow::Continue
    }

    pub(super) fn enter_recovery(&mut self, now: Timestamp, op: &mut Op, reason: Reason) {
        op.phase = Phase::Recovering(reason);
        op.deadline = None;
        op.recovery_end = Some(now + Duration::from_millis(self.cfg.recovery_window_ms));
        op.delete_due = None;
        op.sig_due = None;
        op.post_due = None;
        op.backoff_step = 0;
        op.term_due = Some(now);
        op.poll_due = e4_active(op, reason).then(|| now + timer::RECOVERY_BUSY_RECHECK);
        self.progress(
            op.txn,
            Stage::Recovering,
            format!("Recovering: {}", reason.name()),
        );
    }

    fn finish_unknown(&mut self, op: &Op, reason: Reason) -> Flow {
        let outcome = finish::unknown(op, &self.cfg.tid, reason);
        self.finish(op, outcome)
    }

    fn finish(&mut self, op: &Op, outcome: Outcome) -> Flow {
        self.out.event(Event::Finished {
            txn: op.txn,
            outcome,
        });
        Flow::Done
    }
}

/// True when recovery also re-fetches E4/E8 (§8.4 step 2).
const fn e4_active(op: &Op, reason: Reason) -> bool {
    matches!(reason, Reason::Deadline | Reason::MissingResult) && op.request_id.is_some()
}

/// A replayed or fresh `SIGNATURE_VERIFICATION` opens a prompt only while no newer
/// signature-closing entry and no `TRANSACTION_FINISHED` is in the list (§7).
fn prompt_still_open(list: &[String]) -> bool {
    let mut newer_close = false;
    for raw in list {
        let v = notify::canonical(raw);
        if v == "TRANSACTION_FINISHED" {
            return false;
        }
        if v == "SIGNATURE_VERIFICATION" {
            return !newer_close;
        }
        if notify::meaning(&v) == Meaning::SignatureClosed {
            newer_close = true;
        }
    }
    false
}

fn config_evidence(reply: &Reply<'_>, user_message: Option<&String>) -> String {
    format!(
        "ConfigError: {}{}",
        reply_text(reply),
        user_message.map(|m| format!(" ({m})")).unwrap_or_default()
    )
}

fn reply_text(reply: &Reply<'_>) -> String {
    match reply {
        Reply::Success(_) => "success".into(),
        Reply::Status { status, .. } => format!("status {status}"),
        Reply::Failed { detail, .. } => detail.clone(),
    }
}

/// Flattens balances and banking into `(path, value)` pairs for [`Report::fields`].
fn report_fields(r: &crate::message::Report) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(t) = &r.report_time {
        out.push(("reportTime".into(), t.clone()));
    }
    for (name, v) in [("balances", &r.balances), ("banking", &r.banking)] {
        if let Some(v) = v {
            flatten(name, v, &mut out);
        }
    }
    out
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.into(), s.clone())),
        serde_json::Value::Null => {}
        other => out.push((prefix.into(), format!("{other}"))),
    }
}
