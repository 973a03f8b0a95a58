//! The gateway + terminal simulator (spec §12), itself a sans-IO machine.
//!
//! It serves any number of gateway base URLs over one shared store (so failover meets the
//! duplicate check), plus the cancel path `/api/TERMPAY/cancel/`. Outcomes come from a
//! per-device script or from the shared scenario table by the cents of AMT; callbacks leave
//! through `poll_transmit` as [`SimTransmit::Callback`] with the absolute callback URL.

mod gateway;
mod terminal;

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{
    CallbackId, HttpRequest, IdGen, References, SimInput, SimTransmit, Simulator, Timestamp, Truth,
    WallClock,
};
use serde::{Deserialize, Serialize};

/// A terminal's state as the gateway sees it (spec §12.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Connected and working.
    Online,
    /// Not connected: `8512`.
    Offline,
    /// Connected but silent: `8504`.
    NotResponding,
    /// Not supported: `8502`.
    Unsupported,
    /// Misconfigured: `8510`.
    Misconfigured,
}

/// One merchant account (TERMID) of the simulated gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// `PASS`.
    pub pass: String,
    /// A disabled TERMID gets `1001 DISABLED TERMID`.
    pub enabled: bool,
    /// Per-request SUCCESSURL/FAILUREURL allowed (else `9001 CANNOT OVERRIDE URLS`).
    pub dynamic_urls: bool,
    /// The account's default callback URLs (success, failure).
    pub default_urls: Option<(String, String)>,
    /// Refunds allowed (else `8508`).
    pub refund_allowed: bool,
    /// A fee is configured (`8503`).
    pub fee_configured: bool,
    /// The account's terminals by DEVICEID.
    pub devices: BTreeMap<String, DeviceState>,
}

/// How callbacks are encoded (spec §12.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackEncoding {
    /// POST `application/json`.
    #[default]
    JsonPost,
    /// POST `application/x-www-form-urlencoded`.
    FormPost,
    /// GET with a query string.
    QueryGet,
    /// POST `text/plain` tag/value, values raw with `&&`.
    TagValuePost,
}

/// What a cancel in the last second before the outcome does (spec §12.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelRace {
    /// The cancel wins.
    #[default]
    CancelWins,
    /// An APPROVED callback, then a VOIDED one.
    ApproveThenVoid,
}

/// The simulator's configuration; `Default` is the spec's defaults with one account
/// `QK7R2M4P` / `example-pass` and one online device `FRONTDESK-2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Accounts by TERMID.
    pub accounts: BTreeMap<String, Account>,
    /// Time from `0000` to the outcome, ms (default 3000).
    pub callback_delay_ms: u64,
    /// How long a terminal waits for a card, s (default 900).
    pub customer_timeout_secs: u64,
    /// How long an `ACK=N` approval waits for its Ack before reversal, s (default 180).
    pub ack_window_secs: u64,
    /// Callback encoding.
    pub callback_encoding: CallbackEncoding,
    /// Retries of an undelivered callback after 5 s, 30 s, 120 s (default 0).
    pub callback_retries: u8,
    /// CODE of the VOIDED callback (default `0000`).
    pub void_code: String,
    /// The largest AMT in minor units.
    pub max_amount_minor: i64,
    /// Accepts `http://` callback URLs.
    pub allow_http_urls: bool,
    /// Cancel/outcome race behaviour.
    pub cancel_race: CancelRace,
    /// Offset of the gateway's DATE/TIME from UTC, minutes (default −300).
    pub utc_offset_minutes: i32,
}

impl Default for SimConfig {
    fn default() -> Self {
        let mut devices = BTreeMap::new();
        devices.insert("FRONTDESK-2".into(), DeviceState::Online);
        let mut accounts = BTreeMap::new();
        accounts.insert(
            "QK7R2M4P".into(),
            Account {
                pass: "example-pass".into(),
                enabled: true,
                dynamic_urls: true,
                default_urls: None,
                refund_allowed: true,
                fee_configured: false,
                devices,
            },
        );
        Self {
            accounts,
            callback_delay_ms: 3000,
            customer_timeout_secs: 900,
            ack_window_secs: 180,
            callback_encoding: CallbackEncoding::JsonPost,
            callback_retries: 0,
            void_code: "0000".into(),
            max_amount_minor: 9_999_999,
            allow_http_urls: false,
            cancel_race: CancelRace::CancelWins,
            utc_offset_minutes: -300,
        }
    }
}

/// A POS machine configuration the default simulator accepts: its account `QK7R2M4P` /
/// `example-pass`, device `FRONTDESK-2`, the example gateways `gw-a` / `gw-b.interpay.test`
/// and callbacks to `https://pos.example.net/ipcb/`. For tests, benchmarks, fuzzing and
/// examples that run the machine against this simulator in a harness.
#[must_use]
pub fn example_pos_config() -> crate::Config {
    crate::Config {
        endpoints: crate::Endpoints {
            primary: "https://gw-a.interpay.test/api".into(),
            secondary: Some("https://gw-b.interpay.test/api".into()),
        },
        termid: "QK7R2M4P".into(),
        pass: "example-pass".into(),
        deviceid: "FRONTDESK-2".into(),
        callback_base: "https://pos.example.net/ipcb/".into(),
        ..crate::Config::default()
    }
}

/// A scripted terminal outcome for [`InterpaySim::script`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimOutcome {
    /// Approved, with `ACK=Y` when `ack`.
    Approve {
        /// Sends `ACK=Y`.
        ack: bool,
    },
    /// Any non-approval CODE and TEXT.
    Fail {
        /// CODE.
        code: String,
        /// TEXT.
        text: String,
    },
    /// No card is ever presented; ends by cancel or the customer timeout.
    Never,
}

