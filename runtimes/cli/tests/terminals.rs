//! The real-terminal commands against simulator servers started by the test: every exit code,
//! `--json` parsed back, pairing state stored, and the journal taken over by `pos cancel`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::*;

fn with(flags: &[String], args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    v.extend(flags.iter().cloned());
    v
}

#[test]
fn codepay_commands_and_exit_codes() {
    let d = dir("codepay");
    let server = codepay(20);
    let flags = codepay_flags(&server);
    // Approved: 0, JSON with the primary reference.
    let out = run(
        &d,
        &strs(&with(&flags, &["sale", "--amount", "12.00", "--json"])),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sale = out.json();
    assert_eq!(sale["class"], "approved");
    assert_eq!(sale["vendor"], "codepay");
    let original = sale["outcome"]["references"]["primary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        out.stderr.contains("[codepay] journalled"),
        "{}",
        out.stderr
    );
    // Declined and cancelled: 1. Busy: rejected, 3.
    for (amount, class, code) in [
        ("12.51", "declined", 1),
        ("12.52", "cancelled", 1),
        ("12.57", "rejected", 3),
    ] {
        let out = run(
            &d,
            &strs(&with(&flags, &["sale", "--amount", amount, "--json"])),
        );
        assert_eq!(out.code, code, "{amount}: {}", out.stderr);
        assert_eq!(out.json()["class"], class);
    }
    // Follow-ups on the approved sale.
    let out = run(
        &d,
        &strs(&with(
            &flags,
            &[
                "tip-adjust",
                "--original",
                &original,
                "--tip",
                "1.00",
                "--json",
            ],
        )),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(
        &d,
        &strs(&with(
            &flags,
            &["lookup", "--original", &original, "--json"],
        )),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(
        &d,
        &strs(&with(
            &flags,
            &["refund", "--amount", "2.00", "--original", &original],
        )),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("APPROVED"),
        "people's format: {}",
        out.stdout
    );
    // A refunded sale cannot be voided (the terminal declines); a fresh one can.
    let out = run(
        &d,
        &strs(&with(&flags, &["void", "--original", &original, "--json"])),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let out = run(
        &d,
        &strs(&with(&flags, &["sale", "--amount", "5.00", "--json"])),
    );
    let second = out.json()["outcome"]["references"]["primary"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = run(
        &d,
        &strs(&with(&flags, &["void", "--original", &second, "--json"])),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // Pre-authorisation and its completion.
    let out = run(
        &d,
        &strs(&with(&flags, &["preauth", "--amount", "30.00", "--json"])),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pre = out.json()["outcome"]["references"]["primary"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = run(
        &d,
        &strs(&with(
            &flags,
            &[
                "completion",
                "--amount",
                "25.00",
                "--original",
                &pre,
                "--json",
            ],
        )),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(&d, &strs(&with(&flags, &["batch-close", "--json"])));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // Every finished transaction is marked finished in the journal.
    let journal = std::fs::read_to_string(d.join("pos-journal.jsonl")).unwrap();
    assert!(journal.contains("\"kind\":\"finished\""), "{journal}");
    run(&d, &strs(&with(&flags, &["cancel"]))).usage_error("no unfinished");
}

#[test]
fn paynt_pairs_stores_the_token_and_pin_then_sells() {
    let d = dir("paynt");
    let server = paynt(20, None);
    let code = server.with_sim(|s, _| s.pairing_code().to_owned());
    let port = format!("paynt.port={}", server.local_addr().port());
    let base = [
        "--vendor",
        "paynt",
        "--set",
        "paynt.host=127.0.0.1",
        "--set",
        &port,
    ];
    let mut args = vec!["pair", "--code", &code, "--json"];
    args.extend(base);
    let out = run(&d, &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let token = server
        .with_sim(|s, _| s.token().map(str::to_owned))
        .unwrap();
    assert!(!out.stdout.contains(&token), "the token is never echoed");
    assert!(!out.stderr.contains(&token), "the token is never echoed");
    let state = std::fs::read_to_string(d.join("pos-state.toml")).unwrap();
    assert!(state.contains(&token), "{state}");
    assert!(
        state.contains(&server.fingerprint().unwrap().to_string()),
        "{state}"
    );
    // The stored token and pin are used from now on.
    let mut args = vec!["sale", "--amount", "9.99", "--json"];
    args.extend(base);
    let out = run(&d, &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["class"], "approved");
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));
}

#[test]
fn an_abandoned_wait_is_unknown_and_pos_cancel_takes_it_over() {
    let d = dir("paynt-cancel");
    let token = "5820337719046612";
    // Real time: the slow customer takes 60 s, far longer than the CLI waits.
    let server = paynt(1, Some(token));
    let port = format!("paynt.port={}", server.local_addr().port());
    let pin = format!("paynt.pinned_fingerprint={}", server.fingerprint().unwrap());
    let tok = format!("paynt.token={token}");
    let base = [
        "--vendor",
        "paynt",
        "--set",
        "paynt.host=127.0.0.1",
        "--set",
        &port,
        "--set",
        &pin,
        "--set",
        &tok,
    ];
    let mut args = vec!["sale", "--amount", "12.53", "--timeout", "3"];
    args.extend(base);
    let out = run(&d, &args);
    assert_eq!(out.code, 4, "unknown: {}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("pos cancel"), "{}", out.stderr);
    let mut args = vec!["cancel", "--json"];
    args.extend(base);
    let out = run(&d, &args);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["class"], "cancelled");
    // Nothing is left to take over.
    let mut args = vec!["resume"];
    args.extend(base);
    run(&d, &args).usage_error("no unfinished paynt transaction");
}

#[test]
fn interpay_sale_with_its_result_by_callback() {
    let d = dir("interpay");
    let sim = interpay_proto::sim::InterpaySim::new(
        interpay_proto::sim::SimConfig {
            allow_http_urls: true,
            ..interpay_proto::sim::SimConfig::default()
        },
        pos_blocking::os_ids().unwrap(),
        pos_blocking::Clock::start().wall(),
    );
    let server = pos_blocking::server::SimServer::start(sim, scaled(20, false)).unwrap();
    let port = free_port();
    let config = format!(
        "[interpay]\ntermid = \"QK7R2M4P\"\npass = \"example-pass\"\ndeviceid = \"FRONTDESK-2\"\n\
         callback_base = \"http://127.0.0.1:{port}/cb/\"\nallow_insecure_callbacks = true\n\
         callback_listen = \"127.0.0.1:{port}\"\n[interpay.endpoints]\nprimary = \"{}/\"\n",
        server.base_url()
    );
    std::fs::write(d.join("pos.toml"), config).unwrap();
    let out = run(
        &d,
        &[
            "sale", "--vendor", "interpay", "--amount", "12.00", "--json",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["class"], "approved");
    assert!(!out.stderr.contains("example-pass"));
    let out = run(
        &d,
        &[
            "sale", "--vendor", "interpay", "--amount", "12.51", "--json",
        ],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
}

#[test]
fn connect_terminals_reports_and_a_signature_sale() {
    let d = dir("connect");
    let server = connect(20);
    let flags = connect_flags(&server);
    let out = run(&d, &strs(&with(&flags, &["terminals", "--json"])));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json = out.json();
    assert!(json["reports"].to_string().contains("40917263"), "{json}");
    let out = run(
        &d,
        &strs(&with(&flags, &["report", "--kind", "end-of-day", "--json"])),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.json()["reports"].as_array().unwrap().is_empty());
    // The environment configures too.
    let mut cmd = pos(&d);
    cmd.env(
        "POS_CONNECT_HOST__AUTHORITY",
        server.local_addr().to_string(),
    );
    let args = [
        "sale",
        "--vendor",
        "connect",
        "--amount",
        "12.56",
        "--signature",
        "accept",
        "--json",
        "--set",
        "connect.host.scheme=http",
        "--set",
        "connect.host.allow_http=true",
    ];
    let out = run_with(cmd, &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("signature accepted"), "{}", out.stderr);
    // Rejecting the signature does not approve.
    let out = run(
        &d,
        &strs(&with(
            &flags,
            &[
                "sale",
                "--amount",
                "12.56",
                "--signature",
                "reject",
                "--json",
            ],
        )),
    );
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("sim-api-key") && !out.stdout.contains("sim-api-key"));
}
