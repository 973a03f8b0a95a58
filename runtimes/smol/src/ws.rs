//! The WebSocket client link: one task per connection owns the socket, forwards the frames
//! the driver queues and reports everything it learns as [`Input`]s.

use core::time::Duration;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message;
use pos_blocking::core::{WsFrame, link};
use pos_blocking::url::{Scheme, Target};
use pos_blocking::ws::{Received, outbound, received};
use pos_core::{Input, TransportError};
use smol::Timer;
use smol::channel::{Receiver, Sender};
use smol::future::FutureExt as _;
use smol::net::TcpStream;
use smol::stream::StreamExt as _;

use crate::driver::Wake;
use crate::http_client;
use crate::spawn::Spawner;

/// The driver's end of one connection.
#[derive(Debug)]
pub(crate) struct WsLink {
    pub(crate) tx: Sender<WsFrame>,
}

/// Opens a connection on a new task; everything it learns goes to `wake` tagged `generation`.
pub(crate) fn spawn(
    spawner: &Spawner,
    url: String,
    timeout: Duration,
    generation: u64,
    wake: Sender<Wake>,
) -> WsLink {
    let (tx, rx) = smol::channel::unbounded();
    spawner
        .spawn(async move { run(&url, timeout, generation, &wake, &rx).await })
        .detach();
    WsLink { tx }
}

async fn run(
    url: &str,
    timeout: Duration,
    generation: u64,
    wake: &Sender<Wake>,
    rx: &Receiver<WsFrame>,
) {
    let send = |input: Input| wake.try_send(Wake::input(Some(generation), input)).is_ok();
    let opened = open(url)
        .or(async {
            Timer::after(timeout).await;
            Err(TransportError::Timeout)
        })
        .await;
    let Some(mut ws) = link::opened(opened, &send) else {
        return;
    };
    let reason = pump(&mut ws, rx, &send).await;
    let _ = ws.get_ref().shutdown(std::net::Shutdown::Both);
    link::closed(reason, &send);
}

async fn open(url: &str) -> Result<WebSocketStream<TcpStream>, TransportError> {
    let target = Target::parse(url).map_err(|e| TransportError::Connect(e.to_string()))?;
    if target.scheme != Scheme::Ws {
        return Err(TransportError::Connect(format!(
            "only ws:// is supported, not {url:?}"
        )));
    }
    let tcp = http_client::connect(&target).await?;
    // tungstenite checks the status code, Upgrade, Connection and Sec-WebSocket-Accept, and
    // ignores the reason phrase: CodePay's "101 Web Socket Protocol Handshake" passes.
    async_tungstenite::client_async(url, tcp)
        .await
        .map(|(ws, _response)| ws)
        .map_err(|e| TransportError::Io(format!("handshake: {e}")))
}

/// What the pump woke up for.
enum Turn {
    Out(Option<WsFrame>),
    In(Option<Result<Message, async_tungstenite::tungstenite::Error>>),
}

/// Moves frames both ways until the link ends; returns why it ended.
async fn pump(
    ws: &mut WebSocketStream<TcpStream>,
    rx: &Receiver<WsFrame>,
    deliver: &(dyn Fn(Input) -> bool + Sync),
) -> String {
    loop {
        // Both futures are cancel-safe: a channel message or a frame is only taken when the
        // future completes.
        let turn = async { Turn::Out(rx.recv().await.ok()) }
            .or(async { Turn::In(ws.next().await) })
            .await;
        match turn {
            Turn::Out(out) => {
                let next = match out {
                    Some(frame) => outbound(frame).ok_or(link::CLOSED_BY_POS),
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
            Turn::In(None) => return "closed by the peer".into(),
            Turn::In(Some(Err(e))) => return e.to_string(),
            // tungstenite queues the pong to a ping itself; it goes out with the next write.
            Turn::In(Some(Ok(message))) => match received(message) {
                Received::Input(input) => {
                    if !deliver(input) {
                        return link::DRIVER_GONE.into();
                    }
                }
                Received::Closed(reason) => return reason,
                Received::Ignored => {}
            },
        }
    }
}
