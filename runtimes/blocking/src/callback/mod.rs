//! The callback listener: an HTTP server on a configurable address that hands each inbound
//! request to the driver whose path prefix it matches, as [`Input::Callback`](pos_core::Input::Callback), and writes the
//! machine's [`TransmitKind::CallbackReply`] back.
//!
//! [`TransmitKind::CallbackReply`]: pos_core::TransmitKind::CallbackReply

mod routes;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::thread;

use core::time::Duration;
use pos_core::{CallbackId, HttpRequest, HttpResponse};

pub use routes::{Matcher, Pending, Routes, public_base, url_for};

use crate::driver::Wake;
use crate::error::ServeError;
use crate::http1;

/// How long a callback waits for the machine's reply before it is answered 503.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long an async listener waits for a request's head after the connection opens.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one inbound connection of an async listener may stay open, whatever it does.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);

/// An HTTP listener for callbacks, shared by any number of drivers, each owning a path prefix.
/// Dropping it (or [`CallbackListener::shutdown`]) stops its threads.
#[derive(Debug)]
pub struct CallbackListener {
    shared: Arc<Shared>,
    addr: SocketAddr,
    public_base: String,
    thread: Option<thread::JoinHandle<()>>,
}

impl CallbackListener {
    /// Binds `addr` (port 0 picks one). `public_base` is the URL the gateway reaches this
    /// listener at, ending in `/`; `None` means `http://<bound address>/`.
    ///
    /// # Errors
    /// [`ServeError::Bind`] when the address cannot be bound.
    pub fn bind(addr: SocketAddr, public_base: Option<String>) -> Result<Self, ServeError> {
        let (listener, addr) = bind_polled(addr)?;
        let public_base = routes::public_base(addr, public_base);
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            routes: Routes::new(|_| true),
        });
        let thread = thread::Builder::new()
            .name("pos-callbacks".into())
            .spawn({
                let shared = shared.clone();
                move || accept_loop(&listener, &shared)
            })
            .map_err(|e| ServeError::Bind(e.to_string()))?;
        tracing::info!(%addr, "callback listener bound");
        Ok(Self {
            shared,
            addr,
            public_base,
            thread: Some(thread),
        })
    }

    crate::listener_methods!();

    /// The routing table shared with the connections.
    fn routes(&self) -> &Routes<Sender<Wake>, Sender<HttpResponse>> {
        &self.shared.routes
    }

    /// Stops accepting and joins the accept thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.stop();
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
        self.shared.routes.attach(self.matcher.clone(), wake);
    }

    pub(crate) fn reply(&self, id: CallbackId, response: HttpResponse) {
        if let Some(tx) = self.shared.routes.take_reply(id) {
            let _ = tx.send(response);
        }
    }
}

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    routes: Routes<Sender<Wake>, Sender<HttpResponse>>,
}

/// Binds a listener that its accept thread polls (non-blocking), with the address it got.
pub(crate) fn bind_polled(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServeError> {
    let bind = |e: std::io::Error| ServeError::Bind(e.to_string());
    let listener = TcpListener::bind(addr).map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    Ok((listener, addr))
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                let shared = shared.clone();
                let _ = thread::Builder::new()
                    .name("pos-callback".into())
                    .spawn(move || serve(stream, peer, &shared));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                tracing::warn!(error = %e, "callback accept failed");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn serve(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let response = match http1::read_request(&mut stream) {
        Ok((head, body)) => dispatch(head, body, shared),
        Err(e) => {
            tracing::debug!(%peer, error = %e, "unreadable callback");
            HttpResponse::new(400)
        }
    };
    let _ = std::io::Write::write_all(&mut stream, &http1::encode_response(&response));
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn dispatch(head: http1::RequestHead, body: Vec<u8>, shared: &Shared) -> HttpResponse {
    let Some(method) = head.method else {
        return HttpResponse::new(405);
    };
    let request = HttpRequest {
        method,
        url: head.target,
        headers: head.headers,
        body,
    };
    let (tx, rx) = channel();
    let send = |wake: &Sender<Wake>, input| wake.send(Wake::input(None, input)).is_ok();
    match shared.routes.deliver(request, tx, send) {
        Ok(_pending) => rx
            .recv_timeout(REPLY_TIMEOUT)
            .unwrap_or_else(|_| HttpResponse::new(503)),
        Err(response) => response,
    }
}
