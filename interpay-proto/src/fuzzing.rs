//! Fuzz bodies, called by the `fuzz/` targets and replayed from the committed corpus.
#![allow(clippy::expect_used)] // a fuzz body reports a broken promise by panicking

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use pos_core::testing::{Dir, Fault, FaultRule, Matcher, Pair, PairConfig, RandomFaults};
use pos_core::{Currency, IdGen, Money, Operation, WallClock};

use crate::InterpayMachine;
use crate::codec::{decode_json, decode_tag_value, encode_json, encode_tag_value};
use crate::sim::{CallbackFault, InterpaySim, SimConfig, example_pos_config};

/// Decodes arbitrary bytes as JSON; a decoded message whose field names are distinct
/// (ignoring ASCII case, as [`Fields::get`](crate::message::Fields::get) matches them) re-encodes and
/// decodes to the same fields. A JSON object does not keep member order, so the fields are
/// compared sorted.
pub fn decode_json_body(data: &[u8]) {
    let Ok(f) = decode_json(data) else {
        return;
    };
    let again = decode_json(encode_json(&f).as_bytes()).expect("re-encoded JSON must decode");
    let mut names: Vec<String> = f.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() == f.len() {
        assert_eq!(sorted(&again), sorted(&f), "JSON round trip");
    }
}

fn sorted(fields: &crate::message::Fields) -> Vec<(&str, &str)> {
    let mut pairs: Vec<(&str, &str)> = fields.iter().collect();
    pairs.sort_unstable();
    pairs
}

/// Decodes arbitrary text as tag/value; re-encoding plain fields round-trips.
pub fn decode_tag_value_body(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let f = decode_tag_value(&text);
    let plain = f.iter().all(|(n, v)| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric()) && !v.starts_with('[')
    });
    if plain {
        let again = decode_tag_value(&encode_tag_value(&f));
        assert_eq!(again, f, "tag/value round trip");
    }
}

/// Tokenizes and renders arbitrary receipt markup: never panics, lines fit the width.
pub fn decode_receipt(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let options = crate::receipt::RenderOptions::default();
    for line in crate::receipt::render(&text, &options) {
        assert!(line.chars().count() <= options.width, "{line:?}");
    }
}

/// Feeds arbitrary bytes to `decode` under every kind.
pub fn decode_any(data: &[u8]) {
    for kind in crate::DECODE_KINDS {
        let _ = crate::decode(kind, data);
    }
}

#[derive(Arbitrary, Debug)]
enum Step {
    Sale(u16),
    Refund(u16),
    Cancel,
    Run(u16),
    Crash,
    SimFault(u8),
    LinkFault(u8),
}

/// Runs a random sequence of operations, simulator faults, link faults and clock steps in the
/// pair harness; the harness checks the invariants after every step.
pub fn machine(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let wall = WallClock::new(1_778_336_000_000);
    let config = example_pos_config();
    let Ok(m) = InterpayMachine::new(config.clone(), IdGen::from_seed(seed), wall) else {
        return;
    };
    let sim = InterpaySim::new(SimConfig::default(), IdGen::from_seed(seed ^ 1), wall);
    let mut pair = Pair::new(m, sim, PairConfig::default()).with_factory(move |s| {
        InterpayMachine::new(config.clone(), IdGen::from_seed(s), wall)
            .unwrap_or_else(|_| unreachable!("validated above"))
    });
    if u.arbitrary::<bool>().unwrap_or(false) {
        pair.set_random_faults(RandomFaults {
            seed,
            drop: 30,
            duplicate: 30,
            delay: 50,
            reorder: 20,
            disconnect: 20,
            max_delay: Duration::from_secs(5),
        });
    }
    let mut txns = Vec::new();
    let steps: Vec<Step> = u.arbitrary().unwrap_or_default();
    for step in steps.into_iter().take(24) {
        match step {
            Step::Sale(c) | Step::Refund(c) => {
                let Ok(amount) = Money::from_minor(100 + i64::from(c), Currency::CAD) else {
                    continue;
                };
                let op = if matches!(step, Step::Sale(_)) {
                    Operation::Sale {
                        amount,
                        tip: None,
                        cashback: None,
                        reference: None,
                    }
                } else {
                    Operation::Refund {
                        amount,
                        original: None,
                        reference: None,
                    }
                };
                if let Ok(t) = pair.start(op) {
                    txns.push(t);
                }
            }
            Step::Cancel => {
                if let Some(t) = txns.last() {
                    let _ = pair.cancel(*t);
                }
            }
            Step::Run(s) => pair.run_for(Duration::from_millis(u64::from(s) * 100)),
            Step::Crash => {
                if !txns.is_empty() {
                    pair.crash_and_resume();
                }
            }
            Step::SimFault(k) => {
                let fault = match k % 6 {
                    0 => CallbackFault::Drop,
                    1 => CallbackFault::Duplicate {
                        n: 1,
                        spacing_ms: 700,
                    },
                    2 => CallbackFault::Delay(8000),
                    3 => CallbackFault::Reorder,
                    4 => CallbackFault::WrongToken,
                    _ => CallbackFault::AmountSkew,
                };
                pair.with_sim(|sim, _| sim.fault_next_session(fault));
            }
            Step::LinkFault(k) => {
                let (dir, needle, fault) = match k % 4 {
                    0 => (Dir::ToPos, "callback", Fault::Drop),
                    1 => (Dir::ToPos, "http 200", Fault::Drop),
                    2 => (Dir::ToSim, "StartSession", Fault::CrashPosAfterSend),
                    _ => (Dir::ToPos, "callback", Fault::CrashPos),
                };
                pair.add_fault(FaultRule::new(dir, Matcher::contains(needle), fault));
            }
        }
    }
    for t in txns {
        pair.run_until_finished(t);
    }
}
