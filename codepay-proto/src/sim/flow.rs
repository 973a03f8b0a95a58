//! The simulator's behaviour: topics (spec §13.4, §13.5) and the card flow on simulated
//! time.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{SimTransmit, Timestamp, Truth};
use serde_json::{Map, Value};

use super::store::Record;
use super::validate::{self, OrderReq};
use super::{Behaviour, CloseOrderResponse, CodepaySim, SimEvent};
use crate::message::{
    Envelope, TOPIC_BATCH_CLOSE, TOPIC_CLOSE, TOPIC_GET_INFO, TOPIC_HEARTBEAT, TOPIC_INIT,
    TOPIC_ORDER, TOPIC_PAY_INIT, TOPIC_QUERY, TOPIC_TIP_ADJUST, bool_field,
};

/// The order in the card flow; the terminal is busy until it ends.
#[derive(Clone, Debug)]
pub(super) struct Running {
    number: String,
    request_id: Option<String>,
    app_id: String,
    behaviour: Behaviour,
    confirm_until: Option<Timestamp>,
    flow_started: Timestamp,
    flow_len: Duration,
    expires_at: Timestamp,
}

impl Running {
    /// Returns when the order next changes.
    pub(super) fn next_at(&self) -> Timestamp {
        let step = self
            .confirm_until
            .unwrap_or(self.flow_started + self.flow_len);
        step.min(self.expires_at)
    }
}

/// Work the simulator finishes later.
#[derive(Clone, Debug)]
pub(super) enum Delayed {
    /// A reply held back by the delay fault.
    Reply(String),
    /// A tip adjustment after the host delay.
    Tip {
        head: Head,
        target: String,
        tip_minor: i64,
    },
    /// A batch close after the host delay.
    BatchClose { head: Head },
}

/// The envelope fields a reply echoes.
#[derive(Clone, Debug)]
pub(super) struct Head {
    pub(super) topic: String,
    pub(super) app_id: String,
    pub(super) request_id: Option<String>,
}

impl CodepaySim {
    pub(super) fn on_message(&mut self, now: Timestamp, bytes: &[u8]) {
        let env = match Envelope::parse(bytes) {
            Ok(env) => env,
            Err(e) => {
                let detail = alloc::format!("{e}");
                self.events.push_back(SimEvent::ProtocolError { detail });
                return;
            }
        };
        if env.topic.as_deref() == Some(TOPIC_HEARTBEAT) {
            return;
        }
        let head = Head {
            topic: env.topic.clone().unwrap_or_default(),
            app_id: env.app_id.clone().unwrap_or_default(),
            request_id: env.request_id.clone(),
        };
        if let Err(refusal) = validate::envelope(&env, &self.config, self.running.is_some()) {
            self.refuse(now, &head, &env, refusal);
            return;
        }
        match head.topic.as_str() {
            TOPIC_ORDER => match validate::order(&env, &self.config, &self.store) {
                Ok(req) => self.accept_order(now, head, &env, req),
                Err(refusal) => self.refuse(now, &head, &env, refusal),
            },
            TOPIC_QUERY => self.on_query(now, &head, &env),
            TOPIC_CLOSE => self.on_close(now, &head, &env),
            TOPIC_TIP_ADJUST => match validate::tip(&env, &self.config, &self.store) {
                Ok(req) => {
                    if let Some(id) = &head.request_id {
                        self.tips.insert(id.clone(), Truth::Pending);
                    }
                    let at = now + ms(self.config.host_delay_ms);
                    let delayed = Delayed::Tip {
                        head,
                        target: req.target,
                        tip_minor: req.tip_minor,
                    };
                    self.pending.push((at, delayed));
                }
                Err(refusal) => self.refuse(now, &head, &env, refusal),
            },
            TOPIC_BATCH_CLOSE => {
                let at = now + ms(self.config.host_delay_ms);
                self.pending.push((at, Delayed::BatchClose { head }));
            }
            TOPIC_INIT | TOPIC_PAY_INIT => {
                if let Some(c) = bool_field(&env.biz, "confirm_on_terminal") {
                    self.init_confirm = Some(c);
                }
                let biz = self.init_biz();
                let code = self.config.success_code.clone();
                self.respond(now, &head, &code, "", Some(biz), None);
            }
            TOPIC_GET_INFO => {
                let device: Map<String, Value> = self
                    .config
                    .device_data
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                let code = self.config.success_code.clone();
                self.respond(now, &head, &code, "", Some(Map::new()), Some(device));
            }
            _ => {}
        }
    }

