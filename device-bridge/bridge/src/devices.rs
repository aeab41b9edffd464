//! The device directory: who a DC-09 account or an MQTT id is in the suite, with the webhook
//! secret to sign its events and the AES key for its frames.

use anyhow::{Result, bail};
use safetynet_dc09::{Key, KeyLookup};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use std::fmt;

/// One device as the bridge knows it.
pub struct Device {
    /// The suite's device id.
    pub id: String,
    /// Webhook secret (HMAC key).
    pub secret: String,
    /// DC-09 account, upper case.
    pub dc09_account: Option<String>,
    /// Supervision interval (DC-09 gateways).
    pub supervision: Option<Duration>,
    /// Id in MQTT topics.
    pub mqtt_id: String,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("dc09_account", &self.dc09_account)
            .field("mqtt_id", &self.mqtt_id)
            .finish_non_exhaustive()
    }
}

/// The directory in use. A refresh from the suite replaces it whole; readers take a snapshot
/// (an `Arc`), so a lookup never sees a half-built table.
pub struct SharedDirectory(std::sync::RwLock<Arc<Directory>>);

impl SharedDirectory {
    pub fn new(d: Directory) -> SharedDirectory {
        SharedDirectory(std::sync::RwLock::new(Arc::new(d)))
    }

    /// The table as it is now.
    pub fn current(&self) -> Arc<Directory> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts `d` in use; returns the table it replaced.
    pub fn replace(&self, d: Directory) -> Arc<Directory> {
        let mut w = self.0.write().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *w, Arc::new(d))
    }
}

/// Lookups by suite id, DC-09 account and MQTT id.
#[derive(Default, Debug)]
pub struct Directory {
    by_id: HashMap<String, Arc<Device>>,
    by_account: HashMap<String, Arc<Device>>,
    by_mqtt: HashMap<String, Arc<Device>>,
    keys: HashMap<String, Key>,
}

fn topic_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

impl Directory {
    /// Checks and indexes the configured device table.
    pub fn build(entries: &[DeviceEntry]) -> Result<Directory> {
        let mut d = Directory::default();
        for (i, e) in entries.iter().enumerate() {
            let n = i + 1;
            if e.device_id.is_empty() || e.device_id.len() > 64 {
                bail!("devices[{n}]: device_id must be 1-64 characters");
            }
            if e.secret.is_empty() {
                bail!("devices[{n}] ({}): secret is empty", e.device_id);
            }
            let account = match &e.dc09_account {
                None => None,
                Some(a) => {
                    if !(3..=16).contains(&a.len()) || !a.bytes().all(|c| c.is_ascii_hexdigit()) {
                        bail!(
                            "devices[{n}] ({}): dc09_account must be 3 to 16 hex digits",
                            e.device_id
                        );
                    }
                    Some(a.to_ascii_uppercase())
                }
            };
            if let Some(k) = &e.dc09_key {
                let Some(a) = &account else {
                    bail!(
                        "devices[{n}] ({}): dc09_key without dc09_account",
                        e.device_id
                    );
                };
                let key = Key::from_hex(k).map_err(|err| {
                    anyhow::anyhow!(
                        "devices[{n}] ({}): dc09_key: {err} (32, 48 or 64 hex digits)",
                        e.device_id
                    )
                })?;
                d.keys.insert(a.clone(), key);
            }
            if e.supervision_s == Some(0) {
                bail!(
                    "devices[{n}] ({}): supervision_s must be positive",
                    e.device_id
                );
            }
            if e.supervision_s.is_some() && account.is_none() {
                bail!(
                    "devices[{n}] ({}): supervision_s applies to DC-09 gateways (set dc09_account)",
                    e.device_id
                );
            }
            let mqtt_id = e.mqtt_id.clone().unwrap_or_else(|| e.device_id.clone());
            if !topic_safe(&mqtt_id) {
                bail!(
                    "devices[{n}] ({}): mqtt_id may only hold letters, digits, '-', '_' and '.'",
                    e.device_id
                );
            }
            let dev = Arc::new(Device {
                id: e.device_id.clone(),
                secret: e.secret.clone(),
                dc09_account: account.clone(),
                supervision: e.supervision_s.map(Duration::from_secs),
                mqtt_id: mqtt_id.clone(),
            });
            if d.by_id.insert(e.device_id.clone(), dev.clone()).is_some() {
                bail!("devices[{n}]: device_id {} appears twice", e.device_id);
            }
            if let Some(a) = account
                && d.by_account.insert(a.clone(), dev.clone()).is_some()
            {
                bail!("devices[{n}]: dc09_account {a} appears twice");
            }
            if d.by_mqtt.insert(mqtt_id.clone(), dev).is_some() {
                bail!("devices[{n}]: mqtt_id {mqtt_id} appears twice");
            }
        }
        Ok(d)
    }

