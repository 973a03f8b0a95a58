//! End to end over loopback with the toy protocols: the driver, the transports, the
//! simulator servers, pinning, callbacks and the persist-before-send rule.
#![allow(clippy::unwrap_used, missing_docs)]

mod toy;

use std::net::TcpListener;
use std::time::Duration;

use pos_blocking::server::{CODEPAY_REASON, SimServer, SimServerConfig};
use pos_blocking::{CallbackListener, Clock, Driver, DriverError, FailingSink, MemorySink};
use pos_core::*;
use toy::sim::ToySim;
use toy::{Link, Toy, sale};

const LIMIT: Duration = Duration::from_secs(15);

fn server(tls: bool, time_scale: u32) -> SimServer<ToySim> {
    let config = SimServerConfig {
        tls,
        time_scale,
        ..SimServerConfig::default()
    };
    SimServer::start(ToySim::new(), config).unwrap()
}

fn driver(link: Link) -> Driver<Toy> {
    let clock = Clock::start();
    let toy = Toy::new(link, pos_blocking::os_ids().unwrap(), clock.wall());
    Driver::new(toy, clock)
}

fn run(driver: &mut Driver<Toy>, minor: i64) -> Outcome {
    let txn = driver.start(sale(minor)).unwrap();
    driver.finish_within(txn, LIMIT, |_| None).unwrap()
}

fn ws(server: &SimServer<ToySim>) -> Link {
    Link::Ws {
        url: server.ws_url(),
    }
}

fn https(server: &SimServer<ToySim>, callback: Option<String>) -> Link {
    Link::Http {
        base: server.base_url(),
        tls: server.trust(),
        callback,
    }
}

#[test]
fn websocket_sale_passes_the_nonstandard_reason_phrase() {
    assert_eq!(CODEPAY_REASON, "Web Socket Protocol Handshake");
    let sim = server(false, 1);
    let mut d = driver(ws(&sim));
    let outcome = run(&mut d, 1250);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_eq!(sim.truth(outcome.references()), Some(Truth::Approved));
    let outcome = run(&mut d, 1251);
    assert_eq!(outcome.class(), OutcomeClass::Declined);
}

#[test]
fn the_simulator_clock_can_run_faster_than_real_time() {
    let sim = server(false, 30);
    let mut d = driver(ws(&sim));
    let started = Clock::start();
    let outcome = run(&mut d, 1253);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    let real = started.now().as_millis();
    assert!(
        (1500..10_000).contains(&real),
        "60 s of simulator time took {real} ms"
    );
}

#[test]
fn a_websocket_killed_by_the_terminal_side_is_recovered() {
    let sim = server(false, 1);
    sim.kill_on("RESULT");
    let mut d = driver(ws(&sim));
    let txn = d.start(sale(1250)).unwrap();
    let mut lost = false;
    let outcome = d
        .finish_within(txn, LIMIT, |e| {
            lost |= matches!(e, Event::Notice(Notice::LinkLost { .. }));
            None
        })
        .unwrap();
    assert!(lost, "the link loss reached the machine");
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_eq!(sim.with_sim(|s, _| s.pays), 1, "money sent once");
}

#[test]
fn https_polling_with_a_pinned_certificate() {
    let sim = server(true, 1);
    let mut d = driver(https(&sim, None));
    assert_eq!(run(&mut d, 1250).class(), OutcomeClass::Approved);
    assert_eq!(run(&mut d, 1251).class(), OutcomeClass::Declined);
    // The response is dropped after the simulator approved: recovery finds the approval.
    let outcome = run(&mut d, 1254);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_eq!(sim.with_sim(|s, _| s.pays), 3);
}

