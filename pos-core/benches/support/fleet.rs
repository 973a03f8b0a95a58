//! A fleet of POS machines, each with its own simulator, on one virtual clock: the event loop
//! of the scale examples (`connect-proto` and `interpay-proto`, `examples/connect_scale.rs`, `examples/interpay_scale.rs`).
//!
//! One thread, one timer heap keyed by (wake time, pair); every message is delivered at once
//! (zero latency), so the time measured is the machines', the simulators' and the loop's CPU.
//! Each terminal runs sales back to back (1 s apart) until the simulated window ends, so N
//! transactions are in flight almost all the time. A pair's simulator is replaced by a fresh
//! one before each sale: the simulators keep a log of every exchange (for conformance tests),
//! which would otherwise grow without bound over a long run. Included through `#[path]`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use pos_core::{
    Answer, Currency, Event, HttpRequest, IdGen, Input, Machine, Operation, OutcomeClass, Question,
    Scenario, SimInput, SimTransmit, Simulator, Timestamp, TransmitKind, TransportError, TxnId,
};

/// How the fleet runs.
pub(crate) struct Plan<M, S> {
    /// How many terminals (one POS machine and one simulator each).
    pub(crate) terminals: usize,
    /// How long to simulate.
    pub(crate) window: Duration,
    /// Builds the POS machine of a terminal from its id generator (seeded by the terminal).
    pub(crate) machine: Box<dyn Fn(IdGen) -> M>,
    /// Builds a simulator for one sale from its id generator (seeded by terminal and sale).
    pub(crate) sim: Box<dyn Fn(IdGen) -> S>,
    /// The currency of every sale; the amounts come from [`MIX`].
    pub(crate) currency: Currency,
}

/// The sales each terminal cycles through: mostly slow customers (a minute waiting for the
/// result), with quick approvals, a decline and a signature check between them.
const MIX: [Scenario; 8] = [
    Scenario::SlowCustomer,
    Scenario::Approve,
    Scenario::SlowCustomer,
    Scenario::Decline,
    Scenario::SlowCustomer,
    Scenario::SignatureCheck,
    Scenario::SlowCustomer,
    Scenario::Approve,
];

/// Terminal `i`'s `n`-th sale: the [`MIX`] entry at `i + n`, 12 and the scenario's cents.
fn sale(i: usize, n: u64, currency: Currency) -> Operation {
    let scenario = MIX[(i + usize::try_from(n).unwrap_or(0)) % MIX.len()];
    Operation::Sale {
        amount: scenario.amount(12, currency).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}

/// The id generator of terminal `i`'s POS machine.
fn machine_ids(i: usize) -> IdGen {
    IdGen::from_seed(i as u64 + 1)
}

/// The id generator of the simulator for terminal `i`'s `n`-th sale.
fn sim_ids(i: usize, n: u64) -> IdGen {
    IdGen::from_seed(((i as u64) << 24) | n)
}

/// What a run did.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Transactions started.
    pub(crate) started: u64,
    /// Transactions finished, by outcome class: approved, declined, cancelled, rejected,
    /// unknown.
    pub(crate) finished: [u64; 5],
    /// Inputs given to POS machines (frames, HTTP responses, callbacks, connection events).
    pub(crate) pos_inputs: u64,
    /// Timeouts handled by POS machines.
    pub(crate) pos_timeouts: u64,
    /// The most transactions in flight at once.
    pub(crate) peak_in_flight: u64,
}

impl Stats {
    /// Returns the number of finished transactions.
    pub(crate) fn finished_total(&self) -> u64 {
        self.finished.iter().sum()
    }
}

struct Slot<M, S> {
    pos: M,
    sim: S,
    txn: Option<TxnId>,
    sales: u64,
    next_start: Option<Timestamp>,
    scheduled: Option<Timestamp>,
}

/// The fleet.
pub(crate) struct Fleet<M, S> {
    plan: Plan<M, S>,
    slots: Vec<Slot<M, S>>,
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    end: Timestamp,
    in_flight: u64,
    /// What happened so far.
    pub(crate) stats: Stats,
}

