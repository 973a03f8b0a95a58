//! The POS-side state machine: StartSession, callbacks, recovery, cancel and Ack.
//!
//! All transitions live in this folder: `mod.rs` takes commands, `flow.rs` handles replies,
//! recovery and the end of a session, `callback.rs` handles inbound callbacks.

mod callback;
mod config;
mod flow;
mod session;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{
    Answer, Capabilities, CommandError, Currency, Event, HttpRequest, IdGen, Input, Machine,
    Method, Operation, OperationKind, Outbox, PersistRecord, Progress, RequestId, Secret, Stage,
    Timers, Timestamp, Transmit, TransmitKind, TxnId, WallClock,
};

pub use config::{Config, Endpoints, Lang};
pub(crate) use session::{Exchange, Phase, Retained, Session};

use crate::codec::{WireFormat, encode_json, encode_query};
use crate::error::ConfigError;
use crate::message::{Fields, format_amt, valid_requestid};
use crate::timer::TimerKind;
use session::{ResumeData, VENDOR, base32_token};

/// Slack added to the runtime's HTTP timeout before the machine's own deadline fires.
const HTTP_MARGIN: Duration = Duration::from_secs(5);

/// The POS side of the InterPay Terminal Payment API for one terminal (`DEVICEID`).
///
/// One session at a time; finished sessions stay addressable for late callbacks until their
/// retention ends. See the crate docs for the run loop.
pub struct InterpayMachine {
    config: Config,
    currency: Currency,
    callback_base: String,
    callback_path: String,
    ids: IdGen,
    wall: WallClock,
    session: Option<Session>,
    retained: BTreeMap<String, Retained>,
    timers: Timers<TimerKind>,
    http_deadlines: BTreeMap<RequestId, Timestamp>,
    out: Outbox,
}

impl core::fmt::Debug for InterpayMachine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InterpayMachine")
            .field("termid", &self.config.termid)
            .field("session", &self.session.as_ref().map(|s| (s.txn, s.phase)))
            .finish_non_exhaustive()
    }
}

impl InterpayMachine {
    /// Builds a machine from its configuration, its id source and its wall clock.
    ///
    /// # Errors
    /// `ConfigError::Invalid` when a field breaks the spec's rules.
    pub fn new(config: Config, ids: IdGen, wall: WallClock) -> Result<Self, ConfigError> {
        let currency = config.validate()?;
        let callback_base = config.callback_base_normalised();
        let callback_path = HttpRequest::new(Method::Post, callback_base.clone())
            .path()
            .into();
        Ok(Self {
            config,
            currency,
            callback_base,
            callback_path,
            ids,
            wall,
            session: None,
            retained: BTreeMap::new(),
            timers: Timers::new(),
            http_deadlines: BTreeMap::new(),
            out: Outbox::new(),
        })
    }

    /// Returns the configuration.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Asks for a status check now (operator "check status", spec §7.1): runs the first
    /// GetResult of recovery without waiting for the callback deadline.
    ///
    /// # Errors
    /// `UnknownTransaction` for another transaction; `RecoveryPending` when recovery already
    /// runs or both GetResults were used; `NothingToCancel` when no SECUREID is known.
    pub fn recover(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        let session = self.session_for(txn)?;
        if session.phase != Phase::Awaiting || session.getresults_used > 0 {
            return Err(CommandError::RecoveryPending);
        }
        if session.secureid.is_none() {
            return Err(CommandError::NothingToCancel);
        }
        self.timers.clear(TimerKind::CallbackDeadline);
        self.begin_recovery(now);
        Ok(())
    }

    fn session_for(&self, txn: TxnId) -> Result<&Session, CommandError> {
        self.session
            .as_ref()
            .filter(|s| s.txn == txn)
            .ok_or(CommandError::UnknownTransaction { txn })
    }

    /// Validates an operation and returns (amount in minor units, refund, REQUESTID).
    fn check_operation(&mut self, op: &Operation) -> Result<(i64, bool, String), CommandError> {
        let (amount, refund, reference) = match op {
            Operation::Sale {
                amount,
                tip,
                cashback,
                reference,
            } => {
                for (what, extra) in [("tip", tip), ("cashback", cashback)] {
                    if extra.is_some() {
                        return Err(CommandError::InvalidArgument {
                            what: what.into(),
                            reason: "InterPay terminal sessions carry one amount".into(),
                        });
                    }
                }
                (amount, false, reference)
            }
            Operation::Refund {
                amount,
                original: None,
                reference,
            } => (amount, true, reference),
            other => {
                return Err(CommandError::Unsupported { kind: other.kind() });
            }
        };
        if amount.currency() != self.currency {
            return Err(CommandError::AmountNotAccepted {
                reason: alloc::format!(
                    "the account's currency is {}, not {}",
                    self.currency.code(),
                    amount.currency().code()
                ),
            });
        }
        let minor = amount.minor_units();
        if minor <= 0 || minor > self.config.max_amount_minor {
            return Err(CommandError::AmountNotAccepted {
                reason: alloc::format!(
                    "AMT must be above 0.00 and at most {}",
                    format_amt(self.config.max_amount_minor)
                ),
            });
        }
        let requestid = match reference {
            Some(r) if valid_requestid(r) => r.clone(),
            Some(r) => {
                return Err(CommandError::InvalidReference {
                    reference: r.clone(),
                    reason: "a REQUESTID is 5-20 digits".into(),
                });
            }
            None => {
                let first = 1 + self.ids.below(9);
                alloc::format!("{first}{}", self.ids.digits(9))
            }
        };
        Ok((minor, refund, requestid))
    }

