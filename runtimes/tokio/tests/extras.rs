//! Vendor extras through the tokio driver: Paynt pairing over HTTPS with trust on first use
//! (the certificate seen is reported and then pinned), and a CodePay command run with
//! [`pos_tokio::Driver::command`].
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use pos_blocking::server::SimServer;
use pos_core::*;
use pos_tokio::{Clock, Driver, os_ids};

mod common;
use common::*;

#[tokio::test]
async fn paynt_pairs_on_first_use_then_sells_with_the_pinned_certificate() {
    let clock = Clock::start_scaled(SCALE);
    let sim = paynt_proto::sim::PayntSim::new(
        paynt_proto::sim::SimConfig {
            token: None,
            ..paynt_proto::sim::SimConfig::default()
        },
        os_ids().unwrap(),
        clock.wall(),
    );
    let server = SimServer::start(sim, server_config(true, SCALE)).unwrap();
    let code = server.with_sim(|s, _| s.pairing_code().to_owned());
    let config = paynt_proto::Config {
        host: "127.0.0.1".into(),
        port: server.local_addr().port(),
        ..paynt_proto::Config::default()
    };
    let machine =
        paynt_proto::PayntMachine::new(config.clone(), os_ids().unwrap(), clock.wall()).unwrap();
    let mut d = Driver::new(machine, clock);
    let txn = d.start(Operation::Pair { code }).await.unwrap();
    let mut token = None;
    let mut pin = None;
    let outcome = d
        .finish_within(txn, LIMIT, |event| {
            match event {
                Event::Notice(Notice::Credential { value, .. }) => token = Some(value.clone()),
                Event::Notice(Notice::TrustCertificate(fp)) => pin = Some(*fp),
                _ => {}
            }
            None
        })
        .await
        .unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    // The fingerprint the TLS client saw is the server's certificate.
    assert_eq!(pin, server.fingerprint());
    let token = token.unwrap();
    assert_eq!(
        Some(token.expose().as_str()),
        server
            .with_sim(|s, _| s.token().map(str::to_owned))
            .as_deref()
    );

    // A fresh till configured with what pairing gave sells on the pinned certificate.
    let config = paynt_proto::Config {
        token: Some(token),
        pinned_fingerprint: pin,
        ..config
    };
    let machine = paynt_proto::PayntMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    let mut d = Driver::new(machine, clock);
    let txn = d.start(sale(1000, Currency::EUR)).await.unwrap();
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
}

#[tokio::test]
async fn a_codepay_command_is_performed_and_reported() {
    let server = codepay_server(SCALE);
    let mut d = codepay_driver(&server, Clock::start_scaled(SCALE));
    codepay_connected(&mut d).await;
    let txn = d.command(|m, now| m.get_info(now)).await.unwrap().unwrap();
    let mut report = None;
    while report.is_none() {
        match d.next_event_within(Duration::from_secs(60)).await.unwrap() {
            Some(Event::Report { txn: t, report: r }) if t == txn => report = Some(r),
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(report.unwrap().kind, "device_info");
}
