//! Criterion benches of codepay-proto: decode of a final order result beside the generic
//! `serde_json::Value` floor, encode of an order request, one complete sale through the pair
//! harness and the POS machine's share of it, and the serial framer's throughput. See
//! `BENCHMARKS.md` at the workspace root.
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

use codepay_proto::codec::{Details, classify_order, encode_request};
use codepay_proto::message::{Envelope, TOPIC_ORDER, TransType};
use codepay_proto::serial::{DEFAULT_MAX_RX_DATA, Frame, MAX_TX_DATA, parse_frame};
use codepay_proto::sim::{CodepaySim, SimConfig};
use codepay_proto::{CodepayMachine, Config};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{Currency, IdGen, Input, Money, Operation, Outcome, TransmitKind, WallClock};
use recorder::{Recorder, bench_sale, last_message};
use serde_json::{Map, Value};

const APP_ID: &str = "wz0123456789abcdef";
const WALL: WallClock = WallClock::new(1_767_264_120_000);

fn machine(seed: u64) -> CodepayMachine {
    CodepayMachine::new(
        Config::new("192.0.2.10", APP_ID),
        IdGen::from_seed(seed),
        WALL,
    )
    .unwrap()
}

/// A pair whose WebSocket is already open, as between two sales of a running POS.
fn pair() -> Pair<Recorder<CodepayMachine>, CodepaySim> {
    let mut pair = Pair::new(
        Recorder::new(machine(1)),
        CodepaySim::new(SimConfig::default(), IdGen::from_seed(99), WALL),
        PairConfig::default(),
    );
    assert!(pair.run_until(|p| p.pos().inner.is_connected()));
    pair
}

fn sale() -> Operation {
    Operation::Sale {
        amount: Money::from_minor(1200, Currency::USD).unwrap(),
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
    let Some(Input::Text(result)) = last_message(&steps) else {
        panic!("the sale ended without a frame");
    };
    let result = result.clone().into_bytes();
    let request = sent
        .iter()
        .find_map(|t| match &t.kind {
            TransmitKind::Text(s) if t.moves_money => Some(s.clone()),
            _ => None,
        })
        .expect("an order request");
    let request_value: Value = serde_json::from_str(&request).unwrap();
    let biz: Map<String, Value> = request_value["biz_data"].as_object().unwrap().clone();

    let mut g = c.benchmark_group("codepay");
    g.throughput(Throughput::Bytes(result.len() as u64));
    // What the machine does with a result frame: parse the envelope, classify, extract.
    g.bench_function("decode_result", |b| {
        b.iter(|| {
            let env = Envelope::parse(black_box(&result)).unwrap();
            let class = classify_order(&env, Some(TransType::Sale));
            (class, Details::from_envelope(&env, Currency::USD))
        });
    });
    g.bench_function("decode_result_floor_serde_value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&result)).unwrap());
    });
    g.throughput(Throughput::Bytes(request.len() as u64));
    g.bench_function("encode_request", |b| {
        b.iter(|| {
            encode_request(
                TOPIC_ORDER,
                APP_ID,
                black_box("5f0c4e1a9b7d4c2e8f3a6b1d0e9c7a54"),
                1_767_264_120_000,
                black_box(&biz),
                None,
            )
        });
    });
    bench_sale(&mut g, pair, sale, || machine(1), &steps);
    g.finish();

    // The serial framer: one result frame's payload, encoded and parsed back.
    let payload = result
        .get(..result.len().min(MAX_TX_DATA))
        .unwrap()
        .to_vec();
    let frame = Frame::data(1, 0, payload);
    let wire_len = frame.encode().len();
    let mut g = c.benchmark_group("codepay_serial");
    g.throughput(Throughput::Bytes(wire_len as u64));
    g.bench_function("frame_encode_decode", |b| {
        b.iter(|| {
            let bytes = black_box(&frame).encode();
            let (parsed, used) = parse_frame(&bytes, DEFAULT_MAX_RX_DATA).unwrap().unwrap();
            assert_eq!(used, bytes.len());
            parsed
        });
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
