//! Bad input never panics and gets the typed error or status the spec names.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use interpay_proto::{ConfigError, DecodeError, InterpayMachine, decode};
use pos_core::{
    CallbackId, CommandError, HttpRequest, IdGen, Input, Machine, Method, Operation, Timestamp,
    TransmitKind,
};

fn reply_status(m: &mut InterpayMachine, request: HttpRequest) -> u16 {
    m.handle_input(
        Timestamp::ZERO,
        Input::Callback {
            id: CallbackId(1),
            request,
        },
    );
    while m.poll_event().is_some() {}
    loop {
        match m.poll_transmit().map(|t| t.kind) {
            Some(TransmitKind::CallbackReply { response, .. }) => return response.status,
            Some(_) => continue,
            None => panic!("no reply"),
        }
    }
}

fn started() -> (InterpayMachine, String) {
    let mut m = machine(&config(), 3);
    m.start(Timestamp::ZERO, sale(1000)).unwrap();
    let mut token = String::new();
    while let Some(e) = m.poll_event() {
        if let pos_core::Event::Persist(r) = e {
            token = r.secrets["token"].expose().clone();
        }
    }
    while m.poll_transmit().is_some() {}
    (m, token)
}

#[test]
fn callbacks_get_the_statuses_of_section_5_5() {
    let (mut m, token) = started();
    let path = format!("/ipcb/{token}/ok");
    assert!(m.accepts_callback(&HttpRequest::new(Method::Post, path.clone())));
    assert!(!m.accepts_callback(&HttpRequest::new(Method::Post, "/ipcb/nottoken/ok")));
    assert!(!m.accepts_callback(&HttpRequest::new(Method::Post, "/other/x")));
    let put = HttpRequest::new(Method::Put, path.clone());
    assert_eq!(reply_status(&mut m, put), 405);
    let big = HttpRequest::new(Method::Post, path.clone()).body(vec![b'a'; (1 << 20) + 1]);
    assert_eq!(reply_status(&mut m, big), 413);
    let unknown = HttpRequest::new(Method::Post, "/ipcb/aaaaaaaaaaaaaaaaaaaaaaaaaa/ok");
    assert_eq!(reply_status(&mut m, unknown), 404);
    let garbage = HttpRequest::new(Method::Post, path.clone())
        .header("Content-Type", "application/json")
        .body(b"{not json".to_vec());
    assert_eq!(reply_status(&mut m, garbage), 400);
    let no_ids =
        HttpRequest::new(Method::Post, path.clone()).body(b"CODE=0000&TEXT=APPROVED".to_vec());
    assert_eq!(reply_status(&mut m, no_ids), 400);
    let wrong_id = HttpRequest::new(Method::Post, path)
        .body(b"CODE=0000&TEXT=APPROVED&REQUESTID=99999&AMT=10.00".to_vec());
    assert_eq!(reply_status(&mut m, wrong_id), 400);
    let bad_path = HttpRequest::new(Method::Post, format!("/ipcb/{token}/elsewhere"));
    assert_eq!(reply_status(&mut m, bad_path), 404);
    // Nothing of that changed the session: a cancel is still possible later.
    assert_eq!(m.poll_event(), None);
}

#[test]
fn commands_are_refused_with_typed_errors() {
    let mut m = machine(&config(), 3);
    let now = Timestamp::ZERO;
    let usd = pos_core::Money::from_minor(100, pos_core::Currency::USD).unwrap();
    let refused = m.start(
        now,
        Operation::Sale {
            amount: usd,
            tip: None,
            cashback: None,
            reference: None,
        },
    );
    assert!(matches!(
        refused,
        Err(CommandError::AmountNotAccepted { .. })
    ));
    let zero = m.start(now, sale(0));
    assert!(matches!(zero, Err(CommandError::AmountNotAccepted { .. })));
    let too_much = m.start(now, sale(10_000_000));
    assert!(matches!(
        too_much,
        Err(CommandError::AmountNotAccepted { .. })
    ));
    let bad_ref = Operation::Sale {
        amount: cad(100),
        tip: None,
        cashback: None,
        reference: Some("12a".into()),
    };
    assert!(matches!(
        m.start(now, bad_ref),
        Err(CommandError::InvalidReference { .. })
    ));
    let tip = Operation::Sale {
        amount: cad(100),
        tip: Some(cad(1)),
        cashback: None,
        reference: None,
    };
    assert!(matches!(
        m.start(now, tip),
        Err(CommandError::InvalidArgument { .. })
    ));
    let void = Operation::Void {
        original: "1".into(),
        reference: None,
    };
    assert!(matches!(
        m.start(now, void),
        Err(CommandError::Unsupported { .. })
    ));
    assert!(
        m.poll_event().is_none() && m.poll_transmit().is_none(),
        "refusals change nothing"
    );
}

#[test]
fn configs_are_checked() {
    let wall = WALL;
    let mut c = config();
    c.callback_base = "http://127.0.0.1:8081".into();
    assert!(matches!(
        InterpayMachine::new(c.clone(), IdGen::from_seed(1), wall),
        Err(ConfigError::Invalid {
            field: "callback_base",
            ..
        })
    ));
    c.allow_insecure_callbacks = true;
    assert!(InterpayMachine::new(c.clone(), IdGen::from_seed(1), wall).is_ok());
    c.termid = "bad id!".into();
    assert!(InterpayMachine::new(c, IdGen::from_seed(1), wall).is_err());
    let mut c = config();
    c.timeouts.http_response_secs = 61;
    assert!(InterpayMachine::new(c, IdGen::from_seed(1), wall).is_err());
}

#[test]
fn gateway_garbage_is_a_transport_failure_not_a_panic() {
    let mut m = machine(&config(), 3);
    m.start(Timestamp::ZERO, sale(1000)).unwrap();
    while m.poll_event().is_some() {}
    let Some(TransmitKind::Http { id, .. }) = m.poll_transmit().map(|t| t.kind) else {
        panic!()
    };
    let junk = pos_core::HttpResponse::new(200).body(b"\xff\xfe<html>".to_vec());
    m.handle_input(
        Timestamp::ZERO,
        Input::HttpResponse {
            id,
            response: junk,
            peer_certificate: None,
        },
    );
    // Possibly delivered: failover to the peer with the identical body.
    let next = m.poll_transmit().unwrap();
    assert!(!next.moves_money);
}

#[test]
fn decode_names_what_is_wrong() {
    assert!(matches!(
        decode("nope", b""),
        Err(DecodeError::UnknownKind { .. })
    ));
    assert!(matches!(
        decode("callback", b"{\"CODE\":\"0000\"}"),
        Err(DecodeError::MissingField(_))
    ));
    assert!(decode("callback", b"{bad").is_err());
    let v = decode(
        "callback",
        br#"{"CODE":"0000","TEXT":"APPROVED","AMT":"42.75","REQUESTID":"2000001337","CARDMASK":"****4417","CARDTYPE":"M"}"#,
    )
    .unwrap();
    assert_eq!(v["outcome"], "approved");
    assert_eq!(v["amount_minor"], 4275);
    assert_eq!(v["card_last4"], "4417");
    let v = decode("start_reply", b"TEXT=TERMINAL BUSY&CODE=8505").unwrap();
    assert_eq!(v["class"]["rejected"], "terminal_busy");
    let v = decode(
        "start_request",
        br#"{"TERMID":"A","PASS":"secret","AMT":"1.00"}"#,
    )
    .unwrap();
    assert!(!v.to_string().contains("secret"));
}
