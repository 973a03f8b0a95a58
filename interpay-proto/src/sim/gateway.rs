//! The simulated gateway: request parsing, the check table, GetResult, Ack and cancel
//! (spec §12.2, §12.5).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{HttpRequest, HttpResponse, Timestamp};

use super::terminal::{Action, SimSession, State};
use super::{CancelRace, DeviceState, InterpaySim, SimEvent};
use crate::codec::{decode_form, decode_json, encode_json, encode_tag_value};
use crate::message::{Fields, parse_amt, valid_custemail, valid_inv, valid_requestid};

/// A reply before its envelope's DATE/TIME/DUR are added.
type Reply = (Fields, bool);

impl InterpaySim {
    /// Answers one HTTP request to any gateway base or to the cancel path.
    pub(super) fn handle_request(&mut self, now: Timestamp, request: &HttpRequest) -> HttpResponse {
        if request.path().contains("/TERMPAY/cancel") {
            let f = request.query().map(decode_form).unwrap_or_default();
            let secureid = f.get("SecureID").unwrap_or("").to_string();
            let reply = self.cancel(now, &secureid);
            return self.respond(now, reply.0, true);
        }
        let json_body = request
            .headers
            .get("content-type")
            .is_some_and(|c| c.contains("json"))
            || request.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let mut fields = if request.body.is_empty() {
            Fields::new()
        } else if json_body {
            match decode_json(&request.body) {
                Ok(f) => f,
                Err(_) => return self.respond(now, envelope("8511", "FORMAT ERROR"), true),
            }
        } else {
            decode_form(&String::from_utf8_lossy(&request.body))
        };
        if let Some(q) = request.query() {
            for (n, v) in decode_form(q).iter() {
                fields.fill(n, v);
            }
        }
        let json = json_body || fields.flag("JSON");
        let host = origin(&request.url);
        let reply = self.gateway(now, &fields, &host);
        self.respond(now, reply.0, json || reply.1)
    }

    fn gateway(&mut self, now: Timestamp, f: &Fields, host: &str) -> Reply {
        if request_method_ok(f).is_err() {
            return (envelope("8511", "FORMAT ERROR"), false);
        }
        let termid = f.text("TERMID").unwrap_or("").to_string();
        let Some(account) = self.config.accounts.get(&termid).cloned() else {
            return (envelope("1001", "INVALID TERMID"), false);
        };
        if !account.enabled {
            return (envelope("1001", "DISABLED TERMID"), false);
        }
        if f.get("PASS") != Some(account.pass.as_str()) {
            return (envelope("9128", "INVALID PASSWORD"), false);
        }
        match f.text("ACTION").unwrap_or("") {
            "StartSession" => (self.start_session(now, f, &termid, &account, host), false),
            "GetResult" => (self.get_result(now, f), false),
            "Ack" => (self.ack(f), false),
            _ => (envelope("9010", "INVALID ACTION"), false),
        }
    }

