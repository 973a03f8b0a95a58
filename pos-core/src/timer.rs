//! A small table of named deadlines, for machines with several timers.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::time::Timestamp;

/// Deadlines keyed by a machine's own timer kind. `earliest` feeds `poll_timeout`;
/// `expired` tells `handle_timeout` which fired, so early or repeated calls do nothing.
#[derive(Clone, Debug)]
pub struct Timers<K: Ord + Copy> {
    deadlines: BTreeMap<K, Timestamp>,
}

impl<K: Ord + Copy> Default for Timers<K> {
    fn default() -> Self {
        Self {
            deadlines: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy> Timers<K> {
    /// Builds an empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Arms (or re-arms) a timer.
    pub fn set(&mut self, kind: K, at: Timestamp) {
        self.deadlines.insert(kind, at);
    }

    /// Disarms a timer; harmless if it is not armed.
    pub fn clear(&mut self, kind: K) {
        self.deadlines.remove(&kind);
    }

    /// Disarms every timer.
    pub fn clear_all(&mut self) {
        self.deadlines.clear();
    }

    /// Returns a timer's deadline, if armed.
    #[must_use]
    pub fn get(&self, kind: K) -> Option<Timestamp> {
        self.deadlines.get(&kind).copied()
    }

    /// Returns true when the timer is armed.
    #[must_use]
    pub fn is_armed(&self, kind: K) -> bool {
        self.deadlines.contains_key(&kind)
    }

    /// Returns the earliest deadline, for `poll_timeout`.
    #[must_use]
    pub fn earliest(&self) -> Option<Timestamp> {
        self.deadlines.values().min().copied()
    }

    /// Disarms and returns the timers due at `now`, earliest first.
    pub fn expired(&mut self, now: Timestamp) -> Vec<K> {
        let mut due: Vec<(Timestamp, K)> = self
            .deadlines
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, at)| (*at, *k))
            .collect();
        due.sort_by_key(|(at, _)| *at);
        for (_, k) in &due {
            self.deadlines.remove(k);
        }
        due.into_iter().map(|(_, k)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_fires_once_in_deadline_order() {
        let mut t = Timers::new();
        t.set('b', Timestamp::from_millis(20));
        t.set('a', Timestamp::from_millis(30));
        t.set('c', Timestamp::from_millis(10));
        assert_eq!(t.earliest(), Some(Timestamp::from_millis(10)));
        assert!(t.expired(Timestamp::from_millis(5)).is_empty());
        assert_eq!(t.expired(Timestamp::from_millis(25)), ['c', 'b']);
        assert!(t.expired(Timestamp::from_millis(25)).is_empty());
        assert_eq!(t.get('a'), Some(Timestamp::from_millis(30)));
        t.clear('a');
        assert_eq!(t.earliest(), None);
    }
}
