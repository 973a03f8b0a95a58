//! The POS-side state machine (spec §8): one job at a time, the link with its keepalive and
//! reconnect, and recovery by close and query. All transitions live in this folder:
//! `mod.rs` holds commands and the link, `inbound.rs` responses, `recovery.rs` timers and
//! recovery, `build.rs` requests and outcomes.

mod build;
mod inbound;
mod recovery;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{
    Answer, Capabilities, CommandError, Currency, Event, IdGen, Input, Machine, Money, Notice,
    Operation, OperationKind, Outbox, PersistRecord, Progress, Stage, Timers, Timestamp, Transmit,
    TransmitKind, TxnId, UnknownReason, WallClock,
};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::ConfigError;
use crate::message::{TOPIC_BATCH_CLOSE, TOPIC_GET_INFO, TOPIC_QUERY, TransType, valid_order_no};
use crate::timer::TimerKind;

/// The vendor name written in persist records.
pub const VENDOR: &str = "codepay";

/// The POS side of one CodePay terminal, implementing [`pos_core::Machine`].
///
/// It asks for its WebSocket connection itself: a `Connect` transmit on construction and,
/// after link loss, again with a backoff of 1 s doubling to 30 s, so a runtime only performs
/// transmits and reports inputs.
#[derive(Debug)]
pub struct CodepayMachine {
    config: Config,
    ids: IdGen,
    wall: WallClock,
    out: Outbox,
    timers: Timers<TimerKind>,
    link: Link,
    reconnect_delay_ms: u64,
    ping_outstanding: bool,
    job: Option<Job>,
    recent: VecDeque<Recent>,
    last_now: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Connecting,
    Up,
    Down,
}

/// What a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobKind {
    Order(TransType),
    Lookup,
    TipAdjust,
    BatchClose,
    Init,
    GetInfo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    WaitLink,
    Closing,
    Querying,
    Backoff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The order was sent; its response is awaited.
    AwaitingResult,
    /// The POS asked to close the order; close and order responses are awaited.
    CancelRequested,
    /// The close succeeded; waiting `close_grace` for the order response, then one query.
    CancelConfirm,
    /// The result is unknown: close once, then query with backoff.
    Recovering(Step),
    /// A query, tip adjustment, batch close, init or getInfo was sent.
    AwaitingReply,
    /// A tip adjustment's reply was lost: one query gathers evidence; the outcome is Unknown.
    TipConfirm,
    /// The order got `101` or `113`, which a duplicated frame can also cause: one query
    /// confirms that the terminal holds no order under our number before it is rejected.
    ConfirmRefusal,
}

/// A request besides the job's main one (a close or a query), with its id.
#[derive(Clone, Debug)]
struct Side {
    request_id: String,
}

#[derive(Clone, Debug)]
struct Job {
    txn: TxnId,
    operation: Option<Operation>,
    kind: JobKind,
    topic: String,
    number: Option<String>,
    request_id: String,
    currency: Currency,
    amount: Option<Money>,
    tip: Option<Money>,
    /// The order amount as sent, to flag a response that reports another (spec §6.1).
    base: Option<Money>,
    started_unix_ms: u64,
    phase: Phase,
    close: Option<Side>,
    query: Option<Side>,
    cancel_requested: bool,
    close_sent: bool,
    backoff_ms: u64,
    evidence: Vec<String>,
    late_approved: bool,
    awaiting_redelivery: bool,
    recovering: bool,
    reason: UnknownReason,
    refusal: Option<(pos_core::RejectReason, Option<String>, Option<String>)>,
}

/// A request that completed, remembered to recognise late results (spec §8.7 rule 4).
#[derive(Clone, Debug)]
struct Recent {
    request_id: String,
    topic: String,
    number: Option<String>,
    txn: TxnId,
    at: Timestamp,
}

