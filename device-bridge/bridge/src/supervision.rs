//! Device liveness: DC-09 supervision (a gateway promises a message — a NULL link test or an
//! event — at least every `supervision_s`; silence for `grace` × that raises `device-offline`)
//! and the offline/online flag every device shares with the MQTT last will.
//!
//! Transitions are events: going offline appends `device-offline`, and the next sign of life
//! appends `restore` (`data.restores = "device-offline"`) before whatever the device sent. The
//! flag is stored with those events (outbox `device_state`), so a restart neither repeats an
//! offline event nor forgets to restore. After a restart every supervised gateway gets a full
//! window from the start time before it can be declared offline.

use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::devices::Directory;
use crate::events::NewEvent;
use crate::metrics::Metrics;
use crate::outbox::{Outbox, StateChange};

struct Live {
    last_seen: Instant,
    offline: bool,
    /// Supervision window (interval × grace); `None` when not supervised.
    window: Option<Duration>,
    interval: Option<Duration>,
}

/// Liveness of every configured device.
pub struct Liveness {
    devices: Mutex<HashMap<String, Live>>,
    grace: f64,
}

/// A gateway found silent past its window.
#[derive(Debug, Clone, PartialEq)]
pub struct Overdue {
    pub device_id: String,
    pub silent: Duration,
    pub interval: Duration,
}

impl Liveness {
    pub fn new(directory: &Directory, offline: &HashSet<String>, grace: f64) -> Liveness {
        let now = Instant::now();
        let mut devices = HashMap::new();
        for dev in directory.all() {
            let id = dev.id.clone();
            let interval = dev.supervision;
            devices.insert(
                id.clone(),
                Live {
                    last_seen: now,
                    offline: offline.contains(&id),
                    window: interval.map(|i| i.mul_f64(grace)),
                    interval,
                },
            );
        }
        Liveness {
            devices: Mutex::new(devices),
            grace,
        }
    }

    /// Follows a new device table: new devices start online with a full window, removed ones
    /// are forgotten, and a changed supervision interval applies from now.
    pub fn sync(&self, directory: &Directory) {
        let now = Instant::now();
        let mut d = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        d.retain(|id, _| directory.by_id(id).is_some());
        for dev in directory.all() {
            let interval = dev.supervision;
            let window = interval.map(|i| i.mul_f64(self.grace));
            let live = d.entry(dev.id.clone()).or_insert(Live {
                last_seen: now,
                offline: false,
                window,
                interval,
            });
            if live.interval != interval {
                live.interval = interval;
                live.window = window;
                live.last_seen = now;
            }
        }
    }

    /// A message arrived from `device`: records it and marks the device online. Returns true
    /// if it was offline (the caller appends the restore, or calls [`Liveness::revert`]).
    pub fn seen(&self, device: &str) -> bool {
        let mut d = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        match d.get_mut(device) {
            Some(l) => {
                l.last_seen = Instant::now();
                std::mem::replace(&mut l.offline, false)
            }
            None => false,
        }
    }

    /// Sets the flag; returns whether it changed (MQTT status messages repeat, e.g. retained).
    pub fn set_offline(&self, device: &str, offline: bool) -> bool {
        let mut d = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        match d.get_mut(device) {
            Some(l) if l.offline != offline => {
                l.offline = offline;
                if !offline {
                    l.last_seen = Instant::now();
                }
                true
            }
            _ => false,
        }
    }

    /// Undoes a transition whose events could not be stored.
    pub fn revert(&self, device: &str, offline: bool) {
        let mut d = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = d.get_mut(device) {
            l.offline = offline;
        }
    }

    pub fn is_offline(&self, device: &str) -> bool {
        let d = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        d.get(device).is_some_and(|l| l.offline)
    }

    /// Supervised devices silent past their window, marked offline now.
    pub fn take_overdue(&self, now: Instant) -> Vec<Overdue> {
        let mut d = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (id, l) in d.iter_mut() {
            if let (Some(w), Some(i), false) = (l.window, l.interval, l.offline) {
                let silent = now.saturating_duration_since(l.last_seen);
                if silent > w {
                    l.offline = true;
                    out.push(Overdue {
                        device_id: id.clone(),
                        silent,
                        interval: i,
                    });
                }
            }
        }
        out
    }
}

/// Checks supervision windows every second and raises `device-offline`.
pub async fn run(liveness: Arc<Liveness>, outbox: Outbox, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for o in liveness.take_overdue(Instant::now()) {
            let ev = NewEvent::new(
                &o.device_id,
                "device-offline",
                chrono::Utc::now(),
                json!({
                    "source": "dc09-supervision",
                    "silent_s": o.silent.as_secs(),
                    "supervision_s": o.interval.as_secs(),
                }),
            );
            let event_id = ev.event_id.clone();
            let change = StateChange {
                device_id: o.device_id.clone(),
                offline: true,
            };
            match outbox.append(vec![ev], "bridge", Some(change)).await {
                Ok(_) => {
                    metrics.inc("safetynet_bridge_supervision_offline_total", &[]);
                    metrics.inc(
                        "safetynet_bridge_events_in_total",
                        &[("source", "bridge"), ("kind", "device-offline")],
                    );
                    tracing::warn!(device_id = %o.device_id, event_id = %event_id, silent_s = o.silent.as_secs(), supervision_s = o.interval.as_secs(), "supervision window missed: device-offline");
                }
                Err(e) => {
                    // Try again at the next check.
                    liveness.revert(&o.device_id, false);
                    tracing::error!(device_id = %o.device_id, error = %e, "could not store device-offline");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeviceEntry;

    fn dir() -> Directory {
        Directory::build(&[
            DeviceEntry {
                device_id: "gw".into(),
                secret: "s".into(),
                dc09_account: Some("1234".into()),
                supervision_s: Some(10),
                ..DeviceEntry::default()
            },
            DeviceEntry {
                device_id: "spk".into(),
                secret: "s".into(),
                ..DeviceEntry::default()
            },
        ])
        .unwrap()
    }

    #[test]
    fn window_is_grace_times_interval() {
        let d = dir();
        let l = Liveness::new(&d, &HashSet::new(), 2.0);
        let t0 = Instant::now();
        assert!(l.take_overdue(t0 + Duration::from_secs(19)).is_empty());
        let o = l.take_overdue(t0 + Duration::from_secs(21));
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].device_id, "gw");
        assert_eq!(o[0].interval, Duration::from_secs(10));
        // Raised once.
        assert!(l.take_overdue(t0 + Duration::from_secs(60)).is_empty());
        assert!(l.is_offline("gw"));
        // A message brings it back (the caller sends the restore).
        assert!(l.seen("gw"));
        assert!(!l.seen("gw"));
        assert!(!l.is_offline("gw"));
    }

    #[test]
    fn status_flags_change_once() {
        let d = dir();
        let off = HashSet::from(["spk".to_string()]);
        let l = Liveness::new(&d, &off, 2.0);
        assert!(l.is_offline("spk"));
        assert!(!l.set_offline("spk", true));
        assert!(l.set_offline("spk", false));
        assert!(!l.set_offline("spk", false));
        assert!(!l.set_offline("unknown", true));
    }
}
