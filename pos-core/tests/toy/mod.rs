//! A toy request/response protocol over WebSocket text frames, to exercise the pair harness.
//!
//! POS → terminal: `PAY <ref> <minor>`, `QUERY <ref>`, `CANCEL <ref>`.
//! Terminal → POS: `PROGRESS <ref> CARD`, `RESULT <ref> APPROVED|DECLINED|CANCELLED|BUSY`,
//! `STATUS <ref> APPROVED|DECLINED|CANCELLED|PENDING|NOTFOUND`.
//! Amounts ending in 51 decline, 54 lose the result after approval, 57 answer busy.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod http;

use std::collections::BTreeMap;
use std::time::Duration;

use pos_core::*;

pub const URL: &str = "ws://toy.invalid:1/";
const RESULT_DEADLINE: Duration = Duration::from_secs(30);
const QUERY_EVERY: Duration = Duration::from_secs(5);
const RECOVERY_CAP: Duration = Duration::from_secs(120);
const RECONNECT: Duration = Duration::from_secs(1);

/// Deliberate bugs, to prove the harness catches them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    None,
    /// Re-sends the PAY frame when recovering.
    ReplayPay,
    /// Sends the PAY frame without a persist record.
    NoPersist,
    /// Reports Declined when recovery gives up.
    DeclineOnGiveUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Result,
    Query,
    Cap,
    Reconnect,
}

#[derive(Debug)]
struct Current {
    txn: TxnId,
    reference: String,
    amount: Money,
    recovering: bool,
}

pub struct ToyMachine {
    ids: IdGen,
    out: Outbox,
    timers: Timers<Timer>,
    connected: bool,
    current: Option<Current>,
    bug: Bug,
}

impl ToyMachine {
    pub fn new(seed: u64, bug: Bug) -> Self {
        let mut m = Self {
            ids: IdGen::from_seed(seed),
            out: Outbox::new(),
            timers: Timers::new(),
            connected: false,
            current: None,
            bug,
        };
        m.connect();
        m
    }

    fn connect(&mut self) {
        let url = URL.into();
        self.out.transmit(Transmit::plain(TransmitKind::Connect {
            url,
            timeout: Duration::from_secs(5),
        }));
    }

    fn send(&mut self, frame: String) {
        let txn = self.current.as_ref().map(|c| c.txn);
        let kind = TransmitKind::Text(frame);
        self.out.transmit(Transmit {
            txn,
            moves_money: false,
            kind,
        });
    }

    fn finish(&mut self, outcome: Outcome) {
        if let Some(c) = self.current.take() {
            self.timers.clear_all();
            self.out.event(Event::Finished {
                txn: c.txn,
                outcome,
            });
        }
    }

    fn refs(&self) -> References {
        self.current
            .as_ref()
            .map(|c| References::primary(c.reference.clone()))
            .unwrap_or_default()
    }

    fn recover(&mut self, now: Timestamp) {
        let Some(c) = self.current.as_mut() else {
            return;
        };
        if c.recovering {
            return;
        }
        c.recovering = true;
        let (txn, reference, minor) = (c.txn, c.reference.clone(), c.amount.minor_units());
        self.timers.clear(Timer::Result);
        self.timers.set(Timer::Cap, now + RECOVERY_CAP);
        self.out.event(Event::Progress {
            txn,
            progress: Progress::stage(Stage::Recovering),
        });
        if self.bug == Bug::ReplayPay {
            self.out.transmit(Transmit::money(
                txn,
                TransmitKind::Text(format!("PAY {reference} {minor}")),
            ));
        }
        self.query(now);
    }

    fn query(&mut self, now: Timestamp) {
        if let Some(reference) = self.current.as_ref().map(|c| c.reference.clone()) {
            if self.connected {
                self.send(format!("QUERY {reference}"));
            }
            self.timers.set(Timer::Query, now + QUERY_EVERY);
        }
    }

