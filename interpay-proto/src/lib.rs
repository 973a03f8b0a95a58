//! Sans-IO POS side of the InterPay Terminal Payment API, and its gateway simulator.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod codec;
pub mod error;
pub mod machine;
pub mod message;
pub mod receipt;
pub mod timer;

pub use error::{CodecError, ConfigError, DecodeError};
pub use machine::{Config, Endpoints, InterpayMachine, Lang};
pub mod sim;
