//! Loopback latency: the time from a CodePay terminal writing an order's result frame to the
//! POS application receiving `Finished` from the blocking [`Driver`], p50/p99, beside a raw
//! tungstenite client receiving the same frame from the same server (the floor).
//!
//! The terminal is the CodePay simulator served by this example on a plain tungstenite
//! socket, so the clock starts right before the result frame is written in both cases. Each
//! sale is a slow customer (the simulator holds the order); the cashier then cancels on the
//! terminal, which writes the `110` result frame at once.
//!
//! `cargo run --release -p pos-blocking --example codepay_latency [-- --iterations N]`
//! (see `BENCHMARKS.md`).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "a benchmark binary: it reads the real clock and reports on stdout"
)]

use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use codepay_proto::sim::{CodepaySim, SimConfig};
use codepay_proto::{CodepayMachine, Config};
use pos_blocking::{Clock, Driver};
use pos_core::{
    Currency, Event, IdGen, Money, Operation, OutcomeClass, SimInput, SimTransmit, Simulator,
    Timestamp, WallClock,
};
use tungstenite::{Message, WebSocket};

const APP_ID: &str = "wz0123456789abcdef";

/// Rounds run before measuring (connections and caches warm).
const WARM_UP: usize = 20;

/// What the main thread asks the terminal thread to do.
enum Trigger {
    /// The cashier presses cancel on the terminal (POS runs).
    OperatorCancel,
    /// Write this frame as it is (floor runs).
    Frame(String),
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iterations: usize = args
        .iter()
        .position(|a| a == "--iterations")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);

    // The POS (blocking Driver + CodepayMachine) and the floor (a raw tungstenite client), each
    // with its own terminal, measured alternately so that both see the same machine load.
    let (terminal, addr) = Terminal::start();
    let clock = Clock::start();
    let mut config = Config::new("127.0.0.1", APP_ID);
    config.port = addr.port();
    let machine = CodepayMachine::new(config, IdGen::from_seed(7), clock.wall()).unwrap();
    let mut driver = Driver::new(machine, clock);
    let up = driver
        .wait_until(Duration::from_secs(5), CodepayMachine::is_connected)
        .unwrap();
    assert!(up, "the POS never connected");
    let (floor_terminal, floor_addr) = Terminal::start();
    let tcp = TcpStream::connect(floor_addr).unwrap();
    tcp.set_nodelay(true).unwrap();
    let (mut client, _) = tungstenite::client(format!("ws://{floor_addr}/"), tcp).unwrap();

    let mut pos = Vec::with_capacity(iterations);
    let mut floor = Vec::with_capacity(iterations);
    let mut frame = String::new();
    for i in 0..iterations + WARM_UP {
        let amount = Money::from_minor(1253, Currency::USD).unwrap(); // 53: slow customer
        let txn = driver
            .start(Operation::Sale {
                amount,
                tip: None,
                cashback: None,
                reference: None,
            })
            .unwrap();
        // The cashier cancels on the terminal as soon as the order is there: the result frame
        // leaves at once. This thread waits for it meanwhile, as a POS application does.
        terminal.request(Trigger::OperatorCancel);
        let received = loop {
            match driver.next_event_within(Duration::from_secs(5)).unwrap() {
                Some(Event::Finished { txn: t, outcome }) if t == txn => {
                    let at = Instant::now();
                    assert_eq!(outcome.class(), OutcomeClass::Cancelled, "{outcome:?}");
                    break at;
                }
                Some(_) => {}
                None => panic!("no Finished within 5 s"),
            }
        };
        let (sent, written) = terminal.written();
        frame = written;

        // The same frame to the raw client.
        floor_terminal.request(Trigger::Frame(frame.clone()));
        let floor_received = loop {
            if let Message::Text(_) = client.read().unwrap() {
                break Instant::now();
            }
        };
        let (floor_sent, _) = floor_terminal.written();
        if i >= WARM_UP {
            pos.push(received.duration_since(sent));
            floor.push(floor_received.duration_since(floor_sent));
        }
    }
    drop(driver);
    drop(client);
    terminal.stop();
    floor_terminal.stop();

    let (p50, p99) = percentiles(&mut pos);
    let (f50, f99) = percentiles(&mut floor);
    let slow = |v: &[Duration]| v.iter().filter(|d| **d > Duration::from_millis(1)).count();
    println!(
        "CodePay result frame written -> POS receives Finished, {iterations} sales over loopback"
    );
    println!("  blocking Driver + CodepayMachine: p50 {p50:>8.1?}  p99 {p99:>8.1?}");
    println!("  raw tungstenite client (floor):   p50 {f50:>8.1?}  p99 {f99:>8.1?}");
    println!(
        "  ratio to the floor: p50 {}  p99 {}",
        ratio(p50, f50),
        ratio(p99, f99)
    );
    println!(
        "  samples over 1 ms: POS {} of {}, floor {} of {}; max POS {:.1?}, floor {:.1?}",
        slow(&pos),
        pos.len(),
        slow(&floor),
        floor.len(),
        pos.last().copied().unwrap_or_default(),
        floor.last().copied().unwrap_or_default(),
    );
    println!("  frame: {} bytes", frame.len());
}

