//! The POS machine's timer kinds (spec §10), kept in a [`pos_core::Timers`] table.

/// One deadline of [`crate::CodepayMachine`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// Open the connection again after link loss (1 s doubling to 30 s).
    Reconnect,
    /// Send the next WebSocket ping (`ping_interval`).
    Ping,
    /// No pong and no message since the ping (`pong_timeout`): the link is dead.
    PongTimeout,
    /// The order's result did not arrive (`expires` + 60 s).
    ResultDeadline,
    /// After a reconnect, the re-delivered result did not arrive (`reconnect_grace`).
    ReconnectGrace,
    /// The close got no answer (`close_deadline`).
    CloseDeadline,
    /// After a successful close, the order response did not arrive (`close_grace`).
    CloseGrace,
    /// A query, tip adjustment, batch close, init or getInfo got no answer.
    ReplyDeadline,
    /// The next recovery query is due (`recovery_backoff`).
    RecoveryBackoff,
    /// Recovery gives up (`recovery_cap`).
    RecoveryCap,
}
