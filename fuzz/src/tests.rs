//! Keeps `TARGETS`, `fuzz_targets/`, the `[[bin]]` table, the seed corpora and the vendor
//! crates' fuzz bodies in step, so a body without a target (or a target without seeds) fails
//! CI instead of going unfuzzed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::TARGETS;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn names_in(path: &Path, strip: &str) -> BTreeSet<String> {
    fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(strip).map(String::from))
        .collect()
}

fn target_names() -> BTreeSet<String> {
    TARGETS.iter().map(|t| t.name.to_owned()).collect()
}

#[test]
fn every_target_file_is_a_one_line_call_into_its_body() {
    assert_eq!(names_in(&dir().join("fuzz_targets"), ".rs"), target_names());
    for t in TARGETS {
        let text = fs::read_to_string(dir().join(format!("fuzz_targets/{}.rs", t.name))).unwrap();
        let krate = t.package.replace('-', "_");
        let call = format!(
            "libfuzzer_sys::fuzz_target!(|data: &[u8]| {krate}::fuzzing::{}(data));",
            t.body
        );
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("//") && !l.starts_with("#!") && !l.trim().is_empty())
            .collect();
        assert_eq!(code, [call.as_str()], "{}", t.name);
        let vendor = krate.strip_suffix("_proto").unwrap();
        assert_eq!(
            t.name,
            format!("{vendor}_{}", t.body),
            "name is <vendor>_<body>"
        );
    }
}

#[test]
fn every_target_is_a_bin_kept_out_of_tests_docs_and_benches() {
    let manifest = fs::read_to_string(dir().join("Cargo.toml")).unwrap();
    let bins: Vec<&str> = manifest.split("[[bin]]").skip(1).collect();
    assert_eq!(bins.len(), TARGETS.len());
    for t in TARGETS {
        let block = bins
            .iter()
            .find(|b| b.contains(&format!("name = \"{}\"\n", t.name)))
            .unwrap_or_else(|| panic!("no [[bin]] for {}", t.name));
        for line in [
            format!("path = \"fuzz_targets/{}.rs\"", t.name),
            "test = false".into(),
            "doc = false".into(),
            "bench = false".into(),
        ] {
            assert!(block.contains(&line), "{}: missing `{line}`", t.name);
        }
    }
}

#[test]
fn every_target_has_seeds_and_every_corpus_has_a_target() {
    let corpus = dir().join("corpus");
    let folders: BTreeSet<String> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(folders, target_names());
    for t in TARGETS {
        let seeds = fs::read_dir(corpus.join(t.name)).unwrap().count();
        assert!(seeds > 0, "{} has no seeds", t.name);
    }
}

#[test]
fn every_fuzz_body_of_every_vendor_crate_has_a_target() {
    let mut bodies = BTreeSet::new();
    for package in [
        "codepay-proto",
        "paynt-proto",
        "interpay-proto",
        "connect-proto",
    ] {
        let source = dir().join("..").join(package).join("src/fuzzing.rs");
        let text = fs::read_to_string(&source).unwrap();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("pub fn ") else {
                continue;
            };
            if let Some((name, params)) = rest.split_once('(') {
                if params.starts_with("data: &[u8])") {
                    bodies.insert((package.to_owned(), name.to_owned()));
                }
            }
        }
    }
    let targets: BTreeSet<(String, String)> = TARGETS
        .iter()
        .map(|t| (t.package.to_owned(), t.body.to_owned()))
        .collect();
    assert_eq!(bodies, targets);
}
