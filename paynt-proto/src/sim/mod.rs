//! The terminal simulator (spec §12): a sans-IO Paynt EPOS API server with a transaction store.

mod handle;
mod store;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{
    IdGen, References, Scenario, SimInput, SimTransmit, Simulator, Timestamp, Truth, WallClock,
};
use serde::{Deserialize, Serialize};

use crate::ident::ReferencePolicy;
pub use store::{Phase, SimTransaction};

/// Which `Authorization` forms the simulator accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthAccept {
    /// Bare or `Bearer`.
    #[default]
    Either,
    /// Only the bare token.
    Bare,
    /// Only `Bearer <token>`.
    Bearer,
}

/// How a transaction in progress is reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InProgressStyle {
    /// 206 Partial Content.
    #[default]
    Status206,
    /// 200 without `transApproved`.
    Ok200NoFlags,
}

/// Which flags a cancelled result carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledFlags {
    /// `transApproved: false, transCancelled: true`.
    #[default]
    Both,
    /// Only `transCancelled: true`.
    CancelledOnly,
}

/// The shape of generated UTIs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UtiStyle {
    /// Lowercase hex `8-4-4-4-12` with version nibble 3.
    #[default]
    UuidV3Like,
    /// Twelve digits.
    Numeric12,
}

/// What a reversal or completion of an unknown or ineligible original gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOriginal {
    /// 400 at once, nothing created.
    #[default]
    Reject400,
    /// Accepted, then declined.
    AcceptThenDecline,
}

/// How the card arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardMode {
    /// After `card_delay` (60 s for the slow-customer scenario).
    #[default]
    Auto,
    /// Only on `present_card`.
    Manual,
}

/// The simulator's knobs; `Default` is the spec's §12.1 defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// The terminal serial (`tid`).
    pub serial: String,
    /// The base path served.
    pub base_path: String,
    /// A token valid from the start (a terminal paired earlier), if any.
    pub token: Option<String>,
    /// Accepted `Authorization` forms.
    pub auth_accept: AuthAccept,
    /// Send the pairing token as a JSON number.
    pub token_as_number: bool,
    /// How "in progress" looks.
    pub in_progress_style: InProgressStyle,
    /// Flags of a cancelled result.
    pub cancelled_flags: CancelledFlags,
    /// A new UTI answers 404 this long after its creation.
    pub not_found_window: Duration,
    /// Status of a POST while busy (400 or 409).
    pub busy_status: u16,
    /// UTI shape.
    pub uti_style: UtiStyle,
    /// Reference rule.
    pub reference_policy: ReferencePolicy,
    /// Reject a `reference` used before.
    pub reject_duplicate_reference: bool,
    /// Reversal/completion of an unknown or ineligible original.
    pub unknown_original: UnknownOriginal,
    /// Serve DELETE (405 when off).
    pub cancel_supported: bool,
    /// How the card arrives.
    pub card_mode: CardMode,
    /// Card after this long (automatic mode).
    pub card_delay: Duration,
    /// Authorisation takes this long.
    pub auth_delay: Duration,
    /// No card this long: cancelled.
    pub card_timeout: Duration,
    /// `reboot()` loses in-progress records (GETs 404) instead of cancelling them.
    pub reboot_loses_records: bool,
    /// `currencyCode` in results.
    pub currency_code: String,
    /// Acquirer MID in results.
    pub merchant_id: String,
    /// Acquirer TID in results.
    pub terminal_id: String,
    /// Time zone offset of `transactionDate`, minutes.
    pub zone_offset_minutes: i32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            serial: "7300418825".into(),
            base_path: "/payntpos/1.0.0".into(),
            token: None,
            auth_accept: AuthAccept::Either,
            token_as_number: false,
            in_progress_style: InProgressStyle::Status206,
            cancelled_flags: CancelledFlags::Both,
            not_found_window: Duration::ZERO,
            busy_status: 400,
            uti_style: UtiStyle::UuidV3Like,
            reference_policy: ReferencePolicy::AllowHyphen,
            reject_duplicate_reference: false,
            unknown_original: UnknownOriginal::Reject400,
            cancel_supported: true,
            card_mode: CardMode::Auto,
            card_delay: Duration::from_secs(2),
            auth_delay: Duration::from_secs(1),
            card_timeout: Duration::from_secs(60),
            reboot_loses_records: false,
            currency_code: "978".into(),
            merchant_id: "000000012345678".into(),
            terminal_id: "71904433".into(),
            zone_offset_minutes: 0,
        }
    }
}

/// The Paynt terminal simulator.
#[derive(Debug)]
pub struct PayntSim {
    config: SimConfig,
    ids: IdGen,
    wall: WallClock,
    now: Timestamp,
    token: Option<String>,
    code: String,
    code_issued: Option<Timestamp>,
    store: BTreeMap<u64, SimTransaction>,
    next_seq: u64,
    current: Option<u64>,
    message_id: i64,
    fail_next: Option<u16>,
    out: VecDeque<SimTransmit>,
}

