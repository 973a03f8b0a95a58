//! The generic driver: runs any [`Machine`] on std threads and blocking sockets. The logic
//! is [`DriverCore`]'s; this file waits on a channel and spawns threads.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;

use core::time::Duration;
use pos_core::{
    Answer, CallbackId, CommandError, HttpRequest, HttpResponse, Input, Machine, RequestId,
    Timestamp, TlsTrust, TxnId,
};

use crate::callback::CallbackRoute;
use crate::clock::Clock;
use crate::core::{DriverCore, Transport, WsFrame, http_input};
use crate::error::DriverError;
use crate::http_client;
use crate::ws::{self, WsLink};

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
#[derive(Debug)]
pub struct Driver<M> {
    core: DriverCore<M>,
    wake_rx: Receiver<Wake>,
    io: Io,
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

    crate::driver_methods!(core: DriverCore<M>, async: [], await: []);

    /// Returns the machine, e.g. to read its state.
    pub const fn machine(&self) -> &M {
        self.core.machine()
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

    fn journal_held(&mut self) -> Result<(), DriverError> {
        self.core.journal_held()
    }

    fn drain(&mut self) -> Result<(), DriverError> {
        self.core.drain(&mut self.io)
    }

    fn apply(&mut self, wake: Wake) {
        if let Some((reply, result)) = self.core.apply(wake) {
            let _ = reply.send(result);
        }
    }
}

impl Transport for Io {
    type Link = WsLink;

    fn open(&mut self, url: String, timeout: Duration, generation: u64) -> Self::Link {
        ws::spawn(url, timeout, generation, &self.wake_tx)
    }

    fn link(&mut self) -> &mut Option<Self::Link> {
        &mut self.ws
    }

    fn push(link: &Self::Link, frame: WsFrame) -> bool {
        link.tx.send(frame).is_ok()
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
    const fn new(tx: Sender<Wake>) -> Self {
        Self { tx }
    }

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
