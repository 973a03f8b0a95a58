//! The simulated terminal: outcomes by script or scenario, callbacks and their faults
//! (spec §12.3, §12.4).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{CallbackId, HttpRequest, Method, Scenario, SimTransmit, Timestamp, Truth};

use super::{CallbackEncoding, CallbackFault, InterpaySim, SimEvent, SimOutcome};
use crate::codec::{encode_json, encode_query, encode_tag_value};
use crate::message::{Fields, format_amt};

/// Where a simulated session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// The customer has not finished.
    Running,
    /// Finished with this CODE/TEXT.
    Done {
        code: String,
        text: String,
        approved: bool,
    },
}

/// One session in the simulated store.
#[derive(Clone, Debug)]
pub(super) struct SimSession {
    pub requestid: String,
    pub secureid: String,
    pub device: String,
    pub amount_minor: i64,
    pub refund: bool,
    pub inv: String,
    pub custemail: String,
    pub success: String,
    pub failure: String,
    pub planned: SimOutcome,
    pub drop_callback: bool,
    pub extra_copies: (u8, u64),
    pub faults: Vec<CallbackFault>,
    pub held: Option<HttpRequest>,
    pub state: State,
    pub captured: bool,
    pub reversed: bool,
    pub voided: bool,
    pub cancelled: bool,
    pub settled: bool,
    pub busy: bool,
    pub early_get_results: u8,
    pub auth: String,
    pub refnum: String,
    pub last4: String,
}

impl SimSession {
    pub(super) fn truth(&self) -> Truth {
        match &self.state {
            State::Running => Truth::Pending,
            State::Done { approved: true, .. } if self.voided || self.reversed => {
                Truth::NotProcessed
            }
            State::Done { approved: true, .. } => Truth::Approved,
            State::Done { code, .. } if code == "8509" => Truth::Declined,
            State::Done { code, .. } if code == "9005" => Truth::Cancelled,
            State::Done { .. } => Truth::NotProcessed,
        }
    }

    /// The result fields as callbacks and GetResult carry them.
    pub(super) fn result_fields(
        &self,
        code: &str,
        text: &str,
        approved: bool,
        amt_skew: bool,
    ) -> Fields {
        let amt = format_amt(self.amount_minor + i64::from(amt_skew));
        let mut f = Fields::new()
            .with("CODE", code)
            .with("TEXT", text)
            .with("AMT", amt.clone())
            .with("SECUREID", self.secureid.clone())
            .with("REQUESTID", self.requestid.clone())
            .with("INV", self.inv.clone());
        if approved && text == "APPROVED" {
            f.push("REFNUM", self.refnum.clone());
            f.push("AUTH", self.auth.clone());
            f.push("CARDTYPE", "V");
            f.push("CARDMASK", alloc::format!("****{}", self.last4));
            f.push("CUSTEMAIL", self.custemail.clone());
            f.push("ACK", if self.captured { "Y" } else { "N" });
            if self.refund {
                f.push("REFUND", "Y");
            }
            let kind = if self.refund { "REFUND" } else { "SALE" };
            f.push(
                "RECEIPTS[Customer]",
                alloc::format!(
                    "<C><B>{kind}</B></C><BR/><L>CARD</L><R>****{}</R><BR/><L>AUTH</L><R>{}</R><BR/><L>TOTAL</L><R>${amt}</R><BR/><C>CUSTOMER COPY</C>",
                    self.last4, self.auth
                ),
            );
            f.push(
                "RECEIPTS[Merchant]",
                alloc::format!(
                    "<C><B>{kind}</B></C><BR/><L>TOTAL</L><R>${amt}</R><BR/><C>MERCHANT COPY</C>"
                ),
            );
        } else {
            f.push("ACK", "N");
            f.push("RECEIPTS[Customer]", alloc::format!("<C>{text}</C>"));
        }
        f
    }
}

/// A scheduled simulator action.
#[derive(Clone, Debug)]
pub(super) enum Action {
    /// The terminal finishes session `idx`.
    Outcome(usize),
    /// Session `idx`'s customer timed out.
    CustomerTimeout(usize),
    /// Send a callback for session `idx` with CODE/TEXT.
    Callback {
        idx: usize,
        code: String,
        text: String,
    },
    /// Send this prepared callback request.
    Send {
        idx: usize,
        request: HttpRequest,
        attempt: u8,
    },
    /// Reverse an approval that was never acknowledged.
    Reverse(usize),
}

