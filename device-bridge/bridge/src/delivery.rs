//! Delivery: outbox events to the suite's webhook (`POST /api/v1/device-events`), signed per
//! device (`X-SafetyNet-Timestamp`, `X-SafetyNet-Signature: v1=<hex hmac-sha256(secret,
//! ts + "." + body)>`), with the event id as `Idempotency-Key`.
//!
//! Order is kept per device: each device with undelivered events has one worker that sends its
//! oldest event and moves on only once the suite has answered 2xx (or refused it for good). The
//! one exception is a 429: the suite limits a flooding device's heartbeats and activity (never
//! what can raise an alarm), so a rate-limited event steps to the back of its device's queue
//! and waits out a backoff there, and the alarm the device sends next is not held behind it.
//! Devices proceed in parallel, at most `delivery.concurrency` requests at once. While the
//! suite is unreachable a worker retries with exponential backoff and full jitter (between half
//! and all of the delay); the first success after an outage wakes every waiting worker, so a
//! backlog drains as soon as the suite is back instead of after each worker's next backoff.
//!
//! Answers: 2xx delivered; 400/413/422 and other 4xx refused for good (row kept as dead, logged
//! loudly); 401 (bad signature or clock skew), 404 (device not registered yet), 408, 425, 5xx
//! and transport errors are retried in place; 429 is deferred as above.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, mpsc, watch};

use crate::devices::SharedDirectory;
use crate::events::{Pending, now_ms};
use crate::metrics::Metrics;
use crate::outbox::Outbox;

/// A small HTTP(S) client for the suite (pooled keep-alive connections, rustls with the
/// webpki roots for https).
#[derive(Clone)]
pub struct HttpClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

/// A response: status and body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Bytes,
}

impl HttpClient {
    pub fn new(timeout: Duration) -> HttpClient {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        HttpClient { client, timeout }
    }

