//! The generic async driver: runs any [`Machine`] on tokio sockets and timers. The logic is
//! `pos_blocking`'s [`DriverCore`]; this file awaits, spawns tasks and does I/O.

use core::time::Duration;
use pos_blocking::core::{DriverCore, SharedMachine, Transport, WsFrame, http_input};
use pos_blocking::{Clock, DriverError};
use pos_core::{
    CallbackId, CommandError, HttpRequest, HttpResponse, Machine, RequestId, Timestamp, TlsTrust,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::callback::{CallbackListener, CallbackRoute};
use crate::handle::DriverHandle;
use crate::http_client;
use crate::ws;

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
#[derive(Debug)]
pub struct Driver<M> {
    /// The machine is shared with the callback listener, which asks `accepts_callback` while
    /// routing.
    core: DriverCore<SharedMachine<M>>,
    wake_rx: UnboundedReceiver<Wake>,
    io: Io,
}

/// Something for the driver's loop: an input from a transport task or a command from a
/// [`DriverHandle`].
pub(crate) type Wake = pos_blocking::core::Wake<oneshot::Sender<Result<(), CommandError>>>;

/// The driver's sockets: transport tasks report on `wake_tx`.
#[derive(Debug)]
struct Io {
    wake_tx: UnboundedSender<Wake>,
    ws: Option<UnboundedSender<WsFrame>>,
    callbacks: Option<CallbackRoute>,
    /// Transport tasks; dropping the driver aborts them.
    tasks: JoinSet<()>,
}

impl<M: Machine + Send + 'static> Driver<M> {
    /// Wraps a machine built with `clock.wall()` as its wall clock. Records go to an
    /// in-memory sink until [`Driver::with_sink`] sets a durable one.
    #[must_use]
    pub fn new(machine: M, clock: Clock) -> Self {
        let (wake_tx, wake_rx) = unbounded_channel();
        Self {
            core: DriverCore::new(SharedMachine::new(machine), clock),
            wake_rx,
            io: Io {
                wake_tx,
                ws: None,
                callbacks: None,
                tasks: JoinSet::new(),
            },
        }
    }

    pos_blocking::driver_methods!(
        core: DriverCore<SharedMachine<M>>,
        async: [async],
        await: [.await]
    );

    /// Receives the callbacks of a shared [`CallbackListener`] that this machine accepts
    /// ([`Machine::accepts_callback`], e.g. an InterPay callback carrying one of its tokens).
    /// Any number of drivers attach to one listener.
    #[must_use]
    pub fn with_callback_listener(self, listener: &CallbackListener) -> Self {
        let machine = self.core.machine().clone();
        let accepts =
            std::sync::Arc::new(move |request: &HttpRequest| machine.accepts_callback(request));
        self.with_callbacks(listener.machine_route(accepts))
    }

    /// Runs `f` on the machine to read its state, e.g. `|m| m.is_connected()`.
    pub fn with_machine<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        f(&self.core.machine().lock())
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
        self.run(|core| Ok(core.command(|machine, now| f(&mut machine.lock(), now))))
            .await
    }

    /// Runs one turn: unless work is due, waits for a wake or the machine's next timer (until
    /// `until` at most) and applies every wake that is ready; then fires a due timer and
    /// drains the machine.
    async fn step(&mut self, until: Timestamp) -> Result<(), DriverError> {
        if let Some(wake_at) = self.core.wake_at(until) {
            let deadline = tokio::time::Instant::now() + self.core.clock().until(wake_at);
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
        }
        self.core.tick();
        // Forget transport tasks that ended.
        while self.io.tasks.try_join_next().is_some() {}
        self.core.drain(&mut self.io)
    }

    /// Journals a held record inline (a ready future: the sink runs on the driver's task).
    fn journal_held(&mut self) -> core::future::Ready<Result<(), DriverError>> {
        core::future::ready(self.core.journal_held())
    }

    /// Drains the machine with the sink inline (a ready future).
    fn drain(&mut self) -> core::future::Ready<Result<(), DriverError>> {
        core::future::ready(self.core.drain(&mut self.io))
    }

    fn apply(&mut self, wake: Wake) {
        if let Some((reply, result)) = self.core.apply(wake) {
            let _ = reply.send(result);
        }
    }
}

impl Transport for Io {
    type Link = UnboundedSender<WsFrame>;

    fn open(&mut self, url: String, timeout: Duration, generation: u64) -> Self::Link {
        ws::spawn(url, timeout, generation, &self.wake_tx, &mut self.tasks)
    }

    fn link(&mut self) -> &mut Option<Self::Link> {
        &mut self.ws
    }

    fn push(link: &Self::Link, frame: WsFrame) -> bool {
        link.send(frame).is_ok()
    }

    fn http(&mut self, id: RequestId, request: HttpRequest, timeout: Duration, tls: TlsTrust) {
        let wake = self.wake_tx.clone();
        self.tasks.spawn(async move {
            let input = http_input(id, http_client::send(&request, timeout, &tls).await);
            let _ = wake.send(Wake::input(None, input));
        });
    }

    fn callback_reply(&mut self, id: CallbackId, response: HttpResponse) {
        match &self.callbacks {
            Some(route) => route.reply(id, response),
            None => tracing::warn!(%id, "callback reply without a listener"),
        }
    }
}
