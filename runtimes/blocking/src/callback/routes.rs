//! The executor-neutral part of every callback listener: which driver a request goes to, the
//! ids of callbacks waiting for their reply, and the listener's counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pos_core::{CallbackId, HttpRequest, HttpResponse, Input};

/// How a route picks its requests.
#[derive(Clone)]
pub enum Matcher {
    /// Every request whose path starts with this prefix (the longest matching prefix wins).
    Prefix(String),
    /// Every request the machine accepts ([`pos_core::Machine::accepts_callback`]), asked
    /// when no prefix matched.
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

impl Matcher {
    /// Matches the paths under `path_prefix` (a leading `/` is added when missing).
    #[must_use]
    pub fn prefix(path_prefix: &str) -> Self {
        Self::Prefix(format!("/{}", path_prefix.trim_start_matches('/')))
    }

    /// Returns the path prefix, or `None` when the machine decides.
    #[must_use]
    pub fn as_prefix(&self) -> Option<&str> {
        match self {
            Self::Prefix(p) => Some(p),
            Self::Machine(_) => None,
        }
    }
}

/// The routing table a listener shares with its connections: routes to drivers (each reached
/// through a `W`, the driver's wake sender) and the callbacks waiting for their reply (each
/// answered through a `P`, a one-reply sender).
pub struct Routes<W, P> {
    alive: fn(&W) -> bool,
    next_id: AtomicU64,
    delivered: AtomicU64,
    unrouted: AtomicU64,
    routes: Mutex<Vec<(Matcher, W)>>,
    pending: Mutex<BTreeMap<u64, P>>,
}

impl<W, P> core::fmt::Debug for Routes<W, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Routes")
            .field("delivered", &self.delivered.load(Ordering::SeqCst))
            .field("unrouted", &self.unrouted.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

/// A callback handed to a driver and waiting for its reply; dropping it forgets the wait, so
/// a late reply finds nobody.
#[derive(Debug)]
pub struct Pending<'a, W, P> {
    routes: &'a Routes<W, P>,
    id: CallbackId,
}

impl<W, P> Pending<'_, W, P> {
    /// Returns the callback's id.
    #[must_use]
    pub const fn id(&self) -> CallbackId {
        self.id
    }
}

impl<W, P> Drop for Pending<'_, W, P> {
    fn drop(&mut self) {
        lock(&self.routes.pending).remove(&self.id.0);
    }
}

impl<W: Clone, P> Routes<W, P> {
    /// Builds an empty table; `alive` tells whether a driver still listens on its sender
    /// (routes of gone drivers are dropped).
    #[must_use]
    pub fn new(alive: fn(&W) -> bool) -> Self {
        Self {
            alive,
            next_id: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            unrouted: AtomicU64::new(0),
            routes: Mutex::new(Vec::new()),
            pending: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds a route; a prefix route replaces an earlier one with the same prefix.
    pub fn attach(&self, matcher: Matcher, wake: W) {
        let mut routes = lock(&self.routes);
        routes.retain(|(_, w)| (self.alive)(w));
        if let Matcher::Prefix(prefix) = &matcher {
            routes.retain(|(m, _)| m.as_prefix() != Some(prefix));
        }
        routes.push((matcher, wake));
    }

    /// Returns how many routes lead to a driver that still listens.
    #[must_use]
    pub fn attached(&self) -> usize {
        let mut routes = lock(&self.routes);
        routes.retain(|(_, w)| (self.alive)(w));
        routes.len()
    }

    /// Returns how many callbacks were handed to a driver so far.
    #[must_use]
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
    }

    /// Returns how many callbacks no driver took (answered `404`).
    #[must_use]
    pub fn unrouted(&self) -> u64 {
        self.unrouted.load(Ordering::SeqCst)
    }

    /// Hands a request to its driver as [`Input::Callback`] through `send` and registers
    /// `reply` for the machine's answer. The caller awaits the answer on its receiver (at
    /// most [`super::REPLY_TIMEOUT`], else `503`) while holding the returned [`Pending`].
    ///
    /// # Errors
    /// The response to give at once: `404` when no route takes the request (its path is not
    /// logged: it may carry a callback token), `503` when the driver is gone.
    pub fn deliver(
        &self,
        request: HttpRequest,
        reply: P,
        send: impl FnOnce(&W, Input) -> bool,
    ) -> Result<Pending<'_, W, P>, HttpResponse> {
        let Some(wake) = self.find(&request) else {
            tracing::debug!("callback for no route");
            self.unrouted.fetch_add(1, Ordering::SeqCst);
            return Err(HttpResponse::new(404));
        };
        let id = CallbackId(self.next_id.fetch_add(1, Ordering::SeqCst));
        lock(&self.pending).insert(id.0, reply);
        let pending = Pending { routes: self, id };
        tracing::debug!(%id, method = %request.method, "callback received");
        if !send(&wake, Input::Callback { id, request }) {
            return Err(HttpResponse::new(503));
        }
        self.delivered.fetch_add(1, Ordering::SeqCst);
        Ok(pending)
    }

