//! [`Pair`]: one POS machine, one simulator, a virtual clock and a faulty link between them.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::faults::{Dir, Fault, FaultDice, FaultRule, RandomFaults};
use super::link::{Delivery, Link, Scope};
use super::transcript::{self, Transcript};
use crate::event::{Answer, Event};
use crate::http::HttpRequest;
use crate::ids::{CallbackId, RequestId, TxnId};
use crate::io::{Fingerprint, Input, Transmit, TransmitKind, TransportError};
use crate::machine::{CommandError, Machine};
use crate::operation::Operation;
use crate::outcome::{Outcome, OutcomeClass, References, RejectReason, Rejection};
use crate::persist::PersistRecord;
use crate::sim::{SimInput, SimTransmit, Simulator, Truth};
use crate::time::Timestamp;

/// How the harness runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairConfig {
    /// One-way latency of every message.
    pub latency: Duration,
    /// `run_until_finished` panics ("hung") if the transaction has not finished after this
    /// much virtual time.
    pub max_wait: Duration,
    /// How long the simulator waits for the POS to answer a callback.
    pub callback_timeout: Duration,
    /// The time the pair starts at.
    pub start: Timestamp,
    /// The public-key pin every HTTP response reports as `peer_certificate`, as an HTTPS
    /// runtime would.
    pub peer_certificate: Option<Fingerprint>,
}

impl Default for PairConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(5),
            max_wait: Duration::from_secs(4 * 3600),
            callback_timeout: Duration::from_secs(10),
            start: Timestamp::ZERO,
            peer_certificate: None,
        }
    }
}

/// What the harness knows of one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnRecord {
    /// The operation, when the transaction was started through the pair.
    pub operation: Option<Operation>,
    /// The latest persist record.
    pub persisted: Option<PersistRecord>,
    /// How many money-moving transmits the POS sent for it, across crashes.
    pub money_requests: u32,
    /// The outcome, once finished.
    pub outcome: Option<Outcome>,
}

/// An HTTP request waiting for its response.
#[derive(Debug)]
struct PendingHttp {
    deadline: Timestamp,
    epoch: u64,
    /// The connection broke after the request reached the simulator.
    fail_with_io: bool,
}

type Factory<M> = Box<dyn FnMut(u64) -> M>;

/// The message of the outcome the harness records for a transaction lost with a crash
/// before it was journalled (see [`Pair::crash_and_resume`]).
pub const LOST_IN_CRASH: &str = "lost with the crashed POS machine before it was journalled";

/// How long [`Fault::Reorder`] holds back a WebSocket stream, where frames cannot overtake.
const REORDER_HOLD: Duration = Duration::from_secs(1);

/// A POS machine and a simulator driven together on a virtual clock.
///
/// Build it, start operations, run until they finish, then assert on outcomes, on
/// [`Pair::records`] and on the transcript. See the [module docs](super) for the invariants
/// checked after every step.
pub struct Pair<M: Machine, S: Simulator> {
    pos: M,
    sim: S,
    config: PairConfig,
    now: Timestamp,
    factory: Option<Factory<M>>,
    crash_seed: u64,
    pos_epoch: u64,
    link: Link,
    socket_open: bool,
    socket_epoch: u64,
    refuse_connections: bool,
    pending_http: BTreeMap<RequestId, PendingHttp>,
    pending_callbacks: BTreeMap<CallbackId, Timestamp>,
    rules: Vec<FaultRule>,
    dice: Option<FaultDice>,
    held: [Option<(Delivery, Scope)>; 2],
    /// The latest due time of a socket frame per direction: a stream keeps its order.
    socket_tail: [Timestamp; 2],
    crash_after_persist: bool,
    crash_requested: bool,
    journal: BTreeMap<TxnId, PersistRecord>,
    txns: BTreeMap<TxnId, TxnRecord>,
    events: Vec<(Timestamp, Event)>,
    transcript: Transcript,
    crashes: u32,
    stuck_steps: u32,
}

