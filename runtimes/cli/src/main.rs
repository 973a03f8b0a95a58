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
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Exit::Ok,
                _ => Exit::Usage,
            };
            if exit == Exit::Ok {
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

/// Returns clap's message without the `error: ` prefix and usage lines.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("invalid arguments");
    line.trim_start_matches("error: ").to_owned()
}
