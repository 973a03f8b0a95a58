//! Fuzz bodies, called one line each by the cargo-fuzz targets in `fuzz/` and replayed over
//! the committed corpora by `tests/fuzz_corpus.rs`. None may panic on any input; where a
//! codec promises a round trip, the body checks it and panics on a mismatch.
#![allow(clippy::panic, clippy::expect_used)] // a fuzz body reports a broken promise by panicking

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use pos_core::testing::{Pair, PairConfig, RandomFaults};
use pos_core::{CommandError, Currency, IdGen, Money, Operation, Outcome, WallClock};

use crate::codec::{
    Details, admin_class, classify_order, close_class, encode_request, query_verdict,
};
use crate::message::Envelope;
use crate::serial::{Role, SerialConfig, SerialLink, parse_frame};
use crate::sim::{Behaviour, CodepaySim, SimConfig, SimFaults};
use crate::{CodepayMachine, Config};

/// Parses `data` as a WebSocket message, classifies it every way the machine would, and
/// checks that a re-encoded envelope parses back to the same fields.
pub fn decode_message(data: &[u8]) {
    for kind in crate::DECODE_KINDS {
        let _ = crate::decode(kind, data);
    }
    let Ok(env) = Envelope::parse(data) else {
        return;
    };
    let _ = classify_order(&env, None);
    let _ = query_verdict(&env);
    let _ = close_class(&env);
    let _ = admin_class(&env);
    let _ = Details::from_envelope(&env, Currency::USD);
    let text = encode_request(
        env.topic.as_deref().unwrap_or(""),
        env.app_id.as_deref().unwrap_or(""),
        env.request_id.as_deref().unwrap_or(""),
        0,
        &env.biz,
        env.device_data.as_ref(),
    );
    let again = Envelope::parse(text.as_bytes()).expect("an encoded envelope parses");
    assert_eq!(again.topic, env.topic, "topic round trip");
    assert_eq!(again.request_id, env.request_id, "request_id round trip");
    for key in env.biz.keys() {
        assert_eq!(
            again.biz_text(key),
            env.biz_text(key),
            "biz_data.{key} round trip"
        );
    }
}

/// Parses `data` as serial frames: every valid frame re-encodes to its exact bytes; the
/// same bytes fed to a link in odd-sized reads never panic.
pub fn decode_frame(data: &[u8]) {
    let mut rest = data;
    while !rest.is_empty() {
        match parse_frame(rest, crate::serial::DEFAULT_MAX_RX_DATA) {
            Ok(Some((frame, used))) => {
                assert_eq!(
                    Some(&frame.encode()[..]),
                    rest.get(..used),
                    "frame round trip"
                );
                rest = rest.get(used..).unwrap_or_default();
            }
            Ok(None) => break,
            Err(_) => rest = rest.get(1..).unwrap_or_default(),
        }
    }
    let mut link = SerialLink::new(Role::Terminal, SerialConfig::terminal());
    let mut now = pos_core::Timestamp::ZERO;
    for chunk in data.chunks(7) {
        now += Duration::from_millis(300);
        link.handle_bytes(now, chunk);
        link.handle_timeout(now);
        while link.poll_write().is_some() {}
        while link.poll_payload().is_some() {}
        while link.poll_event().is_some() {}
    }
}

/// One step of a fuzzed session.
#[derive(Arbitrary, Debug)]
enum Step {
    Sale {
        cents: u8,
        whole: u8,
        tip: Option<u8>,
        cashback: Option<u8>,
    },
    Refund {
        referenced: bool,
        cents: u8,
    },
    Void,
    PreAuth {
        cents: u8,
    },
    Completion,
    TipAdjust {
        tip: u8,
    },
    Lookup,
    BatchClose,
    Script(u8),
    Cancel {
        after_ms: u16,
    },
    OperatorCancel {
        after_ms: u16,
    },
    Disconnect,
    Crash {
        after_ms: u16,
    },
    Wait {
        ms: u32,
    },
}

