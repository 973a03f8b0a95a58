//! Bad input gives one line on stderr and the usage exit code (2), never a panic or a hang.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{dir, free_port, run, strs};

#[test]
fn an_unknown_vendor_is_a_usage_error() {
    let d = dir("unknown-vendor");
    run(&d, &["sale", "--vendor", "acme", "--amount", "1.00"]).usage_error("acme");
    run(&d, &["decode", "acme", "list"]).usage_error("acme");
    run(&d, &["sim", "acme"]).usage_error("acme");
}

#[test]
fn a_missing_vendor_is_a_usage_error() {
    let d = dir("no-vendor");
    run(&d, &["sale", "--amount", "1.00"]).usage_error("no vendor");
}

#[test]
fn malformed_amounts_are_usage_errors() {
    let d = dir("amounts");
    let base = ["sale", "--vendor", "codepay", "--set", "codepay.app_id=x"];
    for bad in ["12.3.4", "abc", "-5", "1.234", ""] {
        let mut args = base.to_vec();
        let flag = format!("--amount={bad}");
        args.push(&flag);
        run(&d, &args).usage_error("--amount");
    }
    let mut args = base.to_vec();
    args.extend(["--amount", "1.00", "--tip", "x"]);
    run(&d, &args).usage_error("--tip");
    let mut args = base.to_vec();
    args.extend(["--amount", "1.00", "--currency", "XYZ"]);
    run(&d, &args).usage_error("currency");
}

#[test]
fn missing_credentials_are_usage_errors() {
    let d = dir("credentials");
    // InterPay has no account by default; CodePay needs its app id.
    run(&d, &["sale", "--vendor", "interpay", "--amount", "1.00"]).usage_error("termid");
    run(&d, &["sale", "--vendor", "codepay", "--amount", "1.00"]).usage_error("codepay");
    // Paynt without a pairing token refuses before sending anything.
    let port = free_port().to_string();
    let set = format!("paynt.port={port}");
    run(
        &d,
        &[
            "sale",
            "--vendor",
            "paynt",
            "--amount",
            "1.00",
            "--set",
            "paynt.host=127.0.0.1",
            "--set",
            &set,
        ],
    )
    .usage_error("not paired");
}

#[test]
fn unreachable_endpoints_are_usage_errors() {
    let d = dir("unreachable");
    let port = free_port().to_string();
    let codepay = [
        "sale",
        "--vendor",
        "codepay",
        "--amount",
        "1.00",
        "--timeout",
        "3",
        "--set",
        "codepay.app_id=x",
        "--set",
        &format!("codepay.port={port}"),
    ];
    run(&d, &codepay).usage_error("cannot reach");
    let paynt = [
        "sale",
        "--vendor",
        "paynt",
        "--amount",
        "1.00",
        "--json",
        "--set",
        "paynt.host=127.0.0.1",
        "--set",
        &format!("paynt.port={port}"),
        "--set",
        "paynt.token=5820337719046612",
    ];
    let out = run(&d, &paynt);
    out.usage_error("cannot reach");
    assert_eq!(
        out.json()["class"],
        "rejected",
        "the outcome is still printed"
    );
    let connect = [
        "terminals",
        "--vendor",
        "connect",
        "--set",
        "connect.host.scheme=http",
        "--set",
        "connect.host.allow_http=true",
        "--set",
        &format!("connect.host.authority=127.0.0.1:{port}"),
    ];
    run(&d, &connect).usage_error("cannot reach");
}

#[test]
fn unsupported_operations_are_one_line_usage_errors() {
    let d = dir("unsupported");
    let args = [
        "terminals",
        "--vendor",
        "paynt",
        "--set",
        "paynt.token=5820337719046612",
    ];
    run(&d, &args).usage_error("not supported");
}

#[test]
fn bad_configuration_is_a_usage_error() {
    let d = dir("config");
    let sale = ["sale", "--vendor", "codepay", "--amount", "1.00"];
    let mut args = sale.to_vec();
    args.extend(["--set", "codepay.port=eighty"]);
    run(&d, &args).usage_error("codepay.port");
    let mut args = sale.to_vec();
    args.extend(["--set", "port=80"]);
    run(&d, &args).usage_error("keys start with the vendor");
    let mut args = sale.to_vec();
    args.extend(["--set", "codepay.port"]);
    run(&d, &args).usage_error("KEY=VALUE");
    let mut args = sale.to_vec();
    args.extend(["--config", "missing.toml"]);
    run(&d, &args).usage_error("missing.toml");
    std::fs::write(d.join("pos.toml"), "[codepay\nport = ").unwrap();
    run(&d, &sale).usage_error("not valid TOML");
    std::fs::write(d.join("pos.toml"), "[codepay]\nport = \"x\"\n").unwrap();
    run(&d, &sale).usage_error("codepay");
}

#[test]
fn cancel_without_a_journal_entry_is_a_usage_error() {
    let d = dir("cancel-empty");
    run(
        &d,
        &["cancel", "--vendor", "codepay", "--set", "codepay.app_id=x"],
    )
    .usage_error("no unfinished codepay transaction");
}

#[test]
fn help_is_ok_and_no_subcommand_is_usage() {
    let d = dir("help");
    let out = run(&d, &["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("demo"));
    assert_eq!(run(&d, &[]).code, 2);
    run(&d, &["sale", "--vendor", "codepay"]).usage_error("--amount");
    let _ = strs(&[]);
}
