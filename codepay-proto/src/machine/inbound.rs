//! Inbound messages: correlation (spec §8.7) and what each response means for the job
//! (spec §7, §8.3, §8.4, §8.6).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use pos_core::{Event, Notice, RejectReason, Report, Timestamp, UnknownReason};
use serde_json::{Map, Value};

use super::build;
use super::{CodepayMachine, JobKind, Phase, Step, ms};
use crate::codec::{
    AdminClass, CloseClass, DeclineKind, Details, OrderClass, QueryVerdict, admin_class,
    classify_order, close_class, query_verdict,
};
use crate::message::{Envelope, TOPIC_CLOSE, TOPIC_HEARTBEAT, TOPIC_QUERY};
use crate::timer::TimerKind;

/// Which outstanding request a message answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Main,
    Close,
    Query,
}

impl CodepayMachine {
    pub(super) fn on_message(&mut self, now: Timestamp, bytes: &[u8]) {
        self.proof_of_life();
        let env = match Envelope::parse(bytes) {
            Ok(env) => env,
            Err(e) => {
                let detail = alloc::format!("dropped a message: {e}");
                self.out
                    .event(Event::Notice(Notice::ProtocolError { detail }));
                return;
            }
        };
        if env.topic.as_deref() == Some(TOPIC_HEARTBEAT) {
            return;
        }
        if env.biz_warning {
            let detail = String::from("biz_data has a type that is not an object; ignored");
            self.out
                .event(Event::Notice(Notice::ProtocolError { detail }));
        }
        match self.correlate(&env) {
            Some(Role::Main) => self.on_main(now, &env),
            Some(Role::Close) => self.on_close(now, &env),
            Some(Role::Query) => self.on_query(now, &env),
            None => self.on_unmatched(now, &env),
        }
    }

    fn correlate(&mut self, env: &Envelope) -> Option<Role> {
        let job = self.job.as_ref()?;
        let mut candidates: Vec<(Role, &str, &str, Option<&str>)> = alloc::vec![(
            Role::Main,
            job.request_id.as_str(),
            job.topic.as_str(),
            job.number.as_deref()
        )];
        if let Some(c) = &job.close {
            candidates.push((
                Role::Close,
                c.request_id.as_str(),
                TOPIC_CLOSE,
                job.number.as_deref(),
            ));
        }
        if let Some(q) = &job.query {
            candidates.push((
                Role::Query,
                q.request_id.as_str(),
                TOPIC_QUERY,
                job.number.as_deref(),
            ));
        }
        let rid = env.request_id.as_deref();
        let topic = env.topic.as_deref();
        // Rule 1: request_id, with a compatible topic.
        for (role, id, t, _) in &candidates {
            if !id.is_empty() && rid == Some(*id) && topic.is_none_or(|x| x == *t) {
                return Some(*role);
            }
        }
        // A request_id that names a request already completed makes the message that
        // request's late result (rule 4), even when topic and order number would match the
        // one outstanding now: request_id comes first (found by fuzzing — a duplicated tip
        // adjustment's second reply was taken as the answer to the next tip adjustment).
        if rid.is_some_and(|r| !r.is_empty() && self.recent.iter().any(|x| x.request_id == r)) {
            return None;
        }
        // Rule 2: topic and merchant order number.
        let number = env.order_no();
        for (role, _, t, n) in &candidates {
            if topic == Some(*t) && number.is_some() && number.as_deref() == *n {
                if rid.is_some() {
                    let detail = alloc::format!(
                        "{t} matched by merchant_order_no, but its request_id {rid:?} is not ours"
                    );
                    self.out
                        .event(Event::Notice(Notice::ProtocolError { detail }));
                }
                return Some(*role);
            }
        }
        // Rule 3: no request_id, batch close, init or getInfo, same topic.
        let rule3 = matches!(
            job.kind,
            JobKind::BatchClose | JobKind::Init | JobKind::GetInfo
        );
        if rid.is_none() && rule3 && topic == Some(job.topic.as_str()) {
            return Some(Role::Main);
        }
        None
    }

    fn on_unmatched(&mut self, now: Timestamp, env: &Envelope) {
        let window = ms(self.config.late_window_ms);
        self.recent
            .retain(|r| now.saturating_duration_since(r.at) <= window);
        let rid = env.request_id.as_deref();
        let number = env.order_no();
        let topic = env.topic.as_deref();
        let hit = self.recent.iter().find(|r| {
            (rid == Some(r.request_id.as_str()) && topic.is_none_or(|t| t == r.topic))
                || (topic == Some(r.topic.as_str()) && number.is_some() && number == r.number)
        });
        let detail = summary(env);
        let notice = match hit {
            Some(r) => Notice::LateResult {
                txn: Some(r.txn),
                detail,
            },
            None => Notice::Unsolicited { detail },
        };
        self.out.event(Event::Notice(notice));
    }

