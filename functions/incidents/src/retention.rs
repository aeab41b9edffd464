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
use safetynet_http::{ApiError, ApiResult};
use safetynet_residents as residents;

/// At most this many of each kind of record per tick, so one tick stays short.
const BATCH: i64 = 500;
const DAY_MS: i64 = 86_400_000;

fn days(variable: &str, default: i64) -> ApiResult<i64> {
    match spin_sdk::variables::get(variable) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| *d >= 0)
            .ok_or_else(|| {
                ApiError::internal(format!("{variable}: a whole number of days, got {v:?}"))
            }),
        _ => Ok(default),
    }
}

/// Removes what is due and reports how much, for the tick's answer.
pub fn run(db: &Db, clock: i64) -> ApiResult<Value> {
    let heartbeats_before = clock - days("retention_heartbeat_days", 30)? * DAY_MS;
    let unenrolled_before = clock - days("retention_unenrolled_days", 365)? * DAY_MS;
    let closed_before = clock - days("retention_closed_incident_days", 1826)? * DAY_MS;

    let heartbeats = db.tx(|db| events::purge_heartbeats(db, heartbeats_before, BATCH))?;
    let erased = db.tx(|db| -> ApiResult<_> {
        let ids = residents::erase_unenrolled(db, unenrolled_before, BATCH, clock)?;
        for id in &ids {
            outbox::forget_resident(db, id)?;
            events::forget_resident(db, id)?;
            care::forget_resident(db, id)?;
        }
        Ok(ids.len())
    })?;
    let closed = db.tx(|db| incidents::purge_closed(db, closed_before, BATCH))?;
    if heartbeats + closed > 0 || erased > 0 {
        eprintln!("retention heartbeats={heartbeats} residents_erased={erased} incidents={closed}");
    }
    Ok(json!({
        "heartbeats_deleted": heartbeats,
        "residents_erased": erased,
        "incidents_deleted": closed,
    }))
}
