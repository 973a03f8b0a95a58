//! Many terminals in one process: 1 000 concurrent transactions on ONE current-thread tokio
//! runtime, across the four vendors' simulators, every InterPay session's callbacks arriving
//! on one shared callback listener and routed to its machine by `accepts_callback`.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use pos_core::*;
use pos_tokio::{Clock, DriverError};

/// Machine time per real time: slower than the scenario suites, so that a thousand sessions
/// on two cores are not mistaken for lost replies.
const FLEET_SCALE: u32 = 4;
const PAYNT: usize = 150;
const CODEPAY: usize = 150;
const CONNECT: usize = 350;
const INTERPAY: usize = 350;
/// Terminals per Connect server.
const CONNECT_PER_SERVER: usize = 175;

/// The fast scenarios of the shared table, cycled over the fleet.
const MIX: [Scenario; 5] = [
    Scenario::Approve,
    Scenario::Decline,
    Scenario::CancelledOnTerminal,
    Scenario::SignatureCheck,
    Scenario::Busy,
];

type Result = (String, Scenario, core::result::Result<Outcome, DriverError>);

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Runs one started transaction to its end, counting how many are in flight at once, and
/// checks every approval against the simulator's store.
async fn run<M: Machine + Send + 'static, S: Simulator + Send + 'static>(
    d: &mut pos_tokio::Driver<M>,
    server: &pos_blocking::server::SimServer<S>,
    op: Operation,
) -> core::result::Result<Outcome, DriverError> {
    let txn = d.start(op).await?;
    let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(now, Ordering::SeqCst);
    let outcome = d.finish_within(txn, LIMIT, accept_signatures).await;
    IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    if let Ok(outcome) = &outcome {
        if outcome.class() == OutcomeClass::Approved {
            assert_eq!(server.truth(outcome.references()), Some(Truth::Approved));
        }
    }
    outcome
}

#[tokio::test(flavor = "current_thread")]
async fn a_thousand_concurrent_transactions_on_one_thread() {
    assert_eq!(PAYNT + CODEPAY + CONNECT + INTERPAY, 1000);
    let clock = Clock::start_scaled(FLEET_SCALE);
    let listener = Arc::new(listener().await);
    let interpay = Arc::new(interpay_server(INTERPAY, FLEET_SCALE));
    let connect: Vec<_> = (0..CONNECT.div_ceil(CONNECT_PER_SERVER))
        .map(|_| Arc::new(connect_server(CONNECT_PER_SERVER, FLEET_SCALE)))
        .collect();
    let paynt: Vec<_> = (0..PAYNT)
        .map(|_| Arc::new(paynt_server(FLEET_SCALE)))
        .collect();
    let codepay: Vec<_> = (0..CODEPAY)
        .map(|_| Arc::new(codepay_server(FLEET_SCALE)))
        .collect();

    let mut tasks = tokio::task::JoinSet::<Result>::new();
    let mut n = 0_usize;
    let mut next = || {
        n += 1;
        let scenario = MIX[n % MIX.len()];
        (scenario, 1000 + i64::from(scenario.cents()))
    };
    for (i, server) in paynt.iter().enumerate() {
        let (scenario, minor) = next();
        let mut d = paynt_driver(server, server.fingerprint().unwrap(), clock);
        let server = server.clone();
        tasks.spawn(async move {
            let outcome = run(&mut d, &server, sale(minor, Currency::EUR)).await;
            (format!("paynt-{i}"), scenario, outcome)
        });
    }
    for (i, server) in codepay.iter().enumerate() {
        let (scenario, minor) = next();
        let mut d = codepay_driver(server, clock);
        let server = server.clone();
        tasks.spawn(async move {
            codepay_connected(&mut d).await;
            let outcome = run(&mut d, &server, sale(minor, Currency::USD)).await;
            (format!("codepay-{i}"), scenario, outcome)
        });
    }
    for i in 0..CONNECT {
        let (scenario, minor) = next();
        let server = &connect[i / CONNECT_PER_SERVER];
        let mut d = connect_driver(server, i % CONNECT_PER_SERVER, clock);
        let server = server.clone();
        tasks.spawn(async move {
            let outcome = run(&mut d, &server, sale(minor, Currency::GBP)).await;
            (format!("connect-{i}"), scenario, outcome)
        });
    }
    let mut interpay_card_flows = 0;
    for i in 0..INTERPAY {
        let (scenario, minor) = next();
        // A busy terminal refuses the session: no callback for it.
        if scenario != Scenario::Busy {
            interpay_card_flows += 1;
        }
        let mut d = interpay_driver(&interpay, &listener, i, clock);
        let server = interpay.clone();
        tasks.spawn(async move {
            let outcome = run(&mut d, &server, sale(minor, Currency::CAD)).await;
            (format!("interpay-{i}"), scenario, outcome)
        });
    }
    assert_eq!(
        listener.attached(),
        INTERPAY,
        "one listener for every InterPay session"
    );

    let mut done = 0;
    let mut wrong = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (name, scenario, outcome) = joined.unwrap();
        done += 1;
        match outcome {
            Ok(outcome) if outcome.class() == scenario.expected().unwrap() => {}
            other => wrong.push(format!("{name} {scenario}: {other:?}")),
        }
    }
    assert_eq!(done, 1000);
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The InterPay outcomes came through the one listener, not only through recovery.
    let delivered = usize::try_from(listener.delivered()).unwrap();
    assert!(
        delivered >= interpay_card_flows,
        "only {delivered} callbacks routed for {interpay_card_flows} card flows"
    );
    assert_eq!(listener.unrouted(), 0);
    let peak = PEAK.load(Ordering::SeqCst);
    assert!(
        peak >= 900,
        "only {peak} transactions were in flight at once"
    );
}
