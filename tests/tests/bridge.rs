//! The device bridge end to end, beside the real suite (host on spin.toml, fake 119/SMS):
//! DC-09 frames from an independent sender (pysiaalarm) and golden frames over real TCP/UDP
//! sockets, speakers on paho-mqtt through a real mosquitto (and the embedded broker), reminder
//! push from a fake feed, supervision, kill -9 of the bridge mid-stream, and the suite away.
//!
//! Needs `make build` (host, bridge, Wasm), mosquitto, and the repo's `.venv` with pysiaalarm
//! and paho-mqtt (`.ci/run` installs all three).

use chrono::{DateTime, Utc};
use safetynet_dc09::{
    ContactId, FixedPad, Key, Message, NoKeys, Payload, Qualifier, Scan, Token, decode_unchecked,
    encode, scan,
};
use safetynet_tests::bridge::{
    Bridge, Mosquitto, Proxy, PyProcess, StoredEvent, addr_of, free_port, run_python,
    run_python_status, suite_events, wait_events,
};
use safetynet_tests::suite::{ADMIN, Device, Suite};
use safetynet_tests::{root, temp_dir};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// pysiaalarm uses a key string's ASCII bytes as the AES key; the bridge takes keys as hex.
const PYSIA_KEY: &str = "AAAAAAAAAAAAAAAA";
fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

const K128: &str = "2B7E151628AED2A6ABF7158809CF4F3C";

struct Dev<'a> {
    device: &'a Device,
    extra: String,
}

