//! Bad input never panics: malformed responses, wrong statuses, unknown ids, spurious calls.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use connect_proto::Config;
use pos_core::{
    Answer, CommandError, Currency, HttpResponse, Input, Machine, Money, Operation, RequestId,
    Timestamp, TransmitKind, TxnId,
};

fn first_request_id(m: &mut connect_proto::ConnectMachine) -> Option<RequestId> {
    while m.poll_event().is_some() {}
    let mut id = None;
    while let Some(t) = m.poll_transmit() {
        if let TransmitKind::Http { id: i, .. } = t.kind {
            id = Some(i);
        }
    }
    id
}

#[test]
fn garbage_responses_never_panic_and_never_finish_a_sale_as_approved() {
    let bodies: [&[u8]; 8] = [
        b"",
        b"\xff\xfe",
        b"[]",
        b"{\"requestId\":5}",
        b"{\"notifications\":[\"TRANSACTION_FINISHED\"],\"transactionResult\":{}}",
        b"{\"notifications\":7}",
        b"null",
        b"{\"requestId\":\"\"}",
    ];
    for status in [
        200u16, 201, 202, 204, 302, 400, 401, 404, 408, 409, 422, 429, 500, 503, 999,
    ] {
        for body in bodies {
            let mut m = machine(Config::default(), 3);
            let mut now = Timestamp::ZERO;
            let txn = m.start(now, sale(1000)).unwrap();
            let mut approved = false;
            for _ in 0..400 {
                if let Some(id) = first_request_id(&mut m) {
                    m.handle_input(
                        now,
                        Input::HttpResponse {
                            id,
                            response: HttpResponse::new(status).body(body.to_vec()),
                            peer_certificate: None,
                        },
                    );
                }
                while let Some(e) = m.poll_event() {
                    if let pos_core::Event::Finished { txn: t, outcome } = e {
                        assert_eq!(t, txn);
                        approved |= outcome.class() == pos_core::OutcomeClass::Approved;
                    }
                }
                match m.poll_timeout() {
                    Some(t) => {
                        assert!(t > now, "a timer at or before now");
                        now = t;
                        m.handle_timeout(now);
                    }
                    None => break,
                }
            }
            assert!(!approved, "status {status} body {body:?}");
            assert!(
                m.poll_timeout().is_none(),
                "status {status} body {body:?} never ended"
            );
        }
    }
}

#[test]
fn unknown_ids_and_spurious_calls_are_harmless() {
    let mut m = machine(Config::default(), 4);
    let now = Timestamp::from_millis(10);
    m.handle_timeout(now);
    m.handle_input(
        now,
        Input::HttpFailed {
            id: RequestId(1),
            error: pos_core::TransportError::Timeout,
        },
    );
    m.handle_input(now, Input::Text("x".into()));
    assert!(m.poll_event().is_none());
    assert!(m.poll_transmit().is_none());
    assert_eq!(
        m.cancel(now, TxnId(9)),
        Err(CommandError::UnknownTransaction { txn: TxnId(9) })
    );
    assert!(
        m.answer(now, TxnId(9), Answer::Signature { accepted: true })
            .is_err()
    );
}

#[test]
fn operations_connect_cannot_do_are_refused_synchronously() {
    let mut m = machine(Config::default(), 5);
    let now = Timestamp::ZERO;
    let usd = Money::from_minor(100, Currency::from_code("USD").unwrap()).unwrap();
    for op in [
        Operation::Sale {
            amount: gbp(100),
            tip: Some(gbp(10)),
            cashback: None,
            reference: None,
        },
        Operation::Sale {
            amount: gbp(100),
            tip: None,
            cashback: Some(gbp(10)),
            reference: None,
        },
        Operation::Refund {
            amount: gbp(100),
            original: Some("x".into()),
            reference: None,
        },
        Operation::Void {
            original: "x".into(),
            reference: None,
        },
        Operation::TipAdjust {
            original: "x".into(),
            tip: gbp(1),
        },
        Operation::Sale {
            amount: usd,
            tip: None,
            cashback: None,
            reference: None,
        },
        Operation::Sale {
            amount: gbp(100_000_000),
            tip: None,
            cashback: None,
            reference: None,
        },
        Operation::Completion {
            amount: gbp(100),
            original: String::new(),
            reference: None,
        },
        Operation::Lookup {
            original: String::new(),
        },
    ] {
        assert!(m.start(now, op).is_err());
        assert!(m.poll_event().is_none());
        assert!(m.poll_transmit().is_none());
    }
    m.start(now, sale(100)).unwrap();
    assert_eq!(m.start(now, sale(100)), Err(CommandError::Busy));
}

#[test]
fn resume_refuses_other_vendors_records() {
    let mut m = machine(Config::default(), 6);
    let record = pos_core::PersistRecord::new(TxnId(1), "paynt", sale(100), 0, Default::default());
    assert!(matches!(
        m.resume(Timestamp::ZERO, record),
        Err(CommandError::InvalidRecord { .. })
    ));
}
