//! `send-event`: sign and send one device event, exactly as a device or the bridge would.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::client::Api;

#[derive(Args)]
pub struct SendEventArgs {
    /// Device id (dev-…).
    #[arg(long)]
    device: String,
    /// The device secret shown when the device was registered.
    #[arg(long, env = "SAFETYNET_DEVICE_SECRET")]
    secret: String,
    /// Event kind, e.g. emergency-call, fire, heartbeat, activity.
    #[arg(long, default_value = "emergency-call")]
    kind: String,
    /// Event id; a new random one by default (re-use one to test de-duplication).
    #[arg(long)]
    event_id: Option<String>,
    /// Extra JSON for the `data` field.
    #[arg(long, default_value = "{}")]
    data: String,
}

pub fn run(api: &Api, a: SendEventArgs) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let event_id = a
        .event_id
        .unwrap_or_else(|| safetynet_wire::ids::new_id("evt"));
    let data: serde_json::Value = serde_json::from_str(&a.data)?;
    let body = json!({
        "event_id": event_id,
        "device_id": a.device,
        "kind": a.kind,
        "occurred_at": safetynet_wire::time::to_rfc3339(now * 1000),
        "data": data,
    })
    .to_string();
    let ts = now.to_string();
    let sig = safetynet_wire::signature::sign(a.secret.as_bytes(), &ts, body.as_bytes());
    let (status, answer) = api.call(
        "POST",
        "/api/v1/device-events",
        &[
            ("x-safetynet-timestamp", &ts),
            ("x-safetynet-signature", &sig),
        ],
        Some(&body),
    )?;
    println!("{status} {answer}");
    if !(200..300).contains(&status) {
        std::process::exit(1);
    }
    Ok(())
}