/// Runs a session chosen by `data` (operations, simulator behaviours, faults and clock
/// steps) in the pair harness, which checks the money invariants after every step.
pub fn machine(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let rate = |u: &mut Unstructured<'_>, max: u16| u.int_in_range(0..=max).unwrap_or(0);
    let faults = RandomFaults {
        seed,
        drop: rate(&mut u, 30),
        duplicate: rate(&mut u, 30),
        delay: rate(&mut u, 60),
        reorder: rate(&mut u, 30),
        disconnect: rate(&mut u, 20),
        max_delay: Duration::from_secs(5),
    };
    let sim_faults = SimFaults {
        seed,
        numbers_as_json: u.arbitrary().unwrap_or(false),
        unknown_keys: u.arbitrary().unwrap_or(false),
        binary_replies: u.arbitrary().unwrap_or(false),
        heartbeat_every_ms: u.arbitrary::<bool>().unwrap_or(false).then_some(2_000),
        ..SimFaults::default()
    };
    let sim_config = SimConfig {
        faults: sim_faults,
        redeliver_on_reconnect: u.arbitrary().unwrap_or(true),
        ..SimConfig::default()
    };
    let config = Config::new("192.0.2.10", "wz0123456789abcdef");
    let Ok(pos) = CodepayMachine::new(
        config.clone(),
        IdGen::from_seed(seed),
        WallClock::new(1_767_264_120_000),
    ) else {
        return;
    };
    let sim = CodepaySim::new(
        sim_config,
        IdGen::from_seed(seed ^ 1),
        WallClock::new(1_767_264_120_000),
    );
    let mut pair = Pair::new(pos, sim, PairConfig::default()).with_factory(move |s| {
        CodepayMachine::new(
            config.clone(),
            IdGen::from_seed(s),
            WallClock::new(1_767_264_120_000),
        )
        .expect("the configuration was valid")
    });
    pair.set_random_faults(faults);
    pair.run_for(Duration::from_millis(20));
    let mut last: Option<String> = None;
    let mut pre_auth: Option<String> = None;
    let mut steps = 0;
    while let Ok(step) = u.arbitrary::<Step>() {
        steps += 1;
        if steps > 12 {
            break;
        }
        let usd = |minor: i64| Money::from_minor(minor, Currency::USD).ok();
        let op = match step {
            Step::Sale {
                cents,
                whole,
                tip,
                cashback,
            } => {
                usd(i64::from(whole) * 100 + i64::from(cents % 100)).map(|amount| Operation::Sale {
                    amount,
                    tip: tip.and_then(|t| usd(i64::from(t))),
                    cashback: cashback.and_then(|c| usd(i64::from(c) + 1)),
                    reference: None,
                })
            }
            Step::Refund { referenced, cents } => {
                usd(100 + i64::from(cents)).map(|amount| Operation::Refund {
                    amount,
                    original: if referenced { last.clone() } else { None },
                    reference: None,
                })
            }
            Step::Void => last.clone().map(|original| Operation::Void {
                original,
                reference: None,
            }),
            Step::PreAuth { cents } => {
                usd(5_000 + i64::from(cents)).map(|amount| Operation::PreAuth {
                    amount,
                    reference: None,
                })
            }
            Step::Completion => pre_auth.clone().and_then(|original| {
                usd(4_000).map(|amount| Operation::Completion {
                    amount,
                    original,
                    reference: None,
                })
            }),
            Step::TipAdjust { tip } => last.clone().and_then(|original| {
                usd(i64::from(tip)).map(|tip| Operation::TipAdjust { original, tip })
            }),
            Step::Lookup => last.clone().map(|original| Operation::Lookup { original }),
            Step::BatchClose => Some(Operation::BatchClose),
            Step::Script(b) => {
                let behaviour = match b % 8 {
                    0 => Behaviour::Decline,
                    1 => Behaviour::CancelOnTerminal,
                    2 => Behaviour::LoseApproval,
                    3 => Behaviour::LoseDecline,
                    4 => Behaviour::ApproveAnswerUnknown,
                    5 => Behaviour::ApproveThenDisconnect,
                    6 => Behaviour::Busy,
                    _ => Behaviour::ReadCardTimeout,
                };
                pair.with_sim(|sim, _| sim.script(behaviour));
                None
            }
            Step::Cancel { after_ms } => usd(2_000)
                .map(|amount| {
                    let op = Operation::Sale {
                        amount,
                        tip: None,
                        cashback: None,
                        reference: None,
                    };
                    (op, after_ms)
                })
                .and_then(|(op, after)| {
                    if let Some(txn) = start(&mut pair, &op) {
                        pair.run_for(Duration::from_millis(u64::from(after % 5_000)));
                        let _ = pair.cancel(txn);
                        pair.run_until_finished(txn);
                    }
                    None
                }),
            Step::OperatorCancel { after_ms } => {
                pair.run_for(Duration::from_millis(u64::from(after_ms % 5_000)));
                pair.with_sim(|sim, now| sim.operator_cancel(now));
                None
            }
            Step::Disconnect => {
                pair.disconnect();
                None
            }
            Step::Crash { after_ms } => {
                if let Some(txn) = usd(3_000).and_then(|amount| {
                    start(
                        &mut pair,
                        &Operation::Sale {
                            amount,
                            tip: None,
                            cashback: None,
                            reference: None,
                        },
                    )
                }) {
                    pair.run_for(Duration::from_millis(u64::from(after_ms % 6_000)));
                    pair.crash_and_resume();
                    pair.run_until_finished(txn);
                }
                None
            }
            Step::Wait { ms } => {
                pair.run_for(Duration::from_millis(u64::from(ms % 200_000)));
                None
            }
        };
        let Some(op) = op else { continue };
        let Some(txn) = start(&mut pair, &op) else {
            continue;
        };
        let outcome = pair.run_until_finished(txn);
        assert!(pair.money_requests(txn) <= 1, "two money requests");
        if let Outcome::Approved(a) = &outcome {
            match op {
                Operation::Sale { .. } => last = a.references.primary.clone(),
                Operation::PreAuth { .. } => pre_auth = a.references.primary.clone(),
                _ => {}
            }
        }
    }
    pair.run_for(Duration::from_secs(10));
}

