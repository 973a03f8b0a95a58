//! Where the runtime's tasks run: the global smol executor or one the caller owns.

use std::future::Future;
use std::sync::Arc;

use smol::{Executor, Task};

/// Spawns the runtime's transport tasks (WebSocket links, HTTP requests, callback
/// connections) on the global smol executor or on an executor the caller runs, e.g. one
/// [`Executor`] on a single thread for many drivers.
#[derive(Clone, Debug, Default)]
pub struct Spawner {
    executor: Option<Arc<Executor<'static>>>,
}

impl Spawner {
    /// Spawns on smol's global executor ([`smol::spawn`]).
    #[must_use]
    pub const fn global() -> Self {
        Self { executor: None }
    }

    /// Spawns on `executor`; the caller must keep running it (e.g. `block_on(ex.run(..))`).
    #[must_use]
    pub const fn on(executor: Arc<Executor<'static>>) -> Self {
        Self {
            executor: Some(executor),
        }
    }

    /// Spawns a task; dropping the returned [`Task`] cancels it, detaching lets it finish.
    pub fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Task<T> {
        match &self.executor {
            Some(executor) => executor.spawn(future),
            None => smol::spawn(future),
        }
    }
}
