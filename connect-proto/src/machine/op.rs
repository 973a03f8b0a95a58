//! One operation in flight: what it asked for, how far it got, what it wants to send next.

use alloc::string::String;
use alloc::vec::Vec;

use pos_core::{CommandError, Currency, Money, Operation, ReportKind, Timestamp, TxnId};

use crate::message::{ReportType, TransactionRequest, TransactionType, WireCurrency};
use crate::notify::NotificationDiff;

/// What an operation does on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// E3 then E4.
    Transaction(TransactionRequest),
    /// E7 then E8.
    Report(ReportType),
    /// E4 only, for a known request id.
    Lookup,
    /// E1 only.
    List,
}

/// The lifecycle state of §8.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The POST is queued or in flight.
    Starting,
    /// The POST got a 422; one E2 tells busy from invalid.
    Classifying,
    /// Polling E4/E8 (or E1 for a list).
    Polling,
    /// Recovery of §8.4.
    Recovering(Reason),
}

/// Why an operation is in recovery (§8.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Connect reported `TIMED_OUT`.
    ConnectTimedOut,
    /// A result value this crate does not know.
    UnrecognisedResult,
    /// `TRANSACTION_FINISHED` without a result.
    MissingResult,
    /// The POST may have arrived, but no request id came back.
    StartUnconfirmed,
    /// The transaction deadline passed.
    Deadline,
    /// 401/422 or repeated 4xx while polling.
    ConfigError,
    /// A 404 on a resumed or looked-up request id.
    NotFoundOrExpired,
}

impl Reason {
    /// Returns the spec's name for the reason.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::ConnectTimedOut => "ConnectTimedOut",
            Self::UnrecognisedResult => "UnrecognisedResult",
            Self::MissingResult => "MissingResult",
            Self::StartUnconfirmed => "StartUnconfirmed",
            Self::Deadline => "Deadline",
            Self::ConfigError => "ConfigError",
            Self::NotFoundOrExpired => "NotFoundOrExpired",
        }
    }
}

/// What the terminal looked like when recovery last checked it (§8.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TerminalAfter {
    /// Not checked, or E2 was refused.
    NotChecked,
    /// AVAILABLE.
    Available,
    /// BUSY.
    Busy,
    /// 404 or an unknown status.
    Unreachable,
}

impl TerminalAfter {
    /// Returns the name and the operator hint of §8.4.
    pub(crate) const fn hint(self) -> (&'static str, &'static str) {
        match self {
            Self::Available => ("Available", "CheckPdqLastTransaction"),
            Self::Busy => ("Busy", "WaitForPdqThenCheck"),
            Self::Unreachable => ("Unreachable", "CheckPdqPowerAndNetwork"),
            Self::NotChecked => ("NotChecked", "FixConfigurationThenCheckPdq"),
        }
    }
}

/// The signature prompt (§8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sig {
    /// No prompt.
    None,
    /// The prompt is open until `window_end`.
    Open {
        /// The local end of the window.
        window_end: Timestamp,
        /// The answer given, if any.
        answered: Option<bool>,
        /// How many times the answer was resent.
        resends: u8,
    },
    /// The window passed without a usable answer; later answers are refused.
    WindowClosed,
    /// Connect closed the prompt.
    Closed,
}

/// The cancel sub-state (§8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cancel {
    /// No cancel asked.
    None,
    /// Asked while starting; sent after the 201.
    AwaitingStart,
    /// Queued or sent; further calls send nothing.
    Pending {
        /// Resends so far.
        resends: u8,
    },
    /// Refused by the PDQ or rejected by Connect; a new call sends a new DELETE.
    Refused,
}

