//! Validates every simulator response body and every request body the POS machine builds
//! against the vendor's OpenAPI v2 schemas, read from `../../shared/specs/connect-openapi/`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use common::*;
use core::time::Duration;
use pos_core::{Answer, Event, Operation, ReportKind, Scenario};
use serde_json::{Value, json};
use std::path::Path;

fn openapi() -> Option<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/specs/connect-openapi/openapi-v2.json");
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).unwrap()),
        Err(_) => {
            println!(
                "SKIPPED: the vendor's OpenAPI file {} is absent; conformance not checked",
                path.display()
            );
            None
        }
    }
}

fn validator(doc: &Value, schema: &str) -> jsonschema::Validator {
    let wrapper = json!({
        "components": doc["components"],
        "$ref": format!("#/components/schemas/{schema}"),
    });
    jsonschema::validator_for(&wrapper).unwrap()
}

/// Runs every flow whose notifications stay within the v2 enum.
fn exercise() -> Vec<connect_proto::sim::Exchange> {
    let mut p = pair();
    for s in Scenario::SHARED {
        if s == Scenario::SignatureCheck {
            continue;
        }
        let txn = p.start(scenario_sale(s)).unwrap();
        p.run_until_finished(txn);
        p.run_for(Duration::from_secs(31));
    }
    for accepted in [Some(true), Some(false), None] {
        let txn = p.start(scenario_sale(Scenario::SignatureCheck)).unwrap();
        p.run_until(|p| {
            p.events()
                .iter()
                .any(|(_, e)| matches!(e, Event::Question { txn: t, .. } if *t == txn))
        });
        if let Some(accepted) = accepted {
            p.answer(txn, Answer::Signature { accepted }).unwrap();
        }
        p.run_until_finished(txn);
    }
    for (delay, cents) in [(1_500, 1000), (5_200, 1000)] {
        let txn = p.start(sale(cents)).unwrap();
        p.run_for(Duration::from_millis(delay));
        p.cancel(txn).unwrap();
        p.run_until_finished(txn);
    }
    let ops = [
        Operation::Refund {
            amount: gbp(499),
            original: None,
            reference: None,
        },
        Operation::PreAuth {
            amount: gbp(15_000),
            reference: None,
        },
        Operation::Completion {
            amount: gbp(13_260),
            original: "K42T9Q/15000".into(),
            reference: None,
        },
        Operation::AccountVerification {
            currency: pos_core::Currency::GBP,
            reference: None,
        },
        Operation::ReprintLast,
        Operation::ListTerminals,
        Operation::Report {
            kind: ReportKind::EndOfDay,
        },
        Operation::Report {
            kind: ReportKind::XBalance,
        },
        Operation::Report {
            kind: ReportKind::ZBalance,
        },
        Operation::Report {
            kind: ReportKind::Banking,
        },
    ];
    for op in ops {
        let txn = p.start(op).unwrap();
        p.run_until_finished(txn);
    }
    let txn = p
        .start(Operation::Lookup {
            original: "missing".into(),
        })
        .unwrap();
    p.run_until_finished(txn);
    // A cashback sale needs the config switch.
    let cfg = connect_proto::Config {
        cashback_enabled: true,
        ..connect_proto::Config::default()
    };
    let mut q = pair_with(cfg, connect_proto::sim::SimConfig::default());
    let txn = q
        .start(Operation::Sale {
            amount: gbp(1875),
            tip: None,
            cashback: Some(gbp(3000)),
            reference: None,
        })
        .unwrap();
    q.run_until_finished(txn);
    let mut all = p.sim().exchanges().to_vec();
    all.extend(q.sim().exchanges().iter().cloned());
    all
}

#[test]
fn simulator_responses_and_machine_requests_match_the_openapi_v2_schemas() {
    let Some(doc) = openapi() else { return };
    // The validator itself must see breaches, or this test proves nothing.
    assert!(!validator(&doc, "terminal").is_valid(&json!({"tid": 1})));
    assert!(
        !validator(&doc, "transaction")
            .is_valid(&json!({"location": "l", "notifications": ["NOPE"]}))
    );
    let exchanges = exercise();
    let mut checked = std::collections::BTreeMap::<String, u32>::new();
    for x in &exchanges {
        let (req_schema, resp_schema) = match (x.endpoint, x.status) {
            (Some("E1"), 200) => (None, Some("terminalWrapper")),
            (Some("E2"), 200) => (None, Some("terminal")),
            (Some("E3"), 201) => (Some("transactionRequest"), Some("requestLocationResponse")),
            (Some("E3"), _) => (Some("transactionRequest"), None),
            (Some("E4"), 200) => (None, Some("transaction")),
            (Some("E6"), _) => (Some("signatureRequest"), None),
            (Some("E7"), 201) => (Some("reportRequest"), Some("requestLocationResponse")),
            (Some("E8"), 200) => (None, Some("reportResponse")),
            _ => (None, None),
        };
        let err_schema = matches!(x.status, 401 | 404 | 422).then_some("userMessage");
        for (schema, body, what) in [
            (req_schema, &x.request_body, "request"),
            (resp_schema.or(err_schema), &x.response_body, "response"),
        ] {
            let Some(schema) = schema else { continue };
            let value: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
                panic!("{what} body of {} {} is not JSON: {e}", x.method, x.path)
            });
            let v = validator(&doc, schema);
            let errors: Vec<String> = v.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{what} of {} {} ({}) breaks {schema}: {errors:?}\n{value}",
                x.method,
                x.path,
                x.status
            );
            *checked.entry(format!("{what}:{schema}")).or_default() += 1;
        }
    }
    for must in [
        "request:transactionRequest",
        "request:signatureRequest",
        "request:reportRequest",
        "response:terminalWrapper",
        "response:terminal",
        "response:requestLocationResponse",
        "response:transaction",
        "response:reportResponse",
        "response:userMessage",
    ] {
        assert!(
            checked.contains_key(must),
            "{must} never checked: {checked:?}"
        );
    }
}
