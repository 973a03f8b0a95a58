//! Request planning (spec §5.2, §9) and outcome building (spec §6, §7) for the machine.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use pos_core::{
    Approval, Cancellation, CancelledBy, CommandError, Currency, Decline, MaskedCard, Money,
    MoneyError, Operation, Outcome, PersistRecord, References, RejectReason, Rejection, TxnId,
    UnknownReason, Unresolved,
};
use serde_json::{Map, Value};

use super::{Job, JobKind, Phase};
use crate::codec::{Details, amount_text};
use crate::config::Config;
use crate::message::{TOPIC_ORDER, TOPIC_TIP_ADJUST, TransType, valid_order_no};

/// What `start` will send for a money operation.
pub(super) struct Plan {
    pub(super) kind: JobKind,
    pub(super) topic: &'static str,
    pub(super) biz: Map<String, Value>,
    pub(super) currency: Currency,
    pub(super) amount: Option<Money>,
    pub(super) tip: Option<Money>,
    pub(super) target: Option<String>,
}

/// Validates a money operation and plans its `biz_data` (without `merchant_order_no`).
pub(super) fn plan(config: &Config, op: &Operation) -> Result<Plan, CommandError> {
    let mut biz = Map::new();
    let (trans_type, currency, amount, tip, target) = match op {
        Operation::Sale {
            amount,
            tip,
            cashback,
            ..
        } => {
            positive(amount, "amount")?;
            let tip = tip.filter(|t| !t.is_zero());
            if let Some(c) = cashback {
                positive(c, "cashback")?;
                same_currency(amount, c)?;
                put(&mut biz, "cashback_amount", text(c)?);
            }
            if let Some(t) = &tip {
                same_currency(amount, t)?;
                put(&mut biz, "tip_amount", text(t)?);
            }
            if let Some(sig) = config.on_screen_signature {
                biz.insert("on_screen_signature".into(), Value::Bool(sig));
            }
            let kind = if cashback.is_some() {
                TransType::Cashback
            } else {
                TransType::Sale
            };
            (kind, amount.currency(), op.total(), tip, None)
        }
        Operation::Refund {
            amount, original, ..
        } => {
            positive(amount, "amount")?;
            if let Some(o) = original {
                put(&mut biz, "orig_merchant_order_no", original_ref(o)?);
            }
            (
                TransType::Refund,
                amount.currency(),
                Some(*amount),
                None,
                original.clone(),
            )
        }
        Operation::Void { original, .. } => {
            put(&mut biz, "orig_merchant_order_no", original_ref(original)?);
            (
                TransType::Void,
                config_currency(),
                None,
                None,
                Some(original.clone()),
            )
        }
        Operation::PreAuth { amount, .. } => {
            positive(amount, "amount")?;
            (
                TransType::PreAuth,
                amount.currency(),
                Some(*amount),
                None,
                None,
            )
        }
        Operation::Completion {
            amount, original, ..
        } => {
            positive(amount, "amount")?;
            put(&mut biz, "orig_merchant_order_no", original_ref(original)?);
            (
                TransType::Completion,
                amount.currency(),
                Some(*amount),
                None,
                Some(original.clone()),
            )
        }
        Operation::TipAdjust { original, tip } => {
            let target = original_ref(original)?;
            put(&mut biz, "merchant_order_no", target.clone());
            put(&mut biz, "tip_adjustment_amount", text(tip)?);
            return Ok(Plan {
                kind: JobKind::TipAdjust,
                topic: TOPIC_TIP_ADJUST,
                biz,
                currency: tip.currency(),
                amount: None,
                tip: Some(*tip),
                target: Some(target),
            });
        }
        other => return Err(CommandError::Unsupported { kind: other.kind() }),
    };
    put(&mut biz, "trans_type", trans_type.code().into());
    if let Some(base) = op.amount() {
        put(&mut biz, "order_amount", text(base)?);
        put(&mut biz, "price_currency", currency.code().into());
    }
    put(&mut biz, "pay_scenario", config.pay_scenario.clone());
    if trans_type != TransType::Void
        && trans_type != TransType::Completion
        && trans_type != TransType::Cashback
    {
        if let Some(id) = &config.pay_method_id {
            put(&mut biz, "pay_method_id", id.clone());
        }
    }
    biz.insert(
        "confirm_on_terminal".into(),
        Value::Bool(config.confirm_on_terminal),
    );
    biz.insert("expires".into(), Value::from(config.expires_secs));
    Ok(Plan {
        kind: JobKind::Order(trans_type),
        topic: TOPIC_ORDER,
        biz,
        currency,
        amount,
        tip,
        target,
    })
}

/// Void carries no amount; its currency only labels reported amounts.
const fn config_currency() -> Currency {
    Currency::USD
}

fn put(biz: &mut Map<String, Value>, key: &str, value: String) {
    biz.insert(key.into(), Value::String(value));
}

fn positive(m: &Money, what: &str) -> Result<(), CommandError> {
    if m.is_zero() {
        return Err(CommandError::AmountNotAccepted {
            reason: alloc::format!("{what} must be greater than zero"),
        });
    }
    Ok(())
}

fn same_currency(a: &Money, b: &Money) -> Result<(), CommandError> {
    if a.currency() == b.currency() {
        Ok(())
    } else {
        Err(CommandError::InvalidAmount(MoneyError::CurrencyMismatch {
            left: a.currency().code().into(),
            right: b.currency().code().into(),
        }))
    }
}

fn text(m: &Money) -> Result<String, CommandError> {
    amount_text(m).ok_or_else(|| CommandError::AmountNotAccepted {
        reason: alloc::format!("{m} is longer than 12 characters on the wire"),
    })
}

