//! The generic async driver: runs any [`Machine`] on tokio sockets and timers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use core::time::Duration;
use pos_blocking::{Clock, DriverError, MemorySink, PersistSink};
use pos_core::{
    Answer, CommandError, Event, HttpRequest, Input, Machine, Operation, Outcome, PersistRecord,
    Timestamp, Transmit, TransmitKind, TxnId, WallClock,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::callback::{CallbackListener, CallbackRoute};
use crate::handle::DriverHandle;
use crate::http_client;
use crate::ws::{self, WsOut};

/// The longest wait of [`Driver::finish`] between two looks at its transaction.
const FINISH_SLICE: Duration = Duration::from_secs(3600);

/// Drives one machine on tokio: performs its transmits on real sockets (each in a task),
/// feeds the results back, fires its timers with tokio's timers on a suspend-aware clock,
/// journals its persist records before sending, and hands its events to the caller.
///
/// The driver does its work while one of its `async` methods is awaited; keep awaiting
/// [`Driver::finish`] (or [`Driver::next_event_within`]) while a transaction runs. Many
/// drivers run side by side on one runtime, each in its own task.
///
/// ```no_run
/// # use pos_tokio::*;
/// # use pos_core::*;
/// # async fn demo<M: Machine + Send + 'static>(machine: M, op: Operation) -> Result<(), DriverError> {
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
    /// Shared with the callback listener, which asks `accepts_callback` while routing.
    machine: Arc<Mutex<M>>,
    clock: Clock,
    wake_tx: UnboundedSender<Wake>,
    wake_rx: UnboundedReceiver<Wake>,
    sink: Box<dyn PersistSink>,
    unpersisted: Option<PersistRecord>,
    ready: VecDeque<Event>,
    ws: Option<UnboundedSender<WsOut>>,
    ws_generation: u64,
    callbacks: Option<CallbackRoute>,
    /// Transport tasks; dropping the driver aborts them.
    tasks: JoinSet<()>,
}

impl<M: core::fmt::Debug> core::fmt::Debug for Driver<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Driver")
            .field("machine", &*lock(&self.machine))
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
        reply: oneshot::Sender<Result<(), CommandError>>,
    },
    Answer {
        txn: TxnId,
        answer: Answer,
        reply: oneshot::Sender<Result<(), CommandError>>,
    },
}

impl Wake {
    pub(crate) const fn input(generation: Option<u64>, input: Input) -> Self {
        Self::Input { generation, input }
    }
}

