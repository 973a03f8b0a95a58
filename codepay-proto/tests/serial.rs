//! A sale over the USB/serial transport: machine ⇄ framer ⇄ framer ⇄ simulator, with a
//! corrupted frame and bytes split across reads on the line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns

mod common;

use codepay_proto::serial::{Role, SerialConfig, SerialEvent, SerialLink};
use codepay_proto::sim::{CodepaySim, SimConfig};
use common::*;
use pos_core::{
    Event, IdGen, Input, Machine, OutcomeClass, SimInput, SimTransmit, Simulator, Timestamp,
    TransmitKind, WallClock,
};

struct Rig {
    m: codepay_proto::CodepayMachine,
    pos: SerialLink,
    term: SerialLink,
    sim: CodepaySim,
    now: Timestamp,
    events: Vec<Event>,
    /// Corrupt this many data frames from the POS (the retransmit recovers).
    corrupt: u32,
    data_frames_from_pos: u32,
}

impl Rig {
    fn new() -> Self {
        Self {
            m: machine(21, config()),
            pos: SerialLink::new(Role::Pos, SerialConfig::default()),
            term: SerialLink::new(Role::Terminal, SerialConfig::terminal()),
            sim: CodepaySim::new(
                SimConfig::default(),
                IdGen::from_seed(5),
                WallClock::new(WALL),
            ),
            now: Timestamp::ZERO,
            events: Vec::new(),
            corrupt: 0,
            data_frames_from_pos: 0,
        }
    }

    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut progressed = false;
            while let Some(e) = self.m.poll_event() {
                progressed = true;
                self.events.push(e);
            }
            while let Some(t) = self.m.poll_transmit() {
                progressed = true;
                match t.kind {
                    TransmitKind::Connect { .. } => self.pos.connect(self.now),
                    TransmitKind::Text(s) => self.pos.send(self.now, s.into_bytes()).unwrap(),
                    // The serial link has its own heartbeat; answer the machine's keepalive.
                    TransmitKind::Ping(p) => self.m.handle_input(self.now, Input::Pong(p)),
                    _ => {}
                }
            }
            while let Some(e) = self.pos.poll_event() {
                progressed = true;
                match e {
                    SerialEvent::LinkUp => self.m.handle_input(self.now, Input::Connected),
                    SerialEvent::LinkLost { reason } => {
                        self.m
                            .handle_input(self.now, Input::Disconnected { reason });
                    }
                    _ => {}
                }
            }
            while let Some(p) = self.pos.poll_payload() {
                progressed = true;
                self.m
                    .handle_input(self.now, Input::Text(String::from_utf8(p).unwrap()));
            }
            while let Some(mut bytes) = self.pos.poll_write() {
                progressed = true;
                if bytes.len() > 10 {
                    self.data_frames_from_pos += 1;
                    if self.corrupt > 0 {
                        self.corrupt -= 1;
                        if let Some(b) = bytes.get_mut(20) {
                            *b ^= 0x5A;
                        }
                    }
                }
                // Split every write into single-byte reads.
                for b in bytes {
                    self.term.handle_bytes(self.now, &[b]);
                }
            }
            while let Some(e) = self.term.poll_event() {
                progressed = true;
                match e {
                    SerialEvent::LinkUp => self.sim.handle_input(self.now, SimInput::Connected),
                    SerialEvent::LinkLost { .. } => {
                        self.sim.handle_input(self.now, SimInput::Disconnected);
                    }
                    _ => {}
                }
            }
            while let Some(p) = self.term.poll_payload() {
                progressed = true;
                self.sim
                    .handle_input(self.now, SimInput::Text(String::from_utf8(p).unwrap()));
            }
            while let Some(t) = self.sim.poll_transmit() {
                progressed = true;
                if let SimTransmit::Text(s) = t {
                    self.term.send(self.now, s.into_bytes()).unwrap();
                }
            }
            while let Some(bytes) = self.term.poll_write() {
                progressed = true;
                self.pos.handle_bytes(self.now, &bytes);
            }
            if !progressed {
                return;
            }
        }
        panic!("the rig does not settle");
    }

    fn advance(&mut self) {
        let next = [
            self.m.poll_timeout(),
            self.pos.poll_timeout(),
            self.term.poll_timeout(),
            self.sim.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("something waits");
        self.now = self.now.max(next);
        self.m.handle_timeout(self.now);
        self.pos.handle_timeout(self.now);
        self.term.handle_timeout(self.now);
        self.sim.handle_timeout(self.now);
        self.pump();
    }

    fn finished(&self) -> Option<pos_core::Outcome> {
        self.events.iter().find_map(|e| match e {
            Event::Finished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
    }
}

#[test]
fn a_sale_over_the_serial_framer() {
    let mut rig = Rig::new();
    rig.pump();
    while !rig.m.is_connected() {
        rig.advance();
    }
    rig.corrupt = 1;
    let txn = rig.m.start(rig.now, sale(2345)).unwrap();
    rig.pump();
    for _ in 0..100_000 {
        if rig.finished().is_some() {
            break;
        }
        rig.advance();
    }
    let outcome = rig.finished().expect("the sale finished");
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert!(
        rig.data_frames_from_pos >= 2,
        "the corrupted order frame was retransmitted"
    );
    let orders = rig.sim.records().len();
    assert_eq!(orders, 1, "delivered once despite the retransmit");
    assert!(
        rig.events
            .iter()
            .any(|e| matches!(e, Event::Persist(r) if r.txn == txn))
    );
}