fn original_ref(o: &str) -> Result<String, CommandError> {
    if valid_order_no(o) {
        Ok(o.into())
    } else {
        Err(CommandError::InvalidReference {
            reference: o.into(),
            reason: "merchant_order_no is 1-32 ASCII letters or digits".into(),
        })
    }
}

/// Rebuilds a job in recovery from a persist record (spec §8.5).
pub(super) fn job_from_record(record: &PersistRecord) -> Result<Job, CommandError> {
    let invalid = |reason: &str| CommandError::InvalidRecord {
        reason: reason.into(),
    };
    let data = &record.data;
    let field = |k: &str| data.get(k).and_then(Value::as_str).map(String::from);
    let number = field("merchant_order_no")
        .filter(|n| valid_order_no(n))
        .ok_or_else(|| invalid("no valid merchant_order_no"))?;
    let request_id = field("request_id").unwrap_or_default();
    let currency = field("currency")
        .and_then(|c| Currency::from_code(&c).ok())
        .unwrap_or(Currency::USD);
    let kind = match field("kind").as_deref() {
        Some("tip_adjustment") => JobKind::TipAdjust,
        Some(code) => {
            JobKind::Order(TransType::from_code(code).ok_or_else(|| invalid("unknown trans_type"))?)
        }
        None => return Err(invalid("no kind")),
    };
    let topic = if kind == JobKind::TipAdjust {
        TOPIC_TIP_ADJUST
    } else {
        TOPIC_ORDER
    };
    let mut job = Job::new(
        record.txn,
        Some(record.operation.clone()),
        kind,
        topic,
        Some(number),
        request_id,
        currency,
        record.started_unix_ms,
    );
    job.amount = data
        .get("amount_minor")
        .and_then(Value::as_i64)
        .and_then(|m| Money::from_minor(m, currency).ok());
    if let Operation::TipAdjust { tip, .. } = &record.operation {
        job.tip = Some(*tip);
    }
    job.phase = Phase::Recovering(super::Step::WaitLink);
    Ok(job)
}

/// The references of a job, with what a response added.
pub(super) fn references(job: &Job, details: Option<&Details>) -> References {
    let mut refs = References {
        primary: job.number.clone(),
        ..References::default()
    };
    if !job.request_id.is_empty() {
        refs.other
            .insert("request_id".into(), job.request_id.clone());
    }
    if let Some(d) = details {
        for (k, v) in &d.references {
            if k != "entry_mode" && k != "card_type" && k != "trans_end_time" {
                refs.other.insert(k.clone(), v.clone());
            }
        }
    }
    refs
}

fn money(minor: Option<i64>, currency: Currency) -> Option<Money> {
    minor.and_then(|m| Money::from_minor(m, currency).ok())
}

/// An approval built from the response details.
pub(super) fn approved(job: &Job, d: &Details, message: Option<String>) -> Outcome {
    let currency = d
        .currency
        .as_deref()
        .and_then(|c| Currency::from_code(c).ok())
        .unwrap_or(job.currency);
    let amount = money(d.total_minor(), currency).or(job.amount);
    let tip = money(d.tip_minor, currency).or(job.tip);
    Outcome::Approved(Approval {
        amount: if job.kind == JobKind::TipAdjust {
            money(d.total_minor(), currency)
        } else {
            amount
        },
        tip,
        cashback: money(d.cashback_minor, currency),
        auth_code: d.auth_code.clone(),
        card: d.card.as_deref().map(MaskedCard::mask),
        references: references(job, Some(d)),
        message,
        ..Approval::default()
    })
}

/// A decline.
pub(super) fn declined(
    job: &Job,
    d: &Details,
    code: Option<String>,
    message: Option<String>,
) -> Outcome {
    Outcome::Declined(Decline {
        code,
        message,
        card: d.card.as_deref().map(MaskedCard::mask),
        references: references(job, Some(d)),
        ..Decline::default()
    })
}

/// A cancellation.
pub(super) fn cancelled(
    job: &Job,
    d: &Details,
    code: Option<String>,
    message: Option<String>,
) -> Outcome {
    // A success code here comes from a query or close that found the order closed.
    let code = code.filter(|c| !c.bytes().all(|b| b == b'0'));
    let by = if job.cancel_requested {
        CancelledBy::Pos
    } else if code.as_deref() == Some("107") {
        CancelledBy::Timeout
    } else if code.is_some() {
        CancelledBy::Terminal
    } else {
        CancelledBy::Unspecified
    };
    Outcome::Cancelled(Cancellation {
        by,
        code,
        message,
        references: references(job, Some(d)),
    })
}

/// A rejection: nothing was charged.
pub(super) fn rejected(
    job: &Job,
    reason: RejectReason,
    code: Option<String>,
    message: Option<String>,
) -> Outcome {
    Outcome::Rejected(Rejection {
        reason,
        code,
        message,
        references: references(job, None),
    })
}

/// An unknown outcome with everything needed to reconcile it.
pub(super) fn unknown(job: &Job, reason: UnknownReason) -> Outcome {
    let hint = job.number.as_ref().map(|n| {
        alloc::format!("look up merchant_order_no {n} on the terminal or in the CodePay portal")
    });
    Outcome::Unknown(Unresolved {
        reason,
        hint,
        amount: job.amount,
        references: references(job, None),
        evidence: job.evidence.clone(),
    })
}

/// Flattens `biz_data` into report fields.
pub(super) fn report_fields(biz: &Map<String, Value>) -> Vec<(String, String)> {
    biz.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// Returns the transaction a remembered request belongs to (late results).
pub(super) const fn txn_of(job: &Job) -> TxnId {
    job.txn
}
