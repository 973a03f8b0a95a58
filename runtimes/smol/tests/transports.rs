//! The transports on their own against hand-made loopback peers: every failure reaches the
//! caller as its distinct [`TransportError`], within the request's deadline.
#![allow(
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

use pos_core::{HttpRequest, Method, TlsTrust, TransportError};
use pos_smol::http_client::send;

/// A peer that reads one request head and answers with `reply` (then closes), or holds the
/// connection open without a word when `reply` is `None`.
fn peer(reply: Option<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        match reply {
            Some(bytes) => {
                let _ = stream.write_all(&bytes);
            }
            None => thread::sleep(Duration::from_secs(5)),
        }
    });
    addr
}

fn get(addr: SocketAddr) -> HttpRequest {
    HttpRequest::new(Method::Get, format!("http://{addr}/status?x=1"))
}

fn run<T>(f: impl Future<Output = T>) -> T {
    smol::block_on(f)
}

#[test]
fn any_reason_phrase_and_chunked_bodies_are_read() {
    let addr = peer(Some(
        b"HTTP/1.1 200 Whatever The Terminal Says\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            .to_vec(),
    ));
    let (response, pin) = run(send(&get(addr), Duration::from_secs(5), &TlsTrust::WebPki)).unwrap();
    assert_eq!(
        (response.status, response.body.as_slice(), pin),
        (200, &b"abcde"[..], None)
    );
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = run(send(&get(addr), Duration::from_secs(5), &TlsTrust::WebPki)).unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
    assert!(err.certainly_not_sent());
}

#[test]
fn a_silent_peer_is_a_timeout_at_the_deadline() {
    let addr = peer(None);
    let clock = pos_smol::Clock::start();
    let err = run(send(
        &get(addr),
        Duration::from_millis(300),
        &TlsTrust::WebPki,
    ))
    .unwrap_err();
    assert_eq!(err, TransportError::Timeout);
    assert!(!err.certainly_not_sent());
    let took = Duration::from_millis(clock.now().as_millis());
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn garbage_and_a_cut_body_are_io_errors() {
    let addr = peer(Some(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()));
    let err = run(send(&get(addr), Duration::from_secs(5), &TlsTrust::WebPki)).unwrap_err();
    assert!(matches!(err, TransportError::Io(_)), "{err:?}");
    let addr = peer(Some(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
    ));
    let err = run(send(&get(addr), Duration::from_secs(5), &TlsTrust::WebPki)).unwrap_err();
    assert!(matches!(err, TransportError::Io(_)), "{err:?}");
}

#[test]
fn a_body_over_the_limit_is_refused() {
    let too_big = pos_blocking::http1::MAX_BODY + 1;
    let addr = peer(Some(
        format!("HTTP/1.1 200 OK\r\nContent-Length: {too_big}\r\n\r\n").into_bytes(),
    ));
    let err = run(send(&get(addr), Duration::from_secs(5), &TlsTrust::WebPki)).unwrap_err();
    assert!(matches!(err, TransportError::Io(_)), "{err:?}");
}

#[test]
fn the_request_carries_origin_form_host_and_length() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.ends_with(b"{\"a\":1}") {
            let n = stream.read(&mut chunk).unwrap();
            assert!(n > 0, "closed early");
            buf.extend_from_slice(&chunk[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        String::from_utf8(buf).unwrap()
    });
    let request = HttpRequest::new(Method::Post, format!("http://{addr}/a/b?c=d"))
        .header("Content-Type", "application/json")
        .header("Content-Length", "999")
        .header("Host", "evil.example")
        .body(b"{\"a\":1}".to_vec());
    let (response, _) = run(send(&request, Duration::from_secs(5), &TlsTrust::WebPki)).unwrap();
    assert_eq!(response.status, 201);
    let wire = seen.join().unwrap().to_ascii_lowercase();
    assert!(wire.starts_with("post /a/b?c=d http/1.1\r\n"), "{wire}");
    assert!(wire.contains(&format!("host: {addr}\r\n")), "{wire}");
    assert!(wire.contains("content-length: 7\r\n"), "{wire}");
    assert!(!wire.contains("999") && !wire.contains("evil"), "{wire}");
}
