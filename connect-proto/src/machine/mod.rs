//! The POS-side machine: one Connect host, at most one operation per terminal (spec §8–§10).

mod config;
mod finish;
mod handle;
mod op;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{
    Answer, Capabilities, CommandError, Event, HttpRequest, IdGen, Input, Machine, Method,
    Operation, OperationKind, Outbox, PersistRecord, Progress, Question, References, RequestId,
    Secret, Stage, Timestamp, TlsTrust, Transmit, TransmitKind, TxnId, WallClock,
};

pub use config::{ACCEPT_V2, Config, Host, valid_tid};
use op::{Cancel, Op, OpKind, Phase, Reason, Sig};

use crate::codec;
use crate::error::ConfigError;
use crate::message::{ReportRequest, SignatureRequest};
use crate::timer;

/// The vendor name written in persist records.
pub const VENDOR: &str = "connect";

/// The POS side of Connect Pay-at-Counter v2, as a sans-IO [`Machine`].
///
/// Build it with [`ConnectMachine::new`], then drive it with the run loop of the crate docs.
pub struct ConnectMachine {
    cfg: Config,
    base: String,
    authorization: Secret<String>,
    ids: IdGen,
    wall: WallClock,
    ops: BTreeMap<TxnId, Op>,
    inflight: BTreeMap<RequestId, Inflight>,
    out: Outbox,
    last_emit: Option<Timestamp>,
}

/// The requests an operation can want, in throttle priority order (§2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Req {
    /// E6.
    Signature,
    /// E5.
    Delete,
    /// E3 or E7.
    Post,
    /// E4, E8 or E1.
    Poll,
    /// E2.
    Terminal,
}

/// A request on the wire, waiting for its response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inflight {
    pub(crate) txn: TxnId,
    pub(crate) req: Req,
    pub(crate) deadline: Timestamp,
}

impl core::fmt::Debug for ConnectMachine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConnectMachine")
            .field("base", &self.base)
            .field("tid", &self.cfg.tid)
            .field("ops", &self.ops.len())
            .finish_non_exhaustive()
    }
}

impl ConnectMachine {
    /// Builds a machine for one Connect host and terminal.
    ///
    /// # Errors
    /// [`ConfigError`] when a setting breaks the spec's rules (host, key, partner ids, tid,
    /// a duration out of range).
    pub fn new(config: Config, ids: IdGen, wall: WallClock) -> Result<Self, ConfigError> {
        let checked = config.check()?;
        Ok(Self {
            cfg: checked.cfg,
            base: checked.base,
            authorization: checked.authorization,
            ids,
            wall,
            ops: BTreeMap::new(),
            inflight: BTreeMap::new(),
            out: Outbox::new(),
            last_emit: None,
        })
    }

