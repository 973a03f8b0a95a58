//! The executor-neutral heart of every driver (blocking, smol, tokio): a sans-IO
//! [`DriverCore`] that owns the machine, the clock, the journal, the queue of events for the
//! caller, the record whose journalling is pending, and the WebSocket generation.
//!
//! A driver only waits, spawns and does I/O. One turn of any driver is:
//!
//! 1. unless work is due, wait (its own way) for a [`Wake`] until [`DriverCore::wake_at`] and
//!    hand it and every wake queued behind it to [`DriverCore::apply`] (a command's result
//!    goes back on its reply);
//! 2. [`DriverCore::tick`]: inputs the core queued itself and a due timer reach the machine;
//! 3. drain: [`DriverCore::drain`] with the sink called inline, or, to journal elsewhere (smol
//!    runs the sink on its blocking pool), a loop over [`DriverCore::poll_work`] that reports
//!    each journal attempt to [`DriverCore::journalled`]. A record is journalled before any
//!    transmit after it is performed, and while the journal fails nothing more is sent.
//!
//! Transmits are turned into calls on the driver's [`Transport`]: the core decides the
//! WebSocket generation, converts timeouts to real time ([`Clock::transport_timeout`]) and
//! feeds `Disconnected` back to the machine when a frame has no connection to go on.

mod api;
pub mod link;
mod shared;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use core::time::Duration;
use pos_core::{
    Answer, CallbackId, CommandError, Event, Fingerprint, HttpRequest, HttpResponse, Input,
    Machine, Operation, Outcome, PersistRecord, RequestId, Timestamp, TlsTrust, Transmit,
    TransmitKind, TransportError, TxnId,
};

pub use api::FINISH_SLICE;
pub use shared::{SharedMachine, SharedSink};

use crate::clock::Clock;
use crate::error::DriverError;
use crate::persist::{PersistError, PersistSink};

/// The sans-IO state of one driver: see the [module docs](self).
pub struct DriverCore<M> {
    machine: M,
    clock: Clock,
    sink: SharedSink,
    unpersisted: Option<PersistRecord>,
    ready: VecDeque<Event>,
    ws_generation: u64,
    /// Inputs the core itself owes the machine (a frame with no connection), with the
    /// generation they belong to; they reach it on the next [`DriverCore::tick`].
    feedback: VecDeque<(u64, Input)>,
}

impl<M: core::fmt::Debug> core::fmt::Debug for DriverCore<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DriverCore")
            .field("machine", &self.machine)
            .field("ready", &self.ready.len())
            .field("unpersisted", &self.unpersisted.as_ref().map(|r| r.txn))
            .field("ws_generation", &self.ws_generation)
            .finish_non_exhaustive()
    }
}

/// Something for a driver's loop: an input from a transport or a command from another thread
/// or task, whose result goes back on `reply` (the driver's own channel type).
#[derive(Debug)]
pub enum Wake<R> {
    /// An input from a transport.
    Input {
        /// The WebSocket generation it came from; `None` for HTTP and callbacks.
        generation: Option<u64>,
        /// The input.
        input: Input,
    },
    /// A cancel asked by a handle.
    Cancel {
        /// The transaction.
        txn: TxnId,
        /// Where the machine's answer goes.
        reply: R,
    },
    /// An answer given through a handle.
    Answer {
        /// The transaction.
        txn: TxnId,
        /// The answer.
        answer: Answer,
        /// Where the machine's answer goes.
        reply: R,
    },
}

impl<R> Wake<R> {
    /// Wraps a transport's input, tagged with its WebSocket generation (`None` otherwise).
    pub const fn input(generation: Option<u64>, input: Input) -> Self {
        Self::Input { generation, input }
    }
}

/// A WebSocket frame (or the close) for a driver's connection task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsFrame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// A ping.
    Ping(Vec<u8>),
    /// Close the connection.
    Close,
}

/// What a driver does with sockets: the core calls it to perform the machine's transmits,
/// and keeps the decisions (which connection, what happens without one) to itself.
pub trait Transport {
    /// The driver's end of one WebSocket connection, e.g. a channel to its task.
    type Link;

    /// Opens a WebSocket to `url` within `timeout` (real time); every input the connection
    /// reports carries `generation`.
    fn open(&mut self, url: String, timeout: Duration, generation: u64) -> Self::Link;

    /// Returns the slot of the current connection.
    fn link(&mut self) -> &mut Option<Self::Link>;

    /// Queues a frame (or the close) on a connection; returns `false` when it is gone.
    fn push(link: &Self::Link, frame: WsFrame) -> bool;

