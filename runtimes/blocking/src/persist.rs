//! The persistence contract: where a driver journals each [`Event::Persist`] before it sends
//! the transmit that record protects.
//!
//! Executor-neutral: `pos-smol` and `pos-tokio` drive the same [`PersistSink`].
//!
//! [`Event::Persist`]: pos_core::Event::Persist

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pos_core::{PersistRecord, TxnId};

/// Receives persist records and the end of each transaction. The driver sends nothing more
/// for a transaction until `persist` returned `Ok`.
pub trait PersistSink: Send {
    /// Stores a record durably; it replaces any earlier record of the same transaction.
    ///
    /// # Errors
    /// [`PersistError`] when the record could not be stored; the driver then sends nothing.
    fn persist(&mut self, record: &PersistRecord) -> Result<(), PersistError>;

    /// Notes that a transaction finished, so its record is no longer needed for recovery.
    ///
    /// # Errors
    /// [`PersistError`] when the note could not be stored.
    fn finished(&mut self, txn: TxnId) -> Result<(), PersistError>;
}

/// A record could not be stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("could not persist: {reason}")]
#[non_exhaustive]
pub struct PersistError {
    /// Why.
    pub reason: String,
}

impl PersistError {
    /// Builds an error with a reason.
    #[must_use]
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Keeps records in memory: for tests and for a POS that stores them itself. Clones share
/// the same records.
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    inner: Arc<Mutex<MemoryState>>,
}

#[derive(Debug, Default)]
struct MemoryState {
    log: Vec<PersistRecord>,
    open: Vec<PersistRecord>,
}

impl MemorySink {
    /// Builds an empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns every record persisted, in order.
    #[must_use]
    pub fn records(&self) -> Vec<PersistRecord> {
        self.inner.lock().map(|s| s.log.clone()).unwrap_or_default()
    }

    /// Returns the latest record of each unfinished transaction, to resume after a crash.
    #[must_use]
    pub fn unfinished(&self) -> Vec<PersistRecord> {
        self.inner
            .lock()
            .map(|s| s.open.clone())
            .unwrap_or_default()
    }
}

impl PersistSink for MemorySink {
    fn persist(&mut self, record: &PersistRecord) -> Result<(), PersistError> {
        let mut state = self
            .inner
            .lock()
            .map_err(|_| PersistError::new("memory sink poisoned"))?;
        state.log.push(record.clone());
        state.open.retain(|r| r.txn != record.txn);
        state.open.push(record.clone());
        Ok(())
    }

    fn finished(&mut self, txn: TxnId) -> Result<(), PersistError> {
        let mut state = self
            .inner
            .lock()
            .map_err(|_| PersistError::new("memory sink poisoned"))?;
        state.open.retain(|r| r.txn != txn);
        Ok(())
    }
}

/// Appends one JSON line per record (and per finish) to a file, synced before returning.
///
/// The file holds secrets the recovery needs (e.g. callback tokens): keep it private.
#[derive(Debug)]
pub struct JsonLinesSink {
    path: PathBuf,
    file: File,
}

/// One line of a [`JsonLinesSink`] file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum JournalLine {
    /// A record, replacing earlier ones of its transaction.
    Persist {
        /// The record.
        record: Box<PersistRecord>,
    },
    /// The transaction finished.
    Finished {
        /// The transaction.
        txn: TxnId,
    },
}

impl JsonLinesSink {
    /// Opens (creating if needed) a journal file for appending.
    ///
    /// # Errors
    /// [`PersistError`] when the file cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PersistError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| PersistError::new(format!("{}: {e}", path.display())))?;
        Ok(Self { path, file })
    }

    /// Returns the journal's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads a journal and returns the latest record of each unfinished transaction.
    ///
    /// # Errors
    /// [`PersistError`] when the file cannot be read or a line is not a journal line.
    pub fn unfinished(path: impl AsRef<Path>) -> Result<Vec<PersistRecord>, PersistError> {
        let path = path.as_ref();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(PersistError::new(format!("{}: {e}", path.display()))),
        };
        let mut open: Vec<PersistRecord> = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| PersistError::new(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<JournalLine>(&line) {
                Ok(JournalLine::Persist { record }) => {
                    open.retain(|r| r.txn != record.txn);
                    open.push(*record);
                }
                Ok(JournalLine::Finished { txn }) => open.retain(|r| r.txn != txn),
                // A torn last line after a crash is expected; anything else is corruption.
                Err(_) if n + 1 == count_lines(path) => {}
                Err(e) => {
                    return Err(PersistError::new(format!(
                        "{} line {}: {e}",
                        path.display(),
                        n + 1
                    )));
                }
            }
        }
        Ok(open)
    }

    fn append(&mut self, line: &JournalLine) -> Result<(), PersistError> {
        let mut text = serde_json::to_string(line).map_err(|e| PersistError::new(e.to_string()))?;
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| PersistError::new(format!("{}: {e}", self.path.display())))
    }
}

impl PersistSink for JsonLinesSink {
    fn persist(&mut self, record: &PersistRecord) -> Result<(), PersistError> {
        self.append(&JournalLine::Persist {
            record: Box::new(record.clone()),
        })
    }

    fn finished(&mut self, txn: TxnId) -> Result<(), PersistError> {
        self.append(&JournalLine::Finished { txn })
    }
}

/// Fails every call: for tests of the persist-before-send rule.
#[derive(Clone, Copy, Debug, Default)]
pub struct FailingSink;

impl PersistSink for FailingSink {
    fn persist(&mut self, _record: &PersistRecord) -> Result<(), PersistError> {
        Err(PersistError::new("failing sink"))
    }

    fn finished(&mut self, _txn: TxnId) -> Result<(), PersistError> {
        Err(PersistError::new("failing sink"))
    }
}

fn count_lines(path: &Path) -> usize {
    File::open(path)
        .map(|f| BufReader::new(f).lines().count())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pos_core::{Currency, Money, Operation, References};

    fn record(txn: u64, primary: &str) -> PersistRecord {
        let op = Operation::Sale {
            amount: Money::from_minor(1250, Currency::GBP).unwrap(),
            tip: None,
            cashback: None,
            reference: None,
        };
        let refs = References {
            primary: Some(primary.into()),
            ..References::default()
        };
        PersistRecord::new(TxnId(txn), "toy", op, 0, refs)
    }

    #[test]
    fn json_lines_keep_the_latest_record_of_unfinished_transactions() {
        let dir = std::env::temp_dir().join(format!("pos-blocking-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut sink = JsonLinesSink::open(&path).unwrap();
        sink.persist(&record(1, "a")).unwrap();
        sink.persist(&record(2, "b")).unwrap();
        sink.persist(&record(1, "a2")).unwrap();
        sink.finished(TxnId(2)).unwrap();
        let open = JsonLinesSink::unfinished(&path).unwrap();
        assert_eq!(open, vec![record(1, "a2")]);
        // A torn last line is ignored.
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"kind\":\"pers")
            .unwrap();
        assert_eq!(JsonLinesSink::unfinished(&path).unwrap().len(), 1);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn memory_sink_tracks_unfinished_records() {
        let mut sink = MemorySink::new();
        sink.persist(&record(1, "a")).unwrap();
        sink.persist(&record(1, "b")).unwrap();
        assert_eq!(sink.records().len(), 2);
        assert_eq!(sink.unfinished(), vec![record(1, "b")]);
        sink.finished(TxnId(1)).unwrap();
        assert!(sink.unfinished().is_empty());
        assert!(FailingSink.persist(&record(1, "a")).is_err());
    }
}