    pub(super) fn on_timeout(&mut self, now: Timestamp) {
        if let (Some(at), Some(every)) = (self.heartbeat_at, self.config.faults.heartbeat_every_ms)
        {
            if at <= now && self.connected {
                self.out
                    .push_back(SimTransmit::Text(r#"{"topic":"ecrhub.heartbeat"}"#.into()));
                self.heartbeat_at = Some(now + ms(every.max(1)));
            }
        }
        let due: Vec<Delayed> = {
            let (due, keep): (Vec<_>, Vec<_>) = core::mem::take(&mut self.pending)
                .into_iter()
                .partition(|(at, _)| *at <= now);
            self.pending = keep;
            due.into_iter().map(|(_, d)| d).collect()
        };
        for d in due {
            self.on_delayed(now, d);
        }
        let Some(run) = self.running.as_mut() else {
            return;
        };
        if let Some(until) = run.confirm_until.filter(|u| *u <= now) {
            run.confirm_until = None;
            run.flow_started = until;
            let number = run.number.clone();
            if let Some(r) = self.store.get_mut(&number) {
                r.status = "0";
            }
        }
        let Some(run) = self.running.as_ref() else {
            return;
        };
        if run.confirm_until.is_some() {
            if run.expires_at <= now {
                self.cancel_running(now, "107", "Transaction timeout");
            }
            return;
        }
        let done_at = run.flow_started + run.flow_len;
        if run.expires_at <= now && run.expires_at < done_at {
            self.cancel_running(now, "107", "Transaction timeout");
        } else if done_at <= now {
            self.complete(now);
        }
    }

    /// Ends the running order without payment and answers it with `code`.
    pub(super) fn cancel_running(&mut self, now: Timestamp, code: &str, msg: &str) -> bool {
        let Some(run) = self.running.take() else {
            return false;
        };
        self.fail(&run.number, code);
        let head = run.head();
        let biz = self.failure_biz(&run.number, code);
        self.respond(now, &head, code, msg, biz, None);
        true
    }

    // ----- orders ---------------------------------------------------------------------------

    fn accept_order(&mut self, now: Timestamp, head: Head, env: &Envelope, req: OrderReq) {
        let mut fields = alloc::collections::BTreeMap::new();
        for key in [
            "trans_type",
            "merchant_order_no",
            "orig_merchant_order_no",
            "order_amount",
            "tip_amount",
            "tax_amount",
            "cashback_amount",
            "pay_scenario",
            "pay_method_id",
            "card_type",
            "attach",
            "description",
        ] {
            if let Some(v) = env.biz_text(key) {
                fields.insert(String::from(key), v);
            }
        }
        fields.insert("price_currency".into(), self.config.currency.clone());
        let record = Record {
            trans_type: req.trans_type.clone(),
            status: "9",
            order_minor: req.order_minor,
            tip_minor: req.tip_minor,
            cashback_minor: req.cashback_minor,
            orig: req.orig.clone(),
            refunded_minor: 0,
            settled: false,
            failure: None,
            fields,
        };
        let behaviour = self.scripted.pop_front().unwrap_or_else(|| {
            if self.config.magic_amounts && req.order_minor > 0 {
                Behaviour::from_minor_units(req.order_minor)
            } else {
                Behaviour::Approve
            }
        });
        if behaviour == Behaviour::Busy {
            // As if another transaction ran (§13.3 row 4): refused, no record.
            let mut biz = Map::new();
            biz.insert("merchant_order_no".into(), Value::String(req.number));
            biz.insert("trans_type".into(), Value::String(req.trans_type));
            self.respond(
                now,
                &head,
                "101",
                "Transaction in progress, try later",
                Some(biz),
                None,
            );
            return;
        }
        self.store.insert(req.number.clone(), record);
        self.events.push_back(SimEvent::OrderAccepted {
            merchant_order_no: req.number.clone(),
        });
        let host = matches!(req.trans_type.as_str(), "2" | "6")
            || (req.trans_type == "3" && req.orig.is_some());
        let flow_len = if host {
            ms(self.config.host_delay_ms)
        } else if behaviour == Behaviour::SlowCustomer {
            pos_core::sim::SLOW_CUSTOMER_DELAY
        } else {
            ms(self.config.card_delay_ms)
        };
        let confirm = req.confirm.or(self.init_confirm).unwrap_or(false);
        let confirm_until = confirm.then(|| now + ms(self.config.confirm_delay_ms));
        if !confirm {
            if let Some(r) = self.store.get_mut(&req.number) {
                r.status = "0";
            }
        }
        self.running = Some(Running {
            number: req.number,
            request_id: head.request_id,
            app_id: head.app_id,
            behaviour,
            confirm_until,
            flow_started: now,
            flow_len,
            expires_at: now + Duration::from_secs(req.expires_secs),
        });
    }

    fn complete(&mut self, now: Timestamp) {
        let Some(run) = self.running.take() else {
            return;
        };
        let head = run.head();
        let n = run.number.as_str();
        match run.behaviour {
            Behaviour::Approve | Behaviour::Signature | Behaviour::SlowCustomer => {
                self.approve(now, n);
                let biz = self.record_biz(n);
                let code = self.config.success_code.clone();
                self.respond(now, &head, &code, "", biz, None);
            }
            Behaviour::Decline => self.fail_and_answer(now, &head, n, "106", "Transaction failed"),
            Behaviour::CancelOnTerminal => {
                self.fail_and_answer(now, &head, n, "110", "Operator cancellation");
            }
            Behaviour::ReadCardTimeout => {
                self.fail_and_answer(now, &head, n, "111", "Read card timeout");
            }
            Behaviour::LoseApproval => self.approve(now, n),
            Behaviour::LoseDecline => self.fail(n, "106"),
            Behaviour::ApproveAnswerUnknown => {
                self.approve(now, n);
                let biz = self.failure_biz(n, "108").map(|mut b| {
                    b.remove("trans_status");
                    b
                });
                self.respond(now, &head, "108", "Transaction result unknown", biz, None);
            }
            Behaviour::ApproveThenDisconnect => {
                self.approve(now, n);
                if self.connected {
                    self.out.push_back(SimTransmit::Close);
                }
            }
            Behaviour::Busy => {}
        }
    }

    fn fail_and_answer(
        &mut self,
        now: Timestamp,
        head: &Head,
        number: &str,
        code: &str,
        msg: &str,
    ) {
        self.fail(number, code);
        let biz = self.failure_biz(number, code);
        self.respond(now, head, code, msg, biz, None);
    }

    fn fail(&mut self, number: &str, code: &str) {
        if let Some(r) = self.store.get_mut(number) {
            r.status = "1";
            r.failure = Some(code.into());
        }
    }

    fn approve(&mut self, now: Timestamp, number: &str) {
        let trans_no = alloc::format!("73100000{}", self.ids.digits(14));
        let card = alloc::format!("400000******{}", self.ids.digits(4));
        let auth = self.ids.upper_alnum(6);
        let ref_no = self.ids.digits(12);
        let method_pick =
            usize::try_from(self.ids.below(self.config.pay_methods.len().max(1) as u64))
                .unwrap_or(0);
        let method = self
            .config
            .pay_methods
            .get(method_pick)
            .cloned()
            .unwrap_or_else(|| "Visa".into());
        let end = self.wall.civil(now, 0).to_string().replace('T', " ");
        let Some(r) = self.store.get_mut(number) else {
            return;
        };
        r.status = "2";
        let (kind, orig, amount) = (r.trans_type.clone(), r.orig.clone(), r.order_minor);
        for (k, v) in [
            ("trans_no", trans_no),
            ("card_no", card),
            ("auth_code", auth),
            ("ref_no", ref_no),
            ("entry_mode", "2".into()),
            ("card_type", "2".into()),
            ("trans_end_time", end),
        ] {
            r.fields.insert(k.into(), v);
        }
        r.fields.entry("pay_method_id".into()).or_insert(method);
        let Some(o) = orig.and_then(|o| self.store.get_mut(&o)) else {
            return;
        };
        match kind.as_str() {
            "2" => o.status = "3",
            "3" => o.refunded_minor = o.refunded_minor.saturating_add(amount),
            "6" => o.status = "4",
            _ => {}
        }
    }

    // ----- other topics ---------------------------------------------------------------------

    fn on_query(&mut self, now: Timestamp, head: &Head, env: &Envelope) {
        let Some(target) = env
            .order_no()
            .or_else(|| env.biz_text("orig_merchant_order_no"))
        else {
            self.refuse(now, head, env, ("202", "Transaction parameter error"));
            return;
        };
        match self.store.get(&target) {
            Some(r) => {
                // A declined record answers with its decline code, so that the POS can tell a
                // decline from a cancellation (interpretation of spec §7.1's query column).
                let code = match r.failure.as_deref() {
                    Some(c @ ("106" | "111" | "112" | "115")) if r.status == "1" => String::from(c),
                    _ => self.config.success_code.clone(),
                };
                let biz = self.record_biz(&target);
                self.respond(now, head, &code, "", biz, None);
            }
            None => {
                let mut biz = Map::new();
                biz.insert("merchant_order_no".into(), Value::String(target));
                self.respond(
                    now,
                    head,
                    "104",
                    "Transaction does not exist",
                    Some(biz),
                    None,
                );
            }
        }
    }

    fn on_close(&mut self, now: Timestamp, head: &Head, env: &Envelope) {
        let running = self.running.as_ref().map(|r| r.number.clone());
        let target = env
            .order_no()
            .or_else(|| env.biz_text("orig_merchant_order_no"))
            .or_else(|| running.clone());
        let Some(target) = target else {
            self.respond(now, head, "104", "Transaction does not exist", None, None);
            return;
        };
        if running.as_deref() == Some(target.as_str()) {
            let closable = self.running.as_ref().is_some_and(|r| {
                r.confirm_until.is_some()
                    || now.saturating_duration_since(r.flow_started)
                        <= ms(self.config.close_window_ms)
            });
            if !closable {
                self.respond(
                    now,
                    head,
                    "201",
                    "Failed to close the transaction",
                    self.number_biz(&target),
                    None,
                );
                return;
            }
            let Some(run) = self.running.take() else {
                return;
            };
            self.fail(&target, "102");
            let order_head = run.head();
            let order_biz = self.failure_biz(&target, "102");
            let code = self.config.success_code.clone();
            let close_biz = self.failure_biz(&target, "000");
            match self.config.close_order_response {
                CloseOrderResponse::After => {
                    self.respond(now, head, &code, "", close_biz, None);
                    self.respond(
                        now,
                        &order_head,
                        "102",
                        "Transaction cancelled",
                        order_biz,
                        None,
                    );
                }
                CloseOrderResponse::Before => {
                    self.respond(
                        now,
                        &order_head,
                        "102",
                        "Transaction cancelled",
                        order_biz,
                        None,
                    );
                    self.respond(now, head, &code, "", close_biz, None);
                }
                CloseOrderResponse::None => self.respond(now, head, &code, "", close_biz, None),
            }
            return;
        }
        let biz = self.number_biz(&target);
        match self.store.get(&target).map(|r| r.status) {
            Some("2" | "4") => self.respond(now, head, "103", "Transaction successful", biz, None),
            Some("1") => {
                let code = self.config.success_code.clone();
                self.respond(now, head, &code, "", biz, None);
            }
            Some(_) => self.respond(
                now,
                head,
                "201",
                "Failed to close the transaction",
                biz,
                None,
            ),
            None => self.respond(now, head, "104", "Transaction does not exist", biz, None),
        }
    }

    fn on_delayed(&mut self, now: Timestamp, d: Delayed) {
        match d {
            Delayed::Reply(text) => self.push_out(text),
            Delayed::Tip {
                head,
                target,
                tip_minor,
            } => {
                let currency = validate::terminal_currency(&self.config);
                if let Some(r) = self.store.get_mut(&target) {
                    r.tip_minor = tip_minor;
                    if let Ok(m) = pos_core::Money::from_minor(tip_minor, currency) {
                        r.fields.insert("tip_amount".into(), m.to_major_string());
                    }
                }
                if let Some(id) = &head.request_id {
                    self.tips.insert(id.clone(), Truth::Approved);
                }
                let biz = self.record_biz(&target);
                let code = self.config.success_code.clone();
                self.respond(now, &head, &code, "", biz, None);
            }
            Delayed::BatchClose { head } => {
                for r in self.store.values_mut() {
                    if matches!(r.status, "2" | "4") {
                        r.settled = true;
                    }
                }
                self.batch_no = self.batch_no.saturating_add(1);
                let biz: Map<String, Value> = self
                    .config
                    .batch_close_extra
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                let code = self.config.success_code.clone();
                self.respond(now, &head, &code, "", Some(biz), None);
            }
        }
    }

    fn init_biz(&self) -> Map<String, Value> {
        let methods: Vec<Value> = self
            .config
            .pay_methods
            .iter()
            .map(|m| {
                serde_json::json!({
                    "pay_method_id": m,
                    "pay_method_name": m,
                    "supported_trans_type_list": ["1", "2", "3", "4", "6", "11"],
                })
            })
            .collect();
        let mut biz = Map::new();
        biz.insert(
            "pay_method_category_list".into(),
            serde_json::json!([{"pay_method_category": "BANKCARD", "pay_method_list": methods}]),
        );
        biz
    }
}

impl Running {
    fn head(&self) -> Head {
        Head {
            topic: TOPIC_ORDER.into(),
            app_id: self.app_id.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

pub(super) const fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}