    /// Sends an HTTP request within `timeout` (real time); its result comes back as a
    /// [`Wake::Input`] made with [`http_input`].
    fn http(&mut self, id: RequestId, request: HttpRequest, timeout: Duration, tls: TlsTrust);

    /// Answers a callback the listener holds.
    fn callback_reply(&mut self, id: CallbackId, response: HttpResponse);
}

/// One piece of work [`DriverCore::poll_work`] hands out, in the order it must be done.
#[derive(Debug)]
pub enum Work {
    /// Journal this record, then report the result to [`DriverCore::journalled`]. The core
    /// keeps the record until then: asked again, it hands the same record out again.
    Journal(PersistRecord),
    /// Tell the sink this transaction finished, then report to [`DriverCore::noted`].
    NoteFinished(TxnId),
    /// Perform this transmit with [`DriverCore::perform`].
    Transmit(Transmit),
}

/// What a `finish` loop does with an event after [`consider`].
// Returned by value once per event and consumed at once: boxing the outcome buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Considered {
    /// The transaction ended with this outcome.
    Finished(Outcome),
    /// The caller answered a question: give the answer to the machine.
    Answer(TxnId, Answer),
    /// Keep waiting.
    Continue,
}

/// Turns an HTTP client's result into the machine's input for request `id`.
#[must_use]
pub fn http_input(
    id: RequestId,
    result: Result<(HttpResponse, Option<Fingerprint>), TransportError>,
) -> Input {
    match result {
        Ok((response, peer_certificate)) => Input::HttpResponse {
            id,
            response,
            peer_certificate,
        },
        Err(error) => Input::HttpFailed { id, error },
    }
}

/// Shows an event to the caller's `on_event` and tells a `finish` loop what follows: the
/// outcome when it ends `txn`, the caller's answer to a question, or nothing.
pub fn consider(
    txn: TxnId,
    event: Event,
    on_event: &mut impl FnMut(&Event) -> Option<Answer>,
) -> Considered {
    let reply = on_event(&event);
    match event {
        Event::Question { txn: asked, .. } => reply.map_or(Considered::Continue, |answer| {
            Considered::Answer(asked, answer)
        }),
        Event::Finished { txn: done, outcome } if done == txn => Considered::Finished(outcome),
        _ => Considered::Continue,
    }
}

/// Notes an answer the machine refused while a `finish` loop waited for `txn`'s outcome.
pub fn answer_refused(txn: TxnId, error: &CommandError) {
    tracing::warn!(%txn, %error, "answer refused; still waiting for the outcome");
}

impl<M: Machine> DriverCore<M> {
    /// Wraps a machine built with `clock.wall()`; records go to an in-memory sink until
    /// [`DriverCore::set_sink`].
    #[must_use]
    pub fn new(machine: M, clock: Clock) -> Self {
        Self {
            machine,
            clock,
            sink: SharedSink::memory(),
            unpersisted: None,
            ready: VecDeque::new(),
            ws_generation: 0,
            feedback: VecDeque::new(),
        }
    }

    /// Sets the journal every persist record goes to before the transmit it protects.
    pub fn set_sink(&mut self, sink: impl PersistSink + 'static) {
        self.sink = SharedSink::new(sink);
    }

    /// Returns the journal, e.g. to run it on a worker thread.
    #[must_use]
    pub const fn sink(&self) -> &SharedSink {
        &self.sink
    }

    /// Returns the machine.
    pub const fn machine(&self) -> &M {
        &self.machine
    }