    // ----- responses ----------------------------------------------------------------------

    fn on_main(&mut self, now: Timestamp, env: &Envelope) {
        let Some(job) = self.job.as_ref() else { return };
        let details = Details::from_envelope(env, job.currency);
        match (job.kind, job.phase) {
            (
                JobKind::Order(t),
                Phase::AwaitingResult
                | Phase::CancelRequested
                | Phase::CancelConfirm
                | Phase::ConfirmRefusal,
            ) => {
                let mut class = classify_order(env, Some(t));
                if details.merchant_order_no.is_some() && details.merchant_order_no != job.number {
                    let detail = alloc::format!(
                        "order response names merchant_order_no {:?}, not {:?}",
                        details.merchant_order_no,
                        job.number
                    );
                    self.out
                        .event(Event::Notice(Notice::ProtocolError { detail }));
                    class = OrderClass::Unknown;
                }
                self.flag_mismatch(&details);
                self.on_order_class(now, env, class, &details);
            }
            (JobKind::Order(t), Phase::Recovering(_)) => {
                let class = classify_order(env, Some(t));
                let txn = job.txn;
                let detail = alloc::format!("late order response: {}", summary(env));
                if let Some(job) = self.job.as_mut() {
                    job.evidence.push(detail.clone());
                    job.late_approved |= class == OrderClass::Approved;
                }
                self.out.event(Event::Notice(Notice::LateResult {
                    txn: Some(txn),
                    detail,
                }));
            }
            (JobKind::TipAdjust, Phase::AwaitingReply) => match admin_class(env) {
                AdminClass::Ok => {
                    let outcome = build::approved(job, &details, env.response_msg.clone());
                    self.finish(outcome);
                }
                AdminClass::Busy => self.finish_rejected(RejectReason::Busy, env),
                AdminClass::NotFound => self.finish_rejected(RejectReason::NotFound, env),
                AdminClass::Declined => {
                    let outcome = build::declined(
                        job,
                        &details,
                        env.response_code.clone(),
                        env.response_msg.clone(),
                    );
                    self.finish(outcome);
                }
                AdminClass::Unknown => self.tip_confirm(now, "tip adjustment result unknown"),
            },
            (JobKind::Lookup, Phase::AwaitingReply) => self.on_lookup(env, &details),
            (JobKind::BatchClose | JobKind::Init | JobKind::GetInfo, Phase::AwaitingReply) => {
                self.on_admin(env);
            }
            _ => {
                let txn = job.txn;
                let detail = alloc::format!("late reply: {}", summary(env));
                self.out.event(Event::Notice(Notice::LateResult {
                    txn: Some(txn),
                    detail,
                }));
            }
        }
    }