impl CodepayMachine {
    /// Builds a machine and asks for the connection to the terminal.
    ///
    /// # Errors
    /// [`ConfigError`] when the configuration breaks a rule.
    pub fn new(config: Config, ids: IdGen, wall: WallClock) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut m = Self {
            reconnect_delay_ms: config.reconnect_min_ms,
            config,
            ids,
            wall,
            out: Outbox::new(),
            timers: Timers::new(),
            link: Link::Down,
            ping_outstanding: false,
            job: None,
            recent: VecDeque::new(),
            last_now: Timestamp::ZERO,
        };
        m.connect();
        Ok(m)
    }

    /// Returns the configuration.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Returns true while the WebSocket link is up.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.link == Link::Up
    }

    /// Sends `ecrhub.init` (or the configured spelling) with `options` as `biz_data`
    /// (`confirm_on_terminal`, `order_queue_mode`, `is_auto_settlement`, spec §5.6). The
    /// payment methods arrive as a [`pos_core::Report`] of kind `init`.
    ///
    /// # Errors
    /// `Busy`, `RecoveryPending` or `NotConnected`.
    pub fn init(
        &mut self,
        now: Timestamp,
        options: &Map<String, Value>,
    ) -> Result<TxnId, CommandError> {
        let topic = self.config.init_topic.clone();
        self.start_admin(now, JobKind::Init, &topic, options, None)
    }

    /// Sends `ecrhub.getInfo`; the terminal identity arrives as a [`pos_core::Report`] of kind
    /// `device_info`.
    ///
    /// # Errors
    /// `Busy`, `RecoveryPending` or `NotConnected`.
    pub fn get_info(&mut self, now: Timestamp) -> Result<TxnId, CommandError> {
        let mut device = Map::new();
        device.insert(
            "device_name".into(),
            Value::String(self.config.device_name.clone()),
        );
        self.start_admin(
            now,
            JobKind::GetInfo,
            TOPIC_GET_INFO,
            &Map::new(),
            Some(&device),
        )
    }

    // ----- commands ---------------------------------------------------------------------

    fn check_free(&self) -> Result<(), CommandError> {
        match &self.job {
            Some(job) if job.recovering => Err(CommandError::RecoveryPending),
            Some(_) => Err(CommandError::Busy),
            None if self.link != Link::Up => Err(CommandError::NotConnected),
            None => Ok(()),
        }
    }

    fn start_admin(
        &mut self,
        now: Timestamp,
        kind: JobKind,
        topic: &str,
        biz: &Map<String, Value>,
        device: Option<&Map<String, Value>>,
    ) -> Result<TxnId, CommandError> {
        self.check_free()?;
        let txn = self.ids.txn_id();
        let request_id = self.ids.hex(32);
        let job = Job::new(
            txn,
            None,
            kind,
            topic,
            None,
            request_id,
            Currency::USD,
            self.wall.unix_millis(now),
        );
        let text = self.encode(now, topic, &job.request_id, biz, device);
        self.job = Some(Job {
            phase: Phase::AwaitingReply,
            ..job
        });
        self.out
            .transmit(Transmit::for_txn(txn, TransmitKind::Text(text)));
        let deadline = match kind {
            JobKind::BatchClose => self.config.batch_close_deadline_ms,
            JobKind::Lookup => self.config.query_deadline_ms,
            _ => self.config.admin_deadline_ms,
        };
        self.timers
            .set(TimerKind::ReplyDeadline, now + ms(deadline));
        Ok(txn)
    }

    fn start_money(
        &mut self,
        now: Timestamp,
        operation: &Operation,
    ) -> Result<TxnId, CommandError> {
        let plan = build::plan(&self.config, operation)?;
        let number = match operation.reference() {
            Some(r) if valid_order_no(r) => String::from(r),
            Some(r) => {
                return Err(CommandError::InvalidReference {
                    reference: r.into(),
                    reason: "merchant_order_no is 1-32 ASCII letters or digits".into(),
                });
            }
            None if plan.kind == JobKind::TipAdjust => plan.target.clone().unwrap_or_default(),
            None => self.order_number(now),
        };
        let txn = self.ids.txn_id();
        let request_id = self.ids.hex(32);
        let started = self.wall.unix_millis(now);
        let mut job = Job::new(
            txn,
            Some(operation.clone()),
            plan.kind,
            plan.topic,
            Some(number.clone()),
            request_id,
            plan.currency,
            started,
        );
        job.amount = plan.amount;
        job.tip = plan.tip;
        job.base = operation.amount().copied();
        let mut biz = plan.biz;
        if plan.kind != JobKind::TipAdjust {
            biz.insert("merchant_order_no".into(), Value::String(number));
        }
        let text = self.encode(now, plan.topic, &job.request_id, &biz, None);
        self.out.event(Event::Persist(self.record(&job)));
        self.out
            .transmit(Transmit::money(txn, TransmitKind::Text(text)));
        if plan.kind == JobKind::TipAdjust {
            job.phase = Phase::AwaitingReply;
            self.timers.set(
                TimerKind::ReplyDeadline,
                now + ms(self.config.admin_deadline_ms),
            );
        } else {
            job.phase = Phase::AwaitingResult;
            self.timers.set(
                TimerKind::ResultDeadline,
                now + self.config.result_deadline(),
            );
        }
        self.job = Some(job);
        Ok(txn)
    }

    /// Builds `<prefix><unix_ms 13 digits><suffix 6 [0-9A-Z]>` (spec §9).
    fn order_number(&mut self, now: Timestamp) -> String {
        let unix = self.wall.unix_millis(now) % 10_000_000_000_000;
        let suffix = self.ids.upper_alnum(6);
        alloc::format!("{}{unix:013}{suffix}", self.config.order_prefix)
    }

    fn encode(
        &self,
        now: Timestamp,
        topic: &str,
        request_id: &str,
        biz: &Map<String, Value>,
        device: Option<&Map<String, Value>>,
    ) -> String {
        crate::codec::encode_request(
            topic,
            &self.config.app_id,
            request_id,
            self.wall.unix_millis(now),
            biz,
            device,
        )
    }

    fn record(&self, job: &Job) -> PersistRecord {
        let operation = job.operation.clone().unwrap_or(Operation::BatchClose);
        let mut record = PersistRecord::new(
            job.txn,
            VENDOR,
            operation,
            job.started_unix_ms,
            build::references(job, None),
        );
        let kind = match job.kind {
            JobKind::Order(t) => t.code(),
            _ => "tip_adjustment",
        };
        record.data = serde_json::json!({
            "topic": job.topic,
            "kind": kind,
            "merchant_order_no": job.number,
            "request_id": job.request_id,
            "currency": job.currency.code(),
            "amount_minor": job.amount.map(|m| m.minor_units()),
        });
        record
    }

    // ----- the link ----------------------------------------------------------------------

    fn connect(&mut self) {
        self.link = Link::Connecting;
        self.out.transmit(Transmit::plain(TransmitKind::Connect {
            url: self.config.url(),
            timeout: ms(self.config.connect_timeout_ms),
        }));
    }

    fn on_connected(&mut self, now: Timestamp) {
        if self.link == Link::Up {
            return;
        }
        self.link = Link::Up;
        self.reconnect_delay_ms = self.config.reconnect_min_ms;
        self.ping_outstanding = false;
        self.timers.clear(TimerKind::Reconnect);
        self.timers
            .set(TimerKind::Ping, now + ms(self.config.ping_interval_ms));
        self.out.event(Event::Notice(Notice::LinkUp));
        self.job_link_up(now);
    }

    fn on_link_lost(&mut self, now: Timestamp, reason: &str, was_up: bool) {
        self.link = Link::Down;
        self.ping_outstanding = false;
        self.timers.clear(TimerKind::Ping);
        self.timers.clear(TimerKind::PongTimeout);
        self.timers
            .set(TimerKind::Reconnect, now + ms(self.reconnect_delay_ms));
        self.reconnect_delay_ms = self
            .reconnect_delay_ms
            .saturating_mul(2)
            .min(self.config.reconnect_max_ms);
        if was_up {
            self.out.event(Event::Notice(Notice::LinkLost {
                reason: reason.into(),
            }));
            self.job_link_lost(now);
        }
    }

    fn proof_of_life(&mut self) {
        self.ping_outstanding = false;
        self.timers.clear(TimerKind::PongTimeout);
    }

    fn progress(&mut self, txn: TxnId, stage: Stage, message: Option<&str>) {
        let progress = match message {
            Some(m) => Progress::with_message(stage, m),
            None => Progress::stage(stage),
        };
        self.out.event(Event::Progress { txn, progress });
    }
}

