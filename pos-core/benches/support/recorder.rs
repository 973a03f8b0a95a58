//! Records what a POS machine is told inside the pair harness, and replays it into a fresh
//! machine: the POS machine's own share of a sale, without the simulator or the harness.
//!
//! Shared by the vendor crates' criterion benches through `#[path]`; it is not a target of
//! its own.

use pos_core::{
    Answer, Capabilities, CommandError, Event, HttpRequest, Input, Machine, Operation,
    PersistRecord, Timestamp, Transmit, TxnId,
};

/// One thing the POS machine was told, in order.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// `start`.
    Start(Operation),
    /// `cancel`.
    Cancel(TxnId),
    /// `answer`.
    Answer(TxnId, Answer),
    /// `resume`.
    Resume(Box<PersistRecord>),
    /// `handle_input`.
    Input(Input),
    /// `handle_timeout`.
    Timeout,
}

/// A machine that logs every command and input it gets, and every transmit it sends.
#[derive(Debug)]
pub(crate) struct Recorder<M> {
    /// The wrapped machine.
    pub(crate) inner: M,
    /// Everything the machine was told, with the time.
    pub(crate) steps: Vec<(Timestamp, Step)>,
    /// Everything the machine sent.
    pub(crate) sent: Vec<Transmit>,
}

impl<M> Recorder<M> {
    /// Wraps `inner`.
    pub(crate) const fn new(inner: M) -> Self {
        Self {
            inner,
            steps: Vec::new(),
            sent: Vec::new(),
        }
    }
}

impl<M: Machine> Machine for Recorder<M> {
    fn vendor(&self) -> &'static str {
        self.inner.vendor()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        self.steps.push((now, Step::Start(operation.clone())));
        self.inner.start(now, operation)
    }

    fn cancel(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        self.steps.push((now, Step::Cancel(txn)));
        self.inner.cancel(now, txn)
    }

    fn answer(&mut self, now: Timestamp, txn: TxnId, answer: Answer) -> Result<(), CommandError> {
        self.steps.push((now, Step::Answer(txn, answer)));
        self.inner.answer(now, txn, answer)
    }

    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        self.steps
            .push((now, Step::Resume(Box::new(record.clone()))));
        self.inner.resume(now, record)
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        self.steps.push((now, Step::Input(input.clone())));
        self.inner.handle_input(now, input);
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.steps.push((now, Step::Timeout));
        self.inner.handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.inner.poll_transmit()?;
        self.sent.push(t.clone());
        Some(t)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.inner.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.inner.poll_timeout()
    }

    fn accepts_callback(&self, request: &HttpRequest) -> bool {
        self.inner.accepts_callback(request)
    }
}

/// Replays `steps` into `machine`, draining its outputs after each as a runtime would, and
/// returns how many transmits and events it produced (so the work cannot be optimised away).
pub(crate) fn replay<M: Machine>(machine: &mut M, steps: Vec<(Timestamp, Step)>) -> usize {
    let mut produced = drain(machine);
    for (now, step) in steps {
        match step {
            Step::Start(op) => {
                let _ = machine.start(now, op);
            }
            Step::Cancel(txn) => {
                let _ = machine.cancel(now, txn);
            }
            Step::Answer(txn, answer) => {
                let _ = machine.answer(now, txn, answer);
            }
            Step::Resume(record) => {
                let _ = machine.resume(now, *record);
            }
            Step::Input(input) => machine.handle_input(now, input),
            Step::Timeout => machine.handle_timeout(now),
        }
        produced += drain(machine);
    }
    produced
}

/// Drains transmits and events, returning how many there were.
fn drain<M: Machine>(machine: &mut M) -> usize {
    let mut n = 0;
    loop {
        let mut any = false;
        while let Some(t) = machine.poll_transmit() {
            std::hint::black_box(t);
            n += 1;
            any = true;
        }
        while let Some(e) = machine.poll_event() {
            std::hint::black_box(e);
            n += 1;
            any = true;
        }
        if !any {
            return n;
        }
    }
}

/// Returns the last input that carried a message (frame, HTTP response or callback) before
/// the sale finished: the final result as the machine received it.
#[allow(
    dead_code,
    reason = "not every vendor's final result is the last message"
)]
pub(crate) fn last_message(steps: &[(Timestamp, Step)]) -> Option<&Input> {
    steps.iter().rev().find_map(|(_, s)| match s {
        Step::Input(i @ (Input::Text(_) | Input::HttpResponse { .. } | Input::Callback { .. })) => {
            Some(i)
        }
        _ => None,
    })
}

/// Benchmarks one complete sale through the pair harness (`sale_pair_harness`) and the POS
/// machine's share of it, the recorded `steps` replayed into a fresh machine
/// (`sale_pos_share`). The same two measurements for every vendor.
pub(crate) fn bench_sale<P, M, S>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    pair: impl Fn() -> pos_core::testing::Pair<P, S>,
    sale: impl Fn() -> Operation,
    machine: impl Fn() -> M,
    steps: &[(Timestamp, Step)],
) where
    P: Machine,
    M: Machine,
    S: pos_core::Simulator,
{
    g.throughput(criterion::Throughput::Elements(1));
    g.bench_function("sale_pair_harness", |b| {
        b.iter_batched(
            &pair,
            |mut pair| {
                let txn = pair.start(sale()).unwrap();
                pair.run_until_finished(txn)
            },
            criterion::BatchSize::SmallInput,
        );
    });
    g.bench_function("sale_pos_share", |b| {
        b.iter_batched(
            || (machine(), steps.to_vec()),
            |(mut m, steps)| replay(&mut m, steps),
            criterion::BatchSize::SmallInput,
        );
    });
}
