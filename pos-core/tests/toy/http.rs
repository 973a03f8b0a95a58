//! A toy HTTP protocol: `Lookup` sends two GETs at once and reports the order the responses
//! arrived in, so HTTP faults (reorder, drop → timeout, disconnect → I/O error) are visible.

use std::time::Duration;

use pos_core::*;

pub struct HttpToy {
    ids: IdGen,
    out: Outbox,
    txn: Option<(TxnId, Vec<String>, usize)>,
}

impl HttpToy {
    pub fn new(seed: u64) -> Self {
        Self {
            ids: IdGen::from_seed(seed),
            out: Outbox::new(),
            txn: None,
        }
    }

    fn got(&mut self, what: String) {
        if let Some((txn, seen, expected)) = self.txn.as_mut() {
            seen.push(what);
            if seen.len() == *expected {
                let message = Some(seen.join(","));
                let txn = *txn;
                self.txn = None;
                let outcome = Outcome::Approved(Approval {
                    message,
                    ..Approval::default()
                });
                self.out.event(Event::Finished { txn, outcome });
            }
        }
    }
}

impl Machine for HttpToy {
    fn vendor(&self) -> &'static str {
        "http-toy"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::of(&[OperationKind::Lookup])
    }

    fn start(&mut self, _now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        self.capabilities().check(&operation)?;
        let txn = self.ids.txn_id();
        self.txn = Some((txn, vec![], 2));
        for n in 1..=2 {
            let request = HttpRequest::new(Method::Get, format!("http://toy.invalid/item/{n}"));
            let id = self.ids.request_id();
            let kind = TransmitKind::Http {
                id,
                request,
                timeout: Duration::from_secs(10),
                tls: TlsTrust::WebPki,
            };
            self.out.transmit(Transmit::for_txn(txn, kind));
        }
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
            reason: "nothing to resume".into(),
        })
    }

    fn handle_input(&mut self, _now: Timestamp, input: Input) {
        match input {
            Input::HttpResponse { response, .. } => {
                self.got(String::from_utf8_lossy(&response.body).into());
            }
            Input::HttpFailed { error, .. } => self.got(format!("failed:{error}")),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, _now: Timestamp) {}

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.poll_transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.out.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        None
    }
}

/// Answers `/item/N` with body `itemN` at once.
#[derive(Default)]
pub struct HttpToySim {
    out: Vec<SimTransmit>,
}

impl Simulator for HttpToySim {
    fn handle_input(&mut self, _now: Timestamp, input: SimInput) {
        if let SimInput::HttpRequest { id, request } = input {
            let body = request.path().replace("/item/", "item");
            self.out.push(SimTransmit::HttpResponse {
                id,
                response: HttpResponse::new(200).body(body),
            });
        }
    }

    fn handle_timeout(&mut self, _now: Timestamp) {}

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.remove(0))
        }
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        None
    }

    fn truth(&self, _: &References) -> Option<Truth> {
        None
    }
}
