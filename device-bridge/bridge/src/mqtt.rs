//! The MQTT link to AI care speakers (DESIGN §4): a rumqttc client with a persistent session
//! (fixed client id, clean_session=false) and QoS 1 both ways.
//!
//! Topics, with `{prefix}` = `mqtt.topic_prefix` (default `safetynet/v1/devices`) and `{id}` a
//! device's `mqtt_id`:
//!
//! - `{prefix}/{id}/events` (speaker → bridge, QoS 1). Payload JSON:
//!   `{"event_id": "…"?, "kind": "voice-sos", "occurred_at": "<RFC 3339>"?, "data": {…}?}`.
//!   `kind` is one of the webhook's kinds. Give `event_id` (unique per speaker, ≤ 128
//!   characters): the suite's event id is derived from it, so a redelivered message is stored
//!   once; without it every copy is a new event. The PUBACK is sent only after the event is in
//!   the outbox, so the broker redelivers anything the bridge did not store. Malformed
//!   messages and unknown speakers are acknowledged (redelivery would not help) and counted.
//! - `{prefix}/{id}/status` (speaker → bridge): `online` / `offline`, plain or
//!   `{"status": "…"}`, normally retained, with `offline` as the speaker's last will. A change
//!   to offline becomes a `device-offline` event, back to online a `restore`
//!   (`data.restores = "device-offline"`); repeats (retained copies) change nothing.
//! - `{prefix}/{id}/commands` (bridge → speaker, QoS 1): JSON commands — `reminder`,
//!   `announcement`, `check-in` — from the reminder feed (see `reminders`), each with its
//!   `delivery_id` so the speaker can acknowledge it with a `reminder-ack` event. A command is
//!   marked published only when the broker's PUBACK arrives; until then it is republished
//!   after a restart.

use anyhow::{Context, Result, bail};
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, Publish, QoS};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use crate::devices::SharedDirectory;
use crate::events::{self, NewEvent};
use crate::metrics::Metrics;
use crate::outbox::{self, AppendError, Outbox, StateChange};
use crate::supervision::Liveness;

pub struct Settings {
    pub host: String,
    pub port: u16,
    /// TLS to the broker, when it is reached over TLS.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub keep_alive: Duration,
    pub topic_prefix: String,
}

/// A broker address: where, and whether over TLS.
#[derive(Debug, PartialEq, Eq)]
pub struct Broker {
    /// Host name or IP address.
    pub host: String,
    /// Port (1883, or 8883 over TLS, when omitted).
    pub port: u16,
    /// `mqtts://` or `ssl://`.
    pub tls: bool,
}

/// `mqtt://host:port`, `tcp://host:port`, `host:port`, or over TLS `mqtts://host:port` /
/// `ssl://host:port`.
pub fn parse_broker(s: &str) -> Result<Broker> {
    let (rest, tls) = if let Some(r) = s
        .strip_prefix("mqtts://")
        .or_else(|| s.strip_prefix("ssl://"))
    {
        (r, true)
    } else {
        (
            s.strip_prefix("mqtt://")
                .or_else(|| s.strip_prefix("tcp://"))
                .unwrap_or(s),
            false,
        )
    };
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() {
        bail!("mqtt.broker is empty");
    }
    let default_port = if tls { 8883 } else { 1883 };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => (
            h.trim_start_matches('[').trim_end_matches(']').to_string(),
            p.parse::<u16>()
                .with_context(|| format!("mqtt.broker {s:?}: bad port"))?,
        ),
        _ => (rest.to_string(), default_port),
    };
    Ok(Broker { host, port, tls })
}