impl Job {
    #[allow(clippy::too_many_arguments)]
    fn new(
        txn: TxnId,
        operation: Option<Operation>,
        kind: JobKind,
        topic: &str,
        number: Option<String>,
        request_id: String,
        currency: Currency,
        started_unix_ms: u64,
    ) -> Self {
        Self {
            txn,
            operation,
            kind,
            topic: topic.into(),
            number,
            request_id,
            currency,
            amount: None,
            tip: None,
            base: None,
            started_unix_ms,
            phase: Phase::AwaitingResult,
            close: None,
            query: None,
            cancel_requested: false,
            close_sent: false,
            backoff_ms: 0,
            evidence: Vec::new(),
            late_approved: false,
            awaiting_redelivery: false,
            recovering: false,
            reason: UnknownReason::NoResult,
            refusal: None,
        }
    }
}

impl Machine for CodepayMachine {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn capabilities(&self) -> Capabilities {
        let caps = Capabilities::of(&[
            OperationKind::Sale,
            OperationKind::ReferencedRefund,
            OperationKind::UnreferencedRefund,
            OperationKind::Void,
            OperationKind::PreAuth,
            OperationKind::Completion,
            OperationKind::TipAdjust,
            OperationKind::BatchClose,
            OperationKind::Lookup,
        ]);
        if self.config.allow_unreferenced_refund {
            caps
        } else {
            caps.without(OperationKind::UnreferencedRefund)
        }
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        self.last_now = now;
        self.capabilities().check(&operation)?;
        self.check_free()?;
        match &operation {
            Operation::BatchClose => {
                let txn = self.start_admin(
                    now,
                    JobKind::BatchClose,
                    TOPIC_BATCH_CLOSE,
                    &Map::new(),
                    None,
                )?;
                if let Some(job) = self.job.as_mut() {
                    job.operation = Some(operation.clone());
                }
                Ok(txn)
            }
            Operation::Lookup { original } => {
                if !valid_order_no(original) {
                    return Err(CommandError::InvalidReference {
                        reference: original.clone(),
                        reason: "merchant_order_no is 1-32 ASCII letters or digits".into(),
                    });
                }
                let mut biz = Map::new();
                biz.insert("merchant_order_no".into(), Value::String(original.clone()));
                let txn = self.start_admin(now, JobKind::Lookup, TOPIC_QUERY, &biz, None)?;
                if let Some(job) = self.job.as_mut() {
                    job.operation = Some(operation.clone());
                    job.number = Some(original.clone());
                }
                Ok(txn)
            }
            _ => self.start_money(now, &operation),
        }
    }

