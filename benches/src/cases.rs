//! The cases, with their targets and the reference figures they are compared with.
//!
//! To add a case: write one `fn(&Cx, SocketAddr) -> Result<Row>` (or `fn(&Cx) -> Result<Row>`
//! for one that starts its own processes) and list it in [`all`].

use anyhow::{Context, Result, ensure};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::case::{Case, Cx, HELLO_C32, INGEST};
use crate::hostproc;
use crate::load::{Limit, get, post};
use crate::table::Row;

/// Real Spin 4.0.2 on these 2-core machines (from the issue).
pub mod spin {
    pub const HELLO_C32_RPS: f64 = 7_800.0;
    pub const HELLO_C32_P99_MS: f64 = 7.8;
    pub const HELLO_C1_RPS: f64 = 3_660.0;
    pub const HELLO_C1_P99_MS: f64 = 0.38;
    pub const SQLITE_INSERT_RPS: f64 = 374.0;
    pub const SQLITE_INSERT_WAL_RPS: f64 = 1_916.0;
    pub const SQLITE_INSERT_WAL_P99_MS: f64 = 650.0;
}

/// Our targets.
pub mod target {
    pub const SQLITE_INSERT_RPS: f64 = 4_000.0;
    pub const SQLITE_INSERT_P99_MS: f64 = 20.0;
    pub const INSTANTIATE_US: f64 = 100.0;
    pub const WARM_START_MS: f64 = 1_000.0;
}

pub const HELLO_C1: &str = "hello c=1";

pub fn all() -> Vec<Case> {
    vec![
        Case::served("hello-c1", HELLO_C1, hello_c1),
        Case::served("hello-c32", HELLO_C32, hello_c32),
        Case::served("sqlite-insert", "sqlite insert c=32", sqlite_insert),
        Case::standalone("instantiate", "instantiate", instantiate),
        Case::standalone(
            "ingest-plaintext",
            "device events c=32, personal data in plain text",
            crate::ingest::run_plaintext,
        ),
        Case::standalone("ingest", INGEST, crate::ingest::run),
        Case::standalone(
            "ingest-spin",
            "device events c=32 under real Spin 4.0.2",
            crate::ingest::run_spin,
        ),
        Case::standalone(
            "scoring",
            "scoring cycle 500k households × 47 (Wasm)",
            crate::scoring::run,
        ),
        Case::standalone(
            "reminders-due",
            "reminders due feed, 10k residents × 4 schedules (Wasm)",
            crate::reminders::run,
        ),
        Case::standalone(
            "dc09-decode",
            "DC-09 decode + AES-128 + CRC, one core",
            crate::dc09::decode_rate,
        ),
        Case::standalone(
            "dc09-e2e",
            "DC-09 emergency → 119 dispatch (bridge + suite, 500 heartbeats/s)",
            crate::dc09::end_to_end,
        ),
        Case::standalone(
            "warm-start",
            "suite start→first response (fresh state dir, warm cache)",
            warm_start,
        ),
    ]
}

pub fn footnote(duration: Duration, client_threads: usize) -> String {
    format!(
        "Reference (from the issue): real Spin 4.0.2 on these 2-core machines: hello {} req/s \
         p99 {} ms at c=32, {} req/s p99 {} ms at c=1; one SQLite insert per request {} req/s at \
         c=32 ({} with WAL, p99 {} ms).\n\
         Targets: host ≥ Spin's hello figures; SQLite ≥ {} inserts/s and p99 ≤ {} ms at c=32; \
         instantiate ≤ {} µs; warm start ≤ {} s.\n\
         Load cases run {} s each (after a short warm-up for hello) on one keep-alive connection \
         per concurrent worker; req/s counts 2xx answers; p50/p99 cover every answer. The load \
         generator ({client_threads} client thread(s)) and the host share the machine's {} cores.",
        crate::table::thousands(spin::HELLO_C32_RPS),
        spin::HELLO_C32_P99_MS,
        crate::table::thousands(spin::HELLO_C1_RPS),
        spin::HELLO_C1_P99_MS,
        crate::table::thousands(spin::SQLITE_INSERT_RPS),
        crate::table::thousands(spin::SQLITE_INSERT_WAL_RPS),
        spin::SQLITE_INSERT_WAL_P99_MS,
        crate::table::thousands(target::SQLITE_INSERT_RPS),
        target::SQLITE_INSERT_P99_MS,
        target::INSTANTIATE_US,
        target::WARM_START_MS / 1000.0,
        duration.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    )
}

fn hello(cx: &Cx, addr: SocketAddr, concurrency: usize) -> Result<crate::load::LoadReport> {
    cx.load_until(addr, concurrency, Limit::Count(500), |_| get("/hello"))?;
    cx.load(addr, concurrency, |_| get("/hello"))
}

fn hello_c1(cx: &Cx, addr: SocketAddr) -> Result<Row> {
    let r = hello(cx, addr, 1)?;
    Ok(Row::throughput(&r, "req/s")
        .at_least(
            spin::HELLO_C1_RPS,
            format!("≥ {} req/s", crate::table::thousands(spin::HELLO_C1_RPS)),
        )
        .p99_at_most(spin::HELLO_C1_P99_MS)
        .vs("Spin", spin::HELLO_C1_RPS))
}

