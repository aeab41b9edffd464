//! Device events as the suite's webhook takes them (DESIGN §4 "Device events"):
//! `{event_id, device_id, kind, occurred_at, sequence, data}`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use safetynet_vocabulary::EventKind;

/// Whether a device may report `kind` (the suite raises some kinds itself).
pub fn is_known_kind(kind: &str) -> bool {
    kind.parse::<EventKind>()
        .is_ok_and(EventKind::is_device_reported)
}

/// Kinds that go to 119: still accepted when the outbox is past its disk budget.
pub fn is_urgent(kind: &str) -> bool {
    kind.parse::<EventKind>().is_ok_and(EventKind::is_urgent)
}

/// An event about to be written to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: String,
    pub device_id: String,
    pub kind: String,
    /// RFC 3339.
    pub occurred_at: String,
    /// JSON object.
    pub data: Value,
    /// Recognises a retransmission of something already stored (DC-09 account + sequence +
    /// content); `None` when the event cannot repeat.
    pub dedupe_key: Option<String>,
}

impl NewEvent {
    pub fn new(device_id: &str, kind: &str, occurred_at: DateTime<Utc>, data: Value) -> NewEvent {
        NewEvent {
            event_id: new_event_id(),
            device_id: device_id.to_string(),
            kind: kind.to_string(),
            occurred_at: rfc3339(occurred_at),
            data,
            dedupe_key: None,
        }
    }

    pub fn with_dedupe_key(mut self, key: String) -> NewEvent {
        self.dedupe_key = Some(key);
        self
    }
}

/// An event in the outbox, ready to deliver.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Outbox row number: increasing, so per-device order is outbox order. Sent as `sequence`.
    pub seq: i64,
    pub event_id: String,
    pub device_id: String,
    pub kind: String,
    pub occurred_at: String,
    /// JSON text of the data object.
    pub data: String,
    /// Unix ms when the bridge accepted it.
    pub received_at_ms: i64,
}

impl Pending {
    /// The webhook body (signed as sent).
    pub fn body(&self) -> String {
        let data: Value = serde_json::from_str(&self.data).unwrap_or_else(|_| json!({}));
        json!({
            "event_id": self.event_id,
            "device_id": self.device_id,
            "kind": self.kind,
            "occurred_at": self.occurred_at,
            "sequence": self.seq,
            "data": data,
        })
        .to_string()
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A fresh, globally unique event id: `br-<unix ms hex>-<64 random bits hex>`. Random rather
/// than a counter, so a reinstalled bridge (empty outbox) never reuses an id the suite has seen
/// (the suite would answer a reused id with the first event's answer and drop the new one).
pub fn new_event_id() -> String {
    let mut r = [0u8; 8];
    if getrandom::fill(&mut r).is_err() {
        // No OS randomness: fall back to time and a counter (still unique per process run).
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        r = (n ^ std::process::id() as u64 ^ (now_ms() as u64).rotate_left(17)).to_be_bytes();
    }
    format!("br-{:x}-{:016x}", now_ms(), u64::from_be_bytes(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_short() {
        let a = new_event_id();
        let b = new_event_id();
        assert_ne!(a, b);
        assert!(a.starts_with("br-") && a.len() <= 40, "{a}");
    }

    #[test]
    fn body_has_the_webhook_fields() {
        let p = Pending {
            seq: 7,
            event_id: "e1".into(),
            device_id: "dev_1".into(),
            kind: "fire".into(),
            occurred_at: "2025-01-15T12:34:56.000Z".into(),
            data: r#"{"source":"dc09"}"#.into(),
            received_at_ms: 0,
        };
        let v: Value = serde_json::from_str(&p.body()).unwrap();
        assert_eq!(v["event_id"], "e1");
        assert_eq!(v["device_id"], "dev_1");
        assert_eq!(v["kind"], "fire");
        assert_eq!(v["sequence"], 7);
        assert_eq!(v["data"]["source"], "dc09");
        assert_eq!(v["occurred_at"], "2025-01-15T12:34:56.000Z");
    }

    #[test]
    fn kinds_match_the_codec() {
        use safetynet_dc09::EventKind::*;
        for k in [
            EmergencyCall,
            Fire,
            Smoke,
            Gas,
            Inactivity,
            Heartbeat,
            LowBattery,
            PowerLoss,
        ] {
            assert!(is_known_kind(k.as_str()), "{k}");
        }
        assert!(is_urgent("fire") && !is_urgent("heartbeat"));
    }
}
