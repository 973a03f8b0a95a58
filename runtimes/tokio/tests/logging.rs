//! Logging: the driver, the HTTP client and the callback listener log at `debug` without a
//! secret — no Paynt token, no InterPay password, no callback token.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use pos_core::*;
use pos_tokio::{Clock, MemorySink};

mod common;
use common::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Self;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_carry_no_secret() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    // The runtime is current-thread: every task of the drivers logs on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let paynt = paynt_server(SCALE);
    let sink = MemorySink::new();
    let mut d = paynt_driver(
        &paynt,
        paynt.fingerprint().unwrap(),
        Clock::start_scaled(SCALE),
    )
    .with_sink(sink.clone());
    let txn = d.start(sale(1000, Currency::EUR)).await.unwrap();
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved);

    let interpay = interpay_server(1, SCALE);
    let listener = listener().await;
    let mut d = interpay_driver(&interpay, &listener, 0, Clock::start_scaled(SCALE))
        .with_sink(sink.clone());
    let txn = d.start(sale(1000, Currency::CAD)).await.unwrap();
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    // An unrouted callback whose path carries a would-be token (sent raw, not logged here).
    let mut raw = tokio::net::TcpStream::connect(listener.local_addr())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut raw,
        b"POST /interpay/stray-token-0451 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut raw, &mut answer)
        .await
        .unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 404"), "{answer:?}");

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("sending request"), "{log}");
    assert!(log.contains("callback received"), "{log}");
    assert!(log.contains("callback for no route"), "{log}");
    let mut secrets: Vec<String> = vec![
        PAYNT_TOKEN.into(),
        INTERPAY_PASS.into(),
        "stray-token-0451".into(),
    ];
    for record in sink.records() {
        secrets.extend(record.secrets.values().map(|s| s.expose().clone()));
    }
    assert!(
        secrets.len() > 3,
        "the InterPay record holds its callback token"
    );
    for secret in secrets {
        assert!(!log.contains(&secret), "secret {secret:?} in the log");
    }
}
