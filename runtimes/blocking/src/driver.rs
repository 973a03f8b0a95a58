//! The generic driver: runs any [`Machine`] on std threads and blocking sockets. The logic
//! is [`DriverCore`]'s; this file waits on a channel and spawns threads.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;

use core::time::Duration;
use pos_core::{
    Answer, CallbackId, CommandError, Event, HttpRequest, HttpResponse, Input, Machine, Operation,
    Outcome, PersistRecord, RequestId, Timestamp, TlsTrust, TxnId, WallClock,
};

use crate::callback::CallbackRoute;
use crate::clock::Clock;
use crate::core::{Considered, DriverCore, Transport, WsFrame, consider, http_input};
use crate::error::DriverError;
use crate::http_client;
use crate::persist::PersistSink;
use crate::ws::{self, WsLink};

/// The longest single wait (machine time) when the machine has no timer: keeps a wait
/// responsive to the caller's own deadline.
const IDLE_WAIT: Duration = Duration::from_millis(250);

/// The longest wait of [`Driver::finish`] between two looks at its transaction.
const FINISH_SLICE: Duration = Duration::from_secs(3600);

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

/// Something for the driver's loop: an input from a transport thread or a command from a
/// [`DriverHandle`].
pub(crate) type Wake = crate::core::Wake<Sender<Result<(), CommandError>>>;

/// The driver's sockets: transport threads report on `wake_tx`.
#[derive(Debug)]
struct Io {
    wake_tx: Sender<Wake>,
    ws: Option<WsLink>,
    callbacks: Option<CallbackRoute>,
}

impl<M: Machine> Driver<M> {
    /// Wraps a machine built with `clock.wall()` as its wall clock. Records go to an
    /// in-memory sink until [`Driver::with_sink`] sets a durable one.
    #[must_use]
    pub fn new(machine: M, clock: Clock) -> Self {
        let (wake_tx, wake_rx) = channel();
        Self {
            core: DriverCore::new(machine, clock),
            wake_rx,
            io: Io {
                wake_tx,
                ws: None,
                callbacks: None,
            },
        }
    }

    /// Sets the journal every persist record goes to before the transmit it protects.
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

    /// Returns a handle that cancels or answers from another thread while this one waits.
    #[must_use]
    pub fn handle(&self) -> DriverHandle {
        DriverHandle {
            tx: self.io.wake_tx.clone(),
        }
    }

    /// Runs a vendor-specific command on the machine at the current time (e.g. Paynt's
    /// `pair`, InterPay's `recover`), then journals and performs what it produced, as
    /// [`Driver::start`] does.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails (nothing was sent).
    pub fn command<R>(&mut self, f: impl FnOnce(&mut M, Timestamp) -> R) -> Result<R, DriverError> {
        self.run(|core| Ok(core.command(f)))
    }

    /// Starts an operation and performs its first transmits.
    ///
    /// # Errors
    /// [`DriverError::Command`] when the machine refuses; [`DriverError::Persist`] when the
    /// journal fails (nothing was sent).
    pub fn start(&mut self, operation: Operation) -> Result<TxnId, DriverError> {
        self.run(|core| core.start(operation))
    }

