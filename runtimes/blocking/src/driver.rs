//! The generic driver: runs any [`Machine`] on std threads and blocking sockets.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;

use core::time::Duration;
use pos_core::{
    Answer, CommandError, Event, Input, Machine, Operation, Outcome, PersistRecord, Timestamp,
    Transmit, TransmitKind, TxnId, WallClock,
};

use crate::callback::CallbackRoute;
use crate::clock::Clock;
use crate::error::DriverError;
use crate::http_client;
use crate::persist::{MemorySink, PersistSink};
use crate::ws::{self, WsLink, WsOut};

/// The shortest real transport timeout on a scaled clock.
const MIN_REAL_TIMEOUT: Duration = Duration::from_millis(500);

/// The longest single wait (machine time) when the machine has no timer: keeps a wait
/// responsive to the caller's own deadline.
const IDLE_WAIT: Duration = Duration::from_millis(250);

/// Drives one machine: performs its transmits on real sockets, feeds the results back,
/// fires its timers on a suspend-aware clock, journals its persist records before sending,
/// and hands its events to the caller.
///
/// ```no_run
/// # use pos_blocking::*;
/// # use pos_core::*;
/// # fn demo<M: Machine>(machine: M, op: Operation) -> Result<(), DriverError> {
/// let mut driver = Driver::new(machine, Clock::start());
/// let txn = driver.start(op)?;
/// let outcome = driver.finish(txn, |event| match event {
///     Event::Question { .. } => Some(Answer::Signature { accepted: true }),
///     _ => None,
/// })?;
/// # Ok(()) }
/// ```
pub struct Driver<M> {
    machine: M,
    clock: Clock,
    wake_tx: Sender<Wake>,
    wake_rx: Receiver<Wake>,
    sink: Box<dyn PersistSink>,
    unpersisted: Option<PersistRecord>,
    ready: VecDeque<Event>,
    ws: Option<WsLink>,
    ws_generation: u64,
    callbacks: Option<CallbackRoute>,
}

impl<M: core::fmt::Debug> core::fmt::Debug for Driver<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Driver")
            .field("machine", &self.machine)
            .field("ready", &self.ready.len())
            .finish_non_exhaustive()
    }
}

/// Something for the driver's loop: an input from a transport thread or a command from a
/// [`DriverHandle`].
#[derive(Debug)]
pub(crate) enum Wake {
    Input {
        /// The WebSocket generation it came from; `None` for HTTP and callbacks.
        generation: Option<u64>,
        input: Input,
    },
    Cancel {
        txn: TxnId,
        reply: Sender<Result<(), CommandError>>,
    },
    Answer {
        txn: TxnId,
        answer: Answer,
        reply: Sender<Result<(), CommandError>>,
    },
}

impl Wake {
    pub(crate) const fn input(generation: Option<u64>, input: Input) -> Self {
        Self::Input { generation, input }
    }
}

impl<M: Machine> Driver<M> {
    /// Wraps a machine built with `clock.wall()` as its wall clock. Records go to an
    /// in-memory sink until [`Driver::with_sink`] sets a durable one.
    #[must_use]
    pub fn new(machine: M, clock: Clock) -> Self {
        let (wake_tx, wake_rx) = channel();
        Self {
            machine,
            clock,
            wake_tx,
            wake_rx,
            sink: Box::new(MemorySink::new()),
            unpersisted: None,
            ready: VecDeque::new(),
            ws: None,
            ws_generation: 0,
            callbacks: None,
        }
    }

    /// Sets the journal every persist record goes to before the transmit it protects.
    #[must_use]
    pub fn with_sink(mut self, sink: impl PersistSink + 'static) -> Self {
        self.sink = Box::new(sink);
        self
    }

    /// Receives the callbacks of a [`crate::CallbackListener`] route.
    #[must_use]
    pub fn with_callbacks(mut self, route: CallbackRoute) -> Self {
        route.attach(self.wake_tx.clone());
        self.callbacks = Some(route);
        self
    }

    /// Returns the machine, e.g. to read its state.
    pub const fn machine(&self) -> &M {
        &self.machine
    }

    /// Returns the driver's clock.
    pub const fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Returns the wall clock to construct machines with.
    pub const fn wall(&self) -> WallClock {
        self.clock.wall()
    }