    /// POSTs `body` (JSON) with `headers`; transport errors and timeouts are `Err`.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<HttpAnswer, String> {
        self.request(hyper::Method::POST, url, headers, body).await
    }

    /// GETs `url` with `headers`.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<HttpAnswer, String> {
        self.request(hyper::Method::GET, url, headers, Bytes::new())
            .await
    }

    async fn request(
        &self,
        method: hyper::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<HttpAnswer, String> {
        let mut req = hyper::Request::builder().method(method.clone()).uri(url);
        if method == hyper::Method::POST {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
        let fut = async {
            let resp = self.client.request(req).await.map_err(|e| {
                // hyper-util's error hides the cause in its source chain.
                let mut msg = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(s) = src {
                    msg = format!("{msg}: {s}");
                    src = s.source();
                }
                msg
            })?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok(HttpAnswer { status, body })
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }
}

/// How a webhook answer is handled.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    /// Refused for good.
    Dead(u16),
    /// Try again later.
    Retry(Option<u16>),
}

pub fn classify(answer: &Result<HttpAnswer, String>) -> Outcome {
    match answer {
        Err(_) => Outcome::Retry(None),
        Ok(a) => match a.status {
            200..=299 => Outcome::Delivered(a.status),
            401 | 404 | 408 | 425 | 429 | 500..=599 => Outcome::Retry(Some(a.status)),
            s => Outcome::Dead(s),
        },
    }
}

pub struct Settings {
    pub url: String,
    pub concurrency: usize,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

/// The delivery workers.
pub struct Delivery {
    client: HttpClient,
    settings: Settings,
    directory: Arc<SharedDirectory>,
    outbox: Outbox,
    metrics: Arc<Metrics>,
    /// Device → its undelivered events; a key is present exactly while its worker runs.
    queues: Mutex<HashMap<String, DeviceQueue>>,
    permits: Semaphore,
    /// Bumped when the suite answers again after an outage.
    recovered: watch::Sender<u64>,
    failing: AtomicBool,
}

impl Delivery {
    pub fn new(
        client: HttpClient,
        settings: Settings,
        directory: Arc<SharedDirectory>,
        outbox: Outbox,
        metrics: Arc<Metrics>,
    ) -> Arc<Delivery> {
        let permits = Semaphore::new(settings.concurrency);
        Arc::new(Delivery {
            client,
            settings,
            directory,
            outbox,
            metrics,
            queues: Mutex::new(HashMap::new()),
            permits,
            recovered: watch::Sender::new(0),
            failing: AtomicBool::new(false),
        })
    }

    /// Takes newly stored events from the outbox until the channel closes.
    pub async fn run(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Vec<Pending>>) {
        while let Some(rows) = rx.recv().await {
            self.enqueue(rows);
        }
    }

    /// Events waiting in memory (equals the outbox depth once started).
    pub fn queued(&self) -> usize {
        self.queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|d| d.items.len())
            .sum()
    }

    fn enqueue(self: &Arc<Self>, rows: Vec<Pending>) {
        let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        for row in rows {
            match q.get_mut(&row.device_id) {
                Some(d) => {
                    d.items.push_back(Queued::new(row));
                    // A worker waiting out a rate limit looks again: this one may be due now.
                    d.wake.notify_one();
                }
                None => {
                    let device = row.device_id.clone();
                    q.insert(
                        device.clone(),
                        DeviceQueue {
                            items: VecDeque::from([Queued::new(row)]),
                            wake: Arc::new(Notify::new()),
                        },
                    );
                    let me = self.clone();
                    tokio::spawn(async move { me.worker(device).await });
                }
            }
        }
    }

    /// Delivers one device's events in order, one at a time. An event the suite rate-limited
    /// goes to the back of the queue until its backoff has passed, so that what the device
    /// sends next (an alarm behind a flood of heartbeats) is not held behind it.
    async fn worker(self: Arc<Self>, device: String) {
        loop {
            let (next, wake) = {
                let q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
                let Some(d) = q.get(&device) else { return };
                (next_due(&d.items, Instant::now()), d.wake.clone())
            };
            let i = match next {
                Next::Due(i) => i,
                Next::Wait(until) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(until.into()) => {}
                        _ = wake.notified() => {}
                    }
                    continue;
                }
            };
            let item = {
                let q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
                q[&device].items[i].clone()
            };
            let sent = self.deliver(&item.event).await;
            let mut q = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            let d = q.get_mut(&device).expect("worker owns its queue");
            // Only this worker removes; others only push at the back, so `i` still holds.
            let item = d.items.remove(i).expect("the item just sent");
            if sent == Sent::RateLimited {
                let deferrals = item.deferrals + 1;
                let wait = backoff(
                    self.settings.initial_backoff,
                    self.settings.max_backoff,
                    deferrals,
                );
                d.items.push_back(Queued {
                    event: item.event,
                    not_before: Some(Instant::now() + wait),
                    deferrals,
                });
            }
            if d.items.is_empty() {
                q.remove(&device);
                return;
            }
        }
    }

    /// Sends one event until the suite takes it or refuses it for good, or rate-limits it.
    async fn deliver(&self, p: &Pending) -> Sent {
        let Some(dev) = self.directory.current().by_id(&p.device_id).cloned() else {
            tracing::error!(
                event_id = %p.event_id, device_id = %p.device_id, kind = %p.kind,
                "undeliverable: device no longer in the bridge's device table (no secret to sign with); kept as dead in the outbox"
            );
            self.outbox
                .dead(p.seq, 0, "device not in the device table".into());
            self.metrics
                .inc("safetynet_bridge_events_dead_total", &[("kind", &p.kind)]);
            return Sent::Done;
        };
        let body = Bytes::from(p.body());
        let mut attempt: u32 = 0;
        loop {
            let answer = {
                let _permit = self.permits.acquire().await.expect("never closed");
                let ts = (now_ms() / 1000).to_string();
                let sig = safetynet_wire::signature::sign(dev.secret.as_bytes(), &ts, &body);
                self.client
                    .post(
                        &self.settings.url,
                        &[
                            ("x-safetynet-timestamp", &ts),
                            ("x-safetynet-signature", &sig),
                            ("idempotency-key", &p.event_id),
                        ],
                        body.clone(),
                    )
                    .await
            };
            let outcome = classify(&answer);
            match outcome {
                Outcome::Delivered(status) => {
                    self.outbox.delivered(p.seq, status);
                    self.metrics
                        .inc("safetynet_bridge_events_out_total", &[("kind", &p.kind)]);
                    self.metrics.inc(
                        "safetynet_bridge_delivery_attempts_total",
                        &[("result", "ok")],
                    );
                    let secs = (now_ms() - p.received_at_ms).max(0) as f64 / 1000.0;
                    self.metrics.observe_latency(secs);
                    self.suite_answered();
                    tracing::debug!(event_id = %p.event_id, device_id = %p.device_id, kind = %p.kind, status, attempts = attempt + 1, "delivered");
                    return Sent::Done;
                }
                Outcome::Dead(status) => {
                    let reason = answer
                        .as_ref()
                        .map(|a| error_code(&a.body))
                        .unwrap_or_default();
                    tracing::error!(
                        event_id = %p.event_id, device_id = %p.device_id, kind = %p.kind, status, reason = %reason,
                        "the suite refused an event for good; kept as dead in the outbox"
                    );
                    self.outbox.dead(p.seq, status, reason);
                    self.metrics
                        .inc("safetynet_bridge_events_dead_total", &[("kind", &p.kind)]);
                    self.metrics.inc(
                        "safetynet_bridge_delivery_attempts_total",
                        &[("result", "dead")],
                    );
                    self.suite_answered();
                    return Sent::Done;
                }
                Outcome::Retry(Some(429)) => {
                    // The suite is up and took the device's limit for this minute: this event
                    // waits at the back of the device's queue (see `worker`).
                    self.suite_answered();
                    self.metrics.inc(
                        "safetynet_bridge_delivery_attempts_total",
                        &[("result", "rate-limited")],
                    );
                    tracing::debug!(event_id = %p.event_id, device_id = %p.device_id, kind = %p.kind, "rate-limited by the suite; deferred");
                    return Sent::RateLimited;
                }
                Outcome::Retry(status) => {
                    attempt += 1;
                    self.metrics.inc(
                        "safetynet_bridge_delivery_attempts_total",
                        &[("result", "retry")],
                    );
                    match status {
                        Some(401) | Some(404) => {
                            self.suite_answered();
                            if attempt == 1 || attempt.is_multiple_of(20) {
                                let why = if status == Some(401) {
                                    "signature refused: check this device's secret in the bridge config and the clocks (±300 s)"
                                } else {
                                    "device unknown to the suite: register it or fix device_id in the bridge config"
                                };
                                let code = answer
                                    .as_ref()
                                    .map(|a| error_code(&a.body))
                                    .unwrap_or_default();
                                tracing::warn!(event_id = %p.event_id, device_id = %p.device_id, status = status.unwrap_or(0), code = %code, attempts = attempt, "{why}; will retry");
                            }
                        }
                        _ => self.suite_failed(&answer, attempt),
                    }
                    let delay = backoff(
                        self.settings.initial_backoff,
                        self.settings.max_backoff,
                        attempt,
                    );
                    let mut woken = self.recovered.subscribe();
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = woken.changed() => {
                            // The suite is back: go soon, but not all at the same instant.
                            tokio::time::sleep(jitter(Duration::from_millis(200))).await;
                        }
                    }
                }
            }
        }
    }

    fn suite_answered(&self) {
        self.metrics.suite_up.store(1, Ordering::Relaxed);
        if self.failing.swap(false, Ordering::Relaxed) {
            tracing::info!("the suite answers again; delivering the backlog");
            self.recovered.send_modify(|n| *n += 1);
        }
    }

    fn suite_failed(&self, answer: &Result<HttpAnswer, String>, attempt: u32) {
        self.metrics.suite_up.store(0, Ordering::Relaxed);
        let what = match answer {
            Ok(a) => format!("status {}", a.status),
            Err(e) => e.clone(),
        };
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %what, "the suite is not taking events; keeping them in the outbox and retrying with backoff");
        } else {
            tracing::debug!(error = %what, attempts = attempt, "delivery retry");
        }
    }
}