    /// Returns the configuration in use.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.cfg
    }

    /// Returns the Connect request id of an operation in flight, once known.
    #[must_use]
    pub fn request_id(&self, txn: TxnId) -> Option<&str> {
        self.ops.get(&txn).and_then(|o| o.request_id.as_deref())
    }

    fn gap(&self) -> Duration {
        Duration::from_millis(self.cfg.min_request_gap_ms)
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.cfg.poll_interval_ms)
    }

    fn busy(&self, kind: &OpKind) -> bool {
        let list = matches!(kind, OpKind::List);
        self.ops
            .values()
            .any(|o| matches!(o.kind, OpKind::List) == list)
    }

    /// Lets expired deadlines fire and sends the next request whose slot has come.
    fn tick(&mut self, now: Timestamp) {
        let expired: Vec<RequestId> = self
            .inflight
            .iter()
            .filter(|(_, i)| i.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.on_failure(now, id, &pos_core::TransportError::Timeout);
        }
        let txns: Vec<TxnId> = self.ops.keys().copied().collect();
        for txn in txns {
            self.with_op(txn, |m, op| m.check_deadlines(now, op));
        }
        self.pump(now);
    }

    /// Emits at most one request: the most urgent due one, once the throttle slot has come.
    fn pump(&mut self, now: Timestamp) {
        if self.last_emit.is_some_and(|last| now < last + self.gap()) {
            return;
        }
        let best = self
            .ops
            .values()
            .flat_map(|op| {
                wants(op)
                    .into_iter()
                    .map(move |(req, due)| (req, due, op.txn))
            })
            .filter(|(_, due, _)| *due <= now)
            .min();
        if let Some((req, _, txn)) = best {
            self.emit(now, txn, req);
        }
    }

    fn emit(&mut self, now: Timestamp, txn: TxnId, req: Req) {
        let Some(op) = self.ops.get_mut(&txn) else {
            return;
        };
        let tid = encode_segment(&self.cfg.tid);
        let rid = encode_segment(op.request_id.as_deref().unwrap_or(""));
        let what = if op.is_report() {
            "reports"
        } else {
            "transactions"
        };
        let (method, path, body) = match req {
            Req::Post => {
                op.post_due = None;
                op.post_inflight = true;
                let deadline = if op.is_report() {
                    self.cfg.report_deadline_ms
                } else if op.is_cnp() {
                    self.cfg.cnp_deadline_ms
                } else {
                    self.cfg.transaction_deadline_ms
                };
                op.deadline = Some(now + Duration::from_millis(deadline));
                let body = match &op.kind {
                    OpKind::Transaction(r) => codec::encode(r),
                    OpKind::Report(t) => codec::encode(&ReportRequest {
                        report_type: t.clone(),
                    }),
                    OpKind::Lookup | OpKind::List => Vec::new(),
                };
                (Method::Post, format!("/pac/terminals/{tid}/{what}"), body)
            }
            Req::Poll => {
                op.poll_due = None;
                op.get_inflight = true;
                if matches!(op.kind, OpKind::List) {
                    (Method::Get, String::from("/pac/terminals"), Vec::new())
                } else {
                    let path = format!("/pac/terminals/{tid}/{what}/{rid}");
                    (Method::Get, path, Vec::new())
                }
            }
            Req::Terminal => {
                op.term_due = None;
                op.get_inflight = true;
                (Method::Get, format!("/pac/terminals/{tid}"), Vec::new())
            }
            Req::Delete => {
                op.delete_due = None;
                op.ctl_inflight = true;
                op.cancel_sent = true;
                let path = format!("/pac/terminals/{tid}/transactions/{rid}");
                (Method::Delete, path, Vec::new())
            }
            Req::Signature => {
                op.sig_due = None;
                op.ctl_inflight = true;
                op.sig_inflight = true;
                let accepted = match op.sig {
                    Sig::Open {
                        answered: Some(b), ..
                    } => b,
                    _ => false,
                };
                let path = format!("/pac/terminals/{tid}/transactions/{rid}/signature");
                (
                    Method::Put,
                    path,
                    codec::encode(&SignatureRequest { accepted }),
                )
            }
        };
        let moves_money = req == Req::Post && op.operation.moves_money();
        let request = HttpRequest::new(method, format!("{}{path}", self.base))
            .header("Authorization", self.authorization.expose().as_str())
            .header("Accept", self.cfg.accept.as_str())
            .header("Content-Type", "application/json")
            .header("Software-House-Id", self.cfg.software_house_id.as_str())
            .header("Installer-Id", self.cfg.installer_id.as_str())
            .body(body);
        let id = self.ids.request_id();
        let timeout = Duration::from_millis(self.cfg.response_timeout_ms);
        self.inflight.insert(
            id,
            Inflight {
                txn,
                req,
                deadline: now + timeout,
            },
        );
        let kind = TransmitKind::Http {
            id,
            request,
            timeout,
            tls: TlsTrust::WebPki,
        };
        self.out.transmit(if moves_money {
            Transmit::money(txn, kind)
        } else {
            Transmit::for_txn(txn, kind)
        });
        self.last_emit = Some(now);
    }

    /// Runs `f` on an operation taken out of the table; it goes back unless it finished.
    fn with_op(&mut self, txn: TxnId, f: impl FnOnce(&mut Self, &mut Op) -> Flow) {
        let Some(mut op) = self.ops.remove(&txn) else {
            return;
        };
        match f(self, &mut op) {
            Flow::Continue => {
                self.ops.insert(txn, op);
            }
            Flow::Done => {
                self.inflight.retain(|_, i| i.txn != txn);
            }
        }
    }

    fn progress(&mut self, txn: TxnId, stage: Stage, message: String) {
        self.out.event(Event::Progress {
            txn,
            progress: Progress::with_message(stage, message),
        });
    }

    fn persist(&mut self, op: &Op) {
        let mut references = References::default().with("tid", self.cfg.tid.as_str());
        references.primary.clone_from(&op.request_id);
        let mut record = PersistRecord::new(
            op.txn,
            VENDOR,
            op.operation.clone(),
            op.started_unix_ms,
            references,
        );
        let stage = if op.request_id.is_some() {
            "reference"
        } else {
            "intent"
        };
        let mut data = serde_json::Map::new();
        data.insert("stage".into(), stage.into());
        data.insert("tid".into(), self.cfg.tid.as_str().into());
        if let OpKind::Transaction(r) = &op.kind {
            if let Ok(v) = serde_json::to_value(r) {
                data.insert("request".into(), v);
            }
        }
        record.data = serde_json::Value::Object(data);
        self.out.event(Event::Persist(record));
    }
}

