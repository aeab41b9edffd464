//! `sink`: a local stand-in for 119 dispatch and the SMS gateway that prints what arrives, so a
//! developer running `make up` can watch a dispatch happen. Not for production.

use anyhow::{Result, anyhow};
use clap::Args;
use safetynet_test_support::{Received, Sink};

#[derive(Args)]
pub struct SinkArgs {
    /// Addresses to listen on (one per fake service).
    #[arg(long = "listen", default_values = ["127.0.0.1:9119", "127.0.0.1:9120"])]
    listen: Vec<String>,
}

pub fn run(a: SinkArgs) -> Result<()> {
    let mut sinks = Vec::new();
    for addr in a.listen {
        let shown = addr.clone();
        let sink = Sink::serve(addr.as_str(), move |r| println!("{}", describe(&shown, r)))
            .map_err(|e| anyhow!("--listen {addr}: {e}"))?;
        sinks.push(sink);
    }
    for sink in sinks {
        sink.run_forever();
    }
    Ok(())
}

/// What is printed for a request `r` received on `addr`: a header line, then the body (as
/// indented JSON when it is JSON).
fn describe(addr: &str, r: &Received) -> String {
    let key = r.header("idempotency-key").unwrap_or_default();
    let pretty = serde_json::from_str::<serde_json::Value>(&r.body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| r.body.clone());
    format!(
        "── {addr} {} {} (Idempotency-Key: {key})\n{pretty}",
        r.method, r.path
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn received(body: &str, headers: &[(&str, &str)]) -> Received {
        Received {
            at: Instant::now(),
            method: "POST".into(),
            path: "/dispatch".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    #[test]
    fn prints_the_key_and_indented_json() {
        let r = received(r#"{"a":1}"#, &[("Idempotency-Key", "inc-1/dispatch119")]);
        assert_eq!(
            describe("127.0.0.1:9119", &r),
            "── 127.0.0.1:9119 POST /dispatch (Idempotency-Key: inc-1/dispatch119)\n{\n  \"a\": 1\n}"
        );
    }

    #[test]
    fn prints_other_bodies_as_they_are() {
        let r = received("not json", &[]);
        assert_eq!(
            describe("127.0.0.1:9120", &r),
            "── 127.0.0.1:9120 POST /dispatch (Idempotency-Key: )\nnot json"
        );
    }
}
