//! Cancels and answers from another task while the driver waits.

use core::time::Duration;
use pos_core::{Answer, CommandError, TxnId};
use smol::Timer;
use smol::channel::{Receiver, Sender};
use smol::future::FutureExt as _;

use crate::DriverError;
use crate::driver::Wake;

/// Cancels or answers from another task while the driver's task waits in
/// [`crate::Driver::finish`] or [`crate::Driver::next_event_within`].
#[derive(Clone, Debug)]
pub struct DriverHandle {
    tx: Sender<Wake>,
}

impl DriverHandle {
    pub(crate) const fn new(tx: Sender<Wake>) -> Self {
        Self { tx }
    }

    /// Asks for a cancel and waits up to `max_wait` (real time) for the machine to take or
    /// refuse it.
    ///
    /// # Errors
    /// [`DriverError::Command`] when refused; [`DriverError::NotRunning`] when the driver is
    /// not waiting within `max_wait`.
    pub async fn cancel(&self, txn: TxnId, max_wait: Duration) -> Result<(), DriverError> {
        let (reply, rx) = smol::channel::bounded(1);
        self.request(Wake::Cancel { txn, reply }, &rx, max_wait)
            .await
    }

    /// Answers a question and waits up to `max_wait` (real time) for the machine to take it.
    ///
    /// # Errors
    /// As [`DriverHandle::cancel`].
    pub async fn answer(
        &self,
        txn: TxnId,
        answer: Answer,
        max_wait: Duration,
    ) -> Result<(), DriverError> {
        let (reply, rx) = smol::channel::bounded(1);
        self.request(Wake::Answer { txn, answer, reply }, &rx, max_wait)
            .await
    }

    async fn request(
        &self,
        wake: Wake,
        rx: &Receiver<Result<(), CommandError>>,
        max_wait: Duration,
    ) -> Result<(), DriverError> {
        self.tx
            .try_send(wake)
            .map_err(|_| DriverError::NotRunning)?;
        let reply = async { rx.recv().await.ok() }
            .or(async {
                Timer::after(max_wait).await;
                None
            })
            .await;
        reply
            .ok_or(DriverError::NotRunning)?
            .map_err(DriverError::from)
    }
}
