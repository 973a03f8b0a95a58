//! Configuration: the TOML file, the stored pairing state, environment variables and `--set`
//! overrides, merged in that order into one table per vendor and deserialised into the vendor
//! crate's own `Config`.
//!
//! ```toml
//! journal = "pos-journal.jsonl"   # where transactions are journalled before money moves
//! state = "pos-state.toml"        # where pairing tokens and pinned certificates are stored
//!
//! [paynt]                         # the fields of paynt_proto::Config
//! host = "192.168.1.50"
//! ```

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use crate::args::{CommonArgs, Vendor};
use crate::exit::CliError;

/// The default configuration file, read when it exists.
pub(crate) const DEFAULT_FILE: &str = "pos.toml";

/// Everything a real-terminal command needs to know besides its operation.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The vendor of the terminal.
    pub(crate) vendor: Vendor,
    /// The journal file.
    pub(crate) journal: PathBuf,
    /// The file pairing tokens and pinned fingerprints are written to.
    pub(crate) state: PathBuf,
    /// The vendor's table, every source merged.
    pub(crate) table: Table,
}

impl Settings {
    /// Loads the settings for the command's vendor.
    ///
    /// # Errors
    /// A usage error for a missing vendor, an unreadable or malformed file, or a bad override.
    pub(crate) fn load(common: &CommonArgs) -> Result<Self, CliError> {
        let vendor = common.vendor.ok_or_else(|| {
            CliError::usage("no vendor: pass --vendor codepay|paynt|interpay|connect")
        })?;
        let file = match &common.config {
            Some(path) => read_table(path)?,
            None if Path::new(DEFAULT_FILE).exists() => read_table(Path::new(DEFAULT_FILE))?,
            None => Table::new(),
        };
        let path_of = |key: &str, default: &str| match file.get(key) {
            Some(Value::String(s)) => Ok(PathBuf::from(s)),
            None => Ok(PathBuf::from(default)),
            Some(_) => Err(CliError::usage(format!("{key} must be a path (a string)"))),
        };
        let journal = path_of("journal", "pos-journal.jsonl")?;
        let state = path_of("state", "pos-state.toml")?;
        let mut table = crate::vendors::defaults(vendor);
        match file.get(vendor.name()) {
            Some(Value::Table(t)) => merge(&mut table, t.clone()),
            None => {}
            Some(_) => {
                return Err(CliError::usage(format!(
                    "[{}] in the configuration must be a table",
                    vendor.name()
                )));
            }
        }
        if state.exists() {
            if let Some(Value::Table(stored)) = read_table(&state)?.remove(vendor.name()) {
                merge(&mut table, stored);
            }
        }
        for (key, value) in env_overrides(vendor) {
            let label = format!("POS_{}_{}", vendor.name(), key).to_ascii_uppercase();
            set(&mut table, &key, &value, &label)?;
        }
        for item in &common.overrides {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("--set {item:?}: expected KEY=VALUE")))?;
            let key = key.trim();
            let prefix = format!("{}.", vendor.name());
            let Some(key) = key.strip_prefix(&prefix) else {
                return Err(CliError::usage(format!(
                    "--set {key}: keys start with the vendor, e.g. {prefix}host"
                )));
            };
            set(&mut table, key, value, &format!("{prefix}{key}"))?;
        }
        Ok(Self {
            vendor,
            journal,
            state,
            table,
        })
    }

    /// Deserialises the vendor table into the vendor crate's configuration type.
    ///
    /// # Errors
    /// A usage error naming the field serde could not read.
    pub(crate) fn vendor_config<T: DeserializeOwned>(&self) -> Result<T, CliError> {
        Value::Table(self.table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                CliError::usage(format!(
                    "[{}] configuration: {}",
                    self.vendor.name(),
                    e.message().trim()
                ))
            })
    }

    /// Returns a string key of the vendor table, e.g. `currency`.
    pub(crate) fn string(&self, key: &str) -> Option<&str> {
        self.table.get(key).and_then(Value::as_str)
    }

    /// Stores `key = value` in the vendor's table of the state file, creating it if needed.
    ///
    /// # Errors
    /// A failure when the file cannot be read or written.
    pub(crate) fn store(&self, key: &str, value: &str) -> Result<(), CliError> {
        let mut state = if self.state.exists() {
            read_table(&self.state)?
        } else {
            Table::new()
        };
        let entry = state
            .entry(self.vendor.name())
            .or_insert_with(|| Value::Table(Table::new()));
        if let Value::Table(t) = entry {
            t.insert(key.to_owned(), Value::String(value.to_owned()));
        }
        let text = toml::to_string(&state).map_err(|e| CliError::failure(e.to_string()))?;
        write_private(&self.state, &text)
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", self.state.display())))
    }
}

