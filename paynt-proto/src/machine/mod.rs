//! The POS-side Paynt machine: commands, inputs, timers (spec §1, §3–§10).

mod outcome;
mod respond;

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{
    Answer, Capabilities, CommandError, Event, Fingerprint, HttpRequest, IdGen, Input, Machine,
    Method, Notice, Operation, OperationKind, Outbox, PersistRecord, Progress, References,
    RequestId, Secret, Stage, Timers, Timestamp, TlsTrust, Transmit, TransmitKind, TxnId,
    WallClock,
};
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::config::{AuthScheme, Config, Scheme};
use crate::error::ConfigError;
use crate::ident::{self, percent_encode};
use crate::message::{Anomaly, StartRequest, TransType};
use crate::timer::TimerKind;

/// The vendor name written in persist records.
pub const VENDOR: &str = "paynt";

/// The credential name under which the pairing token is announced.
pub const TOKEN_CREDENTIAL: &str = "paynt_token";

/// The operations a Paynt terminal supports (spec §4.1): no referenced refund, tip adjust,
/// account verification, batch close or reports.
pub const CAPABILITIES: Capabilities = Capabilities::of(&[
    OperationKind::Sale,
    OperationKind::UnreferencedRefund,
    OperationKind::Void,
    OperationKind::PreAuth,
    OperationKind::Completion,
    OperationKind::Lookup,
    OperationKind::Pair,
]);

/// The POS side of the Paynt EPOS API for one terminal.
#[derive(Debug)]
pub struct PayntMachine {
    config: Config,
    ids: IdGen,
    wall: WallClock,
    token: Option<Secret<String>>,
    pin: Option<Fingerprint>,
    cancel_supported: bool,
    out: Outbox,
    timers: Timers<TimerKind>,
    active: Option<Active>,
    late_post: Option<(RequestId, TxnId)>,
    unresolved: BTreeMap<String, TxnId>,
    preauths: BTreeMap<String, u32>,
}

/// The vendor data of a persist record, in `PersistRecord::data`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeData {
    /// `transType` as sent.
    pub trans_type: String,
    /// The reference sent.
    pub reference: String,
    /// The terminal's UTI, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uti: Option<String>,
    /// The original UTI of a REVERSAL or COMPLETION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_uti: Option<String>,
    /// `amountTrans` sent, in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<u32>,
    /// Unix ms when the POST was handed over for sending.
    pub post_unix_ms: u64,
}

