//! The §12.3 link procedure on top of frames: handshake, heartbeat, ACK and retransmit.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use pos_core::{Timers, Timestamp};
use serde::{Deserialize, Serialize};

use super::frame::{Frame, FrameType, MAX_TX_DATA, parse_frame};
use crate::error::{CodecError, SerialError};

/// Serial timers and limits (spec §12.5); defaults are the vendor SDK's values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SerialConfig {
    /// Handshake repeat interval (1 s).
    pub handshake_retry_ms: u64,
    /// `serial_connect_timeout` (10 s).
    pub connect_timeout_ms: u64,
    /// Heartbeat interval: 1 s for the POS, 2 s for the terminal.
    pub heartbeat_ms: u64,
    /// Link loss after this long without a valid frame (30 s).
    pub link_loss_ms: u64,
    /// Data retransmit interval (100 ms).
    pub retransmit_ms: u64,
    /// `serial_write_timeout` (10 s).
    pub write_timeout_ms: u64,
    /// `serial_partial_timeout` (1 s).
    pub partial_timeout_ms: u64,
    /// `serial_max_rx_data` (4096).
    pub max_rx_data: usize,
}

impl Default for SerialConfig {
    fn default() -> Self {
        Self {
            handshake_retry_ms: 1_000,
            connect_timeout_ms: 10_000,
            heartbeat_ms: 1_000,
            link_loss_ms: 30_000,
            retransmit_ms: 100,
            write_timeout_ms: 10_000,
            partial_timeout_ms: 1_000,
            max_rx_data: super::frame::DEFAULT_MAX_RX_DATA,
        }
    }
}

impl SerialConfig {
    /// Returns the defaults of the terminal side (heartbeat every 2 s).
    #[must_use]
    pub fn terminal() -> Self {
        Self {
            heartbeat_ms: 2_000,
            ..Self::default()
        }
    }
}

/// Which end of the line a [`SerialLink`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The POS: sends handshakes until confirmed.
    Pos,
    /// The terminal: confirms handshakes.
    Terminal,
}

/// What the link reports besides payloads.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SerialEvent {
    /// The handshake completed.
    LinkUp,
    /// No valid frame for the link-loss time, or an unacknowledged frame for the write
    /// timeout. The POS restarts the handshake by itself.
    LinkLost {
        /// Why.
        reason: String,
    },
    /// The handshake was not confirmed within the connect timeout.
    ConnectFailed,
    /// Bytes were dropped while hunting for the next frame.
    Dropped {
        /// Why.
        error: CodecError,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    // Declared first: at the same instant the timeout wins over another handshake.
    ConnectTimeout,
    HandshakeRetry,
    Heartbeat,
    LinkLoss,
    Retransmit,
    WriteTimeout,
    Partial,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Down,
    Handshaking,
    Up,
}

/// One end of a serial link, sans-IO.
///
/// Feed received bytes with [`SerialLink::handle_bytes`], payloads to send with
/// [`SerialLink::send`]; drain [`SerialLink::poll_write`] (bytes for the UART),
/// [`SerialLink::poll_payload`] (received JSON) and [`SerialLink::poll_event`]; call
/// [`SerialLink::handle_timeout`] at [`SerialLink::poll_timeout`].
#[derive(Debug)]
pub struct SerialLink {
    role: Role,
    config: SerialConfig,
    state: State,
    rx: Vec<u8>,
    next_id: u8,
    last_rx_id: u8,
    outstanding: Option<(u8, Vec<u8>)>,
    queue: VecDeque<Vec<u8>>,
    writes: VecDeque<Vec<u8>>,
    payloads: VecDeque<Vec<u8>>,
    events: VecDeque<SerialEvent>,
    timers: Timers<Timer>,
}

impl SerialLink {
    /// Builds a link end that is down.
    #[must_use]
    pub fn new(role: Role, config: SerialConfig) -> Self {
        Self {
            role,
            config,
            state: State::Down,
            rx: Vec::new(),
            next_id: 1,
            last_rx_id: 0,
            outstanding: None,
            queue: VecDeque::new(),
            writes: VecDeque::new(),
            payloads: VecDeque::new(),
            events: VecDeque::new(),
            timers: Timers::new(),
        }
    }

