//! Operations: counters, gauges and the delivery-latency histogram, served as Prometheus text
//! on `GET /metrics`, and `GET /healthz` (JSON; 200 while the outbox accepts events, else 503).
//!
//! Labels carry kinds, transports, reasons and result classes only — never device ids (unbounded)
//! or anything personal.
//!
//! The metrics live in a `prometheus-client` registry, which does the encoding and escaping. A
//! counter or label set shows up once it has first been counted.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, prometheus_text};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;
use tokio::net::TcpListener;

/// Every counter, by the name it is exported under, so call sites read like the exposition.
/// prometheus-client appends `_total` to counters and a full stop to help texts, so both are
/// left off when registering.
const COUNTERS: &[(&str, &str)] = &[
    (
        "safetynet_bridge_events_in_total",
        "Events accepted into the outbox, by source (dc09, mqtt, bridge) and kind",
    ),
    (
        "safetynet_bridge_events_out_total",
        "Events the suite's webhook accepted (2xx), by kind",
    ),
    (
        "safetynet_bridge_events_dead_total",
        "Events the webhook refused for good (400/413/422) or that lost their device; kept in the outbox with state dead",
    ),
    (
        "safetynet_bridge_events_refused_total",
        "Device messages not accepted, by source and reason (unknown-device, bad-payload, budget, store-failed)",
    ),
    (
        "safetynet_bridge_delivery_attempts_total",
        "Webhook requests by result (ok, retry, dead)",
    ),
    (
        "safetynet_bridge_dc09_frames_total",
        "DC-09 frames answered, by transport (tcp, udp) and reply (ack, nak, duh)",
    ),
    (
        "safetynet_bridge_dc09_nak_total",
        "DC-09 NAK replies by reason",
    ),
    (
        "safetynet_bridge_dc09_duh_total",
        "DC-09 DUH replies by reason",
    ),
    (
        "safetynet_bridge_dc09_duplicates_total",
        "DC-09 retransmissions of frames already stored (ACKed again, not stored twice)",
    ),
    (
        "safetynet_bridge_dc09_unmapped_total",
        "Valid DC-09 events whose code has no Safety Net meaning (ACKed, not forwarded)",
    ),
    (
        "safetynet_bridge_dc09_garbage_bytes_total",
        "Bytes skipped on DC-09 TCP streams while looking for a frame",
    ),
    (
        "safetynet_bridge_supervision_offline_total",
        "device-offline events raised by DC-09 supervision",
    ),
    (
        "safetynet_bridge_mqtt_messages_total",
        "MQTT messages received, by topic (events, status) and result",
    ),
    (
        "safetynet_bridge_mqtt_rejected_total",
        "Speaker connections the embedded broker's gate refused or closed, by reason (tls, malformed, bad-credentials, will-topic, topic-mismatch, broker-unreachable)",
    ),
    (
        "safetynet_bridge_commands_published_total",
        "Commands published to speakers (PUBACK received), by type",
    ),
    (
        "safetynet_bridge_reminder_polls_total",
        "Due-reminder feed polls by result",
    ),
    (
        "safetynet_bridge_ticks_total",
        "Calls to the suite's tick by result",
    ),
];

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
];

