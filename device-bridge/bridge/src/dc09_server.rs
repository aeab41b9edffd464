//! The SIA DC-09 receiver on TCP and UDP (codec: `safetynet-dc09`).
//!
//! For each frame: decode (CRC, length, AES per account, timestamp window) → find the device by
//! account → map Contact ID / SIA codes to event kinds → store the events in the outbox →
//! only then ACK (echoing sequence, receiver, prefix and account; encrypted `*ACK` when the
//! frame was encrypted). Damaged frames and timestamps outside −40 s/+20 s get NAK with our
//! time; intact frames we cannot process (unknown account or token, no key, bad ciphertext,
//! unparseable data) get DUH. If the outbox cannot take the events (disk budget, I/O error)
//! the panel gets NAK and retransmits later: nothing unstored is ever ACKed.
//!
//! NULL messages are supervision heartbeats (forwarded as `heartbeat` unless turned off). Any
//! frame is a sign of life for supervision (see `supervision`). A panel that lost our ACK
//! retransmits the same account + sequence + content: that is recognised for
//! `dc09.dedupe_window_s` and ACKed again without storing a second event. Valid events whose
//! code means nothing to Safety Net are ACKed and counted, not forwarded.

use chrono::{DateTime, Utc};
use safetynet_dc09::{
    DecodeError, FixedPad, Message, Payload, Qualifier, Report, Scan, SeededPad, Token, ack,
    decode, duh, encode, reply_to_error, scan,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::devices::SharedDirectory;
use crate::events::{self, NewEvent};
use crate::metrics::Metrics;
use crate::outbox::{Accepted, Outbox, StateChange};
use crate::supervision::Liveness;

/// Largest TCP buffer kept while waiting for a frame (a frame is at most 4105 bytes).
const MAX_BUFFER: usize = 8192;

pub struct Receiver {
    directory: Arc<SharedDirectory>,
    outbox: Outbox,
    metrics: Arc<Metrics>,
    liveness: Arc<Liveness>,
    forward_heartbeats: bool,
    pad: Mutex<SeededPad>,
}

fn reason(e: &DecodeError) -> &'static str {
    use safetynet_dc09::TimeError;
    match e {
        DecodeError::TooShort => "too-short",
        DecodeError::BadCrcField => "bad-crc-field",
        DecodeError::BadLengthField => "bad-length-field",
        DecodeError::BadLength { .. } => "bad-length",
        DecodeError::BadCrc { .. } => "bad-crc",
        DecodeError::BadHeader(_) => "bad-header",
        DecodeError::UnknownToken => "unknown-token",
        DecodeError::MissingKey => "missing-key",
        DecodeError::EncryptionRequired => "encryption-required",
        DecodeError::BadHex => "bad-hex",
        DecodeError::BadCiphertextLength(_) => "bad-ciphertext-length",
        DecodeError::BadPadding => "bad-padding",
        DecodeError::BadData(_) => "bad-data",
        DecodeError::MissingTimestamp => "missing-timestamp",
        DecodeError::BadTimestamp => "bad-timestamp",
        DecodeError::Time(TimeError::TooOld { .. }) => "timestamp-too-old",
        DecodeError::Time(TimeError::TooNew { .. }) => "timestamp-too-new",
    }
}

fn is_nak(reply: &[u8]) -> bool {
    reply.windows(5).any(|w| w == b"\"NAK\"")
}

