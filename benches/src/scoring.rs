//! The bimonthly crisis-scoring cycle (DESIGN §9, issue 6): 500,000 synthetic households × 47
//! indicators through the whole suite, against the same scoring natively.
//!
//! Measured: the uploads (households.csv and 23 provider files, ~285 MB of CSV, streamed through
//! HTTP and validated in Wasm) and the run (`POST …/runs`: load the columns from SQLite, score
//! in the scoring component, exclude, rank, allocate 4,000 across the centres, store the lists
//! and cases), as wall time at the client; the run's own stage timings (scoring: best of the
//! run and four re-runs); the host's memory peak (VmHWM). Natively: the same files parsed into
//! the same sparse columns outside the clock, then the same scoring work (`score_sparse`, top 3
//! reasons from the allocation band) timed, best of 5. The stage takes about 20 ms, so single
//! runs on a shared machine swing by half; the best of several is the figure to compare.

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::case::Cx;
use crate::hostproc::{self, HostCmd};
use crate::table::Row;

const HOUSEHOLDS: u32 = 500_000;
const SEED: u64 = 1;
const ADMIN: &str = "bench-admin-token";
pub const TARGET_SECS: f64 = 10.0;
pub const TARGET_RATIO: f64 = 1.5;

fn cli(args: &[&str]) -> Result<String> {
    let bin = hostproc::root().join("target/release/safetynet-cli");
    ensure!(bin.is_file(), "{} missing: run `make build`", bin.display());
    let out = Command::new(&bin)
        .args(args)
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    ensure!(
        out.status.success(),
        "safetynet-cli {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn vm_hwm_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

pub fn run(cx: &Cx) -> Result<Row> {
    let dir = cx.state_dir("scoring")?;
    let data = dir.join("synth");
    let data_s = data.display().to_string();
    cli(&[
        "synth",
        "--seed",
        &SEED.to_string(),
        "--households",
        &HOUSEHOLDS.to_string(),
        "--out",
        &data_s,
    ])?;
    let bytes: u64 = std::fs::read_dir(&data)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();

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
    let url = format!("http://{}", host.addr);

    let t = Instant::now();
    cli(&[
        "--url",
        &url,
        "--token",
        ADMIN,
        "upload",
        "2026-11/12",
        "all",
        &data_s,
    ])?;
    let upload_secs = t.elapsed().as_secs_f64();
    let hwm_after_upload = vm_hwm_mb(host.pid());

    let req = Request::post("/api/v1/scoring/cycles/2026-11-12/runs")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Full::new(Bytes::from_static(b"{}")))?;
    let t = Instant::now();
    let (status, body) = cx.fetch(host.addr, req)?;
    let run_secs = t.elapsed().as_secs_f64();
    ensure!(
        status.as_u16() == 201,
        "POST runs: {status} {}",
        String::from_utf8_lossy(&body)
    );
    let run: Value = serde_json::from_slice(&body)?;
    ensure!(
        run["scored"] == HOUSEHOLDS && run["flagged"] == 4000,
        "unexpected run: {run}"
    );
    // The scoring stage, best of 5 like the native figure: the first run and four re-runs.
    let mut wasm_score_ms = run["timings_ms"]["score"]
        .as_f64()
        .context("timings_ms.score")?;
    for _ in 0..4 {
        let req = Request::post("/api/v1/scoring/cycles/2026-11-12/runs")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(Full::new(Bytes::from_static(br#"{"replace": true}"#)))?;
        let (status, body) = cx.fetch(host.addr, req)?;
        ensure!(status.as_u16() == 201, "re-run: {status}");
        let again: Value = serde_json::from_slice(&body)?;
        ensure!(
            again["scored"] == HOUSEHOLDS && again["flagged"] == 4000,
            "unexpected re-run: {again}"
        );
        let ms = again["timings_ms"]["score"]
            .as_f64()
            .context("timings_ms.score")?;
        wasm_score_ms = wasm_score_ms.min(ms);
    }
    let hwm = vm_hwm_mb(host.pid());
    let _ = host.stop();

    let columns = load_columns(&data)?;
    let native_ms = native_scoring_ms(&columns);
    let ratio = wasm_score_ms / native_ms;

    let row = Row::value(run_secs, 2, "s")
        .at_most(TARGET_SECS, format!("run ≤ {TARGET_SECS} s"))
        .check(format!("scoring Wasm/native ≤ {TARGET_RATIO}"), ratio <= TARGET_RATIO)
        .note(format!(
            "run (load {} + score {} + rank/allocate {} + store {} ms in the guest) for {HOUSEHOLDS} households × 47, 4,000 flagged; \
             scoring stage Wasm {wasm_score_ms:.0} ms vs native {native_ms:.0} ms = {ratio:.2}×; \
             uploads {upload_secs:.1} s for {:.0} MB of CSV ({:.1} MB/s, streamed and validated in Wasm); \
             host VmHWM {} MB ({} after uploads)",
            run["timings_ms"]["load"], run["timings_ms"]["score"], run["timings_ms"]["rank_allocate"], run["timings_ms"]["store"],
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / upload_secs,
            hwm.map_or("?".into(), |m| format!("{m:.0}")),
            hwm_after_upload.map_or("?".into(), |m| format!("{m:.0}")),
        ));
    if row.met() && !cx.keep_state {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(row)
}

/// The synthetic files as the store keeps them: one f32 column per indicator, by position.
fn load_columns(dir: &Path) -> Result<Vec<Vec<f32>>> {
    let model = safetynet_scoring::Model::builtin();
    let hh = std::fs::read_to_string(dir.join("households.csv"))?;
    let pos: HashMap<&str, usize> = hh
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| (l.split(',').next().unwrap_or(""), i))
        .collect();
    let mut cols = vec![vec![0.0f32; pos.len()]; model.len()];
    for e in std::fs::read_dir(dir)? {
        let path = e?.path();
        if path.file_name().is_some_and(|n| n == "households.csv") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let mut lines = text.lines();
        let header: Vec<Option<usize>> = lines
            .next()
            .unwrap_or("")
            .split(',')
            .map(|c| model.index(c))
            .collect();
        for line in lines {
            let mut f = line.split(',');
            let i = pos[f.next().unwrap_or("")];
            for (c, v) in header.iter().skip(1).zip(f) {
                if let Some(c) = c {
                    cols[*c][i] = v.parse::<f64>()? as f32;
                }
            }
        }
    }
    Ok(cols)
}

/// The run's scoring stage natively: the same sparse columns (built outside the clock, as the
/// run loads them) → `score_sparse`, top 3 reasons; best of 5.
fn native_scoring_ms(cols: &[Vec<f32>]) -> f64 {
    let model = safetynet_scoring::Model::builtin();
    let n = cols[0].len();
    let (mut starts, mut rows, mut values) = (vec![0u32], Vec::new(), Vec::new());
    for col in cols {
        for (r, &x) in col.iter().enumerate() {
            if x != 0.0 {
                rows.push(r as u32);
                values.push(x);
            }
        }
        starts.push(rows.len() as u32);
    }
    let sparse = safetynet_scoring::SparseColumns {
        households: n,
        starts: &starts,
        rows: &rows,
        values: &values,
    };
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let b = model
            .score_sparse(&sparse, 3, model.spec.allocation_min_band)
            .expect("columns");
        std::hint::black_box(&b);
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    best
}
