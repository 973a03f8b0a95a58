//! Toy protocols for the runtime's own tests, independent of the vendor crates.
//!
//! WebSocket: POS → `PAY <ref> <minor>` / `QUERY <ref>`; terminal → `RESULT <ref> <word>` /
//! `STATUS <ref> <word>`. HTTP: `POST /pay` `<ref> <minor>` → 202, then the result as a
//! callback (when the POS gave a callback URL) or `GET /status/<ref>` polling.
//! Cents 51 decline, 53 wait 60 s of simulator time, 54 lose the result after approval. The
//! POS side of cents 56 (signature check) asks a signature question it has already withdrawn
//! (the toy refuses every answer), then goes on.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

pub mod sim;

use std::time::Duration;

use pos_core::*;

const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct Current {
    txn: TxnId,
    reference: String,
    minor: i64,
    sent: bool,
    recovering: bool,
}

/// Which transport the toy speaks.
#[derive(Clone, Debug)]
pub enum Link {
    Ws {
        url: String,
    },
    Http {
        base: String,
        tls: TlsTrust,
        callback: Option<String>,
    },
}

#[derive(Debug)]
pub struct Toy {
    ids: IdGen,
    out: Outbox,
    link: Link,
    connected: bool,
    current: Option<Current>,
    deadline: Option<Timestamp>,
    poll_at: Option<Timestamp>,
    wall: WallClock,
}

impl Toy {
    pub fn new(link: Link, ids: IdGen, wall: WallClock) -> Self {
        let mut toy = Self {
            ids,
            out: Outbox::new(),
            link,
            connected: false,
            current: None,
            deadline: None,
            poll_at: None,
            wall,
        };
        if let Link::Ws { url } = &toy.link {
            let url = url.clone();
            toy.out.transmit(Transmit::plain(TransmitKind::Connect {
                url,
                timeout: Duration::from_secs(2),
            }));
        }
        toy
    }

    fn http(&mut self, txn: TxnId, money: bool, method: Method, path: &str, body: String) {
        let Link::Http {
            base,
            tls,
            callback,
        } = &self.link
        else {
            return;
        };
        let mut request = HttpRequest::new(method, format!("{base}{path}"))
            .header("Authorization", "Bearer secret-token");
        if let Some(cb) = callback {
            request = request.header("X-Callback", cb.clone());
        }
        let kind = TransmitKind::Http {
            id: self.ids.request_id(),
            request: request.body(body),
            timeout: Duration::from_secs(2),
            tls: tls.clone(),
        };
        self.out.transmit(if money {
            Transmit::money(txn, kind)
        } else {
            Transmit::for_txn(txn, kind)
        });
    }

    fn send_pay(&mut self) {
        let Some(c) = self.current.as_mut() else {
            return;
        };
        let (txn, line) = (c.txn, format!("{} {}", c.reference, c.minor));
        match self.link {
            Link::Ws { .. } if self.connected => {
                c.sent = true;
                self.out.transmit(Transmit::money(
                    txn,
                    TransmitKind::Text(format!("PAY {line}")),
                ));
            }
            Link::Ws { .. } => {}
            Link::Http { .. } => {
                c.sent = true;
                self.http(txn, true, Method::Post, "/pay", line);
            }
        }
    }

    fn query(&mut self, now: Timestamp) {
        let Some(c) = self.current.as_ref() else {
            return;
        };
        let (txn, reference) = (c.txn, c.reference.clone());
        match self.link {
            Link::Ws { .. } if self.connected => self.out.transmit(Transmit::for_txn(
                txn,
                TransmitKind::Text(format!("QUERY {reference}")),
            )),
            Link::Ws { ref url } => {
                let url = url.clone();
                self.out.transmit(Transmit::plain(TransmitKind::Connect {
                    url,
                    timeout: Duration::from_secs(2),
                }));
            }
            Link::Http { .. } => {
                self.http(
                    txn,
                    false,
                    Method::Get,
                    &format!("/status/{reference}"),
                    String::new(),
                );
            }
        }
        self.poll_at = Some(now + Duration::from_millis(300));
    }

    fn word(&mut self, reference: &str, word: &str, now: Timestamp) {
        let Some(c) = self.current.as_ref() else {
            return;
        };
        if c.reference != reference {
            return;
        }
        let references = References::primary(reference);
        let outcome = match word {
            "APPROVED" => Outcome::Approved(Approval {
                references,
                ..Approval::default()
            }),
            "DECLINED" => Outcome::Declined(Decline {
                references,
                ..Decline::default()
            }),
            "PENDING" | "NOTFOUND" => {
                if !c.recovering {
                    self.poll_at = Some(now + Duration::from_millis(300));
                }
                return;
            }
            _ => return,
        };
        self.finish(outcome);
    }

    fn finish(&mut self, outcome: Outcome) {
        if let Some(c) = self.current.take() {
            self.out.event(Event::Finished {
                txn: c.txn,
                outcome,
            });
        }
        self.deadline = None;
        self.poll_at = None;
    }

    fn recover(&mut self, now: Timestamp) {
        if let Some(c) = self.current.as_mut() {
            c.recovering = true;
            let txn = c.txn;
            self.out.event(Event::Progress {
                txn,
                progress: Progress::stage(Stage::Recovering),
            });
            self.query(now);
        }
    }
}