    /// Returns a handle that cancels or answers from another thread while this one waits.
    #[must_use]
    pub fn handle(&self) -> DriverHandle {
        DriverHandle {
            tx: self.wake_tx.clone(),
        }
    }

    /// Starts an operation and performs its first transmits.
    ///
    /// # Errors
    /// [`DriverError::Command`] when the machine refuses; [`DriverError::Persist`] when the
    /// journal fails (nothing was sent).
    pub fn start(&mut self, operation: Operation) -> Result<TxnId, DriverError> {
        self.check_journal()?;
        let txn = self.machine.start(self.clock.now(), operation)?;
        tracing::info!(%txn, vendor = self.machine.vendor(), "started");
        self.drain()?;
        Ok(txn)
    }

    /// Takes over a transaction from a record journalled before a crash.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub fn resume(&mut self, record: PersistRecord) -> Result<TxnId, DriverError> {
        self.check_journal()?;
        let txn = self.machine.resume(self.clock.now(), record)?;
        tracing::info!(%txn, "resumed");
        self.drain()?;
        Ok(txn)
    }

    /// Asks the terminal to cancel; the outcome still arrives as an event.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub fn cancel(&mut self, txn: TxnId) -> Result<(), DriverError> {
        self.check_journal()?;
        self.machine.cancel(self.clock.now(), txn)?;
        self.drain()
    }

    /// Answers a question the terminal asked.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub fn answer(&mut self, txn: TxnId, answer: Answer) -> Result<(), DriverError> {
        self.check_journal()?;
        self.machine.answer(self.clock.now(), txn, answer)?;
        self.drain()
    }

    /// Returns the next event, waiting at most `max_wait` (machine time: see [`Clock`]) for one
    /// while the machine works.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing more is sent.
    pub fn next_event_within(&mut self, max_wait: Duration) -> Result<Option<Event>, DriverError> {
        let until = self.clock.now() + max_wait;
        loop {
            self.check_journal()?;
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            self.step(until)?;
            if self.ready.is_empty() && self.clock.now() >= until {
                return Ok(None);
            }
        }
    }

    /// Lets the machine work until `ready` holds for it or `max_wait` has passed, e.g. until
    /// a WebSocket machine is connected. Events on the way stay queued for
    /// [`Driver::next_event_within`] and [`Driver::finish`].
    ///
    /// Returns whether `ready` held.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails.
    pub fn wait_until(
        &mut self,
        max_wait: Duration,
        mut ready: impl FnMut(&M) -> bool,
    ) -> Result<bool, DriverError> {
        let until = self.clock.now() + max_wait;
        loop {
            self.check_journal()?;
            if ready(&self.machine) {
                return Ok(true);
            }
            if self.clock.now() >= until {
                return Ok(false);
            }
            self.step(until)?;
        }
    }

    /// Waits for `txn` to finish and returns its outcome. Every event on the way is shown to
    /// `on_event`; an answer it returns for a question is given to the machine.
    ///
    /// The machine owns a deadline for every wait of a transaction, so this returns.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails.
    pub fn finish(
        &mut self,
        txn: TxnId,
        mut on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        loop {
            let Some(event) = self.next_event_within(Duration::from_secs(3600))? else {
                continue;
            };
            let reply = on_event(&event);
            match event {
                Event::Question { txn: asked, .. } => {
                    if let Some(answer) = reply {
                        self.answer(asked, answer)?;
                    }
                }
                Event::Finished { txn: done, outcome } if done == txn => return Ok(outcome),
                _ => {}
            }
        }
    }

    /// Like [`Driver::finish`] but gives up after `max_wait` with [`DriverError::Deadline`].
    ///
    /// # Errors
    /// [`DriverError::Deadline`], or as [`Driver::finish`].
    pub fn finish_within(
        &mut self,
        txn: TxnId,
        max_wait: Duration,
        mut on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        let until = self.clock.now() + max_wait;
        loop {
            let left = until.saturating_duration_since(self.clock.now());
            let Some(event) = self.next_event_within(left)? else {
                return Err(DriverError::Deadline { txn });
            };
            let reply = on_event(&event);
            match event {
                Event::Question { txn: asked, .. } => {
                    if let Some(answer) = reply {
                        self.answer(asked, answer)?;
                    }
                }
                Event::Finished { txn: done, outcome } if done == txn => return Ok(outcome),
                _ => {}
            }
        }
    }

    /// Tries the journal again after a [`DriverError::Persist`]; on success the driver goes on.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when it fails again.
    pub fn retry_persist(&mut self) -> Result<(), DriverError> {
        self.check_journal()?;
        self.drain()
    }

    /// Replaces the sink, e.g. after the disk came back, and retries the journal.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the new sink fails too.
    pub fn replace_sink(&mut self, sink: impl PersistSink + 'static) -> Result<(), DriverError> {
        self.sink = Box::new(sink);
        self.retry_persist()
    }

    /// Runs one turn: fires due timers, waits for one wake (until `until` at most) and
    /// drains.
    fn step(&mut self, until: Timestamp) -> Result<(), DriverError> {
        let now = self.clock.now();
        if self.machine.poll_timeout().is_some_and(|t| t <= now) {
            self.machine.handle_timeout(now);
            return self.drain();
        }
        let wake_at = self
            .machine
            .poll_timeout()
            .map_or(until, |t| t.min(until))
            .min(now + IDLE_WAIT);
        let wait = self.clock.real(wake_at.saturating_duration_since(now));
        match self.wake_rx.recv_timeout(wait) {
            Ok(wake) => self.apply(wake),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        }
        let now = self.clock.now();
        if self.machine.poll_timeout().is_some_and(|t| t <= now) {
            self.machine.handle_timeout(now);
        }
        self.drain()
    }

    /// Converts a machine's transport timeout into real time for the sockets. On a scaled
    /// clock it never drops under [`MIN_REAL_TIMEOUT`], so scheduler noise on a loaded machine
    /// is not mistaken for a lost reply.
    fn transport_timeout(&self, machine_time: Duration) -> Duration {
        self.clock
            .real(machine_time)
            .max(MIN_REAL_TIMEOUT.min(machine_time))
    }

    fn apply(&mut self, wake: Wake) {
        let now = self.clock.now();
        match wake {
            Wake::Input { generation, input } => {
                if generation.is_some_and(|g| g != self.ws_generation) {
                    tracing::trace!("input from an old connection dropped");
                    return;
                }
                self.machine.handle_input(now, input);
            }
            Wake::Cancel { txn, reply } => {
                let _ = reply.send(self.machine.cancel(now, txn));
            }
            Wake::Answer { txn, answer, reply } => {
                let _ = reply.send(self.machine.answer(now, txn, answer));
            }
        }
    }

    fn check_journal(&mut self) -> Result<(), DriverError> {
        if let Some(record) = self.unpersisted.take() {
            if let Err(error) = self.sink.persist(&record) {
                let txn = record.txn;
                self.unpersisted = Some(record);
                return Err(DriverError::Persist { txn, error });
            }
            self.ready.push_back(Event::Persist(record));
        }
        Ok(())
    }

    /// Drains events (journalling each record first) and then transmits, performing each.
    /// A journal failure stops before any transmit.
    fn drain(&mut self) -> Result<(), DriverError> {
        self.check_journal()?;
        loop {
            while let Some(event) = self.machine.poll_event() {
                match event {
                    Event::Persist(record) => {
                        if let Err(error) = self.sink.persist(&record) {
                            tracing::error!(txn = %record.txn, %error, "journal failed: holding every send");
                            let txn = record.txn;
                            self.unpersisted = Some(record);
                            return Err(DriverError::Persist { txn, error });
                        }
                        self.ready.push_back(Event::Persist(record));
                    }
                    Event::Finished { txn, outcome } => {
                        tracing::info!(%txn, outcome = %outcome.class(), "finished");
                        if let Err(error) = self.sink.finished(txn) {
                            tracing::warn!(%txn, %error, "journal could not note the finish");
                        }
                        self.ready.push_back(Event::Finished { txn, outcome });
                    }
                    other => self.ready.push_back(other),
                }
            }
            let Some(transmit) = self.machine.poll_transmit() else {
                return Ok(());
            };
            self.perform(transmit);
        }
    }

    fn perform(&mut self, transmit: Transmit) {
        let Transmit {
            txn,
            moves_money,
            kind,
        } = transmit;
        match kind {
            TransmitKind::Connect { url, timeout } => {
                self.ws_generation += 1;
                if let Some(old) = self.ws.take() {
                    let _ = old.tx.send(WsOut::Close);
                }
                tracing::debug!(generation = self.ws_generation, "connecting");
                let timeout = self.transport_timeout(timeout);
                self.ws = Some(ws::spawn(url, timeout, self.ws_generation, &self.wake_tx));
            }
            TransmitKind::Close => match self.ws.take() {
                Some(link) => {
                    let _ = link.tx.send(WsOut::Close);
                }
                None => self.feed_back(Input::Disconnected {
                    reason: "not connected".into(),
                }),
            },
            TransmitKind::Text(text) => self.send_ws(WsOut::Text(text), moves_money, txn),
            TransmitKind::Binary(bytes) => self.send_ws(WsOut::Binary(bytes), moves_money, txn),
            TransmitKind::Ping(bytes) => self.send_ws(WsOut::Ping(bytes), false, txn),
            TransmitKind::Http {
                id,
                request,
                timeout,
                tls,
            } => {
                tracing::debug!(%id, ?txn, moves_money, method = %request.method, "sending request");
                let timeout = self.transport_timeout(timeout);
                let wake = self.wake_tx.clone();
                let spawned = thread::Builder::new()
                    .name("pos-http".into())
                    .spawn(move || {
                        let input = match http_client::send(&request, timeout, &tls) {
                            Ok((response, peer_certificate)) => Input::HttpResponse {
                                id,
                                response,
                                peer_certificate,
                            },
                            Err(error) => Input::HttpFailed { id, error },
                        };
                        let _ = wake.send(Wake::input(None, input));
                    });
                if let Err(e) = spawned {
                    self.feed_back(Input::HttpFailed {
                        id,
                        error: pos_core::TransportError::Connect(format!("no thread: {e}")),
                    });
                }
            }
            TransmitKind::CallbackReply { id, response } => match &self.callbacks {
                Some(route) => route.reply(id, response),
                None => tracing::warn!(%id, "callback reply without a listener"),
            },
            other => tracing::warn!(?other, "transmit this runtime does not know"),
        }
    }

    fn send_ws(&mut self, frame: WsOut, moves_money: bool, txn: Option<TxnId>) {
        tracing::debug!(?txn, moves_money, "sending frame");
        let sent = self
            .ws
            .as_ref()
            .is_some_and(|link| link.tx.send(frame).is_ok());
        if !sent {
            self.feed_back(Input::Disconnected {
                reason: "not connected".into(),
            });
        }
    }

    /// Queues an input for the next turn, as if a transport reported it.
    fn feed_back(&self, input: Input) {
        let _ = self
            .wake_tx
            .send(Wake::input(Some(self.ws_generation), input));
    }
}

