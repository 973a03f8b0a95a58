//! The Connect cloud and its PDQs as a sans-IO simulator (spec §14).
//!
//! Every HTTP request gets exactly one response at once; terminals progress as a function of
//! simulated time along the scenario timelines of [`pos_core::Scenario`] (cents 51–57 shared,
//! 60–67 Connect-only: 60 PDQ silent after approval, 61 after decline, 62 offline
//! mid-transaction, 63 CNP keyed, 64 cashback adjusted, 65 tip, 66 paper out, 67 noisy).

mod ledger;
mod timeline;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use base64::Engine as _;
use pos_core::{
    HttpRequest, HttpResponse, IdGen, Method, References, Scenario, SimInput, SimTransmit,
    Simulator, Timestamp, Truth, WallClock,
};
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::machine::ACCEPT_V2;
use crate::message::{
    ReceiptLine, ReceiptLines, ReportType, ResultType, Terminal, TerminalStatus, Transaction,
    TransactionRequest, TransactionResult, TransactionType, WireCurrency,
};
use ledger::{Ledger, SimReport};
use timeline::{Final, Timeline};

/// How the simulator enforces Connect's 0.1 s request gap (§14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RateLimit {
    /// A request within 100 ms of the previous one gets 429 with `Retry-After: 1`.
    Reject,
    /// No limit.
    Off,
}

/// One simulated PDQ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimTerminal {
    /// The terminal id.
    pub tid: String,
    /// `GBP` or `EUR`.
    pub currency: String,
    /// Connected to Connect.
    pub online: bool,
    /// An Ingenico PDQ (pre-auth, completion, duplicate and reports).
    pub ingenico: bool,
    /// Runs software that supports cashback.
    pub cashback_supported: bool,
}

/// The simulator's settings; `Default` matches [`crate::Config::default`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// `scheme://host` used in `location` URIs.
    pub base_url: String,
    /// The API keys accepted as the Basic password.
    pub api_keys: Vec<String>,
    /// When set, the Software-House-Id and Installer-Id that must be sent.
    pub expected_partner_ids: Option<(String, String)>,
    /// Answers an `Accept` other than v2 with 406.
    pub strict_accept: bool,
    /// The rate limit mode.
    pub rate_limit: RateLimit,
    /// The terminals.
    pub terminals: Vec<SimTerminal>,
    /// How long a report takes.
    pub report_delay_ms: u64,
    /// A signature PUT without an open prompt gets 422 (as in v1) instead of 202.
    pub v1_signature_semantics: bool,
    /// How long results stay lost after the finish in the "result lost" scenarios.
    pub lost_result_window_ms: u64,
    /// How long the terminal stays busy with another EPoS after the busy scenario.
    pub busy_for_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            base_url: "https://sim.test.connect.paymentsense.cloud".into(),
            api_keys: alloc::vec!["sim-api-key".into()],
            expected_partner_ids: None,
            strict_accept: true,
            rate_limit: RateLimit::Reject,
            terminals: alloc::vec![SimTerminal {
                tid: "40917263".into(),
                currency: "GBP".into(),
                online: true,
                ingenico: true,
                cashback_supported: true,
            }],
            report_delay_ms: 5_000,
            v1_signature_semantics: false,
            lost_result_window_ms: 30_000,
            busy_for_ms: 30_000,
        }
    }
}

/// One request the simulator answered, for conformance tests and debugging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: String,
    /// The request body.
    pub request_body: Vec<u8>,
    /// The status answered.
    pub status: u16,
    /// The response body.
    pub response_body: Vec<u8>,
    /// Which endpoint of §3 matched (`E1`…`E8`), if any.
    pub endpoint: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct SimTxn {
    id: String,
    tid: String,
    request: TransactionRequest,
    scenario: Scenario,
    tl: Timeline,
    auth_code: String,
    transaction_id: String,
    transaction_number: String,
    gratuity: i64,
    cashback_applied: i64,
    duplicate_of: Option<Box<Transaction>>,
    signature_answered: bool,
}

use alloc::boxed::Box;

