//! Crisis-scoring commands for data providers and operators: `upload`, `run`, `report`.

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args)]
pub struct UploadArgs {
    /// Cycle, e.g. 2026-11/12 (or 2026-11-12).
    pub cycle: String,
    /// Provider id from the catalogue (e.g. kepco), `households` for the household reference,
    /// or `all` with a directory holding households.csv and <provider>.csv files.
    pub provider: String,
    pub file: PathBuf,
}

#[derive(Args)]
pub struct RunArgs {
    pub cycle: String,
    /// Households to send to the centres (default: the deployment's scoring_quota, 4,000).
    #[arg(long)]
    pub quota: Option<u32>,
    /// Redo the cycle's run (only while no case has been followed up).
    #[arg(long)]
    pub replace: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    pub cycle: String,
}

/// `2026-11/12` → `2026-11-12` (the path form).
fn cycle_path(c: &str) -> String {
    c.replace('/', "-")
}

struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Client {
    fn new(base: &str, token: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            // Long uploads and 500,000-household runs take a while.
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(900))
                .build(),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        ctype: &str,
        len: Option<u64>,
        body: impl Read,
    ) -> Result<(u16, Value)> {
        let mut req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("content-type", ctype)
            .set("authorization", &format!("Bearer {}", self.token));
        if let Some(l) = len {
            req = req.set("content-length", &l.to_string());
        }
        let resp = match req.send(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => bail!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let text = resp.into_string()?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    fn json(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let (status, v) = self.send(
            method,
            path,
            "application/json",
            Some(text.len() as u64),
            text.as_bytes(),
        )?;
        if !(200..300).contains(&status) {
            bail!("{method} {path} → {status}: {}", error_text(&v));
        }
        Ok(v)
    }
}

fn error_text(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .map_or_else(|| v.to_string(), str::to_string)
}

/// Counts bytes as the upload reads the file.
struct Progress<R> {
    inner: R,
    bar: indicatif::ProgressBar,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

pub fn upload(url: &str, token: &str, a: UploadArgs) -> Result<()> {
    let c = Client::new(url, token);
    if a.provider == "all" {
        return upload_dir(&c, &a.cycle, &a.file);
    }
    if !upload_one(&c, &a.cycle, &a.provider, &a.file)? {
        std::process::exit(1);
    }
    Ok(())
}

/// households.csv first, then every <provider>.csv in the directory, stopping at a rejection.
fn upload_dir(c: &Client, cycle: &str, dir: &Path) -> Result<()> {
    if !upload_one(c, cycle, "households", &dir.join("households.csv"))? {
        std::process::exit(1);
    }
    let model = c.json("GET", "/api/v1/scoring/model", None)?;
    for p in model["providers"].as_array().into_iter().flatten() {
        let id = p["id"].as_str().unwrap_or_default();
        let file = dir.join(format!("{id}.csv"));
        if !file.is_file() {
            eprintln!("{id}: no {} — skipped", file.display());
            continue;
        }
        if !upload_one(c, cycle, id, &file)? {
            std::process::exit(1);
        }
    }
    Ok(())
}

/// Uploads one file with a progress bar; prints the result or the rejected lines.
fn upload_one(c: &Client, cycle: &str, provider: &str, file: &Path) -> Result<bool> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let len = f.metadata()?.len();
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap()
        .progress_chars("=> "),
    );
    bar.set_message(provider.to_string());
    let path = match provider {
        "households" => format!("/api/v1/scoring/cycles/{}/households", cycle_path(cycle)),
        p => format!("/api/v1/scoring/cycles/{}/providers/{p}", cycle_path(cycle)),
    };
    let started = std::time::Instant::now();
    let (status, v) = c.send(
        "PUT",
        &path,
        "text/csv",
        Some(len),
        Progress {
            inner: f,
            bar: bar.clone(),
        },
    )?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    match status {
        200 => {
            let rows = v["rows"].as_u64().or(v["households"].as_u64()).unwrap_or(0);
            println!(
                "{provider}: {rows} rows accepted for {cycle} in {secs:.1} s{}",
                if v["replaced"] == true {
                    " (replaced the earlier upload)"
                } else {
                    ""
                }
            );
            Ok(true)
        }
        400 if v["error"]["code"] == "invalid_csv" => {
            let e = &v["error"];
            println!(
                "{provider}: REJECTED — {}",
                e["message"].as_str().unwrap_or("")
            );
            for l in e["lines"].as_array().into_iter().flatten() {
                println!(
                    "  line {:>7}: {}",
                    l["line"].as_u64().unwrap_or(0),
                    l["message"].as_str().unwrap_or("")
                );
            }
            let total = e["rejected"].as_u64().unwrap_or(0);
            let listed = e["lines"].as_array().map_or(0, |l| l.len() as u64);
            if total > listed {
                println!("  … and {} more", total - listed);
            }
            Ok(false)
        }
        s => bail!("{provider}: {s}: {}", error_text(&v)),
    }
}

