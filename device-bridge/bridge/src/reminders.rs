//! Reminder push: polls the suite's due-reminder feed and publishes each item to its speaker's
//! `…/{id}/commands` topic (QoS 1).
//!
//! The feed is the reminders function's `GET /api/v1/reminders/due` (issue 5); the bridge
//! expects this contract (tested against a fake feed):
//!
//! ```text
//! GET <reminders.feed_url>?limit=<reminders.batch>   (a path is taken relative to suite.url)
//! Authorization: Bearer <suite.clock_token>          (role clock)
//!
//! 200 [                                               ({"items": […]} is accepted too)
//!   {"delivery_id": "sch-…@1795651200000",   required, unique per occurrence: the idempotency key
//!    "device_id": "dev-…",                   required, the resident's speaker (suite device id)
//!    "kind": "medication",                   medication | appointment | cognitive-training |
//!                                            music | relaxation | check-in
//!    "type": "reminder"?,                    reminder | announcement | check-in; when absent it is
//!                                            "check-in" for kind check-in, else "reminder"
//!    "text": "할머니, 아침 약 드실 시간이에요.", "occurs_at": "<RFC 3339>", "needs_ack": true,
//!    … any other fields …}
//! ]
//! ```
//!
//! Each item is published to the speaker as the JSON object of the command message, unchanged
//! except that `type` is filled in. The feed claims what it hands out, so the bridge stores
//! every item in its outbox before publishing (a crash after the poll loses nothing) and
//! publishes one `delivery_id` only once, even if the feed hands it out again. An item counts
//! as delivered when the broker's PUBACK arrives; the speaker closes the loop with a
//! `reminder-ack` event (or a `check-in` answer) carrying the `delivery_id` in `data`. The
//! topic id is the device's `mqtt_id` from the device table, or its device id when the table
//! does not list it. A full batch is followed at once by another poll.

use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::delivery::HttpClient;
use crate::devices::{Directory, SharedDirectory};
use crate::metrics::Metrics;
use crate::mqtt::CommandSender;
use crate::outbox::{Command, Outbox};

pub const TYPES: &[&str] = &["reminder", "announcement", "check-in"];

fn topic_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Reads a feed answer into commands; malformed items are skipped with their reason.
pub fn parse_feed(
    body: &[u8],
    directory: &Directory,
) -> Result<(Vec<Command>, Vec<&'static str>), &'static str> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "feed answer is not JSON")?;
    let items = match &v {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("items")
            .and_then(Value::as_array)
            .ok_or("feed answer has no items array")?,
        _ => return Err("feed answer is neither an object nor an array"),
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for item in items {
        let Some(obj) = item.as_object() else {
            skipped.push("item is not an object");
            continue;
        };
        let s = |k: &str| obj.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let (Some(delivery_id), Some(device_id)) = (s("delivery_id"), s("device_id")) else {
            skipped.push("item lacks delivery_id or device_id");
            continue;
        };
        let kind = match (s("type"), s("kind")) {
            (Some(t), _) => t,
            (None, Some("check-in")) => "check-in",
            (None, _) => "reminder",
        };
        if delivery_id.len() > 200 {
            skipped.push("delivery_id too long");
            continue;
        }
        if !TYPES.contains(&kind) {
            skipped.push("unknown type");
            continue;
        }
        let topic_id = match directory.by_id(device_id) {
            Some(d) => d.mqtt_id.clone(),
            None if topic_safe(device_id) => device_id.to_string(),
            None => {
                skipped.push("device_id cannot be used in a topic");
                continue;
            }
        };
        let mut payload = obj.clone();
        payload.insert("type".into(), Value::String(kind.to_string()));
        out.push(Command {
            delivery_id: delivery_id.to_string(),
            device_id: device_id.to_string(),
            topic_id,
            kind: kind.to_string(),
            payload: Value::Object(payload).to_string(),
        });
    }
    Ok((out, skipped))
}

pub struct Poller {
    pub client: HttpClient,
    pub url: String,
    pub token: String,
    pub batch: u32,
    pub interval: Duration,
    pub directory: Arc<SharedDirectory>,
    pub outbox: Outbox,
    pub commands: CommandSender,
    pub metrics: Arc<Metrics>,
}