/// A fault applied to the callbacks of the next session (spec §12.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackFault {
    /// The outcome callback is never sent.
    Drop,
    /// The callback is sent `n` more times, `spacing_ms` apart.
    Duplicate {
        /// Extra copies.
        n: u8,
        /// Gap between copies, ms.
        spacing_ms: u64,
    },
    /// The callback leaves this much later, ms.
    Delay(u64),
    /// The callback is held until the session's next callback has been sent.
    Reorder,
    /// The callback goes to a URL with another token.
    WrongToken,
    /// The callback's AMT is one cent more.
    AmountSkew,
}

/// Something the simulator observed, for tests (spec §12.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SimEvent {
    /// A StartSession was answered.
    StartServed {
        /// The REQUESTID.
        requestid: String,
        /// The CODE answered.
        code: String,
    },
    /// A callback left.
    CallbackSent {
        /// The REQUESTID.
        requestid: String,
        /// Its CODE.
        code: String,
    },
    /// A GetResult was answered.
    GetResultServed {
        /// The SECUREID asked for.
        secureid: String,
        /// The CODE answered.
        code: String,
    },
    /// An Ack was answered.
    AckServed {
        /// The SECUREID.
        secureid: String,
        /// The CODE answered.
        code: String,
    },
    /// A cancel was answered.
    CancelServed {
        /// The SECUREID.
        secureid: String,
        /// The TEXT answered.
        text: String,
    },
}

/// The InterPay gateway and its terminals, simulated.
pub struct InterpaySim {
    config: SimConfig,
    ids: IdGen,
    wall: WallClock,
    sessions: Vec<terminal::SimSession>,
    used: BTreeSet<(String, String)>,
    rejected: BTreeSet<String>,
    scripts: BTreeMap<String, VecDeque<SimOutcome>>,
    next_faults: Vec<CallbackFault>,
    actions: BTreeMap<(Timestamp, u64), terminal::Action>,
    seq: u64,
    callbacks: BTreeMap<CallbackId, (usize, u8, HttpRequest)>,
    out: VecDeque<SimTransmit>,
    observed: Vec<SimEvent>,
}

impl InterpaySim {
    /// Builds a simulator from its configuration, its id source and its wall clock.
    #[must_use]
    pub fn new(config: SimConfig, ids: IdGen, wall: WallClock) -> Self {
        Self {
            config,
            ids,
            wall,
            sessions: Vec::new(),
            used: BTreeSet::new(),
            rejected: BTreeSet::new(),
            scripts: BTreeMap::new(),
            next_faults: Vec::new(),
            actions: BTreeMap::new(),
            seq: 0,
            callbacks: BTreeMap::new(),
            out: VecDeque::new(),
            observed: Vec::new(),
        }
    }

    /// Queues an outcome for the next session on `device`, before the scenario table.
    pub fn script(&mut self, device: &str, outcome: SimOutcome) {
        self.scripts
            .entry(device.into())
            .or_default()
            .push_back(outcome);
    }

    /// Applies a callback fault to the next session that starts.
    pub fn fault_next_session(&mut self, fault: CallbackFault) {
        self.next_faults.push(fault);
    }

    /// Marks a REQUESTID as used on a TERMID, as an earlier session would have.
    pub fn mark_used(&mut self, termid: &str, requestid: &str) {
        self.used.insert((termid.into(), requestid.into()));
    }

    /// Sets a device's state.
    pub fn set_device(&mut self, termid: &str, device: &str, state: DeviceState) {
        if let Some(a) = self.config.accounts.get_mut(termid) {
            a.devices.insert(device.into(), state);
        }
    }

    /// Marks every approved session settled: a cancel can no longer void it.
    pub fn settle_batch(&mut self, _now: Timestamp) {
        for s in &mut self.sessions {
            s.settled = true;
        }
    }

    /// Returns everything observed so far.
    #[must_use]
    pub fn observations(&self) -> &[SimEvent] {
        &self.observed
    }

    /// Returns how many GetResults were asked for a SECUREID.
    #[must_use]
    pub fn get_result_calls(&self, secureid: &str) -> usize {
        self.observed
            .iter()
            .filter(|e| matches!(e, SimEvent::GetResultServed { secureid: s, .. } if s == secureid))
            .count()
    }

    /// Returns how many callbacks left for a REQUESTID.
    #[must_use]
    pub fn callbacks_sent(&self, requestid: &str) -> usize {
        self.observed
            .iter()
            .filter(|e| matches!(e, SimEvent::CallbackSent { requestid: r, .. } if r == requestid))
            .count()
    }

    fn schedule(&mut self, at: Timestamp, action: terminal::Action) {
        self.seq += 1;
        self.actions.insert((at, self.seq), action);
    }
}

impl Simulator for InterpaySim {
    fn handle_input(&mut self, now: Timestamp, input: SimInput) {
        match input {
            SimInput::HttpRequest { id, request } => {
                let response = self.handle_request(now, &request);
                self.out
                    .push_back(SimTransmit::HttpResponse { id, response });
            }
            SimInput::CallbackResponse { id, response } => {
                self.callback_done(now, id, response.is_success());
            }
            SimInput::CallbackFailed { id, .. } => self.callback_done(now, id, false),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        while let Some(entry) = self.actions.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let action = entry.remove();
            self.run_action(now, action);
        }
    }

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.actions.keys().next().map(|(at, _)| *at)
    }

    fn truth(&self, references: &References) -> Option<Truth> {
        let requestid = references.primary.as_deref()?;
        if let Some(s) = self.sessions.iter().find(|s| s.requestid == requestid) {
            return Some(s.truth());
        }
        self.rejected
            .contains(requestid)
            .then_some(Truth::NotProcessed)
    }
}