    fn on_frame(&mut self, now: Timestamp, frame: &str) {
        let mut parts = frame.split(' ');
        let (Some(kind), Some(reference), Some(word)) = (parts.next(), parts.next(), parts.next())
        else {
            self.out.event(Event::Notice(Notice::ProtocolError {
                detail: frame.into(),
            }));
            return;
        };
        let Some(c) = self.current.as_ref().filter(|c| c.reference == reference) else {
            self.out.event(Event::Notice(Notice::LateResult {
                txn: None,
                detail: frame.into(),
            }));
            return;
        };
        let (txn, amount) = (c.txn, c.amount);
        let refs = self.refs();
        let outcome = match (kind, word) {
            ("PROGRESS", _) => {
                self.out.event(Event::Progress {
                    txn,
                    progress: Progress::stage(Stage::CardRead),
                });
                return;
            }
            (_, "APPROVED") => Outcome::Approved(Approval {
                amount: Some(amount),
                references: refs,
                ..Approval::default()
            }),
            (_, "DECLINED") => Outcome::Declined(Decline {
                references: refs,
                ..Decline::default()
            }),
            (_, "CANCELLED") => Outcome::Cancelled(Cancellation {
                by: CancelledBy::Terminal,
                code: None,
                message: None,
                references: refs,
            }),
            ("RESULT", "BUSY") | ("STATUS", "NOTFOUND") => Outcome::Rejected(Rejection {
                reason: if word == "BUSY" {
                    RejectReason::Busy
                } else {
                    RejectReason::NotFound
                },
                code: None,
                message: None,
                references: refs,
            }),
            ("STATUS", "PENDING") => return,
            _ => {
                self.out.event(Event::Notice(Notice::ProtocolError {
                    detail: frame.into(),
                }));
                return;
            }
        };
        let _ = now;
        self.finish(outcome);
    }
}

