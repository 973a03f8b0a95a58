//! From a final result to a `pos_core::Outcome` (spec §5.3), and the other ways to finish.

use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{
    Approval, Cancellation, CancelledBy, Decline, Event, MaskedCard, Money, Notice, Outcome,
    Receipt, RejectReason, Rejection, UnknownReason, Unresolved,
};

use super::{CancelState, Job, PayntMachine};
use crate::codec::render_receipt;
use crate::message::{Anomaly, Classification, TransType, TransactionResult};

impl PayntMachine {
    pub(super) fn finish_final(&mut self, result: &TransactionResult) {
        let Some(class) = result.classify() else {
            return;
        };
        let found = self.anomalies_of(result, class);
        let Some(a) = self.active.as_mut() else {
            return;
        };
        a.anomalies.extend(found);
        let Some(a) = self.active.as_ref() else {
            return;
        };
        let req = a.request.as_ref();
        let txn = a.txn;
        let job = a.job;
        let cancel_by_pos = matches!(a.cancel, CancelState::Sent | CancelState::Accepted)
            || (a.cancel == CancelState::Over && result.trans_cancelled == Some(true));
        let mut refs = self.references(a);
        if let Some(r) = &result.merchant_reference {
            refs = refs.with("merchant_reference", r.clone());
        }
        if let Some(o) = &result.original_uti {
            refs = refs.with("original_uti", o.clone());
        }
        if let Some(t) = &result.terminal_id {
            refs = refs.with("terminal_id", t.clone());
        }
        let requested = req.and_then(|r| r.amount_trans);
        let message = self.anomaly_text(result);
        let receipt = self.receipt(result);
        let card = result
            .primary_account_number
            .as_deref()
            .map(MaskedCard::mask);
        let amount = |m: Option<u32>| {
            m.and_then(|m| Money::from_minor(i64::from(m), self.config.currency).ok())
        };
        let outcome = match class {
            Classification::Cancelled { .. } => Outcome::Cancelled(Cancellation {
                by: if cancel_by_pos {
                    CancelledBy::Pos
                } else {
                    CancelledBy::Terminal
                },
                code: result.transaction_response.clone(),
                message,
                references: refs,
            }),
            Classification::Declined => Outcome::Declined(Decline {
                code: result.transaction_response.clone(),
                message,
                card,
                receipt,
                references: refs,
            }),
            Classification::Voided => Outcome::Cancelled(Cancellation {
                by: CancelledBy::Unspecified,
                code: result.transaction_response.clone(),
                message: Some(join(Some("voided".into()), message)),
                references: refs.with("voided", "true"),
            }),
            Classification::Approved => Outcome::Approved(Approval {
                amount: amount(result.trans_amount.or(requested)),
                tip: amount(result.amount_gratuity),
                cashback: amount(result.amount_cashback),
                auth_code: result.auth_code.clone(),
                card,
                receipt,
                references: refs,
                message,
            }),
        };
        if job == Job::Money {
            self.remember(result, &class);
        }
        if let Some(uti) = result
            .uti
            .as_ref()
            .or(self.active.as_ref().and_then(|a| a.uti.as_ref()))
        {
            if let Some(earlier) = self.unresolved.remove(uti) {
                if earlier != txn {
                    self.out.event(Event::Notice(Notice::LateResult {
                        txn: Some(earlier),
                        detail: alloc::format!("Resolved: {}", outcome.class()),
                    }));
                }
            }
        }
        self.emit_finished(outcome);
    }

    fn anomalies_of(&self, result: &TransactionResult, class: Classification) -> Vec<Anomaly> {
        let mut found = Vec::new();
        let req = self.active.as_ref().and_then(|a| a.request.as_ref());
        if let (Some(t), Some(req)) = (&result.transaction_type, req) {
            if *t != TransType::Unknown && *t != req.trans_type {
                found.push(Anomaly::TypeMismatch);
            }
        }
        if matches!(class, Classification::Approved) {
            let want = req.and_then(|r| r.amount_trans);
            if let (Some(got), Some(want)) = (result.trans_amount, want) {
                if got != want {
                    found.push(Anomaly::AmountMismatch);
                    if result.trans_partially_approved == Some(true) {
                        found.push(Anomaly::PartialApproval);
                    }
                }
            }
        }
        if let Some(code) = &result.currency_code {
            let c = self.config.currency;
            let same = code.trim().eq_ignore_ascii_case(c.code())
                || code.trim().parse::<u16>().ok() == Some(c.numeric());
            if !same {
                found.push(Anomaly::CurrencyMismatch);
            }
        }
        if matches!(
            class,
            Classification::Cancelled {
                contradictory: true
            }
        ) {
            found.push(Anomaly::ContradictoryFlags);
        }
        if !result.bad_fields.is_empty() {
            found.push(Anomaly::BadField);
        }
        found
    }

