//! The simulated PDQ's totals and the reports computed from them (spec §8.6, §14).

use alloc::string::String;
use alloc::vec::Vec;

use pos_core::Timestamp;
use serde_json::{Map, Value, json};

use crate::message::{ReceiptLine, Report, ReportResult, ReportType};

/// One charged transaction, as the ledger counts it.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) at: Timestamp,
    pub(crate) refund: bool,
    pub(crate) amount: i64,
    pub(crate) cashback: i64,
    pub(crate) gratuity: i64,
    pub(crate) number: String,
}

/// The reset points of balances and banking sessions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ledger {
    balances_since: Option<Timestamp>,
    banking_since: Option<Timestamp>,
    previous_banking_since: Option<Timestamp>,
}

/// A report run on a simulated PDQ.
#[derive(Clone, Debug)]
pub(crate) struct SimReport {
    pub(crate) id: String,
    pub(crate) tid: String,
    pub(crate) report_type: ReportType,
    pub(crate) done: Timestamp,
    balances: Option<Value>,
    banking: Option<Value>,
}

impl SimReport {
    pub(crate) fn finished(&self, now: Timestamp) -> bool {
        now >= self.done
    }

    /// Builds the E8 body at `now`.
    pub(crate) fn body(&self, now: Timestamp, location: String, time: String) -> Report {
        let mut r = Report {
            request_id: Some(self.id.clone()),
            location: Some(location),
            notifications: alloc::vec!["REPORT_STARTED".into()],
            ..Report::default()
        };
        if self.finished(now) {
            r.notifications.insert(0, "REPORT_FINISHED".into());
            r.tid = Some(self.tid.clone());
            r.report_type = Some(self.report_type.clone());
            r.report_result = Some(ReportResult::Complete);
            r.report_time = Some(time);
            r.report_lines = alloc::vec![
                ReceiptLine {
                    value: String::from(self.report_type.as_str()),
                    kind: None,
                    format: alloc::vec!["BOLD".into()],
                },
                ReceiptLine {
                    value: "-".into(),
                    kind: Some("LINE_SEPARATOR_SINGLE".into()),
                    format: Vec::new(),
                },
            ];
            r.balances.clone_from(&self.balances);
            r.banking.clone_from(&self.banking);
        }
        r
    }
}

impl Ledger {
    /// Runs a report over `rows` (charged transactions finished by `now`) and applies its
    /// resets: Z_BALANCE and END_OF_DAY reset balances; END_OF_DAY closes the banking session.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &mut self,
        rows: &[Row],
        id: String,
        tid: String,
        report_type: ReportType,
        now: Timestamp,
        done: Timestamp,
        currency: &str,
    ) -> SimReport {
        let since = |from: Option<Timestamp>, until: Option<Timestamp>| -> Vec<&Row> {
            rows.iter()
                .filter(|r| from.is_none_or(|f| r.at > f) && until.is_none_or(|u| r.at <= u))
                .collect()
        };
        let with_balances = !matches!(report_type, ReportType::Banking);
        let with_banking = matches!(report_type, ReportType::Banking | ReportType::EndOfDay);
        let balances = with_balances.then(|| balances(&since(self.balances_since, None), currency));
        let banking = with_banking.then(|| {
            let current = since(self.banking_since, None);
            let previous = since(self.previous_banking_since, self.banking_since);
            let mut acq = Map::new();
            acq.insert(
                "PAYMENTSENSE".into(),
                json!({
                    "currency": currency,
                    "currentSessionTotals": totals(&current, currency),
                    "previousSessionTotals": totals(&previous, currency),
                    "currentSessionIssuerTotals": {"VISA": totals(&current, currency)},
                    "previousSessionIssuerTotals": {"VISA": totals(&previous, currency)},
                    "currentSessionTransactionNumbers": numbers(&current),
                    "previousSessionTransactionNumbers": numbers(&previous),
                }),
            );
            Value::Object(acq)
        });
        if matches!(report_type, ReportType::ZBalance | ReportType::EndOfDay) {
            self.balances_since = Some(now);
        }
        if report_type == ReportType::EndOfDay {
            self.previous_banking_since = self.banking_since;
            self.banking_since = Some(now);
        }
        SimReport {
            id,
            tid,
            report_type,
            done,
            balances,
            banking,
        }
    }
}

fn sums(rows: &[&Row]) -> (i64, i64, i64, i64) {
    let (mut sales, mut n_sales, mut refunds, mut n_refunds) = (0, 0, 0, 0);
    for r in rows {
        if r.refund {
            refunds += r.amount;
            n_refunds += 1;
        } else {
            sales += r.amount;
            n_sales += 1;
        }
    }
    (sales, n_sales, refunds, n_refunds)
}

fn totals(rows: &[&Row], currency: &str) -> Value {
    let (sales, n_sales, refunds, n_refunds) = sums(rows);
    json!({
        "currency": currency,
        "totalAmount": sales - refunds,
        "totalSalesAmount": sales,
        "totalSalesCount": n_sales,
        "totalRefundsAmount": refunds,
        "totalRefundsCount": n_refunds,
    })
}

fn balances(rows: &[&Row], currency: &str) -> Value {
    let (sales, n_sales, refunds, n_refunds) = sums(rows);
    let cashback: i64 = rows.iter().map(|r| r.cashback).sum();
    let n_cashback = rows.iter().filter(|r| r.cashback > 0).count();
    let gratuity: i64 = rows.iter().map(|r| r.gratuity).sum();
    let n_gratuity = rows.iter().filter(|r| r.gratuity > 0).count();
    json!({
        "currency": currency,
        "totalsSince": "INSTALLATION",
        "totalAmount": sales - refunds,
        "totalSalesAmount": sales,
        "totalSalesCount": n_sales,
        "totalRefundsAmount": refunds,
        "totalRefundsCount": n_refunds,
        "totalCashbackAmount": cashback,
        "totalCashbackCount": n_cashback,
        "totalGratuityAmount": gratuity,
        "totalGratuityCount": n_gratuity,
        "issuerTotals": {"VISA": totals(rows, currency)},
        "waiterTotals": {},
    })
}

fn numbers(rows: &[&Row]) -> Value {
    match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => json!([a.number, b.number]),
        _ => json!([]),
    }
}