/// TLS to an external broker, trusting the certificates in `ca_file` (PEM).
pub fn tls_client(ca_file: &str) -> Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        CertificateDer::pem_file_iter(ca_file).with_context(|| format!("mqtt.ca_file {ca_file}"))?
    {
        roots
            .add(cert.with_context(|| format!("mqtt.ca_file {ca_file}"))?)
            .with_context(|| format!("mqtt.ca_file {ca_file}"))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// What the link needs from the rest of the bridge.
pub struct Link {
    pub directory: Arc<SharedDirectory>,
    pub outbox: Outbox,
    pub metrics: Arc<Metrics>,
    pub liveness: Arc<Liveness>,
}

/// Where commands for speakers are handed to the link.
pub type CommandSender = mpsc::Sender<outbox::Command>;

/// What a speaker's message is about, by its topic.
pub enum Topic<'a> {
    /// `{prefix}/{id}/events`: an event of device `id`.
    Events(&'a str),
    /// `{prefix}/{id}/status`: device `id` online or offline (its last will).
    Status(&'a str),
}

/// The device and leaf of a topic under `prefix`; `None` for any other topic.
pub fn parse_topic<'a>(prefix: &str, topic: &'a str) -> Option<Topic<'a>> {
    let rest = topic.strip_prefix(prefix)?.strip_prefix('/')?;
    let (id, leaf) = rest.split_once('/')?;
    match leaf {
        "events" => Some(Topic::Events(id)),
        "status" => Some(Topic::Status(id)),
        _ => None,
    }
}

/// The event id for a speaker-given id: stable, so a redelivered message is one event.
pub fn event_id_for(device_id: &str, given: &str) -> String {
    let mut h = Sha256::new();
    h.update(device_id.as_bytes());
    h.update(b"\n");
    h.update(given.as_bytes());
    let d = h.finalize();
    let mut s = String::from("mq-");
    for b in &d[..16] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Turns a speaker's event message into an event, or says why not.
pub fn parse_event(device_id: &str, payload: &[u8]) -> Result<NewEvent, &'static str> {
    let v: Value = serde_json::from_slice(payload).map_err(|_| "not JSON")?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let kind = obj.get("kind").and_then(Value::as_str).ok_or("no kind")?;
    if !events::is_known_kind(kind) {
        return Err("unknown kind");
    }
    let occurred = match obj.get("occurred_at") {
        None | Some(Value::Null) => chrono::Utc::now(),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|_| "occurred_at is not RFC 3339")?
            .with_timezone(&chrono::Utc),
        Some(_) => return Err("occurred_at is not RFC 3339"),
    };
    let mut data = match obj.get("data") {
        None | Some(Value::Null) => json!({}),
        Some(d @ Value::Object(_)) => d.clone(),
        Some(_) => return Err("data is not an object"),
    };
    data["source"] = json!("mqtt");
    let mut ev = NewEvent::new(device_id, kind, occurred, data);
    match obj.get("event_id") {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 128 => {
            ev.event_id = event_id_for(device_id, id);
        }
        Some(_) => return Err("event_id must be a string of 1-128 characters"),
    }
    Ok(ev)
}

/// `online` / `offline`, plain or `{"status": …}`.
pub fn parse_status(payload: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(payload).ok()?.trim();
    let word = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => o.get("status")?.as_str()?.to_string(),
        Ok(Value::String(s)) => s,
        _ => text.to_string(),
    };
    match word.to_ascii_lowercase().as_str() {
        "online" => Some(false),
        "offline" => Some(true),
        _ => None,
    }
}

