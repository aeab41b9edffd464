//! Sending outbox rows to 119 and the SMS gateway: claim what is due, send it, record the
//! outcome in one commit. Every sender goes through [`send_due`], so no row is sent by two
//! senders at once.

use spin_sdk::http::{Request, Response};

use safetynet_db::StoreResult;
use safetynet_db::Db;
use crate::incidents;
use crate::outbox::{self, FLAG_AFTER_ATTEMPTS, OutboxRow};

#[derive(Debug, Default, Clone, Copy)]
pub struct Report {
    pub delivered: u32,
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

async fn send_one(row: &OutboxRow) -> Result<(), String> {
    let url = url_for(&row.destination)
        .ok_or_else(|| format!("no URL configured for {}", row.destination))?;
    let req = Request::post(url, row.payload.clone())
        .header("content-type", "application/json")
        .header("idempotency-key", row.id.clone())
        .build();
    match spin_sdk::http::send::<_, Response>(req).await {
        Ok(resp) if (200..300).contains(resp.status()) => Ok(()),
        Ok(resp) => Err(format!("HTTP {}", resp.status())),
        Err(e) => Err(format!("send failed: {e}")),
    }
}

/// Claims the rows due by `now` (of one incident or outbox key, or all up to `limit`), sends
/// them in parallel and records the outcomes. `now` may be a drill's time ahead of the clock;
/// claims run on whichever is later, so a drill also takes over claims a crashed sender left.
pub async fn send_due(db: &Db, now: i64, incident: Option<&str>, limit: i64) -> StoreResult<Report> {
    let clock = now.max(safetynet_wire::time::now_ms());
    let rows = db.tx(|db| outbox::claim_due(db, now, clock, incident, limit))?;
    if rows.is_empty() {
        return Ok(Report::default());
    }
    let results = futures::future::join_all(rows.iter().map(send_one)).await;
    // Outcomes carry the later of the drill's time and the clock's, so a delivery is never
    // recorded before the event that caused it.
    record(db, &rows, &results, clock.max(safetynet_wire::time::now_ms()))
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
