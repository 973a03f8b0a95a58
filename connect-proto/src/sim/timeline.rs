//! Scenario timelines of the simulated PDQ (spec §14): `(offset, notification)` steps and the
//! final result, as a function of simulated time.

use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{Scenario, Timestamp};

use crate::message::{Cvm, PaymentMethod, ResultType, TransactionResult};

/// The result a simulated transaction ends with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Final {
    pub(crate) result: TransactionResult,
    pub(crate) kind: Option<ResultType>,
    pub(crate) cvm: Option<Cvm>,
    pub(crate) method: Option<PaymentMethod>,
    pub(crate) user_message: Option<String>,
    /// True when money moved (the ledger is charged), even if Connect says `TIMED_OUT`.
    pub(crate) charged: bool,
}

impl Final {
    pub(crate) fn approved(kind: ResultType, cvm: Cvm, method: PaymentMethod) -> Self {
        Self {
            result: TransactionResult::Successful,
            kind: Some(kind),
            cvm: Some(cvm),
            method: Some(method),
            user_message: None,
            charged: true,
        }
    }

    pub(crate) fn not_charged(result: TransactionResult, kind: Option<ResultType>) -> Self {
        Self {
            result,
            kind,
            cvm: None,
            method: None,
            user_message: None,
            charged: false,
        }
    }
}

/// A timeline: steps in time order, entries shown at the oldest end, and the finish.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    pub(crate) steps: Vec<(Timestamp, String)>,
    pub(crate) oldest_end: Vec<(Timestamp, String)>,
    pub(crate) finish: Option<(Timestamp, Final)>,
    pub(crate) cancel_window_end: Option<Timestamp>,
    pub(crate) signature_at: Option<Timestamp>,
    /// Offline between these times: per-terminal GETs answer 404.
    pub(crate) offline: Option<(Timestamp, Timestamp)>,
    /// Responses for this transaction are lost for this window after the finish.
    pub(crate) lose_after_finish: bool,
}

impl Timeline {
    /// Adds a step at `at`, keeping time order.
    pub(crate) fn push(&mut self, at: Timestamp, value: &str) {
        let i = self.steps.partition_point(|(t, _)| *t <= at);
        self.steps.insert(i, (at, value.into()));
    }

    /// Drops every step after `now` and the planned finish.
    pub(crate) fn cut_after(&mut self, now: Timestamp) {
        self.steps.retain(|(t, _)| *t <= now);
        self.oldest_end.retain(|(t, _)| *t <= now);
        if self.finish.as_ref().is_some_and(|(t, _)| *t > now) {
            self.finish = None;
        }
    }

    /// Ends the timeline at `at` with `fin`.
    pub(crate) fn finish_at(&mut self, at: Timestamp, fin: Final) {
        self.push(at, "TRANSACTION_FINISHED");
        self.finish = Some((at, fin));
    }

    /// Returns the visible notifications at `now`, newest first.
    pub(crate) fn visible(&self, now: Timestamp) -> Vec<String> {
        let mut out: Vec<String> = self
            .steps
            .iter()
            .filter(|(t, _)| *t <= now)
            .rev()
            .map(|(_, v)| v.clone())
            .collect();
        out.extend(
            self.oldest_end
                .iter()
                .filter(|(t, _)| *t <= now)
                .map(|(_, v)| v.clone()),
        );
        out
    }

    /// Returns the final result once it is visible at `now`.
    pub(crate) fn finished(&self, now: Timestamp) -> Option<&Final> {
        self.finish
            .as_ref()
            .filter(|(t, _)| *t <= now)
            .map(|(_, f)| f)
    }

    /// Returns the next time something changes after `now`.
    pub(crate) fn next_change(&self, now: Timestamp) -> Option<Timestamp> {
        self.steps
            .iter()
            .chain(self.oldest_end.iter())
            .map(|(t, _)| *t)
            .chain(self.finish.as_ref().map(|(t, _)| *t))
            .filter(|t| *t > now)
            .min()
    }
}

fn ms(start: Timestamp, offset_ms: u64) -> Timestamp {
    start + core::time::Duration::from_millis(offset_ms)
}