impl Machine for Toy {
    fn vendor(&self) -> &'static str {
        "toy"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::of(&[OperationKind::Sale])
    }

    fn start(&mut self, now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        self.capabilities().check(&operation)?;
        if self.current.is_some() {
            return Err(CommandError::Busy);
        }
        let Operation::Sale { amount, .. } = &operation else {
            return Err(CommandError::Unsupported {
                kind: OperationKind::Sale,
            });
        };
        let txn = self.ids.txn_id();
        let reference = self.ids.upper_alnum(10);
        let minor = amount.minor_units();
        let record = PersistRecord::new(
            txn,
            "toy",
            operation.clone(),
            self.wall.unix_millis(now),
            References::primary(reference.clone()),
        );
        self.out.event(Event::Persist(record));
        if minor % 100 == 56 {
            self.out.event(Event::Question {
                txn,
                question: Question::SignatureCheck {
                    timeout: Duration::ZERO,
                },
            });
        }
        self.current = Some(Current {
            txn,
            reference,
            minor,
            sent: false,
            recovering: false,
        });
        self.deadline = Some(now + DEADLINE);
        if matches!(self.link, Link::Http { callback: None, .. }) {
            self.poll_at = Some(now + Duration::from_millis(300));
        }
        self.send_pay();
        Ok(txn)
    }

    fn cancel(&mut self, _: Timestamp, _: TxnId) -> Result<(), CommandError> {
        Err(CommandError::NothingToCancel)
    }

    fn answer(&mut self, _: Timestamp, _: TxnId, _: Answer) -> Result<(), CommandError> {
        Err(CommandError::NoQuestionPending)
    }

    fn resume(&mut self, _: Timestamp, _: PersistRecord) -> Result<TxnId, CommandError> {
        Err(CommandError::InvalidRecord {
            reason: "toy".into(),
        })
    }

    fn handle_input(&mut self, now: Timestamp, input: Input) {
        match input {
            Input::Connected => {
                self.connected = true;
                self.out.event(Event::Notice(Notice::LinkUp));
                match self.current.as_ref().map(|c| (c.sent, c.recovering)) {
                    Some((false, _)) => self.send_pay(),
                    Some((true, true)) => self.query(now),
                    _ => {}
                }
            }
            Input::Disconnected { reason }
            | Input::ConnectFailed {
                error: TransportError::Io(reason),
            } => {
                self.connected = false;
                self.out.event(Event::Notice(Notice::LinkLost { reason }));
                if self.current.as_ref().is_some_and(|c| c.sent) {
                    self.recover(now);
                }
            }
            Input::ConnectFailed { error } => {
                self.connected = false;
                self.out.event(Event::Notice(Notice::LinkLost {
                    reason: error.to_string(),
                }));
                if self.current.as_ref().is_some_and(|c| !c.sent) {
                    self.finish(reject(&error));
                }
            }
            Input::Text(text) => {
                let parts: Vec<&str> = text.split(' ').collect();
                if let [_, reference, word] = parts.as_slice() {
                    self.word(reference, word, now);
                }
            }
            Input::HttpResponse { response, .. } => {
                let body = String::from_utf8_lossy(&response.body).to_string();
                let parts: Vec<&str> = body.split(' ').collect();
                if let [reference, word] = parts.as_slice() {
                    self.word(reference, word, now);
                }
            }
            Input::HttpFailed { error, .. } => {
                if error.certainly_not_sent()
                    && self.current.as_ref().is_some_and(|c| !c.recovering)
                {
                    self.finish(reject(&error));
                } else if self.current.as_ref().is_some_and(|c| !c.recovering) {
                    self.recover(now);
                }
            }
            Input::Callback { id, request } => {
                let body = String::from_utf8_lossy(&request.body).to_string();
                let parts: Vec<&str> = body.split(' ').collect();
                if let [reference, word] = parts.as_slice() {
                    self.word(reference, word, now);
                }
                self.out
                    .transmit(Transmit::plain(TransmitKind::CallbackReply {
                        id,
                        response: HttpResponse::new(200),
                    }));
            }
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        if self.deadline.is_some_and(|d| d <= now) {
            let reference = self
                .current
                .as_ref()
                .map(|c| c.reference.clone())
                .unwrap_or_default();
            self.finish(Outcome::Unknown(Unresolved {
                reason: UnknownReason::NoResult,
                hint: None,
                amount: None,
                references: References::primary(reference),
                evidence: Vec::new(),
            }));
            return;
        }
        if self.poll_at.is_some_and(|p| p <= now) {
            self.poll_at = None;
            let recovering = self.current.as_ref().is_some_and(|c| c.recovering);
            if recovering || matches!(self.link, Link::Http { callback: None, .. }) {
                self.query(now);
            }
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.poll_transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.out.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        match (self.deadline, self.poll_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

pub fn sale(minor: i64) -> Operation {
    Operation::Sale {
        amount: Money::from_minor(minor, Currency::GBP).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}

fn reject(error: &TransportError) -> Outcome {
    Outcome::Rejected(Rejection {
        reason: RejectReason::Unavailable,
        code: None,
        message: Some(error.to_string()),
        references: References::default(),
    })
}
