//! `bridge-config`: writes a device-bridge configuration for the demo city — the suite's URL,
//! the demo's `clock` token, and directory sync: the bridge reads its device table (MQTT
//! speakers and DC-09 gateways with their secrets) from the suite and refreshes it, so no
//! secret is written into this file.

use anyhow::{Context, Result};
use clap::Args;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Args)]
pub struct BridgeConfigArgs {
    /// The demo state written by `demo`.
    #[arg(long, default_value = ".spin/demo.json")]
    demo: PathBuf,
    /// Where to write the bridge configuration (readable by the operator only).
    #[arg(long, default_value = ".spin/bridge.toml")]
    out: PathBuf,
    /// The bridge's outbox file.
    #[arg(long, default_value = ".spin/bridge-outbox.db")]
    outbox: PathBuf,
    /// DC-09 receiver address (TCP and UDP).
    #[arg(long, default_value = "127.0.0.1:12000")]
    dc09_listen: String,
    /// Embedded MQTT broker address.
    #[arg(long, default_value = "127.0.0.1:1883")]
    mqtt_listen: String,
    /// Seconds between refreshes of the bridge's device table from the suite.
    #[arg(long, default_value_t = 10)]
    directory_refresh_s: u64,
    /// Where the bridge keeps its last device table (sealed with SAFETYNET_BRIDGE_KEY).
    #[arg(long, default_value = ".spin/bridge-directory.sealed")]
    directory_cache: PathBuf,
    /// Operations server (/healthz, /metrics).
    #[arg(long, default_value = "127.0.0.1:9464")]
    metrics_listen: String,
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// The TOML text for `demo` (the parsed demo.json) and the suite at `url`.
pub fn render(demo: &Value, url: &str, a: &BridgeConfigArgs) -> Result<String> {
    let clock = demo["staff"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["role"] == "clock")
        .and_then(|s| s["token"].as_str())
        .context("the demo has no clock token")?;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Written by `safetynet-cli bridge-config` from {} (make up). Holds secrets.",
        a.demo.display()
    );
    let _ = writeln!(
        t,
        "[suite]\nurl = {}\nclock_token = {}\n",
        quoted(url),
        quoted(clock)
    );
    let _ = writeln!(
        t,
        "[outbox]\npath = {}\n",
        quoted(&a.outbox.display().to_string())
    );
    let _ = writeln!(
        t,
        "[dc09]\ntcp_listen = {0}\nudp_listen = {0}\n",
        quoted(&a.dc09_listen)
    );
    let _ = writeln!(
        t,
        "[mqtt]\nbroker = \"\"\nembedded_listen = {}\n",
        quoted(&a.mqtt_listen)
    );
    let _ = writeln!(t, "[clock]\ninterval_s = 30\n");
    let _ = writeln!(
        t,
        "[reminders]\nfeed_url = \"/api/v1/reminders/due\"\npoll_interval_s = 15\n"
    );
    let _ = writeln!(t, "[metrics]\nlisten = {}\n", quoted(&a.metrics_listen));
    // No [[devices]]: the bridge takes its table (ids, secrets, DC-09 accounts) from the suite
    // with the clock token, and keeps the last one sealed with SAFETYNET_BRIDGE_KEY.
    let _ = writeln!(
        t,
        "[directory]\nrefresh_s = {}\ncache = {}",
        a.directory_refresh_s,
        quoted(&a.directory_cache.display().to_string())
    );
    Ok(t)
}

pub fn run(url: &str, a: BridgeConfigArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.demo).with_context(|| {
        format!(
            "reading {} (run `safetynet-cli demo` first)",
            a.demo.display()
        )
    })?;
    let demo: Value = serde_json::from_str(&text).context("demo state is not JSON")?;
    let toml = render(&demo, url, &a)?;
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.out, toml)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&a.out, std::fs::Permissions::from_mode(0o600))?;
    }
    println!("Bridge configuration written to {}", a.out.display());
    Ok(())
}
