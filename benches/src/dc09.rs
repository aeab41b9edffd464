//! The device bridge's DC-09 numbers (DESIGN §9, issue 4).
//!
//! - `dc09-decode`: decode + AES-128-CBC + CRC-16 of encrypted `ADM-CID` frames on one core
//!   (the bench thread), with the timestamp window checked — what the receiver does per frame
//!   before touching the outbox. Target ≥ 200,000 frames/s.
//! - `dc09-e2e`: the whole path as processes: a panel client writes a DC-09 emergency frame
//!   (Contact ID 100) over TCP to `safetynet-bridge` → decode, outbox commit (WAL,
//!   synchronous=FULL), ACK → signed webhook → the suite on the host (Wasm, SQLite, routing,
//!   incident) → 119 dispatch received by a local fake 119. 1,000 emergencies from 1,000
//!   residents at 50/s, while 250 other gateways send NULL link tests at 500/s over UDP (each
//!   also stored, delivered and ingested as a heartbeat). p50/p99 from writing the frame to the
//!   fake 119 receiving the dispatch; target p99 ≤ 50 ms.

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::Full;
use hyper::Request;
use safetynet_dc09::{
    ContactId, FixedPad, Key, Message, NoKeys, Payload, Qualifier, Scan, Token, decode,
    decode_unchecked, encode, scan,
};
use safetynet_test_support::{ChildGuard, Received, Sink, forward_lines, suite_variables};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::case::Cx;
use crate::hostproc::{self, HostCmd};
use crate::table::{Row, thousands};

pub const TARGET_DECODE_PER_SEC: f64 = 200_000.0;
pub const TARGET_E2E_P99_MS: f64 = 50.0;

const K128: &str = "2B7E151628AED2A6ABF7158809CF4F3C";

fn cid(
    seq: u16,
    account: &str,
    code: u16,
    zone: u16,
    key: Option<&Key>,
    ts: DateTime<Utc>,
) -> Vec<u8> {
    let msg = Message::new(
        Token::AdmCid,
        seq,
        "1",
        account,
        Payload::ContactId(ContactId::new(Qualifier::New, code, 1, zone).with_account(account)),
    )
    .with_receiver("1")
    .with_timestamp(ts)
    .with_encryption(key.is_some());
    encode(&msg, key, &mut FixedPad(b'Q')).expect("valid frame")
}

/// Encrypted frames decoded on this thread for `cx.duration` (at least 2 s).
pub fn decode_rate(cx: &Cx) -> Result<Row> {
    let key = Key::from_hex(K128).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ts = Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap();
    let accounts: Vec<String> = (0..1024).map(|i| format!("{:04X}", 0x1000 + i)).collect();
    let keys: HashMap<String, Key> = accounts.iter().map(|a| (a.clone(), key.clone())).collect();
    let frames: Vec<Vec<u8>> = (0..1024u16)
        .map(|i| {
            cid(
                i,
                &accounts[i as usize],
                [100, 110, 602, 302][i as usize % 4],
                i % 1000,
                Some(&key),
                ts,
            )
        })
        .collect();
    let bytes: usize = frames.iter().map(Vec::len).sum::<usize>() / frames.len();
    // Sanity: every frame decodes to what was encoded.
    for f in &frames {
        let m = decode(f, &keys, ts).map_err(|e| anyhow::anyhow!("decode: {e}"))?;
        ensure!(m.header.encrypted && m.timestamp == Some(ts));
    }
    let run_for = cx.duration.max(Duration::from_secs(2));
    let start = Instant::now();
    let mut n: u64 = 0;
    let mut acc = 0u64;
    while start.elapsed() < run_for {
        for f in &frames {
            let m = decode(std::hint::black_box(f), &keys, ts).expect("decodes");
            acc = acc.wrapping_add(m.header.seq as u64);
        }
        n += frames.len() as u64;
    }
    std::hint::black_box(acc);
    let per_sec = n as f64 / start.elapsed().as_secs_f64();
    let mut row = Row::value(per_sec, 0, "frames/s");
    row.result = format!("{} frames/s", thousands(per_sec));
    Ok(row
        .at_least(TARGET_DECODE_PER_SEC, format!("≥ {} frames/s", thousands(TARGET_DECODE_PER_SEC)))
        .note(format!(
            "one thread; {n} encrypted ADM-CID frames of {bytes} bytes (AES-128-CBC, CRC-16/ARC, length, timestamp window, Contact ID parse), 1,024 accounts; {:.2} µs/frame",
            1e6 / per_sec
        )))
}

