//! The generic async driver: runs any [`Machine`] on smol, its transports as tasks, its
//! timers on `async-io`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use core::time::Duration;
use pos_blocking::{Clock, DriverError, MemorySink, PersistError, PersistSink};
use pos_core::{
    Answer, CommandError, Event, Input, Machine, Operation, Outcome, PersistRecord, Timestamp,
    Transmit, TransmitKind, TxnId, WallClock,
};
use smol::Timer;
use smol::channel::{Receiver, Sender};
use smol::future::FutureExt as _;

use crate::callback::CallbackRoute;
use crate::handle::DriverHandle;
use crate::http_client;
use crate::spawn::Spawner;
use crate::ws::{self, WsLink, WsOut};

/// Drives one machine on smol: performs its transmits as tasks on real sockets, feeds the
/// results back, fires its timers on the runtime's suspend-aware [`Clock`], journals its
/// persist records before sending, and hands its events to the caller.
///
/// Every method that waits is cancel-safe: dropping its future (e.g. on a `select`) loses no
/// event and sends nothing unjournalled; the next call carries on.
///
/// ```no_run
/// # use pos_smol::*;
/// # use pos_core::*;
/// # async fn demo<M: Machine>(machine: M, op: Operation) -> Result<(), DriverError> {
/// let mut driver = Driver::new(machine, Clock::start());
/// let txn = driver.start(op).await?;
/// let outcome = driver
///     .finish(txn, |event| match event {
///         Event::Question { .. } => Some(Answer::Signature { accepted: true }),
///         _ => None,
///     })
///     .await?;
/// # Ok(()) }
/// ```
pub struct Driver<M> {
    machine: M,
    clock: Clock,
    spawner: Spawner,
    wake_tx: Sender<Wake>,
    wake_rx: Receiver<Wake>,
    sink: Arc<Mutex<Box<dyn PersistSink>>>,
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

/// Something for the driver's loop: an input from a transport task or a command from a
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
    /// Wraps a machine built with `clock.wall()` as its wall clock; its transports run on
    /// smol's global executor. Records go to an in-memory sink until [`Driver::with_sink`]
    /// sets a durable one.
    #[must_use]
    pub fn new(machine: M, clock: Clock) -> Self {
        let (wake_tx, wake_rx) = smol::channel::unbounded();
        Self {
            machine,
            clock,
            spawner: Spawner::global(),
            wake_tx,
            wake_rx,
            sink: Arc::new(Mutex::new(Box::new(MemorySink::new()))),
            unpersisted: None,
            ready: VecDeque::new(),
            ws: None,
            ws_generation: 0,
            callbacks: None,
        }
    }

    /// Runs the transports on the given spawner's executor instead of the global one.
    #[must_use]
    pub fn with_spawner(mut self, spawner: Spawner) -> Self {
        self.spawner = spawner;
        self
    }

    /// Sets the journal every persist record goes to before the transmit it protects. The
    /// sink runs on smol's blocking pool, so an fsync never stalls the executor.
    #[must_use]
    pub fn with_sink(mut self, sink: impl PersistSink + 'static) -> Self {
        self.sink = Arc::new(Mutex::new(Box::new(sink)));
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

    /// Returns a handle that cancels or answers from another task while this one waits.
    #[must_use]
    pub fn handle(&self) -> DriverHandle {
        DriverHandle::new(self.wake_tx.clone())
    }

    /// Starts an operation and performs its first transmits.
    ///
    /// # Errors
    /// [`DriverError::Command`] when the machine refuses; [`DriverError::Persist`] when the
    /// journal fails (nothing was sent).
    pub async fn start(&mut self, operation: Operation) -> Result<TxnId, DriverError> {
        self.check_journal().await?;
        let txn = self.machine.start(self.clock.now(), operation)?;
        tracing::info!(%txn, vendor = self.machine.vendor(), "started");
        self.drain().await?;
        Ok(txn)
    }

    /// Takes over a transaction from a record journalled before a crash.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn resume(&mut self, record: PersistRecord) -> Result<TxnId, DriverError> {
        self.check_journal().await?;
        let txn = self.machine.resume(self.clock.now(), record)?;
        tracing::info!(%txn, "resumed");
        self.drain().await?;
        Ok(txn)
    }