/// A counter's labels in call order; values are owned because kinds come from device payloads.
type Labels = Vec<(&'static str, String)>;

fn label_set(l: &[(&'static str, &str)]) -> Labels {
    l.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// A gauge read at scrape time rather than stored: the uptime is always current, and `None`
/// (the suite's state before the first webhook answer) leaves the series out.
struct Sampled(Box<dyn Fn() -> Option<i64> + Send + Sync>);

impl fmt::Debug for Sampled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sampled")
    }
}

impl EncodeMetric for Sampled {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        match (self.0)() {
            Some(v) => encoder.encode_gauge(&v),
            None => Ok(()),
        }
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn is_empty(&self) -> bool {
        (self.0)().is_none()
    }
}

/// Every metric of the bridge; shared by all modules.
pub struct Metrics {
    registry: Registry,
    counters: HashMap<&'static str, Family<Labels, Counter>>,
    latency: Histogram,
    pub outbox_depth: Gauge,
    pub outbox_bytes: Gauge<u64, AtomicU64>,
    pub outbox_budget: Gauge<u64, AtomicU64>,
    /// -1 unknown, 0 down, 1 up. Not exported while unknown, so a bridge that has not sent
    /// anything yet does not report the suite down.
    pub suite_up: Arc<AtomicI64>,
    /// 1 while connected to the broker, else 0.
    pub mqtt_connected: Gauge,
    /// False once the outbox writer has failed for good.
    pub outbox_ok: AtomicBool,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut m = Metrics {
            registry: Registry::default(),
            counters: HashMap::new(),
            latency: Histogram::new(BUCKETS.iter().copied()),
            outbox_depth: Gauge::default(),
            outbox_bytes: Gauge::default(),
            outbox_budget: Gauge::default(),
            suite_up: Arc::new(AtomicI64::new(-1)),
            mqtt_connected: Gauge::default(),
            outbox_ok: AtomicBool::new(true),
            started: Instant::now(),
        };
        let r = &mut m.registry;
        for &(name, help) in COUNTERS {
            let family = Family::default();
            let base = name
                .strip_suffix("_total")
                .expect("counter names end in _total");
            r.register(base, help, family.clone());
            m.counters.insert(name, family);
        }
        r.register(
            "safetynet_bridge_outbox_depth",
            "Events in the outbox not yet delivered",
            m.outbox_depth.clone(),
        );
        r.register(
            "safetynet_bridge_outbox_bytes",
            "Bytes the outbox occupies (used pages + WAL)",
            m.outbox_bytes.clone(),
        );
        r.register(
            "safetynet_bridge_outbox_budget_bytes",
            "The outbox's disk budget",
            m.outbox_budget.clone(),
        );
        let suite = m.suite_up.clone();
        r.register(
            "safetynet_bridge_suite_up",
            "1 if the last webhook request got an answer from the suite, 0 if it failed",
            Sampled(Box::new(move || {
                let v = suite.load(Ordering::Relaxed);
                (v >= 0).then_some(v)
            })),
        );
        r.register(
            "safetynet_bridge_mqtt_connected",
            "1 while connected to the MQTT broker",
            m.mqtt_connected.clone(),
        );
        let started = m.started;
        r.register(
            "safetynet_bridge_uptime_seconds",
            "Seconds since the bridge started",
            Sampled(Box::new(move || Some(started.elapsed().as_secs() as i64))),
        );
        r.register(
            "safetynet_bridge_delivery_latency_seconds",
            "From acceptance (device answered) to the webhook's 2xx",
            m.latency.clone(),
        );
        m
    }
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    fn counter(&self, name: &str) -> Option<&Family<Labels, Counter>> {
        let c = self.counters.get(name);
        debug_assert!(c.is_some(), "unknown counter {name}");
        c
    }

    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, labels, 1);
    }

    pub fn add(&self, name: &'static str, l: &[(&'static str, &str)], n: u64) {
        if let Some(c) = self.counter(name) {
            c.get_or_create(&label_set(l)).inc_by(n);
        }
    }

    /// A counter's value for one label set (tests).
    pub fn get(&self, name: &'static str, l: &[(&'static str, &str)]) -> u64 {
        self.counter(name)
            .and_then(|c| c.get(&label_set(l)).map(|c| c.get()))
            .unwrap_or(0)
    }

    pub fn observe_latency(&self, secs: f64) {
        self.latency.observe(secs);
    }

    /// The Prometheus text exposition (format 0.0.4). Not OpenMetrics: that format names a
    /// counter family without `_total` in `# TYPE`, and scrapers and dashboards know these names.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        prometheus_text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }

    /// `/healthz` body and status.
    pub fn health(&self) -> (StatusCode, serde_json::Value) {
        let ok = self.outbox_ok.load(Ordering::Relaxed);
        let budget = self.outbox_budget.get();
        let bytes = self.outbox_bytes.get();
        let body = serde_json::json!({
            "status": if ok { "ok" } else { "outbox-failed" },
            "outbox": {
                "depth": self.outbox_depth.get(),
                "bytes": bytes,
                "budget_bytes": budget,
                "over_budget": budget > 0 && bytes >= budget,
            },
            "suite": match self.suite_up.load(Ordering::Relaxed) { 1 => "up", 0 => "down", _ => "unknown" },
            "mqtt_connected": self.mqtt_connected.get() == 1,
            "uptime_s": self.started.elapsed().as_secs(),
        });
        let status = if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (status, body)
    }
}