    #[allow(clippy::too_many_lines)] // the check table of spec §12.2, in order
    fn start_session(
        &mut self,
        now: Timestamp,
        f: &Fields,
        termid: &str,
        account: &super::Account,
        host: &str,
    ) -> Fields {
        let requestid = f.text("REQUESTID").unwrap_or("").to_string();
        let reply = |me: &mut Self, code: &str, text: &str| {
            me.observed.push(SimEvent::StartServed {
                requestid: requestid.clone(),
                code: code.into(),
            });
            envelope(code, text)
        };
        if f.get("SECUREID").is_some() {
            return reply(self, "9001", "SECUREID NOT ALLOWED");
        }
        if requestid.is_empty() {
            return reply(self, "9011", "MISSING REQUESTID");
        }
        if !valid_requestid(&requestid) {
            return reply(self, "9012", "INVALID REQUESTID");
        }
        let amt = f.text("AMT").unwrap_or("");
        let Some(amount_minor) = parse_amt(amt) else {
            return reply(self, "9024", "INVALID AMT FORMAT");
        };
        if amount_minor <= 0 || amount_minor > self.config.max_amount_minor {
            return reply(self, "9025", "AMT NOT ALLOWED");
        }
        let custemail = f.text("CUSTEMAIL").unwrap_or("").to_string();
        if !valid_custemail(&custemail) {
            return reply(self, "9014", "INVALID OR MISSING CUST EMAIL");
        }
        let device = f.text("DEVICEID").unwrap_or("").to_string();
        let inv = f.text("INV").map(ToString::to_string);
        let lang_ok = f.get("LANG").is_none_or(|l| matches!(l, "E" | "F"));
        let desc_ok = f.get("DESC").is_none_or(|d| d.chars().count() <= 60);
        let flags_ok = ["REFUND", "NOTERMPRINT", "JSON"]
            .iter()
            .all(|n| f.get(n).is_none_or(|v| matches!(v, "Y" | "y" | "N" | "")));
        let urls: Vec<String> = ["SUCCESSURL", "FAILUREURL"]
            .iter()
            .filter_map(|n| f.text(n).map(ToString::to_string))
            .collect();
        let url_ok = |u: &String| {
            u.starts_with("https://") || (self.config.allow_http_urls && u.starts_with("http://"))
        };
        if device.is_empty()
            || inv.as_deref().is_some_and(|i| !valid_inv(i))
            || !lang_ok
            || !desc_ok
            || !flags_ok
            || !urls.iter().all(url_ok)
        {
            return reply(self, "8511", "FORMAT ERROR");
        }
        if !urls.is_empty() && !account.dynamic_urls {
            return reply(self, "9001", "CANNOT OVERRIDE URLS");
        }
        if urls.is_empty() && account.default_urls.is_none() {
            return reply(self, "8507", "GATEWAY CONFIGURATION ERROR");
        }
        let key = (termid.to_string(), requestid.clone());
        if self.used.contains(&key) {
            return reply(self, "9012", "DUPLICATE REQUESTID");
        }
        self.used.insert(key);
        let refund = f.flag("REFUND");
        let refused = match account.devices.get(&device) {
            None => Some(("8501", "DEVICE NOT FOUND")),
            Some(DeviceState::Unsupported) => Some(("8502", "DEVICE NOT SUPPORTED")),
            Some(DeviceState::Misconfigured) => Some(("8510", "TERMINAL CONFIGURATION ERROR")),
            Some(_) if f.get("USERFEE").is_some() || account.fee_configured => {
                Some(("8503", "FEE NOT ALLOWED"))
            }
            Some(_) if refund && !account.refund_allowed => Some(("8508", "NOT ALLOWED")),
            Some(DeviceState::Offline) => Some(("8512", "TERMINAL NOT CONNECTED")),
            Some(DeviceState::NotResponding) => Some(("8504", "DEVICE NOT RESPONDING")),
            Some(DeviceState::Online) => None,
        };
        let busy = self.sessions.iter().any(|s| s.device == device && s.busy)
            || pos_core::Scenario::from_minor_units(amount_minor) == pos_core::Scenario::Busy;
        let refused = refused.or(busy.then_some(("8505", "TERMINAL BUSY")));
        if let Some((code, text)) = refused {
            self.rejected.insert(requestid.clone());
            return reply(self, code, text);
        }
        let (default_success, default_failure) = account.default_urls.clone().unwrap_or_default();
        let success = f
            .text("SUCCESSURL")
            .map_or(default_success, ToString::to_string);
        let failure = f
            .text("FAILUREURL")
            .map_or(default_failure, ToString::to_string);
        let (planned, delay, drop_callback, extra_copies) = self.plan(&device, amount_minor);
        let secureid = self
            .ids
            .from_alphabet(24, b"abcdefghijklmnopqrstuvwxyz0123456789");
        let session = SimSession {
            requestid: requestid.clone(),
            secureid: secureid.clone(),
            device,
            amount_minor,
            refund,
            inv: inv.unwrap_or_else(|| requestid.clone()),
            custemail,
            success: if success.is_empty() {
                failure.clone()
            } else {
                success.clone()
            },
            failure: if failure.is_empty() { success } else { failure },
            planned,
            drop_callback,
            extra_copies,
            faults: core::mem::take(&mut self.next_faults),
            held: None,
            state: State::Running,
            captured: false,
            reversed: false,
            voided: false,
            cancelled: false,
            settled: false,
            busy: true,
            early_get_results: 0,
            auth: self.ids.upper_alnum(6),
            refnum: alloc::format!("{}{}", 1 + self.ids.below(9), self.ids.digits(9)),
            last4: self.ids.digits(4),
        };
        let idx = self.sessions.len();
        self.sessions.push(session);
        self.schedule(now + delay, Action::Outcome(idx));
        let timeout = now + Duration::from_secs(self.config.customer_timeout_secs);
        self.schedule(timeout, Action::CustomerTimeout(idx));
        let mut out = reply(self, "0000", "SUCCESS");
        out.push("SECUREID", secureid.clone());
        out.push(
            "CANCELURL",
            alloc::format!("{host}api/TERMPAY/cancel/?SecureID={secureid}"),
        );
        out.push("HOST", host);
        out
    }

