//! The HTTP/1.1 load generator: one keep-alive connection per concurrent worker, each worker
//! sending requests back to back until a deadline or a request count, recording every latency.
//!
//! Reusable for any request shape: [`run_load`] takes a `make_request(i)` closure, called once
//! per request with a unique index `i`, so a case can give each request its own headers and body
//! (signed device events, unique insert values, ...).
//!
//! Everything here is bounded: every request and connect has a timeout, duration-limited runs
//! also stop at [`HARD_CAP_REQUESTS`], and a worker gives up after [`MAX_CONSECUTIVE_FAILURES`].
//! Only 127.0.0.1 may be targeted.

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// A request as the load generator sends it.
pub type Req = Request<Full<Bytes>>;

/// Upper bound on requests in one duration-limited run, whatever the duration.
pub const HARD_CAP_REQUESTS: u64 = 50_000_000;
/// A request (send + whole response body) slower than this counts as an error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A worker that fails this many times in a row (connect or request) stops.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 50;

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// Each worker sends until this much time has passed since the start.
    Duration(Duration),
    /// This many requests in total, shared among the workers.
    Count(u64),
}

impl From<Duration> for Limit {
    fn from(d: Duration) -> Self {
        Limit::Duration(d)
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of every answered request (any status), microseconds, sorted ascending.
    pub samples_us: Vec<u32>,
    /// Answers with a 2xx status.
    pub ok: u64,
    /// Answers with exactly 200.
    pub status_200: u64,
    /// Answers with a status other than 2xx.
    pub non_2xx: u64,
    /// Requests that got no answer (connect failure, connection closed, timeout).
    pub transport_errors: u64,
    /// The first error seen, for the report.
    pub first_error: Option<String>,
}

impl LoadReport {
    pub fn errors(&self) -> u64 {
        self.non_2xx + self.transport_errors
    }

    /// Successful (2xx) answers per second.
    pub fn per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }

    /// Nearest-rank percentile (`p` in 0..=100) over all samples, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        percentile(&self.samples_us, p).map(|us| f64::from(us) / 1000.0)
    }
}

/// Nearest-rank percentile of ascending `sorted` samples.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A GET of `path` (origin-form; the Host header is added when sent).
pub fn get(path: &str) -> Req {
    Request::get(path)
        .body(Full::new(Bytes::new()))
        .expect("valid GET")
}

/// A POST of `body` to `path` with the given content type.
pub fn post(path: &str, content_type: &str, body: impl Into<Bytes>) -> Req {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .expect("valid POST")
}

fn ensure_loopback(addr: SocketAddr) -> Result<()> {
    ensure!(
        addr.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST),
        "refusing to load {addr}: the bench only targets 127.0.0.1"
    );
    Ok(())
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .context("connect timed out")?
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // Ends when the sender is dropped or the server closes the connection.
        let _ = conn.await;
    });
    Ok(sender)
}

fn with_host(mut req: Req, addr: SocketAddr) -> Req {
    if !req.headers().contains_key(header::HOST)
        && let Ok(v) = header::HeaderValue::from_str(&addr.to_string())
    {
        req.headers_mut().insert(header::HOST, v);
    }
    req
}

