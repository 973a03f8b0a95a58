//! The smol runtime: drives any [`pos_core::Machine`] on smol.
pub mod callback;
mod driver;
pub mod http_client;
mod spawn;
mod ws;

pub use callback::{CallbackListener, CallbackRoute};
pub use driver::{Driver, DriverHandle};
pub use pos_blocking::persist::JournalLine;
pub use pos_blocking::{
    Clock, DriverError, FailingSink, JsonLinesSink, MemorySink, PersistError, PersistSink,
    ServeError, os_ids,
};
pub use spawn::Spawner;
