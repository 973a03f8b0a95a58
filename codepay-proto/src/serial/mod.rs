//! The USB/serial transport of spec §12 for kiosk firmware: frames with an XOR checksum, a
//! handshake, heartbeats, stop-and-wait ACKs with a 100 ms retransmit, a size limit and
//! resynchronisation after garbage. Sans-IO and `no_std`: bytes in, bytes and payloads out.
//!
//! A [`SerialLink`] carries the same JSON envelopes as the WebSocket transport, so a kiosk
//! drives [`crate::CodepayMachine`] over it by turning each `Transmit::Text` into
//! [`SerialLink::send`] and each delivered payload into `Input::Text`, and reporting
//! [`SerialEvent::LinkUp`]/[`SerialEvent::LinkLost`] as `Input::Connected`/`Disconnected`.

mod frame;
mod link;

pub use frame::{
    DEFAULT_MAX_RX_DATA, ETX, Frame, FrameType, MAX_TX_DATA, MAX_TX_FRAME, OVERHEAD, STX,
    parse_frame,
};
pub use link::{Role, SerialConfig, SerialEvent, SerialLink};
