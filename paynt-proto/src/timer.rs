//! The machine's timer kinds (spec §10); the table is `pos_core::Timers<TimerKind>`.

/// A deadline the machine owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerKind {
    /// `/pair` sent: expiry is `PairingOutcomeUnknown`.
    PairResponse,
    /// POST sent: expiry is `Finished(Unknown)`.
    StartResponse,
    /// GET or DELETE sent: a GET is transient, a DELETE's outcome unknown.
    RequestTimeout,
    /// Time for the next GET.
    PollInterval,
    /// End of the window in which 404 means "in progress".
    NotFoundGrace,
    /// Automatic polling stops: `Finished(Unknown)`.
    OverallDeadline,
    /// A DELETE was accepted but no final result followed.
    CancelGrace,
}
