//! The sans-IO core without sockets: a scripted machine, a recording transport and sink.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use core::time::Duration;
use pos_core::{
    Answer, CallbackId, Cancellation, CancelledBy, Capabilities, CommandError, Event, HttpRequest,
    HttpResponse, Input, Machine, Operation, Outcome, PersistRecord, Question, References,
    RequestId, Timestamp, TlsTrust, Transmit, TransmitKind, TxnId,
};

use super::{Considered, DriverCore, Transport, Wake, WsFrame, consider};
use crate::clock::Clock;
use crate::error::DriverError;
use crate::persist::{PersistError, PersistSink};

type Log = Arc<Mutex<Vec<String>>>;

/// A machine whose events and transmits the test queues; it records what it is given.
#[derive(Debug, Default)]
struct Script {
    events: VecDeque<Event>,
    transmits: VecDeque<Transmit>,
    inputs: Vec<Input>,
    timer: Option<Timestamp>,
    timeouts: usize,
}

impl Script {
    fn event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    fn transmit(&mut self, kind: TransmitKind, moves_money: bool) {
        self.transmits.push_back(Transmit {
            txn: Some(TxnId(1)),
            moves_money,
            kind,
        });
    }
}

impl Machine for Script {
    fn vendor(&self) -> &'static str {
        "script"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// A sale: the record first, then the money frame.
    fn start(&mut self, _now: Timestamp, operation: Operation) -> Result<TxnId, CommandError> {
        let txn = TxnId(1);
        let record = PersistRecord::new(txn, "script", operation, 0, References::default());
        self.event(Event::Persist(record));
        self.transmit(TransmitKind::Text("PAY".into()), true);
        Ok(txn)
    }

    fn cancel(&mut self, _now: Timestamp, txn: TxnId) -> Result<(), CommandError> {
        if txn == TxnId(1) {
            Ok(())
        } else {
            Err(CommandError::UnknownTransaction { txn })
        }
    }

    fn answer(
        &mut self,
        _now: Timestamp,
        _txn: TxnId,
        _answer: Answer,
    ) -> Result<(), CommandError> {
        Ok(())
    }

    fn resume(&mut self, _now: Timestamp, record: PersistRecord) -> Result<TxnId, CommandError> {
        Ok(record.txn)
    }

    fn handle_input(&mut self, _now: Timestamp, input: Input) {
        self.inputs.push(input);
    }

    fn handle_timeout(&mut self, _now: Timestamp) {
        self.timeouts += 1;
        self.timer = None;
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.timer
    }
}

/// A sink that writes to the shared log, failing while `failing` is set.
struct Sink {
    log: Log,
    failing: Arc<AtomicBool>,
}

impl PersistSink for Sink {
    fn persist(&mut self, record: &PersistRecord) -> Result<(), PersistError> {
        if self.failing.load(Ordering::SeqCst) {
            self.log.lock().unwrap().push("persist failed".into());
            return Err(PersistError::new("disk full"));
        }
        self.log
            .lock()
            .unwrap()
            .push(format!("persist {}", record.txn.0));
        Ok(())
    }

    fn finished(&mut self, txn: TxnId) -> Result<(), PersistError> {
        self.log.lock().unwrap().push(format!("finished {}", txn.0));
        if self.failing.load(Ordering::SeqCst) {
            return Err(PersistError::new("disk full"));
        }
        Ok(())
    }
}

/// A transport that writes what it is asked to the shared log; its link is the log too.
struct Recorder {
    log: Log,
    link: Option<Log>,
}

impl Transport for Recorder {
    type Link = Log;

    fn open(&mut self, url: String, _timeout: Duration, generation: u64) -> Log {
        self.log
            .lock()
            .unwrap()
            .push(format!("connect {url} #{generation}"));
        self.log.clone()
    }

    fn link(&mut self) -> &mut Option<Log> {
        &mut self.link
    }

    fn push(link: &Log, frame: WsFrame) -> bool {
        link.lock().unwrap().push(format!("frame {frame:?}"));
        true
    }

    fn http(&mut self, id: RequestId, _request: HttpRequest, timeout: Duration, _tls: TlsTrust) {
        self.log
            .lock()
            .unwrap()
            .push(format!("http {} {timeout:?}", id.0));
    }

    fn callback_reply(&mut self, id: CallbackId, response: HttpResponse) {
        self.log
            .lock()
            .unwrap()
            .push(format!("reply {} {}", id.0, response.status));
    }
}

struct Rig {
    core: DriverCore<Script>,
    io: Recorder,
    log: Log,
    failing: Arc<AtomicBool>,
}

fn rig(clock: Clock) -> Rig {
    let log = Log::default();
    let failing = Arc::new(AtomicBool::new(false));
    let mut core = DriverCore::new(Script::default(), clock);
    core.set_sink(Sink {
        log: log.clone(),
        failing: failing.clone(),
    });
    let io = Recorder {
        log: log.clone(),
        link: Some(log.clone()),
    };
    Rig {
        core,
        io,
        log,
        failing,
    }
}

