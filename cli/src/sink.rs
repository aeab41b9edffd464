//! `sink`: a local stand-in for 119 dispatch and the SMS gateway that prints what arrives, so a
//! developer running `make up` can watch a dispatch happen. Not for production.

use anyhow::{anyhow, Result};
use clap::Args;

#[derive(Args)]
pub struct SinkArgs {
    /// Addresses to listen on (one per fake service).
    #[arg(long = "listen", default_values = ["127.0.0.1:9119", "127.0.0.1:9120"])]
    listen: Vec<String>,
}

pub fn run(a: SinkArgs) -> Result<()> {
    let mut threads = Vec::new();
    for addr in a.listen {
        let server = tiny_http::Server::http(&addr).map_err(|e| anyhow!("--listen {addr}: {e}"))?;
        threads.push(std::thread::spawn(move || {
            for mut req in server.incoming_requests() {
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let key = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("idempotency-key"))
                    .map(|h| h.value.to_string())
                    .unwrap_or_default();
                let pretty = serde_json::from_str::<serde_json::Value>(&body)
                    .and_then(|v| serde_json::to_string_pretty(&v))
                    .unwrap_or(body);
                println!(
                    "── {addr} {} {} (Idempotency-Key: {key})\n{pretty}",
                    req.method(),
                    req.url()
                );
                let _ = req.respond(tiny_http::Response::from_string("{\"ok\":true}"));
            }
        }));
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}