fn hello_c32(cx: &Cx, addr: SocketAddr) -> Result<Row> {
    let r = hello(cx, addr, 32)?;
    Ok(Row::throughput(&r, "req/s")
        .at_least(
            spin::HELLO_C32_RPS,
            format!("≥ {} req/s", crate::table::thousands(spin::HELLO_C32_RPS)),
        )
        .p99_at_most(spin::HELLO_C32_P99_MS)
        .vs("Spin", spin::HELLO_C32_RPS))
}

/// One INSERT per request (WAL, synchronous=FULL), then checks every 200 was stored once.
fn sqlite_insert(cx: &Cx, addr: SocketAddr) -> Result<Row> {
    let r = cx.load(addr, 32, |i| {
        post("/c/sqlite/insert", "text/plain", format!("bench item {i}"))
    })?;
    let (status, body) = cx.fetch(addr, get("/c/sqlite/count"))?;
    ensure!(status.is_success(), "GET /c/sqlite/count: {status}");
    let json: serde_json::Value =
        serde_json::from_slice(&body).context("GET /c/sqlite/count: not JSON")?;
    let count = json["count"]
        .as_u64()
        .context("GET /c/sqlite/count: no count")?;
    let once = count == r.status_200;
    Ok(Row::throughput(&r, "inserts/s")
        .at_least(
            target::SQLITE_INSERT_RPS,
            format!("≥ {}/s", crate::table::thousands(target::SQLITE_INSERT_RPS)),
        )
        .p99_at_most(target::SQLITE_INSERT_P99_MS)
        .check("stored exactly once", once)
        .vs_case(HELLO_C32)
        .vs("Spin+WAL", spin::SQLITE_INSERT_WAL_RPS)
        .note(format!(
            "stored exactly once: {} ({count} rows, {} answered 200)",
            if once { "yes" } else { "no" },
            r.status_200
        )))
}

/// `safetynet-host bench-instantiate`: mean µs per instantiation of `hello`.
fn instantiate(cx: &Cx) -> Result<Row> {
    let dir = cx.state_dir("instantiate")?;
    let mut cmd = cx.host.command("bench-instantiate", &dir);
    cmd.args(["--component", "hello", "-n", "20000"]);
    let out = hostproc::run_to_end(
        cmd,
        &dir.join("bench-instantiate.stderr.log"),
        Duration::from_secs(300),
    )
    .context("bench-instantiate")?;
    let line = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("bench-instantiate printed nothing")?;
    let us: f64 = line
        .trim()
        .parse()
        .with_context(|| format!("bench-instantiate printed {line:?}"))?;
    let row = Row::value(us, 1, "µs").at_most(
        target::INSTANTIATE_US,
        format!("≤ {} µs", target::INSTANTIATE_US),
    );
    if row.met() && !cx.keep_state {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(row.note("mean of 20,000, component hello"))
}

/// Starts `cmd` on `dir` and returns the time from spawn to the first 200 from `path`.
fn time_to_first_answer(
    cx: &Cx,
    cmd: &hostproc::HostCmd,
    dir: &std::path::Path,
    path: &'static str,
) -> Result<Duration> {
    let mut host = cmd.start(dir)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    for _ in 0..3_000 {
        match cx.fetch(host.addr, get(path)) {
            Ok((s, _)) if s.is_success() => {
                let t = host.spawned.elapsed();
                host.stop()?;
                return Ok(t);
            }
            Ok((s, _)) => last = format!("status {s}"),
            Err(e) => last = format!("{e:#}"),
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    anyhow::bail!("no successful GET {path} within 30 s (last: {last})")
}

/// The whole suite (`spin.toml`), as a new test or a fresh `make up` starts it: the first start
/// compiles into an empty cache; the figure is a second start on a *fresh* state directory
/// that finds the components compiled in that cache.
fn warm_start(cx: &Cx) -> Result<Row> {
    let cache = cx.state_dir("warm-start-cache")?;
    let suite = hostproc::HostCmd {
        bin: cx.host.bin.clone(),
        manifest: hostproc::root().join("spin.toml"),
        variables: vec![
            "admin_token=bench".into(),
            "secret_key=bench".into(),
            "personal_data_keys=plaintext".into(),
        ],
        extra: vec!["--cache-dir".into(), cache.display().to_string()],
        real_spin: false,
    };
    let first = cx.state_dir("warm-start-first")?;
    let cold = time_to_first_answer(cx, &suite, &first, "/api/v1/openapi.json")
        .context("first (cold) start")?;
    let cached = std::fs::read_dir(&cache).map_or(0, |d| d.count());
    ensure!(cached > 0, "the first start left nothing in the cache");
    let fresh = cx.state_dir("warm-start-fresh")?;
    let warm = time_to_first_answer(cx, &suite, &fresh, "/api/v1/openapi.json")
        .context("second start (fresh state dir, warm cache)")?;
    let ms = warm.as_secs_f64() * 1000.0;
    let row = Row::value(ms, 0, "ms").at_most(
        target::WARM_START_MS,
        format!("≤ {} s", target::WARM_START_MS / 1000.0),
    );
    if row.met() && !cx.keep_state {
        for dir in [&cache, &first, &fresh] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    Ok(row.note(format!(
        "cold start (empty cache) {} ms; {cached} cache entries",
        cold.as_millis()
    )))
}
