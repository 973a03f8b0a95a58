//! Criterion benches of paynt-proto: decode of a final transaction result beside the generic
//! `serde_json::Value` floor, encode of a start request, one complete sale through the pair
//! harness and the POS machine's share of it. See `BENCHMARKS.md` at the workspace root.
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
use paynt_proto::codec::{
    MAX_BODY_BYTES, decode_result, decode_start_request, encode_start_request,
};
use paynt_proto::sim::{PayntSim, SimConfig};
use paynt_proto::{Config, PayntMachine};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{
    Currency, IdGen, Input, Money, Operation, Outcome, Secret, TransmitKind, WallClock,
};
use recorder::{Recorder, bench_sale, last_message};

const TOKEN: &str = "5820337719046612";
const WALL: WallClock = WallClock::new(1_749_891_600_000);

fn machine(seed: u64) -> PayntMachine {
    let config = Config {
        token: Some(Secret::new(TOKEN.into())),
        ..Config::default()
    };
    PayntMachine::new(config, IdGen::from_seed(seed), WALL).unwrap()
}

fn pair() -> Pair<Recorder<PayntMachine>, PayntSim> {
    let sim = SimConfig {
        token: Some(TOKEN.into()),
        ..SimConfig::default()
    };
    Pair::new(
        Recorder::new(machine(7)),
        PayntSim::new(sim, IdGen::from_seed(99), WALL),
        PairConfig::default(),
    )
}

fn sale() -> Operation {
    Operation::Sale {
        amount: Money::from_minor(1200, Currency::EUR).unwrap(),
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
    let Some(Input::HttpResponse { response, .. }) = last_message(&steps) else {
        panic!("the sale ended without an HTTP response");
    };
    let result = response.body.clone();
    let request = sent
        .iter()
        .find_map(|t| match &t.kind {
            TransmitKind::Http { request, .. } if t.moves_money => Some(request.body.clone()),
            _ => None,
        })
        .expect("a start request");
    let typed = decode_start_request(&request).unwrap();

    let mut g = c.benchmark_group("paynt");
    g.throughput(Throughput::Bytes(result.len() as u64));
    g.bench_function("decode_result", |b| {
        b.iter(|| decode_result(black_box(&result), MAX_BODY_BYTES).unwrap());
    });
    g.bench_function("decode_result_floor_serde_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&result)).unwrap());
    });
    g.throughput(Throughput::Bytes(request.len() as u64));
    g.bench_function("encode_request", |b| {
        b.iter(|| encode_start_request(black_box(&typed)));
    });
    bench_sale(&mut g, pair, sale, || machine(7), &steps);
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
