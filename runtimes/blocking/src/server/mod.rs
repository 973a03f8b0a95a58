//! Simulator servers: any [`Simulator`] served on real sockets — WebSocket (with CodePay's
//! non-standard `101` reason phrase), plain HTTP and HTTPS with a certificate generated at
//! start — with callbacks delivered to the POS by a real HTTP client.
//!
//! One server accepts both WebSocket upgrades and plain requests on its port. The
//! simulator's clock can run faster than real time ([`SimServerConfig::time_scale`]) so a
//! 60-second "slow customer" takes a few seconds in a test.

mod conn;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

use core::time::Duration;
use pos_core::{
    Fingerprint, References, RequestId, SimInput, SimTransmit, Simulator, Timestamp, TlsTrust,
    Truth,
};

use crate::clock::Clock;
use crate::error::ServeError;
use crate::tls::SelfSigned;

/// The reason phrase a CodePay terminal sends with its `101`.
pub const CODEPAY_REASON: &str = "Web Socket Protocol Handshake";

/// How a simulator server listens.
#[derive(Clone, Debug)]
pub struct SimServerConfig {
    /// The address to bind; port 0 picks one. Default `127.0.0.1:0`.
    pub bind: SocketAddr,
    /// Serve HTTPS with a self-signed certificate generated at start. Default false.
    pub tls: bool,
    /// How many simulator milliseconds pass per real millisecond (1 = real time). Default 1.
    pub time_scale: u32,
    /// The reason phrase of the WebSocket `101`. Default [`CODEPAY_REASON`].
    pub ws_reason: String,
    /// How long a request may wait for the simulator's answer. Default 120 s.
    pub request_timeout: Duration,
}

impl Default for SimServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            time_scale: 1,
            ws_reason: CODEPAY_REASON.into(),
            request_timeout: Duration::from_secs(120),
        }
    }
}

/// A running simulator server. Dropping it (or [`SimServer::shutdown`]) stops its threads
/// and closes its connections.
pub struct SimServer<S> {
    shared: Arc<Shared<S>>,
    addr: SocketAddr,
    cert: Option<SelfSigned>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl<S> core::fmt::Debug for SimServer<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .field("tls", &self.cert.is_some())
            .finish_non_exhaustive()
    }
}