#[derive(Debug)]
struct Active {
    txn: TxnId,
    op: Operation,
    job: Job,
    request: Option<StartRequest>,
    reference: Option<String>,
    uti: Option<String>,
    started_unix_ms: u64,
    post_unix_ms: u64,
    inflight: Option<(RequestId, ReqKind)>,
    poll_due: bool,
    cancel: CancelState,
    cancel_retried: bool,
    transient: u32,
    last_error: Option<String>,
    grace_until: Option<Timestamp>,
    statuses_seen: usize,
    anomalies: Vec<Anomaly>,
    evidence: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    Pair,
    Money,
    Query,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReqKind {
    Pair,
    Post,
    Get,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CancelState {
    None,
    Queued,
    Sent,
    Accepted,
    Over,
}

impl PayntMachine {
    /// Builds a machine for one terminal.
    ///
    /// # Errors
    /// A [`ConfigError`] when the configuration cannot work.
    pub fn new(config: Config, ids: IdGen, wall: WallClock) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            token: config.token.clone(),
            pin: config.pinned_fingerprint,
            cancel_supported: config.cancel_supported,
            config,
            ids,
            wall,
            out: Outbox::new(),
            timers: Timers::new(),
            active: None,
            late_post: None,
            unresolved: BTreeMap::new(),
            preauths: BTreeMap::new(),
        })
    }

    /// Pairs with the terminal using the code it shows (spec §3); same as
    /// `start(now, Operation::Pair { code })`.
    ///
    /// # Errors
    /// As [`Machine::start`].
    pub fn pair(&mut self, now: Timestamp, code: &str) -> Result<TxnId, CommandError> {
        self.start(now, Operation::Pair { code: code.into() })
    }

    /// Looks up any UTI read-only (spec §5.2, §8.2); same as `start(now, Operation::Lookup)`.
    ///
    /// # Errors
    /// As [`Machine::start`].
    pub fn query(&mut self, now: Timestamp, uti: &str) -> Result<TxnId, CommandError> {
        self.start(
            now,
            Operation::Lookup {
                original: uti.into(),
            },
        )
    }

    /// Returns the certificate fingerprint the machine pins, if any.
    #[must_use]
    pub const fn pinned_fingerprint(&self) -> Option<Fingerprint> {
        self.pin
    }

    /// Returns true when the machine holds a token.
    #[must_use]
    pub const fn is_paired(&self) -> bool {
        self.token.is_some()
    }

    fn validate(&self, op: &Operation) -> Result<Prepared, CommandError> {
        CAPABILITIES.check(op)?;
        if matches!(op, Operation::Pair { .. }) {
            let Operation::Pair { code } = op else {
                return Err(CommandError::Unsupported { kind: op.kind() });
            };
            ident::check_pairing_code(code).map_err(|e| invalid("pairing code", &e))?;
            return Ok(Prepared::Pair(code.trim().into()));
        }
        if self.token.is_none() {
            return Err(CommandError::NotPaired);
        }
        if let Operation::Lookup { original } = op {
            ident::check_terminal_uti(original).map_err(|e| invalid("uti", &e))?;
            return Ok(Prepared::Query(original.clone()));
        }
        let (trans_type, original) = match op {
            Operation::Sale { .. } => (TransType::Sale, None),
            Operation::Refund { .. } => (TransType::Refund, None),
            Operation::Void { original, .. } => (TransType::Reversal, Some(original)),
            Operation::PreAuth { .. } => (TransType::Preauth, None),
            Operation::Completion { original, .. } => (TransType::Completion, Some(original)),
            _ => return Err(CommandError::Unsupported { kind: op.kind() }),
        };
        if let Some(uti) = original {
            ident::check_terminal_uti(uti).map_err(|e| invalid("original", &e))?;
        }
        let amount_trans = match op.amount() {
            Some(m) if trans_type.has_amount() => Some(self.minor(m, "amount")?),
            _ => None,
        };
        let (mut amount_gratuity, mut amount_cashback) = (None, None);
        if let Operation::Sale { tip, cashback, .. } = op {
            if (tip.is_some() || cashback.is_some()) && !self.config.amount_extras {
                return Err(CommandError::AmountNotAccepted {
                    reason: "tip and cash back need amount_extras (off by default)".into(),
                });
            }
            amount_gratuity = tip.as_ref().map(|m| self.minor(m, "tip")).transpose()?;
            amount_cashback = cashback
                .as_ref()
                .map(|m| self.minor(m, "cashback"))
                .transpose()?;
        }
        if let (TransType::Completion, Some(uti), Some(amount)) =
            (&trans_type, original, amount_trans)
        {
            if let Some(known) = self.preauths.get(uti.as_str()) {
                if amount > *known {
                    return Err(CommandError::AmountNotAccepted {
                        reason: alloc::format!(
                            "completion of {amount} exceeds the preauthorised {known}"
                        ),
                    });
                }
            }
        }
        if let Some(reference) = op.reference() {
            self.config.reference_policy.check(reference).map_err(|e| {
                CommandError::InvalidReference {
                    reference: reference.into(),
                    reason: e.to_string(),
                }
            })?;
        }
        Ok(Prepared::Money(StartRequest {
            trans_type,
            amount_trans,
            uti: original.cloned(),
            reference: op.reference().map(String::from),
            amount_gratuity,
            amount_cashback,
        }))
    }

    fn minor(&self, money: &pos_core::Money, what: &str) -> Result<u32, CommandError> {
        if money.currency() != self.config.currency {
            return Err(CommandError::AmountNotAccepted {
                reason: alloc::format!(
                    "CurrencyMismatch: {what} is in {}, the terminal uses {}",
                    money.currency().code(),
                    self.config.currency.code()
                ),
            });
        }
        let minor = money.minor_units();
        u32::try_from(minor)
            .ok()
            .filter(|m| *m >= 1 && i32::try_from(*m).is_ok())
            .ok_or_else(|| CommandError::AmountNotAccepted {
                reason: alloc::format!("{what} {minor} is outside 1..=2147483647 minor units"),
            })
    }

    fn begin(&mut self, now: Timestamp, op: Operation, job: Job) -> TxnId {
        let txn = self.ids.txn_id();
        let unix = self.wall.unix_millis(now);
        self.active = Some(Active {
            txn,
            op,
            job,
            request: None,
            reference: None,
            uti: None,
            started_unix_ms: unix,
            post_unix_ms: unix,
            inflight: None,
            poll_due: false,
            cancel: CancelState::None,
            cancel_retried: false,
            transient: 0,
            last_error: None,
            grace_until: None,
            statuses_seen: 0,
            anomalies: Vec::new(),
            evidence: Vec::new(),
        });
        txn
    }

    fn send_pair(&mut self, now: Timestamp, txn: TxnId, code: &str) {
        let url = alloc::format!(
            "{}{}?tid={}&{}={}",
            self.config.origin(),
            self.config.pair_path,
            percent_encode(&self.config.serial),
            percent_encode(&self.config.pairing_code_param),
            percent_encode(code)
        );
        let request = HttpRequest::new(Method::Get, url).header("Accept", "application/json");
        self.send_http(now, txn, ReqKind::Pair, request);
    }

    fn send_post(&mut self, now: Timestamp) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        let Some(req) = a.request.as_ref() else {
            return;
        };
        let txn = a.txn;
        let url = alloc::format!(
            "{}/transaction?tid={}&disablePrinting={}",
            self.config.origin(),
            percent_encode(&self.config.serial),
            self.config.disable_printing
        );
        let request = self
            .authorised(HttpRequest::new(Method::Post, url))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(codec::encode_start_request(req));
        self.send_http(now, txn, ReqKind::Post, request);
    }

    fn send_get(&mut self, now: Timestamp) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let Some(uti) = a.uti.clone() else { return };
        a.poll_due = false;
        let txn = a.txn;
        let url = alloc::format!(
            "{}/transaction?tid={}&uti={}",
            self.config.origin(),
            percent_encode(&self.config.serial),
            percent_encode(&uti)
        );
        let request = self
            .authorised(HttpRequest::new(Method::Get, url))
            .header("Accept", "application/json");
        self.send_http(now, txn, ReqKind::Get, request);
    }

    fn send_delete(&mut self, now: Timestamp) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        a.cancel = CancelState::Sent;
        let txn = a.txn;
        let url = alloc::format!(
            "{}/transaction?tid={}",
            self.config.origin(),
            percent_encode(&self.config.serial)
        );
        let request = self
            .authorised(HttpRequest::new(Method::Delete, url))
            .header("Accept", "application/json");
        self.send_http(now, txn, ReqKind::Delete, request);
    }

    /// Sends one request of `kind` for `txn`: notes it as the request in flight, arms the
    /// timer of its reply and queues the transmit — a money transmit for the start request,
    /// which the outbox holds until the events before it were drained (persist before send).
    fn send_http(&mut self, now: Timestamp, txn: TxnId, kind: ReqKind, request: HttpRequest) {
        let timers = &self.config.timers;
        let (timer, timeout) = match kind {
            ReqKind::Pair => (TimerKind::PairResponse, timers.pair_response),
            ReqKind::Post => (TimerKind::StartResponse, timers.start_response),
            ReqKind::Get | ReqKind::Delete => (TimerKind::RequestTimeout, timers.request_timeout),
        };
        let tls = match (kind, self.config.scheme) {
            // Re-pairing is how an operator recovers from a pin mismatch, so it trusts afresh.
            (ReqKind::Pair, Scheme::Https) => TlsTrust::TrustOnFirstUse,
            _ => self.tls(),
        };
        let id = self.ids.request_id();
        self.set_inflight(id, kind);
        self.timers.set(timer, now + timeout);
        let http = TransmitKind::Http {
            id,
            request,
            timeout,
            tls,
        };
        self.out.transmit(if kind == ReqKind::Post {
            Transmit::money(txn, http)
        } else {
            Transmit::for_txn(txn, http)
        });
    }

    fn set_inflight(&mut self, id: RequestId, kind: ReqKind) {
        if let Some(a) = self.active.as_mut() {
            a.inflight = Some((id, kind));
        }
    }

    fn authorised(&self, request: HttpRequest) -> HttpRequest {
        let token = self.token.as_ref().map_or("", |t| t.expose().as_str());
        let value = match self.config.auth_scheme {
            AuthScheme::Bare => String::from(token),
            AuthScheme::Bearer => alloc::format!("Bearer {token}"),
        };
        request.header("Authorization", value)
    }

    fn tls(&self) -> TlsTrust {
        match (self.config.scheme, self.pin) {
            (Scheme::Http, _) => TlsTrust::WebPki,
            (Scheme::Https, Some(fp)) => TlsTrust::Pinned(fp),
            (Scheme::Https, None) => TlsTrust::TrustOnFirstUse,
        }
    }

    /// Sends the next request when none is in flight: a queued cancel first, then a due poll.
    fn next_request(&mut self, now: Timestamp) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        if a.inflight.is_some() || a.uti.is_none() {
            return;
        }
        if a.cancel == CancelState::Queued {
            if self.cancel_supported {
                self.send_delete(now);
                return;
            }
            let txn = a.txn;
            self.cancel_over();
            self.cancel_notice(txn, "CancelUnsupported: the terminal does not offer cancel");
        }
        if self.active.as_ref().is_some_and(|a| a.poll_due) {
            self.send_get(now);
        }
    }

    fn schedule_poll(&mut self, now: Timestamp, delay: Duration) {
        if let Some(a) = self.active.as_mut() {
            a.poll_due = false;
        }
        self.timers.set(TimerKind::PollInterval, now + delay);
    }

    fn persist(&mut self) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        let Some(req) = a.request.as_ref() else {
            return;
        };
        let data = ResumeData {
            trans_type: req.trans_type.as_str().into(),
            reference: a.reference.clone().unwrap_or_default(),
            uti: a.uti.clone(),
            original_uti: req.uti.clone(),
            amount_minor: req.amount_trans,
            post_unix_ms: a.post_unix_ms,
        };
        let mut record = PersistRecord::new(
            a.txn,
            VENDOR,
            a.op.clone(),
            a.started_unix_ms,
            self.references(a),
        );
        record.data = serde_json::to_value(data).unwrap_or_default();
        self.out.event(Event::Persist(record));
    }

    fn references(&self, a: &Active) -> References {
        let mut refs = References::default();
        refs.primary.clone_from(&a.uti);
        if let Some(r) = &a.reference {
            refs = refs.with("reference", r.clone());
        }
        if let Some(o) = a.request.as_ref().and_then(|r| r.uti.clone()) {
            refs = refs.with("original_uti", o);
        }
        if a.job == Job::Query {
            if let Some(uti) = &a.uti {
                refs = refs.with("uti", uti.clone());
            }
        }
        refs.with("serial", self.config.serial.clone())
    }

    fn cancel_over(&mut self) {
        if let Some(a) = self.active.as_mut() {
            a.cancel = CancelState::Over;
        }
    }

    fn cancel_notice(&mut self, txn: TxnId, reason: &str) {
        self.out.event(Event::Notice(Notice::CancelRefused {
            txn,
            reason: reason.into(),
        }));
    }

    fn progress(&mut self, txn: TxnId, stage: Stage, message: &str) {
        self.out.event(Event::Progress {
            txn,
            progress: Progress::with_message(stage, message),
        });
    }

    fn on_timer(&mut self, now: Timestamp, kind: TimerKind) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let txn = a.txn;
        match kind {
            TimerKind::PairResponse | TimerKind::StartResponse | TimerKind::RequestTimeout => {
                if let Some((id, req)) = a.inflight {
                    if req == ReqKind::Post {
                        self.late_post = Some((id, txn));
                    }
                    self.on_failure(now, id, &pos_core::TransportError::Timeout);
                }
            }
            TimerKind::PollInterval => {
                a.poll_due = true;
                self.next_request(now);
            }
            TimerKind::OverallDeadline => self.deadline_passed(),
            TimerKind::CancelGrace => {
                self.progress(
                    txn,
                    Stage::Other,
                    "CancelStalled: cancel accepted, no result yet",
                );
            }
            TimerKind::NotFoundGrace => {}
        }
    }
}

