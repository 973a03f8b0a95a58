//! The real-terminal commands: build the operation, run it through the vendor's machine with
//! the journal, show progress, store credentials, and print the outcome.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::time::Duration;

use pos_blocking::{Driver, DriverError, JsonLinesSink};
use pos_core::{
    Answer, CommandError, Event, Machine, Money, Notice, Operation, Outcome, PersistRecord,
    RejectReason, ReportKind,
};

use crate::args::{Command, CommonArgs, ReportChoice, SignaturePolicy};
use crate::config::Settings;
use crate::exit::{CliError, Exit};
use crate::output::{self, Finished, Printer};
use crate::vendors::{self, Job};

/// Runs a real-terminal command and returns its exit code.
///
/// # Errors
/// A usage error for bad input or configuration; a failure for a broken journal.
pub(crate) fn run(command: &Command) -> Result<Exit, CliError> {
    let (common, start) = plan(command)?;
    let settings = Settings::load(common)?;
    let start = match start {
        Plan::Op(make) => {
            let op = make(&settings)?;
            warn_unfinished(&settings);
            Start::Op(op)
        }
        Plan::Resume { txn, cancel } => Start::Resume {
            record: Box::new(unfinished(&settings, txn.as_deref())?),
            cancel,
        },
    };
    let printer = Printer::new();
    let job = TxnJob {
        start,
        settings: &settings,
        printer,
        timeout: Duration::from_secs(common.timeout),
        signature: common.signature,
    };
    let finished = vendors::run_job(&settings, job)??;
    if common.json {
        println!("{}", output::json(&finished));
    } else {
        print!("{}", output::human(&finished));
    }
    if let Outcome::Rejected(r) = &finished.outcome {
        if r.reason == RejectReason::Unavailable {
            let why = r.message.as_deref().unwrap_or("no answer");
            return Err(CliError::usage(format!(
                "cannot reach the {} endpoint: {why}",
                settings.vendor.name()
            )));
        }
    }
    Ok(Exit::for_outcome(finished.outcome.class()))
}

/// Builds an operation once the settings (and so the currency) are known.
type MakeOp<'a> = Box<dyn FnOnce(&Settings) -> Result<Operation, CliError> + 'a>;

/// What a command asks for.
enum Plan<'a> {
    /// Start a new operation.
    Op(MakeOp<'a>),
    /// Take over an unfinished transaction from the journal.
    Resume { txn: Option<String>, cancel: bool },
}