const ADMIN: &str = "bench-admin-token";
const EMERGENCIES: usize = 1_000;
const HEARTBEAT_GATEWAYS: usize = 250;
const HEARTBEATS_PER_SEC: u64 = 500;
const EMERGENCIES_PER_SEC: u64 = 50;

/// Whether the fake 119 (and SMS gateway) received `r` as a 119 dispatch.
fn is_dispatch(r: &Received) -> bool {
    r.path.starts_with("/dispatch")
}

fn call(cx: &Cx, addr: SocketAddr, method: &str, path: &str, body: &Value) -> Result<Value> {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("valid request");
    let (status, bytes) = cx.fetch(addr, req)?;
    ensure!(
        status.is_success(),
        "{method} {path}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok(serde_json::from_slice(&bytes)?)
}

/// A running `safetynet-bridge`, stopped (SIGTERM, then SIGKILL after 10 s) when dropped.
struct BridgeProc {
    _process: ChildGuard,
    tcp: SocketAddr,
    udp: SocketAddr,
}

fn start_bridge(dir: &std::path::Path, config: &str) -> Result<BridgeProc> {
    let bin = hostproc::root().join("target/release/safetynet-bridge");
    ensure!(bin.is_file(), "{} missing: run `make build`", bin.display());
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config)?;
    let mut process = ChildGuard::spawn(
        Command::new(&bin)
            .arg("--config")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("bridge.stderr.log"))?),
    )
    .context("starting safetynet-bridge")?;
    let rx = forward_lines(process.child_mut().stdout.take().expect("piped"), Some);
    let (mut tcp, mut udp) = (None, None);
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) if l == "ready" => break,
            Ok(l) => {
                if let Some(a) = l.strip_prefix("dc09-tcp ") {
                    tcp = a.parse().ok();
                } else if let Some(a) = l.strip_prefix("dc09-udp ") {
                    udp = a.parse().ok();
                }
            }
            Err(_) => {
                let _ = process.kill();
                bail!(
                    "the bridge did not start; see {}",
                    dir.join("bridge.stderr.log").display()
                );
            }
        }
    }
    Ok(BridgeProc {
        _process: process,
        tcp: tcp.context("no dc09-tcp")?,
        udp: udp.context("no dc09-udp")?,
    })
}

