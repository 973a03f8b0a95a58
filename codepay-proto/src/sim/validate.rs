//! The validation table of spec §13.3, in order; the first failure is answered with its code.

use alloc::collections::BTreeMap;
use alloc::string::String;

use pos_core::Currency;

use super::config::SimConfig;
use super::store::Record;
use crate::codec::{MAX_AMOUNT_CHARS, parse_amount};
use crate::message::{
    Envelope, TOPIC_BATCH_CLOSE, TOPIC_CLOSE, TOPIC_GET_INFO, TOPIC_HEARTBEAT, TOPIC_INIT,
    TOPIC_ORDER, TOPIC_PAY_INIT, TOPIC_QUERY, TOPIC_TIP_ADJUST, bool_field, valid_order_no,
};

/// A refusal: the code and message to answer with.
pub(super) type Refusal = (&'static str, &'static str);

/// An order that passed validation.
#[derive(Clone, Debug)]
pub(super) struct OrderReq {
    pub(super) trans_type: String,
    pub(super) number: String,
    pub(super) order_minor: i64,
    pub(super) tip_minor: i64,
    pub(super) cashback_minor: i64,
    pub(super) orig: Option<String>,
    pub(super) confirm: Option<bool>,
    pub(super) expires_secs: u64,
}

/// A tip adjustment that passed validation.
#[derive(Clone, Debug)]
pub(super) struct TipReq {
    pub(super) target: String,
    pub(super) tip_minor: i64,
}

const PARAM: Refusal = ("202", "Transaction parameter error");

/// Checks rows 2–4 for every topic.
pub(super) fn envelope(env: &Envelope, config: &SimConfig, busy: bool) -> Result<(), Refusal> {
    let known = [
        TOPIC_ORDER,
        TOPIC_QUERY,
        TOPIC_CLOSE,
        TOPIC_TIP_ADJUST,
        TOPIC_BATCH_CLOSE,
        TOPIC_INIT,
        TOPIC_PAY_INIT,
        TOPIC_GET_INFO,
        TOPIC_HEARTBEAT,
    ];
    let topic = env.topic.as_deref().ok_or(PARAM)?;
    if !known.contains(&topic) {
        return Err(PARAM);
    }
    let app_ok = match (&env.app_id, &config.app_id) {
        (None, _) => false,
        (Some(got), Some(want)) => got == want,
        (Some(_), None) => true,
    };
    if !app_ok {
        return Err(PARAM);
    }
    let guarded = [
        TOPIC_ORDER,
        TOPIC_TIP_ADJUST,
        TOPIC_BATCH_CLOSE,
        TOPIC_INIT,
        TOPIC_PAY_INIT,
    ];
    if busy && guarded.contains(&topic) {
        return Err(("101", "Transaction in progress, try later"));
    }
    Ok(())
}