impl Machine for ToyMachine {
    fn vendor(&self) -> &'static str {
        "toy"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::of(&[OperationKind::Sale])
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        self.capabilities().check(&operation)?;
        if self.current.is_some() {
            return Err(CommandError::Busy);
        }
        if !self.connected {
            return Err(CommandError::NotConnected);
        }
        let amount = *operation.amount().ok_or(CommandError::Unsupported {
            kind: operation.kind(),
        })?;
        let txn = self.ids.txn_id();
        let reference = self.ids.hex(8);
        let record = PersistRecord::new(
            txn,
            "toy",
            operation,
            0,
            References::primary(reference.clone()),
        );
        if self.bug != Bug::NoPersist {
            self.out.event(Event::Persist(record));
        }
        self.current = Some(Current {
            txn,
            reference: reference.clone(),
            amount,
            recovering: false,
        });
        let frame = format!("PAY {reference} {}", amount.minor_units());
        self.out
            .transmit(Transmit::money(txn, TransmitKind::Text(frame)));
        self.timers.set(Timer::Result, now + RESULT_DEADLINE);
        Ok(txn)
    }

    fn cancel(&mut self, _now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        let reference = match &self.current {
            Some(c) if c.txn == txn && !c.recovering => c.reference.clone(),
            Some(c) if c.txn == txn => return Err(CommandError::NothingToCancel),
            _ => return Err(CommandError::UnknownTransaction { txn }),
        };
        self.send(format!("CANCEL {reference}"));
        Ok(())
    }

    fn answer(
        &mut self,
        _now: Timestamp,
        _txn: TxnId,
        _answer: Answer,
    ) -> Result<(), CommandError> {
        Err(CommandError::NoQuestionPending)
    }

    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        if record.vendor != "toy" {
            return Err(CommandError::InvalidRecord {
                reason: "not a toy record".into(),
            });
        }
        if self.current.is_some() {
            return Err(CommandError::Busy);
        }
        let reference = record
            .references
            .primary
            .clone()
            .ok_or(CommandError::InvalidRecord {
                reason: "no reference".into(),
            })?;
        let amount = *record
            .operation
            .amount()
            .ok_or(CommandError::InvalidRecord {
                reason: "no amount".into(),
            })?;
        self.current = Some(Current {
            txn: record.txn,
            reference,
            amount,
            recovering: false,
        });
        self.recover(now);
        Ok(record.txn)
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        match input {
            Input::Connected => {
                self.connected = true;
                self.out.event(Event::Notice(Notice::LinkUp));
                if self.current.as_ref().is_some_and(|c| c.recovering) {
                    self.query(now);
                }
            }
            Input::Disconnected { reason } => {
                self.connected = false;
                self.out.event(Event::Notice(Notice::LinkLost { reason }));
                self.timers.set(Timer::Reconnect, now + RECONNECT);
                self.recover(now);
            }
            Input::ConnectFailed { .. } => self.timers.set(Timer::Reconnect, now + RECONNECT),
            Input::Text(frame) => self.on_frame(now, &frame),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        for timer in self.timers.expired(now) {
            match timer {
                Timer::Result => self.recover(now),
                Timer::Query => self.query(now),
                Timer::Reconnect => self.connect(),
                Timer::Cap => {
                    let refs = self.refs();
                    let amount = self.current.as_ref().map(|c| c.amount);
                    let outcome = if self.bug == Bug::DeclineOnGiveUp {
                        Outcome::Declined(Decline {
                            references: refs,
                            ..Decline::default()
                        })
                    } else {
                        Outcome::Unknown(Unresolved {
                            reason: UnknownReason::NoResult,
                            hint: Some("check the terminal".into()),
                            amount,
                            references: refs,
                            evidence: vec![],
                        })
                    };
                    self.finish(outcome);
                }
            }
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

struct Order {
    truth: Truth,
    due: Timestamp,
    lose: bool,
    verdict: Truth,
}

/// The toy terminal.
pub struct ToySim {
    out: Vec<SimTransmit>,
    store: BTreeMap<String, Order>,
    card_delay: Duration,
    /// When true, results are never sent (the terminal "hangs"); queries still answer.
    pub mute: bool,
}

impl ToySim {
    pub fn new() -> Self {
        Self {
            out: vec![],
            store: BTreeMap::new(),
            card_delay: Duration::from_secs(2),
            mute: false,
        }
    }
}

impl Simulator for ToySim {
    fn handle_input(&mut self, now: Timestamp, input: SimInput) {
        let SimInput::Text(frame) = input else { return };
        let parts: Vec<&str> = frame.split(' ').collect();
        match parts.as_slice() {
            ["PAY", reference, _] if self.store.contains_key(*reference) => {} // a duplicate
            ["PAY", reference, minor] => {
                let minor: i64 = minor.parse().unwrap_or(0);
                if self.store.values().any(|o| o.truth == Truth::Pending) || minor % 100 == 57 {
                    self.out
                        .push(SimTransmit::Text(format!("RESULT {reference} BUSY")));
                    return;
                }
                let verdict = if minor % 100 == 51 {
                    Truth::Declined
                } else {
                    Truth::Approved
                };
                let order = Order {
                    truth: Truth::Pending,
                    due: now + self.card_delay,
                    lose: minor % 100 == 54,
                    verdict,
                };
                self.store.insert((*reference).into(), order);
                self.out
                    .push(SimTransmit::Text(format!("PROGRESS {reference} CARD")));
            }
            ["QUERY", reference] => {
                let word = match self.store.get(*reference) {
                    None => "NOTFOUND",
                    Some(o) => truth_word(o.truth),
                };
                self.out
                    .push(SimTransmit::Text(format!("STATUS {reference} {word}")));
            }
            ["CANCEL", reference] => {
                if let Some(order) = self.store.get_mut(*reference) {
                    if order.truth == Truth::Pending {
                        order.truth = Truth::Cancelled;
                        self.out
                            .push(SimTransmit::Text(format!("RESULT {reference} CANCELLED")));
                    }
                }
            }
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        let mut results = vec![];
        for (reference, order) in &mut self.store {
            if order.truth == Truth::Pending && order.due <= now {
                order.truth = order.verdict;
                if !order.lose && !self.mute {
                    results.push(format!("RESULT {reference} {}", truth_word(order.verdict)));
                }
            }
        }
        self.out.extend(results.into_iter().map(SimTransmit::Text));
    }

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.remove(0))
        }
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.store
            .values()
            .filter(|o| o.truth == Truth::Pending)
            .map(|o| o.due)
            .min()
    }

    fn truth(&self, references: &References) -> Option<Truth> {
        self.store
            .get(references.primary.as_deref()?)
            .map(|o| o.truth)
    }
}

fn truth_word(t: Truth) -> &'static str {
    match t {
        Truth::Pending => "PENDING",
        Truth::Approved => "APPROVED",
        Truth::Declined => "DECLINED",
        Truth::Cancelled => "CANCELLED",
        _ => "NOTFOUND",
    }
}

pub fn gbp(minor: i64) -> Money {
    Money::from_minor(minor, Currency::GBP).unwrap()
}

pub fn sale(minor: i64) -> Operation {
    Operation::Sale {
        amount: gbp(minor),
        tip: None,
        cashback: None,
        reference: None,
    }
}