    fn get_result(&mut self, now: Timestamp, f: &Fields) -> Fields {
        let secureid = f.text("SECUREID").unwrap_or("").to_string();
        let ack = f.flag("ACK");
        let out = self.get_result_inner(now, &secureid, ack);
        self.observed.push(SimEvent::GetResultServed {
            secureid,
            code: out.get("CODE").unwrap_or("").into(),
        });
        out
    }

    fn get_result_inner(&mut self, now: Timestamp, secureid: &str, ack: bool) -> Fields {
        let Some(idx) = self.find(secureid) else {
            return envelope("9006", "INVALID SECUREID");
        };
        let Some(s) = self.sessions.get_mut(idx) else {
            return envelope("9006", "INVALID SECUREID");
        };
        match s.state.clone() {
            State::Running => {
                s.early_get_results += 1;
                if s.early_get_results == 1 {
                    envelope("9015", "NO RESULT - DO NOT POLL")
                } else {
                    let _ = self.cancel(now, secureid);
                    envelope("9015", "CANCELLED SEQ")
                }
            }
            State::Done {
                code,
                text,
                approved,
            } => {
                if approved && ack && !s.reversed && !s.voided {
                    s.captured = true;
                }
                let (code, text) = if s.voided {
                    (self.config.void_code.clone(), "VOIDED".into())
                } else if s.reversed {
                    ("9008".into(), "REVERSED".into())
                } else {
                    (code, text)
                };
                let mut out = envelope(&code, &text);
                let full = s.result_fields(&code, &text, approved, false);
                for name in [
                    "SECUREID",
                    "AMT",
                    "REQUESTID",
                    "REFNUM",
                    "AUTH",
                    "CARDTYPE",
                    "CARDMASK",
                    "ACK",
                ] {
                    if let Some(v) = full.get(name) {
                        out.push(name, v);
                    }
                }
                out
            }
        }
    }

    fn ack(&mut self, f: &Fields) -> Fields {
        let secureid = f.text("SECUREID").unwrap_or("").to_string();
        let out = match self.find(&secureid).and_then(|i| self.sessions.get_mut(i)) {
            None => envelope("9006", "INVALID SECUREID"),
            Some(s) => match &s.state {
                State::Done { approved: true, .. } if s.reversed => envelope("9008", "REVERSED"),
                State::Done { approved: true, .. } if !s.voided => {
                    s.captured = true;
                    envelope("0000", "CAPTURED")
                }
                _ => envelope("9007", "NOT APPROVED"),
            },
        };
        self.observed.push(SimEvent::AckServed {
            secureid,
            code: out.get("CODE").unwrap_or("").into(),
        });
        out
    }