#[derive(Clone, Debug)]
struct TermState {
    cfg: SimTerminal,
    busy_until: Option<Timestamp>,
}

/// The simulated Connect cloud; see the module docs.
pub struct ConnectSim {
    cfg: SimConfig,
    ids: IdGen,
    wall: WallClock,
    now: Timestamp,
    terminals: Vec<TermState>,
    txns: BTreeMap<String, SimTxn>,
    order: Vec<String>,
    reports: BTreeMap<String, SimReport>,
    ledger: Ledger,
    last_request: Option<Timestamp>,
    out: VecDeque<SimTransmit>,
    exchanges: Vec<Exchange>,
    next_scenario: Option<Scenario>,
    txn_counter: u32,
    injected: Option<(u16, u32)>,
}

impl core::fmt::Debug for ConnectSim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConnectSim")
            .field("txns", &self.txns.len())
            .finish_non_exhaustive()
    }
}

impl ConnectSim {
    /// Builds a simulator.
    #[must_use]
    pub fn new(config: SimConfig, ids: IdGen, wall: WallClock) -> Self {
        let terminals = config
            .terminals
            .iter()
            .map(|t| TermState {
                cfg: t.clone(),
                busy_until: None,
            })
            .collect();
        Self {
            cfg: config,
            ids,
            wall,
            now: Timestamp::ZERO,
            terminals,
            txns: BTreeMap::new(),
            order: Vec::new(),
            reports: BTreeMap::new(),
            ledger: Ledger::default(),
            last_request: None,
            out: VecDeque::new(),
            exchanges: Vec::new(),
            next_scenario: None,
            txn_counter: 0,
            injected: None,
        }
    }

    /// Plays `scenario` for the next transaction instead of the one its amount picks.
    pub fn force_next_scenario(&mut self, scenario: Scenario) {
        self.next_scenario = Some(scenario);
    }

    /// Answers the next `count` requests with `status` before any effect (a 500, 503 or
    /// 429 fault of §14).
    pub fn inject_status(&mut self, status: u16, count: u32) {
        self.injected = Some((status, count));
    }

    /// Takes a terminal offline or brings it back (an offline terminal answers 404).
    pub fn set_online(&mut self, tid: &str, online: bool) {
        for t in &mut self.terminals {
            if t.cfg.tid == tid {
                t.cfg.online = online;
            }
        }
    }

    /// Marks a terminal busy with another EPoS until `until`.
    pub fn set_busy_until(&mut self, tid: &str, until: Timestamp) {
        for t in &mut self.terminals {
            if t.cfg.tid == tid {
                t.busy_until = Some(until);
            }
        }
    }

    /// Presses cancel on the PDQ now: an unfinished transaction ends `CANCELLED`.
    pub fn cancel_on_pdq(&mut self, request_id: &str, now: Timestamp) {
        if let Some(t) = self.txns.get_mut(request_id) {
            if t.tl.finished(now).is_none() {
                t.tl.cut_after(now);
                t.tl.finish_at(now, Final::not_charged(TransactionResult::Cancelled, None));
            }
        }
    }

    /// Returns every request answered so far, in order.
    #[must_use]
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// Returns the request ids of every transaction, oldest first.
    #[must_use]
    pub fn transaction_ids(&self) -> &[String] {
        &self.order
    }

    /// Returns the money actually moved, in minor units: `(charged, refunded)` per request id.
    #[must_use]
    pub fn ledger(&self) -> Vec<(String, i64, i64)> {
        self.order
            .iter()
            .filter_map(|id| self.txns.get(id))
            .filter_map(|t| {
                let fin = t.tl.finished(self.now)?;
                if !fin.charged {
                    return None;
                }
                let total = self.amount_total(t);
                let refund = t.request.transaction_type == TransactionType::Refund;
                Some((
                    t.id.clone(),
                    if refund { 0 } else { total },
                    if refund { total } else { 0 },
                ))
            })
            .collect()
    }

    fn truth_of(&self, id: &str) -> Option<Truth> {
        let t = self.txns.get(id)?;
        Some(match t.tl.finished(self.now) {
            None => Truth::Pending,
            Some(f) if f.charged => Truth::Approved,
            Some(f) => match f.result {
                TransactionResult::Cancelled => Truth::Cancelled,
                TransactionResult::TimedOut => Truth::NotProcessed,
                _ => Truth::Declined,
            },
        })
    }

