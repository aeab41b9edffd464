//! Keys for personal data at rest: making a new one, and moving stored data under it.
//!
//! Rotation: `new-data-key` prints an entry; put it first in `personal_data_keys` (the old entries
//! stay after it), restart, run `re-encrypt` until it reports nothing left, then drop the old
//! entries.

use anyhow::{Context, Result, bail};
use clap::Args;
use safetynet_secrets::PersonalDataKeys;
use serde_json::json;

use crate::client::Api;

#[derive(Args)]
pub struct NewKeyArgs {
    /// The new key's id (1-16 letters, digits, '-' or '_'), e.g. the month it was made.
    #[arg(long)]
    id: String,
}

/// Prints a fresh `id=<64 hex>` entry for `personal_data_keys`.
pub fn new_key(a: NewKeyArgs) -> Result<()> {
    let entry = PersonalDataKeys::generate(&a.id);
    PersonalDataKeys::parse(&entry, "").map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{entry}");
    Ok(())
}

#[derive(Args)]
pub struct ReEncryptArgs {
    /// Rows per request (each request is one transaction).
    #[arg(long, default_value_t = 200)]
    batch: u32,
}

/// Re-seals every personal value under the suite's current key, batch by batch (admin token).
pub fn re_encrypt(api: &Api, a: ReEncryptArgs) -> Result<()> {
    let mut cursor = serde_json::Value::Null;
    let (mut rewritten, mut unreadable) = (0, 0);
    let bar = indicatif::ProgressBar::new_spinner();
    let key = loop {
        let r = api.ok(
            "POST",
            "/api/v1/personal-data/re-encrypt",
            &json!({"cursor": cursor, "limit": a.batch}),
        )?;
        rewritten += r["rewritten"].as_u64().context("rewritten")?;
        unreadable += r["unreadable"].as_u64().context("unreadable")?;
        bar.set_message(format!("{rewritten} rows re-sealed"));
        bar.tick();
        cursor = r["cursor"].clone();
        if cursor.is_null() {
            break r["key_id"]
                .as_str()
                .unwrap_or("none (plain text)")
                .to_string();
        }
    };
    bar.finish_and_clear();
    let (status, left) = api.call("GET", "/api/v1/personal-data", &[], None)?;
    if status != 200 {
        bail!("GET /api/v1/personal-data → {status}: {left}");
    }
    println!(
        "key {key}: {rewritten} rows re-sealed, {unreadable} values unreadable, {} values not under the key",
        left["values_not_under_key"]
    );
    if unreadable > 0 {
        bail!(
            "{unreadable} values are under a key no longer configured: put it back in personal_data_keys and run again"
        );
    }
    Ok(())
}