    /// Flags `amount_mismatch` / `currency_mismatch` (spec §6.1); the tip may differ.
    fn flag_mismatch(&mut self, d: &Details) {
        let Some(job) = self.job.as_mut() else { return };
        let Some(base) = job.base else { return };
        let mut flags = Vec::new();
        if d.order_minor.is_some_and(|m| m != base.minor_units()) {
            flags.push("amount_mismatch");
        }
        if d.currency
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(base.currency().code()))
        {
            flags.push("currency_mismatch");
        }
        for flag in flags {
            let detail =
                alloc::format!("{flag}: the order response reports other amounts than sent");
            job.evidence.push(detail.clone());
            self.out
                .event(Event::Notice(Notice::ProtocolError { detail }));
        }
    }

    fn on_order_class(&mut self, now: Timestamp, env: &Envelope, class: OrderClass, d: &Details) {
        let Some(job) = self.job.as_ref() else { return };
        let code = env.response_code.clone();
        let msg = env.response_msg.clone();
        let outcome = match class {
            OrderClass::Approved => {
                let note = job
                    .cancel_requested
                    .then(|| String::from("completed anyway: the approval won over the cancel"));
                build::approved(job, d, note.or(msg))
            }
            OrderClass::Declined(DeclineKind::Declined) => build::declined(job, d, code, msg),
            OrderClass::Declined(DeclineKind::Rejected) => {
                let reason = if matches!(code.as_deref().map(str::trim), Some("114" | "117")) {
                    RejectReason::Unsupported
                } else {
                    RejectReason::Invalid
                };
                build::rejected(job, reason, code, msg)
            }
            OrderClass::Declined(DeclineKind::NotReady) => {
                build::rejected(job, RejectReason::Other, code, msg)
            }
            OrderClass::Cancelled => build::cancelled(job, d, code, msg),
            OrderClass::Busy | OrderClass::Duplicate => {
                if job.phase != Phase::ConfirmRefusal {
                    let reason = if class == OrderClass::Busy {
                        RejectReason::Busy
                    } else {
                        RejectReason::Duplicate
                    };
                    if let Some(job) = self.job.as_mut() {
                        job.refusal = Some((reason, code, msg));
                        job.phase = Phase::ConfirmRefusal;
                    }
                    self.send_query(now);
                }
                return;
            }
            OrderClass::NotFound => build::rejected(job, RejectReason::NotFound, code, msg),
            OrderClass::Unknown => {
                let detail =
                    alloc::format!("terminal reported an unknown result: {}", summary(env));
                self.enter_recovery(now, UnknownReason::TerminalReportedUnknown, &detail);
                return;
            }
        };
        self.finish(outcome);
    }

    fn on_lookup(&mut self, env: &Envelope, d: &Details) {
        let Some(job) = self.job.as_ref() else { return };
        let code = env.response_code.clone();
        let msg = env.response_msg.clone();
        let outcome = match query_verdict(env) {
            QueryVerdict::Approved => build::approved(job, d, msg),
            QueryVerdict::Declined => build::declined(job, d, code, msg),
            QueryVerdict::Cancelled => build::cancelled(job, d, code, msg),
            QueryVerdict::NotFound => build::rejected(job, RejectReason::NotFound, code, msg),
            QueryVerdict::Retry | QueryVerdict::Stop => {
                let mut job = job.clone();
                job.evidence
                    .push(alloc::format!("query answered: {}", summary(env)));
                build::unknown(&job, UnknownReason::NoResult)
            }
        };
        let txn = job.txn;
        self.out.event(Event::Report {
            txn,
            report: Report {
                kind: "query".into(),
                fields: build::report_fields(&env.biz),
                raw: None,
            },
        });
        self.finish(outcome);
    }

    fn on_admin(&mut self, env: &Envelope) {
        let Some(job) = self.job.as_ref() else { return };
        let code = env.response_code.clone();
        let msg = env.response_msg.clone();
        let (kind, data): (&str, &Map<String, Value>) = match job.kind {
            JobKind::BatchClose => ("batch_close", &env.biz),
            JobKind::Init => ("init", &env.biz),
            _ => ("device_info", env.device_data.as_ref().unwrap_or(&env.biz)),
        };
        let outcome = match admin_class(env) {
            AdminClass::Ok => {
                let report = Report {
                    kind: kind.into(),
                    fields: build::report_fields(data),
                    raw: Some(Value::Object(data.clone()).to_string()),
                };
                let txn = job.txn;
                let outcome = build::approved(job, &Details::default(), msg);
                self.out.event(Event::Report { txn, report });
                outcome
            }
            AdminClass::Busy => build::rejected(job, RejectReason::Busy, code, msg),
            AdminClass::NotFound => build::rejected(job, RejectReason::NotFound, code, msg),
            AdminClass::Declined => build::declined(job, &Details::default(), code, msg),
            AdminClass::Unknown => {
                let mut job = job.clone();
                job.evidence.push(summary(env));
                build::unknown(&job, UnknownReason::TerminalReportedUnknown)
            }
        };
        self.finish(outcome);
    }

    fn on_close(&mut self, now: Timestamp, env: &Envelope) {
        let Some(job) = self.job.as_mut() else { return };
        job.close = None;
        self.timers.clear(TimerKind::CloseDeadline);
        let class = close_class(env);
        match job.phase {
            Phase::CancelRequested => match class {
                CloseClass::Closed | CloseClass::CompletedAnyway | CloseClass::NotFound => {
                    job.phase = Phase::CancelConfirm;
                    self.timers
                        .set(TimerKind::CloseGrace, now + ms(self.config.close_grace_ms));
                }
                CloseClass::Refused => {
                    job.phase = Phase::AwaitingResult;
                    let txn = job.txn;
                    let reason = alloc::format!("close refused: {}", summary(env));
                    self.out
                        .event(Event::Notice(Notice::CancelRefused { txn, reason }));
                }
            },
            Phase::Recovering(Step::Closing) => {
                job.evidence
                    .push(alloc::format!("close answered: {}", summary(env)));
                self.recovery_next(now);
            }
            _ => {}
        }
    }

    fn on_query(&mut self, now: Timestamp, env: &Envelope) {
        let Some(job) = self.job.as_mut() else { return };
        job.query = None;
        self.timers.clear(TimerKind::ReplyDeadline);
        let verdict = query_verdict(env);
        job.evidence
            .push(alloc::format!("query answered: {}", summary(env)));
        let details = Details::from_envelope(env, job.currency);
        let code = env.response_code.clone();
        let msg = env.response_msg.clone();
        match job.phase {
            Phase::Recovering(_) => {
                let late_conflict = job.late_approved
                    && matches!(
                        verdict,
                        QueryVerdict::NotFound | QueryVerdict::Cancelled | QueryVerdict::Declined
                    );
                if late_conflict {
                    let outcome = build::unknown(job, UnknownReason::ConflictingEvidence);
                    self.finish(outcome);
                    return;
                }
                let outcome = match verdict {
                    QueryVerdict::Approved => build::approved(job, &details, msg),
                    QueryVerdict::Declined => build::declined(job, &details, code, msg),
                    QueryVerdict::Cancelled => build::cancelled(job, &details, code, msg),
                    QueryVerdict::NotFound => build::rejected(
                        job,
                        RejectReason::NotFound,
                        code,
                        Some("the order never reached the terminal".into()),
                    ),
                    QueryVerdict::Retry => {
                        self.backoff(now);
                        return;
                    }
                    QueryVerdict::Stop => {
                        let detail =
                            alloc::format!("recovery query cannot continue: {}", summary(env));
                        self.out
                            .event(Event::Notice(Notice::ProtocolError { detail }));
                        let reason = job.reason;
                        build::unknown(job, reason)
                    }
                };
                self.finish(outcome);
            }
            Phase::CancelConfirm => {
                let outcome = match verdict {
                    QueryVerdict::Approved => {
                        build::approved(job, &details, Some("completed anyway".into()))
                    }
                    QueryVerdict::Declined | QueryVerdict::Cancelled | QueryVerdict::NotFound => {
                        build::cancelled(job, &details, code, msg)
                    }
                    QueryVerdict::Retry | QueryVerdict::Stop => {
                        job.close_sent = true;
                        self.enter_recovery(
                            now,
                            UnknownReason::NoResult,
                            "close confirmed but the order's state is open",
                        );
                        return;
                    }
                };
                self.finish(outcome);
            }
            Phase::ConfirmRefusal => {
                let outcome = match verdict {
                    QueryVerdict::NotFound => {
                        let (reason, code, msg) =
                            job.refusal
                                .clone()
                                .unwrap_or((RejectReason::Other, code, msg));
                        build::rejected(job, reason, code, msg)
                    }
                    QueryVerdict::Approved => build::approved(job, &details, msg),
                    QueryVerdict::Declined => build::declined(job, &details, code, msg),
                    QueryVerdict::Cancelled => build::cancelled(job, &details, code, msg),
                    QueryVerdict::Retry => {
                        // Our order runs: the refusal answered a duplicate; wait for the result.
                        job.phase = Phase::AwaitingResult;
                        return;
                    }
                    QueryVerdict::Stop => {
                        self.enter_recovery(
                            now,
                            UnknownReason::NoResult,
                            "refusal could not be confirmed",
                        );
                        return;
                    }
                };
                self.finish(outcome);
            }
            Phase::TipConfirm => {
                // The query shows the order's tip now, but not whether this adjustment set it:
                // the order may have had that tip already, or an earlier adjustment set it
                // (found by fuzzing: a refused adjustment to the tip the order already had was
                // reported Approved). The machine never knows the tip before the adjustment, so
                // the outcome is Unknown, with what the query showed as evidence.
                let tip_now = details.tip_minor;
                let wanted = job.tip.map(|t| t.minor_units());
                let seen = match (verdict == QueryVerdict::Approved, tip_now) {
                    (true, Some(t)) if Some(t) == wanted => {
                        "the order's tip now equals the requested tip"
                    }
                    (true, Some(_)) => "the order's tip differs from the requested tip",
                    _ => "the query did not show the order's tip",
                };
                job.evidence
                    .push(alloc::format!("tip adjustment reply lost; {seen}"));
                let outcome = build::unknown(job, UnknownReason::RequestReplyLost);
                self.finish(outcome);
            }
            _ => {}
        }
    }
}

/// A one-line summary of a message for notices and evidence.
pub(super) fn summary(env: &Envelope) -> String {
    alloc::format!(
        "topic={} code={} status={} order={}",
        env.topic.as_deref().unwrap_or("-"),
        env.response_code.as_deref().unwrap_or("-"),
        env.biz_text("trans_status").as_deref().unwrap_or("-"),
        env.order_no().as_deref().unwrap_or("-"),
    )
}