    fn start_fields(&self, s: &Session) -> Fields {
        let token = s.token.expose();
        let mut f = Fields::new()
            .with("TERMID", self.config.termid.clone())
            .with("PASS", self.config.pass.expose().clone())
            .with("TYPE", "W")
            .with("ACTION", "StartSession")
            .with("AMT", format_amt(s.amount_minor))
            .with("REQUESTID", s.requestid.clone())
            .with("DEVICEID", self.config.deviceid.clone())
            .with("CUSTEMAIL", self.config.customer_email.clone())
            .with("INV", s.inv.clone())
            .with(
                "LANG",
                match self.config.lang {
                    Lang::E => "E",
                    Lang::F => "F",
                },
            )
            .with("JSON", "Y");
        if s.refund {
            f.push("REFUND", "Y");
        }
        if self.config.no_terminal_print {
            f.push("NOTERMPRINT", "Y");
        }
        if let Some(d) = &self.config.description {
            f.push("DESC", d.clone());
        }
        f.push(
            "SUCCESSURL",
            alloc::format!("{}{token}/ok", self.callback_base),
        );
        f.push(
            "FAILUREURL",
            alloc::format!("{}{token}/fail", self.callback_base),
        );
        f
    }

    /// Encodes a request body in the configured format.
    pub(crate) fn encode(&self, fields: &Fields) -> Vec<u8> {
        match self.config.wire_format {
            WireFormat::Json => encode_json(fields).into_bytes(),
            WireFormat::TagValue => encode_query(fields).into_bytes(),
        }
    }

