//! Timers (spec §10), link changes while a job runs, recovery by close and query (spec
//! §8.5), and the one `Finished` per job.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{
    Event, Notice, Outcome, RejectReason, Stage, Timestamp, Transmit, TransmitKind, UnknownReason,
};
use serde_json::{Map, Value};

use super::build;
use super::{CodepayMachine, Job, JobKind, Link, Phase, Recent, Side, Step, ms};
use crate::message::{Envelope, TOPIC_CLOSE, TOPIC_QUERY};
use crate::timer::TimerKind;

impl CodepayMachine {
    // ----- timers -------------------------------------------------------------------------

    pub(super) fn on_timer(&mut self, now: Timestamp, timer: TimerKind) {
        match timer {
            TimerKind::Reconnect => {
                if self.link == Link::Down {
                    self.connect();
                }
            }
            TimerKind::Ping => {
                if self.link == Link::Up {
                    if !self.ping_outstanding {
                        self.ping_outstanding = true;
                        self.out
                            .transmit(Transmit::plain(TransmitKind::Ping(Vec::new())));
                        self.timers.set(
                            TimerKind::PongTimeout,
                            now + ms(self.config.pong_timeout_ms),
                        );
                    }
                    self.timers
                        .set(TimerKind::Ping, now + ms(self.config.ping_interval_ms));
                }
            }
            TimerKind::PongTimeout => {
                if self.link == Link::Up && self.ping_outstanding {
                    self.out.transmit(Transmit::plain(TransmitKind::Close));
                    self.on_link_lost(now, "no pong and no message after a ping", true);
                }
            }
            TimerKind::ResultDeadline => {
                if self.job.as_ref().is_some_and(|j| {
                    matches!(
                        j.phase,
                        Phase::AwaitingResult
                            | Phase::CancelRequested
                            | Phase::CancelConfirm
                            | Phase::ConfirmRefusal
                    )
                }) {
                    self.enter_recovery(
                        now,
                        UnknownReason::NoResult,
                        "no result before the result deadline",
                    );
                }
            }
            TimerKind::ReconnectGrace => {
                if self.job.as_ref().is_some_and(|j| {
                    j.awaiting_redelivery
                        && matches!(j.phase, Phase::AwaitingResult | Phase::CancelRequested)
                }) {
                    self.enter_recovery(
                        now,
                        UnknownReason::RequestReplyLost,
                        "no result re-delivered after the reconnect",
                    );
                }
            }
            TimerKind::CloseDeadline => self.on_close_deadline(now),
            TimerKind::CloseGrace => {
                if self
                    .job
                    .as_ref()
                    .is_some_and(|j| j.phase == Phase::CancelConfirm)
                {
                    if self.link == Link::Up {
                        self.send_query(now);
                    } else {
                        self.enter_recovery(
                            now,
                            UnknownReason::RequestReplyLost,
                            "link lost while confirming the close",
                        );
                    }
                }
            }
            TimerKind::ReplyDeadline => self.on_reply_deadline(now),
            TimerKind::RecoveryBackoff => {
                if let Some(job) = self.job.as_mut() {
                    if job.phase == Phase::Recovering(Step::Backoff) {
                        job.phase = Phase::Recovering(Step::WaitLink);
                        self.recovery_next(now);
                    }
                }
            }
            TimerKind::RecoveryCap => {
                if let Some(job) = self.job.as_mut().filter(|j| j.recovering) {
                    job.evidence.push("recovery deadline passed".into());
                    let reason = job.reason;
                    let outcome = build::unknown(job, reason);
                    self.finish(outcome);
                }
            }
        }
    }

    pub(super) fn on_close_deadline(&mut self, now: Timestamp) {
        let Some(job) = self.job.as_mut() else { return };
        job.close = None;
        match job.phase {
            Phase::CancelRequested => {
                job.phase = Phase::AwaitingResult;
                let txn = job.txn;
                let reason = String::from("the close got no answer before the close deadline");
                self.out
                    .event(Event::Notice(Notice::CancelRefused { txn, reason }));
            }
            Phase::Recovering(Step::Closing) => {
                job.evidence.push("close unanswered".into());
                self.recovery_next(now);
            }
            _ => {}
        }
    }