impl<M: Machine, S: Simulator> Fleet<M, S> {
    /// Builds every terminal; terminal `i` starts its first sale at `i/N` of the first second,
    /// so the fleet's requests spread over each second as a real fleet's would.
    pub(crate) fn new(plan: Plan<M, S>) -> Self {
        let n = plan.terminals.max(1);
        let mut fleet = Self {
            slots: Vec::with_capacity(n),
            heap: BinaryHeap::with_capacity(2 * n),
            end: Timestamp::ZERO + plan.window,
            in_flight: 0,
            stats: Stats::default(),
            plan,
        };
        for i in 0..fleet.plan.terminals {
            let offset = u64::try_from(i * 1000 / n).unwrap_or(0);
            fleet.slots.push(Slot {
                pos: (fleet.plan.machine)(machine_ids(i)),
                sim: (fleet.plan.sim)(sim_ids(i, 0)),
                txn: None,
                sales: 0,
                next_start: Some(Timestamp::ZERO + Duration::from_millis(offset)),
                scheduled: None,
            });
            fleet.reschedule(i);
        }
        fleet
    }

    /// Runs until the window ends and every transaction started in it has finished.
    pub(crate) fn run(&mut self) {
        while let Some(Reverse((at, i))) = self.heap.pop() {
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            if slot.scheduled != Some(at) {
                continue; // superseded by a later reschedule
            }
            slot.scheduled = None;
            self.step(i, at);
            self.reschedule(i);
        }
    }

    /// Runs every wake-up due up to `limit`, then stops (transactions stay in flight).
    pub(crate) fn run_until(&mut self, limit: Timestamp) {
        while self
            .heap
            .peek()
            .is_some_and(|Reverse((at, _))| *at <= limit)
        {
            let Some(Reverse((at, i))) = self.heap.pop() else {
                return;
            };
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            if slot.scheduled != Some(at) {
                continue;
            }
            slot.scheduled = None;
            self.step(i, at);
            self.reschedule(i);
        }
    }

    /// Returns whether the last terminal has a transaction in flight.
    pub(crate) fn last_in_flight(&self) -> bool {
        self.slots.last().is_some_and(|s| s.txn.is_some())
    }

    /// Takes the POS machines out, dropping the simulators.
    pub(crate) fn into_machines(self) -> Vec<M> {
        self.slots.into_iter().map(|s| s.pos).collect()
    }

    fn step(&mut self, i: usize, now: Timestamp) {
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        if slot.next_start.is_some_and(|t| t <= now) {
            slot.next_start = None;
            slot.sales += 1;
            slot.sim = (self.plan.sim)(sim_ids(i, slot.sales));
            let op = sale(i, slot.sales, self.plan.currency);
            match slot.pos.start(now, op) {
                Ok(txn) => {
                    slot.txn = Some(txn);
                    self.stats.started += 1;
                    self.in_flight += 1;
                    self.stats.peak_in_flight = self.stats.peak_in_flight.max(self.in_flight);
                }
                Err(e) => panic!("terminal {i} refused a sale: {e}"),
            }
        }
        if slot.sim.poll_timeout().is_some_and(|t| t <= now) {
            slot.sim.handle_timeout(now);
        }
        if slot.pos.poll_timeout().is_some_and(|t| t <= now) {
            slot.pos.handle_timeout(now);
            self.stats.pos_timeouts += 1;
        }
        self.pump(i, now);
    }

