//! Reply handling: `/pair` (§3), POST (§4.3, §8.1), GET (§5.2), DELETE (§7).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use pos_core::{
    Event, Fingerprint, HttpResponse, Notice, Outcome, RejectReason, RequestId, Secret, Stage,
    Timestamp, TransportError, UnknownReason,
};

use super::{CancelState, Job, PayntMachine, ReqKind, TOKEN_CREDENTIAL};
use crate::codec;
use crate::ident;
use crate::message::Anomaly;
use crate::timer::TimerKind;

/// What a GET reply means for polling (spec §5.2).
enum Poll {
    InProgress,
    Transient(String),
}

impl PayntMachine {
    pub(super) fn on_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        response: &HttpResponse,
        peer: Option<Fingerprint>,
    ) {
        if let Some(fp) = peer {
            self.learn_fingerprint(fp);
        }
        if self.late_post.is_some_and(|(late, _)| late == id) {
            self.on_late_post(response);
            return;
        }
        let Some(kind) = self.take_inflight(id) else {
            return;
        };
        match kind {
            ReqKind::Pair => self.on_pair(response),
            ReqKind::Post => self.on_post(now, response),
            ReqKind::Get => self.on_get(now, response),
            ReqKind::Delete => self.on_delete(now, response),
        }
        self.next_request(now);
    }

    pub(super) fn on_failure(&mut self, now: Timestamp, id: RequestId, error: &TransportError) {
        let Some(kind) = self.take_inflight(id) else {
            return;
        };
        let not_sent = error.certainly_not_sent();
        if let TransportError::CertificateMismatch { .. } = error {
            self.out.event(Event::Notice(Notice::ReauthNeeded {
                code: "certificate_pin_mismatch".into(),
            }));
        }
        let detail = match error {
            TransportError::CertificateMismatch { .. } => {
                alloc::format!("CertificatePinMismatch: {error}")
            }
            other => other.to_string(),
        };
        match kind {
            ReqKind::Pair if not_sent => {
                self.finish_rejected(RejectReason::Unavailable, None, &alloc::format!("Unreachable: {detail}"));
            }
            ReqKind::Pair => self.finish_unknown_no_uti(
                UnknownReason::RequestReplyLost,
                "PairingOutcomeUnknown: the code may be used up; get a new one",
            ),
            ReqKind::Post if not_sent => {
                self.finish_rejected(RejectReason::Unavailable, None, &alloc::format!("Unreachable: {detail}"));
            }
            ReqKind::Post => self.finish_unknown_no_uti(
                UnknownReason::RequestReplyLost,
                "the POST may have reached the terminal: check its screen or last receipt for the reference",
            ),
            ReqKind::Get => {
                if let TransportError::CertificateMismatch { .. } = error {
                    self.note_error(detail);
                    self.finish_unknown_polling(
                        UnknownReason::NoResult,
                        "CertificatePinMismatch: re-pair deliberately, then query the UTI",
                    );
                } else {
                    self.poll_result(now, Poll::Transient(detail));
                }
            }
            ReqKind::Delete => {
                let retry = super::is_retry_safe(pos_core::Method::Delete, true, not_sent)
                    && !matches!(error, TransportError::CertificateMismatch { .. })
                    && self.active.as_ref().is_some_and(|a| !a.cancel_retried);
                if let (true, Some(a)) = (retry, self.active.as_mut()) {
                    a.cancel_retried = true;
                    a.cancel = CancelState::Queued;
                } else {
                    self.cancel_done(&alloc::format!("CancelOutcomeUnknown: {detail}"));
                }
                self.resume_polling(now);
            }
        }
        self.next_request(now);
    }

    fn take_inflight(&mut self, id: RequestId) -> Option<ReqKind> {
        let a = self.active.as_mut()?;
        let (current, kind) = a.inflight?;
        if current != id {
            return None;
        }
        a.inflight = None;
        let timer = match kind {
            ReqKind::Pair => TimerKind::PairResponse,
            ReqKind::Post => TimerKind::StartResponse,
            ReqKind::Get | ReqKind::Delete => TimerKind::RequestTimeout,
        };
        self.timers.clear(timer);
        Some(kind)
    }

    fn learn_fingerprint(&mut self, fp: Fingerprint) {
        // Trust on first use: only a machine with no pin learns one outside pairing.
        if self.pin.is_none() {
            self.pin = Some(fp);
            self.out.event(Event::Notice(Notice::TrustCertificate(fp)));
        }
    }

    fn on_pair(&mut self, response: &HttpResponse) {
        let status = response.status;
        let text = || codec::error_text(&response.body);
        match status {
            200..=299 => {}
            404 | 405 => {
                return self.finish_rejected(
                    RejectReason::NotFound,
                    Some(status),
                    &alloc::format!(
                        "EndpointNotFound: check path, port and version ({})",
                        text()
                    ),
                );
            }
            400..=499 => {
                return self.finish_rejected(
                    RejectReason::Invalid,
                    Some(status),
                    &alloc::format!("PairingRejected: wrong, expired or used code ({})", text()),
                );
            }
            _ => {
                return self.finish_rejected(
                    RejectReason::Other,
                    Some(status),
                    &alloc::format!("PairingFailed(TerminalError): {}", text()),
                );
            }
        }
        let parsed = codec::decode_pair_response(&response.body);
        let pair = match parsed {
            Ok(p) if ident::check_token(&p.auth_token).is_ok() => p,
            Ok(_) => {
                return self.finish_rejected(
                    RejectReason::Other,
                    Some(status),
                    "PairingFailed(MalformedResponse): the token is not 1-256 visible characters",
                );
            }
            Err(e) => {
                return self.finish_rejected(
                    RejectReason::Other,
                    Some(status),
                    &alloc::format!("PairingFailed(MalformedResponse): {e}"),
                );
            }
        };
        if let Some(serial) = &pair.serial_number {
            let same = serial
                .trim()
                .eq_ignore_ascii_case(self.config.serial.trim());
            if !same && !self.config.accept_serial_mismatch {
                return self.finish_rejected(
                    RejectReason::Other,
                    Some(status),
                    &alloc::format!(
                        "PairingFailed(SerialMismatch): the terminal says {serial}, expected {}",
                        self.config.serial
                    ),
                );
            }
        }
        let token = Secret::new(pair.auth_token);
        self.token = Some(token.clone());
        self.out.event(Event::Notice(Notice::Credential {
            name: TOKEN_CREDENTIAL.into(),
            value: token,
        }));
        let serial = pair
            .serial_number
            .unwrap_or_else(|| self.config.serial.clone());
        self.finish_paired(&serial);
    }

    fn on_post(&mut self, now: Timestamp, response: &HttpResponse) {
        let status = response.status;
        let text = codec::error_text(&response.body);
        let reject = |reason, label: &str| (reason, alloc::format!("{label}: {text}"));
        let rejection = match status {
            200..=299 => return self.on_started(now, response),
            409 => Some(reject(RejectReason::Busy, "Busy")),
            401 | 403 => {
                self.out.event(Event::Notice(Notice::ReauthNeeded {
                    code: status.to_string(),
                }));
                Some(reject(RejectReason::Unauthorized, "Unauthorized: re-pair"))
            }
            404 | 405 => Some(reject(RejectReason::NotFound, "EndpointNotFound")),
            300..=399 => Some(reject(RejectReason::Other, "UnexpectedStatus")),
            408 => None,
            400..=499 => {
                let reason = if text.to_ascii_lowercase().contains("busy") {
                    RejectReason::Busy
                } else {
                    RejectReason::Invalid
                };
                Some(reject(reason, "Rejected"))
            }
            500..=599 => {
                self.out.event(Event::Notice(Notice::ProtocolError {
                    detail: alloc::format!("TerminalError {status}: {text}"),
                }));
                return self.finish_unknown_no_uti(
                    UnknownReason::TerminalReportedUnknown,
                    "the terminal failed after the POST: it may have begun; check its screen",
                );
            }
            _ => None,
        };
        match rejection {
            Some((reason, message)) => self.finish_rejected(reason, Some(status), &message),
            None => self.finish_unknown_no_uti(
                UnknownReason::RequestReplyLost,
                &alloc::format!("the POST got status {status}: it may have reached the terminal"),
            ),
        }
    }

    fn on_started(&mut self, now: Timestamp, response: &HttpResponse) {
        let parsed = codec::decode_start_response(&response.body).ok();
        let uti = parsed
            .as_ref()
            .and_then(|p| p.uti.clone())
            .filter(|u| ident::check_terminal_uti(u).is_ok());
        let Some(uti) = uti else {
            return self.finish_unknown_no_uti(
                UnknownReason::RequestReplyLost,
                "the terminal answered without a usable UTI",
            );
        };
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let original = a.request.as_ref().and_then(|r| r.uti.clone());
        if original.as_deref() == Some(uti.as_str()) {
            a.uti = Some(uti);
            return self.finish_unknown_polling(
                UnknownReason::ConflictingEvidence,
                "AmbiguousUti: the terminal answered with the original's UTI",
            );
        }
        if let (Some(p), Some(req)) = (parsed.as_ref(), a.request.as_ref()) {
            let type_differs = p.trans_type.as_ref().is_some_and(|t| *t != req.trans_type);
            let amount_differs = p.amount_trans.is_some() && p.amount_trans != req.amount_trans;
            if type_differs || amount_differs {
                a.anomalies.push(Anomaly::EchoMismatch);
            }
        }
        a.uti = Some(uti.clone());
        a.grace_until = Some(now + self.config.timers.not_found_grace);
        let txn = a.txn;
        self.persist();
        self.progress(txn, Stage::Accepted, &alloc::format!("started, UTI {uti}"));
        let t = self.config.timers;
        self.timers
            .set(TimerKind::OverallDeadline, now + t.overall_deadline);
        self.schedule_poll(now, t.first_poll);
    }

    fn on_get(&mut self, now: Timestamp, response: &HttpResponse) {
        let status = response.status;
        let in_grace = self
            .active
            .as_ref()
            .and_then(|a| a.grace_until)
            .is_some_and(|g| now < g);
        let is_query = self.active.as_ref().is_some_and(|a| a.job == Job::Query);
        let verdict = match status {
            206 => {
                self.read_statuses(&response.body);
                Poll::InProgress
            }
            200..=299 => {
                let parsed = codec::decode_result(&response.body, self.config.max_body_bytes);
                match parsed {
                    Ok(result) if result.is_final() => {
                        let polled = self.active.as_ref().and_then(|a| a.uti.clone());
                        if result.uti.is_some() && result.uti != polled {
                            let detail = alloc::format!(
                                "the result names UTI {:?}, not the polled one",
                                result.uti.as_deref().unwrap_or("")
                            );
                            self.out.event(Event::Notice(Notice::ProtocolError {
                                detail: detail.clone(),
                            }));
                            Poll::Transient(detail)
                        } else {
                            return self.finish_final(&result);
                        }
                    }
                    Ok(result) => {
                        self.progress_from(&result);
                        Poll::InProgress
                    }
                    Err(_) => Poll::InProgress,
                }
            }
            404 if in_grace => Poll::InProgress,
            404 if is_query => {
                return self.finish_rejected(
                    RejectReason::NotFound,
                    Some(404),
                    "NotFound: the terminal does not know this UTI",
                );
            }
            404 | 408 | 429 | 500..=599 => Poll::Transient(alloc::format!(
                "status {status}: {}",
                codec::error_text(&response.body)
            )),
            401 | 403 => {
                self.out.event(Event::Notice(Notice::ReauthNeeded {
                    code: status.to_string(),
                }));
                self.note_error(alloc::format!("status {status} while polling"));
                return self.finish_unknown_polling(
                    UnknownReason::Unauthorized,
                    "Unauthorized: re-pair, then query the UTI; the transaction may still complete",
                );
            }
            _ => {
                self.note_error(alloc::format!(
                    "status {status}: {}",
                    codec::error_text(&response.body)
                ));
                return self.finish_unknown_polling(
                    UnknownReason::NoResult,
                    &alloc::format!("QueryRejected {{ status: {status} }}: query the UTI later"),
                );
            }
        };
        self.poll_result(now, verdict);
    }

    fn poll_result(&mut self, now: Timestamp, verdict: Poll) {
        let t = self.config.timers;
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let delay = match verdict {
            Poll::InProgress => {
                a.transient = 0;
                t.poll_interval
            }
            Poll::Transient(detail) => {
                a.transient = a.transient.saturating_add(1);
                a.last_error = Some(detail);
                let factor = 1u32 << a.transient.min(16);
                t.poll_interval.saturating_mul(factor).min(t.max_backoff)
            }
        };
        self.schedule_poll(now, delay);
    }

    fn on_delete(&mut self, now: Timestamp, response: &HttpResponse) {
        let status = response.status;
        let text = codec::error_text(&response.body);
        match status {
            200..=299 => {
                let accepted = codec::decode_result(&response.body, self.config.max_body_bytes)
                    .is_ok_and(|r| r.trans_cancelled == Some(true));
                if accepted {
                    if let Some(a) = self.active.as_mut() {
                        a.cancel = CancelState::Accepted;
                        let txn = a.txn;
                        self.progress(
                            txn,
                            Stage::CancelRequested,
                            "cancel accepted by the terminal",
                        );
                    }
                    self.timers.set(
                        TimerKind::CancelGrace,
                        now + self.config.timers.cancel_grace,
                    );
                } else {
                    self.cancel_done("CancelRefused: the terminal went on (too late to cancel)");
                }
            }
            405 | 501 => {
                self.cancel_supported = false;
                self.cancel_done("CancelUnsupported: the terminal does not offer cancel");
            }
            401 | 403 => {
                self.out.event(Event::Notice(Notice::ReauthNeeded {
                    code: status.to_string(),
                }));
                self.cancel_done(&alloc::format!("CancelRefused: status {status}"));
            }
            500..=599 => self.cancel_done(&alloc::format!(
                "CancelOutcomeUnknown: status {status}: {text}"
            )),
            _ => self.cancel_done(&alloc::format!("CancelRefused: status {status}: {text}")),
        }
        self.resume_polling(now);
    }

    fn cancel_done(&mut self, reason: &str) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        a.cancel = CancelState::Over;
        let txn = a.txn;
        self.cancel_notice(txn, reason);
    }

    /// Keeps polling after a DELETE: a poll that came due meanwhile goes out now.
    fn resume_polling(&mut self, now: Timestamp) {
        if !self.timers.is_armed(TimerKind::PollInterval)
            && self.active.as_ref().is_some_and(|a| !a.poll_due)
        {
            self.schedule_poll(now, self.config.timers.poll_interval);
        }
    }

    fn read_statuses(&mut self, body: &[u8]) {
        if let Ok(result) = codec::decode_result(body, self.config.max_body_bytes) {
            self.progress_from(&result);
        }
    }

    fn progress_from(&mut self, result: &crate::message::TransactionResult) {
        let Some(list) = result.statuses.as_ref() else {
            return;
        };
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let txn = a.txn;
        let seen = a.statuses_seen;
        if list.len() <= seen {
            return;
        }
        a.statuses_seen = list.len();
        let fresh: Vec<_> = list.iter().skip(seen).cloned().collect();
        for entry in fresh {
            let stage = match entry.status_value {
                0 => Stage::Accepted,
                12 => Stage::PresentCard,
                6 => Stage::CardRead,
                14 | 15 => Stage::PinEntry,
                16 => Stage::Authorising,
                _ => Stage::Other,
            };
            let message = alloc::format!("{} {}", entry.status_value, entry.status_description);
            self.progress(txn, stage, message.trim());
        }
    }

    fn on_late_post(&mut self, response: &HttpResponse) {
        let Some((_, txn)) = self.late_post.take() else {
            return;
        };
        let uti = response
            .is_success()
            .then(|| codec::decode_start_response(&response.body).ok())
            .flatten()
            .and_then(|p| p.uti)
            .filter(|u| ident::check_terminal_uti(u).is_ok());
        let detail = match uti {
            Some(uti) => {
                self.unresolved.insert(uti.clone(), txn);
                alloc::format!("LateUti {uti}: query it to learn the outcome")
            }
            None => alloc::format!("late POST reply with status {}", response.status),
        };
        self.out.event(Event::Notice(Notice::LateResult {
            txn: Some(txn),
            detail,
        }));
    }

    fn note_error(&mut self, detail: String) {
        if let Some(a) = self.active.as_mut() {
            a.last_error = Some(detail);
        }
    }

    pub(super) fn deadline_passed(&mut self) {
        let last = self
            .active
            .as_ref()
            .and_then(|a| a.last_error.clone())
            .map_or_else(String::new, |e| alloc::format!("; last error: {e}"));
        self.finish_unknown_polling(
            UnknownReason::NoResult,
            &alloc::format!("DeadlineExceeded: query the UTI to learn the outcome{last}"),
        );
    }

    pub(super) fn emit_finished(&mut self, outcome: Outcome) {
        let Some(a) = self.active.take() else { return };
        self.timers.clear_all();
        if let (Outcome::Unknown(_), Some(uti)) = (&outcome, &a.uti) {
            if a.job == Job::Money {
                self.unresolved.insert(uti.clone(), a.txn);
            }
        }
        self.out.event(Event::Finished {
            txn: a.txn,
            outcome,
        });
    }
}
