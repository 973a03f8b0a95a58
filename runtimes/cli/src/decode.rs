//! `pos decode`: parses a captured vendor message with the vendor crate's `decode` and prints
//! the normalised result as JSON.

use std::io::Read;
use std::path::Path;

use crate::args::{DecodeArgs, Vendor};
use crate::exit::{CliError, Exit};

/// The largest message read.
const MAX_INPUT: u64 = 4 << 20;

/// Runs `pos decode`.
///
/// # Errors
/// A usage error for an unknown kind, an unreadable file or a message that does not parse.
pub(crate) fn run(args: &DecodeArgs) -> Result<Exit, CliError> {
    let kinds = kinds(args.vendor);
    if args.kind == "list" {
        for kind in kinds {
            println!("{kind}");
        }
        return Ok(Exit::Ok);
    }
    if !kinds.contains(&args.kind.as_str()) {
        return Err(CliError::usage(format!(
            "{} has no message kind {:?}; known kinds: {}",
            args.vendor.name(),
            args.kind,
            kinds.join(", ")
        )));
    }
    let bytes = read(args.file.as_deref())?;
    let value = decode(args.vendor, &args.kind, &bytes).map_err(|e| {
        CliError::usage(format!(
            "not a valid {} {}: {}",
            args.vendor.name(),
            args.kind,
            one_line(&e)
        ))
    })?;
    let text =
        serde_json::to_string_pretty(&value).map_err(|e| CliError::failure(e.to_string()))?;
    println!("{text}");
    Ok(Exit::Ok)
}

/// Returns the message kinds a vendor's `decode` knows.
pub(crate) fn kinds(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::Codepay => codepay_proto::DECODE_KINDS,
        Vendor::Paynt => paynt_proto::DECODE_KINDS,
        Vendor::Interpay => interpay_proto::DECODE_KINDS,
        Vendor::Connect => connect_proto::DECODE_KINDS,
    }
}

fn decode(vendor: Vendor, kind: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    match vendor {
        Vendor::Codepay => codepay_proto::decode(kind, bytes).map_err(|e| e.to_string()),
        Vendor::Paynt => paynt_proto::decode(kind, bytes).map_err(|e| e.to_string()),
        Vendor::Interpay => interpay_proto::decode(kind, bytes).map_err(|e| e.to_string()),
        Vendor::Connect => connect_proto::decode(kind, bytes).map_err(|e| e.to_string()),
    }
}

/// Reads the file, or standard input for `-` or no file.
fn read(file: Option<&Path>) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    let result = match file {
        None => std::io::stdin().take(MAX_INPUT).read_to_end(&mut bytes),
        Some(p) if p == Path::new("-") => std::io::stdin().take(MAX_INPUT).read_to_end(&mut bytes),
        Some(p) => std::fs::File::open(p).and_then(|f| f.take(MAX_INPUT).read_to_end(&mut bytes)),
    };
    result.map_err(|e| {
        let name = file.map_or_else(|| "standard input".into(), |p| p.display().to_string());
        CliError::usage(format!("cannot read {name}: {e}"))
    })?;
    Ok(bytes)
}

/// Keeps an error on one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
