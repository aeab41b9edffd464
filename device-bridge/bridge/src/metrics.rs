//! Operations: counters, gauges and the delivery-latency histogram, served as Prometheus text
//! on `GET /metrics`, and `GET /healthz` (JSON; 200 while the outbox accepts events, else 503).
//!
//! Labels carry kinds, transports, reasons and result classes only — never device ids (unbounded)
//! or anything personal.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpListener;

/// (name, type, help) of every series the bridge exports.
const SERIES: &[(&str, &str, &str)] = &[
    ("safetynet_bridge_events_in_total", "counter", "Events accepted into the outbox, by source (dc09, mqtt, bridge) and kind."),
    ("safetynet_bridge_events_out_total", "counter", "Events the suite's webhook accepted (2xx), by kind."),
    ("safetynet_bridge_events_dead_total", "counter", "Events the webhook refused for good (400/413/422) or that lost their device; kept in the outbox with state dead."),
    ("safetynet_bridge_events_refused_total", "counter", "Device messages not accepted, by source and reason (unknown-device, bad-payload, budget, store-failed)."),
    ("safetynet_bridge_delivery_attempts_total", "counter", "Webhook requests by result (ok, retry, dead)."),
    ("safetynet_bridge_dc09_frames_total", "counter", "DC-09 frames answered, by transport (tcp, udp) and reply (ack, nak, duh)."),
    ("safetynet_bridge_dc09_nak_total", "counter", "DC-09 NAK replies by reason."),
    ("safetynet_bridge_dc09_duh_total", "counter", "DC-09 DUH replies by reason."),
    ("safetynet_bridge_dc09_duplicates_total", "counter", "DC-09 retransmissions of frames already stored (ACKed again, not stored twice)."),
    ("safetynet_bridge_dc09_unmapped_total", "counter", "Valid DC-09 events whose code has no Safety Net meaning (ACKed, not forwarded)."),
    ("safetynet_bridge_dc09_garbage_bytes_total", "counter", "Bytes skipped on DC-09 TCP streams while looking for a frame."),
    ("safetynet_bridge_supervision_offline_total", "counter", "device-offline events raised by DC-09 supervision."),
    ("safetynet_bridge_mqtt_messages_total", "counter", "MQTT messages received, by topic (events, status) and result."),
    ("safetynet_bridge_commands_published_total", "counter", "Commands published to speakers (PUBACK received), by type."),
    ("safetynet_bridge_reminder_polls_total", "counter", "Due-reminder feed polls by result."),
    ("safetynet_bridge_ticks_total", "counter", "Calls to the suite's tick by result."),
    ("safetynet_bridge_outbox_depth", "gauge", "Events in the outbox not yet delivered."),
    ("safetynet_bridge_outbox_bytes", "gauge", "Bytes the outbox occupies (used pages + WAL)."),
    ("safetynet_bridge_outbox_budget_bytes", "gauge", "The outbox's disk budget."),
    ("safetynet_bridge_suite_up", "gauge", "1 if the last webhook request got an answer from the suite, 0 if it failed."),
    ("safetynet_bridge_mqtt_connected", "gauge", "1 while connected to the MQTT broker."),
    ("safetynet_bridge_uptime_seconds", "gauge", "Seconds since the bridge started."),
    ("safetynet_bridge_delivery_latency_seconds", "histogram", "From acceptance (device answered) to the webhook's 2xx."),
];

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Every metric of the bridge; shared by all modules.
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    latency: Mutex<Histogram>,
    pub outbox_depth: AtomicI64,
    pub outbox_bytes: AtomicU64,
    pub outbox_budget: AtomicU64,
    /// -1 unknown, 0 down, 1 up.
    pub suite_up: AtomicI64,
    pub mqtt_connected: AtomicBool,
    /// False once the outbox writer has failed for good.
    pub outbox_ok: AtomicBool,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            counters: Mutex::new(BTreeMap::new()),
            latency: Mutex::new(Histogram {
                counts: vec![0; BUCKETS.len()],
                ..Histogram::default()
            }),
            outbox_depth: AtomicI64::new(0),
            outbox_bytes: AtomicU64::new(0),
            outbox_budget: AtomicU64::new(0),
            suite_up: AtomicI64::new(-1),
            mqtt_connected: AtomicBool::new(false),
            outbox_ok: AtomicBool::new(true),
            started: Instant::now(),
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn label_text(labels: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{k}=\"{}\"", escape(v));
    }
    s
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    pub fn inc(&self, name: &'static str, labels: &[(&str, &str)]) {
        self.add(name, labels, 1);
    }

    pub fn add(&self, name: &'static str, labels: &[(&str, &str)], n: u64) {
        debug_assert!(SERIES.iter().any(|s| s.0 == name), "unknown series {name}");
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *c.entry((name, label_text(labels))).or_insert(0) += n;
    }

    /// A counter's value (tests and /healthz).
    pub fn get(&self, name: &'static str, labels: &[(&str, &str)]) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.get(&(name, label_text(labels))).copied().unwrap_or(0)
    }

    /// Sum of a counter over all its label sets.
    pub fn total(&self, name: &'static str) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.iter()
            .filter(|((n, _), _)| *n == name)
            .map(|(_, v)| v)
            .sum()
    }

    pub fn observe_latency(&self, secs: f64) {
        let mut h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = String::with_capacity(4096);
        for (name, kind, help) in SERIES {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            match *kind {
                "counter" => {
                    for ((n, labels), v) in counters.iter().filter(|((n, _), _)| n == name) {
                        if labels.is_empty() {
                            let _ = writeln!(out, "{n} {v}");
                        } else {
                            let _ = writeln!(out, "{n}{{{labels}}} {v}");
                        }
                    }
                }
                "gauge" => {
                    let v: f64 = match *name {
                        "safetynet_bridge_outbox_depth" => {
                            self.outbox_depth.load(Ordering::Relaxed) as f64
                        }
                        "safetynet_bridge_outbox_bytes" => {
                            self.outbox_bytes.load(Ordering::Relaxed) as f64
                        }
                        "safetynet_bridge_outbox_budget_bytes" => {
                            self.outbox_budget.load(Ordering::Relaxed) as f64
                        }
                        "safetynet_bridge_suite_up" => {
                            match self.suite_up.load(Ordering::Relaxed) {
                                1 => 1.0,
                                0 => 0.0,
                                _ => continue,
                            }
                        }
                        "safetynet_bridge_mqtt_connected" => {
                            u8::from(self.mqtt_connected.load(Ordering::Relaxed)) as f64
                        }
                        "safetynet_bridge_uptime_seconds" => {
                            self.started.elapsed().as_secs_f64().floor()
                        }
                        _ => continue,
                    };
                    let _ = writeln!(out, "{name} {v}");
                }
                _ => {
                    let h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
                    for (b, c) in BUCKETS.iter().zip(&h.counts) {
                        let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {c}");
                    }
                    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
                    let _ = writeln!(out, "{name}_sum {}", h.sum);
                    let _ = writeln!(out, "{name}_count {}", h.count);
                }
            }
        }
        out
    }

    /// `/healthz` body and status.
    pub fn health(&self) -> (StatusCode, serde_json::Value) {
        let ok = self.outbox_ok.load(Ordering::Relaxed);
        let budget = self.outbox_budget.load(Ordering::Relaxed);
        let bytes = self.outbox_bytes.load(Ordering::Relaxed);
        let body = serde_json::json!({
            "status": if ok { "ok" } else { "outbox-failed" },
            "outbox": {
                "depth": self.outbox_depth.load(Ordering::Relaxed),
                "bytes": bytes,
                "budget_bytes": budget,
                "over_budget": budget > 0 && bytes >= budget,
            },
            "suite": match self.suite_up.load(Ordering::Relaxed) { 1 => "up", 0 => "down", _ => "unknown" },
            "mqtt_connected": self.mqtt_connected.load(Ordering::Relaxed),
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
                            "text/plain; version=0.0.4",
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
        m.observe_latency(0.02);
        m.observe_latency(2.0);
        m.outbox_depth.store(5, Ordering::Relaxed);
        let t = m.render();
        assert!(
            t.contains("safetynet_bridge_events_in_total{source=\"dc09\",kind=\"fire\"} 2"),
            "{t}"
        );
        assert!(t.contains("safetynet_bridge_dc09_nak_total{reason=\"bad \\\"crc\\\"\"} 1"));
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
        assert_eq!(m.total("safetynet_bridge_events_in_total"), 2);
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