    /// Starts (or restarts) the handshake; the POS side calls it to open the link.
    pub fn connect(&mut self, now: Timestamp) {
        self.reset_data();
        self.state = State::Handshaking;
        self.timers.clear_all();
        self.writes.push_back(Frame::handshake().encode());
        self.timers.set(
            Timer::HandshakeRetry,
            now + ms(self.config.handshake_retry_ms),
        );
        self.timers.set(
            Timer::ConnectTimeout,
            now + ms(self.config.connect_timeout_ms),
        );
    }

    /// Returns true when the handshake completed and the link is up.
    #[must_use]
    pub fn is_up(&self) -> bool {
        self.state == State::Up
    }

    /// Queues a payload; frames go out one at a time, each repeated until acknowledged.
    ///
    /// # Errors
    /// `Empty`, `TooLarge` (over 1014 bytes) or `LinkDown`.
    pub fn send(&mut self, now: Timestamp, payload: Vec<u8>) -> Result<(), SerialError> {
        if payload.is_empty() {
            return Err(SerialError::Empty);
        }
        if payload.len() > MAX_TX_DATA {
            return Err(SerialError::TooLarge {
                len: payload.len(),
                max: MAX_TX_DATA,
            });
        }
        if self.state != State::Up {
            return Err(SerialError::LinkDown);
        }
        self.queue.push_back(payload);
        self.send_next(now);
        Ok(())
    }

    /// Feeds bytes read from the line.
    pub fn handle_bytes(&mut self, now: Timestamp, bytes: &[u8]) {
        self.rx.extend_from_slice(bytes);
        self.drain_rx(now);
    }

