//! The demo's result table, for people and as JSON.

use std::fmt::Write as _;

use pos_core::{OutcomeClass, Scenario};
use serde::Serialize;

use crate::args::Vendor;

/// One (vendor, scenario) result.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    /// The vendor.
    pub(crate) vendor: &'static str,
    /// The scenario's name.
    pub(crate) scenario: String,
    /// The amount charged, e.g. `12.51 USD`.
    pub(crate) amount: String,
    /// What the scenario table names.
    pub(crate) expected: String,
    /// What happened: an outcome class, `refused: busy`, or `error: …`.
    pub(crate) outcome: String,
    /// The outcome's primary reference.
    pub(crate) reference: Option<String>,
    /// Machine time from start to finish, in milliseconds.
    pub(crate) machine_ms: u64,
    /// Whether the outcome is the one the table names.
    pub(crate) ok: bool,
}

impl Row {
    /// Builds the row of a run that could not produce an outcome.
    pub(crate) fn failed(vendor: Vendor, scenario: Scenario, why: &str) -> Self {
        Self {
            vendor: vendor.name(),
            scenario: scenario.to_string(),
            amount: String::new(),
            expected: expected(scenario),
            outcome: format!("error: {why}"),
            reference: None,
            machine_ms: 0,
            ok: false,
        }
    }
}

/// Returns what the table names for a scenario.
pub(crate) fn expected(scenario: Scenario) -> String {
    match scenario.expected() {
        Some(OutcomeClass::Rejected) => "rejected/busy".to_owned(),
        Some(class) => class.to_string(),
        None => "vendor".to_owned(),
    }
}

/// Renders the table for people.
pub(crate) fn human(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<9} {:<22} {:<10} {:<14} {:<14} {:<4} {:>8}  reference",
        "vendor", "scenario", "amount", "expected", "outcome", "ok", "time"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<9} {:<22} {:<10} {:<14} {:<14} {:<4} {:>6}.{}s  {}",
            r.vendor,
            r.scenario,
            r.amount,
            r.expected,
            r.outcome,
            if r.ok { "ok" } else { "FAIL" },
            r.machine_ms / 1000,
            r.machine_ms % 1000 / 100,
            r.reference.as_deref().unwrap_or("-")
        );
    }
    out
}

/// Renders the table as JSON.
pub(crate) fn json(rows: &[Row], speed: u32, real_ms: u64, passed: bool) -> String {
    let value = serde_json::json!({
        "passed": passed,
        "speed": speed,
        "real_ms": real_ms,
        "rows": rows,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
