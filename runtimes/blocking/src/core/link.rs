//! What every WebSocket connection task reports, whatever its executor: how opening went, why
//! it ended.

use pos_core::{Input, TransportError};

/// Why a connection ended when the POS closed it.
pub const CLOSED_BY_POS: &str = "closed by the POS";
/// Why a connection ended when its driver stopped listening.
pub const DRIVER_GONE: &str = "driver gone";

/// Reports how opening a connection went to `deliver` (`Connected`, or `ConnectFailed` with
/// the error) and returns the socket when its pump should run: opened, with a driver that
/// still listens.
pub fn opened<S>(result: Result<S, TransportError>, deliver: &dyn Fn(Input) -> bool) -> Option<S> {
    match result {
        Ok(socket) => {
            tracing::debug!("websocket connected");
            deliver(Input::Connected).then_some(socket)
        }
        Err(error) => {
            tracing::debug!(%error, "websocket connect failed");
            deliver(Input::ConnectFailed { error });
            None
        }
    }
}

/// Reports the end of a connection to `deliver`.
pub fn closed(reason: String, deliver: &dyn Fn(Input) -> bool) {
    tracing::debug!(%reason, "websocket closed");
    deliver(Input::Disconnected { reason });
}

/// Returns why a connection ended when the peer sent a close frame (its code and reason, if
/// it gave them).
#[must_use]
pub fn peer_closed(frame: Option<(u16, &str)>) -> String {
    frame.map_or_else(
        || "closed by the peer".into(),
        |(code, reason)| format!("closed by the peer: {code} {reason}"),
    )
}
