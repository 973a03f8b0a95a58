//! The CodePay terminal simulator (spec §13): the WebSocket server side as a sans-IO machine,
//! with the validation table, the card flow on simulated time, a transaction store that
//! survives disconnects, re-delivery on reconnect, the shared scenario table and the
//! CodePay cents 60–62.

mod config;
mod flow;
mod reply;
mod store;
mod validate;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{
    IdGen, References, Scenario, SimInput, SimTransmit, Simulator, Timestamp, Truth, WallClock,
};

pub use config::{CloseOrderResponse, SimConfig, SimFaults};
pub use store::Record;

/// What the simulated terminal does with an order, chosen by a scripted outcome or the cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Behaviour {
    /// Approve after the flow.
    Approve,
    /// Decline with `106`.
    Decline,
    /// The cardholder cancels on the terminal: `110`.
    CancelOnTerminal,
    /// The card comes only after 60 s, then approve.
    SlowCustomer,
    /// Approve and never answer.
    LoseApproval,
    /// Decline and never answer.
    LoseDecline,
    /// Approve with the signature on screen.
    Signature,
    /// Answer `101` at once: another transaction runs.
    Busy,
    /// Cents 60: approve but answer `108` (result unknown).
    ApproveAnswerUnknown,
    /// Cents 61: approve and close the connection instead of answering.
    ApproveThenDisconnect,
    /// Cents 62: `111` read-card timeout.
    ReadCardTimeout,
}

impl Behaviour {
    /// Chooses the behaviour for an amount's minor units (spec §13.4 step 4).
    #[must_use]
    pub fn from_minor_units(minor: i64) -> Self {
        match Scenario::from_minor_units(minor) {
            Scenario::Decline => Self::Decline,
            Scenario::CancelledOnTerminal => Self::CancelOnTerminal,
            Scenario::SlowCustomer => Self::SlowCustomer,
            Scenario::LostAfterApproval => Self::LoseApproval,
            Scenario::LostAfterDecline => Self::LoseDecline,
            Scenario::SignatureCheck => Self::Signature,
            Scenario::Busy => Self::Busy,
            Scenario::Vendor(60) => Self::ApproveAnswerUnknown,
            Scenario::Vendor(61) => Self::ApproveThenDisconnect,
            Scenario::Vendor(62) => Self::ReadCardTimeout,
            _ => Self::Approve,
        }
    }
}

/// Something the simulator reports besides its transmits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimEvent {
    /// A message was not a UTF-8 JSON object; it got no response (spec §13.3 row 1).
    ProtocolError {
        /// What was wrong.
        detail: String,
    },
    /// An order was accepted into the store.
    OrderAccepted {
        /// Its `merchant_order_no`.
        merchant_order_no: String,
    },
}

/// The simulated terminal. Implements [`pos_core::Simulator`].
#[derive(Debug)]
pub struct CodepaySim {
    config: SimConfig,
    ids: IdGen,
    dice: IdGen,
    wall: WallClock,
    connected: bool,
    store: BTreeMap<String, Record>,
    tips: BTreeMap<String, Truth>,
    running: Option<flow::Running>,
    pending: Vec<(Timestamp, flow::Delayed)>,
    out: VecDeque<SimTransmit>,
    held: Vec<String>,
    events: VecDeque<SimEvent>,
    scripted: VecDeque<Behaviour>,
    init_confirm: Option<bool>,
    batch_no: u32,
    heartbeat_at: Option<Timestamp>,
}

impl CodepaySim {
    /// Builds a simulator; every generated value comes from `ids`, dates from `wall`.
    #[must_use]
    pub fn new(config: SimConfig, ids: IdGen, wall: WallClock) -> Self {
        let dice = IdGen::from_seed(config.faults.seed);
        Self {
            config,
            ids,
            dice,
            wall,
            connected: false,
            store: BTreeMap::new(),
            tips: BTreeMap::new(),
            running: None,
            pending: Vec::new(),
            out: VecDeque::new(),
            held: Vec::new(),
            events: VecDeque::new(),
            scripted: VecDeque::new(),
            init_confirm: None,
            batch_no: 1,
            heartbeat_at: None,
        }
    }

    /// Returns the configuration.
    #[must_use]
    pub const fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Changes the fault switches from now on.
    pub fn set_faults(&mut self, faults: SimFaults) {
        self.dice = IdGen::from_seed(faults.seed);
        self.config.faults = faults;
    }

    /// Queues a scripted outcome for the next order, ahead of the cents table.
    pub fn script(&mut self, behaviour: Behaviour) {
        self.scripted.push_back(behaviour);
    }

    /// The cashier presses cancel: the running order ends with `110` (spec §13.4 step 7).
    /// Returns false when no order runs.
    pub fn operator_cancel(&mut self, now: Timestamp) -> bool {
        self.cancel_running(now, "110", "Operator cancellation")
    }

    /// Returns the record of an order.
    #[must_use]
    pub fn record(&self, merchant_order_no: &str) -> Option<&Record> {
        self.store.get(merchant_order_no)
    }

    /// Returns every record, by `merchant_order_no`.
    #[must_use]
    pub const fn records(&self) -> &BTreeMap<String, Record> {
        &self.store
    }

    /// Returns true while an order runs (the terminal is busy).
    #[must_use]
    pub const fn is_busy(&self) -> bool {
        self.running.is_some()
    }

    /// Returns the current batch number (bumped by each batch close).
    #[must_use]
    pub const fn batch_no(&self) -> u32 {
        self.batch_no
    }

    /// A POS connected (spec §13.1 `connected`): held results are re-delivered.
    pub fn connected(&mut self, now: Timestamp) {
        self.connected = true;
        if self.config.redeliver_on_reconnect {
            for text in core::mem::take(&mut self.held) {
                self.out.push_back(SimTransmit::Text(text));
            }
        } else {
            self.held.clear();
        }
        self.heartbeat_at = self
            .config
            .faults
            .heartbeat_every_ms
            .map(|every| now + core::time::Duration::from_millis(every.max(1)));
    }

    /// The POS's connection closed (spec §13.1 `disconnected`); the store survives.
    pub fn disconnected(&mut self, _now: Timestamp) {
        self.connected = false;
        self.heartbeat_at = None;
    }

    /// Handles one message (spec §13.1 `handle_message`); text and binary alike.
    pub fn handle_message(&mut self, now: Timestamp, bytes: &[u8], _is_text: bool) {
        self.on_message(now, bytes);
    }

    /// Returns the next event.
    pub fn poll_event(&mut self) -> Option<SimEvent> {
        self.events.pop_front()
    }
}

impl Simulator for CodepaySim {
    fn handle_input(&mut self, now: Timestamp, input: SimInput) {
        match input {
            SimInput::Connected => self.connected(now),
            SimInput::Disconnected => self.disconnected(now),
            SimInput::Text(t) => self.handle_message(now, t.as_bytes(), true),
            SimInput::Binary(b) => self.handle_message(now, &b, false),
            SimInput::Ping(p) if self.connected => self.out.push_back(SimTransmit::Pong(p)),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.on_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let running = self.running.as_ref().map(flow::Running::next_at);
        let pending = self.pending.iter().map(|(at, _)| *at).min();
        [running, pending, self.heartbeat_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn truth(&self, references: &References) -> Option<Truth> {
        if let Some(t) = references
            .get("request_id")
            .and_then(|id| self.tips.get(id))
        {
            return Some(*t);
        }
        let number = references.primary.as_deref()?;
        self.store.get(number).map(Record::truth)
    }
}