    pub(super) fn finish_rejected(
        &mut self,
        reason: RejectReason,
        status: Option<u16>,
        message: &str,
    ) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        let references = self.references(a);
        self.emit_finished(Outcome::Rejected(Rejection {
            reason,
            code: status.map(|s| alloc::format!("{s}")),
            message: Some(message.into()),
            references,
        }));
    }

    pub(super) fn finish_paired(&mut self, serial: &str) {
        self.emit_finished(Outcome::Approved(Approval {
            references: pos_core::References::primary(serial),
            message: Some(alloc::format!("paired with terminal {serial}")),
            ..Approval::default()
        }));
    }

    /// Ends without a UTI (POST reply lost, restart before the UTI): reconcile by reference.
    pub(super) fn finish_unknown_no_uti(&mut self, reason: UnknownReason, hint: &str) {
        self.finish_unknown(reason, hint);
    }

    /// Ends a polling cycle without a final result: `query(uti)` can still tell.
    pub(super) fn finish_unknown_polling(&mut self, reason: UnknownReason, hint: &str) {
        self.finish_unknown(reason, hint);
    }

    fn finish_unknown(&mut self, reason: UnknownReason, hint: &str) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        let references = self.references(a);
        let amount = a
            .request
            .as_ref()
            .and_then(|r| r.amount_trans)
            .and_then(|m| Money::from_minor(i64::from(m), self.config.currency).ok());
        let mut evidence = a.evidence.clone();
        if let Some(req) = &a.request {
            evidence.push(alloc::format!(
                "{} sent at unix ms {}",
                req.trans_type,
                a.post_unix_ms
            ));
        }
        if let Some(e) = &a.last_error {
            evidence.push(alloc::format!("last error: {e}"));
        }
        self.emit_finished(Outcome::Unknown(Unresolved {
            reason,
            hint: Some(hint.into()),
            amount,
            references,
            evidence,
        }));
    }

    fn remember(&mut self, result: &TransactionResult, class: &Classification) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        let Some(req) = a.request.as_ref() else {
            return;
        };
        if !matches!(class, Classification::Approved) {
            return;
        }
        match (&req.trans_type, &a.uti) {
            (TransType::Preauth, Some(uti)) => {
                let amount = result.trans_amount.or(req.amount_trans).unwrap_or(0);
                if self.preauths.len() >= 256 {
                    self.preauths.pop_first();
                }
                self.preauths.insert(uti.clone(), amount);
            }
            (TransType::Completion | TransType::Reversal, _) => {
                if let Some(original) = &req.uti {
                    self.preauths.remove(original);
                }
            }
            _ => {}
        }
    }

    fn anomaly_text(&self, result: &TransactionResult) -> Option<String> {
        let a = self.active.as_ref()?;
        let mut parts: Vec<String> = a
            .anomalies
            .iter()
            .map(|x| alloc::format!("{x:?}"))
            .collect();
        if !result.bad_fields.is_empty() {
            parts.push(alloc::format!(
                "bad fields: {}",
                result.bad_fields.join(",")
            ));
        }
        if result.signature == Some(true) {
            parts.push("signature on receipt".into());
        }
        (!parts.is_empty()).then(|| alloc::format!("anomalies: {}", parts.join("; ")))
    }

    fn receipt(&self, result: &TransactionResult) -> Receipt {
        let w = self.config.receipt_width;
        Receipt {
            merchant: result
                .merchant_receipt
                .as_deref()
                .map(|r| render_receipt(r, w))
                .unwrap_or_default(),
            customer: result
                .cardholder_receipt
                .as_deref()
                .map(|r| render_receipt(r, w))
                .unwrap_or_default(),
        }
    }
}

fn join(a: Option<String>, b: Option<String>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => alloc::format!("{a}; {b}"),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => String::new(),
    }
}