/// Connects and runs the link until the task is dropped. Returns the sender for commands.
pub fn start(settings: Settings, link: Link) -> CommandSender {
    let mut opts = MqttOptions::new(
        settings.client_id.clone(),
        settings.host.clone(),
        settings.port,
    );
    opts.set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(settings.keep_alive)
        .set_max_packet_size(256 * 1024, 256 * 1024)
        .set_inflight(100);
    if let Some(u) = &settings.username {
        opts.set_credentials(u.clone(), settings.password.clone().unwrap_or_default());
    }
    if let Some(tls) = &settings.tls {
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(tls.clone()),
        ));
    }
    let (client, mut eventloop) = AsyncClient::new(opts, 1024);
    let link = Arc::new(link);
    let prefix = settings.topic_prefix.trim_end_matches('/').to_string();

    // Commands: publish in order; remember which command each QoS 1 packet id carries.
    let awaiting: Arc<Mutex<VecDeque<(String, String)>>> = Arc::new(Mutex::new(VecDeque::new()));
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<outbox::Command>(1024);
    {
        let (client, awaiting, prefix) = (client.clone(), awaiting.clone(), prefix.clone());
        tokio::spawn(async move {
            while let Some(c) = cmd_rx.recv().await {
                let topic = format!("{prefix}/{}/commands", c.topic_id);
                awaiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back((c.delivery_id.clone(), c.kind.clone()));
                if client
                    .publish(topic, QoS::AtLeastOnce, false, c.payload.into_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }

    // Incoming publishes: stored in arrival order, acknowledged in arrival order.
    let (in_tx, in_rx) = mpsc::unbounded_channel::<Publish>();
    tokio::spawn(handle_incoming(
        in_rx,
        client.clone(),
        link.clone(),
        prefix.clone(),
    ));

    let subs = [format!("{prefix}/+/events"), format!("{prefix}/+/status")];
    let metrics = link.metrics.clone();
    let outbox = link.outbox.clone();
    tokio::spawn(async move {
        let mut inflight: HashMap<u16, (String, String)> = HashMap::new();
        let mut last_warn: Option<Instant> = None;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    metrics.mqtt_connected.set(1);
                    tracing::info!(host = %settings.host, port = settings.port, session_present = ack.session_present, "connected to the MQTT broker");
                    for t in &subs {
                        if let Err(e) = client.try_subscribe(t.clone(), QoS::AtLeastOnce) {
                            tracing::error!(error = %e, topic = %t, "MQTT subscribe failed");
                        }
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = in_tx.send(p);
                }
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) if pkid != 0 => {
                    // A pkid already mapped is a replay after a reconnect, not a new command.
                    if let std::collections::hash_map::Entry::Vacant(slot) = inflight.entry(pkid)
                        && let Some(id) = awaiting
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .pop_front()
                    {
                        slot.insert(id);
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    if let Some((id, kind)) = inflight.remove(&ack.pkid) {
                        outbox.command_published(&id);
                        metrics.inc(
                            "safetynet_bridge_commands_published_total",
                            &[("type", &kind)],
                        );
                        tracing::debug!(delivery_id = %id, "command acknowledged by the broker");
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    metrics.mqtt_connected.set(0);
                    if last_warn.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                        last_warn = Some(Instant::now());
                        tracing::warn!(host = %settings.host, port = settings.port, error = %e, "MQTT broker unreachable; retrying every second");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    cmd_tx
}

type Stored = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppendError>> + Send>>;

async fn handle_incoming(
    mut rx: mpsc::UnboundedReceiver<Publish>,
    client: AsyncClient,
    link: Arc<Link>,
    prefix: String,
) {
    // Stage 1 submits to the outbox in arrival order; stage 2 awaits each commit in the same
    // order and only then acknowledges, so PUBACKs go out in order and never early.
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<(Publish, Stored)>();
    let acker = {
        let client = client.clone();
        let link = link.clone();
        tokio::spawn(async move {
            while let Some((p, stored)) = ack_rx.recv().await {
                match stored.await {
                    Ok(()) => {
                        let _ = client.ack(&p).await;
                    }
                    Err(e) => {
                        // Not stored: no PUBACK, so the broker redelivers it after a reconnect.
                        link.metrics.inc(
                            "safetynet_bridge_events_refused_total",
                            &[
                                ("source", "mqtt"),
                                (
                                    "reason",
                                    match e {
                                        AppendError::OverBudget => "budget",
                                        AppendError::Failed(_) => "store-failed",
                                    },
                                ),
                            ],
                        );
                        tracing::warn!(topic = %p.topic, error = %e, "MQTT event not stored; not acknowledged");
                    }
                }
            }
        })
    };
    while let Some(p) = rx.recv().await {
        let stored = process(&link, &prefix, &p);
        if ack_tx.send((p, stored)).is_err() {
            break;
        }
    }
    drop(ack_tx);
    let _ = acker.await;
}

fn done() -> Stored {
    Box::pin(async { Ok(()) })
}

/// Submits what a message means to the outbox (synchronously, to keep order) and returns the
/// commit to wait for before acknowledging.
fn process(link: &Arc<Link>, prefix: &str, p: &Publish) -> Stored {
    let m = &link.metrics;
    let Some(topic) = parse_topic(prefix, &p.topic) else {
        m.inc(
            "safetynet_bridge_mqtt_messages_total",
            &[("topic", "other"), ("result", "ignored")],
        );
        return done();
    };
    match topic {
        Topic::Events(id) => {
            let Some(dev) = link.directory.current().by_mqtt(id).cloned() else {
                m.inc(
                    "safetynet_bridge_mqtt_messages_total",
                    &[("topic", "events"), ("result", "unknown-device")],
                );
                m.inc(
                    "safetynet_bridge_events_refused_total",
                    &[("source", "mqtt"), ("reason", "unknown-device")],
                );
                tracing::warn!(mqtt_id = %id, "event from a speaker not in the device table; dropped");
                return done();
            };
            let ev = match parse_event(&dev.id, &p.payload) {
                Ok(ev) => ev,
                Err(why) => {
                    m.inc(
                        "safetynet_bridge_mqtt_messages_total",
                        &[("topic", "events"), ("result", "bad-payload")],
                    );
                    m.inc(
                        "safetynet_bridge_events_refused_total",
                        &[("source", "mqtt"), ("reason", "bad-payload")],
                    );
                    tracing::warn!(device_id = %dev.id, reason = why, "malformed speaker event; dropped");
                    return done();
                }
            };
            let was_offline = link.liveness.seen(&dev.id);
            let mut evs = Vec::with_capacity(2);
            if was_offline {
                evs.push(NewEvent::new(
                    &dev.id,
                    "restore",
                    chrono::Utc::now(),
                    json!({"source": "mqtt", "restores": "device-offline"}),
                ));
            }
            let kind = ev.kind.clone();
            let event_id = ev.event_id.clone();
            evs.push(ev);
            let change = was_offline.then(|| StateChange {
                device_id: dev.id.clone(),
                offline: false,
            });
            let fut = link.outbox.submit(evs, "mqtt", change);
            let link = link.clone();
            Box::pin(async move {
                match fut.await {
                    Ok(acc) => {
                        let m = &link.metrics;
                        m.inc(
                            "safetynet_bridge_mqtt_messages_total",
                            &[("topic", "events"), ("result", "stored")],
                        );
                        if matches!(acc.last(), Some(outbox::Accepted::Stored(_))) {
                            m.inc(
                                "safetynet_bridge_events_in_total",
                                &[("source", "mqtt"), ("kind", &kind)],
                            );
                            if events::is_urgent(&kind) {
                                tracing::info!(event_id = %event_id, device_id = %dev.id, kind = %kind, "speaker alarm stored");
                            }
                        }
                        Ok(())
                    }
                    Err(e) => {
                        if was_offline {
                            link.liveness.revert(&dev.id, true);
                        }
                        Err(e)
                    }
                }
            })
        }
        Topic::Status(id) => {
            let Some(dev) = link.directory.current().by_mqtt(id).cloned() else {
                m.inc(
                    "safetynet_bridge_mqtt_messages_total",
                    &[("topic", "status"), ("result", "unknown-device")],
                );
                return done();
            };
            let Some(offline) = parse_status(&p.payload) else {
                m.inc(
                    "safetynet_bridge_mqtt_messages_total",
                    &[("topic", "status"), ("result", "bad-payload")],
                );
                return done();
            };
            if !link.liveness.set_offline(&dev.id, offline) {
                m.inc(
                    "safetynet_bridge_mqtt_messages_total",
                    &[("topic", "status"), ("result", "unchanged")],
                );
                return done();
            }
            let ev = if offline {
                NewEvent::new(
                    &dev.id,
                    "device-offline",
                    chrono::Utc::now(),
                    json!({"source": "mqtt-status"}),
                )
            } else {
                NewEvent::new(
                    &dev.id,
                    "restore",
                    chrono::Utc::now(),
                    json!({"source": "mqtt-status", "restores": "device-offline"}),
                )
            };
            let kind = ev.kind.clone();
            let fut = link.outbox.submit(
                vec![ev],
                "mqtt",
                Some(StateChange {
                    device_id: dev.id.clone(),
                    offline,
                }),
            );
            let link = link.clone();
            Box::pin(async move {
                match fut.await {
                    Ok(_) => {
                        link.metrics.inc(
                            "safetynet_bridge_mqtt_messages_total",
                            &[("topic", "status"), ("result", "stored")],
                        );
                        link.metrics.inc(
                            "safetynet_bridge_events_in_total",
                            &[("source", "mqtt"), ("kind", &kind)],
                        );
                        tracing::info!(device_id = %dev.id, offline, "speaker status changed");
                        Ok(())
                    }
                    Err(e) => {
                        link.liveness.revert(&dev.id, !offline);
                        Err(e)
                    }
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses() {
        assert_eq!(
            parse_broker("mqtt://b.local:1884")
                .map(|b| (b.host, b.port))
                .unwrap(),
            ("b.local".into(), 1884)
        );
        assert_eq!(
            parse_broker("10.0.0.5")
                .map(|b| (b.host, b.port, b.tls))
                .unwrap(),
            ("10.0.0.5".into(), 1883, false)
        );
        assert_eq!(
            parse_broker("tcp://127.0.0.1:1")
                .map(|b| (b.host, b.port))
                .unwrap(),
            ("127.0.0.1".into(), 1)
        );
        assert_eq!(
            parse_broker("mqtts://x").unwrap(),
            Broker {
                host: "x".into(),
                port: 8883,
                tls: true
            }
        );
        assert!(parse_broker("mqtt://x:notaport").is_err());
    }

    #[test]
    fn topics() {
        let p = "safetynet/v1/devices";
        assert!(matches!(
            parse_topic(p, "safetynet/v1/devices/spk-1/events"),
            Some(Topic::Events("spk-1"))
        ));
        assert!(matches!(
            parse_topic(p, "safetynet/v1/devices/spk-1/status"),
            Some(Topic::Status("spk-1"))
        ));
        assert!(parse_topic(p, "safetynet/v1/devices/spk-1/commands").is_none());
        assert!(parse_topic(p, "other/spk-1/events").is_none());
    }

    #[test]
    fn speaker_events() {
        let e = parse_event("dev_s", br#"{"event_id":"a1","kind":"voice-sos","occurred_at":"2025-01-15T12:00:00+09:00","data":{"utterance_id":"u1"}}"#).unwrap();
        assert_eq!(e.kind, "voice-sos");
        assert_eq!(e.occurred_at, "2025-01-15T03:00:00.000Z");
        assert_eq!(e.data["utterance_id"], "u1");
        assert_eq!(e.data["source"], "mqtt");
        assert_eq!(e.event_id, event_id_for("dev_s", "a1"));
        assert_ne!(
            e.event_id,
            event_id_for("dev_t", "a1"),
            "ids are per speaker"
        );
        let anon = parse_event("dev_s", br#"{"kind":"check-in"}"#).unwrap();
        assert!(anon.event_id.starts_with("br-"));
        assert_eq!(parse_event("d", b"{}"), Err("no kind"));
        assert_eq!(
            parse_event("d", br#"{"kind":"dance"}"#),
            Err("unknown kind")
        );
        assert_eq!(
            parse_event("d", br#"{"kind":"fall","data":[1]}"#),
            Err("data is not an object")
        );
        assert_eq!(
            parse_event("d", br#"{"kind":"fall","occurred_at":"yesterday"}"#),
            Err("occurred_at is not RFC 3339")
        );
        assert_eq!(parse_event("d", b"\xff"), Err("not JSON"));
    }

    #[test]
    fn statuses() {
        assert_eq!(parse_status(b"online"), Some(false));
        assert_eq!(parse_status(b"OFFLINE\n"), Some(true));
        assert_eq!(parse_status(br#"{"status":"offline"}"#), Some(true));
        assert_eq!(parse_status(br#""online""#), Some(false));
        assert_eq!(parse_status(b"maybe"), None);
    }
}
