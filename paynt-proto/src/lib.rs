//! Sans-IO Paynt EPOS API: the POS machine and the terminal simulator.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod codec;
pub mod config;
pub mod error;
pub mod ident;
pub mod machine;
pub mod message;
pub mod sim;
pub mod timer;

pub use config::{AuthScheme, Config, Scheme, TimerConfig};
pub use error::{CodecError, ConfigError, DecodeError, IdError};
pub use machine::PayntMachine;
