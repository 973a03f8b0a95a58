//! The generic async driver: runs any [`Machine`] on smol, its transports as tasks, its
//! timers on `async-io`. The logic is `pos_blocking`'s [`DriverCore`]; this file awaits,
//! spawns tasks, and journals on smol's blocking pool.

use core::time::Duration;
use pos_blocking::core::{Considered, DriverCore, Transport, Work, WsFrame, consider, http_input};
use pos_blocking::{Clock, DriverError, PersistSink};
use pos_core::{
    Answer, CallbackId, CommandError, Event, HttpRequest, HttpResponse, Machine, Operation,
    Outcome, PersistRecord, RequestId, Timestamp, TlsTrust, TxnId, WallClock,
};
use smol::Timer;
use smol::channel::{Receiver, Sender};
use smol::future::FutureExt as _;

use crate::callback::CallbackRoute;
use crate::handle::DriverHandle;
use crate::http_client;
use crate::spawn::Spawner;
use crate::ws::{self, WsLink};

/// The longest wait of [`Driver::next_event`] between two looks at the queue.
const EVENT_SLICE: Duration = Duration::from_secs(3600);

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
    core: DriverCore<M>,
    wake_rx: Receiver<Wake>,
    io: Io,
}

impl<M: core::fmt::Debug> core::fmt::Debug for Driver<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Driver")
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

/// Something for the driver's loop: an input from a transport task or a command from a
/// [`DriverHandle`].
pub(crate) type Wake = pos_blocking::core::Wake<Sender<Result<(), CommandError>>>;

/// The driver's sockets: transport tasks run on `spawner` and report on `wake_tx`.
#[derive(Debug)]
struct Io {
    spawner: Spawner,
    wake_tx: Sender<Wake>,
    ws: Option<WsLink>,
    callbacks: Option<CallbackRoute>,
}

impl<M: Machine> Driver<M> {
    /// Wraps a machine built with `clock.wall()` as its wall clock; its transports run on
    /// smol's global executor. Records go to an in-memory sink until [`Driver::with_sink`]
    /// sets a durable one.
    #[must_use]
    pub fn new(machine: M, clock: Clock) -> Self {
        let (wake_tx, wake_rx) = smol::channel::unbounded();
        Self {
            core: DriverCore::new(machine, clock),
            wake_rx,
            io: Io {
                spawner: Spawner::global(),
                wake_tx,
                ws: None,
                callbacks: None,
            },
        }
    }

    /// Runs the transports on the given spawner's executor instead of the global one.
    #[must_use]
    pub fn with_spawner(mut self, spawner: Spawner) -> Self {
        self.io.spawner = spawner;
        self
    }

    /// Sets the journal every persist record goes to before the transmit it protects. The
    /// sink runs on smol's blocking pool, so an fsync never stalls the executor.
    #[must_use]
    pub fn with_sink(mut self, sink: impl PersistSink + 'static) -> Self {
        self.core.set_sink(sink);
        self
    }

    /// Receives the callbacks of a [`crate::CallbackListener`] route.
    #[must_use]
    pub fn with_callbacks(mut self, route: CallbackRoute) -> Self {
        route.attach(self.io.wake_tx.clone());
        self.io.callbacks = Some(route);
        self
    }

    /// Returns the machine, e.g. to read its state.
    pub const fn machine(&self) -> &M {
        self.core.machine()
    }

    /// Returns the driver's clock.
    pub const fn clock(&self) -> &Clock {
        self.core.clock()
    }

    /// Returns the wall clock to construct machines with.
    pub const fn wall(&self) -> WallClock {
        self.core.clock().wall()
    }

    /// Returns a handle that cancels or answers from another task while this one waits.
    #[must_use]
    pub fn handle(&self) -> DriverHandle {
        DriverHandle::new(self.io.wake_tx.clone())
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
        self.run(|core| Ok(core.command(f))).await
    }

    /// Starts an operation and performs its first transmits.
    ///
    /// # Errors
    /// [`DriverError::Command`] when the machine refuses; [`DriverError::Persist`] when the
    /// journal fails (nothing was sent).
    pub async fn start(&mut self, operation: Operation) -> Result<TxnId, DriverError> {
        self.run(|core| core.start(operation)).await
    }