/// A bridge config for `suite_url` with `devices`; `extra` is appended (more sections).
fn config(suite_url: &str, dir: &Path, devices: &[Dev<'_>], extra: &str) -> String {
    let mut c = format!(
        "[suite]\nurl = \"{suite_url}\"\nclock_token = \"\"\n\
         [outbox]\npath = \"{}\"\n\
         [delivery]\ninitial_backoff_ms = 100\nmax_backoff_ms = 1000\ntimeout_ms = 5000\n\
         [metrics]\nlisten = \"127.0.0.1:0\"\n\
         [log]\nlevel = \"info\"\n",
        dir.join("outbox.db").display()
    );
    c.push_str(extra);
    for d in devices {
        c.push_str(&format!(
            "\n[[devices]]\ndevice_id = \"{}\"\nsecret = \"{}\"\n{}\n",
            d.device.id, d.device.secret, d.extra
        ));
    }
    c
}

fn dc09_only(tcp: &str, udp: &str) -> String {
    format!("[dc09]\ntcp_listen = \"{tcp}\"\nudp_listen = \"{udp}\"\n[mqtt]\nenabled = false\n")
}

fn gateway(s: &Suite, account: &str) -> (String, Device) {
    let rid = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = s.device(
        &rid,
        "gateway",
        json!({"protocol": "dc09", "dc09_account": account}),
    );
    (rid, d)
}

fn cid_frame(
    seq: u16,
    account: &str,
    code: u16,
    zone: u16,
    key: Option<&Key>,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let msg = Message::new(
        Token::AdmCid,
        seq,
        "1",
        account,
        Payload::ContactId(ContactId::new(Qualifier::New, code, 1, zone).with_account(account)),
    )
    .with_receiver("1")
    .with_timestamp(now)
    .with_encryption(key.is_some());
    encode(&msg, key, &mut FixedPad(b'7')).unwrap()
}

fn read_reply(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4200];
    loop {
        if let Scan::Frame { len } = scan(&buf) {
            buf.truncate(len);
            return Ok(buf);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn udp_exchange(to: SocketAddr, frame: &[u8]) -> Vec<u8> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.send_to(frame, to).unwrap();
    let mut buf = [0u8; 4200];
    let n = sock.recv(&mut buf).expect("UDP reply");
    buf[..n].to_vec()
}

fn token(reply: &[u8], keys: &HashMap<String, Key>) -> Token {
    if keys.is_empty() {
        decode_unchecked(reply, &NoKeys).unwrap().header.token
    } else {
        decode_unchecked(reply, keys).unwrap().header.token
    }
}

fn kinds_of(evs: &[StoredEvent], device: &str) -> Vec<String> {
    evs.iter()
        .filter(|e| e.device_id == device)
        .map(|e| e.kind.clone())
        .collect()
}

#[test]
fn pysiaalarm_sender_gets_ack_nak_duh_over_tcp_and_udp() {
    let s = Suite::start("bridge-pysia");
    let (_, gw_enc) = gateway(&s, "1234");
    let (_, gw_plain) = gateway(&s, "5678");
    let dir = temp_dir("bridge-pysia");
    let cfg = config(
        &s.host.base,
        &dir,
        &[
            Dev {
                device: &gw_enc,
                extra: format!(
                    "dc09_account = \"1234\"\ndc09_key = \"{}\"",
                    hex_of(PYSIA_KEY)
                ),
            },
            Dev {
                device: &gw_plain,
                extra: "dc09_account = \"5678\"".into(),
            },
        ],
        &dc09_only("127.0.0.1:0", "127.0.0.1:0"),
    );
    let bridge = Bridge::start(&dir, &cfg);

    for (proto, addr, base) in [
        ("tcp", bridge.dc09_tcp.unwrap(), 0),
        ("udp", bridge.dc09_udp.unwrap(), 100),
    ] {
        let f = |name: &str, token: &str, account: &str, seq: u32, content: &str, more: Value| {
            let mut v = json!({"name": name, "token": token, "account": account, "seq": base + seq, "content": content});
            for (k, x) in more.as_object().unwrap() {
                v[k] = x.clone();
            }
            v
        };
        let scenario = json!({
            "host": "127.0.0.1", "port": addr.port(), "proto": proto,
            "frames": [
                f("enc-fire", "ADM-CID", "1234", 1, "#1234|1110 01 003", json!({"key": PYSIA_KEY})),
                f("enc-null", "NULL", "1234", 2, "", json!({"key": PYSIA_KEY})),
                f("plain-sia-fire", "SIA-DCS", "5678", 3, "#5678|Nri1/FA01", json!({})),
                f("plain-pendant", "ADM-CID", "5678", 4, "#5678|1100 01 007", json!({})),
                f("stale", "ADM-CID", "5678", 5, "#5678|1110 01 003", json!({"skew": -60})),
                f("early", "ADM-CID", "5678", 6, "#5678|1110 01 003", json!({"skew": 30})),
                f("bad-crc", "ADM-CID", "5678", 7, "#5678|1110 01 003", json!({"corrupt_crc": true})),
                f("unknown-account", "ADM-CID", "9999", 8, "#9999|1110 01 003", json!({})),
                f("plain-for-keyed", "ADM-CID", "1234", 9, "#1234|1110 01 003", json!({})),
                f("wrong-key", "ADM-CID", "1234", 10, "#1234|1110 01 003", json!({"key": "BBBBBBBBBBBBBBBB"})),
                f("enc-fire-again", "ADM-CID", "1234", 1, "#1234|1110 01 003", json!({"key": PYSIA_KEY})),
            ]
        });
        let out = run_python("dc09_pysia.py", &[], &scenario.to_string());
        let r: BTreeMap<String, Value> = out
            .into_iter()
            .map(|v| (v["name"].as_str().unwrap().to_string(), v))
            .collect();
        for (name, v) in &r {
            assert_eq!(
                v["crc_ok"], true,
                "{proto} {name}: reply CRC per pysiaalarm: {v}"
            );
            assert_eq!(v["length_ok"], true, "{proto} {name}: reply length: {v}");
        }
        let seq = |n: u32| json!(base + n);
        for (name, n, encrypted) in [
            ("enc-fire", 1, true),
            ("enc-null", 2, true),
            ("plain-sia-fire", 3, false),
            ("plain-pendant", 4, false),
            ("enc-fire-again", 1, true),
        ] {
            let v = &r[name];
            assert_eq!(v["type"], "ACK", "{proto} {name}: {v}");
            assert_eq!(v["seq"], seq(n), "{proto} {name}: sequence echoed");
            assert_eq!(v["receiver"], "R1");
            assert_eq!(v["line"], "L1");
            assert_eq!(
                v["encrypted"], encrypted,
                "{proto} {name}: encrypted ACK iff encrypted frame"
            );
            if encrypted {
                assert!(v["timestamp_skew_s"].as_i64().unwrap().abs() <= 5, "{v}");
            }
        }
        for name in ["stale", "early", "bad-crc"] {
            let v = &r[name];
            assert_eq!(v["type"], "NAK", "{proto} {name}: {v}");
            assert!(
                v["timestamp_skew_s"].as_i64().unwrap().abs() <= 5,
                "NAK carries our time: {v}"
            );
        }
        for (name, n) in [
            ("unknown-account", 8),
            ("plain-for-keyed", 9),
            ("wrong-key", 10),
        ] {
            let v = &r[name];
            assert_eq!(v["type"], "DUH", "{proto} {name}: {v}");
            assert_eq!(v["seq"], seq(n));
            assert_eq!(v["encrypted"], false);
        }
    }

    // What was ACKed reached the suite, once each (the repeated frame is not doubled).
    let evs = wait_events(&s.state_dir, Duration::from_secs(15), |e| e.len() >= 8);
    let mut enc = kinds_of(&evs, &gw_enc.id);
    enc.sort();
    assert_eq!(enc, ["fire", "fire", "heartbeat", "heartbeat"], "{evs:?}");
    let mut plain = kinds_of(&evs, &gw_plain.id);
    plain.sort();
    assert_eq!(plain, ["emergency-call", "emergency-call", "fire", "fire"]);
    let fire = evs
        .iter()
        .find(|e| e.device_id == gw_enc.id && e.kind == "fire")
        .unwrap();
    assert_eq!(fire.data["dc09"]["zone"], 3);
    assert_eq!(fire.data["dc09"]["encrypted"], true);
    assert_eq!(fire.data["source"], "dc09");
    // Two residents with a fire each: two dispatches at the fake 119.
    let d = s
        .dispatch
        .wait_for(Duration::from_secs(10), |r| r.len() >= 2);
    assert!(d.len() >= 2, "{d:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        wait_events(&s.state_dir, Duration::ZERO, |_| true).len(),
        8,
        "nothing doubled"
    );

    assert_eq!(
        bridge.metric(r#"safetynet_bridge_dc09_frames_total{transport="tcp",reply="ack"}"#),
        5.0
    );
    assert_eq!(
        bridge.metric(r#"safetynet_bridge_dc09_frames_total{transport="udp",reply="nak"}"#),
        3.0
    );
    assert_eq!(
        bridge.metric(r#"safetynet_bridge_dc09_nak_total{reason="timestamp-too-old"}"#),
        2.0
    );
    assert_eq!(
        bridge.metric(r#"safetynet_bridge_dc09_duh_total{reason="unknown-account"}"#),
        2.0
    );
    assert_eq!(bridge.metric("safetynet_bridge_dc09_duplicates_total"), 2.0);
    assert_eq!(
        bridge.metric(r#"safetynet_bridge_events_out_total{kind="fire"}"#),
        4.0
    );
    let (status, h) = bridge.health();
    assert_eq!(status, 200);
    assert_eq!(h["outbox"]["depth"], 0);
    // Logs carry ids, never the resident's details or secrets.
    let log = bridge.stderr();
    assert!(
        !log.contains("김순자") && !log.contains(&gw_enc.secret),
        "personal data or secret in logs"
    );
}

// Golden frames (device-bridge/dc09/tests/golden.rs): computed independently of our codec.
const G1: &[u8] = b"\n23A1003D\"ADM-CID\"0001R1L1#1234[#1234|1110 01 003]_12:34:56,01-15-2025\r";
const G2: &[u8] = b"\nF7D80025\"SIA-DCS\"0002L0#12AB[#12AB|Nri1/FA01]\r";
const ACK1: &[u8] = b"\nD2770014\"ACK\"0001R1L1#1234[]\r";
const DUH2: &[u8] = b"\n88150012\"DUH\"0002L0#12AB[]\r";
const UNKNOWN_TOKEN: &[u8] = b"\nE9400018\"XYZ-ABC\"0005R1L1#1234[]\r";
const DUH_UNKNOWN: &[u8] = b"\n6D5E0014\"DUH\"0005R1L1#1234[]\r";

#[test]
fn golden_frames_over_real_sockets() {
    let s = Suite::start("bridge-golden");
    let (_, gw) = gateway(&s, "1234");
    let dir = temp_dir("bridge-golden");
    let cfg = config(
        &s.host.base,
        &dir,
        &[Dev {
            device: &gw,
            extra: "dc09_account = \"1234\"".into(),
        }],
        &dc09_only("127.0.0.1:0", "127.0.0.1:0"),
    );
    let bridge = Bridge::start(&dir, &cfg);
    let none = HashMap::new();
    let tcp = bridge.dc09_tcp.unwrap();
    let udp = bridge.dc09_udp.unwrap();
    let mut c = TcpStream::connect(tcp).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut ask = |frame: &[u8]| {
        c.write_all(frame).unwrap();
        read_reply(&mut c).unwrap()
    };

    // G1 is from 2025: outside the window → NAK with our time.
    let r = ask(G1);
    let nak = decode_unchecked(&r, &NoKeys).unwrap();
    assert_eq!(nak.header.token, Token::Nak);
    assert!((nak.timestamp.unwrap() - Utc::now()).num_seconds().abs() <= 5);
    // Unknown account → exactly the golden DUH; unknown token → exactly the golden DUH.
    assert_eq!(ask(G2), DUH2);
    assert_eq!(ask(UNKNOWN_TOKEN), DUH_UNKNOWN);
    // G1's header with a current timestamp → exactly the golden ACK.
    let fresh = cid_frame(1, "1234", 110, 3, None, Utc::now());
    assert_eq!(ask(&fresh), ACK1);
    // Stream framing: noise, two frames in one write, a frame split across writes.
    let f2 = cid_frame(2, "1234", 100, 4, None, Utc::now());
    let f3 = cid_frame(3, "1234", 602, 5, None, Utc::now());
    let mut blob = b"noise\r\n\x00".to_vec();
    blob.extend_from_slice(&f2);
    blob.extend_from_slice(&f3);
    c.write_all(&blob).unwrap();
    let r2 = read_reply(&mut c).unwrap();
    let r3 = read_reply(&mut c).unwrap();
    assert_eq!(decode_unchecked(&r2, &NoKeys).unwrap().header.seq, 2);
    assert_eq!(decode_unchecked(&r3, &NoKeys).unwrap().header.seq, 3);
    let f4 = cid_frame(4, "1234", 111, 6, None, Utc::now());
    c.write_all(&f4[..20]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    c.write_all(&f4[20..]).unwrap();
    let r4 = read_reply(&mut c).unwrap();
    assert_eq!(token(&r4, &none), Token::Ack);
    assert_eq!(decode_unchecked(&r4, &NoKeys).unwrap().header.seq, 4);

    // The same over UDP.
    assert_eq!(token(&udp_exchange(udp, G1), &none), Token::Nak);
    assert_eq!(udp_exchange(udp, G2), DUH2);
    assert_eq!(udp_exchange(udp, UNKNOWN_TOKEN), DUH_UNKNOWN);
    assert_eq!(
        udp_exchange(udp, &fresh),
        ACK1,
        "a retransmission is ACKed again"
    );
    let f5 = cid_frame(5, "1234", 151, 7, None, Utc::now());
    assert_eq!(token(&udp_exchange(udp, &f5), &none), Token::Ack);

    let evs = wait_events(&s.state_dir, Duration::from_secs(15), |e| e.len() >= 5);
    let mut k = kinds_of(&evs, &gw.id);
    k.sort();
    assert_eq!(
        k,
        ["emergency-call", "fire", "gas", "heartbeat", "smoke"],
        "{evs:?}"
    );
}

#[test]
fn supervision_raises_device_offline_and_a_null_restores() {
    let s = Suite::start("bridge-supervision");
    let (_, gw) = gateway(&s, "ABC1");
    let dir = temp_dir("bridge-supervision");
    let extra = "[dc09]\ntcp_listen = \"\"\nudp_listen = \"127.0.0.1:0\"\nsupervision_grace = 2.0\n[mqtt]\nenabled = false\n";
    let cfg = config(
        &s.host.base,
        &dir,
        &[Dev {
            device: &gw,
            extra: format!("dc09_account = \"ABC1\"\ndc09_key = \"{K128}\"\nsupervision_s = 1"),
        }],
        extra,
    );
    let bridge = Bridge::start(&dir, &cfg);
    let key = Key::from_hex(K128).unwrap();
    // Silent for more than 2 × 1 s → device-offline.
    let evs = wait_events(&s.state_dir, Duration::from_secs(10), |e| {
        e.iter().any(|x| x.kind == "device-offline")
    });
    let off = evs
        .iter()
        .find(|x| x.kind == "device-offline")
        .expect("device-offline reached the suite");
    assert_eq!(off.device_id, gw.id);
    assert_eq!(off.data["source"], "dc09-supervision");
    // A NULL link test brings it back: restore, then the heartbeat.
    let null = Message::new(Token::Null, 1, "0", "ABC1", Payload::Empty)
        .with_timestamp(Utc::now())
        .with_encryption(true);
    let f = encode(&null, Some(&key), &mut FixedPad(b'z')).unwrap();
    let keys = HashMap::from([("ABC1".to_string(), key.clone())]);
    assert_eq!(
        token(&udp_exchange(bridge.dc09_udp.unwrap(), &f), &keys),
        Token::Ack
    );
    let evs = wait_events(&s.state_dir, Duration::from_secs(10), |e| {
        e.iter().any(|x| x.kind == "restore")
    });
    let k = kinds_of(&evs, &gw.id);
    assert_eq!(&k[..3], ["device-offline", "restore", "heartbeat"], "{k:?}");
    let restore = evs.iter().find(|x| x.kind == "restore").unwrap();
    assert_eq!(restore.data["restores"], "device-offline");
    assert_eq!(
        bridge.metric("safetynet_bridge_supervision_offline_total"),
        1.0
    );
}

/// A fake due-reminder feed: hands out `items` once, then nothing.
struct Feed {
    url: String,
    auth: Arc<Mutex<Vec<String>>>,
    /// Items are handed out once armed (after the speaker has subscribed).
    armed: Arc<std::sync::atomic::AtomicBool>,
    _server: Arc<tiny_http::Server>,
}

fn fake_feed(items: Value) -> Feed {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let url = format!(
        "http://{}/api/v1/reminders/due",
        server.server_addr().to_ip().unwrap()
    );
    let auth = Arc::new(Mutex::new(Vec::new()));
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (srv, a, arm) = (server.clone(), auth.clone(), armed.clone());
    std::thread::spawn(move || {
        let mut first = true;
        for mut req in srv.incoming_requests() {
            let mut body = String::new();
            let _ = req.as_reader().read_to_string(&mut body);
            let h = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("authorization"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            a.lock()
                .unwrap()
                .push(format!("{} {} {h}", req.method(), req.url()));
            let give = arm.load(std::sync::atomic::Ordering::SeqCst) && std::mem::take(&mut first);
            // The reminders function's shape: a bare array.
            let out = if give { items.clone() } else { json!([]) };
            let _ = req.respond(tiny_http::Response::from_string(out.to_string()));
        }
    });
    Feed {
        url,
        auth,
        armed,
        _server: server,
    }
}

#[test]
fn speakers_over_mosquitto_with_paho_reminder_push_and_last_will() {
    let s = Suite::start("bridge-mqtt");
    let rid = s.resident("taehwa-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let speaker = s.device(&rid, "ai-speaker", json!({"protocol": "mqtt"}));
    let other = s.device(&rid, "ai-speaker", json!({"protocol": "mqtt"}));
    let dir = temp_dir("bridge-mqtt");
    let port = free_port();
    // Over TLS both ways: the bridge and the speakers trust mosquitto's certificate.
    let (cert, key) = tls_cert(&dir);
    let ca = cert.display().to_string();
    let feed = fake_feed(json!([
        {"delivery_id": "dlv-1", "device_id": speaker.id, "resident_id": rid, "kind": "medication",
         "text": "혈압약 드실 시간이에요", "occurs_at": "2025-01-15T00:00:00.000Z", "needs_ack": true}
    ]));
    let extra = format!(
        "[dc09]\ntcp_listen = \"\"\nudp_listen = \"\"\n\
         [mqtt]\nbroker = \"mqtts://127.0.0.1:{port}\"\nca_file = \"{ca}\"\nclient_id = \"bridge-test\"\nkeep_alive_s = 5\n\
         username = \"bridge-test\"\npassword = \"bridge-test-password\"\n\
         [reminders]\nfeed_url = \"{}\"\npoll_interval_s = 1\n[clock]\ninterval_s = 1\n",
        feed.url
    );
    // The clock and the feed use the admin token here (a `clock` staff token in production).
    let cfg = config(
        &s.host.base,
        &dir,
        &[
            Dev {
                device: &speaker,
                extra: "mqtt_id = \"speaker-7\"".into(),
            },
            Dev {
                device: &other,
                extra: "mqtt_id = \"speaker-8\"".into(),
            },
        ],
        &extra,
    )
    .replace("clock_token = \"\"", &format!("clock_token = \"{ADMIN}\""));
    // Mosquitto with the password file and ACL the bridge generates from its device table.
    let cfg_path = dir.join("bridge.toml");
    std::fs::write(&cfg_path, &cfg).unwrap();
    let auth = Command::new(root().join("target/release/safetynet-bridge"))
        .args(["mosquitto-auth", "--config"])
        .arg(&cfg_path)
        .arg("--passwd")
        .arg(dir.join("passwd"))
        .arg("--acl")
        .arg(dir.join("acl"))
        .output()
        .unwrap();
    assert!(auth.status.success(), "{auth:?}");
    let conf = String::from_utf8(auth.stdout).unwrap();
    assert!(
        conf.contains("allow_anonymous false") && conf.contains("use_username_as_clientid true")
    );
    let tls = format!("certfile {}\nkeyfile {}\n", cert.display(), key.display());
    let broker = Mosquitto::start_on(&dir, port, &(tls + &conf));
    let bridge = Bridge::start(&dir, &cfg);
    let port = broker.port.to_string();
    let events = json!([
        {"event_id": "sos-1", "kind": "voice-sos", "data": {"phrase_id": "help-1"}},
        {"event_id": "sos-1", "kind": "voice-sos", "data": {"phrase_id": "help-1"}},
        {"event_id": "ci-1", "kind": "check-in", "occurred_at": Utc::now().to_rfc3339(), "data": {"answer": "good"}},
        {"kind": "no-such-kind"}
    ])
    .to_string();
    let spk = PyProcess::spawn(
        "mqtt_speaker.py",
        &[
            "--port",
            &port,
            "--id",
            "speaker-7",
            "--username",
            "speaker-7",
            "--password",
            &speaker.secret,
            "--ca",
            &ca,
            "--events",
            &events,
            "--expect-commands",
            "1",
            "--ack",
            "--then",
            "hang",
        ],
        dir.join("speaker1.log"),
    );
    spk.wait_for("published", Duration::from_secs(30));
    feed.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    let lines = spk.wait_for("done", Duration::from_secs(30));
    let cmd = lines.iter().find(|v| v["type"] == "command").unwrap();
    assert_eq!(cmd["topic"], "safetynet/v1/devices/speaker-7/commands");
    assert_eq!(cmd["payload"]["delivery_id"], "dlv-1");
    assert_eq!(cmd["payload"]["type"], "reminder");
    assert_eq!(cmd["payload"]["kind"], "medication");
    assert_eq!(cmd["payload"]["needs_ack"], true);
    assert_eq!(cmd["payload"]["text"], "혈압약 드실 시간이에요");
    assert!(
        lines
            .iter()
            .filter(|v| v["type"] == "published")
            .all(|v| v["acked"] == true)
    );

    let evs = wait_events(&s.state_dir, Duration::from_secs(15), |e| {
        e.iter().any(|x| x.kind == "reminder-ack")
    });
    let mut k = kinds_of(&evs, &speaker.id);
    k.sort();
    assert_eq!(
        k,
        ["check-in", "reminder-ack", "voice-sos"],
        "the repeated sos-1 is one event: {evs:?}"
    );
    let ack = evs.iter().find(|x| x.kind == "reminder-ack").unwrap();
    assert_eq!(ack.data["delivery_id"], "dlv-1");
    assert_eq!(ack.data["source"], "mqtt");
    // voice-sos goes to 119.
    let d = s
        .dispatch
        .wait_for(Duration::from_secs(10), |r| !r.is_empty());
    assert_eq!(d.len(), 1);
    assert!(d[0].body.contains(&speaker.id));

    // kill -9 the speaker: the broker publishes its last will → device-offline.
    spk.kill9();
    let evs = wait_events(&s.state_dir, Duration::from_secs(30), |e| {
        e.iter().any(|x| x.kind == "device-offline")
    });
    assert_eq!(
        evs.iter().filter(|x| x.kind == "device-offline").count(),
        1,
        "{evs:?}"
    );
    // Back online (a new connection publishes `online`): restore.
    let spk2 = PyProcess::spawn(
        "mqtt_speaker.py",
        &[
            "--port",
            &port,
            "--id",
            "speaker-7",
            "--username",
            "speaker-7",
            "--password",
            &speaker.secret,
            "--ca",
            &ca,
        ],
        dir.join("speaker2.log"),
    );
    spk2.wait_for("done", Duration::from_secs(30));
    let evs = wait_events(&s.state_dir, Duration::from_secs(15), |e| {
        e.iter().any(|x| x.kind == "restore")
    });
    let k = kinds_of(&evs, &speaker.id);
    assert_eq!(k.len(), 5, "{k:?}");
    assert_eq!(k[3..], ["device-offline", "restore"]);

    // The feed was polled with the clock token; the clock ticked; the reminder was published once.
    let auth = feed.auth.lock().unwrap().clone();
    assert_eq!(
        auth[0],
        format!("GET /api/v1/reminders/due?limit=100 Bearer {ADMIN}"),
        "{auth:?}"
    );
    assert!(auth.len() >= 2, "polled repeatedly");
    assert_eq!(
        bridge.metric(r#"safetynet_bridge_commands_published_total{type="reminder"}"#),
        1.0
    );
    assert!(bridge.metric(r#"safetynet_bridge_ticks_total{result="ok"}"#) >= 1.0);
    assert_eq!(
        bridge
            .metric(r#"safetynet_bridge_mqtt_messages_total{topic="events",result="bad-payload"}"#),
        1.0
    );
    assert_eq!(bridge.metric("safetynet_bridge_mqtt_connected"), 1.0);

    // Mosquitto keeps every speaker to its own topics: without credentials nobody gets in, and
    // another speaker's false SOS on speaker-7's topic never reaches the bridge.
    let (code, lines) = run_python_status(
        "mqtt_speaker.py",
        &[
            "--port",
            &port,
            "--id",
            "speaker-7",
            "--ca",
            &ca,
            "--timeout",
            "5",
        ],
    );
    assert_eq!(code, 2, "{lines:?}");
    let (code, lines) = run_python_status(
        "mqtt_speaker.py",
        &[
            "--port",
            &port,
            "--id",
            "speaker-7",
            "--username",
            "speaker-8",
            "--password",
            &other.secret,
            "--ca",
            &ca,
            "--no-will",
            "--no-subscribe",
            "--timeout",
            "5",
            "--events",
            &json!([{"event_id": "false-sos", "kind": "voice-sos", "data": {}}]).to_string(),
        ],
    );
    assert_eq!(code, 0, "speaker-8 may sign in: {lines:?}");
    std::thread::sleep(Duration::from_secs(2));
    let evs = safetynet_tests::bridge::suite_events(&s.state_dir);
    assert_eq!(
        kinds_of(&evs, &speaker.id)
            .iter()
            .filter(|k| *k == "voice-sos")
            .count(),
        1
    );
    assert!(kinds_of(&evs, &other.id).is_empty(), "{evs:?}");
}

/// A self-signed certificate and key for 127.0.0.1, made by the bridge's `tls-cert`.
fn tls_cert(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("mqtt-cert.pem"), dir.join("mqtt-key.pem"));
    let made = Command::new(root().join("target/release/safetynet-bridge"))
        .args(["tls-cert", "--host", "127.0.0.1", "--cert"])
        .arg(&cert)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    (cert, key)
}

#[test]
fn speakers_sign_in_over_tls_and_may_use_only_their_own_topics() {
    let s = Suite::start("bridge-embedded");
    let rid = s.resident("taehwa-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mine = s.device(&rid, "ai-speaker", json!({"protocol": "mqtt"}));
    let other = s.device(&rid, "ai-speaker", json!({"protocol": "mqtt"}));
    let dir = temp_dir("bridge-embedded");
    let (cert, key) = tls_cert(&dir);
    let port = free_port();
    let extra = format!(
        "[dc09]\ntcp_listen = \"\"\nudp_listen = \"\"\n[mqtt]\nembedded_listen = \"127.0.0.1:{port}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
        cert.display(),
        key.display()
    );
    let devices = [
        Dev {
            device: &mine,
            extra: String::new(),
        },
        Dev {
            device: &other,
            extra: String::new(),
        },
    ];
    let bridge = Bridge::start(&dir, &config(&s.host.base, &dir, &devices, &extra));
    assert_eq!(
        bridge.mqtt.as_deref(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    let port = port.to_string();
    let ca = cert.display().to_string();
    let speak = |id: &str, extra: &[&str], events: Value| {
        let events = events.to_string();
        let mut args = vec![
            "--port",
            &port,
            "--id",
            id,
            "--events",
            &events,
            "--timeout",
            "5",
        ];
        args.extend_from_slice(extra);
        run_python_status("mqtt_speaker.py", &args)
    };
    let refused = |(code, lines): (i32, Vec<Value>)| {
        assert_eq!(code, 2, "{lines:?}");
        assert_eq!(lines.last().unwrap()["type"], "refused", "{lines:?}");
    };

    // Without credentials, with the wrong password, or without TLS, nobody gets in.
    refused(speak(&mine.id, &["--ca", &ca], json!([])));
    refused(speak(
        &mine.id,
        &["--ca", &ca, "--username", &mine.id, "--password", "guess"],
        json!([]),
    ));
    refused(speak(
        &mine.id,
        &["--username", &mine.id, "--password", &mine.secret],
        json!([]),
    ));
    // Another speaker's credentials get in, but a false SOS on this speaker's topic closes the
    // connection: it is never acknowledged and never reaches the suite.
    let (_, lines) = speak(
        &mine.id,
        &[
            "--ca",
            &ca,
            "--username",
            &other.id,
            "--password",
            &other.secret,
            "--ca",
            &ca,
            "--no-will",
            "--no-subscribe",
        ],
        json!([{"event_id": "false-sos", "kind": "voice-sos", "data": {}}]),
    );
    let published: Vec<&Value> = lines.iter().filter(|l| l["type"] == "published").collect();
    assert_eq!(published.len(), 1, "{lines:?}");
    assert_eq!(published[0]["acked"], false, "{lines:?}");
    // The speaker itself, over TLS with its own credentials, is heard.
    let (code, lines) = speak(
        &mine.id,
        &[
            "--ca",
            &ca,
            "--username",
            &mine.id,
            "--password",
            &mine.secret,
        ],
        json!([{"event_id": "fall-1", "kind": "fall", "data": {}}]),
    );
    assert_eq!(code, 0, "{lines:?}");
    let evs = wait_events(&s.state_dir, Duration::from_secs(15), |e| {
        e.iter().any(|x| x.kind == "fall")
    });
    assert_eq!(
        kinds_of(&evs, &mine.id),
        ["fall"],
        "no voice-sos from the other speaker"
    );
    assert!(kinds_of(&evs, &other.id).is_empty());
    let rejected = |reason: &str| {
        bridge.metric(&format!(
            r#"safetynet_bridge_mqtt_rejected_total{{reason="{reason}"}}"#
        ))
    };
    assert_eq!(rejected("bad-credentials"), 2.0);
    assert!(rejected("tls") >= 1.0, "paho retries a plain connection");
    assert!(
        rejected("topic-mismatch") >= 1.0,
        "each retry of the false SOS is refused"
    );
}

/// A panel over TCP: sends `n` frames one at a time, retransmitting each (same frame, or
/// restamped after a NAK) until it is ACKed, reconnecting whenever the receiver goes away.
fn panel(
    addr: SocketAddr,
    account: &str,
    key: Key,
    n: u16,
    acked: Arc<Mutex<Vec<u16>>>,
) -> std::thread::JoinHandle<()> {
    let account = account.to_string();
    std::thread::spawn(move || {
        let keys = HashMap::from([(account.clone(), key.clone())]);
        let mut conn: Option<TcpStream> = None;
        for i in 0..n {
            let mut frame = cid_frame(i + 1, &account, 602, i, Some(&key), Utc::now());
            let started = Instant::now();
            loop {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "frame {i} never ACKed"
                );
                if conn.is_none() {
                    match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                        Ok(c) => {
                            c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                            conn = Some(c);
                        }
                        Err(_) => {
                            std::thread::sleep(Duration::from_millis(50));
                            continue;
                        }
                    }
                }
                let c = conn.as_mut().unwrap();
                let reply = c.write_all(&frame).and_then(|_| read_reply(c));
                match reply {
                    Ok(r) => {
                        match decode_unchecked(&r, &keys).map(|m| (m.header.token, m.header.seq)) {
                            Ok((Token::Ack, seq)) => {
                                assert_eq!(seq, i + 1);
                                acked.lock().unwrap().push(i);
                                break;
                            }
                            Ok((Token::Nak, _)) => {
                                frame = cid_frame(i + 1, &account, 602, i, Some(&key), Utc::now())
                            }
                            other => panic!("frame {i}: unexpected reply {other:?}"),
                        }
                    }
                    Err(_) => {
                        conn = None;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }
        }
    })
}

fn wait_until(timeout: Duration, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn kill9_mid_stream_every_acked_event_reaches_the_suite_exactly_once() {
    let s = Suite::start("bridge-kill9");
    let (_, gw) = gateway(&s, "ACE1");
    let dir = temp_dir("bridge-kill9");
    let tcp = format!("127.0.0.1:{}", free_port());
    let cfg = config(
        &s.host.base,
        &dir,
        &[Dev {
            device: &gw,
            extra: format!("dc09_account = \"ACE1\"\ndc09_key = \"{K128}\""),
        }],
        &dc09_only(&tcp, ""),
    );
    let mut bridge = Bridge::start(&dir, &cfg);
    const N: u16 = 300;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let sender = panel(
        tcp.parse().unwrap(),
        "ACE1",
        Key::from_hex(K128).unwrap(),
        N,
        acked.clone(),
    );
    for at in [100, 200] {
        wait_until(Duration::from_secs(60), "ACKs", || {
            acked.lock().unwrap().len() >= at
        });
        bridge.kill9();
        std::thread::sleep(Duration::from_millis(300));
        bridge = Bridge::start_on(&dir.join("bridge.toml"));
    }
    sender.join().expect("panel thread");
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), N as usize);

    let evs = wait_events(&s.state_dir, Duration::from_secs(60), |e| {
        e.iter().filter(|x| x.device_id == gw.id).count() >= N as usize
    });
    let mut per_zone: BTreeMap<u64, usize> = BTreeMap::new();
    for e in evs.iter().filter(|x| x.device_id == gw.id) {
        assert_eq!(e.kind, "heartbeat");
        *per_zone
            .entry(e.data["dc09"]["zone"].as_u64().unwrap())
            .or_default() += 1;
    }
    for i in &acked {
        assert_eq!(
            per_zone.get(&(*i as u64)),
            Some(&1),
            "ACKed frame {i} must be in the suite exactly once"
        );
    }
    assert_eq!(per_zone.len(), N as usize);
    assert!(per_zone.values().all(|&c| c == 1), "no event doubled");
    // Let the restarted bridge settle its bookkeeping, then nothing is left to deliver.
    wait_until(Duration::from_secs(10), "empty outbox", || {
        bridge.metric("safetynet_bridge_outbox_depth") == 0.0
    });
}

#[test]
fn suite_down_then_everything_is_delivered_once_in_order() {
    // The issue asks for 30 s; 5 s by default keeps `make test` short
    // (BRIDGE_SUITE_DOWN_SECS=30 runs the full outage).
    let down_secs: u64 = std::env::var("BRIDGE_SUITE_DOWN_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut s = Suite::start("bridge-down");
    let (_, gw) = gateway(&s, "BEEF");
    let proxy = Proxy::start(addr_of(&s.host.base));
    let dir = temp_dir("bridge-down");
    let cfg = config(
        &proxy.url(),
        &dir,
        &[Dev {
            device: &gw,
            extra: "dc09_account = \"BEEF\"".into(),
        }],
        &dc09_only("", "127.0.0.1:0"),
    );
    let bridge = Bridge::start(&dir, &cfg);
    let udp = bridge.dc09_udp.unwrap();
    let none = HashMap::new();
    let mut seq = 0u16;
    let send = |seq: &mut u16, n: u16| {
        for _ in 0..n {
            *seq += 1;
            let f = cid_frame(*seq, "BEEF", 602, *seq, None, Utc::now());
            assert_eq!(token(&udp_exchange(udp, &f), &none), Token::Ack);
        }
    };
    send(&mut seq, 10);
    wait_events(&s.state_dir, Duration::from_secs(10), |e| e.len() >= 10);

    // The suite goes away (and its host is killed and restarted behind the proxy).
    proxy.take_down();
    s.crash_and_restart();
    let t0 = Instant::now();
    send(&mut seq, 40); // still ACKed: stored in the outbox
    // A fire during the outage too: it must reach 119 once the suite is back.
    seq += 1;
    let fire = cid_frame(seq, "BEEF", 110, seq, None, Utc::now());
    assert_eq!(token(&udp_exchange(udp, &fire), &none), Token::Ack);
    std::thread::sleep(Duration::from_secs(down_secs).saturating_sub(t0.elapsed()));
    assert_eq!(
        safetynet_tests::bridge::suite_events(&s.state_dir).len(),
        10,
        "nothing got through while down"
    );
    assert_eq!(bridge.metric("safetynet_bridge_outbox_depth"), 41.0);
    assert_eq!(bridge.health().1["suite"], "down");
    assert!(s.dispatch.received().is_empty());

    proxy.bring_up(addr_of(&s.host.base));
    let back = Instant::now();
    let evs = wait_events(&s.state_dir, Duration::from_secs(30), |e| e.len() >= 51);
    let drained = back.elapsed();
    assert_eq!(evs.len(), 51, "{evs:?}");
    let zones: Vec<u64> = evs
        .iter()
        .map(|e| e.data["dc09"]["zone"].as_u64().unwrap())
        .collect();
    assert_eq!(
        zones,
        (1..=51).collect::<Vec<u64>>(),
        "every event once, in the order sent"
    );
    let seqs: Vec<i64> = evs.iter().map(|e| e.sequence.unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence increases: {seqs:?}"
    );
    let d = s
        .dispatch
        .wait_for(Duration::from_secs(10), |r| !r.is_empty());
    assert_eq!(d.len(), 1, "the fire reached 119 after the outage");
    wait_until(Duration::from_secs(5), "empty outbox", || {
        bridge.metric("safetynet_bridge_outbox_depth") == 0.0
    });
    assert_eq!(bridge.health().1["suite"], "up");
    eprintln!(
        "suite down {down_secs} s; backlog of 41 delivered {} ms after it came back",
        drained.as_millis()
    );
    assert!(
        drained < Duration::from_secs(10),
        "the backlog drains promptly: {drained:?}"
    );
}

/// A DC-09 frame with its own sequence number (so no retry is taken for a repeat), AES-128.
fn keyed_frame(seq: u16, account: &str) -> Vec<u8> {
    let key = Key::from_hex(K128).unwrap();
    cid_frame(seq, account, 130, 3, Some(&key), Utc::now())
}

fn tcp_token(addr: SocketAddr, frame: &[u8], account: &str) -> Token {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(frame).unwrap();
    let keys = HashMap::from([(account.to_string(), Key::from_hex(K128).unwrap())]);
    token(&read_reply(&mut c).unwrap(), &keys)
}

#[test]
fn the_bridge_takes_its_devices_from_the_suite_and_a_retired_one_stops_within_a_refresh() {
    let s = Suite::start("bridge-directory");
    let clock = s.staff("clock", None);
    let worker = s.staff("welfare-centre", Some("jung-dong"));
    let refused = s.call("GET", "/api/v1/device-directory", &worker, None);
    assert_eq!(
        refused.status, 403,
        "device secrets are for the bridge only"
    );

    let dir = temp_dir("bridge-directory");
    let cache = dir.join("directory.sealed");
    let sync = format!(
        "[directory]\nrefresh_s = 1\ncache = \"{}\"\n",
        cache.display()
    );
    let cfg = config(
        &s.host.base,
        &dir,
        &[],
        &(dc09_only("127.0.0.1:0", "") + &sync),
    )
    .replace("clock_token = \"\"", &format!("clock_token = \"{clock}\""));
    let bridge = Bridge::start(&dir, &cfg);
    let tcp = bridge.dc09_tcp.unwrap();

    // Registered in the suite after the bridge started, with its AES key: known within a refresh.
    let rid = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = s.admin(
        "POST",
        &format!("/api/v1/residents/{rid}/devices"),
        Some(json!({"kind": "gateway", "protocol": "dc09", "dc09_account": "D1A2", "dc09_key": "not-hex"})),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.json()["error"]["field"], "dc09_key");
    let gw = s.device(
        &rid,
        "gateway",
        json!({"protocol": "dc09", "dc09_account": "D1A1", "dc09_key": K128}),
    );
    let seq = std::sync::atomic::AtomicU16::new(1);
    let next = || seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    wait_until(
        Duration::from_secs(10),
        "the new gateway is acknowledged",
        || {
            std::thread::sleep(Duration::from_millis(200));
            let f = keyed_frame(next(), "D1A1");
            let mut c = TcpStream::connect(tcp).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            c.write_all(&f).unwrap();
            let reply = read_reply(&mut c).unwrap();
            let keys = HashMap::from([("D1A1".to_string(), Key::from_hex(K128).unwrap())]);
            decode_unchecked(&reply, &keys).is_ok_and(|m| m.header.token == Token::Ack)
        },
    );
    wait_events(&s.state_dir, Duration::from_secs(10), |e| {
        e.iter().any(|x| x.device_id == gw.id)
    });

    // The bridge's copy names the devices but shows neither secret nor key.
    let sealed = std::fs::read(&cache).expect("the directory is cached");
    for secret in [gw.secret.as_str(), K128, "D1A1"] {
        assert!(
            !sealed.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the cache"
        );
    }

    // With the suite out of reach, another bridge starts from the copy and takes alarms.
    let dir2 = temp_dir("bridge-directory-cached");
    let cfg2 = cfg.replace(&s.host.base, "http://127.0.0.1:9").replace(
        &dir.join("outbox.db").display().to_string(),
        &dir2.join("outbox.db").display().to_string(),
    );
    let offline = Bridge::start(&dir2, &cfg2);
    assert_eq!(
        tcp_token(
            offline.dc09_tcp.unwrap(),
            &keyed_frame(next(), "D1A1"),
            "D1A1"
        ),
        Token::Ack,
        "known from the sealed copy"
    );
    drop(offline);

    // Retired in the suite: refused at the bridge within a refresh.
    let r = s.admin(
        "POST",
        &format!("/api/v1/devices/{}/retire", gw.id),
        Some(json!({})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    wait_until(
        Duration::from_secs(10),
        "the retired gateway is refused",
        || {
            let f = keyed_frame(next(), "D1A1");
            let mut c = TcpStream::connect(tcp).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            c.write_all(&f).unwrap();
            std::thread::sleep(Duration::from_millis(200));
            // NAK or DUH, both plain; an ACK to this frame would be encrypted and not read here.
            decode_unchecked(&read_reply(&mut c).unwrap(), &NoKeys)
                .map(|m| m.header.token != Token::Ack)
                .unwrap_or(false)
        },
    );
}

#[test]
fn a_flooding_gateways_alarm_is_not_held_behind_its_rate_limited_heartbeats() {
    let s = Suite::start_with(
        "bridge-ratelimit",
        &["--variable", "device_event_limit_per_minute=3"],
    );
    let (_, gw) = gateway(&s, "BEEF");
    let dir = temp_dir("bridge-ratelimit");
    let cfg = config(
        &s.host.base,
        &dir,
        &[Dev {
            device: &gw,
            extra: "dc09_account = \"BEEF\"".into(),
        }],
        &dc09_only("127.0.0.1:0", ""),
    );
    let bridge = Bridge::start(&dir, &cfg);
    let mut c = TcpStream::connect(bridge.dc09_tcp.unwrap()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let none = HashMap::new();
    // Eight link tests in a row: past the third this minute the suite answers 429.
    for seq in 1..=8 {
        let null =
            Message::new(Token::Null, seq, "0", "BEEF", Payload::Empty).with_timestamp(Utc::now());
        c.write_all(&encode(&null, None, &mut FixedPad(b'0')).unwrap())
            .unwrap();
        assert_eq!(token(&read_reply(&mut c).unwrap(), &none), Token::Ack);
    }
    // The first three are stored; the fourth is refused and waits in the bridge.
    wait_events(&s.state_dir, Duration::from_secs(10), |e| {
        e.iter().filter(|x| x.kind == "heartbeat").count() >= 3
    });
    std::thread::sleep(Duration::from_millis(500));
    // Then a fire: it reaches the suite and 119 at once, not after the limit's minute.
    let pressed = Instant::now();
    c.write_all(&cid_frame(9, "BEEF", 110, 1, None, Utc::now()))
        .unwrap();
    assert_eq!(token(&read_reply(&mut c).unwrap(), &none), Token::Ack);
    s.dispatch
        .wait_for(Duration::from_secs(5), |r| !r.is_empty());
    let took = pressed.elapsed();
    assert!(took < Duration::from_secs(5), "the fire took {took:?}");
    let evs = suite_events(&s.state_dir);
    assert!(
        kinds_of(&evs, &gw.id).iter().any(|k| k == "fire"),
        "{evs:?}"
    );
    assert!(
        kinds_of(&evs, &gw.id)
            .iter()
            .filter(|k| *k == "heartbeat")
            .count()
            <= 3,
        "the limit held"
    );
}