/// What became of one event's delivery.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    /// Delivered, or refused for good (kept as dead in the outbox).
    Done,
    /// The suite answered 429: try again after a backoff, behind the device's other events.
    RateLimited,
}

/// An event in its device's queue.
#[derive(Clone)]
struct Queued {
    event: Pending,
    /// Not to be sent before this (set when the suite rate-limited it).
    not_before: Option<Instant>,
    /// How many times the suite rate-limited it.
    deferrals: u32,
}

impl Queued {
    fn new(event: Pending) -> Queued {
        Queued {
            event,
            not_before: None,
            deferrals: 0,
        }
    }
}

/// One device's undelivered events, and the bell its worker waits on.
struct DeviceQueue {
    items: VecDeque<Queued>,
    wake: Arc<Notify>,
}

/// What a device's worker does next.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Send the item at this index: the first that is due, in queue order.
    Due(usize),
    /// Nothing is due before this.
    Wait(Instant),
}

fn next_due(items: &VecDeque<Queued>, now: Instant) -> Next {
    match items
        .iter()
        .position(|q| q.not_before.is_none_or(|t| t <= now))
    {
        Some(i) => Next::Due(i),
        None => Next::Wait(
            items
                .iter()
                .filter_map(|q| q.not_before)
                .min()
                .unwrap_or(now),
        ),
    }
}

