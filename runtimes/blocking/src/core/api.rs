//! The public methods every driver has, written once for the blocking and the async drivers.

/// The longest single wait of a `finish` between two looks at its transaction (machine time).
pub const FINISH_SLICE: core::time::Duration = core::time::Duration::from_secs(3600);

/// Writes a driver's public commands and waits over its [`DriverCore`](crate::core::DriverCore),
/// inside the driver's `impl` block: `with_sink`, `with_callbacks`, `handle`, `clock`, `wall`,
/// `start`, `resume`, `cancel`,
/// `answer`, `next_event_within`, `finish`, `finish_within`, `retry_persist`, `replace_sink`,
/// and the private `run` and `finish_by` they use.
///
/// Blocking drivers pass `async: [], await: []`, async ones `async: [async], await: [.await]`.
/// `core` names the core's type. The driver has fields `core` and `io` (its
/// [`Transport`](crate::core::Transport), with fields `wake_tx` and `callbacks`), types
/// `CallbackRoute` (with `attach(wake_tx)`) and `DriverHandle` (with `new(wake_tx)`) in
/// scope, and its own `journal_held`, `drain` and `step(until)`, blocking or async like the
/// rest.
#[macro_export]
macro_rules! driver_methods {
    (core: $core:ty, async: [$($async_:tt)*], await: [$($await_:tt)*]) => {
        /// Sets the journal every persist record goes to before the transmit it protects.
        #[must_use]
        pub fn with_sink(mut self, sink: impl $crate::PersistSink + 'static) -> Self {
            self.core.set_sink(sink);
            self
        }

        /// Receives the callbacks of a callback listener's route.
        #[must_use]
        pub fn with_callbacks(mut self, route: CallbackRoute) -> Self {
            route.attach(self.io.wake_tx.clone());
            self.io.callbacks = Some(route);
            self
        }

        /// Returns a handle that cancels or answers from another thread or task while this
        /// one waits.
        #[must_use]
        pub fn handle(&self) -> DriverHandle {
            DriverHandle::new(self.io.wake_tx.clone())
        }

        /// Returns the driver's clock.
        pub const fn clock(&self) -> &$crate::Clock {
            self.core.clock()
        }

        /// Returns the wall clock to construct machines with.
        pub const fn wall(&self) -> ::pos_core::WallClock {
            self.core.clock().wall()
        }

        /// Starts an operation and performs its first transmits.
        ///
        /// # Errors
        /// [`DriverError::Command`](crate::DriverError::Command) when the machine refuses;
        /// [`DriverError::Persist`](crate::DriverError::Persist) when the journal fails
        /// (nothing was sent).
        pub $($async_)* fn start(
            &mut self,
            operation: ::pos_core::Operation,
        ) -> Result<::pos_core::TxnId, $crate::DriverError> {
            self.run(|core| core.start(operation))$($await_)*
        }

        /// Takes over a transaction from a record journalled before a crash.
        ///
        /// # Errors
        /// As [`Driver::start`](Self::start).
        pub $($async_)* fn resume(
            &mut self,
            record: ::pos_core::PersistRecord,
        ) -> Result<::pos_core::TxnId, $crate::DriverError> {
            self.run(|core| core.resume(record))$($await_)*
        }

        /// Asks the terminal to cancel; the outcome still arrives as an event.
        ///
        /// # Errors
        /// As [`Driver::start`](Self::start).
        pub $($async_)* fn cancel(
            &mut self,
            txn: ::pos_core::TxnId,
        ) -> Result<(), $crate::DriverError> {
            self.run(|core| core.cancel(txn))$($await_)*
        }

        /// Answers a question the terminal asked.
        ///
        /// # Errors
        /// As [`Driver::start`](Self::start).
        pub $($async_)* fn answer(
            &mut self,
            txn: ::pos_core::TxnId,
            answer: ::pos_core::Answer,
        ) -> Result<(), $crate::DriverError> {
            self.run(|core| core.answer(txn, answer))$($await_)*
        }

        /// Returns the next event, waiting at most `max_wait` of machine time (see
        /// [`Clock`](crate::Clock)) for one while the machine works. Nothing is lost when an
        /// async wait is dropped.
        ///
        /// # Errors
        /// [`DriverError::Persist`](crate::DriverError::Persist) when the journal fails:
        /// nothing more is sent.
        pub $($async_)* fn next_event_within(
            &mut self,
            max_wait: ::core::time::Duration,
        ) -> Result<Option<::pos_core::Event>, $crate::DriverError> {
            let until = self.core.now() + max_wait;
            loop {
                self.journal_held()$($await_)*?;
                if let Some(event) = self.core.pop_event() {
                    return Ok(Some(event));
                }
                self.step(until)$($await_)*?;
                if !self.core.has_events() && self.core.now() >= until {
                    return Ok(None);
                }
            }
        }

        /// Waits for `txn` to finish and returns its outcome. Every event on the way is shown
        /// to `on_event`; an answer it returns for a question is given to the machine.
        ///
        /// The machine owns a deadline for every wait of a transaction, so this returns. An
        /// answer the machine refuses (its question expired while `on_event` ran) is logged
        /// and the wait goes on: the transaction is still running.
        ///
        /// # Errors
        /// [`DriverError::Persist`](crate::DriverError::Persist) when the journal fails.
        pub $($async_)* fn finish(
            &mut self,
            txn: ::pos_core::TxnId,
            on_event: impl FnMut(&::pos_core::Event) -> Option<::pos_core::Answer>,
        ) -> Result<::pos_core::Outcome, $crate::DriverError> {
            self.finish_by(txn, None, on_event)$($await_)*
        }

        /// Like [`Driver::finish`](Self::finish) but gives up after `max_wait` of machine time
        /// with [`DriverError::Deadline`](crate::DriverError::Deadline).
        ///
        /// # Errors
        /// [`DriverError::Deadline`](crate::DriverError::Deadline), or as
        /// [`Driver::finish`](Self::finish).
        pub $($async_)* fn finish_within(
            &mut self,
            txn: ::pos_core::TxnId,
            max_wait: ::core::time::Duration,
            on_event: impl FnMut(&::pos_core::Event) -> Option<::pos_core::Answer>,
        ) -> Result<::pos_core::Outcome, $crate::DriverError> {
            let until = self.core.now() + max_wait;
            self.finish_by(txn, Some(until), on_event)$($await_)*
        }

        /// Tries the journal again after a
        /// [`DriverError::Persist`](crate::DriverError::Persist); on success the driver goes
        /// on.
        ///
        /// # Errors
        /// [`DriverError::Persist`](crate::DriverError::Persist) when it fails again.
        pub $($async_)* fn retry_persist(&mut self) -> Result<(), $crate::DriverError> {
            self.drain()$($await_)*
        }

        /// Replaces the sink, e.g. after the disk came back, and retries the journal.
        ///
        /// # Errors
        /// [`DriverError::Persist`](crate::DriverError::Persist) when the new sink fails too.
        pub $($async_)* fn replace_sink(
            &mut self,
            sink: impl $crate::PersistSink + 'static,
        ) -> Result<(), $crate::DriverError> {
            self.core.set_sink(sink);
            self.retry_persist()$($await_)*
        }

        /// Journals a held record, runs a command on the core, and drains what it produced.
        $($async_)* fn run<R>(
            &mut self,
            command: impl FnOnce(&mut $core) -> Result<R, ::pos_core::CommandError>,
        ) -> Result<R, $crate::DriverError> {
            self.journal_held()$($await_)*?;
            let result = command(&mut self.core)?;
            self.drain()$($await_)*?;
            Ok(result)
        }

        /// Waits for `txn`'s outcome until `deadline` (machine time; `None`: as long as it
        /// takes).
        $($async_)* fn finish_by(
            &mut self,
            txn: ::pos_core::TxnId,
            deadline: Option<::pos_core::Timestamp>,
            mut on_event: impl FnMut(&::pos_core::Event) -> Option<::pos_core::Answer>,
        ) -> Result<::pos_core::Outcome, $crate::DriverError> {
            use $crate::core::Considered;
            loop {
                let left = deadline.map_or($crate::core::FINISH_SLICE, |d| {
                    d.saturating_duration_since(self.core.now())
                });
                let Some(event) = self.next_event_within(left)$($await_)*? else {
                    if deadline.is_some() {
                        return Err($crate::DriverError::Deadline { txn });
                    }
                    continue;
                };
                match $crate::core::consider(txn, event, &mut on_event) {
                    Considered::Finished(outcome) => return Ok(outcome),
                    Considered::Answer(asked, answer) => {
                        match self.answer(asked, answer)$($await_)* {
                            // The question was withdrawn or expired while the caller
                            // considered it: the transaction goes on, so the wait does too.
                            Err($crate::DriverError::Command(error)) => {
                                $crate::core::answer_refused(asked, &error);
                            }
                            other => other?,
                        }
                    }
                    Considered::Continue => {}
                }
            }
        }
    };
}