/// Returns true when a request may be repeated automatically (spec §8): only GETs, and a
/// DELETE that certainly was not sent. `/pair` and the money POST never are.
#[must_use]
pub const fn is_retry_safe(
    method: Method,
    path_is_transaction: bool,
    certainly_not_sent: bool,
) -> bool {
    match method {
        Method::Get => path_is_transaction,
        Method::Delete => path_is_transaction && certainly_not_sent,
        _ => false,
    }
}

enum Prepared {
    Pair(String),
    Query(String),
    Money(StartRequest),
}

impl Machine for PayntMachine {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        if self.active.is_some() {
            return Err(CommandError::Busy);
        }
        let prepared = self.validate(&operation)?;
        match prepared {
            Prepared::Pair(code) => {
                let txn = self.begin(now, operation, Job::Pair);
                self.send_pair(now, txn, &code);
                Ok(txn)
            }
            Prepared::Query(uti) => {
                let txn = self.begin(now, operation, Job::Query);
                if let Some(a) = self.active.as_mut() {
                    a.uti = Some(uti);
                    a.poll_due = true;
                }
                self.timers.set(
                    TimerKind::OverallDeadline,
                    now + self.config.timers.overall_deadline,
                );
                self.next_request(now);
                Ok(txn)
            }
            Prepared::Money(mut request) => {
                let reference = request
                    .reference
                    .clone()
                    .unwrap_or_else(|| self.ids.hex(32));
                request.reference = Some(reference.clone());
                let txn = self.begin(now, operation, Job::Money);
                if let Some(a) = self.active.as_mut() {
                    a.reference = Some(reference);
                    a.request = Some(request);
                }
                self.persist();
                self.send_post(now);
                Ok(txn)
            }
        }
    }

    fn cancel(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        let Some(a) = self.active.as_mut().filter(|a| a.txn == txn) else {
            return Err(CommandError::UnknownTransaction { txn });
        };
        if a.job != Job::Money {
            return Err(CommandError::NothingToCancel);
        }
        match a.cancel {
            CancelState::None => {}
            CancelState::Over if !self.cancel_supported => {}
            _ => {
                return Err(CommandError::InvalidArgument {
                    what: "cancel".into(),
                    reason: "CancelPending: a cancel was already requested".into(),
                });
            }
        }
        if !self.cancel_supported {
            a.cancel = CancelState::Over;
            self.cancel_notice(txn, "CancelUnsupported: the terminal does not offer cancel");
            return Ok(());
        }
        a.cancel = CancelState::Queued;
        self.progress(txn, Stage::CancelRequested, "cancel requested");
        self.next_request(now);
        Ok(())
    }

    fn answer(&mut self, _now: Timestamp, txn: TxnId, _answer: Answer) -> Result<(), CommandError> {
        // Paynt has no POS-side signature or referral step (spec §13 #16).
        if self.active.as_ref().is_some_and(|a| a.txn == txn) {
            Err(CommandError::NoQuestionPending)
        } else {
            Err(CommandError::UnknownTransaction { txn })
        }
    }

    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        if record.vendor != VENDOR {
            return Err(CommandError::InvalidRecord {
                reason: alloc::format!("the record is {}'s, not paynt's", record.vendor),
            });
        }
        if self.active.is_some() {
            return Err(CommandError::Busy);
        }
        let data: ResumeData = serde_json::from_value(record.data.clone()).map_err(|e| {
            CommandError::InvalidRecord {
                reason: alloc::format!("vendor data: {e}"),
            }
        })?;
        if let Some(uti) = &data.uti {
            ident::check_terminal_uti(uti).map_err(|e| CommandError::InvalidRecord {
                reason: alloc::format!("uti: {e}"),
            })?;
        }
        let trans_type = TransType::parse(&data.trans_type);
        self.active = Some(Active {
            txn: record.txn,
            op: record.operation,
            job: Job::Money,
            request: Some(StartRequest {
                trans_type,
                amount_trans: data.amount_minor,
                uti: data.original_uti,
                reference: Some(data.reference.clone()),
                amount_gratuity: None,
                amount_cashback: None,
            }),
            reference: Some(data.reference),
            uti: data.uti.clone(),
            started_unix_ms: record.started_unix_ms,
            post_unix_ms: data.post_unix_ms,
            inflight: None,
            poll_due: true,
            cancel: CancelState::None,
            cancel_retried: false,
            transient: 0,
            last_error: None,
            grace_until: None,
            statuses_seen: 0,
            anomalies: Vec::new(),
            evidence: alloc::vec!["resumed after a restart".into()],
        });
        if data.uti.is_some() {
            // A fresh read-only cycle with its own deadline; the POST is never repeated.
            self.timers.set(
                TimerKind::OverallDeadline,
                now + self.config.timers.overall_deadline,
            );
            self.next_request(now);
        } else {
            // Paynt offers no lookup by reference (spec §8.2): whether the POST left is unknown.
            self.finish_unknown_no_uti(
                pos_core::UnknownReason::RequestReplyLost,
                "the POS restarted before the terminal's UTI was known",
            );
        }
        Ok(record.txn)
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        match input {
            Input::HttpResponse {
                id,
                response,
                peer_certificate,
            } => self.on_response(now, id, &response, peer_certificate),
            Input::HttpFailed { id, error } => self.on_failure(now, id, &error),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        for kind in self.timers.expired(now) {
            self.on_timer(now, kind);
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

fn invalid(what: &str, e: &crate::error::IdError) -> CommandError {
    CommandError::InvalidArgument {
        what: what.into(),
        reason: e.to_string(),
    }
}