/// Checks rows 5–19 for `ecrhub.pay.order`.
pub(super) fn order(
    env: &Envelope,
    config: &SimConfig,
    store: &BTreeMap<String, Record>,
) -> Result<OrderReq, Refusal> {
    let currency = terminal_currency(config);
    let trans_type = env.biz_text("trans_type").ok_or(PARAM)?;
    if !matches!(trans_type.as_str(), "1" | "2" | "3" | "4" | "6" | "11") {
        return Err(("114", "Unsupported transaction type"));
    }
    let number = env.order_no().filter(|n| valid_order_no(n)).ok_or(PARAM)?;
    if store.contains_key(&number) {
        return Err(("113", "Duplicate merchant order number"));
    }
    let scenario = env.biz_text("pay_scenario");
    match scenario.as_deref() {
        None | Some("SWIPE_CARD") => {}
        Some("SCANQR_PAY" | "BSCANQR_PAY") => {
            if env.biz_text("pay_method_id").is_none() {
                return Err(PARAM);
            }
        }
        Some(_) => return Err(("117", "Unsupported payment scenario")),
    }
    let is_void = trans_type == "2";
    let order_text = env.biz_text("order_amount");
    if order_text.is_none() && !is_void {
        return Err(PARAM);
    }
    let cash_text = env.biz_text("cashback_amount");
    if trans_type == "11" && cash_text.is_none() {
        return Err(PARAM);
    }
    let order_minor = amount(order_text.as_deref(), currency)?;
    let tip_minor = amount(env.biz_text("tip_amount").as_deref(), currency)?;
    amount(env.biz_text("tax_amount").as_deref(), currency)?;
    let cashback_minor = amount(cash_text.as_deref(), currency)?;
    let max = parse_amount(&config.max_amount, currency).map_or(i64::MAX, |m| m.minor_units());
    if !is_void && (order_minor <= 0 || order_minor > max) {
        return Err(("120", "Amount out of limit"));
    }
    if trans_type == "11" && cashback_minor <= 0 {
        return Err(("120", "Amount out of limit"));
    }
    if let Some(c) = env.biz_text("price_currency") {
        if !c.eq_ignore_ascii_case(currency.code()) {
            return Err(PARAM);
        }
    }
    let orig = env.biz_text("orig_merchant_order_no");
    let needs_orig = matches!(trans_type.as_str(), "2" | "6")
        || (trans_type == "3" && !config.allow_unreferenced_refund);
    if needs_orig && orig.is_none() {
        return Err(PARAM);
    }
    if let Some(o) = &orig {
        if matches!(trans_type.as_str(), "2" | "3" | "6") {
            let original = store.get(o).ok_or(("104", "Transaction does not exist"))?;
            original_rules(&trans_type, original, order_minor)?;
        }
    }
    let expires_secs = env
        .biz_text("expires")
        .and_then(|e| e.parse::<u64>().ok())
        .filter(|e| *e > 0)
        .unwrap_or(config.default_expires_secs);
    Ok(OrderReq {
        trans_type,
        number,
        order_minor,
        tip_minor,
        cashback_minor,
        orig,
        confirm: bool_field(&env.biz, "confirm_on_terminal"),
        expires_secs,
    })
}

/// Rows 16–19: what the original allows.
fn original_rules(trans_type: &str, original: &Record, amount_minor: i64) -> Result<(), Refusal> {
    let charged = matches!(original.trans_type.as_str(), "1" | "4" | "6" | "11");
    match trans_type {
        "2" => {
            if original.settled || original.status != "2" || !charged {
                return Err(("119", "Cannot void"));
            }
            if original.refunded_minor > 0 {
                return Err(("105", "Transaction refunded"));
            }
        }
        "3" => {
            let remaining = original
                .total_minor()
                .saturating_sub(original.refunded_minor);
            if original.refunded_minor > 0 && remaining <= 0 {
                return Err(("105", "Transaction refunded"));
            }
            if !matches!(original.status, "2" | "4") || amount_minor > remaining {
                return Err(("120", "Amount out of limit"));
            }
        }
        "6" => {
            if original.trans_type != "4" || original.status != "2" {
                return Err(("106", "Transaction failed"));
            }
            if amount_minor > original.order_minor {
                return Err(("120", "Amount out of limit"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks the rows that apply to `ecrhub.pay.tip.adjustment`.
pub(super) fn tip(
    env: &Envelope,
    config: &SimConfig,
    store: &BTreeMap<String, Record>,
) -> Result<TipReq, Refusal> {
    let currency = terminal_currency(config);
    let target = env.order_no().filter(|n| valid_order_no(n)).ok_or(PARAM)?;
    let text = env.biz_text("tip_adjustment_amount").ok_or(PARAM)?;
    let tip_minor = amount(Some(&text), currency)?;
    let record = store
        .get(&target)
        .ok_or(("104", "Transaction does not exist"))?;
    if !matches!(record.trans_type.as_str(), "1" | "6" | "11")
        || record.status != "2"
        || record.settled
    {
        return Err(("106", "Transaction failed"));
    }
    Ok(TipReq { target, tip_minor })
}

/// Returns the configured terminal currency (USD when the code is unknown).
pub(super) fn terminal_currency(config: &SimConfig) -> Currency {
    Currency::from_code(&config.currency).unwrap_or(Currency::USD)
}

/// Row 11: a present amount must be well-formed; absent is 0.
fn amount(text: Option<&str>, currency: Currency) -> Result<i64, Refusal> {
    let Some(t) = text else { return Ok(0) };
    if t.len() > MAX_AMOUNT_CHARS {
        return Err(("121", "Incorrect amount format"));
    }
    parse_amount(t, currency)
        .map(|m| m.minor_units())
        .ok_or(("121", "Incorrect amount format"))
}
