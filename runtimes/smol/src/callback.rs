//! The async callback listener: hyper's HTTP/1.1 server on an `async-net` listener that hands
//! each inbound request to the driver whose path prefix it matches, as [`Input::Callback`](pos_core::Input::Callback),
//! and answers with the machine's [`TransmitKind::CallbackReply`].
//!
//! [`TransmitKind::CallbackReply`]: pos_core::TransmitKind::CallbackReply

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use core::time::Duration;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use pos_blocking::ServeError;
use pos_blocking::callback::{self as shared, Matcher, Routes};
use pos_blocking::http1::{self, MAX_BODY};
use pos_core::{CallbackId, HttpRequest, HttpResponse};
use smol::Task;
use smol::Timer;
use smol::channel::Sender;
use smol::future::FutureExt as _;
use smol::net::{TcpListener, TcpStream};
use smol_hyper::rt::{FuturesIo, SmolTimer};

use crate::driver::Wake;
use crate::spawn::Spawner;

pub use pos_blocking::callback::{CONNECTION_TIMEOUT, HEADER_READ_TIMEOUT, REPLY_TIMEOUT};

/// An HTTP listener for callbacks, shared by any number of drivers, each owning a path
/// prefix. Dropping it (or [`CallbackListener::shutdown`]) stops accepting.
#[derive(Debug)]
pub struct CallbackListener {
    shared: Arc<Shared>,
    addr: SocketAddr,
    public_base: String,
    accept: Option<Task<()>>,
}

impl CallbackListener {
    /// Binds `addr` (port 0 picks one) and serves on smol's global executor. `public_base` is
    /// the URL the gateway reaches this listener at, ending in `/`; `None` means
    /// `http://<bound address>/`.
    ///
    /// # Errors
    /// [`ServeError::Bind`] when the address cannot be bound.
    pub async fn bind(addr: SocketAddr, public_base: Option<String>) -> Result<Self, ServeError> {
        Self::bind_on(&Spawner::global(), addr, public_base).await
    }

    /// Like [`CallbackListener::bind`], serving on the given spawner's executor.
    ///
    /// # Errors
    /// [`ServeError::Bind`] when the address cannot be bound.
    pub async fn bind_on(
        spawner: &Spawner,
        addr: SocketAddr,
        public_base: Option<String>,
    ) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| ServeError::Bind(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Bind(e.to_string()))?;
        let public_base = shared::public_base(addr, public_base);
        let shared = Arc::new(Shared::new(|wake| !wake.is_closed()));
        let accept = spawner.spawn(accept_loop(listener, shared.clone(), spawner.clone()));
        tracing::info!(%addr, "callback listener bound");
        Ok(Self {
            shared,
            addr,
            public_base,
            accept: Some(accept),
        })
    }

    pos_blocking::listener_methods!();

    /// The routing table shared with the connections.
    fn routes(&self) -> &Shared {
        &self.shared
    }

    /// Stops accepting and waits for the accept task to end.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.accept.take() {
            let _ = task.cancel().await;
        }
    }
}

/// A driver's share of a [`CallbackListener`]: the requests whose path starts with a prefix.
#[derive(Clone, Debug)]
pub struct CallbackRoute {
    shared: Arc<Shared>,
    matcher: Matcher,
}

impl CallbackRoute {
    /// Returns the path prefix this route receives.
    #[must_use]
    pub fn prefix(&self) -> &str {
        self.matcher.as_prefix().unwrap_or("/")
    }

    pub(crate) fn attach(&self, wake: Sender<Wake>) {
        self.shared.attach(self.matcher.clone(), wake);
    }

    pub(crate) fn reply(&self, id: CallbackId, response: HttpResponse) {
        if let Some(tx) = self.shared.take_reply(id) {
            let _ = tx.try_send(response);
        }
    }
}

/// The listener's routing table (from `pos-blocking`).
type Shared = Routes<Sender<Wake>, Sender<HttpResponse>>;

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, spawner: Spawner) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let shared = shared.clone();
                spawner
                    .spawn(serve(stream, peer, shared).or(async {
                        Timer::after(CONNECTION_TIMEOUT).await;
                    }))
                    .detach();
            }
            Err(e) => {
                tracing::warn!(error = %e, "callback accept failed");
                Timer::after(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
        let shared = shared.clone();
        async move {
            let response = match read(request).await {
                Ok(request) => dispatch(request, &shared).await,
                Err(status) => HttpResponse::new(status),
            };
            Ok::<_, core::convert::Infallible>(to_hyper(&response))
        }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(SmolTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(false)
        .serve_connection(FuturesIo::new(stream), service)
        .await;
    if let Err(e) = served {
        tracing::debug!(%peer, error = %e, "callback connection failed");
    }
}

/// Reads a request's body within the size limit; the URL is the request target as received.
async fn read(request: http::Request<Incoming>) -> Result<HttpRequest, u16> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|_| 413_u16)?
        .to_bytes();
    http1::from_http_request(parts, body.to_vec())
}

async fn dispatch(request: HttpRequest, shared: &Shared) -> HttpResponse {
    let (tx, rx) = smol::channel::bounded(1);
    let send = |wake: &Sender<Wake>, input| wake.try_send(Wake::input(None, input)).is_ok();
    match shared.deliver(request, tx, send) {
        Ok(_pending) => {
            async { rx.recv().await.unwrap_or_else(|_| HttpResponse::new(503)) }
                .or(async {
                    Timer::after(REPLY_TIMEOUT).await;
                    HttpResponse::new(503)
                })
                .await
        }
        Err(response) => response,
    }
}

fn to_hyper(response: &HttpResponse) -> http::Response<Full<Bytes>> {
    http1::to_http_response(response).map(|body| Full::new(Bytes::from(body)))
}