impl<M: Machine + Send + 'static> Driver<M> {
    /// Wraps a machine built with `clock.wall()` as its wall clock. Records go to an
    /// in-memory sink until [`Driver::with_sink`] sets a durable one.
    #[must_use]
    pub fn new(machine: M, clock: Clock) -> Self {
        let (wake_tx, wake_rx) = unbounded_channel();
        Self {
            machine: Arc::new(Mutex::new(machine)),
            clock,
            wake_tx,
            wake_rx,
            sink: Box::new(MemorySink::new()),
            unpersisted: None,
            ready: VecDeque::new(),
            ws: None,
            ws_generation: 0,
            callbacks: None,
            tasks: JoinSet::new(),
        }
    }

    /// Sets the journal every persist record goes to before the transmit it protects.
    ///
    /// The sink runs inline on the driver's task: a durable sink's `fsync` delays only this
    /// driver's sends, which is what persist-before-send requires.
    #[must_use]
    pub fn with_sink(mut self, sink: impl PersistSink + 'static) -> Self {
        self.sink = Box::new(sink);
        self
    }

    /// Receives the callbacks of a shared [`CallbackListener`] that this machine accepts
    /// ([`Machine::accepts_callback`], e.g. an InterPay callback carrying one of its tokens).
    /// Any number of drivers attach to one listener.
    #[must_use]
    pub fn with_callback_listener(self, listener: &CallbackListener) -> Self {
        let machine = self.machine.clone();
        let accepts =
            Arc::new(move |request: &HttpRequest| lock(&machine).accepts_callback(request));
        self.with_callbacks(listener.machine_route(accepts))
    }

    /// Receives the callbacks of a [`CallbackListener::route`] (routed by path prefix).
    #[must_use]
    pub fn with_callbacks(mut self, route: CallbackRoute) -> Self {
        route.attach(self.wake_tx.clone());
        self.callbacks = Some(route);
        self
    }

    /// Runs `f` on the machine to read its state, e.g. `|m| m.is_connected()`.
    pub fn with_machine<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        f(&lock(&self.machine))
    }

    /// Runs a vendor-specific command on the machine at the current time (e.g. Paynt's
    /// `pair`, InterPay's `recover`, CodePay's `get_info`), then journals and performs what it
    /// produced, as [`Driver::start`] does.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails (nothing was sent).
    pub async fn command<R>(
        &mut self,
        f: impl FnOnce(&mut M, Timestamp) -> R,
    ) -> Result<R, DriverError> {
        self.check_journal()?;
        let result = f(&mut lock(&self.machine), self.clock.now());
        self.drain()?;
        Ok(result)
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
        self.check_journal()?;
        let (txn, vendor) = {
            let mut machine = lock(&self.machine);
            (
                machine.start(self.clock.now(), operation)?,
                machine.vendor(),
            )
        };
        tracing::info!(%txn, vendor, "started");
        self.drain()?;
        Ok(txn)
    }

    /// Takes over a transaction from a record journalled before a crash.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn resume(&mut self, record: PersistRecord) -> Result<TxnId, DriverError> {
        self.check_journal()?;
        let txn = lock(&self.machine).resume(self.clock.now(), record)?;
        tracing::info!(%txn, "resumed");
        self.drain()?;
        Ok(txn)
    }

    /// Asks the terminal to cancel; the outcome still arrives as an event.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn cancel(&mut self, txn: TxnId) -> Result<(), DriverError> {
        self.check_journal()?;
        lock(&self.machine).cancel(self.clock.now(), txn)?;
        self.drain()
    }

    /// Answers a question the terminal asked.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn answer(&mut self, txn: TxnId, answer: Answer) -> Result<(), DriverError> {
        self.check_journal()?;
        lock(&self.machine).answer(self.clock.now(), txn, answer)?;
        self.drain()
    }

    /// Returns the next event, waiting at most `max_wait` of machine time for one while the
    /// machine works. Cancel-safe: dropping the future loses nothing.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing more is sent.
    pub async fn next_event_within(
        &mut self,
        max_wait: Duration,
    ) -> Result<Option<Event>, DriverError> {
        let until = self.clock.now() + max_wait;
        loop {
            self.check_journal()?;
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
            if let Some(event) = self.next_event_within(FINISH_SLICE).await? {
                if let Some(outcome) = self.offer(txn, event, &mut on_event).await? {
                    return Ok(outcome);
                }
            }
        }
    }

    /// Like [`Driver::finish`] but gives up after `max_wait` of machine time with
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
            if let Some(outcome) = self.offer(txn, event, &mut on_event).await? {
                return Ok(outcome);
            }
        }
    }

    /// Tries the journal again after a [`DriverError::Persist`]; on success the driver goes on.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when it fails again.
    pub async fn retry_persist(&mut self) -> Result<(), DriverError> {
        self.check_journal()?;
        self.drain()
    }

    /// Replaces the sink, e.g. after the disk came back, and retries the journal.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the new sink fails too.
    pub async fn replace_sink(
        &mut self,
        sink: impl PersistSink + 'static,
    ) -> Result<(), DriverError> {
        self.sink = Box::new(sink);
        self.retry_persist().await
    }

    /// Shows an event to the caller, gives the machine the caller's answer to a question, and
    /// returns the outcome when it is `txn`'s end.
    async fn offer(
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

    /// Runs one turn: waits for a wake or the machine's next timer (until `until` at most),
    /// applies every wake that is ready, fires a due timer and drains the machine.
    async fn step(&mut self, until: Timestamp) -> Result<(), DriverError> {
        let now = self.clock.now();
        let wake_at = lock(&self.machine)
            .poll_timeout()
            .map_or(until, |t| t.min(until));
        let wait = self.clock.until(wake_at);
        let deadline = tokio::time::Instant::now() + wait;
        tokio::select! {
            wake = self.wake_rx.recv() => {
                if let Some(wake) = wake {
                    self.apply(wake);
                }
            }
            () = tokio::time::sleep_until(deadline) => {}
        }
        // Everything that arrived meanwhile, in order, before looking at the timers.
        while let Ok(wake) = self.wake_rx.try_recv() {
            self.apply(wake);
        }
        let now = self.clock.now().max(now);
        {
            let mut machine = lock(&self.machine);
            if machine.poll_timeout().is_some_and(|t| t <= now) {
                machine.handle_timeout(now);
            }
        }
        self.reap();
        self.drain()
    }

    /// Forgets transport tasks that ended.
    fn reap(&mut self) {
        while self.tasks.try_join_next().is_some() {}
    }

    fn apply(&mut self, wake: Wake) {
        let now = self.clock.now();
        let mut machine = lock(&self.machine);
        match wake {
            Wake::Input { generation, input } => {
                if generation.is_some_and(|g| g != self.ws_generation) {
                    tracing::trace!("input from an old connection dropped");
                    return;
                }
                machine.handle_input(now, input);
            }
            Wake::Cancel { txn, reply } => {
                let _ = reply.send(machine.cancel(now, txn));
            }
            Wake::Answer { txn, answer, reply } => {
                let _ = reply.send(machine.answer(now, txn, answer));
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
            loop {
                let Some(event) = lock(&self.machine).poll_event() else {
                    break;
                };
                self.take_event(event)?;
            }
            let Some(transmit) = lock(&self.machine).poll_transmit() else {
                return Ok(());
            };
            self.perform(transmit);
        }
    }

    fn take_event(&mut self, event: Event) -> Result<(), DriverError> {
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
        Ok(())
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
                    let _ = old.send(WsOut::Close);
                }
                tracing::debug!(generation = self.ws_generation, "connecting");
                let timeout = self.clock.transport_timeout(timeout);
                self.ws = Some(ws::spawn(
                    url,
                    timeout,
                    self.ws_generation,
                    &self.wake_tx,
                    &mut self.tasks,
                ));
            }
            TransmitKind::Close => match self.ws.take() {
                Some(link) => {
                    let _ = link.send(WsOut::Close);
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
                self.tasks.spawn(async move {
                    let input = match http_client::send(&request, timeout, &tls).await {
                        Ok((response, peer_certificate)) => Input::HttpResponse {
                            id,
                            response,
                            peer_certificate,
                        },
                        Err(error) => Input::HttpFailed { id, error },
                    };
                    let _ = wake.send(Wake::input(None, input));
                });
            }
            TransmitKind::CallbackReply { id, response } => match &self.callbacks {
                Some(route) => route.reply(id, response),
                None => tracing::warn!(%id, "callback reply without a listener"),
            },
            other => tracing::warn!(?other, "transmit this runtime does not know"),
        }
    }

    fn send_ws(&self, frame: WsOut, moves_money: bool, txn: Option<TxnId>) {
        tracing::debug!(?txn, moves_money, "sending frame");
        let sent = self
            .ws
            .as_ref()
            .is_some_and(|link| link.send(frame).is_ok());
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

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