    pub(super) fn on_reply_deadline(&mut self, now: Timestamp) {
        let Some(job) = self.job.as_mut() else { return };
        job.query = None;
        match (job.kind, job.phase) {
            (JobKind::TipAdjust, Phase::AwaitingReply) => {
                self.tip_confirm(now, "no tip adjustment reply before the deadline");
            }
            (_, Phase::AwaitingReply) | (_, Phase::TipConfirm) => {
                job.evidence.push("no reply before the deadline".into());
                let outcome = build::unknown(job, UnknownReason::NoResult);
                self.finish(outcome);
            }
            (_, Phase::Recovering(Step::Querying)) => {
                job.evidence.push("query unanswered".into());
                self.backoff(now);
            }
            (_, Phase::ConfirmRefusal) => {
                self.enter_recovery(
                    now,
                    UnknownReason::NoResult,
                    "the confirming query got no answer",
                );
            }
            (_, Phase::CancelConfirm) => {
                job.close_sent = true;
                self.enter_recovery(
                    now,
                    UnknownReason::NoResult,
                    "the confirming query got no answer",
                );
            }
            _ => {}
        }
    }

    // ----- link changes for the job --------------------------------------------------------

    pub(super) fn job_link_up(&mut self, now: Timestamp) {
        let Some(job) = self.job.as_mut() else { return };
        match job.phase {
            Phase::AwaitingResult | Phase::CancelRequested if job.awaiting_redelivery => {
                self.timers.set(
                    TimerKind::ReconnectGrace,
                    now + ms(self.config.reconnect_grace_ms),
                );
            }
            Phase::Recovering(Step::WaitLink) => self.recovery_next(now),
            Phase::TipConfirm if job.query.is_none() => self.send_query(now),
            _ => {}
        }
    }

    pub(super) fn job_link_lost(&mut self, now: Timestamp) {
        let Some(job) = self.job.as_mut() else { return };
        match job.phase {
            Phase::AwaitingResult | Phase::CancelRequested | Phase::ConfirmRefusal => {
                job.awaiting_redelivery = true;
                job.query = None;
                self.timers.clear(TimerKind::ReplyDeadline);
                job.phase = Phase::AwaitingResult;
                job.close = None;
                self.timers.clear(TimerKind::CloseDeadline);
            }
            Phase::CancelConfirm => {
                job.close_sent = true;
                self.enter_recovery(
                    now,
                    UnknownReason::RequestReplyLost,
                    "link lost while confirming the close",
                );
            }
            Phase::Recovering(Step::Closing) => {
                job.close = None;
                self.timers.clear(TimerKind::CloseDeadline);
                job.phase = Phase::Recovering(Step::WaitLink);
            }
            Phase::Recovering(Step::Querying) => {
                job.query = None;
                self.timers.clear(TimerKind::ReplyDeadline);
                job.evidence.push("link lost during the query".into());
                self.backoff(now);
            }
            Phase::AwaitingReply if job.kind == JobKind::TipAdjust => {
                self.timers.clear(TimerKind::ReplyDeadline);
                self.tip_confirm(now, "link lost before the tip adjustment reply");
            }
            Phase::AwaitingReply | Phase::TipConfirm => {
                self.timers.clear(TimerKind::ReplyDeadline);
                job.evidence.push("link lost before the reply".into());
                let outcome = build::unknown(job, UnknownReason::RequestReplyLost);
                self.finish(outcome);
            }
            Phase::Recovering(_) => {}
        }
    }

    // ----- recovery -----------------------------------------------------------------------

    pub(super) fn enter_recovery(&mut self, now: Timestamp, reason: UnknownReason, detail: &str) {
        let Some(job) = self.job.as_mut() else { return };
        if job.kind == JobKind::TipAdjust {
            self.tip_confirm(now, detail);
            return;
        }
        for t in [
            TimerKind::ResultDeadline,
            TimerKind::ReconnectGrace,
            TimerKind::CloseDeadline,
            TimerKind::CloseGrace,
            TimerKind::ReplyDeadline,
        ] {
            self.timers.clear(t);
        }
        job.close = None;
        job.query = None;
        job.evidence.push(detail.into());
        job.phase = Phase::Recovering(Step::WaitLink);
        job.backoff_ms = self.config.recovery_backoff_ms;
        if !job.recovering {
            job.recovering = true;
            job.reason = reason;
            let txn = job.txn;
            self.timers.set(
                TimerKind::RecoveryCap,
                now + ms(self.config.recovery_cap_ms),
            );
            self.progress(txn, Stage::Recovering, Some(detail));
        }
        self.recovery_next(now);
    }

    /// Sends the recovery close once, then queries; waits for the link when it is down.
    pub(super) fn recovery_next(&mut self, now: Timestamp) {
        let up = self.link == Link::Up;
        let Some(job) = self.job.as_mut() else { return };
        if !up {
            job.phase = Phase::Recovering(Step::WaitLink);
            return;
        }
        if job.close_sent {
            job.phase = Phase::Recovering(Step::Querying);
            self.send_query(now);
        } else {
            job.phase = Phase::Recovering(Step::Closing);
            self.send_close(now);
        }
    }