    /// Asks the terminal to cancel; the outcome still arrives as an event.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn cancel(&mut self, txn: TxnId) -> Result<(), DriverError> {
        self.check_journal().await?;
        self.machine.cancel(self.clock.now(), txn)?;
        self.drain().await
    }

    /// Answers a question the terminal asked.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn answer(&mut self, txn: TxnId, answer: Answer) -> Result<(), DriverError> {
        self.check_journal().await?;
        self.machine.answer(self.clock.now(), txn, answer)?;
        self.drain().await
    }

    /// Returns the next event, waiting as long as it takes while the machine works.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing more is sent.
    pub async fn next_event(&mut self) -> Result<Event, DriverError> {
        loop {
            if let Some(event) = self.next_event_within(Duration::from_secs(3600)).await? {
                return Ok(event);
            }
        }
    }

    /// Returns the next event, waiting at most `max_wait` (machine time) for one.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing more is sent.
    pub async fn next_event_within(
        &mut self,
        max_wait: Duration,
    ) -> Result<Option<Event>, DriverError> {
        let until = self.clock.now() + max_wait;
        loop {
            self.check_journal().await?;
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            self.step(until).await?;
            if self.ready.is_empty() && self.clock.now() >= until {
                return Ok(None);
            }
        }
    }

    /// Waits for `txn` to finish and returns its outcome. Every event on the way is shown to
    /// `on_event`; an answer it returns for a question is given to the machine.
    ///
    /// The machine owns a deadline for every wait of a transaction, so this returns.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails.
    pub async fn finish(
        &mut self,
        txn: TxnId,
        mut on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        loop {
            let event = self.next_event().await?;
            if let Some(outcome) = self.consider(txn, event, &mut on_event).await? {
                return Ok(outcome);
            }
        }
    }

    /// Like [`Driver::finish`] but gives up after `max_wait` (machine time) with
    /// [`DriverError::Deadline`].
    ///
    /// # Errors
    /// [`DriverError::Deadline`], or as [`Driver::finish`].
    pub async fn finish_within(
        &mut self,
        txn: TxnId,
        max_wait: Duration,
        mut on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        let until = self.clock.now() + max_wait;
        loop {
            let left = until.saturating_duration_since(self.clock.now());
            let Some(event) = self.next_event_within(left).await? else {
                return Err(DriverError::Deadline { txn });
            };
            if let Some(outcome) = self.consider(txn, event, &mut on_event).await? {
                return Ok(outcome);
            }
        }
    }

    /// Tries the journal again after a [`DriverError::Persist`]; on success the driver goes on.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when it fails again.
    pub async fn retry_persist(&mut self) -> Result<(), DriverError> {
        self.check_journal().await?;
        self.drain().await
    }

    /// Replaces the sink, e.g. after the disk came back, and retries the journal.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the new sink fails too.
    pub async fn replace_sink(
        &mut self,
        sink: impl PersistSink + 'static,
    ) -> Result<(), DriverError> {
        self.sink = Arc::new(Mutex::new(Box::new(sink)));
        self.retry_persist().await
    }

    /// Shows an event to the caller, answers a question with its reply, and returns the
    /// outcome when the event finished `txn`.
    async fn consider(
        &mut self,
        txn: TxnId,
        event: Event,
        on_event: &mut impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Option<Outcome>, DriverError> {
        let reply = on_event(&event);
        match event {
            Event::Question { txn: asked, .. } => {
                if let Some(answer) = reply {
                    self.answer(asked, answer).await?;
                }
                Ok(None)
            }
            Event::Finished { txn: done, outcome } if done == txn => Ok(Some(outcome)),
            _ => Ok(None),
        }
    }

    /// Runs one turn: fires due timers, or waits for a wake (until `until` at most), applies
    /// every wake queued by then, and drains.
    async fn step(&mut self, until: Timestamp) -> Result<(), DriverError> {
        let now = self.clock.now();
        if self.machine.poll_timeout().is_some_and(|t| t <= now) {
            self.machine.handle_timeout(now);
            return self.drain().await;
        }
        let wake_at = self.machine.poll_timeout().map_or(until, |t| t.min(until));
        let wait = self.clock.until(wake_at);
        let rx = self.wake_rx.clone();
        let woke = async { rx.recv().await.ok() }
            .or(async {
                Timer::after(wait).await;
                None
            })
            .await;
        if let Some(wake) = woke {
            self.apply(wake);
            while let Ok(more) = self.wake_rx.try_recv() {
                self.apply(more);
            }
        }
        let now = self.clock.now();
        if self.machine.poll_timeout().is_some_and(|t| t <= now) {
            self.machine.handle_timeout(now);
        }
        self.drain().await
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
                let _ = reply.try_send(self.machine.cancel(now, txn));
            }
            Wake::Answer { txn, answer, reply } => {
                let _ = reply.try_send(self.machine.answer(now, txn, answer));
            }
        }
    }

    /// Journals a record held back by a failed or interrupted persist, before anything else.
    async fn check_journal(&mut self) -> Result<(), DriverError> {
        if let Some(record) = self.unpersisted.clone() {
            let txn = record.txn;
            let stored = self.journal(record.clone()).await;
            if let Err(error) = stored {
                return Err(DriverError::Persist { txn, error });
            }
            self.unpersisted = None;
            self.ready.push_back(Event::Persist(record));
        }
        Ok(())
    }

    /// Stores a record on the blocking pool. The record stays in `unpersisted` while this
    /// runs, so a dropped future retries it rather than sending unjournalled.
    async fn journal(&self, record: PersistRecord) -> Result<(), PersistError> {
        let sink = self.sink.clone();
        smol::unblock(move || {
            let mut sink = sink
                .lock()
                .map_err(|_| PersistError::new("persist sink poisoned"))?;
            sink.persist(&record)
        })
        .await
    }

    /// Drains events (journalling each record first) and then transmits, performing each.
    /// A journal failure stops before any transmit.
    async fn drain(&mut self) -> Result<(), DriverError> {
        self.check_journal().await?;
        loop {
            while let Some(event) = self.machine.poll_event() {
                match event {
                    Event::Persist(record) => {
                        self.unpersisted = Some(record);
                        if let Err(e) = self.check_journal().await {
                            tracing::error!(error = %e, "journal failed: holding every send");
                            return Err(e);
                        }
                    }
                    Event::Finished { txn, outcome } => {
                        tracing::info!(%txn, outcome = %outcome.class(), "finished");
                        // Queued first: a future dropped while the note is written loses
                        // no outcome.
                        self.ready.push_back(Event::Finished { txn, outcome });
                        let sink = self.sink.clone();
                        let noted = smol::unblock(move || match sink.lock() {
                            Ok(mut sink) => sink.finished(txn),
                            Err(_) => Err(PersistError::new("persist sink poisoned")),
                        });
                        if let Err(error) = noted.await {
                            tracing::warn!(%txn, %error, "journal could not note the finish");
                        }
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
                    let _ = old.tx.try_send(WsOut::Close);
                }
                tracing::debug!(generation = self.ws_generation, "connecting");
                let timeout = self.clock.transport_timeout(timeout);
                self.ws = Some(ws::spawn(
                    &self.spawner,
                    url,
                    timeout,
                    self.ws_generation,
                    self.wake_tx.clone(),
                ));
            }
            TransmitKind::Close => match self.ws.take() {
                Some(link) => {
                    let _ = link.tx.try_send(WsOut::Close);
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
                let timeout = self.clock.transport_timeout(timeout);
                let wake = self.wake_tx.clone();
                self.spawner
                    .spawn(async move {
                        let input = match http_client::send(&request, timeout, &tls).await {
                            Ok((response, peer_certificate)) => Input::HttpResponse {
                                id,
                                response,
                                peer_certificate,
                            },
                            Err(error) => Input::HttpFailed { id, error },
                        };
                        let _ = wake.try_send(Wake::input(None, input));
                    })
                    .detach();
            }
            TransmitKind::CallbackReply { id, response } => match &self.callbacks {
                Some(route) => route.reply(id, response),
                None => tracing::warn!(%id, "callback reply without a listener"),
            },
            other => {
                tracing::warn!(?other, "transmit this runtime does not know");
                if let Some(txn) = txn {
                    tracing::warn!(%txn, "its transaction may wait for its own deadline");
                }
            }
        }
    }

    fn send_ws(&mut self, frame: WsOut, moves_money: bool, txn: Option<TxnId>) {
        tracing::debug!(?txn, moves_money, "sending frame");
        let sent = self
            .ws
            .as_ref()
            .is_some_and(|link| link.tx.try_send(frame).is_ok());
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
            .try_send(Wake::input(Some(self.ws_generation), input));
    }
}
