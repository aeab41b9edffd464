//! The reminders due feed (issue 5): time per poll of `GET /api/v1/reminders/due` in Wasm on
//! the host, for 10,000 residents with 4 schedules each (target ≤ 50 ms).
//!
//! Seeding: the host is started (its first request applies the migrations), then 10,000
//! residents, their ai-speakers and 40,000 schedules are written straight into the state
//! directory's SQLite file in one transaction — enrolling 10,000 residents over HTTP would take
//! minutes and measure the registry, not the feed. `next_at` is computed natively with the same
//! schedule crate the Wasm component is built from.
//!
//! Each resident has medication at 08:mm and 20:mm, cognitive training at 10:mm and music at
//! 15:mm (Seoul), `mm` = resident mod 60, all daily since 2025-11-01 (a year of history, so
//! expansion is not helped by a fresh DTSTART). The feed is then polled with a drill `now`
//! every minute through 08:00–08:59 of one day (each poll claims ~167 medication reminders) and
//! through 03:00–03:59 (nothing due).

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use std::time::Instant;

use crate::case::Cx;
use crate::hostproc::{self, HostCmd};
use crate::table::Row;

const RESIDENTS: usize = 10_000;
const ADMIN: &str = "bench-admin-token";
pub const TARGET_MS: f64 = 50.0;

fn get(path: &str) -> crate::load::Req {
    Request::builder()
        .method("GET")
        .uri(path)
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Full::new(Bytes::new()))
        .expect("valid request")
}

fn seed(db: &std::path::Path, day_start: i64) -> Result<usize> {
    let mut conn = rusqlite::Connection::open(db)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let tx = conn.transaction()?;
    let mut n = 0;
    {
        let mut res = tx.prepare("INSERT INTO residents (id, name, address, dong, eligibility, inactivity_threshold_minutes, created_at) VALUES (?1, 'bench', 'bench', ?2, 'elderly-alone', 100000, ?3)")?;
        let mut dev = tx.prepare("INSERT INTO devices (id, resident_id, kind, protocol, secret_sealed, created_at) VALUES (?1, ?2, 'ai-speaker', 'mqtt', 'x', ?3)")?;
        let mut sch = tx.prepare("INSERT INTO reminder_schedules (id, resident_id, dong, kind, medication_name, dose, text, rule, tz, start_at, end_at, needs_ack, grace_minutes, misses_to_escalate, next_at, created_at, created_by, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?11, ?7, 'Asia/Seoul', NULL, NULL, ?8, 60, ?9, ?10, 0, 'bench', NULL)")?;
        // Sealed as the suite stores them, so the feed opens each as it does in service.
        let keys = safetynet_secrets::PersonalDataKeys::parse(crate::PERSONAL_DATA_KEYS, "")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let seal = |column: &str, v: &str| keys.seal(column, v);
        for i in 0..RESIDENTS {
            let rid = format!("res-bench-{i:05}");
            let dong = format!("dong-{}", i % 20);
            res.execute(rusqlite::params![rid, dong, 0])?;
            dev.execute(rusqlite::params![format!("dev-bench-{i:05}"), rid, 0])?;
            let mm = i % 60;
            for (k, (kind, hour)) in [
                ("medication", 8),
                ("medication", 20),
                ("cognitive-training", 10),
                ("music", 15),
            ]
            .into_iter()
            .enumerate()
            {
                let rule = format!("DTSTART:20251101T{hour:02}{mm:02}00\nRRULE:FREQ=DAILY");
                let c = safetynet_schedule::compile(&safetynet_schedule::Recurrence {
                    rule: rule.clone(),
                    ..Default::default()
                })
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                let next = c.first_from(day_start).context("daily rule has a next")?;
                let med = kind == "medication";
                sch.execute(rusqlite::params![
                    format!("sch-bench-{i:05}-{k}"),
                    rid,
                    dong,
                    kind,
                    med.then(|| seal("reminder_schedules.medication_name", "약")),
                    med.then(|| seal("reminder_schedules.dose", "1정")),
                    rule,
                    med as i64,
                    if med { 2 } else { 0 },
                    next,
                    seal("reminder_schedules.text", "알림"),
                ])?;
                n += 1;
            }
        }
    }
    tx.commit()?;
    Ok(n)
}