/// The `error.code` of an API error body, for logs (never the whole body).
fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Exponential backoff for retry `attempt` (1-based), capped, with full jitter in [d/2, d].
pub fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = initial.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let d = exp.min(max);
    d / 2 + jitter(d / 2)
}

/// Uniform in [0, d].
pub fn jitter(d: Duration) -> Duration {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let mut b = [0u8; 8];
            let _ = getrandom::fill(&mut b);
            u64::from_le_bytes(b) | 1
        });
    }
    let r = STATE.with(|s| {
        // xorshift64*
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    });
    let nanos = d.as_nanos() as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(r % (nanos + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(status: u16) -> Result<HttpAnswer, String> {
        Ok(HttpAnswer {
            status,
            body: Bytes::new(),
        })
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(&ans(200)), Outcome::Delivered(200));
        assert_eq!(classify(&ans(400)), Outcome::Dead(400));
        assert_eq!(classify(&ans(422)), Outcome::Dead(422));
        assert_eq!(classify(&ans(401)), Outcome::Retry(Some(401)));
        assert_eq!(classify(&ans(404)), Outcome::Retry(Some(404)));
        assert_eq!(classify(&ans(429)), Outcome::Retry(Some(429)));
        assert_eq!(classify(&ans(503)), Outcome::Retry(Some(503)));
        assert_eq!(classify(&Err("refused".into())), Outcome::Retry(None));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let i = Duration::from_millis(500);
        let m = Duration::from_secs(30);
        for attempt in 1..40 {
            let d = backoff(i, m, attempt);
            let full = (i * 2u32.pow((attempt - 1).min(20))).min(m);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| backoff(i, m, 5)).collect();
        assert!(spread.len() > 10, "jitter varies");
    }

    fn queued(not_before: Option<Instant>) -> Queued {
        Queued {
            event: Pending {
                seq: 1,
                event_id: "e".into(),
                device_id: "d".into(),
                kind: "heartbeat".into(),
                occurred_at: String::new(),
                data: "{}".into(),
                received_at_ms: 0,
            },
            not_before,
            deferrals: 0,
        }
    }

    #[test]
    fn a_deferred_event_does_not_hold_the_ones_behind_it() {
        let now = Instant::now();
        let later = now + Duration::from_secs(5);
        let q = VecDeque::from([queued(Some(later)), queued(None)]);
        assert_eq!(next_due(&q, now), Next::Due(1), "the fresh one goes first");
        assert_eq!(
            next_due(&q, later),
            Next::Due(0),
            "then the deferred one, once due"
        );
        let only_deferred = VecDeque::from([
            queued(Some(later)),
            queued(Some(now + Duration::from_secs(2))),
        ]);
        assert_eq!(
            next_due(&only_deferred, now),
            Next::Wait(now + Duration::from_secs(2))
        );
    }

    #[test]
    fn error_codes_only() {
        assert_eq!(
            error_code(br#"{"error":{"code":"invalid","message":"name: x"}}"#),
            "invalid"
        );
        assert_eq!(error_code(b"oops"), "");
    }
}
