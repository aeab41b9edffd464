//! The device table from the suite (`GET /api/v1/device-directory` with the clock token):
//! fetched at start and every `directory.refresh_s`, checked whole and swapped in whole, so a
//! device registered in the suite works here, and a retired one is refused, within one refresh.
//! A table that fails its checks leaves the one in use untouched.
//!
//! The last table fetched is kept on disk sealed with AES-256-GCM under the key in
//! `SAFETYNET_BRIDGE_KEY` (it holds device secrets), so that after a restart the bridge accepts
//! and stores alarms even while the suite cannot be reached.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::delivery::HttpClient;
use crate::devices::{DeviceEntry, Directory, SharedDirectory};
use crate::supervision::Liveness;

/// The suite's answer.
#[derive(Deserialize)]
struct Listing {
    devices: Vec<DeviceEntry>,
}

/// Reads the suite's answer (or the cache's plain text) into a checked table.
pub fn parse(body: &[u8]) -> Result<Directory> {
    let listing: Listing =
        serde_json::from_slice(body).context("the device directory is not the expected JSON")?;
    Directory::build(&listing.devices)
}

/// The suite's table at `url`, checked, and the answer it came in.
pub async fn fetch(
    client: &HttpClient,
    url: &str,
    token: &str,
) -> Result<(Directory, bytes::Bytes)> {
    let auth = format!("Bearer {token}");
    let answer = client
        .get(url, &[("authorization", &auth)])
        .await
        .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?;
    if answer.status != 200 {
        bail!("GET {url} answered {}", answer.status);
    }
    Ok((parse(&answer.body)?, answer.body))
}

/// The sealed copy on disk.
pub struct Cache {
    pub path: PathBuf,
    pub key: String,
}

impl Cache {
    /// The table last saved; `None` when there is no copy yet.
    pub fn load(&self) -> Result<Option<Directory>> {
        let sealed = match std::fs::read_to_string(&self.path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.path.display())),
        };
        let Some(plain) = safetynet_secrets::open(&self.key, sealed.trim()) else {
            bail!(
                "{} does not open with SAFETYNET_BRIDGE_KEY (another key, or altered)",
                self.path.display()
            );
        };
        parse(&plain).map(Some)
    }

    /// Replaces the copy atomically (a crash leaves the old one or the new one), readable by the
    /// bridge's user only.
    pub fn save(&self, body: &[u8]) -> Result<()> {
        let tmp = self.path.with_extension("tmp");
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&tmp, safetynet_secrets::seal(&self.key, body))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

/// Keeps the shared table in step with the suite's.
pub struct Sync {
    pub client: HttpClient,
    /// The directory's absolute URL.
    pub url: String,
    pub token: String,
    pub interval: Duration,
    pub cache: Option<Cache>,
    pub directory: Arc<SharedDirectory>,
    pub liveness: Arc<Liveness>,
}

impl Sync {
    /// Puts the cached table in use, if there is one; returns its size.
    pub fn load_cache(&self) -> Result<Option<usize>> {
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        let Some(table) = cache.load()? else {
            return Ok(None);
        };
        let n = table.len();
        self.install(table);
        Ok(Some(n))
    }

    /// Fetches the suite's table and puts it in use; returns how many devices it has.
    pub async fn refresh(&self) -> Result<usize> {
        let (table, body) = fetch(&self.client, &self.url, &self.token).await?;
        let n = table.len();
        let (added, removed) = self.install(table);
        if added + removed > 0 {
            tracing::info!(devices = n, added, removed, "device directory changed");
        }
        if let Some(cache) = &self.cache
            && let Err(e) = cache.save(&body)
        {
            tracing::warn!(error = %format!("{e:#}"), "device directory not cached");
        }
        Ok(n)
    }

    /// Swaps `table` in; returns how many device ids it added and removed.
    fn install(&self, table: Directory) -> (usize, usize) {
        self.liveness.sync(&table);
        let old = self.directory.replace(table);
        let new = self.directory.current();
        let added = new.all().filter(|d| old.by_id(&d.id).is_none()).count();
        let removed = old.all().filter(|d| new.by_id(&d.id).is_none()).count();
        (added, removed)
    }

    /// Refreshes every `interval` until the process ends; a failed refresh keeps the table in
    /// use and is tried again at the next interval.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %format!("{e:#}"), "device directory not refreshed; keeping the table in use");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_sealed_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("bridge-dir-cache-{}", std::process::id()));
        let cache = Cache {
            path: dir.join("directory.sealed"),
            key: "k".repeat(32),
        };
        assert!(cache.load().unwrap().is_none());
        let body = br#"{"devices": [{"device_id": "dev-1", "secret": "s3cr3t-value", "dc09_account": "1234", "dc09_key": null, "supervision_s": 60}]}"#;
        cache.save(body).unwrap();
        let raw = std::fs::read(&cache.path).unwrap();
        assert!(
            !raw.windows(12).any(|w| w == b"s3cr3t-value"),
            "sealed on disk"
        );
        let table = cache.load().unwrap().unwrap();
        assert_eq!(table.by_account("1234").unwrap().secret, "s3cr3t-value");
        let wrong = Cache {
            path: cache.path.clone(),
            key: "x".repeat(32),
        };
        assert!(wrong.load().is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_table_that_fails_its_checks_is_refused() {
        assert!(parse(br#"{"devices": [{"device_id": "", "secret": "s"}]}"#).is_err());
        assert!(parse(b"not json").is_err());
    }
}