    fn respond(
        &mut self,
        now: Timestamp,
        req: &HttpRequest,
    ) -> (HttpResponse, Option<&'static str>) {
        // 1. rate limit
        let too_soon = self
            .last_request
            .is_some_and(|last| now < last + Duration::from_millis(100));
        self.last_request = Some(now);
        if too_soon && self.cfg.rate_limit == RateLimit::Reject {
            return (
                error(429, "Too many requests: wait 0.1 seconds between requests")
                    .header("Retry-After", "1"),
                None,
            );
        }
        if let Some((status, count)) = self.injected.take() {
            if count > 1 {
                self.injected = Some((status, count - 1));
            }
            return (error(status, "Injected failure"), None);
        }
        // 2. auth
        if !self.authorised(req) {
            return (error(401, "Invalid credentials"), None);
        }
        // 3. headers
        let sw = req.headers.get("Software-House-Id").unwrap_or("");
        let inst = req.headers.get("Installer-Id").unwrap_or("");
        if sw.is_empty() || inst.is_empty() {
            return (
                error(422, "Software-House-Id and Installer-Id are required"),
                None,
            );
        }
        if let Some((esw, einst)) = &self.cfg.expected_partner_ids {
            if sw != esw || inst != einst {
                return (
                    error(422, "Unknown Software-House-Id or Installer-Id"),
                    None,
                );
            }
        }
        if self.cfg.strict_accept && req.headers.get("Accept").map(str::trim) != Some(ACCEPT_V2) {
            return (
                error(406, "Accept must be application/connect.v2+json"),
                None,
            );
        }
        // 4. routing
        let path = String::from(req.path());
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let route = match segs.as_slice() {
            ["pac", "terminals"] => Some(("E1", Method::Get)),
            ["pac", "terminals", _] => Some(("E2", Method::Get)),
            ["pac", "terminals", _, "transactions"] => Some(("E3", Method::Post)),
            ["pac", "terminals", _, "transactions", _] => Some(if req.method == Method::Delete {
                ("E5", Method::Delete)
            } else {
                ("E4", Method::Get)
            }),
            ["pac", "terminals", _, "transactions", _, "signature"] => Some(("E6", Method::Put)),
            ["pac", "terminals", _, "reports"] => Some(("E7", Method::Post)),
            ["pac", "terminals", _, "reports", _] => Some(("E8", Method::Get)),
            _ => None,
        };
        let Some((endpoint, method)) = route else {
            return (error(404, "Not found"), None);
        };
        if method != req.method {
            return (HttpResponse::new(405), Some(endpoint));
        }
        let tid = segs
            .get(2)
            .map(|s| pos_core::http::percent_decode(s))
            .unwrap_or_default();
        let id = segs
            .get(4)
            .map(|s| pos_core::http::percent_decode(s))
            .unwrap_or_default();
        let resp = match endpoint {
            "E1" => self.list_terminals(req),
            "E2" => self.get_terminal(now, &tid),
            "E3" => self.post_transaction(now, &tid, &req.body),
            "E4" => self.get_transaction(now, &tid, &id),
            "E5" => self.delete_transaction(now, &tid, &id),
            "E6" => self.put_signature(now, &tid, &id, &req.body),
            "E7" => self.post_report(now, &tid, &req.body),
            _ => self.get_report(now, &tid, &id),
        };
        (resp, Some(endpoint))
    }