    fn cancel(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        self.last_now = now;
        let link_up = self.link == Link::Up;
        let Some(job) = self.job.as_mut().filter(|j| j.txn == txn) else {
            return Err(CommandError::UnknownTransaction { txn });
        };
        if job.phase != Phase::AwaitingResult || !matches!(job.kind, JobKind::Order(_)) {
            return Err(CommandError::NothingToCancel);
        }
        if !link_up {
            return Err(CommandError::NotConnected);
        }
        job.phase = Phase::CancelRequested;
        job.cancel_requested = true;
        self.send_close(now);
        self.progress(txn, Stage::CancelRequested, None);
        Ok(())
    }

    fn answer(&mut self, _now: Timestamp, txn: TxnId, _answer: Answer) -> Result<(), CommandError> {
        if self.job.as_ref().is_some_and(|j| j.txn == txn) {
            Err(CommandError::NoQuestionPending)
        } else {
            Err(CommandError::UnknownTransaction { txn })
        }
    }

    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        self.last_now = now;
        if record.vendor != VENDOR {
            return Err(CommandError::InvalidRecord {
                reason: alloc::format!("written by {:?}, not {VENDOR:?}", record.vendor),
            });
        }
        if self.job.is_some() {
            return Err(CommandError::Busy);
        }
        let job = build::job_from_record(&record)?;
        self.job = Some(job);
        self.enter_recovery(
            now,
            UnknownReason::RequestReplyLost,
            "resumed after a restart",
        );
        Ok(record.txn)
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        self.last_now = now;
        match input {
            Input::Connected => self.on_connected(now),
            Input::Disconnected { reason } => {
                if self.link == Link::Up {
                    self.on_link_lost(now, &reason, true);
                }
            }
            Input::ConnectFailed { error } => {
                if self.link == Link::Connecting {
                    let reason = alloc::format!("{error}");
                    self.on_link_lost(now, &reason, false);
                }
            }
            Input::Text(text) => {
                if self.link == Link::Up {
                    self.on_message(now, text.as_bytes());
                }
            }
            Input::Binary(bytes) => {
                if self.link == Link::Up {
                    self.on_message(now, &bytes);
                }
            }
            Input::Pong(_) => self.proof_of_life(),
            other => {
                let detail = alloc::format!("unexpected input for a WebSocket machine: {other:?}");
                self.out
                    .event(Event::Notice(Notice::ProtocolError { detail }));
            }
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.last_now = now;
        for timer in self.timers.expired(now) {
            self.on_timer(now, timer);
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.poll_transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.out.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.earliest()
    }
}

const fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}