#[test]
fn a_pinned_fingerprint_mismatch_sends_nothing() {
    let sim = server(true, 1);
    let link = Link::Http {
        base: sim.base_url(),
        tls: TlsTrust::Pinned(Fingerprint([7; 32])),
        callback: None,
    };
    let mut d = driver(link);
    let outcome = run(&mut d, 1250);
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        r.message
            .as_deref()
            .unwrap()
            .contains("certificate mismatch"),
        "{r:?}"
    );
    assert_eq!(sim.with_sim(|s, _| s.pays), 0);

    let request = HttpRequest::new(Method::Get, format!("{}/status/X", sim.base_url()));
    let err = pos_blocking::http_client::send(
        &request,
        Duration::from_secs(2),
        &TlsTrust::Pinned(Fingerprint([7; 32])),
    )
    .unwrap_err();
    assert_eq!(
        err,
        TransportError::CertificateMismatch {
            expected: Fingerprint([7; 32]),
            actual: sim.fingerprint().unwrap()
        }
    );
    let (resp, seen) = pos_blocking::http_client::send(
        &request,
        Duration::from_secs(2),
        &TlsTrust::TrustOnFirstUse,
    )
    .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(
        seen,
        sim.fingerprint(),
        "trust on first use reports the fingerprint"
    );
    let err = pos_blocking::http_client::send(&request, Duration::from_secs(2), &TlsTrust::WebPki)
        .unwrap_err();
    assert!(matches!(err, TransportError::Tls(_)), "{err:?}");
}

#[test]
fn results_arrive_as_callbacks_on_the_listener() {
    let sim = server(false, 1);
    let listener = CallbackListener::bind("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let url = listener.url_for("till-1/result");
    let clock = Clock::start();
    let toy = Toy::new(https(&sim, Some(url)), IdGen::from_seed(1), clock.wall());
    let mut d = Driver::new(toy, clock).with_callbacks(listener.route("till-1/"));
    let outcome = run(&mut d, 1250);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    // A path no driver owns is refused.
    let stray = HttpRequest::new(Method::Post, listener.url_for("other/x"));
    let (resp, _) =
        pos_blocking::http_client::send(&stray, Duration::from_secs(2), &TlsTrust::WebPki).unwrap();
    assert_eq!(resp.status, 404);
}

#[test]
fn a_failing_journal_sends_no_money_request() {
    for link_ws in [true, false] {
        let sim = server(false, 1);
        let link = if link_ws { ws(&sim) } else { https(&sim, None) };
        let mut d = driver(link).with_sink(FailingSink);
        let err = d.start(sale(1250)).unwrap_err();
        let DriverError::Persist { txn, .. } = err else {
            panic!("{err:?}")
        };
        // Give any stray send time to arrive.
        assert!(d.next_event_within(Duration::from_millis(500)).is_err());
        assert_eq!(
            sim.with_sim(|s, _| s.pays),
            0,
            "no money request without a journal"
        );
        // Once the journal works again, the transaction goes on.
        let sink = MemorySink::new();
        d.replace_sink(sink.clone()).unwrap();
        let outcome = d.finish_within(txn, LIMIT, |_| None).unwrap();
        assert_eq!(outcome.class(), OutcomeClass::Approved);
        assert_eq!(sink.records().len(), 1);
        assert!(sink.unfinished().is_empty());
        assert_eq!(sim.with_sim(|s, _| s.pays), 1);
    }
}

#[test]
fn transport_failures_are_distinct_inputs() {
    // Nothing listens: connect failure, the request was not sent.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut d = driver(Link::Ws {
        url: format!("ws://127.0.0.1:{port}/"),
    });
    assert_eq!(run(&mut d, 1250).class(), OutcomeClass::Rejected);

    // A server that accepts and never answers: timeout within the request's deadline.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/x", silent.local_addr().unwrap());
    let clock = Clock::start();
    let err = pos_blocking::http_client::send(
        &HttpRequest::new(Method::Get, url),
        Duration::from_millis(300),
        &TlsTrust::WebPki,
    )
    .unwrap_err();
    assert_eq!(err, TransportError::Timeout);
    assert!(clock.now().as_millis() < 2000);
    drop(silent);
}

#[test]
fn servers_shut_down_cleanly() {
    let sim = server(true, 1);
    let addr = sim.local_addr();
    sim.shutdown();
    std::thread::sleep(Duration::from_millis(50));
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}

#[test]
fn an_answer_the_machine_refuses_does_not_end_the_wait_for_the_outcome() {
    let sim = server(false, 1);
    let mut d = driver(ws(&sim));
    let txn = d.start(sale(1256)).unwrap();
    let mut asked = 0;
    let outcome = d
        .finish_within(txn, LIMIT, |event| {
            matches!(event, Event::Question { .. }).then(|| {
                asked += 1;
                Answer::Signature { accepted: true }
            })
        })
        .unwrap();
    assert_eq!(asked, 1);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_eq!(sim.truth(outcome.references()), Some(Truth::Approved));
}
