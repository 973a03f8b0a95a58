//! The queues behind `poll_event` and `poll_transmit`, with the persist-before-send gate.

use alloc::collections::VecDeque;

use crate::event::Event;
use crate::io::Transmit;

/// Queues a machine's events and transmits, and holds back each money-moving transmit until
/// every event queued before it (its persist record among them) has been drained.
///
/// A runtime that drains events before transmits never notices the gate; one that drains in
/// the other order gets the money request one drain later, after the record.
#[derive(Debug, Default)]
pub struct Outbox {
    events: VecDeque<Event>,
    transmits: VecDeque<(u64, Transmit)>,
    events_pushed: u64,
    events_drained: u64,
}

impl Outbox {
    /// Builds empty queues.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues an event.
    pub fn event(&mut self, event: Event) {
        self.events.push_back(event);
        self.events_pushed += 1;
    }

    /// Queues a transmit. A money-moving one waits for every event queued so far.
    pub fn transmit(&mut self, transmit: Transmit) {
        let gate = if transmit.moves_money {
            self.events_pushed
        } else {
            0
        };
        self.transmits.push_back((gate, transmit));
    }

    /// Returns the next event; for `Machine::poll_event`.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        self.events_drained += 1;
        Some(event)
    }

    /// Returns the next transmit unless it waits for an undrained event; for
    /// `Machine::poll_transmit`. Order is kept: a held transmit holds those behind it.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let (gate, _) = self.transmits.front()?;
        if *gate > self.events_drained {
            return None;
        }
        self.transmits.pop_front().map(|(_, t)| t)
    }

    /// Drops queued transmits that match `pred`, e.g. frames for a connection that closed.
    pub fn discard_transmits(&mut self, mut pred: impl FnMut(&Transmit) -> bool) {
        self.transmits.retain(|(_, t)| !pred(t));
    }

    /// Returns true when nothing is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.transmits.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TxnId;
    use crate::io::TransmitKind;
    use crate::{Notice, Transmit};

    #[test]
    fn money_waits_for_the_events_before_it() {
        let mut out = Outbox::new();
        out.transmit(Transmit::plain(TransmitKind::Close));
        out.event(Event::Notice(Notice::LinkUp));
        out.transmit(Transmit::money(TxnId(1), TransmitKind::Text("pay".into())));
        assert_eq!(
            out.poll_transmit().map(|t| t.kind),
            Some(TransmitKind::Close)
        );
        assert_eq!(out.poll_transmit(), None, "held until the event is drained");
        assert!(out.poll_event().is_some());
        assert!(out.poll_transmit().is_some_and(|t| t.moves_money));
        assert!(out.is_empty());
    }
}