impl<M: Machine, S: Simulator> Pair<M, S> {
    /// Builds a pair. The machine's first transmits (e.g. a connect) are drained at once.
    pub fn new(pos: M, sim: S, config: PairConfig) -> Self {
        let mut pair = Self {
            pos,
            sim,
            config,
            now: config.start,
            factory: None,
            crash_seed: 1_000,
            pos_epoch: 0,
            link: Link::default(),
            socket_open: false,
            socket_epoch: 0,
            refuse_connections: false,
            pending_http: BTreeMap::new(),
            pending_callbacks: BTreeMap::new(),
            rules: Vec::new(),
            dice: None,
            held: [None, None],
            socket_tail: [Timestamp::ZERO; 2],
            crash_after_persist: false,
            crash_requested: false,
            journal: BTreeMap::new(),
            txns: BTreeMap::new(),
            events: Vec::new(),
            transcript: Transcript::new(config.start),
            crashes: 0,
            stuck_steps: 0,
        };
        pair.pump();
        pair
    }

    /// Sets how a fresh machine is built after a crash; it gets a new seed each time.
    #[must_use]
    pub fn with_factory(mut self, factory: impl FnMut(u64) -> M + 'static) -> Self {
        self.factory = Some(Box::new(factory));
        self
    }

    /// Redacts a secret from every later transcript line.
    #[must_use]
    pub fn redact(mut self, secret: &str) -> Self {
        self.transcript.redact(secret);
        self
    }

