//! Replaying committed fuzz corpora in ordinary tests, so CI checks them without nightly.

use alloc::string::ToString;
use alloc::vec::Vec;
use std::path::Path;

/// Replays every file of `<manifest_dir>/../fuzz/corpus/<folder>` through a fuzz body and
/// returns how many it replayed.
///
/// Call it from a crate's tests with `env!("CARGO_MANIFEST_DIR")`. The bodies panic on a
/// finding, so a panic here names the corpus file in its message.
///
/// # Panics
/// When the folder is missing or holds no file: a replay of nothing could never fail.
pub fn replay_corpus(manifest_dir: &str, folder: &str, body: impl Fn(&[u8])) -> usize {
    let dir = Path::new(manifest_dir).join("../fuzz/corpus").join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| corpus_panic(&dir, &e.to_string()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    for path in &files {
        let data = std::fs::read(path).unwrap_or_else(|e| corpus_panic(path, &e.to_string()));
        std::eprintln!("replaying {}", path.display());
        body(&data);
    }
    if files.is_empty() {
        corpus_panic(&dir, "no seed files");
    }
    files.len()
}

#[allow(clippy::panic)] // the test helper's way to fail, naming the folder
fn corpus_panic(path: &Path, why: &str) -> ! {
    panic!("fuzz corpus {}: {why}", path.display())
}
