//! The shared callback listener: routing by the machine's `accepts_callback`, by path prefix
//! (the longest wins), `404` for a request nobody accepts or whose driver is gone, the
//! machine's reply carried back to the caller; and the client's distinct transport errors.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use pos_core::*;
use pos_tokio::{Clock, Driver, http_client};

/// A machine that only answers callbacks: it accepts those whose path contains its name and
/// replies `200` with its name as the body.
#[derive(Debug)]
struct Echo {
    name: &'static str,
    replies: Vec<Transmit>,
}

impl Echo {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            replies: Vec::new(),
        }
    }
}

impl Machine for Echo {
    fn vendor(&self) -> &'static str {
        "echo"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::none()
    }
    fn start(&mut self, _: Timestamp, op: Operation) -> Result<TxnId, CommandError> {
        Err(CommandError::Unsupported { kind: op.kind() })
    }
    fn cancel(&mut self, _: Timestamp, _: TxnId) -> Result<(), CommandError> {
        Err(CommandError::NothingToCancel)
    }
    fn answer(&mut self, _: Timestamp, _: TxnId, _: Answer) -> Result<(), CommandError> {
        Err(CommandError::NoQuestionPending)
    }
    fn resume(&mut self, _: Timestamp, _: PersistRecord) -> Result<TxnId, CommandError> {
        Err(CommandError::InvalidRecord {
            reason: "echo".into(),
        })
    }
    fn handle_input(&mut self, _: Timestamp, input: Input) {
        if let Input::Callback { id, request } = input {
            let body = format!("{} {}", self.name, request.path());
            self.replies
                .push(Transmit::plain(TransmitKind::CallbackReply {
                    id,
                    response: HttpResponse::new(200).body(body.into_bytes()),
                }));
        }
    }
    fn handle_timeout(&mut self, _: Timestamp) {}
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.replies.pop()
    }
    fn poll_event(&mut self) -> Option<Event> {
        None
    }
    fn poll_timeout(&self) -> Option<Timestamp> {
        None
    }
    fn accepts_callback(&self, request: &HttpRequest) -> bool {
        request.path().contains(self.name)
    }
}

async fn post(url: String) -> HttpResponse {
    let request = HttpRequest::new(Method::Post, url).body(b"x=1".to_vec());
    http_client::send(&request, Duration::from_secs(10), &TlsTrust::WebPki)
        .await
        .unwrap()
        .0
}

/// Keeps a driver turning (as a POS awaiting `finish` would) until the test ends.
fn serve(mut driver: Driver<Echo>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let _ = driver.next_event_within(Duration::from_secs(60)).await;
        }
    })
}

#[tokio::test]
async fn callbacks_reach_the_machine_that_accepts_them() {
    let listener = pos_tokio::CallbackListener::bind("127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let clock = Clock::start();
    let a = serve(Driver::new(Echo::new("alpha"), clock).with_callback_listener(&listener));
    let b = serve(Driver::new(Echo::new("beta"), clock).with_callback_listener(&listener));
    let c = serve(Driver::new(Echo::new("gamma"), clock).with_callbacks(listener.route("till/")));
    let d = serve(Driver::new(Echo::new("delta"), clock).with_callbacks(listener.route("till/7/")));
    assert_eq!(listener.attached(), 4);

    let got = post(listener.url_for("cb/beta/123")).await;
    assert_eq!(
        (got.status, got.body.as_slice()),
        (200, &b"beta /cb/beta/123"[..])
    );
    let got = post(listener.url_for("cb/alpha?x=1")).await;
    assert_eq!(
        (got.status, got.body.as_slice()),
        (200, &b"alpha /cb/alpha"[..])
    );
    // A prefix route wins over the machines; the longest prefix wins.
    let got = post(listener.url_for("till/1/alpha")).await;
    assert_eq!(got.body, b"gamma /till/1/alpha");
    let got = post(listener.url_for("till/7/x")).await;
    assert_eq!(got.body, b"delta /till/7/x");
    assert_eq!(post(listener.url_for("nobody/here")).await.status, 404);
    assert_eq!((listener.delivered(), listener.unrouted()), (4, 1));

    // A driver that is gone no longer receives anything.
    b.abort();
    let _ = b.await;
    assert_eq!(post(listener.url_for("cb/beta/1")).await.status, 404);
    assert_eq!(listener.attached(), 3);
    for task in [a, c, d] {
        task.abort();
    }
}

#[tokio::test]
async fn transport_failures_are_distinct_errors() {
    let listener = pos_tokio::CallbackListener::bind("127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let driver = Driver::new(Echo::new("idle"), Clock::start()).with_callback_listener(&listener);
    let request = HttpRequest::new(Method::Post, listener.url_for("idle"));
    // The listener waits REPLY_TIMEOUT for the machine, longer than this client does: the
    // client sees a timeout, distinct from a connect failure.
    let err = http_client::send(&request, Duration::from_millis(300), &TlsTrust::WebPki)
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout);
    assert!(!err.certainly_not_sent());
    drop(driver);
    // Nobody listening: a connect failure, certainly not sent.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let request = HttpRequest::new(Method::Post, format!("http://{closed}/x"));
    let err = http_client::send(&request, Duration::from_secs(5), &TlsTrust::WebPki)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
    assert!(err.certainly_not_sent());
}

#[tokio::test]
async fn a_client_that_never_sends_its_request_is_disconnected() {
    use tokio::io::AsyncReadExt as _;
    let listener = pos_tokio::CallbackListener::bind("127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let mut silent = tokio::net::TcpStream::connect(listener.local_addr())
        .await
        .unwrap();
    let limit = pos_blocking::callback::HEADER_READ_TIMEOUT + Duration::from_secs(5);
    let mut buf = [0_u8; 64];
    let closed = tokio::time::timeout(limit, silent.read(&mut buf))
        .await
        .expect("the listener kept a silent connection open past its header deadline");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
}