/// One operation of the machine.
#[derive(Clone, Debug)]
pub(crate) struct Op {
    pub(crate) txn: TxnId,
    pub(crate) operation: Operation,
    pub(crate) kind: OpKind,
    pub(crate) started_unix_ms: u64,
    pub(crate) phase: Phase,
    pub(crate) request_id: Option<String>,
    pub(crate) diff: NotificationDiff,
    /// Resumed without `seen`: emitted entries are marked replayed.
    pub(crate) replay: bool,
    /// Resumed or looked up: a 404 means expired, not offline.
    pub(crate) resumed: bool,
    pub(crate) deadline: Option<Timestamp>,
    pub(crate) recovery_end: Option<Timestamp>,
    pub(crate) post_due: Option<Timestamp>,
    pub(crate) poll_due: Option<Timestamp>,
    pub(crate) term_due: Option<Timestamp>,
    pub(crate) delete_due: Option<Timestamp>,
    pub(crate) sig_due: Option<Timestamp>,
    pub(crate) get_inflight: bool,
    pub(crate) ctl_inflight: bool,
    /// The signature PUT is on the wire (a part of `ctl_inflight`).
    pub(crate) sig_inflight: bool,
    pub(crate) post_inflight: bool,
    pub(crate) sig: Sig,
    pub(crate) cancel: Cancel,
    pub(crate) cancel_sent: bool,
    pub(crate) cancel_refused: bool,
    pub(crate) finish_polls_left: Option<u8>,
    pub(crate) unreachable_shown: bool,
    pub(crate) bad_4xx: u8,
    pub(crate) backoff_step: u8,
    pub(crate) terminal_after: TerminalAfter,
    pub(crate) last_seen: Option<crate::message::Transaction>,
    pub(crate) post_status: Option<(u16, Option<String>)>,
    pub(crate) evidence: Vec<String>,
}

impl Op {
    /// Builds a fresh operation in `phase`.
    pub(crate) fn new(
        txn: TxnId,
        operation: Operation,
        kind: OpKind,
        started_unix_ms: u64,
        phase: Phase,
    ) -> Self {
        Self {
            txn,
            operation,
            kind,
            started_unix_ms,
            phase,
            request_id: None,
            diff: NotificationDiff::new(),
            replay: false,
            resumed: false,
            deadline: None,
            recovery_end: None,
            post_due: None,
            poll_due: None,
            term_due: None,
            delete_due: None,
            sig_due: None,
            get_inflight: false,
            ctl_inflight: false,
            sig_inflight: false,
            post_inflight: false,
            sig: Sig::None,
            cancel: Cancel::None,
            cancel_sent: false,
            cancel_refused: false,
            finish_polls_left: None,
            unreachable_shown: false,
            bad_4xx: 0,
            backoff_step: 0,
            terminal_after: TerminalAfter::NotChecked,
            last_seen: None,
            post_status: None,
            evidence: Vec::new(),
        }
    }

    /// Returns true for a report operation.
    pub(crate) const fn is_report(&self) -> bool {
        matches!(self.kind, OpKind::Report(_))
    }

    /// Returns true while `cardholderNotPresent` is set on its request.
    pub(crate) fn is_cnp(&self) -> bool {
        matches!(&self.kind, OpKind::Transaction(r) if r.cardholder_not_present == Some(true))
    }

    /// Returns the currency of the request, if it has one.
    pub(crate) fn currency(&self) -> Option<Currency> {
        self.operation.amount().map(Money::currency)
    }
}

