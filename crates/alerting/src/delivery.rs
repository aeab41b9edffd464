//! Sending outbox rows to 119 and the SMS gateway: claim what is due, send it, record the
//! outcome in one commit. Every sender goes through [`send_due`], so no row is sent by two
//! senders at once.

use std::time::Duration;

use spin_sdk::http::{Request, Response};

use crate::deadline;

use crate::incidents;
use crate::outbox::{self, FLAG_AFTER_ATTEMPTS, OutboxRow};
use safetynet_db::Db;
use safetynet_db::StoreResult;

/// What one [`send_due`] run did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Report {
    /// Rows the receiver accepted (a 2xx answer).
    pub delivered: u32,
    /// Rows that failed and stay in the outbox for a retry.
    pub failed: u32,
}

fn url_for(destination: &str) -> Option<String> {
    let var = if destination == "dispatch" {
        "dispatch_url"
    } else {
        "sms_url"
    };
    spin_sdk::variables::get(var).ok().filter(|u| !u.is_empty())
}

/// How long a receiver has to answer one send, from the `send_timeout_ms` variable.
fn send_timeout() -> Duration {
    let ms = spin_sdk::variables::get("send_timeout_ms")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(DEFAULT_SEND_TIMEOUT_MS);
    // A send must end well inside its claim, or another sender could take the row over and
    // send it again while this one still waits.
    Duration::from_millis(ms.min(MAX_SEND_TIMEOUT_MS))
}

/// Ten seconds: a 119 centre's gateway answers in well under a second; a send still waiting
/// after ten is better retried than waited on.
const DEFAULT_SEND_TIMEOUT_MS: u64 = 10_000;
/// The longest a send may wait: five seconds inside the outbox claim.
const MAX_SEND_TIMEOUT_MS: u64 = outbox::CLAIM_MS as u64 - 5_000;

async fn send_one(row: &OutboxRow, timeout: Duration) -> Result<(), String> {
    let url = url_for(&row.destination)
        .ok_or_else(|| format!("no URL configured for {}", row.destination))?;
    let req = Request::post(url, row.payload.clone())
        .header("content-type", "application/json")
        .header("idempotency-key", row.id.clone())
        .build();
    match deadline::within(timeout, spin_sdk::http::send::<_, Response>(req)).await {
        Some(Ok(resp)) if (200..300).contains(resp.status()) => Ok(()),
        Some(Ok(resp)) => Err(format!("HTTP {}", resp.status())),
        Some(Err(e)) => Err(format!("send failed: {e}")),
        None => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// Claims the rows due by `now` (of one incident or outbox key, or all up to `limit`), sends
/// them in parallel and records the outcomes. `now` may be a drill's time ahead of the clock;
/// claims run on whichever is later, so a drill also takes over claims a crashed sender left.
pub async fn send_due(
    db: &Db,
    now: i64,
    incident: Option<&str>,
    limit: i64,
) -> StoreResult<Report> {
    let clock = now.max(safetynet_wire::time::now_ms());
    let rows = db.tx(|db| outbox::claim_due(db, now, clock, incident, limit))?;
    if rows.is_empty() {
        return Ok(Report::default());
    }
    let timeout = send_timeout();
    let results = futures::future::join_all(rows.iter().map(|row| send_one(row, timeout))).await;
    // Outcomes carry the later of the drill's time and the clock's, so a delivery is never
    // recorded before the event that caused it.
    record(
        db,
        &rows,
        &results,
        clock.max(safetynet_wire::time::now_ms()),
    )
}

/// Commits the outcome of each sent row, releasing its claim.
fn record(
    db: &Db,
    rows: &[OutboxRow],
    results: &[Result<(), String>],
    now: i64,
) -> StoreResult<Report> {
    let mut report = Report::default();
    db.tx(|db| {
        for (row, result) in rows.iter().zip(results) {
            match result {
                Ok(()) => {
                    outbox::mark_delivered(db, &row.id, now)?;
                    if row.destination == "dispatch" {
                        incidents::clear_dispatch_failed(db, &row.incident_id)?;
                    }
                    report.delivered += 1;
                }
                Err(e) => {
                    eprintln!(
                        "delivery failed outbox={} incident={} error={e}",
                        row.id, row.incident_id
                    );
                    let attempts = outbox::mark_failed(db, row, e, now)?;
                    if row.destination == "dispatch" && attempts >= FLAG_AFTER_ATTEMPTS {
                        incidents::flag_dispatch_failed(db, &row.incident_id, e, now)?;
                    }
                    report.failed += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(report)
}