/// Cancels or answers from another thread while the driver's thread waits in
/// [`Driver::finish`] or [`Driver::next_event_within`].
#[derive(Clone, Debug)]
pub struct DriverHandle {
    tx: Sender<Wake>,
}

impl DriverHandle {
    /// Asks for a cancel and waits up to `max_wait` for the machine to take or refuse it.
    ///
    /// # Errors
    /// [`DriverError::Command`] when refused; [`DriverError::NotRunning`] when the driver is
    /// not waiting within `max_wait`.
    pub fn cancel(&self, txn: TxnId, max_wait: Duration) -> Result<(), DriverError> {
        let (reply, rx) = channel();
        self.tx
            .send(Wake::Cancel { txn, reply })
            .map_err(|_| DriverError::NotRunning)?;
        rx.recv_timeout(max_wait)
            .map_err(|_| DriverError::NotRunning)?
            .map_err(DriverError::from)
    }

    /// Answers a question and waits up to `max_wait` for the machine to take it.
    ///
    /// # Errors
    /// As [`DriverHandle::cancel`].
    pub fn answer(
        &self,
        txn: TxnId,
        answer: Answer,
        max_wait: Duration,
    ) -> Result<(), DriverError> {
        let (reply, rx) = channel();
        self.tx
            .send(Wake::Answer { txn, answer, reply })
            .map_err(|_| DriverError::NotRunning)?;
        rx.recv_timeout(max_wait)
            .map_err(|_| DriverError::NotRunning)?
            .map_err(DriverError::from)
    }
}