    /// Takes over a transaction from a record journalled before a crash.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn resume(&mut self, record: PersistRecord) -> Result<TxnId, DriverError> {
        self.run(|core| core.resume(record)).await
    }

    /// Asks the terminal to cancel; the outcome still arrives as an event.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn cancel(&mut self, txn: TxnId) -> Result<(), DriverError> {
        self.run(|core| core.cancel(txn)).await
    }

    /// Answers a question the terminal asked.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub async fn answer(&mut self, txn: TxnId, answer: Answer) -> Result<(), DriverError> {
        self.run(|core| core.answer(txn, answer)).await
    }

    /// Returns the next event, waiting as long as it takes while the machine works.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing more is sent.
    pub async fn next_event(&mut self) -> Result<Event, DriverError> {
        loop {
            if let Some(event) = self.next_event_within(EVENT_SLICE).await? {
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
        let until = self.core.now() + max_wait;
        loop {
            self.journal_held().await?;
            if let Some(event) = self.core.pop_event() {
                return Ok(Some(event));
            }
            self.step(until).await?;
            if !self.core.has_events() && self.core.now() >= until {
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
        on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        self.finish_by(txn, None, on_event).await
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
        on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        let until = self.core.now() + max_wait;
        self.finish_by(txn, Some(until), on_event).await
    }

    /// Tries the journal again after a [`DriverError::Persist`]; on success the driver goes on.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when it fails again.
    pub async fn retry_persist(&mut self) -> Result<(), DriverError> {
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
        self.core.set_sink(sink);
        self.retry_persist().await
    }

    /// Journals a held record, runs a command on the core, and drains what it produced.
    async fn run<R>(
        &mut self,
        command: impl FnOnce(&mut DriverCore<M>) -> Result<R, CommandError>,
    ) -> Result<R, DriverError> {
        self.journal_held().await?;
        let result = command(&mut self.core)?;
        self.drain().await?;
        Ok(result)
    }

    /// Waits for `txn`'s outcome until `deadline` (machine time; `None`: as long as it takes).
    async fn finish_by(
        &mut self,
        txn: TxnId,
        deadline: Option<Timestamp>,
        mut on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        loop {
            let left = deadline.map_or(EVENT_SLICE, |d| {
                d.saturating_duration_since(self.core.now())
            });
            let Some(event) = self.next_event_within(left).await? else {
                if deadline.is_some() {
                    return Err(DriverError::Deadline { txn });
                }
                continue;
            };
            match consider(txn, event, &mut on_event) {
                Considered::Finished(outcome) => return Ok(outcome),
                Considered::Answer(asked, answer) => self.answer(asked, answer).await?,
                Considered::Continue => {}
            }
        }
    }

    /// Runs one turn: waits for a wake (until the machine's timer or `until`) unless work is
    /// due, applies every wake queued by then, fires a due timer, and drains.
    async fn step(&mut self, until: Timestamp) -> Result<(), DriverError> {
        if let Some(wake_at) = self.core.wake_at(until) {
            let wait = self.core.clock().until(wake_at);
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
        }
        self.core.tick();
        self.drain().await
    }

    fn apply(&mut self, wake: Wake) {
        if let Some((reply, result)) = self.core.apply(wake) {
            let _ = reply.try_send(result);
        }
    }

    /// Journals a record held back by a failed or interrupted persist, before anything else.
    async fn journal_held(&mut self) -> Result<(), DriverError> {
        if let Some(record) = self.core.held_record().cloned() {
            let result = self.journal(record).await;
            self.core.journalled(result)?;
        }
        Ok(())
    }

    /// Drains the core with the sink on the blocking pool. The core keeps a record held until
    /// its result is reported, so a dropped future journals it again rather than sending
    /// unjournalled; a finish is queued for the caller before its note is written.
    async fn drain(&mut self) -> Result<(), DriverError> {
        while let Some(work) = self.core.poll_work() {
            match work {
                Work::Journal(record) => {
                    let result = self.journal(record).await;
                    self.core.journalled(result)?;
                }
                Work::NoteFinished(txn) => {
                    let sink = self.core.sink().clone();
                    let result = smol::unblock(move || sink.finished(txn)).await;
                    self.core.noted(txn, result);
                }
                Work::Transmit(transmit) => self.core.perform(transmit, &mut self.io),
            }
        }
        Ok(())
    }

    /// Stores a record on the blocking pool.
    async fn journal(&self, record: PersistRecord) -> Result<(), pos_blocking::PersistError> {
        let sink = self.core.sink().clone();
        smol::unblock(move || sink.persist(&record)).await
    }
}

impl Transport for Io {
    fn connect(&mut self, url: String, timeout: Duration, generation: u64) {
        self.close();
        let wake = self.wake_tx.clone();
        self.ws = Some(ws::spawn(&self.spawner, url, timeout, generation, wake));
    }

    fn send_frame(&mut self, frame: WsFrame) -> bool {
        self.ws
            .as_ref()
            .is_some_and(|link| link.tx.try_send(frame).is_ok())
    }

    fn close(&mut self) -> bool {
        self.ws
            .take()
            .map(|link| link.tx.try_send(WsFrame::Close))
            .is_some()
    }

    fn http(&mut self, id: RequestId, request: HttpRequest, timeout: Duration, tls: TlsTrust) {
        let wake = self.wake_tx.clone();
        self.spawner
            .spawn(async move {
                let input = http_input(id, http_client::send(&request, timeout, &tls).await);
                let _ = wake.try_send(Wake::input(None, input));
            })
            .detach();
    }

    fn callback_reply(&mut self, id: CallbackId, response: HttpResponse) {
        match &self.callbacks {
            Some(route) => route.reply(id, response),
            None => tracing::warn!(%id, "callback reply without a listener"),
        }
    }
}
