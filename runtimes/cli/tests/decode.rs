//! `pos decode`: each vendor's captured messages to JSON; garbage to one line and exit 2.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::io::Write;

use common::{dir, pos, run, run_with};

#[test]
fn list_prints_every_vendors_kinds() {
    let d = dir("decode-list");
    for (vendor, kind) in [
        ("codepay", "order_response"),
        ("paynt", "status"),
        ("interpay", "callback"),
        ("connect", "transaction"),
    ] {
        let out = run(&d, &["decode", vendor, "list"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.lines().any(|l| l == kind),
            "{vendor}: {}",
            out.stdout
        );
    }
}

#[test]
fn captured_messages_decode_to_json() {
    let d = dir("decode-ok");
    let cases: [(&str, &str, &str, &str, &str); 4] = [
        (
            "codepay",
            "order_response",
            r#"{"topic":"ecrhub.pay.order","response_code":"000","biz_data":{"trans_status":"2","order_amount":"23.40","price_currency":"USD","merchant_order_no":"A1","card_no":"400000******0002"}}"#,
            "card",
            "400000******0002",
        ),
        (
            "paynt",
            "status",
            "206 {\"uti\":\"u1\"}",
            "state",
            "in_progress",
        ),
        (
            "interpay",
            "callback",
            r#"{"CODE":"0000","TEXT":"APPROVED","AMT":"42.75","REQUESTID":"2000001337","CARDMASK":"****4417","CARDTYPE":"M"}"#,
            "outcome",
            "approved",
        ),
        (
            "connect",
            "transaction",
            r#"{"notifications":["TRANSACTION_FINISHED"],"transactionResult":"SUCCESSFUL","transactionType":"SALE","amountTotal":2200}"#,
            "outcome_class",
            "approved",
        ),
    ];
    for (vendor, kind, body, field, want) in cases {
        // From a file.
        let file = d.join(format!("{vendor}.msg"));
        std::fs::write(&file, body).unwrap();
        let out = run(&d, &["decode", vendor, kind, file.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{vendor}: {}", out.stderr);
        assert_eq!(out.json()[field], want, "{vendor}: {}", out.stdout);
        // From standard input, with and without `-`.
        for args in [
            vec!["decode", vendor, kind, "-"],
            vec!["decode", vendor, kind],
        ] {
            let mut cmd = pos(&d);
            cmd.write_stdin(body);
            let out = run_with(cmd, &args);
            assert_eq!(out.code, 0, "{vendor}: {}", out.stderr);
            assert_eq!(out.json()[field], want);
        }
    }
}

#[test]
fn garbage_is_a_one_line_usage_error() {
    let d = dir("decode-garbage");
    let garbage: &[&[u8]] = &[b"", b"{", b"\xff\xfe\x00garbage", b"[1,2,3]", b"null"];
    for vendor in ["codepay", "paynt", "interpay", "connect"] {
        let kinds = run(&d, &["decode", vendor, "list"]).stdout;
        for kind in kinds.lines() {
            for body in garbage {
                let file = d.join("garbage.bin");
                std::fs::File::create(&file)
                    .unwrap()
                    .write_all(body)
                    .unwrap();
                let out = run(&d, &["decode", vendor, kind, file.to_str().unwrap()]);
                // Some kinds accept an empty or odd body leniently; none may panic or print
                // more than one error line.
                if out.code != 0 {
                    out.usage_error(vendor);
                }
            }
        }
        let mut cmd = pos(&d);
        cmd.write_stdin("not a message at all");
        let first = kinds.lines().next().unwrap();
        run_with(cmd, &["decode", vendor, first]).usage_error("not a valid");
    }
}

#[test]
fn unknown_kinds_and_missing_files_are_usage_errors() {
    let d = dir("decode-kinds");
    run(&d, &["decode", "paynt", "nope"]).usage_error("known kinds");
    run(&d, &["decode", "paynt", "status", "no-such-file"]).usage_error("no-such-file");
}
