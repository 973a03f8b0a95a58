//! The WebSocket client link: one task per connection (tokio-tungstenite) sends what the
//! driver queued and reports everything it receives as [`Input`]s.

use core::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pos_blocking::url::{Scheme, Target};
use pos_core::{Input, TlsTrust, TransportError};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message};

use pos_blocking::core::{WsFrame, link};

use crate::connect::{self, Stream};
use crate::driver::Wake;

/// Opens a connection in a task of `tasks`; everything it learns goes to `wake` tagged
/// `generation`. Returns the queue of frames to send.
pub(crate) fn spawn(
    url: String,
    timeout: Duration,
    generation: u64,
    wake: &UnboundedSender<Wake>,
    tasks: &mut tokio::task::JoinSet<()>,
) -> UnboundedSender<WsFrame> {
    let (tx, rx) = unbounded_channel();
    let wake = wake.clone();
    tasks.spawn(async move { run(&url, timeout, generation, &wake, rx).await });
    tx
}

async fn run(
    url: &str,
    timeout: Duration,
    generation: u64,
    wake: &UnboundedSender<Wake>,
    mut rx: UnboundedReceiver<WsFrame>,
) {
    let send = |input: Input| wake.send(Wake::input(Some(generation), input)).is_ok();
    let Some(mut ws) = link::opened(open(url, timeout).await, &send) else {
        return;
    };
    let reason = pump(&mut ws, &mut rx, &send).await;
    link::closed(reason, &send);
}

async fn open(url: &str, timeout: Duration) -> Result<WebSocketStream<Stream>, TransportError> {
    let target = Target::parse(url).map_err(|e| TransportError::Connect(e.to_string()))?;
    if !matches!(target.scheme, Scheme::Ws | Scheme::Wss) {
        return Err(TransportError::Connect(format!(
            "not a WebSocket URL: {url:?}"
        )));
    }
    let (stream, _) = connect::open(&target, &TlsTrust::WebPki, timeout).await?;
    // tungstenite checks the status code, Upgrade, Connection and Sec-WebSocket-Accept, and
    // ignores the reason phrase: CodePay's "101 Web Socket Protocol Handshake" passes.
    match tokio::time::timeout(timeout, tokio_tungstenite::client_async(url, stream)).await {
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(e)) => Err(TransportError::Connect(format!("handshake: {e}"))),
        Err(_) => Err(TransportError::Timeout),
    }
}

/// Moves frames both ways until the link ends; returns why it ended.
async fn pump(
    ws: &mut WebSocketStream<Stream>,
    rx: &mut UnboundedReceiver<WsFrame>,
    deliver: &(dyn Fn(Input) -> bool + Sync),
) -> String {
    loop {
        tokio::select! {
            out = rx.recv() => {
                let next = match out {
                    Some(WsFrame::Text(t)) => Ok(Message::Text(t.into())),
                    Some(WsFrame::Binary(b)) => Ok(Message::Binary(b.into())),
                    Some(WsFrame::Ping(p)) => Ok(Message::Ping(p.into())),
                    Some(WsFrame::Close) => Err(link::CLOSED_BY_POS),
                    None => Err(link::DRIVER_GONE),
                };
                let sent = match next {
                    Ok(message) => ws.send(message).await,
                    Err(reason) => {
                        let _ = ws.close(None).await;
                        return reason.into();
                    }
                };
                if let Err(e) = sent {
                    return format!("send failed: {e}");
                }
            }
            received = ws.next() => {
                let input = match received {
                    Some(Ok(Message::Text(t))) => Input::Text(t.as_str().to_owned()),
                    Some(Ok(Message::Binary(b))) => Input::Binary(b.to_vec()),
                    Some(Ok(Message::Pong(p))) => Input::Pong(p.to_vec()),
                    Some(Ok(Message::Close(frame))) => {
                        let frame = frame.as_ref().map(|f| (u16::from(f.code), f.reason.as_str()));
                        return link::peer_closed(frame);
                    }
                    // tungstenite queues the pong itself.
                    Some(Ok(Message::Ping(_) | Message::Frame(_))) => continue,
                    Some(Err(tungstenite::Error::ConnectionClosed)) | None => {
                        return "closed".into();
                    }
                    Some(Err(e)) => return e.to_string(),
                };
                if !deliver(input) {
                    return link::DRIVER_GONE.into();
                }
            }
        }
    }
}
