//! The simulated link: messages in flight, each due at a virtual time.

use alloc::collections::BTreeMap;

use crate::io::Input;
use crate::sim::SimInput;
use crate::time::Timestamp;

/// A message on its way to one side.
#[derive(Debug)]
pub(crate) enum Delivery {
    ToSim(SimInput),
    ToPos(Input),
}

/// What a delivery belongs to, so that a closed connection or a crash can discard it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A WebSocket message on connection `epoch`.
    Socket { epoch: u64 },
    /// Anything tied to the POS machine instance `epoch` (HTTP responses, callbacks).
    PosInstance { epoch: u64 },
    /// Survives everything (connection events themselves).
    Always,
}

#[derive(Debug)]
pub(crate) struct InFlight {
    pub(crate) delivery: Delivery,
    pub(crate) scope: Scope,
}

/// Deliveries ordered by due time, then by the order they were scheduled.
#[derive(Debug, Default)]
pub(crate) struct Link {
    queue: BTreeMap<(Timestamp, u64), InFlight>,
    seq: u64,
}

impl Link {
    pub(crate) fn schedule(&mut self, at: Timestamp, delivery: Delivery, scope: Scope) {
        self.seq += 1;
        self.queue
            .insert((at, self.seq), InFlight { delivery, scope });
    }

    pub(crate) fn next_due(&self) -> Option<Timestamp> {
        self.queue.keys().next().map(|(at, _)| *at)
    }

    /// Removes and returns the earliest delivery due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Timestamp) -> Option<InFlight> {
        let key = *self.queue.keys().next()?;
        if key.0 > now {
            return None;
        }
        self.queue.remove(&key)
    }

    /// Discards deliveries for which `lost` is true.
    pub(crate) fn discard(&mut self, mut lost: impl FnMut(&InFlight) -> bool) {
        self.queue.retain(|_, f| !lost(f));
    }

    /// Returns the due time of the last scheduled delivery towards the simulator, if any.
    pub(crate) fn last_to_sim(&self) -> Option<Timestamp> {
        self.queue
            .iter()
            .filter(|(_, f)| matches!(f.delivery, Delivery::ToSim(_)))
            .map(|((at, _), _)| *at)
            .max()
    }
}
