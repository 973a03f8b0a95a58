//! Fuzz bodies (feature `fuzzing`); `fuzz/` targets call these in one line each.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use arbitrary::Unstructured;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher, Pair, PairConfig, RandomFaults};
use pos_core::{Currency, IdGen, Money, Operation, Scenario, Secret, WallClock};

use crate::codec;
use crate::sim::{PayntSim, SimConfig};
use crate::{Config, PayntMachine};

/// Decodes a result body; re-encoding the reading and decoding again gives the same reading.
pub fn decode_result(data: &[u8]) {
    if let Ok(r) = codec::decode_result(data, codec::MAX_BODY_BYTES) {
        let again = codec::decode_result(&codec::encode_result(&r), codec::MAX_BODY_BYTES);
        if let Ok(mut again) = again {
            again.bad_fields.clone_from(&r.bad_fields);
            assert_eq!(again.trans_approved, r.trans_approved);
            assert_eq!(again.classify(), r.classify());
            assert_eq!(again.uti, r.uti);
            assert_eq!(again.trans_amount, r.trans_amount);
        }
    }
    let _ = crate::decode("status", data);
}

/// Decodes a start request; an accepted one round-trips exactly.
pub fn decode_start_request(data: &[u8]) {
    if let Ok(r) = codec::decode_start_request(data) {
        let again = codec::decode_start_request(&codec::encode_start_request(&r));
        assert_eq!(again.as_ref().ok(), Some(&r));
    }
}

/// Decodes a start reply and a pairing reply; pairing replies round-trip exactly.
pub fn decode_replies(data: &[u8]) {
    let _ = codec::decode_start_response(data);
    if let Ok(r) = codec::decode_pair_response(data) {
        let again = codec::decode_pair_response(&codec::encode_pair_response(&r, false));
        assert_eq!(again.ok(), Some(r));
    }
    let _ = codec::error_text(data);
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = codec::parse_java_date(text);
    }
}

/// Runs the machine against the simulator with operations, faults and clock steps chosen by
/// `data`; the pair harness checks the money invariants after every step.
pub fn machine(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let token = "5820337719046612";
    let wall = WallClock::new(1_749_891_600_000);
    let config = Config {
        token: Some(Secret::new(token.into())),
        ..Config::default()
    };
    let sim = SimConfig {
        token: Some(token.into()),
        not_found_window: Duration::from_millis(
            u64::from(u.int_in_range(0..=3u8).unwrap_or(0)) * 1000,
        ),
        ..SimConfig::default()
    };
    let factory_config = config.clone();
    let Ok(machine) = PayntMachine::new(config, IdGen::from_seed(1), wall) else {
        return;
    };
    let mut pair = Pair::new(
        machine,
        PayntSim::new(sim, IdGen::from_seed(2), wall),
        PairConfig::default(),
    )
    .with_factory(move |seed| {
        #[allow(clippy::expect_used)] // the same configuration was accepted above
        PayntMachine::new(factory_config.clone(), IdGen::from_seed(seed), wall)
            .expect("valid configuration")
    });
    pair.set_random_faults(RandomFaults {
        seed: u.arbitrary().unwrap_or(0),
        drop: u.int_in_range(0..=150).unwrap_or(0),
        delay: u.int_in_range(0..=150).unwrap_or(0),
        disconnect: u.int_in_range(0..=100).unwrap_or(0),
        max_delay: Duration::from_secs(20),
        ..RandomFaults::default()
    });
    let mut utis: Vec<String> = Vec::new();
    for _ in 0..u.int_in_range(1..=6u8).unwrap_or(1) {
        let cents = i64::from(u.int_in_range(0..=99u8).unwrap_or(0));
        let amount =
            Money::from_minor(1000 + cents, Currency::EUR).unwrap_or(Money::zero(Currency::EUR));
        let op = match u.int_in_range(0..=5u8).unwrap_or(0) {
            0 | 1 => Operation::Sale {
                amount,
                tip: None,
                cashback: None,
                reference: None,
            },
            2 => Operation::Refund {
                amount,
                original: None,
                reference: None,
            },
            3 => Operation::PreAuth {
                amount,
                reference: None,
            },
            4 => match utis.last() {
                Some(uti) => Operation::Void {
                    original: uti.clone(),
                    reference: None,
                },
                None => Operation::Sale {
                    amount,
                    tip: None,
                    cashback: None,
                    reference: None,
                },
            },
            _ => Operation::Lookup {
                original: utis.first().cloned().unwrap_or_else(|| "0".into()),
            },
        };
        if u.ratio(1, 8).unwrap_or(false) {
            pair.add_fault(FaultRule::new(
                Dir::ToSim,
                Matcher::contains("POST "),
                Fault::CrashPosAfterSend,
            ));
        }
        let Ok(txn) = pair.start(op) else { continue };
        match u.int_in_range(0..=4u8).unwrap_or(0) {
            0 => {
                pair.run_for(Duration::from_millis(u64::from(
                    u.int_in_range(0..=5000u16).unwrap_or(0),
                )));
                let _ = pair.cancel(txn);
            }
            1 => {
                pair.run_for(Duration::from_millis(u64::from(
                    u.int_in_range(0..=9000u16).unwrap_or(0),
                )));
                pair.crash_and_resume();
            }
            2 => {
                let s =
                    Scenario::from_minor_units(i64::from(u.int_in_range(50..=57u8).unwrap_or(50)));
                pair.run_for(Duration::from_millis(100));
                pair.with_sim(|sim, _| sim.fail_next(if s == Scenario::Busy { 503 } else { 404 }));
            }
            _ => {}
        }
        let outcome = pair.run_until_finished(txn);
        if let Some(uti) = outcome.references().primary.clone() {
            utis.push(uti);
        }
        // Let a terminal-side transaction orphaned by a lost POST end before the next one.
        pair.run_for(Duration::from_secs(70));
    }
    pair.assert_all_finished();
}
