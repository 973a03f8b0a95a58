//! TLS trust as protocol configuration: trust on first use, pinning, typed mismatch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns

mod common;

use common::*;
use paynt_proto::{Config, PayntMachine};
use pos_core::{
    Event, Fingerprint, HttpResponse, IdGen, Input, Machine, Notice, Outcome, RejectReason,
    Timestamp, TlsTrust, TransmitKind, TransportError,
};

fn http_of(m: &mut PayntMachine) -> (pos_core::RequestId, TlsTrust) {
    while m.poll_event().is_some() {}
    match m.poll_transmit().map(|t| t.kind) {
        Some(TransmitKind::Http { id, tls, .. }) => (id, tls),
        other => panic!("expected an HTTP request, got {other:?}"),
    }
}

fn events(m: &mut PayntMachine) -> Vec<Event> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

#[test]
fn first_pairing_trusts_on_first_use_and_emits_the_fingerprint() {
    let mut m = PayntMachine::new(Config::default(), IdGen::from_seed(3), WALL).unwrap();
    m.pair(Timestamp::ZERO, "306174").unwrap();
    let (id, tls) = http_of(&mut m);
    assert_eq!(tls, TlsTrust::TrustOnFirstUse);
    let fp = Fingerprint([7; 32]);
    m.handle_input(
        Timestamp::from_millis(10),
        Input::HttpResponse {
            id,
            response: HttpResponse::json(
                200,
                r#"{"serialNumber":"7300418825","authToken":"5820337719046612"}"#,
            ),
            peer_certificate: Some(fp),
        },
    );
    let evs = events(&mut m);
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::Notice(Notice::TrustCertificate(f)) if *f == fp))
    );
    assert!(evs.iter().any(
        |e| matches!(e, Event::Notice(Notice::Credential { name, .. }) if name == "paynt_token")
    ));
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::Finished {
            outcome: Outcome::Approved(_),
            ..
        }
    )));
    assert_eq!(m.pinned_fingerprint(), Some(fp));
    m.start(Timestamp::from_millis(20), sale(100)).unwrap();
    assert_eq!(http_of(&mut m).1, TlsTrust::Pinned(fp));
}

#[test]
fn a_pin_mismatch_is_a_distinct_failure_never_retried() {
    let fp = Fingerprint([1; 32]);
    let config = Config {
        pinned_fingerprint: Some(fp),
        ..config()
    };
    let mut m = machine_with(config, 4);
    let txn = m.start(Timestamp::ZERO, sale(100)).unwrap();
    let (id, tls) = http_of(&mut m);
    assert_eq!(tls, TlsTrust::Pinned(fp));
    m.handle_input(
        Timestamp::from_millis(5),
        Input::HttpFailed {
            id,
            error: TransportError::CertificateMismatch {
                expected: fp,
                actual: Fingerprint([2; 32]),
            },
        },
    );
    let evs = events(&mut m);
    assert!(evs.iter().any(|e| matches!(e, Event::Notice(Notice::ReauthNeeded { code }) if code == "certificate_pin_mismatch")));
    let finished = evs.iter().find_map(|e| match e {
        Event::Finished {
            txn: t,
            outcome: Outcome::Rejected(r),
        } if *t == txn => Some(r.clone()),
        _ => None,
    });
    let r = finished.expect("rejected: the request certainly did not leave");
    assert_eq!(r.reason, RejectReason::Unavailable);
    assert!(r.message.unwrap().contains("CertificatePinMismatch"));
    assert!(m.poll_transmit().is_none(), "no retry");
    assert!(m.poll_timeout().is_none(), "no timer left");
}