fn respond(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

/// Serves `/healthz` and `/metrics` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "metrics listener accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let m = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let m = m.clone();
                async move {
                    let resp = match (req.method().as_str(), req.uri().path()) {
                        ("GET", "/metrics") => respond(
                            StatusCode::OK,
                            prometheus_text::CONTENT_TYPE,
                            m.render(),
                        ),
                        ("GET", "/healthz") => {
                            let (status, body) = m.health();
                            respond(status, "application/json", body.to_string())
                        }
                        _ => respond(
                            StatusCode::NOT_FOUND,
                            "application/json",
                            r#"{"error":{"code":"not_found","message":"GET /healthz or /metrics"}}"#
                                .into(),
                        ),
                    };
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.inc(
            "safetynet_bridge_events_in_total",
            &[("source", "dc09"), ("kind", "fire")],
        );
        m.inc(
            "safetynet_bridge_events_in_total",
            &[("source", "dc09"), ("kind", "fire")],
        );
        m.inc(
            "safetynet_bridge_dc09_nak_total",
            &[("reason", "bad \"crc\"")],
        );
        m.add("safetynet_bridge_dc09_garbage_bytes_total", &[], 7);
        m.observe_latency(0.02);
        m.observe_latency(2.0);
        m.outbox_depth.set(5);
        let t = m.render();
        assert!(
            t.contains("safetynet_bridge_events_in_total{source=\"dc09\",kind=\"fire\"} 2"),
            "{t}"
        );
        assert!(t.contains("# TYPE safetynet_bridge_events_in_total counter\n"));
        assert!(
            t.contains("# HELP safetynet_bridge_dc09_nak_total DC-09 NAK replies by reason.\n")
        );
        assert!(t.contains("safetynet_bridge_dc09_nak_total{reason=\"bad \\\"crc\\\"\"} 1"));
        assert!(t.contains("\nsafetynet_bridge_dc09_garbage_bytes_total 7\n"));
        assert!(t.contains("safetynet_bridge_outbox_depth 5"));
        assert!(t.contains("safetynet_bridge_delivery_latency_seconds_bucket{le=\"0.025\"} 1"));
        assert!(t.contains("safetynet_bridge_delivery_latency_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(t.contains("safetynet_bridge_delivery_latency_seconds_count 2"));
        assert!(t.contains("# TYPE safetynet_bridge_delivery_latency_seconds histogram"));
        assert!(
            !t.lines()
                .any(|l| l.starts_with("safetynet_bridge_suite_up ")),
            "unknown suite state is not exported"
        );
        m.suite_up.store(0, Ordering::Relaxed);
        assert!(m.render().contains("\nsafetynet_bridge_suite_up 0\n"));
        assert_eq!(
            m.get(
                "safetynet_bridge_events_in_total",
                &[("source", "dc09"), ("kind", "fire")]
            ),
            2
        );
    }

    #[test]
    fn counters_keep_their_exported_names() {
        let m = Metrics::default();
        for &(name, _) in COUNTERS {
            m.inc(name, &[("result", "ok")]);
        }
        let t = m.render();
        for &(name, _) in COUNTERS {
            assert!(t.contains(&format!("# TYPE {name} counter\n")), "{t}");
            assert!(t.contains(&format!("\n{name}{{result=\"ok\"}} 1\n")), "{t}");
        }
        assert!(!t.contains("_total_total") && !t.contains(".."), "{t}");
    }

    #[test]
    fn health_reflects_the_outbox() {
        let m = Metrics::default();
        assert_eq!(m.health().0, StatusCode::OK);
        m.outbox_ok.store(false, Ordering::Relaxed);
        let (s, b) = m.health();
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(b["status"], "outbox-failed");
    }
}
