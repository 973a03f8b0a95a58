//! Request handling of the simulator (spec §12.2–§12.5).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use pos_core::{HttpRequest, HttpResponse, Method, Scenario, Timestamp};

use super::store::{Phase, SimTransaction};
use super::{
    AuthAccept, CancelledFlags, CardMode, InProgressStyle, PAIRING_CODE_VALIDITY, PayntSim,
    UnknownOriginal, UtiStyle,
};
use crate::codec;
use crate::ident::query_param;
use crate::message::{
    Align, PairResponse, ReceiptGroup, ReceiptLine, StartRequest, StartResponse, StatusEntry,
    TransType, TransactionResult, TransactionSource,
};

impl PayntSim {
    /// Answers one request; `None` closes the connection without a reply.
    pub(super) fn handle_request(
        &mut self,
        now: Timestamp,
        request: &HttpRequest,
    ) -> Option<HttpResponse> {
        if let Some(status) = self.fail_next.take() {
            return Some(text(status, "Injected failure"));
        }
        let path = request.path();
        let Some(rest) = path.strip_prefix(self.config.base_path.as_str()) else {
            return Some(text(404, "Not found"));
        };
        let query = request.query().unwrap_or("");
        let endpoint = match rest {
            "/pair" => Endpoint::Pair,
            "/transaction" => Endpoint::Transaction,
            _ => return Some(text(404, "Not found")),
        };
        let allowed = match endpoint {
            Endpoint::Pair => request.method == Method::Get,
            Endpoint::Transaction => {
                matches!(request.method, Method::Get | Method::Post | Method::Delete)
            }
        };
        if !allowed {
            return Some(text(405, "Method not allowed"));
        }
        if query_param(query, "tid").as_deref() != Some(self.config.serial.as_str()) {
            return Some(text(400, "Unknown terminal"));
        }
        if endpoint == Endpoint::Pair {
            return Some(self.pair(now, query));
        }
        if !self.authorised(request) {
            return Some(text(401, "Unauthorized"));
        }
        match request.method {
            Method::Post => Some(self.start(now, &request.body)),
            Method::Delete => Some(self.delete()),
            _ => self.status(now, query),
        }
    }

    pub(super) fn finalise_current(&mut self) {
        let Some(seq) = self.current.take() else {
            return;
        };
        self.message_id += 1;
        let message_id = self.message_id;
        let auth_code = self.ids.digits(6);
        let Some(t) = self.store.get_mut(&seq) else {
            return;
        };
        t.message_id = Some(message_id);
        let Some(result) = t.result.as_mut() else {
            return;
        };
        if result.approved {
            result.auth_code = Some(auth_code);
        }
        let approved = result.approved;
        let (kind, original, uti) = (t.trans_type.clone(), t.original_uti.clone(), t.uti.clone());
        if !approved {
            return;
        }
        let Some(original) = original else { return };
        if let Some(o) = self.store.values_mut().find(|o| o.uti == original) {
            match kind {
                TransType::Reversal => o.voided = true,
                TransType::Completion => o.completed_by = Some(uti),
                _ => {}
            }
        }
    }

    fn pair(&mut self, now: Timestamp, query: &str) -> HttpResponse {
        let issued = self.code_issued.unwrap_or(now);
        let expired = now > issued + PAIRING_CODE_VALIDITY;
        if expired {
            self.code = self.ids.digits(6);
            self.code_issued = Some(now);
            return text(400, "Invalid pairing code");
        }
        let code = query_param(query, "pairingCode").unwrap_or_default();
        if code.trim() != self.code {
            return text(400, "Invalid pairing code");
        }
        let token = self.ids.digits(16);
        // A token never starts with 0, so that a numeric rendering keeps every digit.
        let token = alloc::format!("{}{}", 1 + self.ids.below(9), token.get(1..).unwrap_or(""));
        self.token = Some(token.clone());
        self.code = self.ids.digits(6);
        self.code_issued = Some(now);
        let body = codec::encode_pair_response(
            &PairResponse {
                serial_number: Some(self.config.serial.clone()),
                auth_token: token,
            },
            self.config.token_as_number,
        );
        HttpResponse::json(200, body)
    }