    pub(super) fn backoff(&mut self, now: Timestamp) {
        let Some(job) = self.job.as_mut() else { return };
        job.phase = Phase::Recovering(Step::Backoff);
        let wait = job.backoff_ms.max(1);
        job.backoff_ms = wait
            .saturating_mul(2)
            .min(self.config.recovery_backoff_max_ms);
        self.timers.set(TimerKind::RecoveryBackoff, now + ms(wait));
    }

    pub(super) fn tip_confirm(&mut self, now: Timestamp, detail: &str) {
        let up = self.link == Link::Up;
        let Some(job) = self.job.as_mut() else { return };
        job.evidence.push(detail.into());
        job.phase = Phase::TipConfirm;
        job.query = None;
        if !job.recovering {
            job.recovering = true;
            let txn = job.txn;
            self.progress(txn, Stage::Recovering, Some(detail));
        }
        if up {
            self.send_query(now);
        } else {
            self.timers.set(
                TimerKind::ReplyDeadline,
                now + ms(self.config.recovery_cap_ms),
            );
        }
    }

    pub(super) fn send_close(&mut self, now: Timestamp) {
        let deadline = ms(self.config.close_deadline_ms);
        let Some(request_id) =
            self.send_about_order(now, TOPIC_CLOSE, TimerKind::CloseDeadline, deadline)
        else {
            return;
        };
        if let Some(job) = self.job.as_mut() {
            job.close = Some(Side { request_id });
            job.close_sent = true;
        }
    }

    pub(super) fn send_query(&mut self, now: Timestamp) {
        let deadline = ms(self.config.query_deadline_ms);
        let Some(request_id) =
            self.send_about_order(now, TOPIC_QUERY, TimerKind::ReplyDeadline, deadline)
        else {
            return;
        };
        if let Some(job) = self.job.as_mut() {
            job.query = Some(Side { request_id });
        }
    }

    /// Sends `topic` about the job's order (`merchant_order_no` its only business field) and
    /// arms `timer` to `deadline` from now; returns the request's `request_id`, or `None` when
    /// there is no job.
    fn send_about_order(
        &mut self,
        now: Timestamp,
        topic: &str,
        timer: TimerKind,
        deadline: Duration,
    ) -> Option<String> {
        let request_id = self.ids.hex(32);
        let job = self.job.as_ref()?;
        let mut biz = Map::new();
        biz.insert(
            "merchant_order_no".into(),
            Value::from(job.number.clone().unwrap_or_default()),
        );
        let txn = job.txn;
        let text = self.encode(now, topic, &request_id, &biz, None);
        self.out
            .transmit(Transmit::for_txn(txn, TransmitKind::Text(text)));
        self.timers.set(timer, now + deadline);
        Some(request_id)
    }

    // ----- endings ------------------------------------------------------------------------

    pub(super) fn finish_rejected(&mut self, reason: RejectReason, env: &Envelope) {
        let Some(job) = self.job.as_ref() else { return };
        let outcome = build::rejected(
            job,
            reason,
            env.response_code.clone(),
            env.response_msg.clone(),
        );
        self.finish(outcome);
    }

    /// Ends the job: one `Finished`, its timers cleared, its requests remembered.
    pub(super) fn finish(&mut self, outcome: Outcome) {
        let Some(job) = self.job.take() else { return };
        for t in [
            TimerKind::ResultDeadline,
            TimerKind::ReconnectGrace,
            TimerKind::CloseDeadline,
            TimerKind::CloseGrace,
            TimerKind::ReplyDeadline,
            TimerKind::RecoveryBackoff,
            TimerKind::RecoveryCap,
        ] {
            self.timers.clear(t);
        }
        self.remember(&job);
        self.out.event(Event::Finished {
            txn: job.txn,
            outcome,
        });
    }

    pub(super) fn remember(&mut self, job: &Job) {
        let mut push = |request_id: &str, topic: &str| {
            if !request_id.is_empty() {
                self.recent.push_back(Recent {
                    request_id: request_id.into(),
                    topic: topic.into(),
                    number: job.number.clone(),
                    txn: build::txn_of(job),
                    at: self.last_now,
                });
            }
        };
        push(&job.request_id, &job.topic);
        if let Some(c) = &job.close {
            push(&c.request_id, TOPIC_CLOSE);
        }
        if let Some(q) = &job.query {
            push(&q.request_id, TOPIC_QUERY);
        }
        while self.recent.len() > self.config.late_max {
            self.recent.pop_front();
        }
    }
}