    /// Adds a scripted fault.
    pub fn add_fault(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    /// Turns on random faults on every message.
    pub fn set_random_faults(&mut self, rates: RandomFaults) {
        self.dice = Some(FaultDice::new(rates));
    }

    /// Makes every connection attempt and HTTP request fail with `TransportError::Connect`.
    pub fn refuse_connections(&mut self, refuse: bool) {
        self.refuse_connections = refuse;
    }

    /// Crashes the POS machine right after it emits its next persist record, before any
    /// transmit behind it is sent; a fresh machine resumes from the journal.
    pub fn crash_after_next_persist(&mut self) {
        self.crash_after_persist = true;
    }

    /// Returns the current virtual time.
    #[must_use]
    pub const fn now(&self) -> Timestamp {
        self.now
    }

    /// Returns the POS machine.
    pub const fn pos(&self) -> &M {
        &self.pos
    }

    /// Returns the simulator.
    pub const fn sim(&self) -> &S {
        &self.sim
    }

    /// Steers the simulator directly (operator keys, scripted results), then drains both
    /// sides.
    pub fn with_sim<R>(&mut self, f: impl FnOnce(&mut S, Timestamp) -> R) -> R {
        let r = f(&mut self.sim, self.now);
        self.pump();
        r
    }

    /// Calls a vendor-specific command on the POS machine, then drains both sides.
    pub fn with_pos<R>(&mut self, f: impl FnOnce(&mut M, Timestamp) -> R) -> R {
        let r = f(&mut self.pos, self.now);
        self.pump();
        r
    }

    /// Starts an operation on the POS machine.
    ///
    /// # Errors
    /// Whatever the machine refuses with; the harness then checks nothing was emitted.
    pub fn start(&mut self, operation: Operation) -> Result<TxnId, CommandError> {
        self.transcript
            .push(self.now, "command", &alloc::format!("start {operation:?}"));
        let result = self.pos.start(self.now, operation.clone());
        match &result {
            Ok(txn) => {
                if self.txns.contains_key(txn) {
                    self.violation(&alloc::format!("start returned a used id {txn}"));
                }
                let record = TxnRecord {
                    operation: Some(operation),
                    ..TxnRecord::default()
                };
                self.txns.insert(*txn, record);
            }
            Err(e) => {
                self.transcript
                    .push(self.now, "command", &alloc::format!("refused: {e}"));
                if self.pos.poll_event().is_some() {
                    self.violation("a refused command emitted an event");
                }
            }
        }
        self.pump();
        result
    }

    /// Asks the POS machine to cancel a transaction.
    ///
    /// # Errors
    /// Whatever the machine refuses with.
    pub fn cancel(&mut self, txn: TxnId) -> Result<(), CommandError> {
        self.transcript
            .push(self.now, "command", &alloc::format!("cancel {txn}"));
        let result = self.pos.cancel(self.now, txn);
        if let Err(e) = &result {
            self.transcript
                .push(self.now, "command", &alloc::format!("refused: {e}"));
        }
        self.pump();
        result
    }

    /// Answers a question the terminal asked.
    ///
    /// # Errors
    /// Whatever the machine refuses with.
    pub fn answer(&mut self, txn: TxnId, answer: Answer) -> Result<(), CommandError> {
        self.transcript.push(
            self.now,
            "command",
            &alloc::format!("answer {txn} {answer:?}"),
        );
        let result = self.pos.answer(self.now, txn, answer);
        if let Err(e) = &result {
            self.transcript
                .push(self.now, "command", &alloc::format!("refused: {e}"));
        }
        self.pump();
        result
    }

    /// Runs until `txn` finishes and returns its outcome.
    ///
    /// # Panics
    /// When the transaction does not finish within `PairConfig::max_wait` of virtual time
    /// (the machine hung), or on any invariant violation.
    pub fn run_until_finished(&mut self, txn: TxnId) -> Outcome {
        let limit = self.now + self.config.max_wait;
        loop {
            if let Some(outcome) = self.outcome(txn) {
                return outcome.clone();
            }
            if !self.step_until(limit) {
                self.violation(&alloc::format!(
                    "{txn} hung: no outcome and nothing left to do"
                ));
            }
            if self.now >= limit && self.outcome(txn).is_none() {
                self.violation(&alloc::format!(
                    "{txn} hung: no outcome after {:?}",
                    self.config.max_wait
                ));
            }
        }
    }

    /// Runs until `pred` holds or nothing is left to do within `max_wait`; returns whether
    /// it holds.
    pub fn run_until(&mut self, mut pred: impl FnMut(&Self) -> bool) -> bool {
        let limit = self.now + self.config.max_wait;
        while !pred(self) {
            if !self.step_until(limit) || self.now >= limit {
                return pred(self);
            }
        }
        true
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while self.step_until(until) {}
        self.now = self.now.max(until);
        self.pump();
    }

    /// Runs until both sides are idle (no timer, nothing in flight) or `max_wait` passes.
    pub fn run_until_idle(&mut self) {
        let limit = self.now + self.config.max_wait;
        while self.step_until(limit) {}
    }

    /// Closes the WebSocket connection now, as a network failure would: both sides see it.
    pub fn disconnect(&mut self) {
        if self.socket_open {
            self.transcript
                .push(self.now, "fault", "connection dropped");
            self.close_socket("dropped by the network");
            self.pump();
        }
    }

    /// Crashes the POS machine now: everything in flight to it is lost, its connection
    /// closes, and a fresh machine from the factory resumes every unfinished journal record.
    /// Unfinished transactions that were never journalled (they move no money) are lost with
    /// the machine; the harness records them as `Rejected` with the message
    /// [`LOST_IN_CRASH`].
    ///
    /// # Panics
    /// Without a factory ([`Pair::with_factory`]), or when the fresh machine refuses a record.
    pub fn crash_and_resume(&mut self) {
        self.crash();
        self.pump();
    }

    /// Returns the outcome of a transaction, once finished.
    #[must_use]
    pub fn outcome(&self, txn: TxnId) -> Option<&Outcome> {
        self.txns.get(&txn).and_then(|t| t.outcome.as_ref())
    }

    /// Returns what the harness recorded of each transaction.
    #[must_use]
    pub const fn records(&self) -> &BTreeMap<TxnId, TxnRecord> {
        &self.txns
    }

    /// Returns how many money-moving transmits the POS sent for `txn`, across crashes.
    #[must_use]
    pub fn money_requests(&self, txn: TxnId) -> u32 {
        self.txns.get(&txn).map_or(0, |t| t.money_requests)
    }

    /// Returns every event the POS emitted, with its time.
    #[must_use]
    pub fn events(&self) -> &[(Timestamp, Event)] {
        &self.events
    }

    /// Returns the journal: the latest persist record of every unfinished transaction.
    #[must_use]
    pub const fn journal(&self) -> &BTreeMap<TxnId, PersistRecord> {
        &self.journal
    }

    /// Returns how many times the POS machine crashed.
    #[must_use]
    pub const fn crashes(&self) -> u32 {
        self.crashes
    }

    /// Returns the transcript text, for `insta::assert_snapshot!`.
    #[must_use]
    pub fn transcript(&self) -> String {
        self.transcript.text()
    }

    /// Checks that every started transaction has finished.
    ///
    /// # Panics
    /// Naming the first unfinished one.
    pub fn assert_all_finished(&self) {
        if let Some((txn, _)) = self.txns.iter().find(|(_, t)| t.outcome.is_none()) {
            self.violation(&alloc::format!("{txn} never finished"));
        }
    }

    // ----- stepping -------------------------------------------------------------------

    /// Advances to the next due thing (not past `limit`), delivers it, and drains both sides.
    /// Returns false when nothing is due before `limit`.
    fn step_until(&mut self, limit: Timestamp) -> bool {
        let Some(next) = self.next_wake() else {
            return false;
        };
        if next > limit {
            return false;
        }
        let before = self.now;
        self.now = self.now.max(next);
        let mut did = false;
        while let Some(flight) = self.link.pop_due(self.now) {
            did = true;
            self.deliver(flight.delivery, flight.scope);
            self.pump();
        }
        did |= self.expire_pending();
        if self.sim.poll_timeout().is_some_and(|t| t <= self.now) {
            did = true;
            self.sim.handle_timeout(self.now);
        }
        if self.pos.poll_timeout().is_some_and(|t| t <= self.now) {
            did = true;
            self.pos.handle_timeout(self.now);
        }
        self.pump();
        if !did {
            return false;
        }
        if self.now == before {
            self.stuck_steps += 1;
            if self.stuck_steps > 100_000 {
                self.violation("time does not advance: a poll_timeout stays in the past");
            }
        } else {
            self.stuck_steps = 0;
        }
        true
    }

    fn next_wake(&self) -> Option<Timestamp> {
        [
            self.link.next_due(),
            self.sim.poll_timeout(),
            self.pos.poll_timeout(),
            self.pending_http.values().map(|p| p.deadline).min(),
            self.pending_callbacks.values().min().copied(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fails requests and callbacks whose deadline passed without an answer.
    fn expire_pending(&mut self) -> bool {
        let now = self.now;
        let http: Vec<RequestId> = self
            .pending_http
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in &http {
            self.pending_http.remove(id);
            self.deliver_to_pos(Input::HttpFailed {
                id: *id,
                error: TransportError::Timeout,
            });
            self.pump();
        }
        let callbacks: Vec<CallbackId> = self
            .pending_callbacks
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in &callbacks {
            self.pending_callbacks.remove(id);
            let input = SimInput::CallbackFailed {
                id: *id,
                error: TransportError::Timeout,
            };
            self.transcript
                .push(now, "→sim", &transcript::sim_input_text(&input));
            self.sim.handle_input(now, input);
            self.pump();
        }
        !http.is_empty() || !callbacks.is_empty()
    }

    /// Drains both sides until neither has anything to say.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.pos.poll_event() {
                progressed = true;
                self.on_pos_event(event);
                if self.crash_requested {
                    self.crash();
                }
            }
            while let Some(t) = self.pos.poll_transmit() {
                progressed = true;
                self.on_pos_transmit(t);
                if self.crash_requested {
                    self.crash();
                    break;
                }
            }
            while let Some(t) = self.sim.poll_transmit() {
                progressed = true;
                self.on_sim_transmit(t);
            }
            if self.crash_requested {
                self.crash();
                progressed = true;
            }
            if !progressed {
                return;
            }
        }
    }

    // ----- the POS side -----------------------------------------------------------------

    fn on_pos_event(&mut self, event: Event) {
        self.transcript
            .push(self.now, "event", &transcript::event_text(&event));
        match &event {
            Event::Persist(record) => {
                if record.vendor != self.pos.vendor() {
                    self.violation("a persist record names another vendor");
                }
                if self.outcome(record.txn).is_some() {
                    self.violation(&alloc::format!(
                        "{} persisted after it finished",
                        record.txn
                    ));
                }
                self.txns.entry(record.txn).or_default().persisted = Some(record.clone());
                self.journal.insert(record.txn, record.clone());
                if self.crash_after_persist {
                    self.crash_after_persist = false;
                    self.crash_requested = true;
                }
            }
            Event::Finished { txn, outcome } => self.on_finished(*txn, outcome),
            _ => {}
        }
        self.events.push((self.now, event));
    }

    fn on_finished(&mut self, txn: TxnId, outcome: &Outcome) {
        let Some(track) = self.txns.get(&txn) else {
            self.violation(&alloc::format!(
                "Finished for {txn}, which was never started"
            ));
            return;
        };
        if track.outcome.is_some() {
            self.violation(&alloc::format!("a second Finished for {txn}"));
        }
        let moves_money = track
            .operation
            .as_ref()
            .or(track.persisted.as_ref().map(|r| &r.operation))
            .is_some_and(Operation::moves_money);
        if moves_money {
            self.check_truth(txn, outcome);
        }
        if let Some(track) = self.txns.get_mut(&txn) {
            track.outcome = Some(outcome.clone());
        }
        self.journal.remove(&txn);
    }

    /// Compares a money outcome with what the simulator really did.
    fn check_truth(&self, txn: TxnId, outcome: &Outcome) {
        let refs = outcome.references();
        let persisted = self
            .txns
            .get(&txn)
            .and_then(|t| t.persisted.as_ref())
            .map(|r| &r.references);
        let truth = self
            .sim
            .truth(refs)
            .or_else(|| persisted.and_then(|p| self.sim.truth(p)));
        let bad = match outcome.class() {
            OutcomeClass::Approved => truth != Some(Truth::Approved),
            OutcomeClass::Declined | OutcomeClass::Cancelled | OutcomeClass::Rejected => {
                matches!(truth, Some(Truth::Approved | Truth::Pending))
            }
            OutcomeClass::Unknown => false,
        };
        if bad {
            self.violation(&alloc::format!(
                "{txn} reported {} but the simulator says {truth:?}",
                outcome.class()
            ));
        }
    }

    fn on_pos_transmit(&mut self, t: Transmit) {
        let text = transcript::transmit_text(&t.kind);
        self.transcript.push(self.now, "pos→sim", &text);
        if t.moves_money {
            self.count_money_request(&t);
        }
        match t.kind {
            TransmitKind::Connect { .. } => self.open_socket(),
            TransmitKind::Close => {
                if self.socket_open {
                    self.close_socket("closed by the POS");
                }
            }
            TransmitKind::Text(s) => self.send_on_socket(&text, SimInput::Text(s)),
            TransmitKind::Binary(b) => self.send_on_socket(&text, SimInput::Binary(b)),
            TransmitKind::Ping(p) => self.send_on_socket(&text, SimInput::Ping(p)),
            TransmitKind::Http {
                id,
                request,
                timeout,
                ..
            } => {
                self.send_http(id, request, timeout, &text);
            }
            TransmitKind::CallbackReply { id, response } => {
                if self.pending_callbacks.remove(&id).is_some() {
                    let input = SimInput::CallbackResponse { id, response };
                    self.route(Dir::ToSim, &text, Delivery::ToSim(input), Scope::Always);
                }
            }
        }
    }

    fn count_money_request(&mut self, t: &Transmit) {
        let Some(txn) = t.txn else {
            self.violation("a money-moving transmit names no transaction");
            return;
        };
        if !self.journal.contains_key(&txn) {
            self.violation(&alloc::format!(
                "{txn}: money request sent before its persist record"
            ));
        }
        let track = self.txns.entry(txn).or_default();
        track.money_requests += 1;
        if track.money_requests > 1 {
            self.violation(&alloc::format!("{txn}: a second money request"));
        }
    }

    fn open_socket(&mut self) {
        if self.refuse_connections {
            let error = TransportError::Connect("connection refused".into());
            let at = self.now + self.config.latency;
            self.link.schedule(
                at,
                Delivery::ToPos(Input::ConnectFailed { error }),
                Scope::Always,
            );
            return;
        }
        if self.socket_open {
            self.close_socket("replaced by a new connection");
        }
        self.socket_open = true;
        self.socket_epoch += 1;
        let scope = Scope::Socket {
            epoch: self.socket_epoch,
        };
        // The simulator learns of the new connection only after the old one's frames and its
        // close, which may still be in flight; otherwise it would see the old close last.
        let at = (self.now + self.config.latency).max(self.link.last_to_sim().unwrap_or(self.now));
        // A new connection is a new TCP stream: frames stuck on the old one hold nothing back.
        self.socket_tail = [at; 2];
        self.link
            .schedule(at, Delivery::ToSim(SimInput::Connected), scope);
        self.link
            .schedule(at, Delivery::ToPos(Input::Connected), scope);
    }

    fn close_socket(&mut self, reason: &str) {
        self.socket_open = false;
        let epoch = self.socket_epoch;
        // Frames already sent towards the simulator arrive before the close, as TCP would;
        // frames towards the POS are lost with the connection.
        self.link.discard(|f| {
            f.scope == Scope::Socket { epoch } && matches!(f.delivery, Delivery::ToPos(_))
        });
        let at = self.link.last_to_sim().unwrap_or(self.now).max(self.now) + self.config.latency;
        self.link
            .schedule(at, Delivery::ToSim(SimInput::Disconnected), Scope::Always);
        let reason = String::from(reason);
        let input = Input::Disconnected { reason };
        self.link.schedule(
            self.now + self.config.latency,
            Delivery::ToPos(input),
            Scope::Always,
        );
        self.socket_epoch += 1;
    }

    fn send_on_socket(&mut self, text: &str, input: SimInput) {
        if !self.socket_open {
            self.transcript
                .push(self.now, "fault", "not connected: message lost");
            return;
        }
        let scope = Scope::Socket {
            epoch: self.socket_epoch,
        };
        self.route(Dir::ToSim, text, Delivery::ToSim(input), scope);
    }

    fn send_http(&mut self, id: RequestId, request: HttpRequest, timeout: Duration, text: &str) {
        let epoch = self.pos_epoch;
        let deadline = self.now + timeout;
        self.pending_http.insert(
            id,
            PendingHttp {
                deadline,
                epoch,
                fail_with_io: false,
            },
        );
        if self.refuse_connections {
            let error = TransportError::Connect("connection refused".into());
            let failure = Delivery::ToPos(Input::HttpFailed { id, error });
            let at = self.now + self.config.latency;
            self.link
                .schedule(at, failure, Scope::PosInstance { epoch });
            return;
        }
        let delivery = Delivery::ToSim(SimInput::HttpRequest { id, request });
        self.route(Dir::ToSim, text, delivery, Scope::Always);
    }

    // ----- the simulator side ---------------------------------------------------------------

    fn on_sim_transmit(&mut self, t: SimTransmit) {
        let text = transcript::sim_transmit_text(&t);
        self.transcript.push(self.now, "sim→pos", &text);
        match t {
            SimTransmit::Text(s) => self.reply_on_socket(&text, Input::Text(s)),
            SimTransmit::Binary(b) => self.reply_on_socket(&text, Input::Binary(b)),
            SimTransmit::Pong(p) => self.reply_on_socket(&text, Input::Pong(p)),
            SimTransmit::Close => {
                if self.socket_open {
                    self.close_socket("closed by the terminal");
                }
            }
            SimTransmit::HttpResponse { id, response } => {
                let Some(pending) = self.pending_http.get(&id) else {
                    return;
                };
                let scope = Scope::PosInstance {
                    epoch: pending.epoch,
                };
                let input = if pending.fail_with_io {
                    Input::HttpFailed {
                        id,
                        error: TransportError::Io("connection reset".into()),
                    }
                } else {
                    Input::HttpResponse {
                        id,
                        response,
                        peer_certificate: self.config.peer_certificate,
                    }
                };
                self.route(Dir::ToPos, &text, Delivery::ToPos(input), scope);
            }
            SimTransmit::HttpDrop { id } => {
                if let Some(pending) = self.pending_http.remove(&id) {
                    let error = TransportError::Io("connection closed without a response".into());
                    self.link.schedule(
                        self.now + self.config.latency,
                        Delivery::ToPos(Input::HttpFailed { id, error }),
                        Scope::PosInstance {
                            epoch: pending.epoch,
                        },
                    );
                }
            }
            SimTransmit::Callback { id, request } => {
                self.pending_callbacks
                    .insert(id, self.now + self.config.callback_timeout);
                let request = HttpRequest {
                    url: request.path_and_query().into(),
                    ..request
                };
                let input = Input::Callback { id, request };
                let scope = Scope::PosInstance {
                    epoch: self.pos_epoch,
                };
                self.route(Dir::ToPos, &text, Delivery::ToPos(input), scope);
            }
        }
    }

    fn reply_on_socket(&mut self, text: &str, input: Input) {
        if !self.socket_open {
            self.transcript
                .push(self.now, "fault", "not connected: message lost");
            return;
        }
        let scope = Scope::Socket {
            epoch: self.socket_epoch,
        };
        self.route(Dir::ToPos, text, Delivery::ToPos(input), scope);
    }

    // ----- the link -----------------------------------------------------------------------

    /// Applies faults to a message and schedules what is left of it.
    fn route(&mut self, dir: Dir, text: &str, delivery: Delivery, scope: Scope) {
        let fault = self.pick_fault(dir, text);
        let at = self.now + self.config.latency;
        let slot = usize::from(dir == Dir::ToPos);
        if let Some(fault) = fault {
            self.transcript
                .push(self.now, "fault", &alloc::format!("{fault:?}"));
        }
        match fault {
            None => self.schedule_in_order(slot, at, delivery, scope),
            Some(Fault::Delay(d)) => self.schedule_in_order(slot, at + d, delivery, scope),
            // A lost HTTP request or response stays pending and expires at its deadline; a
            // lost callback expires at the simulator's callback timeout.
            Some(Fault::Drop) => {}
            Some(Fault::Duplicate) => {
                let copy = duplicate(&delivery);
                self.schedule_in_order(slot, at, delivery, scope);
                if let Some(copy) = copy {
                    self.schedule_in_order(slot, at, copy, scope);
                }
            }
            // TCP keeps a WebSocket's frames in order, so on a stream the frame (and every
            // frame behind it) is only held back a while.
            Some(Fault::Reorder) if matches!(scope, Scope::Socket { .. }) => {
                self.schedule_in_order(slot, at + REORDER_HOLD, delivery, scope);
            }
            Some(Fault::Reorder) => {
                if let Some((held, held_scope)) = self.held.get_mut(slot).and_then(Option::take) {
                    self.link.schedule(at, held, held_scope);
                }
                if let Some(hold) = self.held.get_mut(slot) {
                    *hold = Some((delivery, scope));
                }
            }
            Some(Fault::Disconnect) => self.break_connection(delivery, scope),
            Some(Fault::CrashPos) => self.crash_requested = true,
            Some(Fault::CrashPosAfterSend) => {
                self.schedule_in_order(slot, at, delivery, scope);
                self.crash_requested = true;
            }
        }
    }

    fn pick_fault(&mut self, dir: Dir, text: &str) -> Option<Fault> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.dir == dir && r.remaining > 0 && r.matcher.matches(text));
        if let Some(rule) = rule {
            rule.remaining -= 1;
            let fault = rule.fault;
            let valid = match fault {
                Fault::CrashPos => dir == Dir::ToPos,
                Fault::CrashPosAfterSend => dir == Dir::ToSim,
                _ => true,
            };
            if !valid {
                self.violation(&alloc::format!("{fault:?} does not apply to {dir:?}"));
            }
            return Some(fault);
        }
        self.dice.as_mut().and_then(FaultDice::roll)
    }

    /// Schedules a delivery, releasing a reordered one held in the same direction after it.
    fn schedule_in_order(&mut self, slot: usize, at: Timestamp, delivery: Delivery, scope: Scope) {
        let mut at = at;
        if let (Scope::Socket { .. }, Some(tail)) = (scope, self.socket_tail.get_mut(slot)) {
            at = at.max(*tail);
            *tail = at;
        }
        self.link.schedule(at, delivery, scope);
        if let Some((held, held_scope)) = self.held.get_mut(slot).and_then(Option::take) {
            self.link.schedule(at, held, held_scope);
        }
    }

    fn break_connection(&mut self, delivery: Delivery, scope: Scope) {
        match delivery {
            Delivery::ToSim(SimInput::HttpRequest { id, request }) => {
                if let Some(p) = self.pending_http.get_mut(&id) {
                    p.fail_with_io = true;
                }
                let at = self.now + self.config.latency;
                self.link.schedule(
                    at,
                    Delivery::ToSim(SimInput::HttpRequest { id, request }),
                    scope,
                );
            }
            Delivery::ToPos(Input::HttpResponse { id, .. }) => {
                let error = TransportError::Io("connection reset".into());
                let at = self.now + self.config.latency;
                self.link
                    .schedule(at, Delivery::ToPos(Input::HttpFailed { id, error }), scope);
            }
            Delivery::ToPos(Input::Callback { id, .. }) => {
                self.pending_callbacks.remove(&id);
                let error = TransportError::Io("connection reset".into());
                let at = self.now + self.config.latency;
                self.link.schedule(
                    at,
                    Delivery::ToSim(SimInput::CallbackFailed { id, error }),
                    scope,
                );
            }
            _ => {
                if self.socket_open {
                    self.close_socket("connection reset");
                }
            }
        }
    }

    fn deliver(&mut self, delivery: Delivery, scope: Scope) {
        let live = match scope {
            // Frames towards the simulator were on the wire before any close, and TCP
            // delivers them; frames towards the POS were discarded when the socket closed.
            Scope::Socket { .. } if matches!(delivery, Delivery::ToSim(_)) => true,
            Scope::Socket { epoch } => self.socket_open && epoch == self.socket_epoch,
            Scope::PosInstance { epoch } => epoch == self.pos_epoch,
            Scope::Always => true,
        };
        if !live {
            return;
        }
        match delivery {
            Delivery::ToSim(input) => {
                if let SimInput::Connected
                | SimInput::Disconnected
                | SimInput::CallbackFailed { .. } = &input
                {
                    self.transcript
                        .push(self.now, "→sim", &transcript::sim_input_text(&input));
                }
                self.sim.handle_input(self.now, input);
            }
            Delivery::ToPos(input) => {
                if let Input::HttpResponse { id, .. } | Input::HttpFailed { id, .. } = &input {
                    if self.pending_http.remove(id).is_none() {
                        return; // already answered or expired
                    }
                }
                self.deliver_to_pos(input);
            }
        }
    }

    fn deliver_to_pos(&mut self, input: Input) {
        if matches!(
            input,
            Input::Connected
                | Input::Disconnected { .. }
                | Input::ConnectFailed { .. }
                | Input::HttpFailed { .. }
        ) {
            self.transcript
                .push(self.now, "→pos", &transcript::input_text(&input));
        }
        self.pos.handle_input(self.now, input);
    }

    // ----- crashes ------------------------------------------------------------------------

    fn crash(&mut self) {
        self.crash_requested = false;
        let Some(factory) = self.factory.as_mut() else {
            self.violation("a crash needs Pair::with_factory");
            return;
        };
        self.crash_seed += 1;
        let fresh = factory(self.crash_seed);
        self.crashes += 1;
        self.transcript.push(
            self.now,
            "crash",
            "the POS machine crashed; a fresh one resumes",
        );
        self.pos = fresh;
        self.pos_epoch += 1;
        self.pending_http.clear();
        let callbacks: Vec<CallbackId> = self.pending_callbacks.keys().copied().collect();
        self.pending_callbacks.clear();
        for id in callbacks {
            let error = TransportError::Io("the POS went away".into());
            let at = self.now + self.config.latency;
            self.link.schedule(
                at,
                Delivery::ToSim(SimInput::CallbackFailed { id, error }),
                Scope::Always,
            );
        }
        self.link
            .discard(|f| matches!(f.delivery, Delivery::ToPos(_)));
        if self.socket_open {
            self.close_socket("the POS crashed");
            self.link
                .discard(|f| matches!(f.delivery, Delivery::ToPos(_)));
        }
        self.abandon_unjournalled();
        let records: Vec<PersistRecord> = self.journal.values().cloned().collect();
        for record in records {
            let txn = record.txn;
            self.transcript
                .push(self.now, "command", &alloc::format!("resume {txn}"));
            match self.pos.resume(self.now, record) {
                Ok(resumed) if resumed == txn => {}
                Ok(other) => self.violation(&alloc::format!("resume of {txn} returned {other}")),
                Err(e) => self.violation(&alloc::format!("resume of {txn} refused: {e}")),
            }
        }
    }

    /// Ends the transactions the crashed machine never journalled. Only operations that move
    /// no money go unjournalled (the invariants check that), so nothing was charged: the POS
    /// application, like this harness, simply never hears of them again. They are recorded
    /// as `Rejected(Other)` with a message saying so, so loops over started transactions end.
    fn abandon_unjournalled(&mut self) {
        let lost: Vec<TxnId> = self
            .txns
            .iter()
            .filter(|(txn, t)| t.outcome.is_none() && !self.journal.contains_key(*txn))
            .map(|(txn, _)| *txn)
            .collect();
        for txn in lost {
            let note = alloc::format!("{txn} was not journalled and is lost with the crash");
            self.transcript.push(self.now, "crash", &note);
            if let Some(track) = self.txns.get_mut(&txn) {
                track.outcome = Some(Outcome::Rejected(Rejection {
                    reason: RejectReason::Other,
                    code: None,
                    message: Some(LOST_IN_CRASH.into()),
                    references: References::default(),
                }));
            }
        }
    }

    #[track_caller]
    fn violation(&self, what: &str) {
        #[allow(clippy::panic)] // the harness's way to fail a test, with the evidence
        {
            panic!(
                "pair invariant violated: {what}\n--- transcript (last 40 lines) ---\n{}",
                self.transcript.tail(40)
            );
        }
    }
}

/// Copies a delivery for [`Fault::Duplicate`]; connection events are not duplicated.
fn duplicate(d: &Delivery) -> Option<Delivery> {
    match d {
        Delivery::ToSim(
            i @ (SimInput::Text(_)
            | SimInput::Binary(_)
            | SimInput::HttpRequest { .. }
            | SimInput::CallbackResponse { .. }),
        ) => Some(Delivery::ToSim(i.clone())),
        Delivery::ToPos(i @ (Input::Text(_) | Input::Binary(_) | Input::Callback { .. })) => {
            Some(Delivery::ToPos(i.clone()))
        }
        _ => None,
    }
}
