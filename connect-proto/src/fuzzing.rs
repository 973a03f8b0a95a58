//! Fuzz bodies, called by the `fuzz/` targets and replayed by `tests/fuzz_corpus.rs`.

use alloc::vec::Vec;
use core::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use pos_core::testing::{Dir, Fault, FaultRule, Matcher, Pair, PairConfig, RandomFaults};
use pos_core::{Answer, Currency, IdGen, Money, Operation, ReportKind, WallClock};

use crate::codec;
use crate::machine::{Config, ConnectMachine};
use crate::sim::{ConnectSim, SimConfig};

/// Decodes arbitrary bytes as a transaction; re-encoding and decoding again must agree.
pub fn decode_transaction(data: &[u8]) {
    if let Ok(t) = codec::decode_transaction(data) {
        let again = codec::decode_transaction(&codec::encode_transaction(&t));
        let mut t2 = again.unwrap_or_default();
        t2.warnings.clone_from(&t.warnings);
        assert_eq!(t.notifications, t2.notifications);
        assert_eq!(t.transaction_result, t2.transaction_result);
        assert_eq!(t.amount_total, t2.amount_total);
        assert_eq!(t.request_id, t2.request_id);
    }
}

/// Decodes arbitrary bytes as a report; re-encoding and decoding again must agree.
pub fn decode_report(data: &[u8]) {
    if let Ok(r) = codec::decode_report(data) {
        let again = codec::decode_report(&codec::encode_report(&r)).unwrap_or_default();
        assert_eq!(r.notifications, again.notifications);
        assert_eq!(r.report_result, again.report_result);
        assert_eq!(r.report_type, again.report_type);
    }
}

/// Decodes arbitrary bytes as a terminal list and as every other `decode` kind.
pub fn decode_other(data: &[u8]) {
    let _ = codec::decode_terminal_list(data);
    let _ = codec::decode_terminal(data);
    let _ = codec::decode_request_location(data);
    let _ = codec::decode_error_body(data);
    for kind in crate::DECODE_KINDS {
        let _ = crate::decode(kind, data);
    }
}

#[derive(Arbitrary, Debug)]
enum Step {
    Sale(u16),
    Refund(u16),
    Report(u8),
    List,
    Reprint,
    Cancel,
    Answer(bool),
    Run(u16),
    Crash,
    DropNext(bool),
    Status(u8),
}

/// Runs an arbitrary sequence of operations, simulator behaviours, faults and clock steps
/// in the pair harness; the harness checks the money invariants after every step.
pub fn machine(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let seed = u.arbitrary::<u8>().unwrap_or(0);
    let wall = WallClock::new(1_767_225_600_000);
    let mk = move |s: u64| ConnectMachine::new(Config::default(), IdGen::from_seed(s), wall).ok();
    let (Some(m), sim) = (
        mk(u64::from(seed)),
        ConnectSim::new(SimConfig::default(), IdGen::from_seed(7), wall),
    ) else {
        return;
    };
    let mut pair = Pair::new(m, sim, PairConfig::default()).with_factory(move |s| {
        ConnectMachine::new(Config::default(), IdGen::from_seed(s), wall)
            .unwrap_or_else(|_| unreachable_machine())
    });
    if u.arbitrary::<bool>().unwrap_or(false) {
        pair.set_random_faults(RandomFaults {
            seed: u64::from(seed),
            drop: 30,
            duplicate: 30,
            delay: 50,
            reorder: 20,
            disconnect: 30,
            max_delay: Duration::from_secs(2),
        });
    }
    let mut txns = Vec::new();
    for _ in 0..24 {
        let Ok(step) = u.arbitrary::<Step>() else {
            break;
        };
        match step {
            Step::Sale(a) | Step::Refund(a) => {
                let amount = Money::from_minor(i64::from(a.max(1)), Currency::GBP);
                if let Ok(amount) = amount {
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
            }
            Step::Report(k) => {
                let kind = match k % 4 {
                    0 => ReportKind::EndOfDay,
                    1 => ReportKind::XBalance,
                    2 => ReportKind::ZBalance,
                    _ => ReportKind::Banking,
                };
                if let Ok(t) = pair.start(Operation::Report { kind }) {
                    txns.push(t);
                }
            }
            Step::List => {
                if let Ok(t) = pair.start(Operation::ListTerminals) {
                    txns.push(t);
                }
            }
            Step::Reprint => {
                if let Ok(t) = pair.start(Operation::ReprintLast) {
                    txns.push(t);
                }
            }
            Step::Cancel => {
                if let Some(t) = txns.last() {
                    let _ = pair.cancel(*t);
                }
            }
            Step::Answer(b) => {
                if let Some(t) = txns.last() {
                    let _ = pair.answer(*t, Answer::Signature { accepted: b });
                }
            }
            Step::Run(ms) => pair.run_for(Duration::from_millis(u64::from(ms) * 10)),
            Step::Crash => pair.crash_and_resume(),
            Step::DropNext(to_pos) => {
                let dir = if to_pos { Dir::ToPos } else { Dir::ToSim };
                pair.add_fault(FaultRule::new(dir, Matcher::any(), Fault::Drop));
            }
            Step::Status(s) => {
                let status = match s % 4 {
                    0 => 500,
                    1 => 503,
                    2 => 429,
                    _ => 404,
                };
                pair.with_sim(|sim, _| sim.inject_status(status, 1));
            }
        }
    }
    for t in txns {
        let _ = pair.run_until_finished(t);
    }
    pair.assert_all_finished();
}

/// The default configuration always validates, so this is never reached.
#[allow(clippy::panic)]
fn unreachable_machine() -> ConnectMachine {
    panic!("the default configuration is valid")
}
