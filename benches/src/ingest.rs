//! Signed device-event ingestion through the whole suite (DESIGN §9, issue 3): HTTP → Wasm →
//! signature → dedupe → SQLite → routing → incident + outbox → immediate 119/SMS sends.
//!
//! 20,000 events at concurrency 32: 95 % heartbeat/activity, 5 % emergency calls from distinct
//! residents (each opens an incident and sends to a local fake 119 and SMS gateway). Afterwards
//! the database is read directly to prove every event was stored exactly once.

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use safetynet_test_support::{Sink, suite_variables};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

use crate::case::Cx;
use crate::hostproc::{self, HostCmd};
use crate::load::{Limit, Req};
use crate::table::Row;

const EVENTS: u64 = 20_000;
const RESIDENTS: usize = 1_000;
const ADMIN: &str = "bench-admin-token";

pub const TARGET_EVENTS_PER_SEC: f64 = 3_000.0;
pub const TARGET_P99_MS: f64 = 25.0;

fn api(method: &str, path: &str, body: &Value) -> Req {
    Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("valid request")
}

fn call(
    cx: &Cx,
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<Value> {
    let (status, bytes) = cx.fetch(addr, api(method, path, body))?;
    ensure!(
        status.is_success(),
        "{method} {path}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok(serde_json::from_slice(&bytes)?)
}

/// Events/s of the plain-text run earlier in this bench run, which the sealed run is held to.
static PLAINTEXT_EVENTS_PER_SEC: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// Personal data may cost the emergency path at most this share of its throughput.
pub const SEALED_MIN_RATIO: f64 = 0.9;

/// The suite on the embedded host, personal data sealed as deployed; held to the plain-text
/// run of the same bench run when that ran first.
pub fn run(cx: &Cx) -> Result<Row> {
    let row = run_on(
        cx,
        "ingest",
        cx.host.bin.clone(),
        false,
        crate::PERSONAL_DATA_KEYS,
    )?;
    Ok(match (PLAINTEXT_EVENTS_PER_SEC.get(), row.value) {
        (Some(&plain), Some(sealed)) => row
            .check(
                format!("≥ {:.0}% of plain text", SEALED_MIN_RATIO * 100.0),
                sealed >= SEALED_MIN_RATIO * plain,
            )
            .vs("plain text", plain),
        _ => row.note("plain-text case not run: encryption cost not compared"),
    })
}

/// The same load with personal data stored in plain text (`personal_data_keys=plaintext`):
/// the baseline the sealed run's cost is measured against.
pub fn run_plaintext(cx: &Cx) -> Result<Row> {
    let row = run_on(
        cx,
        "ingest-plaintext",
        cx.host.bin.clone(),
        false,
        "plaintext",
    )?;
    if let Some(v) = row.value {
        let _ = PLAINTEXT_EVENTS_PER_SEC.set(v);
    }
    Ok(row)
}

/// The same load, the same suite, under real Spin 4.0.2 (when `../shared/tools/real-spin` is
/// there), so the two rows of one run compare the runtimes on equal terms.
pub fn run_spin(cx: &Cx) -> Result<Row> {
    let spin = hostproc::real_spin()
        .context("real Spin not found at ../shared/tools/real-spin: case skipped")?;
    run_on(cx, "ingest-spin", spin, true, crate::PERSONAL_DATA_KEYS)
}

fn run_on(
    cx: &Cx,
    label: &str,
    bin: std::path::PathBuf,
    real_spin: bool,
    personal_data_keys: &str,
) -> Result<Row> {
    // A local stand-in for 119 and the SMS gateway that records what arrives.
    let sink = Sink::bind("127.0.0.1:0").map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = cx.state_dir(label)?;
    let mut variables = vec![
        format!("admin_token={ADMIN}"),
        "secret_key=bench-master-key".into(),
        format!("personal_data_keys={personal_data_keys}"),
    ];
    variables.extend(suite_variables(&sink, &sink));
    let suite = HostCmd {
        bin,
        real_spin,
        manifest: hostproc::root().join("spin.toml"),
        variables,
        ..Default::default()
    };
    let mut host = suite.start(&dir)?;
    let addr = host.addr;

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
    // Enrol residents, each with a pendant and an activity sensor (one caregiver each).
    let mut pendants = Vec::new();
    let mut sensors = Vec::new();
    for i in 0..RESIDENTS {
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
        let id = r["id"].as_str().context("resident id")?.to_string();
        for (kind, list) in [("pendant", &mut pendants), ("activity", &mut sensors)] {
            let d = call(
                cx,
                addr,
                "POST",
                &format!("/api/v1/residents/{id}/devices"),
                &json!({"kind": kind, "protocol": "http"}),
            )?;
            list.push((
                d["id"].as_str().unwrap().to_string(),
                d["secret"].as_str().unwrap().to_string(),
            ));
        }
    }

    // Sign every event up front, so the load loop only sends.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let ts = now.to_string();
    let occurred = safetynet_wire::time::to_rfc3339(now * 1000);
    let mut prepared = Vec::with_capacity(EVENTS as usize);
    let mut emergencies = 0;
    for i in 0..EVENTS {
        let (device, kind) = if i % 20 == 0 {
            emergencies += 1;
            (&pendants[(i / 20) as usize % RESIDENTS], "emergency-call")
        } else {
            (
                &sensors[i as usize % RESIDENTS],
                if i % 2 == 0 { "heartbeat" } else { "activity" },
            )
        };
        let body = json!({"event_id": format!("bench-{i}"), "device_id": device.0, "kind": kind, "occurred_at": occurred, "data": {}}).to_string();
        let sig = safetynet_wire::signature::sign(device.1.as_bytes(), &ts, body.as_bytes());
        prepared.push((Bytes::from(body), sig));
    }
    let prepared = Arc::new(prepared);
    let ts2 = ts.clone();
    let cpu_before = host.cpu_time();
    let report = cx.load_until(addr, 32, Limit::Count(EVENTS), move |i| {
        let (body, sig) = &prepared[i as usize % prepared.len()];
        Request::post("/api/v1/device-events")
            .header("content-type", "application/json")
            .header("x-safetynet-timestamp", ts2.as_str())
            .header("x-safetynet-signature", sig.as_str())
            .body(Full::new(body.clone()))
            .expect("valid POST")
    })?;
    // Host CPU per event: steadier than events/s on a shared machine, for comparing builds.
    let cpu_per_event = match (cpu_before, host.cpu_time()) {
        (Some(a), Some(b)) => format!(
            "; host CPU {} µs/event",
            (b - a).as_micros() / EVENTS as u128
        ),
        _ => String::new(),
    };
    let _ = host.stop();

    let db = rusqlite::Connection::open(dir.join("sqlite_db.db"))?;
    let (stored, distinct): (i64, i64) = db.query_row(
        "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM device_events WHERE event_id LIKE 'bench-%'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let incidents: i64 = db.query_row("SELECT COUNT(*) FROM incidents", [], |r| r.get(0))?;
    // "PATH IDEMPOTENCY-KEY" of each request the sink received.
    let received: Vec<String> = sink
        .received()
        .iter()
        .map(|r| {
            let key = r.header("idempotency-key").unwrap_or_default();
            format!("{} {key}", r.path)
        })
        .collect();
    let dispatch_keys: HashSet<&String> = received
        .iter()
        .filter(|k| k.starts_with("/dispatch"))
        .collect();
    let once = stored == EVENTS as i64 && distinct == stored && report.status_200 == EVENTS;
    let row = Row::throughput(&report, "events/s");
    // The targets are the embedded host's; under Spin the row is the comparison, and only
    // "stored exactly once" must hold.
    let row = if real_spin {
        row.check("stored exactly once", once)
            .vs_case(crate::case::INGEST)
    } else {
        row.at_least(
            TARGET_EVENTS_PER_SEC,
            format!(
                "≥ {} events/s",
                crate::table::thousands(TARGET_EVENTS_PER_SEC)
            ),
        )
        .p99_at_most(TARGET_P99_MS)
        .check("stored exactly once", once)
        .vs_case(crate::case::HELLO_C32)
    };
    let row = row
        .note(format!(
            "{stored} stored / {distinct} distinct / {} answered 200 of {EVENTS}; {emergencies} emergencies → {incidents} incidents, {} dispatches at fake 119 ({} distinct keys), {} requests at the sinks{cpu_per_event}",
            report.status_200,
            received.iter().filter(|k| k.starts_with("/dispatch")).count(),
            dispatch_keys.len(),
            received.len(),
        ));
    if row.met() && !cx.keep_state {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(row)
}
