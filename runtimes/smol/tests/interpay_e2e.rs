//! InterPay end to end on smol: the real machine against its gateway simulator over HTTP on
//! loopback; results come back as callbacks the server delivers with a real HTTP client to
//! the smol [`pos_smol::CallbackListener`]. At [`common::SPEED`] the callback deadline
//! (300 s) before recovery takes 15 s.
#![allow(
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::interpay::{driver, listener, sale, server};
use pos_core::{OutcomeClass, Scenario};

/// Real seconds each transaction may take.
const LIMIT: u64 = 40;

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    common::each(&Scenario::SHARED, |spawner, s| async move {
        let sim = server(0);
        let listener = listener(&spawner).await;
        let mut d = driver(&sim, &listener, "till-1", "FRONTDESK-2", spawner);
        let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT).await;
        common::check("interpay", s, &outcome, &sim);
    });
}

#[test]
fn a_start_reply_killed_by_the_gateway_is_settled_by_the_callback() {
    common::on_one_thread(|spawner| async move {
        let sim = server(0);
        let listener = listener(&spawner).await;
        let mut d = driver(&sim, &listener, "till-1", "FRONTDESK-2", spawner);
        sim.kill_on("\"SECUREID\"");
        let outcome = common::run(&mut d, sale(1000), LIMIT).await;
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        common::agrees_with_truth("interpay", &outcome, &sim);
        assert_eq!(sim.pending_kills(), 0, "the connection was killed");
    });
}

#[test]
fn tills_share_one_listener_by_path() {
    common::on_one_thread(|spawner| async move {
        let sim = server(2);
        let listener = listener(&spawner).await;
        let tasks: Vec<_> = [(0, 1000), (1, 1251)]
            .into_iter()
            .map(|(n, minor)| {
                let mut d = driver(
                    &sim,
                    &listener,
                    &format!("till-{n}"),
                    &format!("LANE-{n}"),
                    spawner.clone(),
                );
                spawner.spawn(async move { (minor, common::run(&mut d, sale(minor), LIMIT).await) })
            })
            .collect();
        for task in tasks {
            let (minor, outcome) = task.await;
            let expected = Scenario::from_minor_units(minor).expected().unwrap();
            assert_eq!(outcome.class(), expected, "{minor}: {outcome:?}");
        }
    });
}

#[test]
fn a_callback_for_no_route_is_refused() {
    common::on_one_thread(|spawner| async move {
        let listener = listener(&spawner).await;
        let request =
            pos_core::HttpRequest::new(pos_core::Method::Post, listener.url_for("nobody/result"))
                .body(b"{}".to_vec());
        let (response, pin) = pos_smol::http_client::send(
            &request,
            std::time::Duration::from_secs(5),
            &pos_core::TlsTrust::WebPki,
        )
        .await
        .unwrap();
        assert_eq!((response.status, pin), (404, None));
    });
}
