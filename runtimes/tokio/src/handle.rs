//! A handle that cancels or answers for a driver from another task.

use core::time::Duration;

use pos_blocking::DriverError;
use pos_core::{Answer, CommandError, TxnId};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use crate::driver::Wake;

/// Cancels or answers from another task while the driver's task waits in
/// [`Driver::finish`](crate::Driver::finish) or [`Driver::next_event_within`](crate::Driver::next_event_within).
#[derive(Clone, Debug)]
pub struct DriverHandle {
    tx: UnboundedSender<Wake>,
}

impl DriverHandle {
    pub(crate) const fn new(tx: UnboundedSender<Wake>) -> Self {
        Self { tx }
    }

    /// Asks for a cancel and waits up to `max_wait` (real time) for the machine to take or
    /// refuse it.
    ///
    /// # Errors
    /// [`DriverError::Command`] when refused; [`DriverError::NotRunning`] when the driver is
    /// gone or not waiting within `max_wait`.
    pub async fn cancel(&self, txn: TxnId, max_wait: Duration) -> Result<(), DriverError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Wake::Cancel { txn, reply })
            .map_err(|_| DriverError::NotRunning)?;
        Self::wait(rx, max_wait).await
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
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Wake::Answer { txn, answer, reply })
            .map_err(|_| DriverError::NotRunning)?;
        Self::wait(rx, max_wait).await
    }

    async fn wait(
        rx: oneshot::Receiver<Result<(), CommandError>>,
        max_wait: Duration,
    ) -> Result<(), DriverError> {
        tokio::time::timeout(max_wait, rx)
            .await
            .map_err(|_| DriverError::NotRunning)?
            .map_err(|_| DriverError::NotRunning)?
            .map_err(DriverError::from)
    }
}