/// Returns the p50 and p99 of `samples`.
fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |q: usize| {
        let i = (samples.len().saturating_sub(1) * q) / 100;
        samples.get(i).copied().unwrap_or_default()
    };
    (at(50), at(99))
}

/// Formats `a / b` with one decimal, in integer arithmetic.
fn ratio(a: Duration, b: Duration) -> String {
    let tenths = a.as_nanos() * 10 / b.as_nanos().max(1);
    format!("{}.{}x", tenths / 10, tenths % 10)
}

/// The terminal: one thread serving a CodePay simulator over one WebSocket connection.
struct Terminal {
    triggers: Sender<Trigger>,
    sent: Receiver<(Instant, String)>,
    thread: thread::JoinHandle<()>,
}

impl Terminal {
    fn start() -> (Self, std::net::SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (triggers, trigger_rx) = channel();
        let (sent_tx, sent) = channel();
        let thread = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            stream.set_nodelay(true).unwrap();
            let ws = tungstenite::accept(stream).unwrap();
            serve(ws, &trigger_rx, &sent_tx);
        });
        (
            Self {
                triggers,
                sent,
                thread,
            },
            addr,
        )
    }

    /// Asks the terminal to write a result frame (a cancel waits for the order to arrive).
    fn request(&self, trigger: Trigger) {
        self.triggers.send(trigger).unwrap();
    }

    /// Returns when the requested result frame was written, and the frame.
    fn written(&self) -> (Instant, String) {
        self.sent.recv().unwrap()
    }

    fn stop(self) {
        drop(self.triggers);
        let _ = self.thread.join();
    }
}

fn serve(
    mut ws: WebSocket<TcpStream>,
    triggers: &Receiver<Trigger>,
    sent: &Sender<(Instant, String)>,
) {
    let origin = Instant::now();
    let now = || Timestamp::ZERO + origin.elapsed();
    let mut sim = CodepaySim::new(
        SimConfig::default(),
        IdGen::from_seed(99),
        WallClock::new(1_767_264_120_000),
    );
    sim.handle_input(now(), SimInput::Connected);
    let mut cancel_pending = false;
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_micros(200)))
        .unwrap();
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => {
                sim.handle_input(now(), SimInput::Text(t.as_str().into()));
            }
            Ok(Message::Ping(p)) => sim.handle_input(now(), SimInput::Ping(p.to_vec())),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
        if sim.poll_timeout().is_some_and(|t| t <= now()) {
            sim.handle_timeout(now());
        }
        // Acknowledgements and pongs the simulator sends on its own.
        while let Some(t) = sim.poll_transmit() {
            write(&mut ws, t);
        }
        match triggers.try_recv() {
            Ok(Trigger::OperatorCancel) => cancel_pending = true,
            Ok(Trigger::Frame(frame)) => {
                let at = Instant::now();
                ws.send(Message::text(frame.clone())).unwrap();
                sent.send((at, frame)).unwrap();
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
        }
        // The order may not have arrived yet: cancel as soon as one runs.
        if cancel_pending && sim.operator_cancel(now()) {
            cancel_pending = false;
            let mut first = None;
            while let Some(t) = sim.poll_transmit() {
                let at = Instant::now();
                let text = write(&mut ws, t);
                if first.is_none() {
                    first = text.map(|s| (at, s));
                }
            }
            sent.send(first.expect("a result frame")).unwrap();
        }
    }
}

/// Writes one simulator transmit; returns the text of a text frame.
fn write(ws: &mut WebSocket<TcpStream>, t: SimTransmit) -> Option<String> {
    match t {
        SimTransmit::Text(s) => {
            ws.send(Message::text(s.clone())).unwrap();
            Some(s)
        }
        SimTransmit::Binary(b) => {
            ws.send(Message::binary(b)).unwrap();
            None
        }
        SimTransmit::Pong(p) => {
            let _ = ws.send(Message::Pong(p.into()));
            None
        }
        _ => None,
    }
}