/// Starts `op`, waiting while the machine is busy, recovering or reconnecting.
fn start(pair: &mut Pair<CodepayMachine, CodepaySim>, op: &Operation) -> Option<pos_core::TxnId> {
    for _ in 0..200 {
        match pair.start(op.clone()) {
            Ok(txn) => return Some(txn),
            Err(
                CommandError::NotConnected | CommandError::Busy | CommandError::RecoveryPending,
            ) => {
                pair.run_for(Duration::from_secs(1));
            }
            Err(_) => return None,
        }
    }
    None
}

/// Returns a few hand-made seeds per body, for `fuzz/corpus/codepay_*`.
#[must_use]
pub fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let order = br#"{"topic":"ecrhub.pay.order","app_id":"wz0123456789abcdef","request_id":"9d2e","response_code":"000","biz_data":{"trans_type":"1","merchant_order_no":"L01","order_amount":"23.40","tip_amount":3,"trans_status":"2","card_no":"400000******0002"}}"#;
    let decline = br#"{"topic":"ecrhub.pay.order","response_code":"106","biz_data":"{\"trans_status\":\"1\"}"}"#;
    let query = br#"{"topic":"ecrhub.pay.query","request_id":"c4","response_code":"0104","biz_data":{"merchant_order_no":"L02"}}"#;
    let frame = crate::serial::Frame::data(7, 0, br#"{"topic":"ecrhub.pay.query","app_id":"wz0123456789abcdef","request_id":"a1","biz_data":{"merchant_order_no":"T1"}}"#.to_vec()).encode();
    let mut noisy = alloc::vec![0x00, 0x55, 0x13];
    noisy.extend_from_slice(&crate::serial::Frame::handshake().encode());
    noisy.extend_from_slice(&crate::serial::Frame::ack(0x2A).encode());
    noisy.extend_from_slice(&[0x55, 0xAA, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x2B, 0xCC, 0x33]);
    alloc::vec![
        ("codepay_decode_message", "order_approved", order.to_vec()),
        (
            "codepay_decode_message",
            "order_declined_string_biz",
            decline.to_vec()
        ),
        ("codepay_decode_message", "query_not_found", query.to_vec()),
        ("codepay_decode_frame", "query_data_frame", frame),
        ("codepay_decode_frame", "noise_and_control", noisy),
        ("codepay_machine", "quiet", alloc::vec![0; 16]),
        (
            "codepay_machine",
            "mixed",
            (0u8..96).map(|i| i.wrapping_mul(37)).collect()
        ),
        (
            "codepay_machine",
            "faulty",
            (0u8..128)
                .map(|i| i.wrapping_mul(101).wrapping_add(7))
                .collect()
        ),
    ]
}
