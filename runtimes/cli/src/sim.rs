//! `pos sim`: serves one vendor's simulator on a real socket, printing what it receives.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use pos_blocking::server::{SimServer, SimServerConfig};
use pos_blocking::{Clock, os_ids};
use pos_core::{References, SimInput, SimTransmit, Simulator, Timestamp, Truth};

use crate::args::{SimArgs, Vendor};
use crate::exit::{CliError, Exit};

/// Runs `pos sim` until interrupted or `--exit-after`.
///
/// # Errors
/// A usage error when the address cannot be bound.
pub(crate) fn run(args: &SimArgs) -> Result<Exit, CliError> {
    let clock = Clock::start();
    let ids = os_ids().map_err(|e| CliError::failure(e.to_string()))?;
    let wall = clock.wall();
    let tls = args.tls.unwrap_or(args.vendor == Vendor::Paynt);
    let config = SimServerConfig {
        bind: args.listen,
        tls,
        time_scale: args.speed,
        ..SimServerConfig::default()
    };
    let vendor = args.vendor.name();
    match args.vendor {
        Vendor::Codepay => {
            let sim = codepay_proto::sim::CodepaySim::new(
                codepay_proto::sim::SimConfig::default(),
                ids,
                wall,
            );
            let server = start(Printing { inner: sim, vendor }, config)?;
            announce(
                &server,
                &[format!(
                    "try: pos sale --vendor codepay --amount 12.00 --set codepay.app_id=demo --set codepay.port={}",
                    server.local_addr().port()
                )],
            );
            serve(server, args.exit_after);
        }
        Vendor::Paynt => {
            let sim_config = paynt_proto::SimConfig {
                token: args.token.clone(),
                ..paynt_proto::SimConfig::default()
            };
            let sim = paynt_proto::PayntSim::new(sim_config, ids, wall);
            let server = start(Printing { inner: sim, vendor }, config)?;
            let code = server.with_sim(|s, _| s.inner.pairing_code().to_owned());
            let port = server.local_addr().port();
            announce(
                &server,
                &[
                    format!("pairing code {code}"),
                    format!(
                        "try: pos pair --vendor paynt --code {code} --set paynt.host=127.0.0.1 --set paynt.port={port}"
                    ),
                ],
            );
            serve(server, args.exit_after);
        }
        Vendor::Interpay => {
            let sim_config = interpay_proto::sim::SimConfig {
                allow_http_urls: true,
                ..interpay_proto::sim::SimConfig::default()
            };
            let sim = interpay_proto::sim::InterpaySim::new(sim_config, ids, wall);
            let server = start(Printing { inner: sim, vendor }, config)?;
            let base = server.base_url();
            announce(
                &server,
                &[
                    "account termid QK7R2M4P, pass example-pass, device FRONTDESK-2".to_owned(),
                    format!(
                        "try: pos sale --vendor interpay --amount 12.00 --set interpay.endpoints.primary={base}/ (see the README for the callback keys)"
                    ),
                ],
            );
            serve(server, args.exit_after);
        }
        Vendor::Connect => {
            let scheme = if tls { "https" } else { "http" };
            let mut sim_config = connect_proto::sim::SimConfig::default();
            if args.listen.port() != 0 {
                sim_config.base_url = format!("{scheme}://{}", args.listen);
            }
            let sim = connect_proto::sim::ConnectSim::new(sim_config, ids, wall);
            let server = start(Printing { inner: sim, vendor }, config)?;
            announce(
                &server,
                &[
                    "api key sim-api-key, terminal 40917263 (GBP)".to_owned(),
                    format!(
                        "try: pos sale --vendor connect --amount 12.00 --set connect.host.scheme=http --set connect.host.allow_http=true --set connect.host.authority={}",
                        server.local_addr()
                    ),
                ],
            );
            serve(server, args.exit_after);
        }
    }
    Ok(Exit::Ok)
}

fn start<S: Simulator + Send + 'static>(
    sim: S,
    config: SimServerConfig,
) -> Result<SimServer<S>, CliError> {
    let bind: SocketAddr = config.bind;
    SimServer::start(sim, config).map_err(|e| CliError::usage(format!("{bind}: {e}")))
}

/// Prints the bound address first (scripts and tests read it), then the URL and hints.
fn announce<S: Simulator + Send + 'static>(server: &SimServer<S>, hints: &[String]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", server.local_addr());
    let _ = writeln!(out, "url {}", server.base_url());
    if let Some(fp) = server.fingerprint() {
        let _ = writeln!(out, "fingerprint {fp}");
    }
    for hint in hints {
        let _ = writeln!(out, "{hint}");
    }
    let _ = out.flush();
}

/// Serves until `exit_after` seconds have passed, or forever (Ctrl-C ends the process).
fn serve<S: Simulator + Send + 'static>(server: SimServer<S>, exit_after: Option<u64>) {
    match exit_after {
        Some(secs) => {
            std::thread::sleep(Duration::from_secs(secs));
            server.shutdown();
        }
        None => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
    }
}

/// Wraps a simulator and prints every input it receives, secrets redacted.
struct Printing<S> {
    inner: S,
    vendor: &'static str,
}

impl<S: Simulator> Simulator for Printing<S> {
    fn handle_input(&mut self, now: Timestamp, input: SimInput) {
        println!("[{} {now}] {}", self.vendor, summary(&input));
        self.inner.handle_input(now, input);
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.inner.handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<SimTransmit> {
        self.inner.poll_transmit()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.inner.poll_timeout()
    }

    fn truth(&self, references: &References) -> Option<Truth> {
        self.inner.truth(references)
    }
}

/// One line for an input: frames and request bodies with secret fields redacted, never headers.
fn summary(input: &SimInput) -> String {
    match input {
        SimInput::Connected => "connected".to_owned(),
        SimInput::Disconnected => "disconnected".to_owned(),
        SimInput::Text(text) => format!("text {}", redact(text.as_bytes())),
        SimInput::Binary(bytes) => format!("binary {}", redact(bytes)),
        SimInput::Ping(_) => "ping".to_owned(),
        SimInput::HttpRequest { request, .. } => {
            let path = crate::vendors::url_path(&request.url);
            let path = path.split('?').next().unwrap_or("/");
            format!("{} {path} {}", request.method, redact(&request.body))
        }
        SimInput::CallbackResponse { response, .. } => {
            format!("callback answered {}", response.status)
        }
        SimInput::CallbackFailed { error, .. } => format!("callback failed: {error}"),
        other => format!("{other:?}"),
    }
}

/// Returns a body on one line with the values of secret-looking fields replaced.
fn redact(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text) {
        redact_json(&mut value);
        return value.to_string();
    }
    let redacted: Vec<String> = text
        .split(['&', '\n'])
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if secret_key(k) => format!("{k}=[redacted]"),
            _ => pair.trim().to_owned(),
        })
        .collect();
    crate::decode::one_line(&redacted.join("&"))
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if secret_key(k) {
                    *v = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["pass", "token", "secret", "key", "auth"]
        .iter()
        .any(|s| k.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_json_and_forms() {
        assert_eq!(
            redact(br#"{"PASS":"hunter2","AMT":"1.00","n":{"token":"x"}}"#),
            r#"{"AMT":"1.00","PASS":"[redacted]","n":{"token":"[redacted]"}}"#
        );
        assert_eq!(redact(b"TERMID=A&PASS=hunter2"), "TERMID=A&PASS=[redacted]");
    }
}
