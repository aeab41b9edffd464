//! The suite's clock: every `clock.interval_s`, `POST` each of `clock.routes` (by default the
//! incidents tick `/api/v1/jobs/tick` and the reminders tick `/api/v1/jobs/reminders`) with a
//! bearer token of role `clock` (or admin). The ticks retry the suite's own outbox (119,
//! SMS), climb escalation ladders, detect inactivity, offline devices and missed doses; every
//! step is idempotent, so a late, doubled or missed tick is harmless. Off when the interval is
//! 0 or no token is set (e.g. a Kubernetes CronJob ticks instead).

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::delivery::HttpClient;
use crate::metrics::Metrics;

/// `k=v` for the numeric fields of a tick answer, and whether any besides `pending` is > 0.
fn summary(body: &[u8]) -> (String, bool) {
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let mut parts = Vec::new();
    let mut busy = false;
    if let Some(o) = v.as_object() {
        for (k, x) in o {
            if let Some(n) = x.as_u64() {
                parts.push(format!("{k}={n}"));
                busy |= n > 0 && k != "pending";
            }
        }
    }
    (parts.join(" "), busy)
}

/// Ticks `routes` (full URLs) until the task is dropped.
pub async fn run(
    client: HttpClient,
    routes: Vec<String>,
    token: String,
    interval: Duration,
    metrics: Arc<Metrics>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let auth = format!("Bearer {token}");
    let mut last_warn: HashMap<String, Instant> = HashMap::new();
    loop {
        tick.tick().await;
        for url in &routes {
            let res = client
                .post(
                    url,
                    &[("authorization", &auth)],
                    bytes::Bytes::from_static(b"{}"),
                )
                .await;
            let (result, problem) = match &res {
                Ok(a) if a.status == 200 => {
                    let (text, busy) = summary(&a.body);
                    if busy {
                        tracing::info!(route = %url, result = %text, "tick");
                    } else {
                        tracing::debug!(route = %url, result = %text, "tick");
                    }
                    ("ok", None)
                }
                Ok(a) if a.status == 401 || a.status == 403 => (
                    "refused",
                    Some(format!(
                        "status {}: the suite refused the clock token (needs role clock or admin)",
                        a.status
                    )),
                ),
                Ok(a) if a.status == 404 => (
                    "not-found",
                    Some("route not found (is that function deployed?)".to_string()),
                ),
                Ok(a) => ("failed", Some(format!("status {}", a.status))),
                Err(e) => ("failed", Some(e.clone())),
            };
            metrics.inc("safetynet_bridge_ticks_total", &[("result", result)]);
            if let Some(p) = problem {
                let due = last_warn
                    .get(url)
                    .is_none_or(|t| t.elapsed() > Duration::from_secs(300));
                if due {
                    last_warn.insert(url.clone(), Instant::now());
                    tracing::warn!(route = %url, error = %p, "tick failed; will try again next interval");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_answers_are_summarised() {
        let (t, busy) = summary(br#"{"now":"x","escalated":0,"delivered":2,"pending":1}"#);
        assert!(busy);
        assert!(t.contains("delivered=2") && t.contains("pending=1") && !t.contains("now"));
        assert!(!summary(br#"{"escalated":0,"pending":3}"#).1);
        assert!(!summary(b"not json").1);
    }
}