/// Reads a TOML file into a table.
fn read_table(path: &Path) -> Result<Table, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    text.parse::<Table>().map_err(|e| {
        CliError::usage(format!(
            "{} is not valid TOML: {}",
            path.display(),
            e.message().trim()
        ))
    })
}

/// Merges `from` into `into`, tables recursively, other values replacing.
fn merge(into: &mut Table, from: Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Table(a)), Value::Table(b)) => merge(a, b),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Returns `(key, value)` for every `POS_<VENDOR>_<KEY>` variable; `__` nests (`.`).
fn env_overrides(vendor: Vendor) -> Vec<(String, String)> {
    let prefix = format!("POS_{}_", vendor.name().to_ascii_uppercase());
    let mut found: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(&prefix)?;
            Some((rest.to_ascii_lowercase().replace("__", "."), v))
        })
        .collect();
    found.sort();
    found
}

/// Sets a dotted key. The value keeps the type of what is already there (a digit string for a
/// string field stays a string); a new key is a string unless it is `true`/`false` or an
/// inline TOML array, table or quoted string.
fn set(table: &mut Table, key: &str, raw: &str, label: &str) -> Result<(), CliError> {
    let bad = || CliError::usage(format!("bad configuration key {label:?}"));
    let mut parts = key.split('.').peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        if part.is_empty() {
            return Err(bad());
        }
        if parts.peek().is_none() {
            let value = typed(current.get(part), raw)
                .ok_or_else(|| CliError::usage(format!("{label}: {raw:?} is not a valid value")))?;
            current.insert(part.to_owned(), value);
            return Ok(());
        }
        let next = current
            .entry(part)
            .or_insert_with(|| Value::Table(Table::new()));
        current = match next {
            Value::Table(t) => t,
            _ => return Err(bad()),
        };
    }
    Err(bad())
}

/// Converts an override to the type of the value it replaces.
fn typed(existing: Option<&Value>, raw: &str) -> Option<Value> {
    let raw = raw.trim();
    let parsed = || {
        format!("v = {raw}")
            .parse::<Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
    };
    match existing {
        Some(Value::String(_)) => Some(Value::String(unquote(raw))),
        Some(Value::Integer(_)) => raw.parse::<i64>().ok().map(Value::Integer),
        Some(Value::Boolean(_)) => raw.parse::<bool>().ok().map(Value::Boolean),
        Some(_) => parsed(),
        None if raw == "true" || raw == "false" || raw.starts_with(['[', '{', '"']) => parsed(),
        None => Some(Value::String(raw.to_owned())),
    }
}

fn unquote(raw: &str) -> String {
    raw.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw)
        .to_owned()
}

/// Writes a file readable by its owner only (it may hold a token).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn overrides_keep_the_type_of_the_field_they_replace() {
        let mut t: Table = "tid = \"1\"\nport = 1\nflag = false\n[timers]\nsecs = 2"
            .parse()
            .unwrap();
        set(&mut t, "tid", "40917263", "k").unwrap();
        set(&mut t, "port", "8443", "k").unwrap();
        set(&mut t, "flag", "true", "k").unwrap();
        set(&mut t, "timers.secs", "5", "k").unwrap();
        set(&mut t, "token", "0123", "k").unwrap();
        assert_eq!(t["tid"].as_str(), Some("40917263"));
        assert_eq!(t["port"].as_integer(), Some(8443));
        assert_eq!(t["flag"].as_bool(), Some(true));
        assert_eq!(t["timers"]["secs"].as_integer(), Some(5));
        assert_eq!(t["token"].as_str(), Some("0123"));
        assert!(set(&mut t, "port", "eighty", "k").is_err());
        assert!(set(&mut t, "tid.x", "1", "k").is_err());
    }

    #[test]
    fn merge_replaces_leaves_and_keeps_siblings() {
        let mut a: Table = "x = 1\n[t]\na = 1\nb = 2".parse().unwrap();
        merge(&mut a, "[t]\nb = 3".parse().unwrap());
        assert_eq!(a["t"]["a"].as_integer(), Some(1));
        assert_eq!(a["t"]["b"].as_integer(), Some(3));
        assert_eq!(a["x"].as_integer(), Some(1));
    }
}
