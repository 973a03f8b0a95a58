//! `pos demo`: every vendor against its simulator over real loopback sockets, through the
//! shared scenario table, each (vendor, scenario) pair concurrently with its own simulator
//! server, on a clock running `--speed` times faster than real time.

mod setup;
mod table;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use pos_blocking::Clock;
use pos_core::Scenario;

use crate::args::{DemoArgs, Vendor};
use crate::exit::{CliError, Exit};
use crate::output::Printer;

use table::Row;

/// Runs the demo and returns `Ok` only when every outcome is the one the table names.
///
/// # Errors
/// A failure when a worker thread cannot be started.
pub(crate) fn run(args: &DemoArgs) -> Result<Exit, CliError> {
    let mut vendors = if args.vendors.is_empty() {
        Vendor::ALL.to_vec()
    } else {
        args.vendors.clone()
    };
    vendors.sort();
    vendors.dedup();
    let printer = Printer::new();
    let total = vendors.len() * Scenario::SHARED.len();
    let done = Arc::new(AtomicUsize::new(0));
    printer.line(&format!(
        "pos demo: {total} transactions ({} vendors x {} scenarios) at {}x speed",
        vendors.len(),
        Scenario::SHARED.len(),
        args.speed
    ));
    printer.set_label(format!("0 of {total} finished"));
    let spinner = printer.spin();
    let real = Clock::start();
    let mut workers = Vec::new();
    for vendor in &vendors {
        for scenario in Scenario::SHARED {
            let (vendor, speed) = (*vendor, args.speed);
            let (printer, done) = (printer.clone(), done.clone());
            let worker = thread::Builder::new()
                .name(format!("demo-{}-{scenario}", vendor.name()))
                .spawn(move || {
                    let row = setup::run(vendor, scenario, speed, &printer);
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    printer.set_label(format!("{n} of {total} finished"));
                    printer.line(&format!(
                        "[{}/{scenario}] => {}{}",
                        vendor.name(),
                        row.outcome,
                        if row.ok {
                            ""
                        } else {
                            "  (NOT what the table names)"
                        }
                    ));
                    row
                })
                .map_err(|e| CliError::failure(format!("cannot start a worker: {e}")))?;
            workers.push((vendor, scenario, worker));
        }
    }
    let rows: Vec<Row> = workers
        .into_iter()
        .map(|(vendor, scenario, worker)| {
            worker
                .join()
                .unwrap_or_else(|_| Row::failed(vendor, scenario, "the worker panicked"))
        })
        .collect();
    drop(spinner);
    let real_ms = real.now().as_millis();
    let passed = rows.iter().all(|r| r.ok);
    if args.json {
        println!("{}", table::json(&rows, args.speed, real_ms, passed));
    } else {
        print!("{}", table::human(&rows));
        println!(
            "{} of {} as the scenario table names, in {}.{:01} s real time",
            rows.iter().filter(|r| r.ok).count(),
            rows.len(),
            real_ms / 1000,
            real_ms % 1000 / 100
        );
    }
    Ok(if passed { Exit::Ok } else { Exit::Failure })
}
