//! The command line, as clap parses it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Drive card terminals from the command line, or try the protocols against simulators.
#[derive(Debug, Parser)]
#[command(name = "pos", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the shared scenario table through every vendor against in-process simulators.
    Demo(DemoArgs),
    /// Charge a card.
    Sale(SaleArgs),
    /// Refund to a card, referenced with --original or unreferenced.
    Refund(RefundArgs),
    /// Void an earlier transaction.
    Void(OriginalArgs),
    /// Reserve an amount to capture later.
    Preauth(AmountArgs),
    /// Capture a pre-authorisation.
    Completion(CompletionArgs),
    /// Change the tip of an approved sale.
    TipAdjust(TipAdjustArgs),
    /// Cancel the transaction left unfinished in the journal (after a crash or Ctrl-C).
    Cancel(CancelArgs),
    /// Take over the transaction left unfinished in the journal and report its true outcome.
    Resume(CancelArgs),
    /// Ask the terminal for the outcome of an earlier transaction.
    Lookup(OriginalArgs),
    /// Close the terminal's batch.
    BatchClose(CommonArgs),
    /// Run a report on the terminal.
    Report(ReportArgs),
    /// Pair with a terminal using the code it shows (Paynt).
    Pair(PairArgs),
    /// List the terminals behind a cloud account (Connect).
    Terminals(CommonArgs),
    /// Serve one simulator on a real socket until interrupted.
    Sim(SimArgs),
    /// Parse a captured vendor message and print what it means, as JSON.
    Decode(DecodeArgs),
}

/// A vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum Vendor {
    /// CodePay ECR Hub (WebSocket on the LAN).
    Codepay,
    /// Paynt EPOS API on PAX terminals (HTTPS on the LAN).
    Paynt,
    /// InterPay Terminal Payment API (cloud gateway with callbacks).
    Interpay,
    /// Paymentsense Connect Pay-at-Counter (cloud REST with polling).
    Connect,
}

impl Vendor {
    /// Every vendor, in table order.
    pub(crate) const ALL: [Self; 4] = [Self::Codepay, Self::Paynt, Self::Interpay, Self::Connect];

    /// Returns the vendor's name as the crates write it.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Codepay => "codepay",
            Self::Paynt => "paynt",
            Self::Interpay => "interpay",
            Self::Connect => "connect",
        }
    }
}

/// Options of `pos demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Only these vendors (default: all four).
    #[arg(long = "vendor", value_enum)]
    pub(crate) vendors: Vec<Vendor>,
    /// How much faster than real time the protocols run (timers, customer delays).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub(crate) speed: u32,
    /// Print the result table as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Options every real-terminal command takes.
#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    /// The vendor of the terminal.
    #[arg(long, value_enum, env = "POS_VENDOR")]
    pub(crate) vendor: Option<Vendor>,
    /// The configuration file (TOML; default `pos.toml` when it exists); see the README.
    #[arg(long, env = "POS_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Override a configuration key, e.g. `--set codepay.url=ws://192.0.2.10:35779/`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) overrides: Vec<String>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Give up waiting after this many seconds (the machine's own deadlines apply first).
    #[arg(long, default_value_t = 900)]
    pub(crate) timeout: u64,
    /// How to answer the terminal's signature check.
    #[arg(long, value_enum, default_value = "ask")]
    pub(crate) signature: SignaturePolicy,
}

/// How the CLI answers a signature check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignaturePolicy {
    /// Ask on the terminal (reject when standard input is not a terminal).
    Ask,
    /// Accept it.
    Accept,
    /// Reject it.
    Reject,
}

/// Options of commands that charge an amount.
#[derive(Debug, Args)]
pub(crate) struct AmountArgs {
    /// Common options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The amount in major units, e.g. 12.50.
    #[arg(long)]
    pub(crate) amount: String,
    /// The ISO 4217 currency code (default: the configuration's).
    #[arg(long)]
    pub(crate) currency: Option<String>,
    /// Your reference for the transaction.
    #[arg(long)]
    pub(crate) reference: Option<String>,
}

/// Options of `pos sale`.
#[derive(Debug, Args)]
pub(crate) struct SaleArgs {
    /// Amount options.
    #[command(flatten)]
    pub(crate) amount: AmountArgs,
    /// A tip on top, in major units.
    #[arg(long)]
    pub(crate) tip: Option<String>,
    /// Cash back on top, in major units.
    #[arg(long)]
    pub(crate) cashback: Option<String>,
}

/// Options of `pos refund`.
#[derive(Debug, Args)]
pub(crate) struct RefundArgs {
    /// Amount options.
    #[command(flatten)]
    pub(crate) amount: AmountArgs,
    /// The sale being refunded (its primary reference).
    #[arg(long)]
    pub(crate) original: Option<String>,
}

/// Options of commands about an earlier transaction.
#[derive(Debug, Args)]
pub(crate) struct OriginalArgs {
    /// Common options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The earlier transaction's primary reference.
    #[arg(long)]
    pub(crate) original: String,
}

/// Options of `pos completion`.
#[derive(Debug, Args)]
pub(crate) struct CompletionArgs {
    /// Amount options.
    #[command(flatten)]
    pub(crate) amount: AmountArgs,
    /// The pre-authorisation's primary reference.
    #[arg(long)]
    pub(crate) original: String,
}

/// Options of `pos tip-adjust`.
#[derive(Debug, Args)]
pub(crate) struct TipAdjustArgs {
    /// Common options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The sale's primary reference.
    #[arg(long)]
    pub(crate) original: String,
    /// The new tip, in major units.
    #[arg(long)]
    pub(crate) tip: String,
    /// The ISO 4217 currency code (default: the configuration's).
    #[arg(long)]
    pub(crate) currency: Option<String>,
}

/// Options of `pos cancel`.
#[derive(Debug, Args)]
pub(crate) struct CancelArgs {
    /// Common options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The transaction id from the journal (default: the latest unfinished one).
    #[arg(long)]
    pub(crate) txn: Option<String>,
}

/// Options of `pos report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Common options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Which report.
    #[arg(long, value_enum, default_value = "end-of-day")]
    pub(crate) kind: ReportChoice,
}

/// The reports `pos report` can run.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ReportChoice {
    /// End-of-day totals.
    EndOfDay,
    /// Running totals without closing.
    XBalance,
    /// Totals, closing the period.
    ZBalance,
    /// The acquirer's banking report.
    Banking,
}

/// Options of `pos pair`.
#[derive(Debug, Args)]
pub(crate) struct PairArgs {
    /// Common options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The code the terminal shows.
    #[arg(long)]
    pub(crate) code: String,
}

/// Options of `pos sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// Which simulator.
    #[arg(value_enum)]
    pub(crate) vendor: Vendor,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) listen: SocketAddr,
    /// How much faster than real time the simulator runs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub(crate) speed: u32,
    /// The simulator's seed, for repeatable identifiers.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Stop after this many seconds (default: until interrupted).
    #[arg(long)]
    pub(crate) exit_after: Option<u64>,
    /// Paynt: start paired with this token (default: print a pairing code and wait for /pair).
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// Serve HTTPS with a self-signed certificate (default for Paynt; plain for the others).
    #[arg(long)]
    pub(crate) tls: Option<bool>,
}

/// Options of `pos decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The vendor whose message it is.
    #[arg(value_enum)]
    pub(crate) vendor: Vendor,
    /// What kind of message (run `pos decode <vendor> list` to see the kinds).
    pub(crate) kind: String,
    /// The file holding the message; `-` or nothing reads standard input.
    pub(crate) file: Option<PathBuf>,
}