/// Turns a POS operation into a Connect request, refusing what Connect cannot do (§1, §4).
pub(crate) fn plan(
    op: &Operation,
    cashback_enabled: bool,
    cnp: bool,
) -> Result<OpKind, CommandError> {
    let unsupported = || CommandError::Unsupported { kind: op.kind() };
    let cnp_flag = cnp.then_some(true);
    let tx =
        |transaction_type, amount: Option<&Money>| -> Result<TransactionRequest, CommandError> {
            let (amount, currency) = match amount {
                Some(m) => (Some(minor(m)?), Some(wire_currency(m.currency())?)),
                None => (None, None),
            };
            Ok(TransactionRequest {
                transaction_type,
                amount,
                currency,
                amount_cashback: None,
                cardholder_not_present: None,
                auth_code: None,
                amount_pre_authorised_total: None,
            })
        };
    Ok(match op {
        Operation::Sale {
            amount,
            tip,
            cashback,
            ..
        } => {
            if tip.is_some() {
                return Err(unsupported());
            }
            let mut r = tx(TransactionType::Sale, Some(amount))?;
            if let Some(cb) = cashback.filter(|c| !c.is_zero()) {
                if !cashback_enabled {
                    return Err(unsupported());
                }
                if cb.currency() != amount.currency() {
                    return Err(invalid("cashback", "currency differs from the amount"));
                }
                let v = cb.minor_units();
                if !(0..=10_000).contains(&v) {
                    return Err(CommandError::AmountNotAccepted {
                        reason: "amountCashback must be 0..=10000 minor units".into(),
                    });
                }
                r.amount_cashback = Some(v);
            }
            r.cardholder_not_present = cnp_flag;
            OpKind::Transaction(r)
        }
        Operation::Refund {
            amount,
            original: None,
            ..
        } => {
            let mut r = tx(TransactionType::Refund, Some(amount))?;
            r.cardholder_not_present = cnp_flag;
            OpKind::Transaction(r)
        }
        Operation::PreAuth { amount, .. } => {
            let mut r = tx(TransactionType::PreAuth, Some(amount))?;
            r.cardholder_not_present = cnp_flag;
            OpKind::Transaction(r)
        }
        Operation::Completion {
            amount, original, ..
        } => {
            let mut r = tx(TransactionType::Completion, Some(amount))?;
            let (code, total) = match original.split_once('/') {
                Some((code, total)) => {
                    let total: i64 = total
                        .trim()
                        .parse()
                        .map_err(|_| invalid("original", "expected AUTHCODE/TOTAL_MINOR_UNITS"))?;
                    (code.trim(), total)
                }
                None => (original.trim(), minor(amount)?),
            };
            if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(CommandError::InvalidReference {
                    reference: original.clone(),
                    reason: "authCode must be 1-32 visible ASCII characters".into(),
                });
            }
            if !(1..=99_999_999).contains(&total) {
                return Err(invalid(
                    "amountPreAuthorisedTotal",
                    "must be 1..=99999999 minor units",
                ));
            }
            r.auth_code = Some(code.into());
            r.amount_pre_authorised_total = Some(total);
            r.cardholder_not_present = cnp_flag;
            OpKind::Transaction(r)
        }
        Operation::AccountVerification { currency, .. } => {
            let mut r = tx(TransactionType::AccountVerification, None)?;
            r.currency = Some(wire_currency(*currency)?);
            OpKind::Transaction(r)
        }
        Operation::ReprintLast => OpKind::Transaction(tx(TransactionType::Duplicate, None)?),
        Operation::Report { kind } => OpKind::Report(match kind {
            ReportKind::XBalance => ReportType::XBalance,
            ReportKind::ZBalance => ReportType::ZBalance,
            ReportKind::Banking => ReportType::Banking,
            _ => ReportType::EndOfDay,
        }),
        Operation::BatchClose => OpKind::Report(ReportType::EndOfDay),
        Operation::Lookup { original } => {
            let n = original.chars().count();
            if !(1..=64).contains(&n) || original.chars().any(char::is_control) {
                return Err(CommandError::InvalidReference {
                    reference: original.clone(),
                    reason: "a requestId is 1-64 characters".into(),
                });
            }
            OpKind::Lookup
        }
        Operation::ListTerminals => OpKind::List,
        _ => return Err(unsupported()),
    })
}

fn minor(m: &Money) -> Result<i64, CommandError> {
    let v = m.minor_units();
    if (1..=99_999_999).contains(&v) {
        Ok(v)
    } else {
        Err(CommandError::AmountNotAccepted {
            reason: "amount must be 1..=99999999 minor units".into(),
        })
    }
}

fn wire_currency(c: Currency) -> Result<WireCurrency, CommandError> {
    match c.code() {
        "GBP" => Ok(WireCurrency::Gbp),
        "EUR" => Ok(WireCurrency::Eur),
        other => Err(CommandError::AmountNotAccepted {
            reason: alloc::format!("Connect takes GBP or EUR, not {other}"),
        }),
    }
}

fn invalid(what: &str, reason: &str) -> CommandError {
    CommandError::InvalidArgument {
        what: what.into(),
        reason: reason.into(),
    }
}