    /// Delivers everything both sides have to say, at once, until both are quiet.
    fn pump(&mut self, i: usize, now: Timestamp) {
        let end = self.end;
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        loop {
            let mut progressed = false;
            while let Some(event) = slot.pos.poll_event() {
                progressed = true;
                match event {
                    Event::Finished { txn, outcome } if slot.txn == Some(txn) => {
                        slot.txn = None;
                        self.in_flight -= 1;
                        let class = match outcome.class() {
                            OutcomeClass::Approved => 0,
                            OutcomeClass::Declined => 1,
                            OutcomeClass::Cancelled => 2,
                            OutcomeClass::Rejected => 3,
                            _ => 4,
                        };
                        if let Some(n) = self.stats.finished.get_mut(class) {
                            *n += 1;
                        }
                        let next = now + Duration::from_secs(1);
                        slot.next_start = (next < end).then_some(next);
                    }
                    Event::Question {
                        txn,
                        question: Question::SignatureCheck { .. },
                    } => {
                        let _ = slot
                            .pos
                            .answer(now, txn, Answer::Signature { accepted: true });
                    }
                    _ => {}
                }
            }
            while let Some(t) = slot.pos.poll_transmit() {
                progressed = true;
                let input = match t.kind {
                    TransmitKind::Connect { .. } => {
                        slot.pos.handle_input(now, Input::Connected);
                        self.stats.pos_inputs += 1;
                        Some(SimInput::Connected)
                    }
                    TransmitKind::Close => Some(SimInput::Disconnected),
                    TransmitKind::Text(s) => Some(SimInput::Text(s)),
                    TransmitKind::Binary(b) => Some(SimInput::Binary(b)),
                    TransmitKind::Ping(p) => Some(SimInput::Ping(p)),
                    TransmitKind::Http { id, request, .. } => {
                        Some(SimInput::HttpRequest { id, request })
                    }
                    TransmitKind::CallbackReply { id, response } => {
                        Some(SimInput::CallbackResponse { id, response })
                    }
                    _ => None,
                };
                if let Some(input) = input {
                    slot.sim.handle_input(now, input);
                }
            }
            while let Some(t) = slot.sim.poll_transmit() {
                progressed = true;
                let input = match t {
                    SimTransmit::Text(s) => Some(Input::Text(s)),
                    SimTransmit::Binary(b) => Some(Input::Binary(b)),
                    SimTransmit::Pong(p) => Some(Input::Pong(p)),
                    SimTransmit::Close => Some(Input::Disconnected {
                        reason: "closed by the terminal".into(),
                    }),
                    SimTransmit::HttpResponse { id, response } => Some(Input::HttpResponse {
                        id,
                        response,
                        peer_certificate: None,
                    }),
                    SimTransmit::HttpDrop { id } => Some(Input::HttpFailed {
                        id,
                        error: TransportError::Io("connection closed without a response".into()),
                    }),
                    SimTransmit::Callback { id, request } => Some(Input::Callback {
                        id,
                        request: HttpRequest {
                            url: request.path_and_query().into(),
                            ..request
                        },
                    }),
                    _ => None,
                };
                if let Some(input) = input {
                    slot.pos.handle_input(now, input);
                    self.stats.pos_inputs += 1;
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn reschedule(&mut self, i: usize) {
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        let wake = [
            slot.next_start,
            slot.pos.poll_timeout(),
            slot.sim.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        // A machine that is idle after the window ends keeps housekeeping timers (retention of
        // finished transactions); they are not part of the measured traffic.
        let wake = wake.filter(|w| *w <= self.end || slot.txn.is_some());
        if wake != slot.scheduled {
            slot.scheduled = wake;
            if let Some(w) = wake {
                self.heap.push(Reverse((w, i)));
            }
        }
    }
}

/// Process measurements from `/proc` (Linux): CPU time and resident memory.
pub(crate) mod proc {
    use std::time::Duration;

    /// Returns the CPU time this thread has run (from `/proc/thread-self/schedstat`).
    pub(crate) fn cpu_time() -> Duration {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
        let ns = text
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        Duration::from_nanos(ns)
    }

    /// Returns a `/proc/self/status` field in bytes (`VmRSS`, `VmHWM`).
    pub(crate) fn status_bytes(field: &str) -> u64 {
        let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

/// The scale examples' command line: without `--n`, runs each size in a fresh child process
/// (so each peak RSS is its own) and prints a table; with `--n N`, runs one size and prints
/// one row. `--minutes M` sets the window (default 10), `--sizes a,b,c` the sizes.
pub(crate) fn cli<M: Machine, S: Simulator>(
    vendor: &str,
    plan: impl Fn(usize, Duration) -> Plan<M, S>,
) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let minutes: u64 = value("--minutes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    if let Some(n) = value("--n").and_then(|v| v.parse::<usize>().ok()) {
        run_one(n, Duration::from_secs(minutes * 60), &plan);
        return;
    }
    if let Some(n) = value("--probe").and_then(|v| v.parse::<usize>().ok()) {
        probe(n, &plan);
        return;
    }
    let sizes: Vec<usize> = value("--sizes")
        .unwrap_or_else(|| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "{vendor}: N terminals, each running sales back to back for {minutes} min of virtual time, one thread"
    );
    println!("{HEADER}");
    let exe = std::env::current_exe().unwrap_or_default();
    for n in sizes {
        let status = std::process::Command::new(&exe)
            .args(["--n", &n.to_string(), "--minutes", &minutes.to_string()])
            .status();
        if !status.is_ok_and(|s| s.success()) {
            println!("N={n}: the run failed");
        }
    }
}

/// Measures the POS machines alone: N single-terminal fleets run one after the other to
/// 30 s (a slow customer's sale in flight, one sale finished before it); each keeps its POS
/// machine and drops its simulator, whose memory the next fleet reuses. Prints the resident
/// memory per in-flight POS machine.
fn probe<M: Machine, S: Simulator>(n: usize, plan: &impl Fn(usize, Duration) -> Plan<M, S>) {
    let at = Timestamp::ZERO + Duration::from_secs(30);
    let base = proc::status_bytes("VmRSS");
    let mut machines = Vec::with_capacity(n);
    let mut in_flight = 0u64;
    for _ in 0..n {
        let mut fleet = Fleet::new(plan(1, Duration::from_secs(600)));
        fleet.run_until(at);
        in_flight += u64::from(fleet.last_in_flight());
        machines.extend(fleet.into_machines());
    }
    let used = proc::status_bytes("VmRSS").saturating_sub(base);
    let n64 = u64::try_from(n.max(1)).unwrap_or(1);
    println!(
        "POS machines only: {n} machines ({in_flight} with a sale in flight at 30 s): {} B resident per machine",
        used / n64
    );
    std::hint::black_box(&machines);
}

const HEADER: &str = "N\tstarted\tfinished(A/D/C/R/U)\tpos_inputs\tcpu_s\twall_s\tcpu_us/txn\tcpu_us/pos_input\tpeak_in_flight\tidle_B/terminal\tpeak_B/in-flight_txn";

fn run_one<M: Machine, S: Simulator>(
    n: usize,
    window: Duration,
    plan: &impl Fn(usize, Duration) -> Plan<M, S>,
) {
    let base = proc::status_bytes("VmRSS");
    let mut fleet = Fleet::new(plan(n, window));
    let idle = proc::status_bytes("VmRSS");
    let cpu0 = proc::cpu_time();
    #[allow(
        clippy::disallowed_methods,
        reason = "the example measures its own wall time"
    )]
    let wall0 = std::time::Instant::now();
    fleet.run();
    let wall = wall0.elapsed();
    let cpu = proc::cpu_time().saturating_sub(cpu0);
    let hwm = proc::status_bytes("VmHWM");
    let s = &fleet.stats;
    let finished = s.finished_total();
    let per_txn_us = cpu.as_nanos() / u128::from(finished.max(1)) / 1000;
    let per_input_ns = cpu.as_nanos() / u128::from(s.pos_inputs.max(1));
    let n64 = u64::try_from(n.max(1)).unwrap_or(1);
    let f = s.finished;
    println!(
        "{n}\t{}\t{finished} ({}/{}/{}/{}/{})\t{}\t{}.{:03}\t{}.{:03}\t{per_txn_us}\t{}.{:03}\t{}\t{}\t{}",
        s.started,
        f[0],
        f[1],
        f[2],
        f[3],
        f[4],
        s.pos_inputs,
        cpu.as_secs(),
        cpu.subsec_millis(),
        wall.as_secs(),
        wall.subsec_millis(),
        per_input_ns / 1000,
        per_input_ns % 1000,
        s.peak_in_flight,
        idle.saturating_sub(base) / n64,
        hwm.saturating_sub(idle) / s.peak_in_flight.max(1),
    );
    if s.started != finished {
        println!("  {} transactions did not finish", s.started - finished);
    }
}
