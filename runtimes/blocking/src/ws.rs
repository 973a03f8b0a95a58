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
use crate::core::WsFrame;
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
    let mut ws = match open(url, timeout) {
        Ok(ws) => ws,
        Err(error) => {
            tracing::debug!(%error, "websocket connect failed");
            send(Input::ConnectFailed { error });
            return;
        }
    };
    tracing::debug!("websocket connected");
    if !send(Input::Connected) {
        return;
    }
    let reason = pump(&mut ws, rx, &send);
    let _ = ws.get_mut().shutdown(std::net::Shutdown::Both);
    tracing::debug!(%reason, "websocket closed");
    send(Input::Disconnected { reason });
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
            let frame = match rx.try_recv() {
                Ok(WsFrame::Text(t)) => Message::Text(t.into()),
                Ok(WsFrame::Binary(b)) => Message::Binary(b.into()),
                Ok(WsFrame::Ping(p)) => Message::Ping(p.into()),
                Ok(WsFrame::Close) => {
                    let _ = ws.close(None);
                    let _ = ws.flush();
                    return "closed by the POS".into();
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    let _ = ws.close(None);
                    let _ = ws.flush();
                    return "driver gone".into();
                }
            };
            if let Err(e) = ws.send(frame) {
                return format!("send failed: {e}");
            }
        }
        match ws.read() {
            Ok(Message::Text(t)) => {
                if !deliver(Input::Text(t.as_str().to_owned())) {
                    return "driver gone".into();
                }
            }
            Ok(Message::Binary(b)) => {
                if !deliver(Input::Binary(b.to_vec())) {
                    return "driver gone".into();
                }
            }
            Ok(Message::Pong(p)) => {
                if !deliver(Input::Pong(p.to_vec())) {
                    return "driver gone".into();
                }
            }
            Ok(Message::Close(frame)) => {
                let _ = ws.flush();
                return frame.map_or_else(
                    || "closed by the peer".into(),
                    |f| format!("closed by the peer: {} {}", f.code, f.reason),
                );
            }
            Ok(Message::Ping(_) | Message::Frame(_)) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                // Queued pongs and partial writes go out on the next flush.
                let _ = ws.flush();
            }
            Err(e) => return format!("{e}"),
        }
    }
}
