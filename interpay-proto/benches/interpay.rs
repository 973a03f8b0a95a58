//! Criterion benches of interpay-proto: decode of a final-result callback beside the generic
//! `serde_json::Value` floor, encode of a StartSession request, one complete sale through the
//! pair harness and the POS machine's share of it. See `BENCHMARKS.md` at the workspace root.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark: its fixtures come from a recorded sale, not from the wire"
)]

#[path = "../../pos-core/benches/support/recorder.rs"]
mod recorder;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use interpay_proto::InterpayMachine;
use interpay_proto::codec::{decode_body, decode_json, encode_json};
use interpay_proto::sim::{InterpaySim, SimConfig, example_pos_config};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{Currency, IdGen, Input, Money, Operation, Outcome, TransmitKind, WallClock};
use recorder::{Recorder, Step, bench_sale};

const WALL: WallClock = WallClock::new(1_778_336_000_000);

fn machine(seed: u64) -> InterpayMachine {
    InterpayMachine::new(example_pos_config(), IdGen::from_seed(seed), WALL).unwrap()
}

fn pair() -> Pair<Recorder<InterpayMachine>, InterpaySim> {
    Pair::new(
        Recorder::new(machine(7)),
        InterpaySim::new(SimConfig::default(), IdGen::from_seed(99), WALL),
        PairConfig::default(),
    )
}

fn sale() -> Operation {
    Operation::Sale {
        amount: Money::from_minor(1200, Currency::CAD).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}

fn benches(c: &mut Criterion) {
    let mut recorded = pair();
    let txn = recorded.start(sale()).unwrap();
    let outcome = recorded.run_until_finished(txn);
    assert!(matches!(outcome, Outcome::Approved(_)), "{outcome:?}");
    let (steps, sent) =
        recorded.with_pos(|m, _| (std::mem::take(&mut m.steps), std::mem::take(&mut m.sent)));
    // The outcome arrives as a callback (spec: StartSession now, the outcome later).
    let callback = steps
        .iter()
        .find_map(|(_, s)| match s {
            Step::Input(Input::Callback { request, .. }) => Some(request.clone()),
            _ => None,
        })
        .expect("a result callback");
    let content_type = callback.headers.get("content-type").map(String::from);
    let result = callback.body;
    let request = sent
        .iter()
        .find_map(|t| match &t.kind {
            TransmitKind::Http { request, .. } if t.moves_money => Some(request.body.clone()),
            _ => None,
        })
        .expect("a StartSession request");
    let typed = decode_json(&request).unwrap();

    let mut g = c.benchmark_group("interpay");
    g.throughput(Throughput::Bytes(result.len() as u64));
    g.bench_function("decode_result", |b| {
        b.iter(|| decode_body(content_type.as_deref(), black_box(&result)).unwrap());
    });
    g.bench_function("decode_result_floor_serde_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&result)).unwrap());
    });
    g.throughput(Throughput::Bytes(request.len() as u64));
    g.bench_function("encode_request", |b| {
        b.iter(|| encode_json(black_box(&typed)));
    });
    bench_sale(&mut g, pair, sale, || machine(7), &steps);
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