    pub fn by_id(&self, id: &str) -> Option<&Arc<Device>> {
        self.by_id.get(id)
    }

    /// By DC-09 account as sent (any case).
    pub fn by_account(&self, account: &str) -> Option<&Arc<Device>> {
        if account.bytes().any(|c| c.is_ascii_lowercase()) {
            self.by_account.get(&account.to_ascii_uppercase())
        } else {
            self.by_account.get(account)
        }
    }

    pub fn by_mqtt(&self, mqtt_id: &str) -> Option<&Arc<Device>> {
        self.by_mqtt.get(mqtt_id)
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Device>> {
        self.by_id.values()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

impl KeyLookup for Directory {
    fn key_for(&self, account: &str) -> Option<&Key> {
        if self.keys.is_empty() {
            return None;
        }
        if account.bytes().any(|c| c.is_ascii_lowercase()) {
            self.keys.get(&account.to_ascii_uppercase())
        } else {
            self.keys.get(account)
        }
    }
}

/// One row of the device table.
#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct DeviceEntry {
    /// The suite's device id (`dev_…`).
    pub device_id: String,
    /// The webhook secret the suite showed once at registration.
    pub secret: String,
    /// DC-09 account (hex, as the panel sends it after `#`).
    #[serde(default)]
    pub dc09_account: Option<String>,
    /// AES key for the account as hex (32, 48 or 64 digits → AES-128/192/256). When set, plain
    /// event frames from the account are refused (no downgrade).
    #[serde(default)]
    pub dc09_key: Option<String>,
    /// Supervision interval: the gateway promises a message (NULL or event) at least this
    /// often; silence for `dc09.supervision_grace` × this raises device-offline.
    #[serde(default)]
    pub supervision_s: Option<u64>,
    /// The id in the speaker's MQTT topics; defaults to device_id.
    #[serde(default)]
    pub mqtt_id: Option<String>,
}

impl fmt::Debug for DeviceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceEntry")
            .field("device_id", &self.device_id)
            .field("secret", &redacted(&self.secret))
            .field("dc09_account", &self.dc09_account)
            .field("dc09_key", &self.dc09_key.as_deref().map(redacted))
            .field("supervision_s", &self.supervision_s)
            .field("mqtt_id", &self.mqtt_id)
            .finish()
    }
}

/// How a secret shows in debug output: whether it is set, never its value.
pub(crate) fn redacted(s: &str) -> &'static str {
    if s.is_empty() {
        "(empty)"
    } else {
        "(redacted)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> DeviceEntry {
        DeviceEntry {
            device_id: id.into(),
            secret: "s".into(),
            ..DeviceEntry::default()
        }
    }

    #[test]
    fn lookups_and_case() {
        let mut g = entry("dev_g");
        g.dc09_account = Some("12ab".into());
        g.dc09_key = Some("000102030405060708090A0B0C0D0E0F".into());
        let mut s = entry("dev_s");
        s.mqtt_id = Some("speaker-1".into());
        let d = Directory::build(&[g, s]).unwrap();
        assert_eq!(d.by_account("12AB").unwrap().id, "dev_g");
        assert_eq!(d.by_account("12ab").unwrap().id, "dev_g");
        assert!(d.key_for("12Ab").is_some());
        assert!(d.key_for("9999").is_none());
        assert_eq!(d.by_mqtt("speaker-1").unwrap().id, "dev_s");
        assert_eq!(d.by_mqtt("dev_g").unwrap().id, "dev_g");
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn bad_tables_are_refused() {
        let mut a = entry("a");
        a.dc09_account = Some("12G4".into());
        assert!(Directory::build(&[a]).is_err());
        let mut k = entry("k");
        k.dc09_account = Some("1234".into());
        k.dc09_key = Some("abcd".into());
        assert!(Directory::build(&[k]).is_err());
        assert!(Directory::build(&[entry("x"), entry("x")]).is_err());
        let mut t = entry("t");
        t.mqtt_id = Some("a/b".into());
        assert!(Directory::build(&[t]).is_err());
        let mut sup = entry("sup");
        sup.supervision_s = Some(60);
        assert!(Directory::build(&[sup]).is_err());
        let mut empty = entry("e");
        empty.secret.clear();
        assert!(Directory::build(&[empty]).is_err());
    }
}
