//! The WebSocket client link: one thread per connection owns the socket, polls it briefly for
//! frames and sends what the driver queued, and reports everything as [`Input`]s.

use std::io;
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::thread;

use core::time::Duration;
use pos_core::{Input, Timestamp, TransportError};
use tungstenite::{HandshakeError, Message, WebSocket};

use crate::clock::Clock;
use crate::core::{WsFrame, link};
use crate::driver::Wake;
use crate::http_client;
use crate::url::{Scheme, Target};

/// How long a connection thread waits for a frame before looking at its outbound queue.
pub(crate) const POLL: Duration = Duration::from_millis(5);

/// The driver's end of one connection.
#[derive(Debug)]
pub(crate) struct WsLink {
    pub(crate) tx: Sender<WsFrame>,
}

/// Opens a connection on a new thread; everything it learns goes to `wake` tagged `generation`.
pub(crate) fn spawn(
    url: String,
    timeout: Duration,
    generation: u64,
    wake: &Sender<Wake>,
) -> WsLink {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = thread::Builder::new().name("pos-ws".into()).spawn({
        let wake = wake.clone();
        move || run(&url, timeout, generation, &wake, &rx)
    });
    if let Err(e) = spawned {
        let _ = wake.send(Wake::input(
            Some(generation),
            Input::ConnectFailed {
                error: TransportError::Connect(format!("no thread: {e}")),
            },
        ));
    }
    WsLink { tx }
}

fn run(url: &str, timeout: Duration, generation: u64, wake: &Sender<Wake>, rx: &Receiver<WsFrame>) {
    let send = |input: Input| wake.send(Wake::input(Some(generation), input)).is_ok();
    let Some(mut ws) = link::opened(open(url, timeout), &send) else {
        return;
    };
    let reason = pump(&mut ws, rx, &send);
    let _ = ws.get_mut().shutdown(std::net::Shutdown::Both);
    link::closed(reason, &send);
}

fn open(url: &str, timeout: Duration) -> Result<WebSocket<TcpStream>, TransportError> {
    let target = Target::parse(url).map_err(|e| TransportError::Connect(e.to_string()))?;
    if target.scheme != Scheme::Ws {
        return Err(TransportError::Connect(format!(
            "only ws:// is supported, not {url:?}"
        )));
    }
    let clock = Clock::start();
    let deadline = Timestamp::ZERO + timeout;
    let tcp = http_client::connect(&target, &clock, deadline)?;
    let left = clock.until(deadline).max(Duration::from_millis(1));
    tcp.set_read_timeout(Some(left))
        .and_then(|()| tcp.set_write_timeout(Some(left)))
        .map_err(|e| TransportError::Connect(e.to_string()))?;
    // tungstenite checks the status code, Upgrade, Connection and Sec-WebSocket-Accept, and
    // ignores the reason phrase: CodePay's "101 Web Socket Protocol Handshake" passes.
    match tungstenite::client(url, tcp) {
        Ok((ws, _response)) => {
            ws.get_ref()
                .set_read_timeout(Some(POLL))
                .map_err(|e| TransportError::Io(e.to_string()))?;
            Ok(ws)
        }
        Err(HandshakeError::Interrupted(_)) => Err(TransportError::Timeout),
        Err(HandshakeError::Failure(e)) => Err(TransportError::Io(format!("handshake: {e}"))),
    }
}

/// Moves frames both ways until the link ends; returns why it ended.
pub(crate) fn pump<S: io::Read + io::Write>(
    ws: &mut WebSocket<S>,
    rx: &Receiver<WsFrame>,
    deliver: &dyn Fn(Input) -> bool,
) -> String {
    loop {
        loop {
            let next = match rx.try_recv() {
                Ok(frame) => outbound(frame).ok_or(link::CLOSED_BY_POS),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => Err(link::DRIVER_GONE),
            };
            let message = match next {
                Ok(message) => message,
                Err(reason) => {
                    let _ = ws.close(None);
                    let _ = ws.flush();
                    return reason.into();
                }
            };
            if let Err(e) = ws.send(message) {
                return format!("send failed: {e}");
            }
        }
        match ws.read() {
            Ok(message) => match received(message) {
                Received::Input(input) => {
                    if !deliver(input) {
                        return link::DRIVER_GONE.into();
                    }
                }
                Received::Closed(reason) => {
                    let _ = ws.flush();
                    return reason;
                }
                Received::Ignored => {}
            },
            Err(e) if is_idle(&e) => {
                // Queued pongs and partial writes go out on the next flush.
                let _ = ws.flush();
            }
            Err(e) => return format!("{e}"),
        }
    }
}

/// What an inbound WebSocket message means for the machine.
#[derive(Debug)]
pub enum Received {
    /// Hand this input to the machine.
    Input(Input),
    /// The peer closed the connection, for this reason.
    Closed(String),
    /// Nothing for the machine (a ping, answered by tungstenite itself, or a raw frame).
    Ignored,
}

/// Maps an inbound message (tungstenite, as `async-tungstenite` uses it too) for the machine.
#[must_use]
pub fn received(message: Message) -> Received {
    match message {
        Message::Text(t) => Received::Input(Input::Text(t.as_str().to_owned())),
        Message::Binary(b) => Received::Input(Input::Binary(b.to_vec())),
        Message::Pong(p) => Received::Input(Input::Pong(p.to_vec())),
        Message::Close(frame) => Received::Closed(link::peer_closed(
            frame
                .as_ref()
                .map(|f| (u16::from(f.code), f.reason.as_str())),
        )),
        Message::Ping(_) | Message::Frame(_) => Received::Ignored,
    }
}

/// Maps a frame the driver queued to the message to send; `None` for the close.
#[must_use]
pub fn outbound(frame: WsFrame) -> Option<Message> {
    match frame {
        WsFrame::Text(t) => Some(Message::Text(t.into())),
        WsFrame::Binary(b) => Some(Message::Binary(b.into())),
        WsFrame::Ping(p) => Some(Message::Ping(p.into())),
        WsFrame::Close => None,
    }
}

/// Tells whether a read on a polled socket only found nothing to read yet.
pub(crate) fn is_idle(error: &tungstenite::Error) -> bool {
    matches!(error, tungstenite::Error::Io(e)
        if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_messages_map_both_ways() {
        assert_eq!(
            outbound(WsFrame::Text("a".into())),
            Some(Message::Text("a".into()))
        );
        assert_eq!(
            outbound(WsFrame::Ping(vec![1])),
            Some(Message::Ping(vec![1].into()))
        );
        assert_eq!(outbound(WsFrame::Close), None);
        assert!(matches!(
            received(Message::Binary(vec![2].into())),
            Received::Input(Input::Binary(b)) if b == [2]
        ));
        assert!(matches!(
            received(Message::Pong(vec![3].into())),
            Received::Input(Input::Pong(_))
        ));
        assert!(matches!(
            received(Message::Ping(vec![].into())),
            Received::Ignored
        ));
        assert!(
            matches!(received(Message::Close(None)), Received::Closed(r) if r == "closed by the peer")
        );
    }
}
