//! Retention, run by the tick in small batches: heartbeats after `retention_heartbeat_days`
//! (30), the personal details of residents unenrolled `retention_unenrolled_days` ago (365), and
//! incidents closed `retention_closed_incident_days` ago (5 years) with all their records.
//!
//! Periods run on the wall clock, never on a drill's `now`: a drill set in the future must not
//! delete today's records.

use serde_json::{Value, json};

use safetynet_alerting::{events, incidents, outbox};
use safetynet_care as care;
use safetynet_db::Db;
use safetynet_http::ApiResult;
use safetynet_residents as residents;

/// Heartbeats go in transactions of this many (each short, so the emergency path's writes wait
/// little), up to [`HEARTBEAT_BATCHES`] a tick: enough to keep up with 10,000 devices beating
/// every minute at a tick every 30 s.
const HEARTBEAT_BATCH: i64 = 500;
const HEARTBEAT_BATCHES: usize = 20;
/// Residents erased, and closed incidents purged, per tick: each touches several tables.
const PERSON_BATCH: i64 = 20;
const INCIDENT_BATCH: i64 = 50;
const DAY_MS: i64 = 86_400_000;

use safetynet_http::days_variable as days;

/// Removes what is due and reports how much, for the tick's answer. A failure here (a
/// misconfigured period, a busy database) is reported and logged, never fails the tick: the
/// tick's escalations and deliveries matter more.
pub fn run(db: &Db, clock: i64) -> Value {
    match remove_due(db, clock) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("retention error code={} message={}", e.code, e.message);
            json!({ "error": e.message })
        }
    }
}

fn remove_due(db: &Db, clock: i64) -> ApiResult<Value> {
    let heartbeats_before = clock - days("retention_heartbeat_days", 30)? * DAY_MS;
    let unenrolled_before = clock - days("retention_unenrolled_days", 365)? * DAY_MS;
    let closed_before = clock - days("retention_closed_incident_days", 1826)? * DAY_MS;

    let mut heartbeats = 0;
    for _ in 0..HEARTBEAT_BATCHES {
        let n = db.tx(|db| events::purge_heartbeats(db, heartbeats_before, HEARTBEAT_BATCH))?;
        heartbeats += n;
        if n < HEARTBEAT_BATCH as u64 {
            break;
        }
    }
    let erased = db.tx(|db| -> ApiResult<_> {
        let ids = residents::erase_unenrolled(db, unenrolled_before, PERSON_BATCH, clock)?;
        for id in &ids {
            outbox::forget_resident(db, id)?;
            events::forget_resident(db, id)?;
            care::forget_resident(db, id)?;
        }
        Ok(ids.len())
    })?;
    let closed = db.tx(|db| incidents::purge_closed(db, closed_before, INCIDENT_BATCH))?;
    if heartbeats + closed > 0 || erased > 0 {
        eprintln!("retention heartbeats={heartbeats} residents_erased={erased} incidents={closed}");
    }
    Ok(json!({
        "heartbeats_deleted": heartbeats,
        "residents_erased": erased,
        "incidents_deleted": closed,
    }))
}