    fn authorised(&self, request: &HttpRequest) -> bool {
        let Some(token) = self.token.as_deref() else {
            return false;
        };
        let Some(value) = request.headers.get("authorization") else {
            return false;
        };
        let bare = value == token;
        let bearer = value.strip_prefix("Bearer ").is_some_and(|t| t == token);
        match self.config.auth_accept {
            AuthAccept::Either => bare || bearer,
            AuthAccept::Bare => bare,
            AuthAccept::Bearer => bearer,
        }
    }

    fn start(&mut self, now: Timestamp, body: &[u8]) -> HttpResponse {
        if self.current.is_some() {
            return text(self.config.busy_status, "Terminal busy");
        }
        let req = match codec::decode_start_request(body) {
            Ok(r) => r,
            Err(e) => return text(400, &alloc::format!("Invalid request: {e}")),
        };
        if let Err(message) = self.check_start(&req) {
            return text(400, &message);
        }
        let mut force_decline = false;
        let mut amount = req.amount_trans;
        if let (true, Some(original)) = (req.trans_type.needs_original(), req.uti.as_deref()) {
            match self.check_original(&req.trans_type, original, req.amount_trans) {
                Ok(original_amount) => {
                    if req.trans_type == TransType::Reversal {
                        amount = original_amount;
                    }
                }
                Err(message) => match self.config.unknown_original {
                    UnknownOriginal::Reject400 => return text(400, &message),
                    UnknownOriginal::AcceptThenDecline => force_decline = true,
                },
            }
        }
        let scenario = match req.trans_type {
            TransType::Reversal => Scenario::Approve,
            _ => Scenario::from_minor_units(i64::from(req.amount_trans.unwrap_or(0))),
        };
        if scenario == Scenario::Busy {
            return text(self.config.busy_status, "Terminal busy");
        }
        let uti = self.new_uti();
        let phase = if req.trans_type.needs_original() {
            Phase::Authorising {
                until: now + self.config.auth_delay,
            }
        } else {
            let delay = if scenario == Scenario::SlowCustomer {
                pos_core::sim::SLOW_CUSTOMER_DELAY
            } else {
                self.config.card_delay
            };
            let auto = self.config.card_mode == CardMode::Auto
                || scenario == Scenario::CancelledOnTerminal;
            Phase::AwaitingCard {
                card_at: auto.then(|| now + delay),
                timeout_at: now + self.config.card_timeout.max(delay),
            }
        };
        let statuses = if matches!(phase, Phase::AwaitingCard { .. }) {
            alloc::vec![0, 12]
        } else {
            alloc::vec![0, 16]
        };
        let record = SimTransaction {
            uti: uti.clone(),
            trans_type: req.trans_type.clone(),
            amount,
            gratuity: req.amount_gratuity,
            cashback: req.amount_cashback,
            reference: req.reference.clone(),
            original_uti: req.uti.clone(),
            created: now,
            phase,
            scenario,
            result: None,
            voided: false,
            completed_by: None,
            settled: false,
            message_id: None,
            card_read: false,
            lose_next_result: false,
            force_decline,
            statuses,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.store.insert(seq, record);
        self.current = Some(seq);
        let echo = StartResponse {
            trans_type: Some(req.trans_type),
            amount_trans: req.amount_trans,
            uti: Some(uti),
            amount_gratuity: req.amount_gratuity,
            amount_cashback: req.amount_cashback,
        };
        HttpResponse::json(200, codec::encode_start_response(&echo))
    }

    fn check_start(&self, req: &StartRequest) -> Result<(), String> {
        if !req.trans_type.is_sendable() {
            return Err(alloc::format!("Invalid transType {}", req.trans_type));
        }
        if req.trans_type.has_amount() {
            match req.amount_trans {
                Some(a) if a >= 1 => {}
                _ => return Err("amountTrans must be an integer in 1..2147483647".into()),
            }
        }
        if req.trans_type.needs_original() != req.uti.is_some() {
            return Err(if req.uti.is_some() {
                "uti is only allowed on REVERSAL and COMPLETION".into()
            } else {
                "uti is required".into()
            });
        }
        if let Some(r) = &req.reference {
            if let Err(e) = self.config.reference_policy.check(r) {
                return Err(alloc::format!("Invalid reference: {e}"));
            }
            if self.config.reject_duplicate_reference
                && self
                    .store
                    .values()
                    .any(|t| t.reference.as_deref() == Some(r))
            {
                return Err("Duplicate reference".into());
            }
        }
        let extras = req.amount_gratuity.is_some() || req.amount_cashback.is_some();
        if extras && req.trans_type != TransType::Sale {
            return Err("amountGratuity and amountCashback are only allowed on SALE".into());
        }
        Ok(())
    }

    /// Checks a REVERSAL's or COMPLETION's original; returns its amount.
    fn check_original(
        &self,
        kind: &TransType,
        uti: &str,
        amount: Option<u32>,
    ) -> Result<Option<u32>, String> {
        let Some(o) = self.find(uti) else {
            return Err("Unknown original transaction".into());
        };
        let approved = o.result.as_ref().is_some_and(|r| r.approved);
        if !approved || o.voided {
            return Err("Original transaction is not approved or already voided".into());
        }
        if *kind == TransType::Reversal {
            if o.settled {
                return Err("Original transaction is settled".into());
            }
            if !matches!(
                o.trans_type,
                TransType::Sale | TransType::Refund | TransType::Preauth | TransType::Completion
            ) {
                return Err("Original transaction cannot be reversed".into());
            }
        } else {
            if o.trans_type != TransType::Preauth || o.completed_by.is_some() {
                return Err("Original is not an open preauthorisation".into());
            }
            if amount > o.amount {
                return Err("Completion amount exceeds the preauthorised amount".into());
            }
        }
        Ok(o.amount)
    }

    fn new_uti(&mut self) -> String {
        match self.config.uti_style {
            UtiStyle::Numeric12 => self.ids.digits(12),
            UtiStyle::UuidV3Like => {
                let h = self.ids.hex(32);
                let part = |a: usize, b: usize| h.get(a..b).unwrap_or("");
                let variant = ["8", "9", "a", "b"]
                    .get(usize::try_from(self.ids.below(4)).unwrap_or(0))
                    .copied()
                    .unwrap_or("8");
                alloc::format!(
                    "{}-{}-3{}-{}{}-{}",
                    part(0, 8),
                    part(8, 12),
                    part(13, 16),
                    variant,
                    part(17, 20),
                    part(20, 32)
                )
            }
        }
    }

    fn delete(&mut self) -> HttpResponse {
        if !self.config.cancel_supported {
            return text(405, "Method not allowed");
        }
        let Some(t) = self.current_mut() else {
            return text(400, "No transaction in progress");
        };
        let cancelled = t.cancel_if_waiting();
        let body = serde_json::json!({
            "uti": t.uti,
            "transactionType": t.trans_type.as_str(),
            "transAmount": t.amount,
            "transApproved": false,
            "transCancelled": cancelled,
        });
        if cancelled {
            self.finalise_current();
        }
        HttpResponse::json(200, serde_json::to_vec(&body).unwrap_or_default())
    }

    fn status(&mut self, now: Timestamp, query: &str) -> Option<HttpResponse> {
        let Some(uti) = query_param(query, "uti") else {
            return Some(text(400, "Missing uti"));
        };
        let window = self.config.not_found_window;
        let Some(t) = self.store.values_mut().find(|t| t.uti == uti) else {
            return Some(text(404, "Unknown transaction"));
        };
        if now < t.created + window {
            return Some(text(404, "Unknown transaction"));
        }
        if t.phase != Phase::Final {
            let result = TransactionResult {
                uti: Some(t.uti.clone()),
                transaction_type: Some(t.trans_type.clone()),
                trans_amount: t.amount,
                statuses: Some(statuses(&t.statuses)),
                ..TransactionResult::default()
            };
            let status = match self.config.in_progress_style {
                InProgressStyle::Status206 => 206,
                InProgressStyle::Ok200NoFlags => 200,
            };
            return Some(HttpResponse::json(status, codec::encode_result(&result)));
        }
        if t.lose_next_result {
            t.lose_next_result = false;
            return None;
        }
        let t = t.clone();
        Some(HttpResponse::json(
            200,
            codec::encode_result(&self.final_result(&t)),
        ))
    }

    fn final_result(&self, t: &SimTransaction) -> TransactionResult {
        let r = t.result.clone().unwrap_or(super::store::SimResult {
            approved: false,
            cancelled: false,
            response_code: String::new(),
            auth_code: None,
        });
        let only_cancelled =
            r.cancelled && self.config.cancelled_flags == CancelledFlags::CancelledOnly;
        let card = t.card_read;
        let date = codec::format_java_date(
            self.wall.unix_millis(t.created),
            self.config.zone_offset_minutes,
        );
        let signature = t.scenario == Scenario::SignatureCheck && r.approved;
        let receipt = |copy: &str| self.receipt(copy, t, &r, signature && copy == "MERCHANT COPY");
        TransactionResult {
            trans_approved: (!only_cancelled).then_some(r.approved),
            trans_cancelled: Some(r.cancelled),
            voided: Some(t.voided),
            transaction_type: Some(t.trans_type.clone()),
            trans_amount: t.amount,
            auth_code: r.auth_code.clone(),
            transaction_response: Some(r.response_code.clone()),
            primary_account_number: card.then(|| "541333******4111".into()),
            transaction_source: card.then_some(TransactionSource::Picc),
            cardholder_verification_method: card
                .then(|| if signature { "SIGNATURE" } else { "NO_CVM" }.into()),
            signature: card.then_some(signature),
            app_name: card.then(|| "MASTERCARD".into()),
            application_id: card.then(|| "A0000000041010".into()),
            currency_code: Some(self.config.currency_code.clone()),
            merchant_id: Some(self.config.merchant_id.clone()),
            terminal_id: Some(self.config.terminal_id.clone()),
            message_id: t.message_id,
            transaction_date: Some(date),
            uti: Some(t.uti.clone()),
            original_uti: t.original_uti.clone(),
            cardholder_receipt: Some(receipt("CUSTOMER COPY")),
            merchant_receipt: Some(receipt("MERCHANT COPY")),
            amount_gratuity: t.gratuity,
            amount_cashback: t.cashback,
            ..TransactionResult::default()
        }
    }

    fn receipt(
        &self,
        copy: &str,
        t: &SimTransaction,
        r: &super::store::SimResult,
        signature_line: bool,
    ) -> Vec<ReceiptLine> {
        let g = |text: &str, size: u8, align: Align, bold: bool| ReceiptGroup {
            text: text.into(),
            size,
            align,
            bold,
        };
        let verdict = if r.cancelled {
            "CANCELLED"
        } else if r.approved {
            "APPROVED"
        } else {
            "DECLINED"
        };
        let amount = t.amount.map_or_else(String::new, |a| {
            alloc::format!("{}.{:02}", a / 100, a % 100)
        });
        let mut lines = alloc::vec![
            alloc::vec![g(copy, 5, Align::Centre, true)],
            alloc::vec![
                g("TID", 2, Align::Left, false),
                g(&self.config.terminal_id, 2, Align::Right, false)
            ],
            alloc::vec![g(t.trans_type.as_str(), 3, Align::Left, true)],
            Vec::new(),
            alloc::vec![
                g("TOTAL", 3, Align::Left, true),
                g(&amount, 3, Align::Right, true)
            ],
            alloc::vec![g(verdict, 5, Align::Centre, true)],
        ];
        if signature_line {
            lines.push(alloc::vec![g(
                "SIGNATURE: ____________",
                3,
                Align::Left,
                false
            )]);
        }
        lines.push(alloc::vec![g(&t.uti, 1, Align::Centre, false)]);
        lines
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Pair,
    Transaction,
}

fn statuses(values: &[i64]) -> Vec<StatusEntry> {
    values
        .iter()
        .map(|v| StatusEntry {
            status_value: *v,
            status_description: match v {
                0 => "Started",
                12 => "Waiting for card",
                6 => "Contactless read",
                16 => "Authorising",
                1 => "Approved",
                2 => "Declined",
                9 => "Cancelled",
                11 => "Finished",
                _ => "",
            }
            .to_string(),
        })
        .collect()
}

fn text(status: u16, message: &str) -> HttpResponse {
    HttpResponse::new(status)
        .header("content-type", "text/plain")
        .body(message.as_bytes().to_vec())
}