pub fn run(url: &str, token: &str, a: RunArgs) -> Result<()> {
    let c = Client::new(url, token);
    let mut body = json!({"replace": a.replace});
    if let Some(q) = a.quota {
        body["quota"] = json!(q);
    }
    let r = c.json(
        "POST",
        &format!("/api/v1/scoring/cycles/{}/runs", cycle_path(&a.cycle)),
        Some(&body),
    )?;
    println!(
        "run {} of {} (model {})",
        r["id"].as_str().unwrap_or(""),
        r["cycle_name"].as_str().unwrap_or(""),
        r["model_version"].as_str().unwrap_or("")
    );
    println!("  households scored   {}", r["scored"]);
    let ex = &r["excluded"];
    println!(
        "  excluded            {} receiving support, {} in open cases, {} supported last cycle",
        ex["receiving_support"], ex["open_case"], ex["supported_last_cycle"]
    );
    println!(
        "  bands               high {} / medium {} / low {}",
        r["bands"]["high"], r["bands"]["medium"], r["bands"]["low"]
    );
    println!("  at risk             {}", r["at_risk"]);
    println!(
        "  sent to centres     {} (quota {})",
        r["flagged"], r["quota"]
    );
    println!(
        "  duration            {} ms {}",
        r["duration_ms"], r["timings_ms"]
    );
    if let Some(m) = r["missing_indicators"].as_array().filter(|m| !m.is_empty()) {
        println!("  no data yet for     {} indicator(s)", m.len());
    }
    Ok(())
}

pub fn report(url: &str, token: &str, a: ReportArgs) -> Result<()> {
    let c = Client::new(url, token);
    let r = c.json(
        "GET",
        &format!("/api/v1/scoring/cycles/{}/report", cycle_path(&a.cycle)),
        None,
    )?;
    println!(
        "{:<14} {:>6} {:>6} {:>9} {:>9} {:>7} {:>9} {:>9} {:>8} {:>7}",
        "centre",
        "cases",
        "new",
        "contacted",
        "supported",
        "linked",
        "not-elig.",
        "unreach.",
        "declined",
        "rate"
    );
    let row = |name: &str, v: &Value| {
        let s = &v["by_status"];
        println!(
            "{:<14} {:>6} {:>6} {:>9} {:>9} {:>7} {:>9} {:>9} {:>8} {:>6.1}%",
            name,
            v["cases"],
            s["new"],
            s["contacted"],
            s["supported"],
            s["linked"],
            s["not-eligible"],
            s["unreachable"],
            s["declined"],
            v["support_rate"].as_f64().unwrap_or(0.0) * 100.0
        );
    };
    for c in r["centres"].as_array().into_iter().flatten() {
        row(c["dong"].as_str().unwrap_or(""), c);
    }
    if !r["total"].is_null() {
        row("TOTAL", &r["total"]);
    }
    println!("{}", r["definition"].as_str().unwrap_or(""));
    Ok(())
}