fn read_frame(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(64);
    let mut chunk = [0u8; 512];
    loop {
        if let Scan::Frame { len } = scan(&buf) {
            buf.truncate(len);
            return Ok(buf);
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

/// Emergency frame → 119 dispatch, under heartbeat load.
pub fn end_to_end(cx: &Cx) -> Result<Row> {
    // The fake 119 (and SMS gateway): when each dispatch arrived, for which device.
    let sink = Sink::bind("127.0.0.1:0").map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = cx.state_dir("dc09-e2e")?;
    let mut variables = vec![
        format!("admin_token={ADMIN}"),
        "secret_key=bench-master-key".into(),
        format!("personal_data_keys={}", crate::PERSONAL_DATA_KEYS),
    ];
    variables.extend(suite_variables(&sink, &sink));
    // One gateway carries the whole heartbeat load here (500/s), far past a real gateway's
    // per-device limit; the case measures the path, not the limit.
    variables.push("device_event_limit_per_minute=1000000".into());
    let suite = HostCmd {
        bin: cx.host.bin.clone(),
        manifest: hostproc::root().join("spin.toml"),
        variables,
        ..Default::default()
    };
    let mut host = suite.start(&dir)?;
    let addr = host.addr;

    // Residents with one DC-09 gateway each: 1,000 that will press, 250 that only link-test.
    let mut config = format!(
        "[suite]\nurl = \"http://{addr}\"\n[outbox]\npath = \"{}\"\n[delivery]\nconcurrency = 32\n\
         [dc09]\ntcp_listen = \"127.0.0.1:0\"\nudp_listen = \"127.0.0.1:0\"\n[mqtt]\nenabled = false\n\
         [clock]\ninterval_s = 0\n[metrics]\nlisten = \"\"\n[log]\nlevel = \"warn\"\n",
        dir.join("bridge-outbox.db").display()
    );
    // The dong centres residents are enrolled under (the suite refuses a dong without one).
    for d in 0..20 {
        call(
            cx,
            addr,
            "PUT",
            &format!("/api/v1/centres/dong-{d}"),
            &json!({"name": format!("dong-{d} centre"), "phone": "052-290-0000"}),
        )?;
    }
    let mut device_of = HashMap::new();
    for i in 0..EMERGENCIES + HEARTBEAT_GATEWAYS {
        let r = call(
            cx,
            addr,
            "POST",
            "/api/v1/residents",
            &json!({
                "name": format!("resident {i}"), "address": "울산광역시 중구", "dong": format!("dong-{}", i % 20),
                "eligibility": "elderly-alone", "contacts": [{"name": "c", "phone": "010-1234-5678", "relation": "child"}],
            }),
        )?;
        let rid = r["id"].as_str().context("resident id")?;
        let account = format!("{:04X}", 0x1000 + i);
        let d = call(
            cx,
            addr,
            "POST",
            &format!("/api/v1/residents/{rid}/devices"),
            &json!({"kind": "gateway", "protocol": "dc09", "dc09_account": account}),
        )?;
        let id = d["id"].as_str().context("device id")?.to_string();
        config.push_str(&format!(
            "[[devices]]\ndevice_id = \"{id}\"\nsecret = \"{}\"\ndc09_account = \"{account}\"\n",
            d["secret"].as_str().context("secret")?
        ));
        if i < EMERGENCIES {
            device_of.insert(id, i);
        }
    }
    let bridge = start_bridge(&dir, &config)?;

    // 500 NULL link tests per second over UDP, from 250 gateways.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent_hb, acked_hb) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let hb_sock = UdpSocket::bind("127.0.0.1:0")?;
    hb_sock.set_read_timeout(Some(Duration::from_millis(200)))?;
    let hb_recv = hb_sock.try_clone()?;
    let heartbeats = {
        let (stop, sent) = (stop.clone(), sent_hb.clone());
        let to = bridge.udp;
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut k: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let due = start + Duration::from_micros(k * 1_000_000 / HEARTBEATS_PER_SEC);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let account = format!(
                    "{:04X}",
                    0x1000 + EMERGENCIES + (k as usize % HEARTBEAT_GATEWAYS)
                );
                // Each gateway numbers its own messages (a repeated account + sequence + content
                // within the dedupe window would be taken for a retransmission).
                let seq = ((k / HEARTBEAT_GATEWAYS as u64) % 10_000) as u16;
                let msg = Message::new(Token::Null, seq, "1", account, Payload::Empty)
                    .with_receiver("1")
                    .with_timestamp(Utc::now());
                let f = encode(&msg, None, &mut FixedPad(b'Q')).expect("NULL frame");
                if hb_sock.send_to(&f, to).is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                k += 1;
            }
        })
    };
    let hb_acks = {
        let (stop, acked) = (stop.clone(), acked_hb.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !stop.load(Ordering::Relaxed) {
                if let Ok(n) = hb_recv.recv(&mut buf)
                    && decode_unchecked(&buf[..n], &NoKeys)
                        .is_ok_and(|m| m.header.token == Token::Ack)
                {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    std::thread::sleep(Duration::from_secs(2)); // load established

    // 1,000 emergencies at 50/s over one panel TCP connection, each waiting for its ACK.
    let mut conn = TcpStream::connect(bridge.tcp)?;
    conn.set_nodelay(true)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut sent_at = vec![None; EMERGENCIES];
    let mut ack_ms = Vec::with_capacity(EMERGENCIES);
    let start = Instant::now();
    for (i, slot) in sent_at.iter_mut().enumerate() {
        let due = start + Duration::from_micros(i as u64 * 1_000_000 / EMERGENCIES_PER_SEC);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let account = format!("{:04X}", 0x1000 + i);
        let f = cid((i % 10_000) as u16, &account, 100, 1, None, Utc::now());
        let t = Instant::now();
        conn.write_all(&f)?;
        *slot = Some(t);
        let reply = read_frame(&mut conn)?;
        ack_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let m = decode_unchecked(&reply, &NoKeys).map_err(|e| anyhow::anyhow!("reply: {e}"))?;
        ensure!(
            m.header.token == Token::Ack,
            "emergency {i} answered {}",
            m.header.token.as_str()
        );
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.count(is_dispatch) < EMERGENCIES && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let hb_window = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = heartbeats.join();
    let _ = hb_acks.join();
    // Every ACKed heartbeat is delivered too (the bridge drains its outbox into the suite).
    let count_hb = || -> i64 {
        rusqlite::Connection::open(dir.join("sqlite_db.db"))
            .and_then(|db| {
                db.query_row(
                    "SELECT COUNT(*) FROM device_events WHERE kind = 'heartbeat'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(-1)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while count_hb() < acked_hb.load(Ordering::Relaxed) as i64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(bridge);
    let _ = host.stop();

    // Heartbeats were really carried through too: count what the suite stored.
    let stored_hb = count_hb();
    let dispatches: Vec<(Instant, String, String)> = sink
        .received()
        .iter()
        .filter(|r| is_dispatch(r))
        .map(|r| {
            let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
            let device = v["device"]["id"].as_str().unwrap_or_default().to_string();
            let key = r.header("idempotency-key").unwrap_or_default().to_string();
            (r.at, device, key)
        })
        .collect();
    let mut lat = Vec::new();
    let mut seen = HashSet::new();
    let keys: HashSet<&String> = dispatches.iter().map(|(_, _, k)| k).collect();
    for (at, device, _) in &dispatches {
        if let Some(&i) = device_of.get(device)
            && seen.insert(i)
            && let Some(t) = sent_at[i]
        {
            lat.push(at.duration_since(t).as_secs_f64() * 1000.0);
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    ack_ms.sort_by(|a, b| a.total_cmp(b));
    let once =
        seen.len() == EMERGENCIES && dispatches.len() == EMERGENCIES && keys.len() == EMERGENCIES;
    let hb_sent = sent_hb.load(Ordering::Relaxed);
    let hb_rate = hb_sent as f64 / (hb_window.as_secs_f64() + 2.0);
    let (p50, p99) = (pct(&lat, 50.0), pct(&lat, 99.0));
    let mut row = Row {
        result: format!("{} dispatched", thousands(seen.len() as f64)),
        value: Some(p99),
        p50_ms: Some(p50),
        p99_ms: Some(p99),
        ..Row::default()
    }
    .p99_at_most(TARGET_E2E_P99_MS)
    .check("every emergency dispatched once", once)
    .check("every ACKed heartbeat stored", stored_hb == acked_hb.load(Ordering::Relaxed) as i64)
    .note(format!(
        "frame written → fake 119 received; max {:.1} ms; panel ACK p50 {:.2} ms p99 {:.2} ms; {} dispatches ({} distinct keys); heartbeats {:.0}/s sent, {} of {} ACKed, {} stored by the suite; {} emergencies at {}/s",
        lat.last().copied().unwrap_or(f64::NAN),
        pct(&ack_ms, 50.0),
        pct(&ack_ms, 99.0),
        dispatches.len(),
        keys.len(),
        hb_rate,
        acked_hb.load(Ordering::Relaxed),
        hb_sent,
        stored_hb,
        EMERGENCIES,
        EMERGENCIES_PER_SEC,
    ));
    if row.met() && !cx.keep_state {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        row.notes
            .push(format!("state and logs in {}", dir.display()));
    }
    Ok(row)
}