impl InterpaySim {
    /// Chooses the outcome of a new session: script first, then the scenario table.
    pub(super) fn plan(
        &mut self,
        device: &str,
        amount_minor: i64,
    ) -> (SimOutcome, Duration, bool, (u8, u64)) {
        let delay = Duration::from_millis(self.config.callback_delay_ms);
        if let Some(o) = self
            .scripts
            .get_mut(device)
            .and_then(alloc::collections::VecDeque::pop_front)
        {
            return (o, delay, false, (0, 0));
        }
        let fail = |code: &str, text: &str| SimOutcome::Fail {
            code: code.into(),
            text: text.into(),
        };
        let approve = SimOutcome::Approve { ack: true };
        match Scenario::from_minor_units(amount_minor) {
            Scenario::Decline => (fail("8509", "DECLINED"), delay, false, (0, 0)),
            Scenario::CancelledOnTerminal => (fail("9005", "CANCELLED"), delay, false, (0, 0)),
            Scenario::SlowCustomer => (approve, delay + Duration::from_secs(60), false, (0, 0)),
            Scenario::LostAfterApproval => (approve, delay, true, (0, 0)),
            Scenario::LostAfterDecline => (fail("8509", "DECLINED"), delay, true, (0, 0)),
            Scenario::Vendor(60) => (fail("8509", "INSUFFICIENT FUNDS"), delay, false, (0, 0)),
            Scenario::Vendor(61) => (SimOutcome::Approve { ack: false }, delay, false, (0, 0)),
            Scenario::Vendor(62) => (SimOutcome::Never, delay, false, (0, 0)),
            Scenario::Vendor(63) => (fail("8504", "DEVICE NOT RESPONDING"), delay, false, (0, 0)),
            Scenario::Vendor(64) => (approve, delay, false, (1, 1000)),
            _ => (approve, delay, false, (0, 0)),
        }
    }

    pub(super) fn run_action(&mut self, now: Timestamp, action: Action) {
        match action {
            Action::Outcome(idx) => self.outcome(now, idx),
            Action::CustomerTimeout(idx) => {
                if self
                    .sessions
                    .get(idx)
                    .is_some_and(|s| s.state == State::Running)
                {
                    self.finish(now, idx, "8514", "TIMED OUT", false);
                }
            }
            Action::Callback { idx, code, text } => self.send_callback(now, idx, &code, &text),
            Action::Send {
                idx,
                request,
                attempt,
            } => self.transmit_callback(idx, request, attempt),
            Action::Reverse(idx) => {
                if let Some(s) = self.sessions.get_mut(idx) {
                    if !s.captured && !s.voided {
                        s.reversed = true;
                    }
                }
            }
        }
    }

    fn outcome(&mut self, now: Timestamp, idx: usize) {
        let Some(s) = self.sessions.get(idx) else {
            return;
        };
        if s.state != State::Running {
            return;
        }
        match s.planned.clone() {
            SimOutcome::Approve { ack } => {
                if let Some(s) = self.sessions.get_mut(idx) {
                    s.captured = ack;
                }
                if !ack {
                    let at = now + Duration::from_secs(self.config.ack_window_secs);
                    self.schedule(at, Action::Reverse(idx));
                }
                self.finish(now, idx, "0000", "APPROVED", true);
            }
            SimOutcome::Fail { code, text } => self.finish(now, idx, &code, &text, false),
            SimOutcome::Never => {}
        }
    }

    /// Records the outcome and sends its callback (unless the plan drops it).
    pub(super) fn finish(
        &mut self,
        now: Timestamp,
        idx: usize,
        code: &str,
        text: &str,
        approved: bool,
    ) {
        let Some(s) = self.sessions.get_mut(idx) else {
            return;
        };
        s.state = State::Done {
            code: code.into(),
            text: text.into(),
            approved,
        };
        if s.drop_callback || s.faults.contains(&CallbackFault::Drop) {
            s.busy = false;
            return;
        }
        self.send_callback(now, idx, code, text);
    }

    /// Builds and sends (or schedules, per the faults) one callback.
    pub(super) fn send_callback(&mut self, now: Timestamp, idx: usize, code: &str, text: &str) {
        let Some(s) = self.sessions.get(idx) else {
            return;
        };
        let faults = s.faults.clone();
        let (n, spacing) = s.extra_copies;
        let skew = faults.contains(&CallbackFault::AmountSkew) && code == "0000";
        let fields = s.result_fields(
            code,
            text,
            s.truth() == Truth::Approved || code == "0000",
            skew,
        );
        let mut url = if code == "0000" && text != "VOIDED" {
            s.success.clone()
        } else {
            s.failure.clone()
        };
        if faults.contains(&CallbackFault::WrongToken) {
            let wrong = self
                .ids
                .from_alphabet(26, b"abcdefghijklmnopqrstuvwxyz234567");
            url = replace_token(&url, &wrong);
        }
        let request = self.encode_callback(&url, &fields);
        let mut at = now;
        for f in &faults {
            match *f {
                CallbackFault::Delay(ms) => at += Duration::from_millis(ms),
                CallbackFault::Duplicate { n, spacing_ms } => {
                    for k in 1..=u64::from(n) {
                        let when = at + Duration::from_millis(spacing_ms.saturating_mul(k));
                        self.schedule(
                            when,
                            Action::Send {
                                idx,
                                request: request.clone(),
                                attempt: 0,
                            },
                        );
                    }
                }
                _ => {}
            }
        }
        for k in 1..=u64::from(n) {
            let when = at + Duration::from_millis(spacing.saturating_mul(k));
            self.schedule(
                when,
                Action::Send {
                    idx,
                    request: request.clone(),
                    attempt: 0,
                },
            );
        }
        if let Some(s) = self.sessions.get_mut(idx) {
            if s.faults.contains(&CallbackFault::Reorder) && s.held.is_none() {
                s.held = Some(request);
                s.busy = false;
                let release = at + Duration::from_secs(30);
                let held = s.held.clone();
                if let Some(request) = held {
                    self.schedule(
                        release,
                        Action::Send {
                            idx,
                            request,
                            attempt: 0,
                        },
                    );
                }
                return;
            }
        }
        self.observed.push(SimEvent::CallbackSent {
            requestid: self
                .sessions
                .get(idx)
                .map(|s| s.requestid.clone())
                .unwrap_or_default(),
            code: code.into(),
        });
        if at > now {
            self.schedule(
                at,
                Action::Send {
                    idx,
                    request,
                    attempt: 0,
                },
            );
        } else {
            self.transmit_callback(idx, request, 0);
        }
    }