    fn authorised(&self, req: &HttpRequest) -> bool {
        let Some(value) = req.headers.get("Authorization") else {
            return false;
        };
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
            return false;
        };
        let Ok(text) = core::str::from_utf8(&decoded) else {
            return false;
        };
        let Some((_, password)) = text.split_once(':') else {
            return false;
        };
        self.cfg.api_keys.iter().any(|k| k == password)
    }

    fn terminal(&self, tid: &str) -> Option<&TermState> {
        self.terminals.iter().find(|t| t.cfg.tid == tid)
    }

    /// Returns `None` when the terminal is unknown or offline now.
    fn online_terminal(&self, now: Timestamp, tid: &str) -> Option<&TermState> {
        let t = self.terminal(tid)?;
        let offline_txn = self
            .txns
            .values()
            .any(|x| x.tid == tid && x.tl.offline.is_some_and(|(a, b)| now >= a && now < b));
        (t.cfg.online && !offline_txn).then_some(t)
    }

    fn is_busy(&self, now: Timestamp, tid: &str) -> bool {
        let phantom = self
            .terminal(tid)
            .and_then(|t| t.busy_until)
            .is_some_and(|u| now < u);
        let txn = self
            .txns
            .values()
            .any(|t| t.tid == tid && t.tl.finished(now).is_none());
        let report = self
            .reports
            .values()
            .any(|r| r.tid == tid && !r.finished(now));
        phantom || txn || report
    }

    fn terminal_json(&self, now: Timestamp, t: &TermState) -> Terminal {
        Terminal {
            tid: t.cfg.tid.clone(),
            status: if self.is_busy(now, &t.cfg.tid) {
                TerminalStatus::Busy
            } else {
                TerminalStatus::Available
            },
            currency: WireCurrency::parse(&t.cfg.currency),
            location: format!("{}/pac/terminals/{}", self.cfg.base_url, t.cfg.tid),
        }
    }

    fn list_terminals(&self, req: &HttpRequest) -> HttpResponse {
        let now = self.now;
        let query = req.query().unwrap_or("");
        let want = |key: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        };
        let terminals: Vec<Terminal> = self
            .terminals
            .iter()
            .filter(|t| self.online_terminal(now, &t.cfg.tid).is_some())
            .map(|t| self.terminal_json(now, t))
            .filter(|t| want("status").is_none_or(|s| t.status.as_str() == s))
            .filter(|t| want("currency").is_none_or(|c| t.currency.as_str() == c))
            .collect();
        json(200, &crate::message::TerminalList { terminals })
    }

    fn get_terminal(&self, now: Timestamp, tid: &str) -> HttpResponse {
        match self.online_terminal(now, tid) {
            Some(t) => json(200, &self.terminal_json(now, t)),
            None => offline(),
        }
    }

    fn post_transaction(&mut self, now: Timestamp, tid: &str, body: &[u8]) -> HttpResponse {
        let Some(term) = self.online_terminal(now, tid).cloned() else {
            return offline();
        };
        let request = match validate_request(body) {
            Ok(r) => r,
            Err(msg) => return error(422, &msg),
        };
        let scenario = self
            .next_scenario
            .take()
            .unwrap_or_else(|| Scenario::from_minor_units(request.amount.unwrap_or(0)));
        if scenario == Scenario::Busy {
            self.set_busy_until(tid, now + Duration::from_millis(self.cfg.busy_for_ms));
            return error(422, "Terminal is busy");
        }
        if self.is_busy(now, tid) {
            return error(422, "Terminal is busy");
        }
        if let Some(c) = &request.currency {
            if c.as_str() != term.cfg.currency {
                return error(422, "currency does not match the terminal's currency");
            }
        }
        if request.amount_cashback.is_some_and(|c| c > 0) && !term.cfg.cashback_supported {
            return error(422, "amountCashback is not supported by this terminal");
        }
        let ingenico_only = matches!(
            request.transaction_type,
            TransactionType::PreAuth | TransactionType::Completion | TransactionType::Duplicate
        );
        if ingenico_only && !term.cfg.ingenico {
            return error(422, "transactionType is not supported by this terminal");
        }
        let id = self.ids.uuid_v4();
        let kind = result_type(&request.transaction_type);
        let cnp = request.cardholder_not_present == Some(true);
        let mut tl = timeline::build(now, scenario, cnp, kind);
        let mut duplicate_of = None;
        if request.transaction_type == TransactionType::Duplicate {
            tl = Timeline::default();
            tl.push(now, "TRANSACTION_STARTED");
            let last = self
                .order
                .iter()
                .rev()
                .filter_map(|i| self.txns.get(i))
                .find(|t| t.tl.finished(now).is_some() && t.duplicate_of.is_none())
                .map(|t| self.transaction_value(t, now));
            let fin = match &last {
                Some(t) => {
                    let mut f = Final::not_charged(
                        t.transaction_result
                            .clone()
                            .unwrap_or(TransactionResult::Unsuccessful),
                        t.transaction_type.clone(),
                    );
                    f.cvm.clone_from(&t.cvm);
                    f.method.clone_from(&t.payment_method);
                    f
                }
                None => Final::not_charged(TransactionResult::Unsuccessful, None),
            };
            duplicate_of = last.map(Box::new);
            tl.finish_at(now + Duration::from_millis(1_000), fin);
        }
        let amount = request.amount.unwrap_or(0);
        let gratuity = if scenario == Scenario::Vendor(65) {
            (amount / 10).max(1)
        } else {
            0
        };
        let cashback_applied = if scenario == Scenario::Vendor(64) {
            0
        } else {
            request.amount_cashback.unwrap_or(0)
        };
        self.txn_counter += 1;
        let txn = SimTxn {
            id: id.clone(),
            tid: tid.into(),
            request,
            scenario,
            tl,
            auth_code: self.ids.upper_alnum(6),
            transaction_id: self.ids.digits(12),
            transaction_number: format!("{:04}", self.txn_counter),
            gratuity,
            cashback_applied,
            duplicate_of,
            signature_answered: false,
        };
        self.txns.insert(id.clone(), txn);
        self.order.push(id.clone());
        json(
            201,
            &crate::message::RequestLocation {
                location: format!(
                    "{}/pac/terminals/{tid}/transactions/{id}",
                    self.cfg.base_url
                ),
                request_id: id,
            },
        )
    }

    fn get_transaction(&self, now: Timestamp, tid: &str, id: &str) -> HttpResponse {
        if self.online_terminal(now, tid).is_none() {
            return offline();
        }
        let Some(t) = self.txns.get(id).filter(|t| t.tid == tid) else {
            return error(404, "Transaction not found");
        };
        if let Some((at, _)) = &t.tl.finish {
            if *at <= now {
                if now > *at + Duration::from_secs(12 * 3600) {
                    return error(404, "Transaction not found");
                }
                let lost_until = *at + Duration::from_millis(self.cfg.lost_result_window_ms);
                if t.tl.lose_after_finish && now < lost_until {
                    return HttpResponse::new(500);
                }
            }
        }
        let value = self.transaction_value(t, now);
        let mut v = codec::transaction_to_value(&value);
        if t.scenario == Scenario::Vendor(67) && t.tl.finished(now).is_some() {
            if let serde_json::Value::Object(m) = &mut v {
                if let Some(cvm) = m.remove("cardHolderVerificationMethod") {
                    m.insert("cardholderVerificationMethod".into(), cvm);
                }
                if let Some(base) = m.get("amountBase").and_then(serde_json::Value::as_i64) {
                    m.insert("amountBase".into(), format!("{base}").into());
                }
            }
            return HttpResponse::new(200)
                .header("Content-Type", "text/plain")
                .body(codec::encode(&v));
        }
        HttpResponse::new(200)
            .header("Content-Type", ACCEPT_V2)
            .body(codec::encode(&v))
    }

    fn amount_total(&self, t: &SimTxn) -> i64 {
        t.request.amount.unwrap_or(0) + t.cashback_applied + t.gratuity
    }

    fn transaction_value(&self, t: &SimTxn, now: Timestamp) -> Transaction {
        let mut out = Transaction {
            request_id: Some(t.id.clone()),
            location: Some(format!(
                "{}/pac/terminals/{}/transactions/{}",
                self.cfg.base_url, t.tid, t.id
            )),
            notifications: t.tl.visible(now),
            ..Transaction::default()
        };
        let Some(fin) = t.tl.finished(now) else {
            return out;
        };
        if let Some(d) = &t.duplicate_of {
            let mut copy = (**d).clone();
            copy.request_id = out.request_id;
            copy.location = out.location;
            copy.notifications = out.notifications;
            return copy;
        }
        let empty = || Some(String::new());
        out.transaction_result = Some(fin.result.clone());
        out.transaction_type.clone_from(&fin.kind);
        out.user_message.clone_from(&fin.user_message);
        out.cvm.clone_from(&fin.cvm);
        out.payment_method.clone_from(&fin.method);
        out.currency = t.request.currency.clone();
        let card_read = fin.method.is_some();
        let base = t.request.amount.unwrap_or(0);
        out.amount_base = Some(base);
        out.amount_cashback = Some(if fin.charged { t.cashback_applied } else { 0 });
        out.amount_gratuity = Some(if fin.charged { t.gratuity } else { 0 });
        out.amount_total = Some(if fin.charged {
            self.amount_total(t)
        } else {
            base
        });
        out.auth_code = if fin.charged {
            Some(t.auth_code.clone())
        } else {
            empty()
        };
        out.transaction_id = Some(t.transaction_id.clone());
        out.transaction_number = Some(t.transaction_number.clone());
        let card = |s: &str| {
            if card_read {
                Some(String::from(s))
            } else {
                empty()
            }
        };
        out.card_scheme_name = card("VISA");
        out.application_label = card("VISA CREDIT");
        out.application_id = card("A0000000031010");
        out.primary_account_number = card("************0119");
        out.primary_account_number_sequence = card("01");
        out.date_of_expiry = card("12/29");
        out.date_of_start = empty();
        let c = self.wall.civil(now, 0);
        out.transaction_time = Some(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        ));
        if card_read {
            let line = |v: &str| ReceiptLine {
                value: v.into(),
                kind: None,
                format: Vec::new(),
            };
            let verdict = if fin.charged {
                "APPROVED"
            } else {
                fin.result.as_str()
            };
            let total = format!("TOTAL GBP {}", out.amount_total.unwrap_or(0));
            out.receipt_lines = Some(ReceiptLines {
                merchant: Some(alloc::vec![
                    line("MERCHANT COPY"),
                    line(&total),
                    line(verdict)
                ]),
                customer: Some(alloc::vec![
                    line("CUSTOMER COPY"),
                    line(&total),
                    line(verdict)
                ]),
                other: Vec::new(),
            });
        }
        out
    }

    fn delete_transaction(&mut self, now: Timestamp, tid: &str, id: &str) -> HttpResponse {
        if self.online_terminal(now, tid).is_none() {
            return offline();
        }
        let Some(t) = self.txns.get_mut(id).filter(|t| t.tid == tid) else {
            return error(404, "Transaction not found");
        };
        if t.tl.finished(now).is_none() {
            let ms = |o| now + Duration::from_millis(o);
            let inside = t.tl.cancel_window_end.is_some_and(|end| now < end);
            if inside {
                t.tl.cut_after(now);
                t.tl.push(ms(300), "ATTEMPTING_CANCEL");
                t.tl.push(ms(1_000), "CANCELLING");
                t.tl.finish_at(
                    ms(2_000),
                    Final::not_charged(TransactionResult::Cancelled, None),
                );
            } else {
                t.tl.push(ms(300), "ATTEMPTING_CANCEL");
                t.tl.push(ms(600), "UNABLE_TO_CANCEL");
            }
        }
        HttpResponse::new(202)
    }

    fn put_signature(&mut self, now: Timestamp, tid: &str, id: &str, body: &[u8]) -> HttpResponse {
        if self.online_terminal(now, tid).is_none() {
            return offline();
        }
        let v1 = self.cfg.v1_signature_semantics;
        let Some(t) = self.txns.get_mut(id).filter(|t| t.tid == tid) else {
            return error(404, "Transaction not found");
        };
        let accepted = match serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("accepted").and_then(serde_json::Value::as_bool))
        {
            Some(b) => b,
            None => return error(422, "accepted must be a boolean"),
        };
        let open =
            t.tl.signature_at
                .is_some_and(|at| now >= at && now < at + Duration::from_secs(80))
                && !t.signature_answered;
        if !open {
            return if v1 {
                error(422, "No signature verification is pending")
            } else {
                HttpResponse::new(202)
            };
        }
        t.signature_answered = true;
        t.tl.cut_after(now);
        let ms = |o| now + Duration::from_millis(o);
        t.tl.push(ms(500), "SIGNATURE_VERIFICATION_IN_PROGRESS");
        t.tl.push(ms(1_500), "SIGNATURE_VERIFICATION_PROCESS_COMPLETED");
        let kind = result_type(&t.request.transaction_type);
        let fin = if accepted {
            Final::approved(
                kind,
                crate::message::Cvm::Signature,
                crate::message::PaymentMethod::Swiped,
            )
        } else {
            let mut f = Final::not_charged(TransactionResult::Void, Some(ResultType::SaleReversal));
            f.method = Some(crate::message::PaymentMethod::Swiped);
            f.cvm = Some(crate::message::Cvm::Signature);
            f
        };
        t.tl.finish_at(ms(2_000), fin);
        HttpResponse::new(202)
    }

    fn post_report(&mut self, now: Timestamp, tid: &str, body: &[u8]) -> HttpResponse {
        let Some(term) = self.online_terminal(now, tid).cloned() else {
            return offline();
        };
        let report_type = match serde_json::from_slice::<crate::message::ReportRequest>(body) {
            Ok(r) if !matches!(r.report_type, ReportType::Other(_)) => r.report_type,
            _ => {
                return error(
                    422,
                    "reportType must be END_OF_DAY, BANKING, X_BALANCE or Z_BALANCE",
                );
            }
        };
        if !term.cfg.ingenico {
            return error(422, "Reports are only available on Ingenico terminals");
        }
        if self.is_busy(now, tid) {
            return error(422, "Terminal is busy");
        }
        let id = self.ids.uuid_v4();
        let done = now + Duration::from_millis(self.cfg.report_delay_ms);
        let ledger_rows = self.ledger_rows(now);
        let report = self.ledger.run(
            &ledger_rows,
            id.clone(),
            tid.into(),
            report_type,
            now,
            done,
            &term.cfg.currency,
        );
        self.reports.insert(id.clone(), report);
        json(
            201,
            &crate::message::RequestLocation {
                location: format!("{}/pac/terminals/{tid}/reports/{id}", self.cfg.base_url),
                request_id: id,
            },
        )
    }

    fn ledger_rows(&self, now: Timestamp) -> Vec<ledger::Row> {
        self.order
            .iter()
            .filter_map(|id| self.txns.get(id))
            .filter_map(|t| {
                let (at, fin) = t.tl.finish.as_ref()?;
                (*at <= now && fin.charged && t.duplicate_of.is_none()).then(|| ledger::Row {
                    at: *at,
                    refund: t.request.transaction_type == TransactionType::Refund,
                    amount: self.amount_total(t),
                    cashback: t.cashback_applied,
                    gratuity: t.gratuity,
                    number: t.transaction_number.clone(),
                })
            })
            .collect()
    }

    fn get_report(&self, now: Timestamp, tid: &str, id: &str) -> HttpResponse {
        if self.online_terminal(now, tid).is_none() {
            return offline();
        }
        let Some(r) = self.reports.get(id).filter(|r| r.tid == tid) else {
            return error(404, "Report not found");
        };
        let keep = if r.report_type == ReportType::EndOfDay {
            Duration::from_secs(7 * 24 * 3600)
        } else {
            Duration::from_secs(12 * 3600)
        };
        if r.finished(now) && now > r.done + keep {
            return error(404, "Report not found");
        }
        let c = self.wall.civil(r.done, 0);
        let time = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        );
        let location = format!("{}/pac/terminals/{tid}/reports/{id}", self.cfg.base_url);
        HttpResponse::new(200)
            .header("Content-Type", ACCEPT_V2)
            .body(codec::encode_report(&r.body(now, location, time)))
    }
}

