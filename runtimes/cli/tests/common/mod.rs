//! Helpers shared by the binary's tests: a `pos` command in a private directory, with a
//! timeout so nothing can hang, and simulator servers to point it at.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)]

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use pos_blocking::server::{SimServer, SimServerConfig};
use pos_blocking::{Clock, os_ids};

/// The longest any single command may run in a test.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// A fresh directory for one test (journal, state and config files land there).
pub fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pos-cli-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `pos` binary, run in `dir`, with no `POS_*` variables from the outside.
pub fn pos(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("pos").unwrap();
    cmd.current_dir(dir).timeout(TIMEOUT);
    for (k, _) in std::env::vars() {
        if k.starts_with("POS_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// The result of a run: exit code, stdout, stderr.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }

    /// Asserts the usage exit code and a one-line error containing `needle`.
    pub fn usage_error(&self, needle: &str) {
        assert_eq!(
            self.code, 2,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        // Progress lines may precede it; the error itself is one line, the last.
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("pos: error: "))
            .collect();
        assert_eq!(errors.len(), 1, "one error line: {:?}", self.stderr);
        assert_eq!(
            self.stderr.lines().last(),
            Some(errors[0]),
            "{:?}",
            self.stderr
        );
        assert!(
            errors[0].to_lowercase().contains(&needle.to_lowercase()),
            "{needle:?} not in {:?}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
    }
}

/// Runs `pos` with `args` in `dir`.
pub fn run(dir: &std::path::Path, args: &[&str]) -> Run {
    run_with(pos(dir), args)
}

/// Runs a prepared command with `args`.
pub fn run_with(mut cmd: Command, args: &[&str]) -> Run {
    let out = cmd.args(args).output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// A server config at `speed` times real time.
pub fn scaled(speed: u32, tls: bool) -> SimServerConfig {
    SimServerConfig {
        tls,
        time_scale: speed,
        ..SimServerConfig::default()
    }
}

/// A CodePay terminal simulator.
pub fn codepay(speed: u32) -> SimServer<codepay_proto::sim::CodepaySim> {
    let sim = codepay_proto::sim::CodepaySim::new(
        codepay_proto::sim::SimConfig::default(),
        os_ids().unwrap(),
        Clock::start().wall(),
    );
    SimServer::start(sim, scaled(speed, false)).unwrap()
}

/// `--set` flags pointing the CLI at a CodePay simulator.
pub fn codepay_flags(server: &SimServer<codepay_proto::sim::CodepaySim>) -> Vec<String> {
    vec![
        "--vendor".into(),
        "codepay".into(),
        "--set".into(),
        format!("codepay.port={}", server.local_addr().port()),
        "--set".into(),
        "codepay.app_id=wz0123456789abcdef".into(),
    ]
}

/// A Paynt terminal simulator over HTTPS, paired with `token` when given.
pub fn paynt(speed: u32, token: Option<&str>) -> SimServer<paynt_proto::PayntSim> {
    let config = paynt_proto::SimConfig {
        token: token.map(Into::into),
        card_timeout: Duration::from_secs(600),
        ..paynt_proto::SimConfig::default()
    };
    let sim = paynt_proto::PayntSim::new(config, os_ids().unwrap(), Clock::start().wall());
    SimServer::start(sim, scaled(speed, true)).unwrap()
}

/// A Connect cloud simulator over plain HTTP.
pub fn connect(speed: u32) -> SimServer<connect_proto::sim::ConnectSim> {
    let sim = connect_proto::sim::ConnectSim::new(
        connect_proto::sim::SimConfig::default(),
        os_ids().unwrap(),
        Clock::start().wall(),
    );
    SimServer::start(sim, scaled(speed, false)).unwrap()
}

/// `--set` flags pointing the CLI at a Connect simulator.
pub fn connect_flags(server: &SimServer<connect_proto::sim::ConnectSim>) -> Vec<String> {
    vec![
        "--vendor".into(),
        "connect".into(),
        "--set".into(),
        "connect.host.scheme=http".into(),
        "--set".into(),
        "connect.host.allow_http=true".into(),
        "--set".into(),
        format!("connect.host.authority={}", server.local_addr()),
    ]
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Borrows a list of owned strings as `&str`s.
pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
