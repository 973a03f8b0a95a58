//! The generic async driver: runs any [`Machine`] on smol, its transports as tasks, its
//! timers on `async-io`. The logic is `pos_blocking`'s [`DriverCore`]; this file awaits,
//! spawns tasks, and journals on smol's blocking pool.

use core::time::Duration;
use pos_blocking::core::{DriverCore, Transport, Work, WsFrame, http_input};
use pos_blocking::{Clock, DriverError};
use pos_core::{
    CallbackId, CommandError, Event, HttpRequest, HttpResponse, Machine, PersistRecord, RequestId,
    Timestamp, TlsTrust,
};
use smol::Timer;
use smol::channel::{Receiver, Sender};
use smol::future::FutureExt as _;

use crate::callback::CallbackRoute;
use crate::handle::DriverHandle;
use crate::http_client;
use crate::spawn::Spawner;
use crate::ws::{self, WsLink};

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
#[derive(Debug)]
pub struct Driver<M> {
    core: DriverCore<M>,
    wake_rx: Receiver<Wake>,
    io: Io,
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

    pos_blocking::driver_methods!(core: DriverCore<M>, async: [async], await: [.await]);

    /// Runs the transports on the given spawner's executor instead of the global one.
    #[must_use]
    pub fn with_spawner(mut self, spawner: Spawner) -> Self {
        self.io.spawner = spawner;
        self
    }

    /// Returns the machine, e.g. to read its state.
    pub const fn machine(&self) -> &M {
        self.core.machine()
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

    /// Returns the next event, waiting as long as it takes while the machine works.
    ///
    /// # Errors
    /// [`DriverError::Persist`] when the journal fails: nothing more is sent.
    pub async fn next_event(&mut self) -> Result<Event, DriverError> {
        loop {
            if let Some(event) = self
                .next_event_within(pos_blocking::core::FINISH_SLICE)
                .await?
            {
                return Ok(event);
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
    type Link = WsLink;

    fn open(&mut self, url: String, timeout: Duration, generation: u64) -> Self::Link {
        ws::spawn(
            &self.spawner,
            url,
            timeout,
            generation,
            self.wake_tx.clone(),
        )
    }

    fn link(&mut self) -> &mut Option<Self::Link> {
        &mut self.ws
    }

    fn push(link: &Self::Link, frame: WsFrame) -> bool {
        link.tx.try_send(frame).is_ok()
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