/// Sends one request and reads the whole answer, returning its status and body.
async fn exchange(sender: &mut SendRequest<Full<Bytes>>, req: Req) -> Result<(StatusCode, Bytes)> {
    let fut = async {
        sender.ready().await?;
        let resp = sender.send_request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok::<_, anyhow::Error>((status, body))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .context("request timed out")?
}

/// One request on a fresh connection: status and body. For checks around a load run.
pub async fn fetch(addr: SocketAddr, req: Req) -> Result<(StatusCode, Bytes)> {
    ensure_loopback(addr)?;
    let mut sender = connect(addr).await?;
    exchange(&mut sender, with_host(req, addr)).await
}

struct Shared<F> {
    addr: SocketAddr,
    make_request: F,
    next: AtomicU64,
    max: u64,
    deadline: Option<Instant>,
}

#[derive(Default)]
struct WorkerOut {
    samples: Vec<u32>,
    ok: u64,
    status_200: u64,
    non_2xx: u64,
    transport_errors: u64,
    first_error: Option<String>,
}

impl WorkerOut {
    fn fail(&mut self, e: impl std::fmt::Display) {
        self.transport_errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }
}

/// Runs `concurrency` workers against `addr` (127.0.0.1 only), each on its own keep-alive
/// connection, until `limit`. `make_request(i)` builds request number `i` (unique in the run,
/// from 0); a missing Host header is filled in.
pub async fn run_load<F>(
    addr: SocketAddr,
    concurrency: usize,
    limit: impl Into<Limit>,
    make_request: F,
) -> Result<LoadReport>
where
    F: Fn(u64) -> Req + Send + Sync + 'static,
{
    ensure_loopback(addr)?;
    ensure!(
        (1..=4096).contains(&concurrency),
        "concurrency {concurrency} out of range 1..=4096"
    );
    let limit = limit.into();
    // Open every connection before the clock starts.
    let mut senders = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        senders.push(connect(addr).await?);
    }
    let start = Instant::now();
    let (max, deadline) = match limit {
        Limit::Duration(d) => (HARD_CAP_REQUESTS, Some(start + d)),
        Limit::Count(n) => (n.min(HARD_CAP_REQUESTS), None),
    };
    let shared = Arc::new(Shared {
        addr,
        make_request,
        next: AtomicU64::new(0),
        max,
        deadline,
    });
    let mut workers = tokio::task::JoinSet::new();
    for sender in senders {
        workers.spawn(worker(shared.clone(), sender));
    }
    let mut report = LoadReport {
        elapsed: Duration::ZERO,
        samples_us: Vec::new(),
        ok: 0,
        status_200: 0,
        non_2xx: 0,
        transport_errors: 0,
        first_error: None,
    };
    while let Some(out) = workers.join_next().await {
        let out = out.context("load worker panicked")?;
        report.samples_us.extend_from_slice(&out.samples);
        report.ok += out.ok;
        report.status_200 += out.status_200;
        report.non_2xx += out.non_2xx;
        report.transport_errors += out.transport_errors;
        if report.first_error.is_none() {
            report.first_error = out.first_error;
        }
    }
    report.elapsed = start.elapsed();
    report.samples_us.sort_unstable();
    Ok(report)
}

async fn worker<F>(shared: Arc<Shared<F>>, sender: SendRequest<Full<Bytes>>) -> WorkerOut
where
    F: Fn(u64) -> Req + Send + Sync + 'static,
{
    let mut out = WorkerOut::default();
    let mut sender = Some(sender);
    let mut consecutive_failures = 0u32;
    loop {
        if shared.deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if consecutive_failures >= MAX_CONSECUTIVE_FAILURES {
            break;
        }
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        if i >= shared.max {
            break;
        }
        let conn = match sender.as_mut() {
            Some(s) => s,
            None => match connect(shared.addr).await {
                Ok(s) => sender.insert(s),
                Err(e) => {
                    out.fail(format!("{e:#}"));
                    consecutive_failures += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let req = with_host((shared.make_request)(i), shared.addr);
        let t = Instant::now();
        match exchange(conn, req).await {
            Ok((status, _body)) => {
                let us = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
                out.samples.push(us);
                if status.is_success() {
                    out.ok += 1;
                    consecutive_failures = 0;
                } else {
                    out.non_2xx += 1;
                    consecutive_failures += 1;
                    if out.first_error.is_none() {
                        out.first_error = Some(format!("status {status}"));
                    }
                }
                if status == StatusCode::OK {
                    out.status_200 += 1;
                }
            }
            Err(e) => {
                out.fail(format!("{e:#}"));
                consecutive_failures += 1;
                // The connection may be unusable; open a fresh one for the next request.
                sender = None;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let s: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&s, 50.0), Some(50));
        assert_eq!(percentile(&s, 99.0), Some(99));
        assert_eq!(percentile(&s, 100.0), Some(100));
        assert_eq!(percentile(&s, 0.0), Some(1));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
