//! cargo-fuzz targets for every wire decoder and every POS machine of the workspace.
//!
//! Each binary in `fuzz_targets/` is one line: it hands libFuzzer's input to a body in a
//! vendor crate's `fuzzing` module (feature `fuzzing`), so the bodies compile and run in
//! ordinary CI and can reach the crates' internals. [`TARGETS`] lists them; the seed corpus of
//! target `t` is `fuzz/corpus/t/`, which each vendor crate's `tests/fuzz_corpus.rs` replays
//! under `cargo test --workspace --all-features`. `fuzz/run.sh` runs the targets with
//! cargo-fuzz; crashes land in `fuzz/artifacts/t/`.
//!
//! The binaries build on stable as plain workspace members: libfuzzer-sys compiles libFuzzer
//! with the C++ compiler and the targets link without sanitizer flags (no coverage feedback,
//! but they run corpus files, which is what a replay needs). cargo-fuzz adds the coverage
//! instrumentation when it builds them.

/// One fuzz target: its binary name, the crate that holds its body, and the body's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The binary's name, also the name of its corpus and artifact folders.
    pub name: &'static str,
    /// The package that holds the body, e.g. `paynt-proto`.
    pub package: &'static str,
    /// The body's function name in the package's `fuzzing` module.
    pub body: &'static str,
    /// What the body feeds its input to, for the README's table.
    pub what: &'static str,
}

/// Every fuzz target, grouped by vendor.
pub const TARGETS: &[Target] = &[
    Target {
        name: "codepay_decode_message",
        package: "codepay-proto",
        body: "decode_message",
        what: "WebSocket frames (JSON envelope, every classification), re-encode round trip",
    },
    Target {
        name: "codepay_decode_frame",
        package: "codepay-proto",
        body: "decode_frame",
        what: "serial framer: frames re-encode byte-exact, a link fed in odd-sized reads",
    },
    Target {
        name: "codepay_machine",
        package: "codepay-proto",
        body: "machine",
        what: "POS machine vs terminal simulator in the pair harness",
    },
    Target {
        name: "paynt_decode_result",
        package: "paynt-proto",
        body: "decode_result",
        what: "result bodies (GET by UTI), re-encode round trip, `decode(\"status\")`",
    },
    Target {
        name: "paynt_decode_start_request",
        package: "paynt-proto",
        body: "decode_start_request",
        what: "start request bodies, exact round trip",
    },
    Target {
        name: "paynt_decode_replies",
        package: "paynt-proto",
        body: "decode_replies",
        what: "start and pairing replies, error text, Java dates",
    },
    Target {
        name: "paynt_machine",
        package: "paynt-proto",
        body: "machine",
        what: "POS machine vs terminal simulator in the pair harness",
    },
    Target {
        name: "interpay_decode_json_body",
        package: "interpay-proto",
        body: "decode_json_body",
        what: "JSON replies and callbacks, re-encode round trip",
    },
    Target {
        name: "interpay_decode_tag_value_body",
        package: "interpay-proto",
        body: "decode_tag_value_body",
        what: "tag/value replies and callbacks, round trip of plain fields",
    },
    Target {
        name: "interpay_decode_any",
        package: "interpay-proto",
        body: "decode_any",
        what: "`decode` under every kind: start, callbacks (JSON, tag/value, form/query), GetResult",
    },
    Target {
        name: "interpay_decode_receipt",
        package: "interpay-proto",
        body: "decode_receipt",
        what: "receipt markup: tokenizer and renderer, lines fit the width",
    },
    Target {
        name: "interpay_machine",
        package: "interpay-proto",
        body: "machine",
        what: "POS machine vs gateway simulator in the pair harness",
    },
    Target {
        name: "connect_decode_transaction",
        package: "connect-proto",
        body: "decode_transaction",
        what: "transaction bodies, re-encode round trip",
    },
    Target {
        name: "connect_decode_report",
        package: "connect-proto",
        body: "decode_report",
        what: "report bodies, re-encode round trip",
    },
    Target {
        name: "connect_decode_other",
        package: "connect-proto",
        body: "decode_other",
        what: "terminal list, terminal, request location, error bodies, `decode` kinds",
    },
    Target {
        name: "connect_machine",
        package: "connect-proto",
        body: "machine",
        what: "POS machine vs cloud simulator in the pair harness",
    },
];

#[cfg(test)]
mod tests;