    /// Takes the reply sender of a waiting callback, to send the machine's answer on.
    pub fn take_reply(&self, id: CallbackId) -> Option<P> {
        let reply = lock(&self.pending).remove(&id.0);
        if reply.is_none() {
            tracing::debug!(%id, "callback reply for a request that is gone");
        }
        reply
    }

    /// The longest matching prefix, else the first machine that accepts the request.
    fn find(&self, request: &HttpRequest) -> Option<W> {
        let mut routes = lock(&self.routes);
        routes.retain(|(_, w)| (self.alive)(w));
        let path = request.path();
        let by_prefix = routes
            .iter()
            .filter_map(|(m, w)| match m {
                Matcher::Prefix(p) if path.starts_with(p.as_str()) => Some((p.len(), w)),
                _ => None,
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, w)| w.clone());
        by_prefix.or_else(|| {
            routes
                .iter()
                .find(|(m, _)| matches!(m, Matcher::Machine(accepts) if accepts(request)))
                .map(|(_, w)| w.clone())
        })
    }
}

/// Returns a listener's public base: the given one, or `http://<bound address>/`.
#[must_use]
pub fn public_base(addr: std::net::SocketAddr, public_base: Option<String>) -> String {
    public_base.unwrap_or_else(|| format!("http://{addr}/"))
}

/// Returns the public URL of a path below a listener's base.
#[must_use]
pub fn url_for(public_base: &str, path: &str) -> String {
    format!("{public_base}{}", path.trim_start_matches('/'))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes a callback listener's address, route and counter methods inside its `impl` block:
/// `local_addr`, `public_base`, `url_for`, `route`, `attached`, `delivered` and `unrouted`.
/// The listener has fields `addr: SocketAddr`, `public_base: String` and `shared` (an `Arc`
/// of what its routes hold), a method `routes(&self) -> &Routes<_, _>`, and a
/// `CallbackRoute { shared, matcher }` type in scope.
#[macro_export]
macro_rules! listener_methods {
    () => {
        /// Returns the bound address.
        #[must_use]
        pub const fn local_addr(&self) -> ::std::net::SocketAddr {
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
            $crate::callback::url_for(&self.public_base, path)
        }

        /// Returns the route a driver uses to receive the callbacks under `path_prefix`.
        #[must_use]
        pub fn route(&self, path_prefix: &str) -> CallbackRoute {
            CallbackRoute {
                shared: self.shared.clone(),
                matcher: $crate::callback::Matcher::prefix(path_prefix),
            }
        }

        /// Returns how many drivers are attached and still listening.
        #[must_use]
        pub fn attached(&self) -> usize {
            self.routes().attached()
        }

        /// Returns how many callbacks were handed to a driver so far.
        #[must_use]
        pub fn delivered(&self) -> u64 {
            self.routes().delivered()
        }

        /// Returns how many callbacks no route took (answered `404`).
        #[must_use]
        pub fn unrouted(&self) -> u64 {
            self.routes().unrouted()
        }
    };
}
