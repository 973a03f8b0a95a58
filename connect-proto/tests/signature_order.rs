//! Signature answers survive every order of inputs, answers and due timers (spec §8.2).
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use connect_proto::ConnectMachine;
use connect_proto::sim::{ConnectSim, SimConfig};
use core::time::Duration;
use pos_core::{
    Answer, Event, IdGen, Input, Machine, OutcomeClass, Scenario, SimInput, SimTransmit, Simulator,
    Timestamp, TransmitKind, TxnId,
};

/// A hand-driven loop with jittered latencies; at each instant the POS-side actions that are
/// due (responses, the answer, the machine's timer, which fires `lag` late) run in a
/// pseudo-random order.
struct World {
    m: ConnectMachine,
    sim: ConnectSim,
    now: Timestamp,
    to_sim: Vec<(Timestamp, SimInput)>,
    to_pos: Vec<(Timestamp, Input)>,
    req: u64,
    resp: u64,
    lag: Duration,
    rng: u64,
    log: Vec<String>,
    finished: Option<OutcomeClass>,
    asked_at: Option<Timestamp>,
    puts: usize,
    put_ids: Vec<pos_core::RequestId>,
    accepted_puts: usize,
    rejected: bool,
    txn: Option<TxnId>,
}

impl World {
    fn new(req: u64, resp: u64, lag: u64, seed: u64) -> Self {
        Self {
            m: machine(connect_proto::Config::default(), 1),
            sim: ConnectSim::new(SimConfig::default(), IdGen::from_seed(2), WALL),
            now: Timestamp::from_millis(0),
            to_sim: Vec::new(),
            to_pos: Vec::new(),
            req,
            resp,
            lag: Duration::from_millis(lag),
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            log: Vec::new(),
            finished: None,
            asked_at: None,
            puts: 0,
            put_ids: Vec::new(),
            accepted_puts: 0,
            rejected: false,
            txn: None,
        }
    }

    fn rand(&mut self, n: u64) -> u64 {
        self.rng = self
            .rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.rng >> 33) % n.max(1)
    }

    fn drain(&mut self) {
        while let Some(e) = self.m.poll_event() {
            match e {
                Event::Question { .. } => self.asked_at = Some(self.now),
                Event::Finished { outcome, .. } => self.finished = Some(outcome.class()),
                Event::Progress { progress, .. } => {
                    let text = progress.message.as_deref().unwrap_or("");
                    self.rejected |= text.starts_with("SignatureAnswerRejected");
                    self.log.push(format!("{} {progress:?}", self.now));
                }
                _ => {}
            }
        }
        while let Some(t) = self.m.poll_transmit() {
            if let TransmitKind::Http { id, request, .. } = t.kind {
                let line = format!("{} pos> {:?} {}", self.now, request.method, request.url);
                self.log.push(line);
                if request.url.ends_with("/signature") {
                    self.puts += 1;
                    self.put_ids.push(id);
                }
                let at = self.now + Duration::from_millis(self.rand(self.req + 1));
                self.to_sim
                    .push((at, SimInput::HttpRequest { id, request }));
            }
        }
        while let Some(t) = self.sim.poll_transmit() {
            if let SimTransmit::HttpResponse { id, response } = t {
                if self.put_ids.contains(&id) && response.is_success() {
                    self.accepted_puts += 1;
                }
                let at = self.now + Duration::from_millis(self.rand(self.resp + 1));
                let input = Input::HttpResponse {
                    id,
                    response,
                    peer_certificate: None,
                };
                self.to_pos.push((at, input));
            }
        }
    }

    /// Advances to the next instant something is due and runs it.
    fn step(&mut self, answer_at: &mut Option<Timestamp>) {
        let mut times = Vec::new();
        times.extend(self.m.poll_timeout().map(|t| t + self.lag));
        times.extend(self.sim.poll_timeout());
        times.extend(self.to_sim.iter().map(|(t, _)| *t));
        times.extend(self.to_pos.iter().map(|(t, _)| *t));
        times.extend(*answer_at);
        let now = self.now.max(times.into_iter().min().unwrap());
        self.now = now;
        let (due, later) = self.to_sim.drain(..).partition(|(t, _)| *t <= now);
        self.to_sim = later;
        for (_, input) in due {
            self.sim.handle_input(now, input);
        }
        if self.sim.poll_timeout().is_some_and(|t| t <= now) {
            self.sim.handle_timeout(now);
        }
        self.drain();
        let (due, later): (Vec<_>, Vec<_>) = self.to_pos.drain(..).partition(|(t, _)| *t <= now);
        self.to_pos = later;
        let mut inputs: Vec<Input> = due.into_iter().map(|(_, i)| i).collect();
        let mut actions: Vec<u8> = vec![1; inputs.len()];
        if answer_at.is_some_and(|t| t <= now) {
            actions.push(0);
        }
        if self.m.poll_timeout().is_some_and(|t| t + self.lag <= now) {
            actions.push(2);
        }
        while !actions.is_empty() {
            let k = usize::try_from(self.rand(actions.len() as u64)).unwrap();
            match actions.remove(k) {
                0 => {
                    *answer_at = None;
                    let answer = Answer::Signature { accepted: true };
                    self.m.answer(now, self.txn.unwrap(), answer).unwrap();
                    self.log.push(format!("{now} answer"));
                }
                1 => {
                    self.log.push(format!("{now} pos< response"));
                    let input = inputs.remove(0);
                    self.m.handle_input(now, input);
                }
                _ => {
                    if self.m.poll_timeout().is_some_and(|t| t <= now) {
                        self.log.push(format!("{now} timer"));
                        self.m.handle_timeout(now);
                    }
                }
            }
            self.drain();
        }
    }
}