impl Poller {
    /// Polls until the task is dropped. A full batch is followed at once by another poll.
    pub async fn run(self) {
        let auth = format!("Bearer {}", self.token);
        let sep = if self.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}limit={}", self.url, self.batch);
        let headers: Vec<(&str, &str)> = if self.token.is_empty() {
            Vec::new()
        } else {
            vec![("authorization", auth.as_str())]
        };
        let mut last_warn: Option<Instant> = None;
        loop {
            let mut again = false;
            match self.client.get(&url, &headers).await {
                Ok(a) if a.status == 200 => match parse_feed(&a.body, &self.directory.current()) {
                    Ok((items, skipped)) => {
                        self.metrics
                            .inc("safetynet_bridge_reminder_polls_total", &[("result", "ok")]);
                        for why in skipped {
                            tracing::warn!(reason = why, "reminder feed item skipped");
                        }
                        again = items.len() as u32 >= self.batch;
                        self.publish(items).await;
                    }
                    Err(why) => {
                        self.metrics.inc(
                            "safetynet_bridge_reminder_polls_total",
                            &[("result", "bad-answer")],
                        );
                        tracing::warn!(reason = why, "reminder feed answer not understood");
                    }
                },
                other => {
                    self.metrics.inc(
                        "safetynet_bridge_reminder_polls_total",
                        &[("result", "failed")],
                    );
                    if last_warn.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                        last_warn = Some(Instant::now());
                        let what = match other {
                            Ok(a) => format!("status {}", a.status),
                            Err(e) => e,
                        };
                        tracing::warn!(error = %what, "reminder feed poll failed");
                    }
                }
            }
            if !again {
                tokio::time::sleep(self.interval).await;
            }
        }
    }

    async fn publish(&self, items: Vec<Command>) {
        if items.is_empty() {
            return;
        }
        match self.outbox.add_commands(items.clone()).await {
            Ok(fresh) => {
                for (c, new) in items.into_iter().zip(fresh) {
                    if new {
                        tracing::info!(delivery_id = %c.delivery_id, device_id = %c.device_id, kind = %c.kind, "publishing command");
                        if self.commands.send(c).await.is_err() {
                            return;
                        }
                    }
                }
            }
            Err(e) => {
                // Claimed by the feed but not stored: the feed must hand them out again.
                tracing::error!(error = %e, "reminder commands could not be stored");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeviceEntry;

    #[test]
    fn feed_items_become_commands() {
        let dir = Directory::build(&[DeviceEntry {
            device_id: "dev_s".into(),
            secret: "x".into(),
            mqtt_id: Some("speaker-1".into()),
            ..DeviceEntry::default()
        }])
        .unwrap();
        // The reminders function's shape: a bare array, `kind` but no `type`.
        let body = r#"[
            {"delivery_id":"sch-1@1795651200000","device_id":"dev_s","resident_id":"res-1","kind":"medication","text":"할머니, 아침 약 드실 시간이에요.","occurs_at":"2026-11-26T00:00:00.000Z","needs_ack":true},
            {"delivery_id":"d2","device_id":"dev_other","kind":"check-in","text":"오늘 기분은 어떠세요?"},
            {"delivery_id":"d3","device_id":"dev_s","type":"dance"},
            {"device_id":"dev_s","type":"reminder"},
            {"delivery_id":"d4","device_id":"a/b","type":"announcement"},
            {"delivery_id":"d5","device_id":"dev_s","type":"announcement","text":"내일 정전 안내"}
        ]"#;
        let (cmds, skipped) = parse_feed(body.as_bytes(), &dir).unwrap();
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0].topic_id, "speaker-1");
        assert_eq!(cmds[0].kind, "reminder");
        let p: Value = serde_json::from_str(&cmds[0].payload).unwrap();
        assert_eq!(p["text"], "할머니, 아침 약 드실 시간이에요.");
        assert_eq!(p["delivery_id"], "sch-1@1795651200000");
        assert_eq!(p["type"], "reminder");
        assert_eq!(p["needs_ack"], true);
        assert_eq!(cmds[1].topic_id, "dev_other");
        assert_eq!(cmds[1].kind, "check-in");
        assert_eq!(cmds[2].kind, "announcement");
        assert_eq!(skipped.len(), 3);
        // {"items": [...]} works too.
        let (cmds, _) = parse_feed(
            br#"{"items":[{"delivery_id":"x","device_id":"dev_s","type":"announcement"}]}"#,
            &dir,
        )
        .unwrap();
        assert_eq!(cmds.len(), 1);
        assert!(parse_feed(b"{}", &dir).is_err());
        assert!(parse_feed(b"nope", &dir).is_err());
    }
}