pub fn run(cx: &Cx) -> Result<Row> {
    let dir = cx.state_dir("reminders")?;
    let suite = HostCmd {
        bin: cx.host.bin.clone(),
        manifest: hostproc::root().join("spin.toml"),
        variables: vec![
            format!("admin_token={ADMIN}"),
            "secret_key=bench-master-key".into(),
            format!("personal_data_keys={}", crate::PERSONAL_DATA_KEYS),
        ],
        ..Default::default()
    };
    let mut host = suite.start(&dir)?;
    let addr = host.addr;
    // The first request applies the migrations.
    let (status, body) = cx.fetch(addr, get("/api/v1/schedules"))?;
    ensure!(
        status.is_success(),
        "GET /api/v1/schedules: {status} {}",
        String::from_utf8_lossy(&body)
    );

    // A day ahead, 00:00 in Seoul (15:00 UTC the day before).
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let day = 86_400_000;
    let day_start = (now_ms / day + 2) * day - 9 * 3_600_000;
    let seeded_at = Instant::now();
    let schedules = seed(&dir.join("sqlite_db.db"), day_start)?;
    let seed_secs = seeded_at.elapsed().as_secs_f64();

    let mut busy = Vec::new();
    let mut quiet = Vec::new();
    let mut items = 0usize;
    for (hour, times) in [(8, &mut busy), (3, &mut quiet)] {
        for minute in 0..60 {
            let at = day_start + (hour * 60 + minute) * 60_000;
            let path = format!(
                "/api/v1/reminders/due?limit=1000&now={}",
                safetynet_wire::time::to_rfc3339(at)
            );
            let t = Instant::now();
            let (status, body) = cx.fetch(addr, get(&path))?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            ensure!(
                status.is_success(),
                "{path}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            items += v.as_array().map_or(0, Vec::len);
        }
    }
    let early_exit = host.exited();
    let _ = host.stop();
    ensure!(early_exit.is_none(), "host exited during the case");

    let db = rusqlite::Connection::open(dir.join("sqlite_db.db"))?;
    let (claimed, distinct): (i64, i64) = db.query_row(
        "SELECT COUNT(*), COUNT(DISTINCT schedule_id || occurs_at) FROM reminder_deliveries WHERE claimed_at IS NOT NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let stat = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        (
            v[v.len() / 2],
            v[(v.len() * 99 / 100).min(v.len() - 1)],
            *v.last().unwrap(),
        )
    };
    let (b50, b99, bmax) = stat(&mut busy);
    let (q50, _, qmax) = stat(&mut quiet);
    let expected = RESIDENTS; // the 08:mm medication of every resident; nothing at 03:mm
    let row = Row::value(bmax, 1, "ms/poll (max, busy)")
        .at_most(TARGET_MS, format!("≤ {TARGET_MS} ms/poll"))
        .check("each occurrence handed out once", items == expected && claimed as usize == expected && distinct == claimed)
        .note(format!(
            "{RESIDENTS} residents × 4 = {schedules} schedules (seeded into SQLite directly in {seed_secs:.1} s); \
             busy polls 08:00–08:59 (~{} items each): p50 {b50:.1} ms, p99 {b99:.1} ms, max {bmax:.1} ms; \
             quiet polls 03:00–03:59 (0 items): p50 {q50:.1} ms, max {qmax:.1} ms; {items} items handed out, {claimed} claimed rows",
            expected / 60
        ));
    let mut row = row;
    row.p50_ms = Some(b50);
    row.p99_ms = Some(b99);
    if row.met() && !cx.keep_state {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(row)
}