/// Runs the signature scenario, answering `accept` `answer_delay` ms after the question.
fn run(req: u64, resp: u64, lag: u64, answer_delay: u64, seed: u64) -> World {
    let mut w = World::new(req, resp, lag, seed);
    let txn =
        w.m.start(w.now, scenario_sale(Scenario::SignatureCheck))
            .unwrap();
    w.txn = Some(txn);
    w.drain();
    let mut answer = None;
    let mut planned = false;
    for _ in 0..100_000 {
        if w.finished.is_some() {
            break;
        }
        if let (Some(at), false) = (w.asked_at, planned) {
            planned = true;
            answer = Some(at + Duration::from_millis(answer_delay));
        }
        w.step(&mut answer);
    }
    w
}

/// Returns why a run is wrong: the accepted signature must approve the sale, with exactly
/// one PUT taken by Connect and none given up on.
fn fault(w: &World) -> Option<String> {
    let ok = w.finished == Some(OutcomeClass::Approved) && !w.rejected && w.accepted_puts == 1;
    (!ok).then(|| {
        format!(
            "{:?}, {} PUT(s), {} accepted, rejected {}\n{}",
            w.finished,
            w.puts,
            w.accepted_puts,
            w.rejected,
            w.log.join("\n")
        )
    })
}

/// The answer comes while the throttle holds the PUT; the poll reply then reaches the machine
/// before its (late) timer. Before the fix, the PUT followed the next GET by one gap, jitter
/// got it a 429 three times in a row, and the answer was dropped: the sale was reversed.
#[test]
fn a_poll_reply_before_the_due_signature_timer_keeps_the_answer() {
    let w = run(20, 0, 0, 1_000, 2);
    if let Some(f) = fault(&w) {
        panic!("{f}");
    }
    let answer = w.log.iter().position(|l| l.ends_with(" answer")).unwrap();
    assert!(
        !w.log[answer + 1].contains("Put"),
        "the PUT waited for its slot: {}",
        w.log[answer + 1]
    );
}

/// A GET overtaking the PUT on the wire (jitter above the 100 ms gap) no longer meets every
/// resend of the answer. Guards the in-flight half of the fix (a PUT on the wire holds the
/// answer); the code before the fix passes it, the two tests above catch that.
#[test]
fn a_get_overtaking_the_signature_put_does_not_cost_the_answer() {
    let w = run(200, 0, 0, 1_000, 2);
    if let Some(f) = fault(&w) {
        panic!("{f}");
    }
}

/// Every mix of latencies, timer lateness, answer delay and order of same-instant actions.
#[test]
fn every_order_of_replies_answers_and_timers_keeps_the_answer() {
    let mut bad = Vec::new();
    for req in [0, 20, 60, 200] {
        for resp in [0, 20, 200] {
            for lag in [0, 1, 99, 150, 1_000] {
                for delay in [0, 30, 99, 100, 101, 999, 1_000, 1_001, 1_100] {
                    for seed in 0..3 {
                        let w = run(req, resp, lag, delay, seed);
                        if fault(&w).is_some() {
                            bad.push(format!(
                                "req {req} resp {resp} lag {lag} delay {delay} seed {seed}: \
                                 {:?}, {} PUT(s), {} accepted",
                                w.finished, w.puts, w.accepted_puts
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{} bad:\n{}", bad.len(), bad.join("\n"));
}