/// Builds the timeline of a card transaction for `scenario` (cents 51–67 of §14).
pub(crate) fn build(start: Timestamp, scenario: Scenario, cnp: bool, kind: ResultType) -> Timeline {
    let mut tl = Timeline::default();
    let at = |o| ms(start, o);
    let approve = Final::approved(kind.clone(), Cvm::Pin, PaymentMethod::IccChip);
    let decline = Final::not_charged(TransactionResult::Declined, Some(kind.clone()));
    if cnp || scenario == Scenario::Vendor(63) {
        tl.push(at(0), "TRANSACTION_STARTED");
        tl.push(at(85_000), "CONNECTING");
        tl.push(at(86_000), "CONNECTION_MADE");
        tl.push(at(87_000), "APPROVED");
        let mut fin = approve;
        fin.method = Some(PaymentMethod::Keyed);
        fin.cvm = Some(Cvm::None);
        tl.finish_at(at(90_000), fin);
        tl.cancel_window_end = Some(at(85_000));
        return tl;
    }
    tl.push(at(0), "TRANSACTION_STARTED");
    tl.push(at(500), "PRESENT_CARD");
    let hold = if scenario == Scenario::SlowCustomer {
        60_000
    } else {
        0
    };
    let card = |o: u64| at(o + hold);
    tl.cancel_window_end = Some(card(3_000));
    match scenario {
        Scenario::CancelledOnTerminal => {
            tl.finish_at(
                at(4_000),
                Final::not_charged(TransactionResult::Cancelled, Some(kind)),
            );
            return tl;
        }
        Scenario::SignatureCheck => {
            tl.push(at(4_000), "CONNECTING");
            tl.push(at(4_500), "CONNECTION_MADE");
            tl.push(at(5_500), "APPROVED");
            tl.push(at(6_000), "SIGNATURE_VERIFICATION");
            tl.signature_at = Some(at(6_000));
            tl.cancel_window_end = Some(at(3_000));
            // Without an answer: the timeout at 80 s, then a VOID.
            tl.push(at(86_000), "SIGNATURE_VERIFICATION_TIMEOUT");
            let mut fin =
                Final::not_charged(TransactionResult::Void, Some(ResultType::SaleReversal));
            fin.user_message = Some("Signature not verified within 80 seconds".into());
            tl.finish_at(at(86_500), fin);
            return tl;
        }
        Scenario::Vendor(62) => {
            tl.offline = Some((at(5_000), at(60_000)));
            tl.finish_at(
                at(60_000),
                Final::not_charged(TransactionResult::TimedOut, None),
            );
            return tl;
        }
        Scenario::Vendor(64) => tl.push(at(1_500), "ENTER_CASHBACK"),
        Scenario::Vendor(67) => tl.push(at(2_000), "WAITING_FOR_GODOT"),
        _ => {}
    }
    tl.push(card(3_000), "PIN_ENTRY");
    tl.push(card(5_000), "CONNECTING");
    tl.push(card(5_500), "CONNECTION_MADE");
    let declined = matches!(
        scenario,
        Scenario::Decline | Scenario::LostAfterDecline | Scenario::Vendor(61)
    );
    tl.push(card(6_500), if declined { "DECLINED" } else { "APPROVED" });
    match scenario {
        Scenario::Vendor(60) | Scenario::Vendor(61) => {
            let mut fin = Final::not_charged(TransactionResult::TimedOut, None);
            fin.charged = scenario == Scenario::Vendor(60);
            tl.finish_at(at(200_000), fin);
            return tl;
        }
        Scenario::Vendor(66) => tl.oldest_end.push((card(7_500), "REPLACE_PAPER".into())),
        _ => {}
    }
    tl.push(card(7_000), "REMOVE_CARD");
    tl.lose_after_finish = matches!(
        scenario,
        Scenario::LostAfterApproval | Scenario::LostAfterDecline
    );
    let mut fin = if declined { decline } else { approve };
    if scenario == Scenario::Vendor(64) {
        fin.user_message = Some("Cashback is not available on this card; none was applied".into());
    }
    tl.finish_at(card(8_000), fin);
    tl
}
