//! The simulator's replies: response envelopes and the transport faults of spec §13.6.

use alloc::string::{String, ToString};

use pos_core::{SimTransmit, Timestamp, Truth};
use serde_json::{Map, Value};

use super::CodepaySim;
use super::flow::{Delayed, Head, ms};
use super::validate::Refusal;
use crate::message::{Envelope, TOPIC_TIP_ADJUST};

impl CodepaySim {
    // ----- replies --------------------------------------------------------------------------

    pub(super) fn refuse(
        &mut self,
        now: Timestamp,
        head: &Head,
        env: &Envelope,
        (code, msg): Refusal,
    ) {
        if head.topic == TOPIC_TIP_ADJUST {
            if let Some(id) = &head.request_id {
                self.tips.insert(id.clone(), Truth::NotProcessed);
            }
        }
        let mut biz = Map::new();
        for key in ["merchant_order_no", "trans_type"] {
            if let Some(v) = env.biz_text(key) {
                biz.insert(key.into(), Value::String(v));
            }
        }
        self.respond(now, head, code, msg, Some(biz), None);
    }

    pub(super) fn record_biz(&self, number: &str) -> Option<Map<String, Value>> {
        let r = self.store.get(number)?;
        let mut biz: Map<String, Value> = r
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        biz.insert("trans_status".into(), Value::String(r.status.into()));
        Some(biz)
    }

    pub(super) fn failure_biz(&self, number: &str, code: &str) -> Option<Map<String, Value>> {
        if self.config.faults.empty_biz_on_cancel && matches!(code, "102" | "110") {
            return None;
        }
        let r = self.store.get(number)?;
        let mut biz = Map::new();
        biz.insert("merchant_order_no".into(), Value::String(number.into()));
        biz.insert("trans_type".into(), Value::String(r.trans_type.clone()));
        biz.insert("trans_status".into(), Value::String(r.status.into()));
        Some(biz)
    }

    pub(super) fn number_biz(&self, number: &str) -> Option<Map<String, Value>> {
        let mut biz = Map::new();
        biz.insert("merchant_order_no".into(), Value::String(number.into()));
        if let Some(r) = self.store.get(number) {
            biz.insert("trans_status".into(), Value::String(r.status.into()));
        }
        Some(biz)
    }

    /// Builds a response and sends it through the transport faults.
    pub(super) fn respond(
        &mut self,
        now: Timestamp,
        head: &Head,
        code: &str,
        msg: &str,
        biz: Option<Map<String, Value>>,
        device: Option<Map<String, Value>>,
    ) {
        let f = self.config.faults.clone();
        let mut obj = Map::new();
        obj.insert("topic".into(), Value::String(head.topic.clone()));
        obj.insert("app_id".into(), Value::String(head.app_id.clone()));
        if let Some(id) = head.request_id.as_ref().filter(|_| !f.omit_request_id) {
            obj.insert("request_id".into(), Value::String(id.clone()));
        }
        obj.insert("response_code".into(), Value::String(code.into()));
        obj.insert("response_msg".into(), Value::String(msg.into()));
        let biz_value = match biz {
            Some(mut b) => {
                if f.numbers_as_json {
                    for key in [
                        "trans_status",
                        "order_amount",
                        "tip_amount",
                        "cashback_amount",
                    ] {
                        let num = b
                            .get(key)
                            .and_then(Value::as_str)
                            .and_then(|s| serde_json::from_str::<Value>(s).ok())
                            .filter(Value::is_number);
                        if let Some(n) = num {
                            b.insert(key.into(), n);
                        }
                    }
                }
                if f.unknown_keys {
                    b.insert("x_sim_extra".into(), serde_json::json!({"nested": [1, 2]}));
                }
                Value::Object(b)
            }
            None if f.empty_biz_on_cancel => Value::String(String::new()),
            None => Value::Object(Map::new()),
        };
        obj.insert("biz_data".into(), biz_value);
        if let Some(d) = device {
            obj.insert("device_data".into(), Value::Object(d));
        }
        if f.unknown_keys {
            obj.insert("x_sim_trace".into(), Value::String("sim".into()));
        }
        let text = Value::Object(obj).to_string();
        self.reply(now, text);
    }

    pub(super) fn reply(&mut self, now: Timestamp, text: String) {
        if !self.connected {
            if self.config.redeliver_on_reconnect {
                self.held.push(text);
            }
            return;
        }
        let f = self.config.faults.clone();
        if self.roll(f.disconnect_instead) {
            self.out.push_back(SimTransmit::Close);
            return;
        }
        if self.roll(f.drop_response) {
            return;
        }
        let twice = self.roll(f.duplicate_response);
        if f.delay_response_ms > 0 {
            let at = now + ms(f.delay_response_ms);
            self.pending.push((at, Delayed::Reply(text.clone())));
            if twice {
                self.pending.push((at, Delayed::Reply(text)));
            }
            return;
        }
        if twice {
            self.push_out(text.clone());
        }
        self.push_out(text);
    }

    pub(super) fn push_out(&mut self, text: String) {
        if !self.connected {
            if self.config.redeliver_on_reconnect {
                self.held.push(text);
            }
            return;
        }
        if self.config.faults.binary_replies {
            self.out.push_back(SimTransmit::Binary(text.into_bytes()));
        } else {
            self.out.push_back(SimTransmit::Text(text));
        }
    }

    pub(super) fn roll(&mut self, per_mille: u16) -> bool {
        per_mille > 0 && self.dice.below(1000) < u64::from(per_mille)
    }
}