    /// Lets timers fire; early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        for timer in self.timers.expired(now) {
            match timer {
                Timer::HandshakeRetry => {
                    if self.state == State::Handshaking {
                        self.writes.push_back(Frame::handshake().encode());
                        self.timers.set(
                            Timer::HandshakeRetry,
                            now + ms(self.config.handshake_retry_ms),
                        );
                    }
                }
                Timer::ConnectTimeout => {
                    if self.state == State::Handshaking {
                        self.state = State::Down;
                        self.timers.clear_all();
                        self.events.push_back(SerialEvent::ConnectFailed);
                    }
                }
                Timer::Heartbeat => {
                    if self.state == State::Up {
                        self.writes.push_back(Frame::heartbeat().encode());
                        self.timers
                            .set(Timer::Heartbeat, now + ms(self.config.heartbeat_ms));
                    }
                }
                Timer::LinkLoss => self.lose(now, "no valid frame within the link-loss time"),
                Timer::Retransmit => {
                    if let Some((_, bytes)) = &self.outstanding {
                        self.writes.push_back(bytes.clone());
                        self.timers
                            .set(Timer::Retransmit, now + ms(self.config.retransmit_ms));
                    }
                }
                Timer::WriteTimeout => {
                    if self.outstanding.is_some() {
                        self.lose(now, "a data frame was not acknowledged in time");
                    }
                }
                Timer::Partial => {
                    if !self.rx.is_empty() {
                        self.skip(CodecError::BadEnd);
                        self.drain_rx(now);
                    }
                }
            }
        }
    }

    /// Returns the next bytes to write to the line.
    pub fn poll_write(&mut self) -> Option<Vec<u8>> {
        self.writes.pop_front()
    }

    /// Returns the next received payload.
    pub fn poll_payload(&mut self) -> Option<Vec<u8>> {
        self.payloads.pop_front()
    }

    /// Returns the next event.
    pub fn poll_event(&mut self) -> Option<SerialEvent> {
        self.events.pop_front()
    }

    /// Returns when [`SerialLink::handle_timeout`] should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.earliest()
    }

    // ----- helpers ------------------------------------------------------------------------

    fn drain_rx(&mut self, now: Timestamp) {
        loop {
            match parse_frame(&self.rx, self.config.max_rx_data) {
                Ok(None) => {
                    if self.rx.is_empty() {
                        self.timers.clear(Timer::Partial);
                    } else if !self.timers.is_armed(Timer::Partial) {
                        self.timers
                            .set(Timer::Partial, now + ms(self.config.partial_timeout_ms));
                    }
                    return;
                }
                Ok(Some((frame, used))) => {
                    self.rx.drain(..used.min(self.rx.len()));
                    self.timers.clear(Timer::Partial);
                    self.on_frame(now, frame);
                }
                Err(error) => self.skip(error),
            }
        }
    }

    /// Drops one byte, then everything up to the next possible start marker.
    fn skip(&mut self, error: CodecError) {
        self.timers.clear(Timer::Partial);
        let from = self
            .rx
            .iter()
            .skip(1)
            .position(|b| *b == 0x55)
            .map_or(self.rx.len(), |p| p + 1);
        self.rx.drain(..from);
        if error != CodecError::NoStart {
            self.events.push_back(SerialEvent::Dropped { error });
        }
    }

    fn on_frame(&mut self, now: Timestamp, frame: Frame) {
        match (frame.kind, self.role) {
            (FrameType::Handshake, Role::Terminal) => {
                self.reset_data();
                self.timers.clear_all();
                self.writes.push_back(Frame::confirm().encode());
                self.up(now);
            }
            (FrameType::Confirm, Role::Pos) if self.state == State::Handshaking => {
                self.reset_data();
                self.timers.clear_all();
                self.up(now);
            }
            (FrameType::Normal, _) if self.state == State::Up => {
                self.timers
                    .set(Timer::LinkLoss, now + ms(self.config.link_loss_ms));
                if frame.ack != 0
                    && self
                        .outstanding
                        .as_ref()
                        .is_some_and(|(id, _)| *id == frame.ack)
                {
                    self.outstanding = None;
                    self.timers.clear(Timer::Retransmit);
                    self.timers.clear(Timer::WriteTimeout);
                    self.send_next(now);
                }
                if frame.is_data() {
                    self.writes.push_back(Frame::ack(frame.id).encode());
                    if frame.id != self.last_rx_id {
                        self.last_rx_id = frame.id;
                        self.payloads.push_back(frame.data);
                    }
                }
            }
            _ => {}
        }
    }

    fn up(&mut self, now: Timestamp) {
        self.state = State::Up;
        self.events.push_back(SerialEvent::LinkUp);
        self.timers
            .set(Timer::Heartbeat, now + ms(self.config.heartbeat_ms));
        self.timers
            .set(Timer::LinkLoss, now + ms(self.config.link_loss_ms));
    }

    fn lose(&mut self, now: Timestamp, reason: &str) {
        if self.state == State::Down {
            return;
        }
        self.state = State::Down;
        self.timers.clear_all();
        self.reset_data();
        self.events.push_back(SerialEvent::LinkLost {
            reason: reason.into(),
        });
        if self.role == Role::Pos {
            self.connect(now);
        }
    }

    fn reset_data(&mut self) {
        self.next_id = 1;
        self.last_rx_id = 0;
        self.outstanding = None;
        self.queue.clear();
    }

    fn send_next(&mut self, now: Timestamp) {
        if self.outstanding.is_some() {
            return;
        }
        let Some(payload) = self.queue.pop_front() else {
            return;
        };
        let id = self.next_id;
        self.next_id = if id == u8::MAX { 1 } else { id + 1 };
        let bytes = Frame::data(id, self.last_rx_id, payload).encode();
        self.writes.push_back(bytes.clone());
        self.outstanding = Some((id, bytes));
        self.timers
            .set(Timer::Retransmit, now + ms(self.config.retransmit_ms));
        self.timers
            .set(Timer::WriteTimeout, now + ms(self.config.write_timeout_ms));
    }
}

const fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    /// Moves every pending write of `from` into `to`.
    fn wire(from: &mut SerialLink, to: &mut SerialLink, now: Timestamp) -> usize {
        let mut n = 0;
        while let Some(bytes) = from.poll_write() {
            to.handle_bytes(now, &bytes);
            n += 1;
        }
        n
    }

    fn linked() -> (SerialLink, SerialLink) {
        let mut pos = SerialLink::new(Role::Pos, SerialConfig::default());
        let mut term = SerialLink::new(Role::Terminal, SerialConfig::terminal());
        pos.connect(t(0));
        wire(&mut pos, &mut term, t(1));
        wire(&mut term, &mut pos, t(2));
        assert!(pos.is_up() && term.is_up());
        assert_eq!(pos.poll_event(), Some(SerialEvent::LinkUp));
        (pos, term)
    }

    #[test]
    fn handshake_retries_then_fails() {
        let mut pos = SerialLink::new(Role::Pos, SerialConfig::default());
        pos.connect(t(0));
        let mut handshakes = 0;
        let mut now = t(0);
        while let Some(at) = pos.poll_timeout() {
            now = at;
            pos.handle_timeout(now);
            while pos.poll_write().is_some() {
                handshakes += 1;
            }
        }
        assert_eq!(now, t(10_000));
        assert_eq!(handshakes, 10, "one per second until the connect timeout");
        assert_eq!(pos.poll_event(), Some(SerialEvent::ConnectFailed));
    }

    #[test]
    fn data_is_acked_and_delivered_once() {
        let (mut pos, mut term) = linked();
        pos.send(t(10), b"{\"a\":1}".to_vec()).unwrap();
        let frame = pos.poll_write().unwrap();
        term.handle_bytes(t(11), &frame);
        term.handle_bytes(t(12), &frame); // a retransmit that crossed the ACK
        assert_eq!(term.poll_payload().as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(
            term.poll_payload(),
            None,
            "the duplicate is re-ACKed, not delivered"
        );
        assert_eq!(wire(&mut term, &mut pos, t(13)), 2);
        pos.handle_timeout(t(200));
        assert_eq!(pos.poll_write(), None, "acknowledged: no retransmit");
    }

    #[test]
    fn unacked_data_is_repeated_every_100ms_then_the_link_is_lost() {
        let (mut pos, _term) = linked();
        pos.send(t(10), b"{}".to_vec()).unwrap();
        let first = pos.poll_write().unwrap();
        pos.handle_timeout(t(110));
        assert_eq!(pos.poll_write(), Some(first.clone()));
        pos.handle_timeout(t(150));
        assert_eq!(pos.poll_write(), None);
        pos.handle_timeout(t(210));
        assert_eq!(pos.poll_write(), Some(first));
        let mut now = t(210);
        while now < t(10_010) {
            now = pos.poll_timeout().unwrap();
            pos.handle_timeout(now);
            while pos.poll_write().is_some() {}
        }
        assert!(matches!(
            pos.poll_event(),
            Some(SerialEvent::LinkLost { .. })
        ));
        assert!(!pos.is_up(), "the POS restarts the handshake");
    }

    #[test]
    fn garbage_and_corruption_resynchronise() {
        let (mut pos, mut term) = linked();
        pos.send(t(10), b"{\"x\":2}".to_vec()).unwrap();
        let mut frame = pos.poll_write().unwrap();
        let mut noisy = vec![0x00, 0x55, 0x13, 0xAA];
        noisy.extend_from_slice(&frame);
        term.handle_bytes(t(11), &noisy);
        assert_eq!(term.poll_payload().as_deref(), Some(&b"{\"x\":2}"[..]));
        // A corrupted copy is dropped silently.
        if let Some(b) = frame.get_mut(8) {
            *b ^= 0xFF;
        }
        term.handle_bytes(t(12), &frame);
        assert_eq!(term.poll_payload(), None);
        assert!(matches!(term.poll_event(), Some(SerialEvent::LinkUp)));
        assert!(matches!(
            term.poll_event(),
            Some(SerialEvent::Dropped { .. })
        ));
    }

    #[test]
    fn split_frames_and_partial_timeout() {
        let (mut pos, mut term) = linked();
        pos.send(t(10), b"{\"y\":3}".to_vec()).unwrap();
        let frame = pos.poll_write().unwrap();
        for (i, b) in frame.iter().enumerate() {
            term.handle_bytes(t(11 + i as u64), &[*b]);
        }
        assert_eq!(term.poll_payload().as_deref(), Some(&b"{\"y\":3}"[..]));
        term.handle_bytes(t(100), &[0x55, 0xAA, 0x00]);
        term.handle_timeout(t(1_100));
        term.handle_bytes(t(1_101), &Frame::heartbeat().encode());
        assert_eq!(term.rx.len(), 0, "the stale partial frame was dropped");
    }

    #[test]
    fn oversize_payloads_are_refused() {
        let (mut pos, _term) = linked();
        assert_eq!(
            pos.send(t(1), vec![b'x'; MAX_TX_DATA + 1]),
            Err(SerialError::TooLarge {
                len: 1015,
                max: 1014
            })
        );
        assert!(pos.send(t(1), vec![b'x'; MAX_TX_DATA]).is_ok());
        assert_eq!(pos.poll_write().map(|b| b.len()), Some(1024));
    }

    #[test]
    fn ids_wrap_to_one() {
        let (mut pos, mut term) = linked();
        for i in 0..300u32 {
            pos.send(t(10), alloc::format!("{{\"n\":{i}}}").into_bytes())
                .unwrap();
            wire(&mut pos, &mut term, t(10));
            wire(&mut term, &mut pos, t(10));
            assert!(term.poll_payload().is_some(), "message {i}");
        }
    }
}