impl<S: Simulator + Send + 'static> SimServer<S> {
    /// Binds and starts serving `sim`.
    ///
    /// # Errors
    /// [`ServeError`] when the address cannot be bound or the certificate not made.
    pub fn start(sim: S, config: SimServerConfig) -> Result<Self, ServeError> {
        let (listener, addr) = crate::callback::bind_polled(config.bind)?;
        let (cert, tls) = if config.tls {
            let ip = addr.ip().to_string();
            let cert = SelfSigned::generate(&["localhost", &ip])
                .map_err(|e| ServeError::Tls(e.to_string()))?;
            let server = cert
                .server_config()
                .map_err(|e| ServeError::Tls(e.to_string()))?;
            (Some(cert), Some(server))
        } else {
            (None, None)
        };
        let (core_tx, core_rx) = channel();
        let shared = Arc::new(Shared {
            sim: Mutex::new(sim),
            clock: Clock::start_scaled(config.time_scale),
            core_tx: Mutex::new(core_tx),
            stop: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            ws: Mutex::new(None),
            pending: Mutex::new(BTreeMap::new()),
            sockets: Mutex::new(BTreeMap::new()),
            kill_on: Mutex::new(Vec::new()),
            config,
            tls,
            scheme: if cert.is_some() { "https" } else { "http" },
        });
        let core = thread::Builder::new().name("pos-sim-core".into()).spawn({
            let shared = shared.clone();
            move || core_loop(&shared, &core_rx)
        });
        let accept = thread::Builder::new().name("pos-sim-accept".into()).spawn({
            let shared = shared.clone();
            move || accept_loop(&listener, &shared)
        });
        let threads = [core, accept]
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ServeError::Bind(e.to_string()))?;
        tracing::info!(%addr, tls = cert.is_some(), "simulator serving");
        Ok(Self {
            shared,
            addr,
            cert,
            threads,
        })
    }

    /// Returns the bound address.
    #[must_use]
    pub const fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns `http://addr` or `https://addr`, without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.shared.scheme, self.addr)
    }

    /// Returns `ws://addr/`.
    #[must_use]
    pub fn ws_url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Returns the public-key pin (SHA-256 of the SubjectPublicKeyInfo) of the certificate
    /// generated at start, for HTTPS servers.
    #[must_use]
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.cert.as_ref().map(|c| c.fingerprint)
    }

    /// Returns the TLS trust a POS needs for this server: pinned for HTTPS.
    #[must_use]
    pub fn trust(&self) -> TlsTrust {
        self.fingerprint()
            .map_or(TlsTrust::WebPki, TlsTrust::Pinned)
    }

    /// Returns the simulator's current time.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.shared.sim_now()
    }

    /// Runs `f` on the simulator (to steer it or read its store), then lets it act.
    pub fn with_sim<R>(&self, f: impl FnOnce(&mut S, Timestamp) -> R) -> R {
        let now = self.shared.sim_now();
        let result = {
            let mut sim = lock(&self.shared.sim);
            f(&mut sim, now)
        };
        self.shared.wake();
        result
    }

    /// Returns what really happened to a transaction, as the simulator's store knows it.
    #[must_use]
    pub fn truth(&self, references: &References) -> Option<Truth> {
        lock(&self.shared.sim).truth(references)
    }

    /// Drops every open connection at once, as a network failure would.
    pub fn kill_connections(&self) {
        let sockets = lock(&self.shared.sockets);
        for socket in sockets.values() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        tracing::info!(count = sockets.len(), "killed connections");
    }

    /// Kills the connection instead of delivering the next frame or response whose text
    /// contains `pattern`: the simulator processed the request, the POS never hears.
    pub fn kill_on(&self, pattern: &str) {
        lock(&self.shared.kill_on).push(pattern.to_owned());
    }

    /// Returns how many [`SimServer::kill_on`] patterns have not fired yet, so a test can
    /// prove its kill happened.
    #[must_use]
    pub fn pending_kills(&self) -> usize {
        lock(&self.shared.kill_on).len()
    }

    /// Stops the threads and closes every connection.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake();
        self.kill_connections();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl<S> Drop for SimServer<S> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Ok(tx) = self.shared.core_tx.lock() {
            let _ = tx.send(CoreMsg::Wake);
        }
        if let Ok(sockets) = self.shared.sockets.lock() {
            for socket in sockets.values() {
                let _ = socket.shutdown(std::net::Shutdown::Both);
            }
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// What a connection gets back for its HTTP request: a response, or `None` to drop it.
type Reply = Option<pos_core::HttpResponse>;

/// The state shared between the core thread, the accept thread and the connections.
struct Shared<S> {
    sim: Mutex<S>,
    clock: Clock,
    core_tx: Mutex<Sender<CoreMsg>>,
    stop: AtomicBool,
    next_id: AtomicU64,
    /// The current WebSocket connection: its id and outbound queue.
    ws: Mutex<Option<(u64, Sender<conn::WsCmd>)>>,
    pending: Mutex<BTreeMap<RequestId, Sender<Reply>>>,
    sockets: Mutex<BTreeMap<u64, TcpStream>>,
    kill_on: Mutex<Vec<String>>,
    config: SimServerConfig,
    tls: Option<Arc<rustls::ServerConfig>>,
    scheme: &'static str,
}

enum CoreMsg {
    Input(SimInput),
    Wake,
}

impl<S> Shared<S> {
    fn sim_now(&self) -> Timestamp {
        self.clock.now()
    }

    fn to_core(&self, input: SimInput) {
        if let Ok(tx) = self.core_tx.lock() {
            let _ = tx.send(CoreMsg::Input(input));
        }
    }

    fn wake(&self) {
        if let Ok(tx) = self.core_tx.lock() {
            let _ = tx.send(CoreMsg::Wake);
        }
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Returns true (once) when `text` matches a kill pattern.
    fn take_kill(&self, text: &str) -> bool {
        let mut patterns = lock(&self.kill_on);
        match patterns.iter().position(|p| text.contains(p.as_str())) {
            Some(i) => {
                patterns.remove(i);
                true
            }
            None => false,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn core_loop<S: Simulator + Send + 'static>(shared: &Arc<Shared<S>>, rx: &Receiver<CoreMsg>) {
    while !shared.stop.load(Ordering::SeqCst) {
        let wait = {
            let sim = lock(&shared.sim);
            sim.poll_timeout()
                .map_or(Duration::from_millis(200), |t| shared.clock.until(t))
                .min(Duration::from_millis(200))
        };
        let msg = match rx.recv_timeout(wait) {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let transmits = {
            let mut sim = lock(&shared.sim);
            let now = shared.sim_now();
            if let Some(CoreMsg::Input(input)) = msg {
                sim.handle_input(now, input);
            }
            if sim.poll_timeout().is_some_and(|t| t <= now) {
                sim.handle_timeout(now);
            }
            let mut out = Vec::new();
            while let Some(t) = sim.poll_transmit() {
                out.push(t);
            }
            out
        };
        for t in transmits {
            dispatch(shared, t);
        }
    }
}

fn dispatch<S: Simulator + Send + 'static>(shared: &Arc<Shared<S>>, transmit: SimTransmit) {
    let ws = lock(&shared.ws).clone();
    match transmit {
        SimTransmit::Text(text) => {
            let cmd = if shared.take_kill(&text) {
                conn::WsCmd::Kill
            } else {
                conn::WsCmd::Text(text)
            };
            send_ws(ws, cmd);
        }
        SimTransmit::Binary(bytes) => send_ws(ws, conn::WsCmd::Binary(bytes)),
        // tungstenite answers pings itself.
        SimTransmit::Pong(_) => {}
        SimTransmit::Close => send_ws(ws, conn::WsCmd::Close),
        SimTransmit::HttpResponse { id, response } => {
            let text = format!(
                "http {} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
            let reply = if shared.take_kill(&text) {
                None
            } else {
                Some(response)
            };
            if let Some(tx) = lock(&shared.pending).remove(&id) {
                let _ = tx.send(reply);
            }
        }
        SimTransmit::HttpDrop { id } => {
            if let Some(tx) = lock(&shared.pending).remove(&id) {
                let _ = tx.send(None);
            }
        }
        SimTransmit::Callback { id, request } => {
            let shared = shared.clone();
            let _ = thread::Builder::new()
                .name("pos-sim-callback".into())
                .spawn(move || {
                    let input = match crate::http_client::send(
                        &request,
                        Duration::from_secs(10),
                        &TlsTrust::TrustOnFirstUse,
                    ) {
                        Ok((response, _)) => SimInput::CallbackResponse { id, response },
                        Err(error) => SimInput::CallbackFailed { id, error },
                    };
                    shared.to_core(input);
                });
        }
        other => tracing::warn!(?other, "simulator transmit this server does not know"),
    }
}

fn send_ws(ws: Option<(u64, Sender<conn::WsCmd>)>, cmd: conn::WsCmd) {
    match ws {
        Some((_, tx)) => {
            let _ = tx.send(cmd);
        }
        None => tracing::debug!("simulator frame with no POS connected: dropped"),
    }
}

fn accept_loop<S: Simulator + Send + 'static>(listener: &TcpListener, shared: &Arc<Shared<S>>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _peer)) => {
                let shared = shared.clone();
                let _ = thread::Builder::new()
                    .name("pos-sim-conn".into())
                    .spawn(move || conn::serve(stream, &shared));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                tracing::warn!(error = %e, "simulator accept failed");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}
