//! connect-proto (docs below are replaced later)
#![cfg_attr(not(test), no_std)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
mod decode;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod machine;
pub mod message;
pub mod notify;
pub mod sim;
pub mod timer;

pub use error::{ConfigError, DecodeError};
pub use machine::{Config, ConnectMachine, Host};
pub use decode::{DECODE_KINDS, decode};
