//! `pos sim` serves a simulator the other commands can use; `pos demo` runs the whole table.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{dir, run};

#[test]
fn pos_sim_prints_its_address_then_what_it_receives() {
    let d = dir("sim");
    let bin = assert_cmd::cargo::cargo_bin("pos");
    let mut child = Command::new(bin)
        .args([
            "sim",
            "codepay",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "20",
            "--exit-after",
            "20",
        ])
        .current_dir(&d)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first.strip_prefix("listening on ").unwrap().to_owned();
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let out = run(
        &d,
        &[
            "sale",
            "--vendor",
            "codepay",
            "--amount",
            "3.00",
            "--json",
            "--set",
            &format!("codepay.port={port}"),
            "--set",
            "codepay.app_id=wz0123456789abcdef",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // The simulator printed the order it received, then exits on its own.
    let mut seen = false;
    for line in lines.map_while(Result::ok) {
        if line.contains("ecrhub.pay.order") {
            seen = true;
            break;
        }
    }
    assert!(seen, "the simulator printed the order");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn pos_sim_paynt_prints_a_pairing_code_and_exits_after() {
    let d = dir("sim-paynt");
    let mut cmd = common::pos(&d);
    cmd.timeout(Duration::from_secs(30));
    let out = common::run_with(cmd, &["sim", "paynt", "--exit-after", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("listening on 127.0.0.1:"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("pairing code "), "{}", out.stdout);
    assert!(out.stdout.contains("fingerprint "), "{}", out.stdout);
}

#[test]
fn the_demo_passes_and_its_json_table_parses() {
    let d = dir("demo");
    let out = run(&d, &["demo", "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let table = out.json();
    assert_eq!(table["passed"], true);
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 32);
    for row in rows {
        assert_eq!(row["ok"], true, "{row}");
    }
    for vendor in ["codepay", "paynt", "interpay", "connect"] {
        assert_eq!(rows.iter().filter(|r| r["vendor"] == vendor).count(), 8);
    }
    let busy: Vec<_> = rows.iter().filter(|r| r["scenario"] == "busy").collect();
    assert!(
        busy.iter()
            .all(|r| r["outcome"] == "rejected" || r["outcome"] == "refused: busy")
    );
    // Live progress went to stderr, prefixed by vendor and scenario.
    assert!(
        out.stderr
            .contains("[connect/signature_check] signature check -> accepted"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_demo_prints_a_table_for_people() {
    let d = dir("demo-human");
    let out = run(&d, &["demo", "--vendor", "paynt", "--speed", "40"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("vendor    scenario"), "{}", out.stdout);
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("paynt "))
            .count(),
        8
    );
    assert!(
        out.stdout.contains("8 of 8 as the scenario table names"),
        "{}",
        out.stdout
    );
}