    /// Takes over a transaction from a record journalled before a crash.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub fn resume(&mut self, record: PersistRecord) -> Result<TxnId, DriverError> {
        self.run(|core| core.resume(record))
    }

    /// Asks the terminal to cancel; the outcome still arrives as an event.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub fn cancel(&mut self, txn: TxnId) -> Result<(), DriverError> {
        self.run(|core| core.cancel(txn))
    }

    /// Answers a question the terminal asked.
    ///
    /// # Errors
    /// As [`Driver::start`].
    pub fn answer(&mut self, txn: TxnId, answer: Answer) -> Result<(), DriverError> {
        self.run(|core| core.answer(txn, answer))
    }

    /// Returns the next event, waiting at most `max_wait` (machine time: see [`Clock`]) for one
    /// while the machine works.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing more is sent.
    pub fn next_event_within(&mut self, max_wait: Duration) -> Result<Option<Event>, DriverError> {
        let until = self.core.now() + max_wait;
        loop {
            self.core.journal_held()?;
            if let Some(event) = self.core.pop_event() {
                return Ok(Some(event));
            }
            self.step(until)?;
            if !self.core.has_events() && self.core.now() >= until {
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
        let until = self.core.now() + max_wait;
        loop {
            self.core.journal_held()?;
            if ready(self.core.machine()) {
                return Ok(true);
            }
            if self.core.now() >= until {
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
        on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        self.finish_by(txn, None, on_event)
    }

    /// Like [`Driver::finish`] but gives up after `max_wait` with [`DriverError::Deadline`].
    ///
    /// # Errors
    /// [`DriverError::Deadline`], or as [`Driver::finish`].
    pub fn finish_within(
        &mut self,
        txn: TxnId,
        max_wait: Duration,
        on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        let until = self.core.now() + max_wait;
        self.finish_by(txn, Some(until), on_event)
    }

    /// Tries the journal again after a [`DriverError::Persist`]; on success the driver goes on.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when it fails again.
    pub fn retry_persist(&mut self) -> Result<(), DriverError> {
        self.core.drain(&mut self.io)
    }

    /// Replaces the sink, e.g. after the disk came back, and retries the journal.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the new sink fails too.
    pub fn replace_sink(&mut self, sink: impl PersistSink + 'static) -> Result<(), DriverError> {
        self.core.set_sink(sink);
        self.retry_persist()
    }

    /// Journals a held record, runs a command on the core, and drains what it produced.
    fn run<R>(
        &mut self,
        command: impl FnOnce(&mut DriverCore<M>) -> Result<R, CommandError>,
    ) -> Result<R, DriverError> {
        self.core.journal_held()?;
        let result = command(&mut self.core)?;
        self.core.drain(&mut self.io)?;
        Ok(result)
    }

    /// Waits for `txn`'s outcome until `deadline` (machine time; `None`: as long as it takes).
    fn finish_by(
        &mut self,
        txn: TxnId,
        deadline: Option<Timestamp>,
        mut on_event: impl FnMut(&Event) -> Option<Answer>,
    ) -> Result<Outcome, DriverError> {
        loop {
            let left = deadline.map_or(FINISH_SLICE, |d| {
                d.saturating_duration_since(self.core.now())
            });
            let Some(event) = self.next_event_within(left)? else {
                if deadline.is_some() {
                    return Err(DriverError::Deadline { txn });
                }
                continue;
            };
            match consider(txn, event, &mut on_event) {
                Considered::Finished(outcome) => return Ok(outcome),
                Considered::Answer(asked, answer) => self.answer(asked, answer)?,
                Considered::Continue => {}
            }
        }
    }

    /// Runs one turn: unless work is due, waits for a wake (until the machine's timer or
    /// `until`) and applies every wake that is ready; then fires a due timer and drains.
    fn step(&mut self, until: Timestamp) -> Result<(), DriverError> {
        if let Some(wake_at) = self.core.wake_at(until) {
            let wait = self
                .core
                .clock()
                .until(wake_at.min(self.core.now() + IDLE_WAIT));
            match self.wake_rx.recv_timeout(wait) {
                Ok(wake) => self.apply(wake),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
            while let Ok(wake) = self.wake_rx.try_recv() {
                self.apply(wake);
            }
        }
        self.core.tick();
        self.core.drain(&mut self.io)
    }

    fn apply(&mut self, wake: Wake) {
        if let Some((reply, result)) = self.core.apply(wake) {
            let _ = reply.send(result);
        }
    }
}

impl Transport for Io {
    fn connect(&mut self, url: String, timeout: Duration, generation: u64) {
        self.close();
        self.ws = Some(ws::spawn(url, timeout, generation, &self.wake_tx));
    }

    fn send_frame(&mut self, frame: WsFrame) -> bool {
        self.ws
            .as_ref()
            .is_some_and(|link| link.tx.send(frame).is_ok())
    }

    fn close(&mut self) -> bool {
        self.ws
            .take()
            .map(|link| link.tx.send(WsFrame::Close))
            .is_some()
    }

    fn http(&mut self, id: RequestId, request: HttpRequest, timeout: Duration, tls: TlsTrust) {
        let wake = self.wake_tx.clone();
        let spawned = thread::Builder::new()
            .name("pos-http".into())
            .spawn(move || {
                let input = http_input(id, http_client::send(&request, timeout, &tls));
                let _ = wake.send(Wake::input(None, input));
            });
        if let Err(e) = spawned {
            let error = pos_core::TransportError::Connect(format!("no thread: {e}"));
            let _ = self
                .wake_tx
                .send(Wake::input(None, Input::HttpFailed { id, error }));
        }
    }

    fn callback_reply(&mut self, id: CallbackId, response: HttpResponse) {
        match &self.callbacks {
            Some(route) => route.reply(id, response),
            None => tracing::warn!(%id, "callback reply without a listener"),
        }
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