/// Whether an operation goes on after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep it.
    Continue,
    /// It finished; drop it.
    Done,
}

/// Returns the requests an operation wants and when, leaving out those blocked by one of the
/// same class in flight (§2: at most one GET and one PUT/DELETE; a starting POST alone).
fn wants(op: &Op) -> Vec<(Req, Timestamp)> {
    let mut v = Vec::new();
    if !op.ctl_inflight {
        if let Some(t) = op.sig_due {
            v.push((Req::Signature, t));
        }
        if let Some(t) = op.delete_due {
            v.push((Req::Delete, t));
        }
    }
    if !op.post_inflight {
        if let Some(t) = op.post_due {
            v.push((Req::Post, t));
        }
    }
    // While a signature answer waits for its slot or is on the wire, this operation's GETs
    // wait (§8.2). Otherwise a GET emitted one gap before or after the PUT can, with network
    // jitter, reach Connect within its 0.1 s limit of the PUT, and one of the two gets a 429;
    // with the 1 s poll and resend cadences in phase, every resend met a GET again, and after
    // the second resend the answer was dropped, so the PDQ reversed a signed sale.
    let sig_busy = op.sig_due.is_some() || op.sig_inflight;
    if !op.get_inflight && !op.post_inflight && !sig_busy {
        if let Some(t) = op.poll_due {
            v.push((Req::Poll, t));
        }
        if let Some(t) = op.term_due {
            v.push((Req::Terminal, t));
        }
    }
    v
}

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Machine for ConnectMachine {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::of(&[
            OperationKind::Sale,
            OperationKind::UnreferencedRefund,
            OperationKind::PreAuth,
            OperationKind::Completion,
            OperationKind::AccountVerification,
            OperationKind::BatchClose,
            OperationKind::Report,
            OperationKind::Lookup,
            OperationKind::ReprintLast,
            OperationKind::ListTerminals,
        ])
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        self.capabilities().check(&operation)?;
        let kind = op::plan(
            &operation,
            self.cfg.cashback_enabled,
            self.cfg.cardholder_not_present,
        )?;
        if self.busy(&kind) {
            return Err(CommandError::Busy);
        }
        let txn = self.ids.txn_id();
        let started = self.wall.unix_millis(now);
        let mut op = Op::new(txn, operation, kind, started, Phase::Starting);
        match &op.kind {
            OpKind::Transaction(_) | OpKind::Report(_) => {
                op.post_due = Some(now);
                self.persist(&op);
            }
            OpKind::Lookup => {
                if let Operation::Lookup { original } = &op.operation {
                    op.request_id = Some(original.clone());
                }
                op.phase = Phase::Polling;
                op.resumed = true;
                op.poll_due = Some(now);
                op.deadline = Some(now + Duration::from_millis(self.cfg.transaction_deadline_ms));
            }
            OpKind::List => {
                op.phase = Phase::Polling;
                op.poll_due = Some(now);
                op.deadline = Some(now + timer::LIST_DEADLINE);
            }
        }
        self.ops.insert(txn, op);
        self.tick(now);
        Ok(txn)
    }

    fn cancel(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        let Some(op) = self.ops.get_mut(&txn) else {
            return Err(CommandError::UnknownTransaction { txn });
        };
        if !matches!(op.kind, OpKind::Transaction(_)) {
            return Err(CommandError::NothingToCancel);
        }
        match (op.phase, op.cancel) {
            (Phase::Starting, Cancel::None | Cancel::Refused) => {
                op.cancel = Cancel::AwaitingStart;
            }
            (Phase::Starting, _) | (Phase::Polling, Cancel::Pending { .. }) => {}
            (Phase::Polling, _) => {
                op.cancel = Cancel::Pending { resends: 0 };
                op.delete_due = Some(now);
                self.progress(
                    txn,
                    Stage::CancelRequested,
                    "CancelRequested: cancel sent to the PDQ".into(),
                );
            }
            (Phase::Classifying | Phase::Recovering(_), _) => {
                return Err(CommandError::NothingToCancel);
            }
        }
        self.tick(now);
        Ok(())
    }

    fn answer(&mut self, now: Timestamp, txn: TxnId, answer: Answer) -> Result<(), CommandError> {
        let Some(op) = self.ops.get_mut(&txn) else {
            return Err(CommandError::UnknownTransaction { txn });
        };
        let Answer::Signature { accepted } = answer else {
            return Err(CommandError::NoQuestionPending);
        };
        match op.sig {
            Sig::Open {
                answered: None,
                window_end,
                ..
            } if now < window_end => {
                op.sig = Sig::Open {
                    window_end,
                    answered: Some(accepted),
                    resends: 0,
                };
                op.sig_due = Some(now);
            }
            Sig::Open {
                answered: Some(_), ..
            } => {
                return Err(CommandError::InvalidArgument {
                    what: "answer".into(),
                    reason: "AlreadyAnswered: the signature was already answered".into(),
                });
            }
            Sig::Open { .. } | Sig::WindowClosed => {
                return Err(CommandError::InvalidArgument {
                    what: "answer".into(),
                    reason: "AnswerWindowClosed: the 80 s signature window has passed".into(),
                });
            }
            Sig::None | Sig::Closed => return Err(CommandError::NoQuestionPending),
        }
        self.tick(now);
        Ok(())
    }

    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        if record.vendor != VENDOR {
            return Err(CommandError::InvalidRecord {
                reason: format!("written by {:?}, not {VENDOR:?}", record.vendor),
            });
        }
        let invalid = |reason: &str| CommandError::InvalidRecord {
            reason: reason.into(),
        };
        let mut kind = op::plan(&record.operation, true, false)
            .map_err(|e| invalid(&format!("operation: {e}")))?;
        if let (OpKind::Transaction(r), Some(v)) = (&mut kind, record.data.get("request")) {
            if let Ok(persisted) = serde_json::from_value(v.clone()) {
                *r = persisted;
            }
        }
        if matches!(kind, OpKind::List) {
            return Err(invalid("a terminal list is never persisted"));
        }
        if self.ops.contains_key(&record.txn) || self.busy(&kind) {
            return Err(CommandError::Busy);
        }
        let txn = record.txn;
        let mut op = Op::new(
            txn,
            record.operation,
            kind,
            record.started_unix_ms,
            Phase::Polling,
        );
        op.request_id = record.references.primary.filter(|s| !s.is_empty());
        if op.request_id.is_some() {
            op.resumed = true;
            op.replay = true;
            op.poll_due = Some(now);
            let deadline = if op.is_report() {
                self.cfg.report_deadline_ms
            } else if op.is_cnp() {
                self.cfg.cnp_deadline_ms
            } else {
                self.cfg.transaction_deadline_ms
            };
            op.deadline = Some(now + Duration::from_millis(deadline));
            self.ops.insert(txn, op);
        } else {
            self.ops.insert(txn, op);
            self.with_op(txn, |m, op| {
                m.enter_recovery(now, op, Reason::StartUnconfirmed);
                Flow::Continue
            });
        }
        self.tick(now);
        Ok(txn)
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        match input {
            Input::HttpResponse { id, response, .. } => self.on_response(now, id, &response),
            Input::HttpFailed { id, error } => self.on_failure(now, id, &error),
            _ => {}
        }
        self.tick(now);
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.tick(now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.poll_transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.out.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let slot = self.last_emit.map(|l| l + self.gap());
        let mut times: Vec<Timestamp> = Vec::new();
        for op in self.ops.values() {
            for (_, due) in wants(op) {
                times.push(slot.map_or(due, |s| due.max(s)));
            }
            times.extend(op.deadline);
            times.extend(op.recovery_end);
            if let Sig::Open { window_end, .. } = op.sig {
                times.push(window_end);
            }
        }
        times.extend(self.inflight.values().map(|i| i.deadline));
        times.into_iter().min()
    }
}

/// Builds the signature question for a prompt open until `window_end`.
pub(crate) fn signature_question(now: Timestamp, window_end: Timestamp) -> Question {
    Question::SignatureCheck {
        timeout: window_end - now,
    }
}
