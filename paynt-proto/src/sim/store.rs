//! The simulator's transaction records and their lifecycle (spec §12.4, §12.5).

use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{Scenario, Timestamp, Truth};
use serde::Serialize;

use crate::message::TransType;

/// Where a simulated transaction is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Waiting for a card; it arrives at `card_at` unless manual.
    AwaitingCard {
        /// When the card arrives (automatic mode), if at all.
        card_at: Option<Timestamp>,
        /// When the terminal gives up waiting.
        timeout_at: Timestamp,
    },
    /// Waiting for the host until `until`.
    Authorising {
        /// When the result is known.
        until: Timestamp,
    },
    /// Done.
    Final,
}

/// The final result of a simulated transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimResult {
    /// Approved.
    pub approved: bool,
    /// Cancelled on the terminal or by DELETE.
    pub cancelled: bool,
    /// `transactionResponse`.
    pub response_code: String,
    /// `authCode` when approved.
    pub auth_code: Option<String>,
}

/// One record of the simulator's store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimTransaction {
    /// The terminal-generated UTI.
    pub uti: String,
    /// The type.
    pub trans_type: TransType,
    /// The amount, minor units (the original's for a REVERSAL).
    pub amount: Option<u32>,
    /// Tip.
    pub gratuity: Option<u32>,
    /// Cash back.
    pub cashback: Option<u32>,
    /// The POS reference.
    pub reference: Option<String>,
    /// The original's UTI.
    pub original_uti: Option<String>,
    /// When it was created.
    pub created: Timestamp,
    /// Its phase.
    pub phase: Phase,
    /// The scenario it plays.
    pub scenario: Scenario,
    /// The result, once final.
    pub result: Option<SimResult>,
    /// Reversed later.
    pub voided: bool,
    /// The completion that captured this preauth.
    pub completed_by: Option<String>,
    /// In a closed batch.
    pub settled: bool,
    /// `messageId` of the final result.
    pub message_id: Option<i64>,
    /// A card was read.
    pub card_read: bool,
    /// The next GET that would return the final result is dropped.
    pub lose_next_result: bool,
    /// Declined at the end whatever the scenario (`AcceptThenDecline`).
    pub force_decline: bool,
    /// Cumulative status values.
    pub statuses: Vec<i64>,
}

impl SimTransaction {
    pub(super) fn truth(&self) -> Truth {
        match &self.result {
            None => Truth::Pending,
            Some(r) if r.cancelled => Truth::Cancelled,
            Some(r) if r.approved => Truth::Approved,
            Some(_) => Truth::Declined,
        }
    }

    pub(super) fn next_change(&self) -> Option<Timestamp> {
        match self.phase {
            Phase::AwaitingCard {
                card_at,
                timeout_at,
            } => Some(card_at.map_or(timeout_at, |c| c.min(timeout_at))),
            Phase::Authorising { until } => Some(until),
            Phase::Final => None,
        }
    }

    /// Moves the phase on to `now`; returns true when it just became final.
    pub(super) fn step(
        &mut self,
        now: Timestamp,
        auth: core::time::Duration,
        _timeout: core::time::Duration,
    ) -> bool {
        if let Phase::AwaitingCard {
            card_at,
            timeout_at,
        } = self.phase
        {
            match card_at {
                Some(at) if at <= now && at <= timeout_at => {
                    if self.scenario == Scenario::CancelledOnTerminal {
                        // The cardholder presses cancel instead of presenting a card.
                        return self.cancel_if_waiting();
                    }
                    self.card_read(at + auth);
                }
                _ if timeout_at <= now => {
                    self.finish(false, true, "TIMEOUT");
                    return true;
                }
                _ => return false,
            }
        }
        if let Phase::Authorising { until } = self.phase {
            if until <= now {
                let approve = !self.force_decline
                    && !matches!(
                        self.scenario,
                        Scenario::Decline | Scenario::LostAfterDecline
                    );
                let code = if approve {
                    "00"
                } else if self.force_decline {
                    "12"
                } else {
                    "05"
                };
                self.finish(approve, false, code);
                if matches!(
                    self.scenario,
                    Scenario::LostAfterApproval | Scenario::LostAfterDecline
                ) {
                    self.lose_next_result = true;
                }
                return true;
            }
        }
        false
    }

    pub(super) fn card_read(&mut self, until: Timestamp) {
        self.card_read = true;
        self.statuses.extend([6, 16]);
        self.phase = Phase::Authorising { until };
    }

    /// Cancels a transaction still waiting for a card; returns true when it did.
    pub(super) fn cancel_if_waiting(&mut self) -> bool {
        if matches!(self.phase, Phase::AwaitingCard { .. }) {
            self.finish(false, true, "CANCELLED");
            true
        } else {
            false
        }
    }

    pub(super) fn force_cancel(&mut self) {
        if self.phase != Phase::Final {
            self.finish(false, true, "CANCELLED");
        }
    }

    fn finish(&mut self, approved: bool, cancelled: bool, code: &str) {
        self.phase = Phase::Final;
        let status = if cancelled {
            9
        } else if approved {
            1
        } else {
            2
        };
        self.statuses.extend([status, 11]);
        self.result = Some(SimResult {
            approved,
            cancelled,
            response_code: code.into(),
            auth_code: None,
        });
    }
}