/// Identifies a message across retransmissions: account, token, sequence, receiver, prefix
/// and the decrypted content without the timestamp (a panel may restamp a retry).
fn dedupe_base(msg: &Message) -> String {
    let mut plain = msg.clone();
    plain.header.encrypted = false;
    plain.timestamp = None;
    let mut h = Sha256::new();
    match encode(&plain, None, &mut FixedPad(b'0')) {
        Ok(bytes) => h.update(&bytes),
        Err(_) => h.update(format!("{plain:?}").as_bytes()),
    }
    let d = h.finalize();
    let mut s = String::with_capacity(40);
    s.push_str("dc09:");
    for b in &d[..16] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl Receiver {
    pub fn new(
        directory: Arc<SharedDirectory>,
        outbox: Outbox,
        metrics: Arc<Metrics>,
        liveness: Arc<Liveness>,
        forward_heartbeats: bool,
    ) -> Receiver {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        Receiver {
            directory,
            outbox,
            metrics,
            liveness,
            forward_heartbeats,
            pad: Mutex::new(SeededPad::new(u64::from_le_bytes(seed))),
        }
    }

    fn count(&self, transport: &'static str, reply: &'static str) {
        self.metrics.inc(
            "safetynet_bridge_dc09_frames_total",
            &[("transport", transport), ("reply", reply)],
        );
    }

    fn reply_duh(&self, msg: &Message, transport: &'static str, why: &'static str) -> Vec<u8> {
        self.count(transport, "duh");
        self.metrics
            .inc("safetynet_bridge_dc09_duh_total", &[("reason", why)]);
        duh(&msg.header)
    }

    fn reply_nak(&self, now: DateTime<Utc>, transport: &'static str, why: &'static str) -> Vec<u8> {
        self.count(transport, "nak");
        self.metrics
            .inc("safetynet_bridge_dc09_nak_total", &[("reason", why)]);
        safetynet_dc09::nak(now)
    }

    /// Answers one frame (`<LF>…<CR>`; a missing LF/CR is tolerated).
    pub async fn handle(&self, frame: &[u8], transport: &'static str) -> Vec<u8> {
        let now = Utc::now();
        let msg = match decode(frame, &*self.directory.current(), now) {
            Ok(m) => m,
            Err(e) => {
                let reply = reply_to_error(frame, &e, now);
                let why = reason(&e);
                if is_nak(&reply) {
                    self.count(transport, "nak");
                    self.metrics
                        .inc("safetynet_bridge_dc09_nak_total", &[("reason", why)]);
                } else {
                    self.count(transport, "duh");
                    self.metrics
                        .inc("safetynet_bridge_dc09_duh_total", &[("reason", why)]);
                }
                tracing::debug!(transport, reason = why, error = %e, "dc09 frame refused");
                return reply;
            }
        };
        let h = &msg.header;
        if !h.token.is_event() {
            return self.reply_duh(&msg, transport, "not-an-event");
        }
        let Some(dev) = self.directory.current().by_account(&h.account).cloned() else {
            tracing::warn!(transport, account = %h.account, "dc09 frame from an account not in the device table: DUH");
            return self.reply_duh(&msg, transport, "unknown-account");
        };

        let was_offline = self.liveness.seen(&dev.id);
        let occurred = msg.timestamp.unwrap_or(now);
        let base = dedupe_base(&msg);
        let mut events = Vec::new();
        if was_offline {
            events.push(NewEvent::new(
                &dev.id,
                "restore",
                now,
                json!({"source": "dc09", "restores": "device-offline"}),
            ));
        }
        let common = |extra: Map<String, Value>| -> Value {
            let mut d = json!({
                "token": h.token.as_str(),
                "seq": h.seq,
                "account": h.account,
                "prefix": h.prefix,
                "encrypted": h.encrypted,
            });
            if let Some(r) = &h.receiver {
                d["receiver"] = json!(r);
            }
            if !msg.extended.is_empty() {
                d["extended"] = json!(msg.extended);
            }
            let obj = d.as_object_mut().expect("object");
            obj.extend(extra);
            json!({"source": "dc09", "transport": transport, "dc09": d})
        };
        let mut unmapped = 0;
        match (&msg.payload, h.token) {
            // NULL: a supervision heartbeat (forwarded unless turned off).
            (_, Token::Null) if self.forward_heartbeats => {
                events.push(
                    NewEvent::new(&dev.id, "heartbeat", occurred, common(Map::new()))
                        .with_dedupe_key(format!("{base}:0")),
                );
            }
            (Payload::ContactId(c), _) => {
                let r = c.report();
                let mut extra = Map::new();
                extra.insert("code".into(), json!(format!("{:03}", c.code)));
                extra.insert(
                    "qualifier".into(),
                    json!(match c.qualifier {
                        Qualifier::New => "new",
                        Qualifier::Restore => "restore",
                        Qualifier::Status => "status",
                    }),
                );
                extra.insert("group".into(), json!(c.group));
                extra.insert("zone".into(), json!(c.zone));
                self.push_report(
                    &mut events,
                    &mut unmapped,
                    &dev.id,
                    r,
                    occurred,
                    common(extra),
                    &base,
                    0,
                );
            }
            (Payload::Sia(s), _) => {
                for (i, (e, r)) in s.events.iter().zip(s.reports()).enumerate() {
                    let mut extra = Map::new();
                    extra.insert("code".into(), json!(e.code.as_str()));
                    if let Some(a) = e.address {
                        extra.insert("address".into(), json!(a));
                    }
                    if let Some(a) = e.area {
                        extra.insert("area".into(), json!(a));
                    }
                    if let Some(u) = e.user {
                        extra.insert("user".into(), json!(u));
                    }
                    if let Some(t) = &e.text {
                        extra.insert("text".into(), json!(t));
                    }
                    self.push_report(
                        &mut events,
                        &mut unmapped,
                        &dev.id,
                        r,
                        occurred,
                        common(extra),
                        &base,
                        i,
                    );
                }
            }
            _ => {}
        }
        if unmapped > 0 {
            self.metrics
                .add("safetynet_bridge_dc09_unmapped_total", &[], unmapped);
        }

        if !events.is_empty() {
            let kinds: Vec<String> = events.iter().map(|e| e.kind.clone()).collect();
            let ids: Vec<String> = events.iter().map(|e| e.event_id.clone()).collect();
            let change = was_offline.then(|| StateChange {
                device_id: dev.id.clone(),
                offline: false,
            });
            match self.outbox.append(events, "dc09", change).await {
                Ok(accepted) => {
                    for ((a, kind), id) in accepted.iter().zip(&kinds).zip(&ids) {
                        match a {
                            Accepted::Stored(_) => {
                                self.metrics.inc(
                                    "safetynet_bridge_events_in_total",
                                    &[("source", "dc09"), ("kind", kind)],
                                );
                                if events::is_urgent(kind) {
                                    tracing::info!(event_id = %id, device_id = %dev.id, kind = %kind, transport, seq = h.seq, "alarm stored");
                                }
                            }
                            Accepted::Duplicate => {
                                self.metrics
                                    .inc("safetynet_bridge_dc09_duplicates_total", &[]);
                                tracing::debug!(device_id = %dev.id, seq = h.seq, "retransmitted dc09 frame: ACK again, not stored twice");
                            }
                        }
                    }
                }
                Err(e) => {
                    if was_offline {
                        self.liveness.revert(&dev.id, true);
                    }
                    let why = match e {
                        crate::outbox::AppendError::OverBudget => "budget",
                        crate::outbox::AppendError::Failed(_) => "store-failed",
                    };
                    self.metrics.inc(
                        "safetynet_bridge_events_refused_total",
                        &[("source", "dc09"), ("reason", why)],
                    );
                    tracing::warn!(device_id = %dev.id, seq = h.seq, error = %e, "dc09 events not stored: NAK, the panel will retry");
                    return self.reply_nak(now, transport, why);
                }
            }
        }

        let table = self.directory.current();
        let key = safetynet_dc09::KeyLookup::key_for(&*table, &h.account);
        let reply = {
            let mut pad = self.pad.lock().unwrap_or_else(|e| e.into_inner());
            ack(h, key, now, &mut *pad)
        };
        match reply {
            Ok(bytes) => {
                self.count(transport, "ack");
                tracing::debug!(device_id = %dev.id, transport, token = h.token.as_str(), seq = h.seq, "dc09 ACK");
                bytes
            }
            Err(e) => {
                // Cannot happen for a message we decoded; answer DUH rather than nothing.
                tracing::error!(device_id = %dev.id, error = %e, "could not encode ACK");
                self.reply_duh(&msg, transport, "ack-encode")
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_report(
        &self,
        events: &mut Vec<NewEvent>,
        unmapped: &mut u64,
        device_id: &str,
        report: Report,
        occurred: DateTime<Utc>,
        mut data: Value,
        base: &str,
        index: usize,
    ) {
        let Some(kind) = report.kind() else {
            *unmapped += 1;
            return;
        };
        if let Some(r) = report.restores() {
            data["restores"] = json!(r.as_str());
        }
        events.push(
            NewEvent::new(device_id, kind, occurred, data)
                .with_dedupe_key(format!("{base}:{index}")),
        );
    }
}

/// Accepts panel connections until the task is dropped.
pub async fn serve_tcp(listener: TcpListener, rx: Arc<Receiver>, idle: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let rx = rx.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    if let Err(e) = connection(stream, &rx, idle).await {
                        tracing::debug!(%peer, error = %e, "dc09 tcp connection ended");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "dc09 tcp accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connection(mut stream: TcpStream, rx: &Receiver, idle: Duration) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let mut garbage = 0usize;
        loop {
            match scan(&buf) {
                Scan::Frame { len } => {
                    let reply = rx.handle(&buf[..len], "tcp").await;
                    stream.write_all(&reply).await?;
                    buf.drain(..len);
                }
                Scan::Skip(n) => {
                    garbage += n;
                    buf.drain(..n);
                }
                Scan::NeedMore => break,
            }
        }
        if buf.len() > MAX_BUFFER {
            garbage += buf.len();
            buf.clear();
        }
        if garbage > 0 {
            rx.metrics.add(
                "safetynet_bridge_dc09_garbage_bytes_total",
                &[],
                garbage as u64,
            );
        }
        let n = match tokio::time::timeout(idle, stream.read(&mut chunk)).await {
            Ok(r) => r?,
            Err(_) => return Ok(()),
        };
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Answers datagrams until the task is dropped; each datagram carries one frame.
pub async fn serve_udp(socket: Arc<UdpSocket>, rx: Arc<Receiver>) {
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(error = %e, "dc09 udp receive failed");
                continue;
            }
        };
        let data = buf[..n].to_vec();
        let (sock, rx) = (socket.clone(), rx.clone());
        tokio::spawn(async move {
            let frame = match scan(&data) {
                Scan::Frame { len } => &data[..len],
                _ => &data[..],
            };
            let reply = rx.handle(frame, "udp").await;
            if let Err(e) = sock.send_to(&reply, peer).await {
                tracing::debug!(%peer, error = %e, "dc09 udp reply failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeviceEntry;
    use crate::devices::Directory;
    use safetynet_dc09::{ContactId, Key, NoKeys, decode_unchecked};
    use tokio::sync::mpsc;

    const K128: &str = "000102030405060708090A0B0C0D0E0F";

    struct Rig {
        rx: Receiver,
        sink: mpsc::UnboundedReceiver<Vec<events::Pending>>,
        outbox: Outbox,
        metrics: Arc<Metrics>,
        liveness: Arc<Liveness>,
    }

    async fn rig(label: &str) -> Rig {
        let dir = Directory::build(&[
            DeviceEntry {
                device_id: "dev_plain".into(),
                secret: "s1".into(),
                dc09_account: Some("1234".into()),
                ..DeviceEntry::default()
            },
            DeviceEntry {
                device_id: "dev_aes".into(),
                secret: "s2".into(),
                dc09_account: Some("5678".into()),
                dc09_key: Some(K128.into()),
                supervision_s: Some(30),
                ..DeviceEntry::default()
            },
        ])
        .unwrap();
        let dir = Arc::new(SharedDirectory::new(dir));
        let metrics = Metrics::new();
        let (tx, sink) = mpsc::unbounded_channel();
        let path = std::env::temp_dir()
            .join(format!(
                "bridge-dc09-{label}-{}-{}",
                std::process::id(),
                events::new_event_id()
            ))
            .join("o.db");
        let settings = crate::outbox::Settings {
            path,
            max_bytes: 1 << 30,
            warn_ratio: 0.8,
            keep_delivered: Duration::from_secs(60),
            dedupe_window: Duration::from_secs(600),
        };
        let (outbox, rec) = Outbox::open(settings, metrics.clone(), tx).unwrap();
        let liveness = Arc::new(Liveness::new(&dir.current(), &rec.offline, 2.0));
        let rx = Receiver::new(dir, outbox.clone(), metrics.clone(), liveness.clone(), true);
        Rig {
            rx,
            sink,
            outbox,
            metrics,
            liveness,
        }
    }

    fn cid(
        seq: u16,
        account: &str,
        q: Qualifier,
        code: u16,
        zone: u16,
        now: DateTime<Utc>,
        enc: bool,
    ) -> Vec<u8> {
        let msg = Message::new(
            Token::AdmCid,
            seq,
            "1",
            account,
            Payload::ContactId(ContactId::new(q, code, 1, zone).with_account(account)),
        )
        .with_receiver("12")
        .with_timestamp(now)
        .with_encryption(enc);
        let key = Key::from_hex(K128).unwrap();
        encode(&msg, enc.then_some(&key), &mut FixedPad(b'x')).unwrap()
    }

    fn token_of(reply: &[u8]) -> Token {
        let keys =
            std::collections::HashMap::from([("5678".to_string(), Key::from_hex(K128).unwrap())]);
        decode_unchecked(reply, &keys).unwrap().header.token
    }

    #[tokio::test]
    async fn fire_is_stored_then_acked_with_the_sequence() {
        let mut r = rig("fire").await;
        let now = Utc::now();
        let reply =
            r.rx.handle(&cid(42, "1234", Qualifier::New, 110, 3, now, false), "tcp")
                .await;
        let m = decode_unchecked(&reply, &NoKeys).unwrap();
        assert_eq!(m.header.token, Token::Ack);
        assert_eq!(m.header.seq, 42);
        assert_eq!(m.header.receiver.as_deref(), Some("12"));
        assert_eq!(m.header.account, "1234");
        let rows = r.sink.recv().await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].kind, "fire");
        assert_eq!(rows[0].device_id, "dev_plain");
        let data: Value = serde_json::from_str(&rows[0].data).unwrap();
        assert_eq!(data["dc09"]["zone"], 3);
        assert_eq!(data["dc09"]["code"], "110");
        assert_eq!(data["dc09"]["seq"], 42);
        assert_eq!(
            rows[0].occurred_at,
            events::rfc3339(now.with_nanosecond(0).unwrap())
        );
        r.outbox.shutdown().await;
    }

    use chrono::Timelike;

    #[tokio::test]
    async fn encrypted_frames_get_encrypted_acks_and_restores_map() {
        let mut r = rig("aes").await;
        let now = Utc::now();
        let reply =
            r.rx.handle(
                &cid(7, "5678", Qualifier::Restore, 111, 2, now, true),
                "udp",
            )
            .await;
        assert!(
            reply.starts_with(b"\n") && reply.windows(6).any(|w| w == b"\"*ACK\""),
            "{}",
            String::from_utf8_lossy(&reply)
        );
        assert_eq!(token_of(&reply), Token::Ack);
        let rows = r.sink.recv().await.unwrap();
        assert_eq!(rows[0].kind, "restore");
        let data: Value = serde_json::from_str(&rows[0].data).unwrap();
        assert_eq!(data["restores"], "smoke");
        assert_eq!(data["dc09"]["encrypted"], true);
        // A plain frame for the keyed account is refused (no downgrade).
        let plain =
            r.rx.handle(&cid(8, "5678", Qualifier::New, 110, 2, now, false), "udp")
                .await;
        assert_eq!(token_of(&plain), Token::Duh);
        r.outbox.shutdown().await;
    }

    #[tokio::test]
    async fn nak_duh_and_unknown_accounts() {
        let r = rig("errors").await;
        let now = Utc::now();
        // Stale timestamp → NAK with our time.
        let old =
            r.rx.handle(
                &cid(
                    1,
                    "1234",
                    Qualifier::New,
                    110,
                    1,
                    now - chrono::TimeDelta::seconds(90),
                    false,
                ),
                "tcp",
            )
            .await;
        assert_eq!(token_of(&old), Token::Nak);
        // Damaged CRC → NAK.
        let mut bad = cid(2, "1234", Qualifier::New, 110, 1, now, false);
        bad[1] = if bad[1] == b'0' { b'1' } else { b'0' };
        assert_eq!(token_of(&r.rx.handle(&bad, "tcp").await), Token::Nak);
        // Unknown account → DUH echoing the sequence.
        let unknown =
            r.rx.handle(&cid(3, "9999", Qualifier::New, 110, 1, now, false), "tcp")
                .await;
        let m = decode_unchecked(&unknown, &NoKeys).unwrap();
        assert_eq!((m.header.token, m.header.seq), (Token::Duh, 3));
        assert_eq!(
            r.metrics.get(
                "safetynet_bridge_dc09_nak_total",
                &[("reason", "timestamp-too-old")]
            ),
            1
        );
        assert_eq!(
            r.metrics
                .get("safetynet_bridge_dc09_nak_total", &[("reason", "bad-crc")]),
            1
        );
        assert_eq!(
            r.metrics.get(
                "safetynet_bridge_dc09_duh_total",
                &[("reason", "unknown-account")]
            ),
            1
        );
        r.outbox.shutdown().await;
    }

    #[tokio::test]
    async fn retransmissions_are_acked_but_stored_once() {
        let mut r = rig("dupe").await;
        let now = Utc::now();
        let f = cid(9, "1234", Qualifier::New, 100, 5, now, false);
        assert_eq!(token_of(&r.rx.handle(&f, "tcp").await), Token::Ack);
        // Same frame restamped a second later (as after a lost ACK).
        let f2 = cid(
            9,
            "1234",
            Qualifier::New,
            100,
            5,
            now + chrono::TimeDelta::seconds(1),
            false,
        );
        assert_eq!(token_of(&r.rx.handle(&f2, "tcp").await), Token::Ack);
        // A new sequence is a new event.
        let f3 = cid(10, "1234", Qualifier::New, 100, 5, now, false);
        assert_eq!(token_of(&r.rx.handle(&f3, "tcp").await), Token::Ack);
        let a = r.sink.recv().await.unwrap();
        let b = r.sink.recv().await.unwrap();
        assert_eq!(a.len() + b.len(), 2);
        assert_eq!(
            r.metrics.get("safetynet_bridge_dc09_duplicates_total", &[]),
            1
        );
        r.outbox.shutdown().await;
    }

    #[tokio::test]
    async fn null_is_a_heartbeat_and_ends_an_outage_with_a_restore() {
        let mut r = rig("null").await;
        r.liveness.set_offline("dev_aes", true);
        let now = Utc::now();
        let null = Message::new(Token::Null, 5, "0", "5678", Payload::Empty)
            .with_timestamp(now)
            .with_encryption(true);
        let f = encode(
            &null,
            Some(&Key::from_hex(K128).unwrap()),
            &mut FixedPad(b'p'),
        )
        .unwrap();
        assert_eq!(token_of(&r.rx.handle(&f, "tcp").await), Token::Ack);
        let rows = r.sink.recv().await.unwrap();
        let kinds: Vec<&str> = rows.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(kinds, ["restore", "heartbeat"]);
        assert!(!r.liveness.is_offline("dev_aes"));
        // Unmapped codes are ACKed, not stored.
        let f = cid(11, "1234", Qualifier::New, 401, 1, now, false);
        assert_eq!(token_of(&r.rx.handle(&f, "tcp").await), Token::Ack);
        assert_eq!(
            r.metrics.get("safetynet_bridge_dc09_unmapped_total", &[]),
            1
        );
        r.outbox.shutdown().await;
    }

    #[test]
    fn dedupe_ignores_timestamp_and_encryption_but_not_content() {
        let now = Utc::now();
        let m = |seq, zone, ts: DateTime<Utc>, enc| {
            let f = cid(seq, "5678", Qualifier::New, 110, zone, ts, enc);
            if enc {
                let keys = std::collections::HashMap::from([(
                    "5678".to_string(),
                    Key::from_hex(K128).unwrap(),
                )]);
                decode_unchecked(&f, &keys).unwrap()
            } else {
                decode_unchecked(&f, &NoKeys).unwrap()
            }
        };
        let a = dedupe_base(&m(1, 1, now, true));
        assert_eq!(
            a,
            dedupe_base(&m(1, 1, now + chrono::TimeDelta::seconds(5), true))
        );
        assert_eq!(a, dedupe_base(&m(1, 1, now, false)));
        assert_ne!(a, dedupe_base(&m(2, 1, now, true)));
        assert_ne!(a, dedupe_base(&m(1, 2, now, true)));
    }
}
