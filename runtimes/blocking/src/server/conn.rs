//! One accepted connection of a simulator server: an HTTP request, or a WebSocket upgrade
//! answered with the configured reason phrase.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::mpsc::{TryRecvError, channel};

use core::time::Duration;
use pos_core::{HttpRequest, RequestId, SimInput, Simulator};
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};

use super::{Shared, lock};
use crate::http1::{self, RequestHead};

/// A frame or command for a WebSocket connection of the server.
#[derive(Debug)]
pub(super) enum WsCmd {
    Text(String),
    Binary(Vec<u8>),
    Close,
    /// Drop the TCP connection without a close frame.
    Kill,
}

pub(super) fn serve<S: Simulator + Send + 'static>(stream: TcpStream, shared: &Arc<Shared<S>>) {
    let id = shared.next_id();
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let Ok(control) = stream.try_clone() else {
        return;
    };
    if let Ok(clone) = stream.try_clone() {
        lock(&shared.sockets).insert(id, clone);
    }
    match shared.tls.clone() {
        Some(config) => match rustls::ServerConnection::new(config) {
            Ok(conn) => handle(rustls::StreamOwned::new(conn, stream), &control, id, shared),
            Err(e) => tracing::debug!(error = %e, "tls setup failed"),
        },
        None => handle(stream, &control, id, shared),
    }
    let _ = control.shutdown(std::net::Shutdown::Both);
    lock(&shared.sockets).remove(&id);
}

fn handle<T: Read + Write, S: Simulator + Send + 'static>(
    mut stream: T,
    control: &TcpStream,
    id: u64,
    shared: &Arc<Shared<S>>,
) {
    let (head, rest) = match http1::read_request(&mut stream) {
        Ok(read) => read,
        Err(e) => {
            tracing::debug!(error = %e, "simulator got no request");
            return;
        }
    };
    if http1::is_upgrade(&head.headers) {
        websocket(stream, control, id, &head, rest, shared);
    } else {
        http(stream, control, head, rest, shared);
    }
}

fn http<T: Read + Write, S: Simulator + Send + 'static>(
    mut stream: T,
    control: &TcpStream,
    head: RequestHead,
    body: Vec<u8>,
    shared: &Arc<Shared<S>>,
) {
    let Some(method) = head.method else {
        let _ = stream.write_all(&http1::encode_response(&pos_core::HttpResponse::new(405)));
        return;
    };
    let host = head.headers.get("host").unwrap_or("localhost").to_owned();
    let request = HttpRequest {
        method,
        url: format!("{}://{host}{}", shared.scheme, head.target),
        headers: head.headers,
        body,
    };
    let rid = RequestId(shared.next_id());
    let (tx, rx) = channel();
    lock(&shared.pending).insert(rid, tx);
    shared.to_core(SimInput::HttpRequest { id: rid, request });
    match rx.recv_timeout(shared.config.request_timeout) {
        Ok(Some(response)) => {
            let _ = stream
                .write_all(&http1::encode_response(&response))
                .and_then(|()| stream.flush());
        }
        Ok(None) => {
            tracing::debug!(%rid, "simulator drops the connection");
            let _ = control.shutdown(std::net::Shutdown::Both);
        }
        Err(_) => {
            lock(&shared.pending).remove(&rid);
        }
    }
}

fn websocket<T: Read + Write, S: Simulator + Send + 'static>(
    mut stream: T,
    control: &TcpStream,
    id: u64,
    head: &RequestHead,
    rest: Vec<u8>,
    shared: &Arc<Shared<S>>,
) {
    let Some(key) = head.headers.get("sec-websocket-key") else {
        let _ = stream.write_all(&http1::encode_response(&pos_core::HttpResponse::new(400)));
        return;
    };
    let accept = tungstenite::handshake::derive_accept_key(key.trim().as_bytes());
    let response = format!(
        "HTTP/1.1 101 {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n",
        shared.config.ws_reason
    );
    if stream
        .write_all(response.as_bytes())
        .and_then(|()| stream.flush())
        .is_err()
    {
        return;
    }
    let _ = control.set_read_timeout(Some(crate::ws::POLL));
    let mut ws = WebSocket::from_partially_read(stream, rest, Role::Server, None);
    let (tx, rx) = channel();
    let previous = lock(&shared.ws).replace((id, tx));
    if let Some((old, _)) = previous {
        // One POS at a time, as a terminal: the newer connection wins.
        if let Some(socket) = lock(&shared.sockets).get(&old) {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }
    shared.to_core(SimInput::Connected);
    let current = || lock(&shared.ws).as_ref().is_some_and(|(c, _)| *c == id);
    loop {
        match rx.try_recv() {
            Ok(WsCmd::Text(t)) => {
                if ws.send(Message::Text(t.into())).is_err() {
                    break;
                }
                continue;
            }
            Ok(WsCmd::Binary(b)) => {
                if ws.send(Message::Binary(b.into())).is_err() {
                    break;
                }
                continue;
            }
            Ok(WsCmd::Close) => {
                let _ = ws.close(None);
                let _ = ws.flush();
                break;
            }
            Ok(WsCmd::Kill) => {
                tracing::info!("simulator kills the WebSocket connection");
                let _ = control.shutdown(std::net::Shutdown::Both);
                break;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => break,
        }
        match ws.read() {
            Ok(Message::Text(t)) => shared.to_core(SimInput::Text(t.as_str().to_owned())),
            Ok(Message::Binary(b)) => shared.to_core(SimInput::Binary(b.to_vec())),
            Ok(Message::Ping(p)) => shared.to_core(SimInput::Ping(p.to_vec())),
            Ok(Message::Close(_)) => {
                let _ = ws.flush();
                break;
            }
            Ok(Message::Pong(_) | Message::Frame(_)) => {}
            Err(e) if crate::ws::is_idle(&e) => {
                let _ = ws.flush();
            }
            Err(_) => break,
        }
        if shared.stop.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
    }
    let _ = control.shutdown(std::net::Shutdown::Both);
    if current() {
        lock(&shared.ws).take();
        shared.to_core(SimInput::Disconnected);
    }
}