    /// Returns the machine to run a vendor-specific command on; drain afterwards.
    pub const fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }

    /// Returns the clock.
    pub const fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Returns the machine time now.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Returns the generation of the current WebSocket connection (0 before the first).
    #[must_use]
    pub const fn ws_generation(&self) -> u64 {
        self.ws_generation
    }

    /// Starts an operation on the machine (drain afterwards).
    ///
    /// # Errors
    /// The machine's [`CommandError`].
    pub fn start(&mut self, operation: Operation) -> Result<TxnId, CommandError> {
        let txn = self.machine.start(self.clock.now(), operation)?;
        tracing::info!(%txn, vendor = self.machine.vendor(), "started");
        Ok(txn)
    }

    /// Takes over a journalled transaction (drain afterwards).
    ///
    /// # Errors
    /// The machine's [`CommandError`].
    pub fn resume(&mut self, record: PersistRecord) -> Result<TxnId, CommandError> {
        let txn = self.machine.resume(self.clock.now(), record)?;
        tracing::info!(%txn, "resumed");
        Ok(txn)
    }

    /// Asks the machine to cancel (drain afterwards).
    ///
    /// # Errors
    /// The machine's [`CommandError`].
    pub fn cancel(&mut self, txn: TxnId) -> Result<(), CommandError> {
        self.machine.cancel(self.clock.now(), txn)
    }

    /// Gives the machine an answer (drain afterwards).
    ///
    /// # Errors
    /// The machine's [`CommandError`].
    pub fn answer(&mut self, txn: TxnId, answer: Answer) -> Result<(), CommandError> {
        self.machine.answer(self.clock.now(), txn, answer)
    }

    /// Runs a vendor-specific command on the machine at the current time (drain afterwards).
    pub fn command<R>(&mut self, f: impl FnOnce(&mut M, Timestamp) -> R) -> R {
        let now = self.clock.now();
        f(&mut self.machine, now)
    }

    /// Applies a wake: an input reaches the machine unless it comes from an older WebSocket
    /// connection; a command runs, and its reply channel comes back with the result for the
    /// driver to send.
    pub fn apply<R>(&mut self, wake: Wake<R>) -> Option<(R, Result<(), CommandError>)> {
        let now = self.clock.now();
        match wake {
            Wake::Input { generation, input } => {
                self.input(generation, input);
                None
            }
            Wake::Cancel { txn, reply } => Some((reply, self.machine.cancel(now, txn))),
            Wake::Answer { txn, answer, reply } => {
                Some((reply, self.machine.answer(now, txn, answer)))
            }
        }
    }

    /// Hands an input to the machine unless it comes from an older WebSocket connection.
    pub fn input(&mut self, generation: Option<u64>, input: Input) {
        if generation.is_some_and(|g| g != self.ws_generation) {
            tracing::trace!("input from an old connection dropped");
            return;
        }
        self.machine.handle_input(self.clock.now(), input);
    }

    /// Returns the machine time a driver may wait until for a wake (the machine's next timer,
    /// at most `until`), or `None` when there is work to do right away (a due timer or an
    /// input the core queued itself).
    ///
    /// On `None` a driver goes straight to [`DriverCore::tick`], leaving the wakes that queued
    /// up meanwhile for the next turn: a timer that fell due goes first, as on the machine's
    /// own timeline. (Connect's signature answer is sent from a timer due at once; a poll
    /// reply handled before it loses the answer.)
    #[must_use]
    pub fn wake_at(&self, until: Timestamp) -> Option<Timestamp> {
        if !self.feedback.is_empty() {
            return None;
        }
        match self.machine.poll_timeout() {
            Some(t) if t <= self.clock.now() => None,
            Some(t) => Some(t.min(until)),
            None => Some(until),
        }
    }

    /// Feeds the inputs the core queued itself and fires the machine's timer when due.
    pub fn tick(&mut self) {
        while let Some((generation, input)) = self.feedback.pop_front() {
            self.input(Some(generation), input);
        }
        let now = self.clock.now();
        if self.machine.poll_timeout().is_some_and(|t| t <= now) {
            self.machine.handle_timeout(now);
        }
    }

    /// Takes the next event for the caller.
    pub fn pop_event(&mut self) -> Option<Event> {
        self.ready.pop_front()
    }

    /// Tells whether an event waits for the caller.
    #[must_use]
    pub fn has_events(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Returns the record whose journalling failed or was interrupted, which must be
    /// journalled (and reported to [`DriverCore::journalled`]) before anything else.
    #[must_use]
    pub fn held_record(&self) -> Option<&PersistRecord> {
        self.unpersisted.as_ref()
    }

    /// Journals a held record inline, if any ([`DriverCore::held_record`]).
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the sink fails again.
    pub fn journal_held(&mut self) -> Result<(), DriverError> {
        if let Some(record) = self.unpersisted.clone() {
            let result = self.sink.persist(&record);
            self.journalled(result)?;
        }
        Ok(())
    }

    /// Hands out the next piece of work: the held record first, then the machine's events
    /// (records to journal, finishes to note; the rest queued for the caller), then one
    /// transmit. `None` when the machine has nothing more.
    pub fn poll_work(&mut self) -> Option<Work> {
        if let Some(record) = &self.unpersisted {
            return Some(Work::Journal(record.clone()));
        }
        while let Some(event) = self.machine.poll_event() {
            match event {
                Event::Persist(record) => {
                    self.unpersisted = Some(record.clone());
                    return Some(Work::Journal(record));
                }
                Event::Finished { txn, outcome } => {
                    tracing::info!(%txn, outcome = %outcome.class(), "finished");
                    // Queued before the note: a driver interrupted while noting loses no
                    // outcome.
                    self.ready.push_back(Event::Finished { txn, outcome });
                    return Some(Work::NoteFinished(txn));
                }
                other => self.ready.push_back(other),
            }
        }
        self.machine.poll_transmit().map(Work::Transmit)
    }

    /// Takes the result of journalling the held record: on success the record is queued for
    /// the caller and sending goes on.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the sink failed: the record stays held and nothing is
    /// sent until it is journalled.
    pub fn journalled(&mut self, result: Result<(), PersistError>) -> Result<(), DriverError> {
        let Some(record) = self.unpersisted.take() else {
            return Ok(());
        };
        match result {
            Ok(()) => {
                self.ready.push_back(Event::Persist(record));
                Ok(())
            }
            Err(error) => {
                let txn = record.txn;
                tracing::error!(%txn, %error, "journal failed: holding every send");
                self.unpersisted = Some(record);
                Err(DriverError::Persist { txn, error })
            }
        }
    }

    /// Takes the result of noting a finish: a failure is only logged (the outcome is already
    /// the caller's; the record is merely kept for recovery longer than needed).
    pub fn noted(&self, txn: TxnId, result: Result<(), PersistError>) {
        if let Err(error) = result {
            tracing::warn!(%txn, %error, "journal could not note the finish");
        }
    }

    /// Drains the machine with the sink called inline: journals each record before any later
    /// transmit, notes finishes, and performs the transmits on `transport`.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing after the record is sent.
    pub fn drain<T: Transport>(&mut self, transport: &mut T) -> Result<(), DriverError> {
        while let Some(work) = self.poll_work() {
            match work {
                Work::Journal(record) => {
                    let result = self.sink.persist(&record);
                    self.journalled(result)?;
                }
                Work::NoteFinished(txn) => self.noted(txn, self.sink.finished(txn)),
                Work::Transmit(transmit) => self.perform(transmit, transport),
            }
        }
        Ok(())
    }

    /// Performs one transmit on `transport`: a new WebSocket generation for a connect, real
    /// timeouts, and a `Disconnected` fed back when a frame or close has no connection.
    pub fn perform<T: Transport>(&mut self, transmit: Transmit, transport: &mut T) {
        let Transmit {
            txn,
            moves_money,
            kind,
        } = transmit;
        match kind {
            TransmitKind::Connect { url, timeout } => {
                self.ws_generation += 1;
                tracing::debug!(generation = self.ws_generation, "connecting");
                let timeout = self.clock.transport_timeout(timeout);
                if let Some(old) = transport.link().take() {
                    T::push(&old, WsFrame::Close);
                }
                let link = transport.open(url, timeout, self.ws_generation);
                *transport.link() = Some(link);
            }
            TransmitKind::Close => match transport.link().take() {
                Some(link) => {
                    T::push(&link, WsFrame::Close);
                }
                None => self.not_connected(),
            },
            TransmitKind::Text(text) => {
                self.frame(transport, WsFrame::Text(text), txn, moves_money);
            }
            TransmitKind::Binary(bytes) => {
                self.frame(transport, WsFrame::Binary(bytes), txn, moves_money);
            }
            TransmitKind::Ping(bytes) => self.frame(transport, WsFrame::Ping(bytes), txn, false),
            TransmitKind::Http {
                id,
                request,
                timeout,
                tls,
            } => {
                tracing::debug!(%id, ?txn, moves_money, method = %request.method, "sending request");
                let timeout = self.clock.transport_timeout(timeout);
                transport.http(id, request, timeout, tls);
            }
            TransmitKind::CallbackReply { id, response } => transport.callback_reply(id, response),
            other => {
                tracing::warn!(?other, "transmit this runtime does not know");
                if let Some(txn) = txn {
                    tracing::warn!(%txn, "its transaction may wait for its own deadline");
                }
            }
        }
    }

    fn frame<T: Transport>(
        &mut self,
        transport: &mut T,
        frame: WsFrame,
        txn: Option<TxnId>,
        moves_money: bool,
    ) {
        tracing::debug!(?txn, moves_money, "sending frame");
        let sent = transport
            .link()
            .as_ref()
            .is_some_and(|link| T::push(link, frame));
        if !sent {
            self.not_connected();
        }
    }

    /// Owes the machine a `Disconnected` for the current generation, on the next tick.
    fn not_connected(&mut self) {
        self.feedback.push_back((
            self.ws_generation,
            Input::Disconnected {
                reason: "not connected".into(),
            },
        ));
    }
}
