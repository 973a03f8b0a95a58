//! The `pos` command: runs the four vendors' protocols against in-process simulators
//! (`pos demo`), drives real terminals (`pos sale`, `pos refund`, …), serves one simulator
//! (`pos sim`) and decodes captured messages (`pos decode`).
//!
//! Exit codes (see [`exit::Exit`]): 0 approved or done, 1 declined or cancelled, 2 usage
//! (bad input, configuration, unreachable endpoint; nothing charged), 3 rejected, 4 unknown,
//! 5 demo mismatch or internal failure.
// Printing is this binary's job.
#![allow(clippy::print_stdout)]

mod args;
mod config;
mod decode;
mod demo;
mod exit;
mod ops;
mod output;
mod sim;
mod vendors;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::exit::Exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let exit = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Ok
                }
                _ => Exit::Usage,
            };
            if exit == Exit::Ok
                || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
            } else {
                eprintln!(
                    "pos: error: {} (see `pos --help`)",
                    first_line(&e.to_string())
                );
            }
            return exit.into();
        }
    };
    let result = match &cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Decode(args) => decode::run(args),
        other => ops::run(other),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("pos: error: {}", decode::one_line(&e.to_string()));
            e.exit().into()
        }
    }
}

/// Returns clap's message on one line, without the `error: ` prefix and the usage lines.
fn first_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| !l.is_empty())
        .collect();
    let line = parts.join(" ");
    let line = line.trim_start_matches("error: ");
    if line.is_empty() {
        "invalid arguments".to_owned()
    } else {
        line.to_owned()
    }
}