/// Splits a command into its common options and what to do.
fn plan(command: &Command) -> Result<(&CommonArgs, Plan<'_>), CliError> {
    Ok(match command {
        Command::Sale(a) => (
            &a.amount.common,
            Plan::Op(Box::new(move |s| {
                let currency = vendors::currency(s, a.amount.currency.as_deref())?;
                Ok(Operation::Sale {
                    amount: money("--amount", &a.amount.amount, currency)?,
                    tip: optional_money("--tip", a.tip.as_deref(), currency)?,
                    cashback: optional_money("--cashback", a.cashback.as_deref(), currency)?,
                    reference: a.amount.reference.clone(),
                })
            })),
        ),
        Command::Refund(a) => (
            &a.amount.common,
            Plan::Op(Box::new(move |s| {
                let currency = vendors::currency(s, a.amount.currency.as_deref())?;
                Ok(Operation::Refund {
                    amount: money("--amount", &a.amount.amount, currency)?,
                    original: a.original.clone(),
                    reference: a.amount.reference.clone(),
                })
            })),
        ),
        Command::Void(a) => (
            &a.common,
            Plan::Op(Box::new(move |_| {
                Ok(Operation::Void {
                    original: a.original.clone(),
                    reference: None,
                })
            })),
        ),
        Command::Preauth(a) => (
            &a.common,
            Plan::Op(Box::new(move |s| {
                let currency = vendors::currency(s, a.currency.as_deref())?;
                Ok(Operation::PreAuth {
                    amount: money("--amount", &a.amount, currency)?,
                    reference: a.reference.clone(),
                })
            })),
        ),
        Command::Completion(a) => (
            &a.amount.common,
            Plan::Op(Box::new(move |s| {
                let currency = vendors::currency(s, a.amount.currency.as_deref())?;
                Ok(Operation::Completion {
                    amount: money("--amount", &a.amount.amount, currency)?,
                    original: a.original.clone(),
                    reference: a.amount.reference.clone(),
                })
            })),
        ),
        Command::TipAdjust(a) => (
            &a.common,
            Plan::Op(Box::new(move |s| {
                let currency = vendors::currency(s, a.currency.as_deref())?;
                Ok(Operation::TipAdjust {
                    original: a.original.clone(),
                    tip: money("--tip", &a.tip, currency)?,
                })
            })),
        ),
        Command::Lookup(a) => (
            &a.common,
            Plan::Op(Box::new(move |_| {
                Ok(Operation::Lookup {
                    original: a.original.clone(),
                })
            })),
        ),
        Command::BatchClose(c) => (c, Plan::Op(Box::new(|_| Ok(Operation::BatchClose)))),
        Command::Report(a) => (
            &a.common,
            Plan::Op(Box::new(move |_| {
                let kind = match a.kind {
                    ReportChoice::EndOfDay => ReportKind::EndOfDay,
                    ReportChoice::XBalance => ReportKind::XBalance,
                    ReportChoice::ZBalance => ReportKind::ZBalance,
                    ReportChoice::Banking => ReportKind::Banking,
                };
                Ok(Operation::Report { kind })
            })),
        ),
        Command::Pair(a) => (
            &a.common,
            Plan::Op(Box::new(move |_| {
                Ok(Operation::Pair {
                    code: a.code.clone(),
                })
            })),
        ),
        Command::Terminals(c) => (c, Plan::Op(Box::new(|_| Ok(Operation::ListTerminals)))),
        Command::Cancel(a) => (
            &a.common,
            Plan::Resume {
                txn: a.txn.clone(),
                cancel: true,
            },
        ),
        Command::Resume(a) => (
            &a.common,
            Plan::Resume {
                txn: a.txn.clone(),
                cancel: false,
            },
        ),
        Command::Demo(_) | Command::Sim(_) | Command::Decode(_) => {
            return Err(CliError::failure("not a terminal command"));
        }
    })
}

/// Parses an amount in major units.
fn money(flag: &str, text: &str, currency: pos_core::Currency) -> Result<Money, CliError> {
    Money::parse_major(text.trim(), currency)
        .map_err(|e| CliError::usage(format!("{flag} {text:?}: {e}")))
}

fn optional_money(
    flag: &str,
    text: Option<&str>,
    currency: pos_core::Currency,
) -> Result<Option<Money>, CliError> {
    text.map(|t| money(flag, t, currency)).transpose()
}

/// Returns the unfinished journal record to take over: `txn` or the vendor's latest.
fn unfinished(settings: &Settings, txn: Option<&str>) -> Result<PersistRecord, CliError> {
    let records = JsonLinesSink::unfinished(&settings.journal)
        .map_err(|e| CliError::usage(format!("journal: {e}")))?;
    let vendor = settings.vendor.name();
    let mut mine = records.into_iter().filter(|r| r.vendor == vendor);
    let found = match txn {
        Some(wanted) => {
            mine.rfind(|r| r.txn.to_string() == wanted || r.txn.0.to_string() == wanted)
        }
        None => mine.next_back(),
    };
    found.ok_or_else(|| {
        CliError::usage(format!(
            "no unfinished {vendor} transaction{} in {}",
            txn.map(|t| format!(" {t}")).unwrap_or_default(),
            settings.journal.display()
        ))
    })
}

/// Warns when the journal holds an unfinished transaction of this vendor.
fn warn_unfinished(settings: &Settings) {
    if let Ok(records) = JsonLinesSink::unfinished(&settings.journal) {
        let vendor = settings.vendor.name();
        if let Some(r) = records.iter().rev().find(|r| r.vendor == vendor) {
            eprintln!(
                "pos: warning: {} is unfinished in {}; `pos resume` or `pos cancel` settles it",
                r.txn,
                settings.journal.display()
            );
        }
    }
}

/// How the command begins.
enum Start {
    Op(Operation),
    Resume {
        record: Box<PersistRecord>,
        cancel: bool,
    },
}

/// Runs one transaction to its outcome with any vendor's driver.
struct TxnJob<'a> {
    start: Start,
    settings: &'a Settings,
    printer: Arc<Printer>,
    timeout: Duration,
    signature: SignaturePolicy,
}