/// How long a pairing code stays valid.
pub const PAIRING_CODE_VALIDITY: Duration = Duration::from_secs(300);

impl PayntSim {
    /// Builds a simulator; every random value comes from `ids`.
    #[must_use]
    pub fn new(config: SimConfig, ids: IdGen, wall: WallClock) -> Self {
        let mut sim = Self {
            token: config.token.clone(),
            config,
            ids,
            wall,
            now: Timestamp::ZERO,
            code: String::new(),
            code_issued: None,
            store: BTreeMap::new(),
            next_seq: 1,
            current: None,
            message_id: 0,
            fail_next: None,
            out: VecDeque::new(),
        };
        sim.code = sim.ids.digits(6);
        sim
    }

    /// Returns the pairing code the terminal shows now.
    #[must_use]
    pub fn pairing_code(&self) -> &str {
        &self.code
    }

    /// Returns the current token, if paired (for tests and the demo).
    #[must_use]
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Presents a card for the transaction waiting for one, playing `scenario`
    /// (`Decline`, `SignatureCheck`, … ; others approve). Returns false when none waits.
    pub fn present_card(&mut self, now: Timestamp, scenario: Scenario) -> bool {
        self.advance(now);
        let auth = self.config.auth_delay;
        let Some(t) = self.current_mut() else {
            return false;
        };
        if !matches!(t.phase, Phase::AwaitingCard { .. }) {
            return false;
        }
        t.scenario = scenario;
        t.card_read(now + auth);
        true
    }

    /// Presses cancel on the terminal: a transaction waiting for a card ends cancelled.
    pub fn press_cancel(&mut self, now: Timestamp) -> bool {
        self.advance(now);
        let cancelled = self.current_mut().is_some_and(|t| t.cancel_if_waiting());
        if cancelled {
            self.finalise_current();
        }
        cancelled
    }

    /// Closes the batch: approved transactions become settled (reversal then refused).
    pub fn settle_batch(&mut self) {
        for t in self.store.values_mut() {
            if t.result.as_ref().is_some_and(|r| r.approved) {
                t.settled = true;
            }
        }
    }

    /// Reboots: an in-progress transaction ends cancelled (or is lost with
    /// `reboot_loses_records`); tokens survive.
    pub fn reboot(&mut self, now: Timestamp) {
        self.advance(now);
        if let Some(seq) = self.current.take() {
            if self.config.reboot_loses_records {
                self.store.remove(&seq);
            } else if let Some(t) = self.store.get_mut(&seq) {
                t.force_cancel();
                self.current = Some(seq);
                self.finalise_current();
            }
        }
    }

    /// Returns the transaction store, oldest first.
    #[must_use]
    pub fn transactions(&self) -> Vec<&SimTransaction> {
        self.store.values().collect()
    }

    /// Answers the next request, whatever it is, with `status` and a text body.
    pub fn fail_next(&mut self, status: u16) {
        self.fail_next = Some(status);
    }

    /// Returns the simulator's configuration.
    #[must_use]
    pub const fn config(&self) -> &SimConfig {
        &self.config
    }

    fn current_mut(&mut self) -> Option<&mut SimTransaction> {
        let seq = self.current?;
        self.store.get_mut(&seq)
    }

    fn find(&self, uti: &str) -> Option<&SimTransaction> {
        self.store.values().find(|t| t.uti == uti)
    }

    /// Moves time to `now`: cards arrive, authorisations end, codes expire.
    fn advance(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        if self.code_issued.is_none() {
            self.code_issued = Some(now);
        }
        let auth = self.config.auth_delay;
        let timeout = self.config.card_timeout;
        let Some(t) = self.current_mut() else { return };
        if t.step(now, auth, timeout) {
            self.finalise_current();
        }
    }
}

impl Simulator for PayntSim {
    fn handle_input(&mut self, now: Timestamp, input: SimInput) {
        self.advance(now);
        if let SimInput::HttpRequest { id, request } = input {
            let reply = self.handle_request(now, &request);
            self.out.push_back(match reply {
                Some(response) => SimTransmit::HttpResponse { id, response },
                None => SimTransmit::HttpDrop { id },
            });
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.advance(now);
    }

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let seq = self.current?;
        self.store.get(&seq)?.next_change()
    }

    fn truth(&self, references: &References) -> Option<Truth> {
        let by_uti = references.primary.as_deref().and_then(|u| self.find(u));
        let by_reference = || {
            let r = references.get("reference")?;
            self.store
                .values()
                .rev()
                .find(|t| t.reference.as_deref() == Some(r))
        };
        by_uti.or_else(by_reference).map(SimTransaction::truth)
    }
}
