//! The toy terminal: answers both toy transports from one store.

use std::collections::BTreeMap;
use std::time::Duration;

use pos_core::*;

#[derive(Debug, Default)]
pub struct ToySim {
    out: Vec<SimTransmit>,
    /// reference → (word, ready at, deliver the result?)
    store: BTreeMap<String, (String, Timestamp)>,
    /// Pending pushes: (at, reference, callback URL or None for WebSocket).
    pushes: Vec<(Timestamp, String, Option<String>)>,
    /// Every money request that reached the simulator.
    pub pays: u32,
}

impl ToySim {
    pub fn new() -> Self {
        Self::default()
    }

    fn word_at(&self, reference: &str, now: Timestamp) -> String {
        match self.store.get(reference) {
            Some((word, at)) if *at <= now => word.clone(),
            Some(_) => "PENDING".into(),
            None => "NOTFOUND".into(),
        }
    }

    /// Takes a PAY; returns when its result is ready and whether it is delivered.
    fn pay(
        &mut self,
        now: Timestamp,
        line: &str,
        callback: Option<String>,
        ws: bool,
    ) -> Option<String> {
        let (reference, minor) = line.split_once(' ')?;
        let minor: i64 = minor.trim().parse().ok()?;
        self.pays += 1;
        let scenario = Scenario::from_minor_units(minor);
        let word = if scenario == Scenario::Decline {
            "DECLINED"
        } else {
            "APPROVED"
        };
        let delay = if scenario == Scenario::SlowCustomer {
            Duration::from_secs(60)
        } else {
            Duration::from_millis(100)
        };
        self.store
            .insert(reference.to_owned(), (word.into(), now + delay));
        let lost = scenario == Scenario::LostAfterApproval;
        if !lost && (ws || callback.is_some()) {
            self.pushes
                .push((now + delay, reference.to_owned(), callback));
        }
        (!lost).then(|| reference.to_owned())
    }
}

impl Simulator for ToySim {
    fn handle_input(&mut self, now: Timestamp, input: SimInput) {
        match input {
            SimInput::Text(frame) => {
                if let Some(line) = frame.strip_prefix("PAY ") {
                    let _ = self.pay(now, line, None, true);
                } else if let Some(reference) = frame.strip_prefix("QUERY ") {
                    let word = self.word_at(reference, now);
                    self.out
                        .push(SimTransmit::Text(format!("STATUS {reference} {word}")));
                }
            }
            SimInput::HttpRequest { id, request } => {
                let path = request.path().to_owned();
                let response = if path == "/pay" {
                    let line = String::from_utf8_lossy(&request.body).to_string();
                    let callback = request.headers.get("x-callback").map(str::to_owned);
                    match self.pay(now, &line, callback, false) {
                        Some(reference) => {
                            HttpResponse::new(202).body(format!("{reference} ACCEPTED"))
                        }
                        None => {
                            self.out.push(SimTransmit::HttpDrop { id });
                            return;
                        }
                    }
                } else if let Some(reference) = path.strip_prefix("/status/") {
                    let word = self.word_at(reference, now);
                    HttpResponse::new(200).body(format!("{reference} {word}"))
                } else {
                    HttpResponse::new(404)
                };
                self.out.push(SimTransmit::HttpResponse { id, response });
            }
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        let (due, later): (Vec<_>, Vec<_>) =
            self.pushes.drain(..).partition(|(at, _, _)| *at <= now);
        self.pushes = later;
        for (_, reference, callback) in due {
            let word = self.word_at(&reference, now);
            match callback {
                None => self
                    .out
                    .push(SimTransmit::Text(format!("RESULT {reference} {word}"))),
                Some(url) => self.out.push(SimTransmit::Callback {
                    id: CallbackId(u64::from(self.pays)),
                    request: HttpRequest::new(Method::Post, url)
                        .body(format!("{reference} {word}")),
                }),
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.remove(0))
        }
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.pushes.iter().map(|(at, _, _)| *at).min()
    }

    fn truth(&self, references: &References) -> Option<Truth> {
        let (word, _) = self.store.get(references.primary.as_deref()?)?;
        Some(if word == "APPROVED" {
            Truth::Approved
        } else {
            Truth::Declined
        })
    }
}