fn sale() -> Operation {
    let amount = pos_core::Money::from_minor(1250, pos_core::Currency::EUR).unwrap();
    Operation::Sale {
        amount,
        tip: None,
        cashback: None,
        reference: None,
    }
}

fn taken(log: &Log) -> Vec<String> {
    core::mem::take(&mut *log.lock().unwrap())
}

fn cancelled(txn: TxnId) -> Event {
    Event::Finished {
        txn,
        outcome: Outcome::Cancelled(Cancellation {
            by: CancelledBy::Pos,
            code: None,
            message: None,
            references: References::default(),
        }),
    }
}

#[test]
fn a_record_is_journalled_before_the_transmit_after_it() {
    let mut r = rig(Clock::start());
    r.core.start(sale()).unwrap();
    r.core.drain(&mut r.io).unwrap();
    assert_eq!(taken(&r.log), ["persist 1", "frame Text(\"PAY\")"]);
    assert!(matches!(r.core.pop_event(), Some(Event::Persist(rec)) if rec.txn == TxnId(1)));
    assert!(r.core.pop_event().is_none());
}

#[test]
fn a_failing_journal_holds_every_send_until_it_succeeds() {
    let mut r = rig(Clock::start());
    r.failing.store(true, Ordering::SeqCst);
    r.core.start(sale()).unwrap();
    let error = r.core.drain(&mut r.io).unwrap_err();
    assert!(matches!(error, DriverError::Persist { txn: TxnId(1), .. }));
    assert_eq!(taken(&r.log), ["persist failed"]);
    assert_eq!(r.core.held_record().map(|rec| rec.txn), Some(TxnId(1)));
    assert!(!r.core.has_events(), "an unjournalled record is not shown");

    // Retries fail the same way and still send nothing.
    assert!(r.core.journal_held().is_err());
    assert!(r.core.drain(&mut r.io).is_err());
    assert_eq!(taken(&r.log), ["persist failed", "persist failed"]);

    r.failing.store(false, Ordering::SeqCst);
    r.core.drain(&mut r.io).unwrap();
    assert_eq!(taken(&r.log), ["persist 1", "frame Text(\"PAY\")"]);
    assert!(r.core.held_record().is_none());
    assert!(matches!(r.core.pop_event(), Some(Event::Persist(_))));
}

#[test]
fn an_interrupted_journal_hands_out_the_same_record_again() {
    let mut r = rig(Clock::start());
    r.core.start(sale()).unwrap();
    // A driver takes the work and is dropped before reporting (a cancelled future).
    assert!(matches!(r.core.poll_work(), Some(super::Work::Journal(_))));
    assert!(matches!(r.core.poll_work(), Some(super::Work::Journal(rec)) if rec.txn == TxnId(1)));
    r.core.journalled(Ok(())).unwrap();
    assert!(matches!(
        r.core.poll_work(),
        Some(super::Work::Transmit(Transmit {
            moves_money: true,
            ..
        }))
    ));
}

#[test]
fn input_from_an_older_connection_is_dropped() {
    let mut r = rig(Clock::start());
    for _ in 0..2 {
        let kind = TransmitKind::Connect {
            url: "ws://t/".into(),
            timeout: Duration::from_secs(5),
        };
        r.core.machine_mut().transmit(kind, false);
    }
    r.core.drain(&mut r.io).unwrap();
    assert_eq!(
        taken(&r.log),
        [
            "frame Close",
            "connect ws://t/ #1",
            "frame Close",
            "connect ws://t/ #2"
        ],
        "each connect closes the connection before it"
    );
    assert_eq!(r.core.ws_generation(), 2);

    r.core.input(Some(1), Input::Text("stale".into()));
    assert!(
        r.core
            .apply::<()>(Wake::input(Some(1), Input::Connected))
            .is_none()
    );
    assert!(r.core.machine().inputs.is_empty());
    r.core.input(Some(2), Input::Text("fresh".into()));
    r.core.input(None, Input::Text("http".into()));
    assert_eq!(
        r.core.machine().inputs,
        [Input::Text("fresh".into()), Input::Text("http".into())]
    );
}

#[test]
fn a_frame_without_a_connection_comes_back_as_disconnected_on_the_next_tick() {
    let mut r = rig(Clock::start());
    r.io.link = None;
    r.core
        .machine_mut()
        .transmit(TransmitKind::Text("X".into()), false);
    r.core.machine_mut().transmit(TransmitKind::Close, false);
    r.core.drain(&mut r.io).unwrap();
    assert!(
        r.core.machine().inputs.is_empty(),
        "not fed back inside the drain"
    );
    let far = r.core.now() + Duration::from_secs(60);
    assert_eq!(
        r.core.wake_at(far),
        None,
        "a queued input is work to do now"
    );
    r.core.tick();
    let reason = || Input::Disconnected {
        reason: "not connected".into(),
    };
    assert_eq!(r.core.machine().inputs, [reason(), reason()]);
    assert_eq!(r.core.wake_at(far), Some(far));
}