impl Simulator for ConnectSim {
    fn handle_input(&mut self, now: Timestamp, input: SimInput) {
        self.now = self.now.max(now);
        if let SimInput::HttpRequest { id, request } = input {
            let (response, endpoint) = self.respond(now, &request);
            self.exchanges.push(Exchange {
                method: request.method,
                path: String::from(request.path()),
                request_body: request.body.clone(),
                status: response.status,
                response_body: response.body.clone(),
                endpoint,
            });
            self.out
                .push_back(SimTransmit::HttpResponse { id, response });
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
    }

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let now = self.now;
        let txns = self.txns.values().filter_map(|t| t.tl.next_change(now));
        let reports = self.reports.values().map(|r| r.done).filter(|d| *d > now);
        let busy = self
            .terminals
            .iter()
            .filter_map(|t| t.busy_until)
            .filter(|u| *u > now);
        txns.chain(reports).chain(busy).min()
    }

    fn truth(&self, references: &References) -> Option<Truth> {
        references
            .primary
            .as_deref()
            .and_then(|id| self.truth_of(id))
    }
}

/// Checks a TransactionRequest against §4, naming the field in the message.
fn validate_request(body: &[u8]) -> Result<TransactionRequest, String> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| String::from("The request body is not valid JSON"))?;
    let r: TransactionRequest = serde_json::from_value(v.clone())
        .map_err(|e| format!("Invalid transaction request: {e}"))?;
    let has = |f: &str| v.get(f).is_some();
    let ty = &r.transaction_type;
    if let TransactionType::Other(t) = ty {
        return Err(format!("transactionType {t} is not supported"));
    }
    let money = matches!(
        ty,
        TransactionType::Sale
            | TransactionType::Refund
            | TransactionType::PreAuth
            | TransactionType::Completion
    );
    if money {
        match r.amount {
            Some(a) if (1..=99_999_999).contains(&a) => {}
            _ => return Err("amount must be an integer 1..=99999999".into()),
        }
        if r.currency.is_none() {
            return Err("currency is required".into());
        }
    } else if has("amount") {
        return Err(format!("amount is not accepted for {}", ty.as_str()));
    }
    if let Some(c) = &r.currency {
        if matches!(c, WireCurrency::Other(_)) {
            return Err("currency must be GBP or EUR".into());
        }
    }
    if *ty == TransactionType::Duplicate && has("currency") {
        return Err("currency is not accepted for DUPLICATE".into());
    }
    if has("amountCashback") {
        if *ty != TransactionType::Sale {
            return Err("amountCashback is only accepted for SALE".into());
        }
        if !r.amount_cashback.is_some_and(|c| (0..=10_000).contains(&c)) {
            return Err("amountCashback must be 0..=10000".into());
        }
    }
    if has("cardholderNotPresent") && !money {
        return Err(format!(
            "cardholderNotPresent is not accepted for {}",
            ty.as_str()
        ));
    }
    let completion_fields = has("authCode") || has("amountPreAuthorisedTotal");
    if *ty == TransactionType::Completion {
        if r.auth_code.as_deref().is_none_or(str::is_empty) {
            return Err("authCode is required for COMPLETION".into());
        }
        if !r
            .amount_pre_authorised_total
            .is_some_and(|t| (1..=99_999_999).contains(&t))
        {
            return Err("amountPreAuthorisedTotal is required for COMPLETION".into());
        }
    } else if completion_fields {
        return Err(
            "authCode and amountPreAuthorisedTotal are only accepted for COMPLETION".into(),
        );
    }
    Ok(r)
}

fn result_type(t: &TransactionType) -> ResultType {
    match t {
        TransactionType::Refund => ResultType::Refund,
        TransactionType::PreAuth => ResultType::PreAuth,
        TransactionType::Completion => ResultType::Completion,
        TransactionType::AccountVerification => ResultType::AccountVerification,
        _ => ResultType::Sale,
    }
}

fn json<T: Serialize>(status: u16, body: &T) -> HttpResponse {
    HttpResponse::new(status)
        .header("Content-Type", ACCEPT_V2)
        .body(codec::encode(body))
}

fn error(status: u16, message: &str) -> HttpResponse {
    json(
        status,
        &crate::message::ErrorBody {
            user_message: message.into(),
        },
    )
}

fn offline() -> HttpResponse {
    error(404, "Terminal unavailable: try again in about 10 seconds")
}