impl Job for TxnJob<'_> {
    type Output = Result<Finished, CliError>;

    fn run<M: Machine>(self, mut driver: Driver<M>, ready: fn(&M) -> bool) -> Self::Output {
        let vendor = self.settings.vendor.name();
        let printer = self.printer.clone();
        printer.set_label(format!("{vendor}: waiting for the terminal"));
        let _spinner = printer.spin();
        let mut stored: Vec<CliError> = Vec::new();
        let mut reports = Vec::new();
        let mut on_event = |event: &Event| -> Option<Answer> {
            if let Some(text) = output::describe(event) {
                printer.line(&format!("[{vendor}] {text}"));
            }
            match event {
                Event::Notice(Notice::Credential { name, value }) => {
                    let key = if name == "paynt_token" { "token" } else { name };
                    if let Err(e) = self.settings.store(key, value.expose()) {
                        stored.push(e);
                    } else {
                        printer.line(&format!(
                            "[{vendor}] stored {name} in {}",
                            self.settings.state.display()
                        ));
                    }
                }
                Event::Notice(Notice::TrustCertificate(fp)) => {
                    if let Err(e) = self.settings.store("pinned_fingerprint", &fp.to_string()) {
                        stored.push(e);
                    }
                }
                Event::Report { report, .. } => reports.push(report.clone()),
                Event::Question { .. } => return Some(signature(self.signature, &printer)),
                _ => {}
            }
            None
        };
        wait_ready(&mut driver, ready, &mut on_event, self.timeout)?;
        let txn = match self.start {
            Start::Op(op) => driver.start(op),
            Start::Resume { record, cancel } => driver.resume(*record).inspect(|txn| {
                if cancel {
                    if let Err(e) = driver.cancel(*txn) {
                        printer.line(&format!("[{vendor}] cancel not sent: {e}"));
                    }
                }
            }),
        }
        .map_err(refused)?;
        let outcome = driver
            .finish_within(txn, self.timeout, &mut on_event)
            .map_err(|e| match e {
                DriverError::Deadline { txn } => CliError::Unknown(format!(
                    "gave up waiting for {txn}; it is journalled: `pos resume` or `pos cancel` settles it"
                )),
                other => CliError::failure(other.to_string()),
            })?;
        if let Some(e) = stored.pop() {
            return Err(e);
        }
        Ok(Finished {
            vendor,
            txn,
            outcome,
            reports,
        })
    }
}

/// Waits until the machine takes commands (CodePay: connected), within `limit`.
fn wait_ready<M: Machine>(
    driver: &mut Driver<M>,
    ready: fn(&M) -> bool,
    on_event: &mut impl FnMut(&Event) -> Option<Answer>,
    limit: Duration,
) -> Result<(), CliError> {
    let until = driver.clock().now() + limit.min(Duration::from_secs(30));
    while !ready(driver.machine()) {
        if driver.clock().now() >= until {
            return Err(CliError::usage(
                "cannot reach the terminal: not connected (check host and port)",
            ));
        }
        let event = driver
            .next_event_within(Duration::from_millis(100))
            .map_err(|e| CliError::failure(e.to_string()))?;
        if let Some(event) = event {
            let _ = on_event(&event);
        }
    }
    Ok(())
}

/// Maps a refused command to the CLI's error.
fn refused(error: DriverError) -> CliError {
    match error {
        DriverError::Command(CommandError::NotPaired) => {
            CliError::usage("not paired with the terminal: run `pos pair --code CODE` first")
        }
        DriverError::Command(e) => CliError::usage(e.to_string()),
        other => CliError::failure(other.to_string()),
    }
}

/// Answers a signature question as the policy says.
fn signature(policy: SignaturePolicy, printer: &Printer) -> Answer {
    let accepted = match policy {
        SignaturePolicy::Accept => true,
        SignaturePolicy::Reject => false,
        SignaturePolicy::Ask => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                printer.line("Does the signature match the card? [y/N]");
                let mut line = String::new();
                let _ = stdin.lock().read_line(&mut line);
                matches!(line.trim(), "y" | "Y" | "yes")
            } else {
                false
            }
        }
    };
    printer.line(if accepted {
        "signature accepted"
    } else {
        "signature rejected"
    });
    Answer::Signature { accepted }
}