#[test]
fn a_disconnect_owed_to_an_older_connection_is_dropped_after_a_reconnect() {
    let mut r = rig(Clock::start());
    r.io.link = None;
    r.core
        .machine_mut()
        .transmit(TransmitKind::Text("X".into()), false);
    let connect = TransmitKind::Connect {
        url: "ws://t/".into(),
        timeout: Duration::from_secs(5),
    };
    r.core.machine_mut().transmit(connect, false);
    r.core.drain(&mut r.io).unwrap();
    r.core.tick();
    assert!(r.core.machine().inputs.is_empty());
}

#[test]
fn timers_fire_when_due_and_bound_the_wait() {
    let mut r = rig(Clock::start());
    let now = r.core.now();
    let until = now + Duration::from_secs(10);
    assert_eq!(r.core.wake_at(until), Some(until));
    r.core.machine_mut().timer = Some(now + Duration::from_secs(3));
    assert_eq!(r.core.wake_at(until), Some(now + Duration::from_secs(3)));
    r.core.tick();
    assert_eq!(r.core.machine().timeouts, 0, "not due yet");
    r.core.machine_mut().timer = Some(now);
    assert_eq!(r.core.wake_at(until), None);
    r.core.tick();
    assert_eq!(r.core.machine().timeouts, 1);
}

#[test]
fn a_finish_is_noted_and_queued_even_when_the_note_fails() {
    let mut r = rig(Clock::start());
    r.failing.store(true, Ordering::SeqCst);
    r.core.machine_mut().event(cancelled(TxnId(1)));
    r.core.drain(&mut r.io).unwrap();
    assert_eq!(taken(&r.log), ["finished 1"]);
    assert!(matches!(
        r.core.pop_event(),
        Some(Event::Finished { txn: TxnId(1), .. })
    ));
}

#[test]
fn transport_timeouts_are_converted_to_real_time_with_the_floor() {
    let mut r = rig(Clock::start_scaled(10));
    let kind = TransmitKind::Http {
        id: RequestId(7),
        request: HttpRequest::new(pos_core::Method::Get, "http://t/"),
        timeout: Duration::from_secs(100),
        tls: TlsTrust::WebPki,
    };
    r.core.machine_mut().transmit(kind, false);
    let kind = TransmitKind::Http {
        id: RequestId(8),
        request: HttpRequest::new(pos_core::Method::Get, "http://t/"),
        timeout: Duration::from_secs(5),
        tls: TlsTrust::WebPki,
    };
    r.core.machine_mut().transmit(kind, false);
    r.core.drain(&mut r.io).unwrap();
    assert_eq!(taken(&r.log), ["http 7 10s", "http 8 2s"]);
}

#[test]
fn commands_from_handles_come_back_with_their_reply() {
    let mut r = rig(Clock::start());
    let (reply, result) = r
        .core
        .apply(Wake::Cancel {
            txn: TxnId(9),
            reply: "to-handle",
        })
        .unwrap();
    assert_eq!(reply, "to-handle");
    assert_eq!(
        result,
        Err(CommandError::UnknownTransaction { txn: TxnId(9) })
    );
}

#[test]
fn finishing_shows_every_event_answers_questions_and_stops_at_its_own_end() {
    let mut seen = Vec::new();
    let mut on_event = |event: &Event| {
        seen.push(event.txn().map(|t| t.0));
        matches!(event, Event::Question { .. }).then_some(Answer::Signature { accepted: true })
    };
    let question = Event::Question {
        txn: TxnId(1),
        question: Question::SignatureCheck {
            timeout: Duration::from_secs(30),
        },
    };
    assert!(matches!(
        consider(TxnId(1), question, &mut on_event),
        Considered::Answer(TxnId(1), Answer::Signature { accepted: true })
    ));
    assert!(matches!(
        consider(TxnId(1), cancelled(TxnId(2)), &mut on_event),
        Considered::Continue
    ));
    assert!(matches!(
        consider(TxnId(1), cancelled(TxnId(1)), &mut on_event),
        Considered::Finished(Outcome::Cancelled(_))
    ));
    assert_eq!(seen, [Some(1), Some(2), Some(1)]);
}

#[test]
fn a_connection_task_reports_how_opening_went_and_why_it_ended() {
    let seen = Mutex::new(Vec::new());
    let listening = AtomicBool::new(true);
    let deliver = |input: Input| {
        seen.lock().unwrap().push(input);
        listening.load(Ordering::SeqCst)
    };
    let failed: Result<(), _> = Err(pos_core::TransportError::Timeout);
    assert_eq!(super::link::opened(failed, &deliver), None);
    assert_eq!(super::link::opened(Ok(7), &deliver), Some(7));
    listening.store(false, Ordering::SeqCst);
    assert_eq!(
        super::link::opened(Ok(8), &deliver),
        None,
        "nobody listens: no pump"
    );
    super::link::closed(super::link::peer_closed(Some((1000, "bye"))), &deliver);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            Input::ConnectFailed {
                error: pos_core::TransportError::Timeout
            },
            Input::Connected,
            Input::Connected,
            Input::Disconnected {
                reason: "closed by the peer: 1000 bye".into()
            },
        ]
    );
    assert_eq!(super::link::peer_closed(None), "closed by the peer");
}
