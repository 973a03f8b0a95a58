//! The blocking runtime.
pub mod callback;
pub mod clock;
mod driver;
pub mod error;
pub mod http1;
pub mod http_client;
pub mod persist;
pub mod server;
pub mod tls;
pub mod url;
mod ws;

pub use callback::{CallbackListener, CallbackRoute};
pub use clock::{Clock, os_ids};
pub use driver::{Driver, DriverHandle};
pub use error::{DriverError, ServeError};
pub use persist::{FailingSink, JsonLinesSink, MemorySink, PersistError, PersistSink};