    /// Queues an HTTP exchange for the session and arms its deadline.
    pub(crate) fn send(
        &mut self,
        now: Timestamp,
        exchange: Exchange,
        request: HttpRequest,
        moves_money: bool,
    ) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let id = self.ids.request_id();
        session.inflight.insert(id, exchange);
        let timeout = self.config.timeouts.get(TimerKind::HttpResponse);
        self.http_deadlines.insert(id, now + timeout + HTTP_MARGIN);
        let kind = TransmitKind::Http {
            id,
            request,
            timeout,
            tls: self.config.tls.clone(),
        };
        let transmit = if moves_money {
            Transmit::money(session.txn, kind)
        } else {
            Transmit::for_txn(session.txn, kind)
        };
        self.out.transmit(transmit);
    }

    /// Builds a POST of `body` to `url` in the configured format.
    pub(crate) fn post(&self, url: &str, body: Vec<u8>) -> HttpRequest {
        let ct = match self.config.wire_format {
            WireFormat::Json => "application/json",
            WireFormat::TagValue => "text/plain",
        };
        HttpRequest::new(Method::Post, url)
            .header("Content-Type", ct)
            .header("Accept", "application/json")
            .body(body)
    }

    /// Returns the gateway base at `index` (0 primary, 1 secondary).
    pub(crate) fn base(&self, index: usize) -> Option<&str> {
        match index {
            0 => Some(self.config.endpoints.primary.as_str()),
            1 => self.config.endpoints.secondary.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn progress(&mut self, txn: TxnId, stage: Stage, message: &str) {
        self.out.event(Event::Progress {
            txn,
            progress: Progress::with_message(stage, message),
        });
    }
}

impl Machine for InterpayMachine {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::of(&[OperationKind::Sale, OperationKind::UnreferencedRefund])
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        if self.session.is_some() {
            return Err(CommandError::Busy);
        }
        let (amount_minor, refund, requestid) = self.check_operation(&operation)?;
        let mut raw = [0u8; 16];
        self.ids.fill(&mut raw);
        let token = Secret::new(base32_token(&raw));
        let txn = self.ids.txn_id();
        let mut session = Session {
            txn,
            operation,
            started_unix_ms: self.wall.unix_millis(now),
            inv: requestid.clone(),
            requestid,
            token,
            amount_minor,
            currency: self.currency,
            refund,
            body: Vec::new(),
            phase: Phase::Starting,
            attempts: 1,
            possibly_delivered: false,
            last_reply: None,
            host_base: 0,
            host_field: None,
            secureid: None,
            cancelurl: None,
            cancel_wanted: false,
            cancel_sent: false,
            cancel_answered: false,
            getresults_used: 0,
            pending: None,
            evidence: Vec::new(),
            inflight: BTreeMap::new(),
        };
        session.body = self.encode(&self.start_fields(&session));
        let request = self.post(&self.config.endpoints.primary, session.body.clone());
        self.out.event(Event::Persist(session.record()));
        self.session = Some(session);
        self.send(now, Exchange::Start { base: 0 }, request, true);
        Ok(txn)
    }

    fn cancel(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        let session = self.session_for(txn)?;
        match session.phase {
            Phase::Starting if !session.cancel_wanted => {
                if let Some(s) = self.session.as_mut() {
                    s.cancel_wanted = true;
                }
                self.progress(
                    txn,
                    Stage::CancelRequested,
                    "cancel sent once the session starts",
                );
                Ok(())
            }
            Phase::Awaiting if session.cancelurl.is_some() => {
                self.timers.clear(TimerKind::CallbackDeadline);
                self.send_cancel(now);
                Ok(())
            }
            _ => Err(CommandError::NothingToCancel),
        }
    }

    fn answer(&mut self, _now: Timestamp, txn: TxnId, _answer: Answer) -> Result<(), CommandError> {
        self.session_for(txn)?;
        Err(CommandError::NoQuestionPending)
    }

    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        let invalid = |reason: &str| CommandError::InvalidRecord {
            reason: reason.into(),
        };
        if record.vendor != VENDOR {
            return Err(invalid("the record is another vendor's"));
        }
        if self.session.is_some() {
            return Err(CommandError::Busy);
        }
        let token = record
            .secrets
            .get("token")
            .cloned()
            .ok_or_else(|| invalid("no callback token"))?;
        let requestid = record
            .references
            .primary
            .clone()
            .filter(|r| valid_requestid(r))
            .ok_or_else(|| invalid("no REQUESTID"))?;
        let data: ResumeData = serde_json::from_value(record.data.clone())
            .map_err(|_| invalid("malformed vendor data"))?;
        let (amount, refund) = match &record.operation {
            Operation::Sale { amount, .. } => (amount, false),
            Operation::Refund { amount, .. } => (amount, true),
            _ => return Err(invalid("not a sale or refund")),
        };
        let phase = if data.secureid.is_some() {
            Phase::Awaiting
        } else {
            Phase::Indeterminate
        };
        let session = Session {
            txn: record.txn,
            operation: record.operation.clone(),
            started_unix_ms: record.started_unix_ms,
            inv: if data.inv.is_empty() {
                requestid.clone()
            } else {
                data.inv
            },
            requestid,
            token,
            amount_minor: amount.minor_units(),
            currency: amount.currency(),
            refund,
            body: Vec::new(),
            phase,
            attempts: self.config.max_start_attempts,
            possibly_delivered: true,
            last_reply: None,
            host_base: data.host_base.min(1),
            host_field: data.host,
            secureid: data.secureid,
            cancelurl: data.cancelurl,
            cancel_wanted: false,
            cancel_sent: data.cancel_sent,
            cancel_answered: data.cancel_answered,
            getresults_used: data.getresults_used.min(2),
            pending: None,
            evidence: Vec::new(),
            inflight: BTreeMap::new(),
        };
        let txn = session.txn;
        self.session = Some(session);
        self.progress(
            txn,
            Stage::Recovering,
            "resumed after a restart; awaiting the callback",
        );
        let deadline = now + self.config.timeouts.get(TimerKind::CallbackDeadline);
        self.timers.set(TimerKind::CallbackDeadline, deadline);
        Ok(txn)
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        match input {
            Input::HttpResponse { id, response, .. } => self.on_http(now, id, Ok(response)),
            Input::HttpFailed { id, error } => {
                self.on_http(now, id, Err(!error.certainly_not_sent()));
            }
            Input::Callback { id, request } => self.on_callback(now, id, &request),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        let due: Vec<RequestId> = self
            .http_deadlines
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.on_http(now, id, Err(true));
        }
        for kind in self.timers.expired(now) {
            self.on_timer(now, kind);
        }
        self.retained.retain(|_, r| r.expires > now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.poll_transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.out.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        [
            self.timers.earliest(),
            self.http_deadlines.values().min().copied(),
            self.retained.values().map(|r| r.expires).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn accepts_callback(&self, request: &HttpRequest) -> bool {
        self.token_of(request.path())
            .is_some_and(|t| self.knows_token(t))
    }
}
