//! Sharing a driver's sink with a worker thread and its machine with a callback listener.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pos_core::{
    Answer, Capabilities, CommandError, Event, HttpRequest, Input, Machine, Operation,
    PersistRecord, Timestamp, Transmit, TxnId,
};

use crate::persist::{MemorySink, PersistError, PersistSink};

/// A persist sink that several owners share, e.g. a driver and the worker thread it journals
/// on. A sink that panicked keeps serving: the journal is the last thing to give up on.
#[derive(Clone)]
pub struct SharedSink(Arc<Mutex<Box<dyn PersistSink>>>);

impl core::fmt::Debug for SharedSink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedSink").finish_non_exhaustive()
    }
}

impl SharedSink {
    /// Shares a sink.
    #[must_use]
    pub fn new(sink: impl PersistSink + 'static) -> Self {
        Self(Arc::new(Mutex::new(Box::new(sink))))
    }

    /// Shares a fresh [`MemorySink`].
    #[must_use]
    pub fn memory() -> Self {
        Self::new(MemorySink::new())
    }

    /// Stores a record (see [`PersistSink::persist`]).
    ///
    /// # Errors
    /// The sink's [`PersistError`].
    pub fn persist(&self, record: &PersistRecord) -> Result<(), PersistError> {
        lock(&self.0).persist(record)
    }

    /// Notes a finish (see [`PersistSink::finished`]).
    ///
    /// # Errors
    /// The sink's [`PersistError`].
    pub fn finished(&self, txn: TxnId) -> Result<(), PersistError> {
        lock(&self.0).finished(txn)
    }
}

/// A machine shared between a driver and a callback listener that asks
/// [`Machine::accepts_callback`] while routing; it is a [`Machine`] itself, each call taking
/// the lock for its own duration.
#[derive(Debug)]
pub struct SharedMachine<M>(Arc<Mutex<M>>);

impl<M> Clone for SharedMachine<M> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<M> SharedMachine<M> {
    /// Shares a machine.
    #[must_use]
    pub fn new(machine: M) -> Self {
        Self(Arc::new(Mutex::new(machine)))
    }

    /// Locks the machine (a panic while it was locked does not poison it for the driver).
    pub fn lock(&self) -> MutexGuard<'_, M> {
        lock(&self.0)
    }
}

impl<M: Machine> Machine for SharedMachine<M> {
    fn vendor(&self) -> &'static str {
        self.lock().vendor()
    }

    fn capabilities(&self) -> Capabilities {
        self.lock().capabilities()
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        self.lock().start(now, operation)
    }

    fn cancel(&mut self, now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        self.lock().cancel(now, txn)
    }

    fn answer(&mut self, now: Timestamp, txn: TxnId, answer: Answer) -> Result<(), CommandError> {
        self.lock().answer(now, txn, answer)
    }

    fn resume(&mut self, now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        self.lock().resume(now, record)
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        self.lock().handle_input(now, input);
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.lock().handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.lock().poll_transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.lock().poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.lock().poll_timeout()
    }

    fn accepts_callback(&self, request: &HttpRequest) -> bool {
        self.lock().accepts_callback(request)
    }
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