    /// Cancels or voids a session (spec §12.5); public for steering through the cancel path.
    pub(super) fn cancel(&mut self, now: Timestamp, secureid: &str) -> Reply {
        let race = self.config.cancel_race;
        let void_code = self.config.void_code.clone();
        let Some(idx) = self.find(secureid) else {
            return (envelope("8506", "NOT FOUND"), true);
        };
        let due_soon = self.actions.iter().any(|((at, _), a)| {
            matches!(a, Action::Outcome(i) if *i == idx) && *at <= now + Duration::from_secs(1)
        });
        let Some(s) = self.sessions.get_mut(idx) else {
            return (envelope("8506", "NOT FOUND"), true);
        };
        let text = match s.state.clone() {
            _ if s.cancelled => "CANCELLED",
            _ if s.voided => "VOIDED",
            State::Running if race == CancelRace::ApproveThenVoid && due_soon => {
                s.captured = true;
                self.finish(now, idx, "0000", "APPROVED", true);
                if let Some(s) = self.sessions.get_mut(idx) {
                    s.voided = true;
                }
                self.schedule_void_callback(now, idx, &void_code);
                "VOIDED"
            }
            State::Running => {
                s.cancelled = true;
                s.busy = false;
                s.state = State::Done {
                    code: "9005".into(),
                    text: "CANCELLED".into(),
                    approved: false,
                };
                self.schedule(
                    now + Duration::from_secs(1),
                    Action::Callback {
                        idx,
                        code: "9005".into(),
                        text: "CANCELLED".into(),
                    },
                );
                "CANCELLED"
            }
            State::Done { approved: true, .. } if !s.settled && !s.reversed => {
                s.voided = true;
                self.schedule_void_callback(now, idx, &void_code);
                "VOIDED"
            }
            State::Done { .. } => {
                self.observed.push(SimEvent::CancelServed {
                    secureid: secureid.into(),
                    text: "NOT ALLOWED".into(),
                });
                return (envelope("8508", "NOT ALLOWED"), true);
            }
        };
        self.observed.push(SimEvent::CancelServed {
            secureid: secureid.into(),
            text: text.into(),
        });
        (envelope("0000", text), true)
    }

    fn schedule_void_callback(&mut self, now: Timestamp, idx: usize, code: &str) {
        self.schedule(
            now + Duration::from_secs(1),
            Action::Callback {
                idx,
                code: code.into(),
                text: "VOIDED".into(),
            },
        );
    }

    fn find(&self, secureid: &str) -> Option<usize> {
        if secureid.is_empty() {
            return None;
        }
        self.sessions.iter().position(|s| s.secureid == secureid)
    }

    fn respond(&self, now: Timestamp, mut fields: Fields, json: bool) -> HttpResponse {
        let civil = self.wall.civil(now, self.config.utc_offset_minutes);
        fields.push(
            "DATE",
            alloc::format!("{:04}-{:02}-{:02}", civil.year, civil.month, civil.day),
        );
        fields.push(
            "TIME",
            alloc::format!("{:02}:{:02}:{:02}", civil.hour, civil.minute, civil.second),
        );
        fields.push("DUR", "0.050");
        if json {
            HttpResponse::json(200, encode_json(&fields).into_bytes())
        } else {
            HttpResponse::new(200)
                .header("Content-Type", "text/plain")
                .body(encode_tag_value(&fields).into_bytes())
        }
    }
}

fn envelope(code: &str, text: &str) -> Fields {
    Fields::new().with("TEXT", text).with("CODE", code)
}

/// Check 1: TYPE must be `W`.
fn request_method_ok(f: &Fields) -> Result<(), ()> {
    if f.text("TYPE") == Some("W") {
        Ok(())
    } else {
        Err(())
    }
}

/// Returns `scheme://authority/` of an absolute URL.
fn origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split('/').next().unwrap_or(rest);
            alloc::format!("{scheme}://{authority}/")
        }
        None => "/".into(),
    }
}