    fn transmit_callback(&mut self, idx: usize, request: HttpRequest, attempt: u8) {
        if let Some(s) = self.sessions.get_mut(idx) {
            s.busy = false;
            // A held (reordered) callback follows the one that overtook it.
            if let Some(held) = s.held.take().filter(|h| *h != request) {
                self.seq += 1;
                let id = CallbackId(self.seq);
                self.callbacks.insert(id, (idx, attempt, request.clone()));
                self.out.push_back(SimTransmit::Callback { id, request });
                self.seq += 1;
                let id2 = CallbackId(self.seq);
                self.callbacks.insert(id2, (idx, 0, held.clone()));
                self.out.push_back(SimTransmit::Callback {
                    id: id2,
                    request: held,
                });
                return;
            }
        }
        self.seq += 1;
        let id = CallbackId(self.seq);
        self.callbacks.insert(id, (idx, attempt, request.clone()));
        self.out.push_back(SimTransmit::Callback { id, request });
    }

    /// A callback was answered or failed: retry per `callback_retries` (spec §12.1).
    pub(super) fn callback_done(&mut self, now: Timestamp, id: CallbackId, delivered: bool) {
        let Some((idx, attempt, request)) = self.callbacks.remove(&id) else {
            return;
        };
        if delivered || attempt >= self.config.callback_retries {
            return;
        }
        let wait = match attempt {
            0 => 5,
            1 => 30,
            _ => 120,
        };
        self.schedule(
            now + Duration::from_secs(wait),
            Action::Send {
                idx,
                request,
                attempt: attempt + 1,
            },
        );
    }

    fn encode_callback(&self, url: &str, fields: &Fields) -> HttpRequest {
        match self.config.callback_encoding {
            CallbackEncoding::JsonPost => {
                let mut body = String::from(encode_json(fields).trim_end_matches('}'));
                // Receipts travel as an object in JSON callbacks (spec §5.3).
                body = strip_receipts_json(&body);
                let customer = fields.get("RECEIPTS[Customer]");
                let merchant = fields.get("RECEIPTS[Merchant]");
                let mut receipts = Fields::new();
                if let Some(c) = customer {
                    receipts.push("Customer", c);
                }
                if let Some(m) = merchant {
                    receipts.push("Merchant", m);
                }
                body.push_str(",\"RECEIPTS\":");
                body.push_str(&encode_json(&receipts));
                body.push('}');
                HttpRequest::new(Method::Post, url)
                    .header("Content-Type", "application/json")
                    .body(body.into_bytes())
            }
            CallbackEncoding::FormPost => HttpRequest::new(Method::Post, url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(encode_query(fields).into_bytes()),
            CallbackEncoding::QueryGet => HttpRequest::new(
                Method::Get,
                alloc::format!("{url}?{}", encode_query(fields)),
            ),
            CallbackEncoding::TagValuePost => HttpRequest::new(Method::Post, url)
                .header("Content-Type", "text/plain")
                .body(encode_tag_value(fields).into_bytes()),
        }
    }
}

/// Removes the flat `RECEIPTS[...]` members from an unterminated JSON object text.
fn strip_receipts_json(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(i) = rest.find(",\"RECEIPTS[") {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        // Skip `"name":"value"` honouring escapes.
        let mut quotes = 0;
        let mut escaped = false;
        let mut end = after.len();
        for (j, c) in after.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                '"' => {
                    quotes += 1;
                    if quotes == 4 {
                        end = j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = after.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Replaces the token path segment (the one before `/ok` or `/fail`) of a callback URL.
fn replace_token(url: &str, wrong: &str) -> String {
    let (head, tail) = match url.rsplit_once('/') {
        Some((h, t)) if t == "ok" || t == "fail" => (h, alloc::format!("/{t}")),
        _ => (url.trim_end_matches('/'), String::new()),
    };
    match head.rsplit_once('/') {
        Some((base, _)) => alloc::format!("{base}/{wrong}{tail}"),
        None => url.into(),
    }
}
