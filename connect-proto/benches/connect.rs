//! Criterion benches of connect-proto: decode of a final transaction result beside the
//! generic `serde_json::Value` floor, encode of a sale request, one complete sale through the
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

use connect_proto::codec;
use connect_proto::message::TransactionRequest;
use connect_proto::sim::{ConnectSim, SimConfig};
use connect_proto::{Config, ConnectMachine};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{Currency, IdGen, Input, Money, Operation, TransmitKind, WallClock};
use recorder::{Recorder, Step, bench_sale, last_message};

const WALL: WallClock = WallClock::new(1_767_225_600_000);

fn machine(seed: u64) -> ConnectMachine {
    ConnectMachine::new(Config::default(), IdGen::from_seed(seed), WALL).unwrap()
}

fn pair() -> Pair<Recorder<ConnectMachine>, ConnectSim> {
    Pair::new(
        Recorder::new(machine(1)),
        ConnectSim::new(SimConfig::default(), IdGen::from_seed(2), WALL),
        PairConfig::default(),
    )
}

fn sale() -> Operation {
    Operation::Sale {
        amount: Money::from_minor(1200, Currency::GBP).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}

/// Runs one approved sale and returns what the machine was told and what it sent.
fn recorded_sale() -> Recorder<ConnectMachine> {
    let mut pair = pair();
    let txn = pair.start(sale()).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert!(
        matches!(outcome, pos_core::Outcome::Approved(_)),
        "{outcome:?}"
    );
    pair.with_pos(|m, _| Recorder {
        inner: machine(1),
        steps: std::mem::take(&mut m.steps),
        sent: std::mem::take(&mut m.sent),
    })
}

fn benches(c: &mut Criterion) {
    let recorded = recorded_sale();
    let Some(Input::HttpResponse { response, .. }) = last_message(&recorded.steps) else {
        panic!("the sale ended without an HTTP response");
    };
    let result = response.body.clone();
    let request = recorded
        .sent
        .iter()
        .find_map(|t| match &t.kind {
            TransmitKind::Http { request, .. } if t.moves_money => Some(request.body.clone()),
            _ => None,
        })
        .expect("a money request");
    let typed: TransactionRequest = serde_json::from_slice(&request).unwrap();

    let mut g = c.benchmark_group("connect");
    g.throughput(Throughput::Bytes(result.len() as u64));
    g.bench_function("decode_result", |b| {
        b.iter(|| codec::decode_transaction(black_box(&result)).unwrap());
    });
    g.bench_function("decode_result_floor_serde_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&result)).unwrap());
    });
    g.throughput(Throughput::Bytes(request.len() as u64));
    g.bench_function("encode_request", |b| {
        b.iter(|| codec::encode(black_box(&typed)));
    });
    let steps: Vec<(pos_core::Timestamp, Step)> = recorded.steps;
    bench_sale(&mut g, pair, sale, || machine(1), &steps);
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
