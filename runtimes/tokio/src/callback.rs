//! The callback listener: one hyper HTTP server, shared by any number of drivers, that hands
//! each inbound request to the driver whose machine accepts it
//! ([`pos_core::Machine::accepts_callback`]) or whose path prefix it matches, as
//! [`Input::Callback`](pos_core::Input::Callback), and answers with the machine's
//! [`TransmitKind::CallbackReply`](pos_core::TransmitKind::CallbackReply).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use pos_blocking::ServeError;
use pos_blocking::callback::{
    self as shared, CONNECTION_TIMEOUT, HEADER_READ_TIMEOUT, Matcher, REPLY_TIMEOUT, Routes,
};
use pos_blocking::http1::{self, MAX_BODY};
use pos_core::{CallbackId, HttpRequest, HttpResponse};
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::driver::Wake;

/// An HTTP listener for callbacks (hyper), shared by any number of drivers. Dropping it (or
/// [`CallbackListener::shutdown`]) stops accepting and closes its connections.
///
/// A driver joins it with [`crate::Driver::with_callback_listener`] (routed by the machine's
/// own `accepts_callback`, e.g. InterPay's callback token) or with
/// [`crate::Driver::with_callbacks`] and a [`CallbackListener::route`] (routed by path
/// prefix). A request nobody accepts is answered `404`; one whose machine does not reply
/// within [`REPLY_TIMEOUT`] is answered `503`.
#[derive(Debug)]
pub struct CallbackListener {
    shared: Arc<Shared>,
    addr: SocketAddr,
    public_base: String,
    task: JoinHandle<()>,
}

impl CallbackListener {
    /// Binds `addr` (port 0 picks one) and starts serving on the current tokio runtime.
    /// `public_base` is the URL the gateway reaches this listener at, ending in `/`; `None`
    /// means `http://<bound address>/`.
    ///
    /// # Errors
    /// [`ServeError::Bind`] when the address cannot be bound.
    pub async fn bind(addr: SocketAddr, public_base: Option<String>) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| ServeError::Bind(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Bind(e.to_string()))?;
        let public_base = shared::public_base(addr, public_base);
        let shared = Arc::new(Shared::new(|wake| !wake.is_closed()));
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        tracing::info!(%addr, "callback listener bound");
        Ok(Self {
            shared,
            addr,
            public_base,
            task,
        })
    }

    pos_blocking::listener_methods!();

    /// The routing table shared with the connections.
    fn routes(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn machine_route(
        &self,
        accepts: Arc<dyn Fn(&HttpRequest) -> bool + Send + Sync>,
    ) -> CallbackRoute {
        CallbackRoute {
            shared: self.shared.clone(),
            matcher: Matcher::Machine(accepts),
        }
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(self) {
        self.task.abort();
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A driver's share of a [`CallbackListener`].
#[derive(Clone)]
pub struct CallbackRoute {
    shared: Arc<Shared>,
    matcher: Matcher,
}

impl core::fmt::Debug for CallbackRoute {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CallbackRoute")
            .field("matcher", &self.matcher)
            .finish_non_exhaustive()
    }
}

impl CallbackRoute {
    /// Returns the path prefix this route receives, or `None` when the machine decides.
    #[must_use]
    pub fn prefix(&self) -> Option<&str> {
        self.matcher.as_prefix()
    }

    pub(crate) fn attach(&self, wake: UnboundedSender<Wake>) {
        self.shared.attach(self.matcher.clone(), wake);
    }

    pub(crate) fn reply(&self, id: CallbackId, response: HttpResponse) {
        if let Some(tx) = self.shared.take_reply(id) {
            let _ = tx.send(response);
        }
    }
}

/// The listener's routing table (from `pos-blocking`).
type Shared = Routes<UnboundedSender<Wake>, oneshot::Sender<HttpResponse>>;

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // The connections live in this set: aborting the accept task closes them all.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let shared = shared.clone();
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let shared = shared.clone();
                            async move { Ok::<_, Infallible>(serve(request, &shared).await) }
                        });
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let connection = hyper::server::conn::http1::Builder::new()
                            .timer(hyper_util::rt::TokioTimer::new())
                            .header_read_timeout(HEADER_READ_TIMEOUT)
                            .keep_alive(false)
                            .serve_connection(io, service);
                        match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
                            Ok(Ok(())) => {}
                            Ok(Err(error)) => {
                                tracing::debug!(%error, "callback connection failed");
                            }
                            Err(_) => tracing::debug!("callback connection open too long: closed"),
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "callback accept failed");
                    tokio::time::sleep(core::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve(
    request: http::Request<hyper::body::Incoming>,
    shared: &Shared,
) -> http::Response<Full<Bytes>> {
    let response = match read_request(request).await {
        Ok(request) => dispatch(request, shared).await,
        Err(status) => HttpResponse::new(status),
    };
    http1::to_http_response(&response).map(|body| Full::new(Bytes::from(body)))
}

/// Reads a request's body within the size limit (else 413); see [`http1::from_http_request`].
async fn read_request(request: http::Request<hyper::body::Incoming>) -> Result<HttpRequest, u16> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|_| 413_u16)?
        .to_bytes();
    http1::from_http_request(parts, body.to_vec())
}

/// Hands a request to its driver (the longest matching prefix, else the first machine that
/// accepts it) and waits for the reply.
async fn dispatch(request: HttpRequest, shared: &Shared) -> HttpResponse {
    let (tx, rx) = oneshot::channel();
    let send = |wake: &UnboundedSender<Wake>, input| wake.send(Wake::input(None, input)).is_ok();
    match shared.deliver(request, tx, send) {
        Ok(_pending) => match tokio::time::timeout(REPLY_TIMEOUT, rx).await {
            Ok(Ok(response)) => response,
            _ => HttpResponse::new(503),
        },
        Err(response) => response,
    }
}
