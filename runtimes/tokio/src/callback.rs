//! The callback listener: one hyper HTTP server, shared by any number of drivers, that hands
//! each inbound request to the driver whose machine accepts it
//! ([`pos_core::Machine::accepts_callback`]) or whose path prefix it matches, as
//! [`Input::Callback`], and answers with the machine's
//! [`TransmitKind::CallbackReply`](pos_core::TransmitKind::CallbackReply).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use pos_blocking::ServeError;
use pos_blocking::callback::REPLY_TIMEOUT;
use pos_blocking::http1::{self, MAX_BODY};
use pos_core::{CallbackId, Headers, HttpRequest, HttpResponse, Input, Method};
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
        let public_base = public_base.unwrap_or_else(|| format!("http://{addr}/"));
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        tracing::info!(%addr, "callback listener bound");
        Ok(Self {
            shared,
            addr,
            public_base,
            task,
        })
    }

    /// Returns the bound address.
    #[must_use]
    pub const fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the public base URL, ending in `/`.
    #[must_use]
    pub fn public_base(&self) -> &str {
        &self.public_base
    }

    /// Returns the public URL of a path below the base, e.g. `url_for("till-1/")`.
    #[must_use]
    pub fn url_for(&self, path: &str) -> String {
        format!("{}{}", self.public_base, path.trim_start_matches('/'))
    }

    /// Returns a route for a driver that receives the callbacks under `path_prefix`.
    #[must_use]
    pub fn route(&self, path_prefix: &str) -> CallbackRoute {
        CallbackRoute {
            shared: self.shared.clone(),
            matcher: Matcher::Prefix(format!("/{}", path_prefix.trim_start_matches('/'))),
        }
    }

    /// Returns how many drivers are attached and still alive.
    #[must_use]
    pub fn attached(&self) -> usize {
        let mut routes = lock(&self.shared.routes);
        routes.retain(|r| !r.wake.is_closed());
        routes.len()
    }

    /// Returns how many callbacks were handed to a driver so far.
    #[must_use]
    pub fn delivered(&self) -> u64 {
        self.shared.delivered.load(Ordering::SeqCst)
    }

    /// Returns how many callbacks no attached driver accepted (answered `404`).
    #[must_use]
    pub fn unrouted(&self) -> u64 {
        self.shared.unrouted.load(Ordering::SeqCst)
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
        match &self.matcher {
            Matcher::Prefix(p) => Some(p),
            Matcher::Machine(_) => None,
        }
    }

    pub(crate) fn attach(&self, wake: UnboundedSender<Wake>) {
        let mut routes = lock(&self.shared.routes);
        routes.retain(|r| !r.wake.is_closed());
        if let Matcher::Prefix(prefix) = &self.matcher {
            routes.retain(|r| !matches!(&r.matcher, Matcher::Prefix(p) if p == prefix));
        }
        routes.push(Route {
            matcher: self.matcher.clone(),
            wake,
        });
    }

    pub(crate) fn reply(&self, id: CallbackId, response: HttpResponse) {
        match lock(&self.shared.pending).remove(&id.0) {
            Some(tx) => {
                let _ = tx.send(response);
            }
            None => tracing::debug!(%id, "callback reply for a request that is gone"),
        }
    }
}

#[derive(Clone)]
enum Matcher {
    Prefix(String),
    Machine(Arc<dyn Fn(&HttpRequest) -> bool + Send + Sync>),
}

impl core::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Prefix(p) => write!(f, "Prefix({p:?})"),
            Self::Machine(_) => f.write_str("Machine"),
        }
    }
}

struct Route {
    matcher: Matcher,
    wake: UnboundedSender<Wake>,
}

#[derive(Default)]
struct Shared {
    next_id: AtomicU64,
    delivered: AtomicU64,
    unrouted: AtomicU64,
    routes: Mutex<Vec<Route>>,
    pending: Mutex<BTreeMap<u64, oneshot::Sender<HttpResponse>>>,
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

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
                        let served = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await;
                        if let Err(error) = served {
                            tracing::debug!(%error, "callback connection failed");
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
        Some(request) => dispatch(request, shared).await,
        None => HttpResponse::new(400),
    };
    to_hyper(&response)
}

async fn read_request(request: http::Request<hyper::body::Incoming>) -> Option<HttpRequest> {
    let (parts, body) = request.into_parts();
    let method = Method::parse(parts.method.as_str())?;
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .ok()?
        .to_bytes();
    let mut headers = Headers::new();
    for (name, value) in &parts.headers {
        headers.push(
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    let url = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    Some(HttpRequest {
        method,
        url,
        headers,
        body: body.to_vec(),
    })
}

/// Finds the driver for a request: the longest matching prefix, else the first machine that
/// accepts it; hands it over and waits for the reply.
async fn dispatch(request: HttpRequest, shared: &Shared) -> HttpResponse {
    let wake = {
        let mut routes = lock(&shared.routes);
        routes.retain(|r| !r.wake.is_closed());
        let path = request.path();
        let by_prefix = routes
            .iter()
            .filter_map(|r| match &r.matcher {
                Matcher::Prefix(p) if path.starts_with(p.as_str()) => Some((p.len(), r)),
                _ => None,
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, r)| r.wake.clone());
        by_prefix.or_else(|| {
            routes
                .iter()
                .find(|r| matches!(&r.matcher, Matcher::Machine(accepts) if accepts(&request)))
                .map(|r| r.wake.clone())
        })
    };
    let Some(wake) = wake else {
        // The path may carry a callback token: it is not logged.
        tracing::debug!("callback for no route");
        shared.unrouted.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::new(404);
    };
    let id = CallbackId(shared.next_id.fetch_add(1, Ordering::SeqCst));
    let (tx, rx) = oneshot::channel();
    lock(&shared.pending).insert(id.0, tx);
    tracing::debug!(%id, method = %request.method, "callback received");
    if wake
        .send(Wake::input(None, Input::Callback { id, request }))
        .is_err()
    {
        lock(&shared.pending).remove(&id.0);
        return HttpResponse::new(503);
    }
    shared.delivered.fetch_add(1, Ordering::SeqCst);
    let response = tokio::time::timeout(REPLY_TIMEOUT, rx).await;
    lock(&shared.pending).remove(&id.0);
    match response {
        Ok(Ok(response)) => response,
        _ => HttpResponse::new(503),
    }
}

fn to_hyper(response: &HttpResponse) -> http::Response<Full<Bytes>> {
    let mut builder = http::Response::builder().status(response.status);
    for (name, value) in http1::forwardable_headers(&response.headers) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            builder = builder.header(name, value);
        }
    }
    builder
        .body(Full::new(Bytes::from(response.body.clone())))
        .unwrap_or_else(|_| {
            let mut fallback = http::Response::new(Full::new(Bytes::new()));
            *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}
