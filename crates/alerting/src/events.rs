//! Owner of `device_events`: every accepted event exactly once, with the answer it got.

use safetynet_db::{Db, int, opt_int, opt_text, rows, text};
use safetynet_db::{StoreError, StoreResult};

/// An accepted event to store (a `device_events` row).
pub struct NewEvent<'a> {
    /// The device's id for the event; a repeat with the same id is answered, not stored again.
    pub event_id: &'a str,
    /// The device that reported it.
    pub device_id: &'a str,
    /// The device's resident.
    pub resident_id: &'a str,
    /// The event kind's name ([`safetynet_vocabulary::EventKind`]).
    pub kind: &'a str,
    /// When the device says it happened (unix ms).
    pub occurred_at: i64,
    /// When the suite received it (unix ms).
    pub received_at: i64,
    /// The device's sequence number, if it sent one.
    pub sequence: Option<i64>,
    /// The event's `data`, JSON text as given.
    pub data: &'a str,
    /// The incident it opened or joined, if any.
    pub incident_id: Option<&'a str>,
    /// The JSON answer the device got, replayed for a repeat.
    pub response: &'a str,
    /// Resets the resident's inactivity clock (the `device_events_touch` trigger, `migrations/0012_events_touch.sql`).
    pub shows_activity: bool,
}

/// The answer stored for an event already received from this device, if any. The same id from
/// another device is a conflict, never that device's answer (which would leak its incident).
pub fn stored_response(db: &Db, event_id: &str, device_id: &str) -> StoreResult<Option<String>> {
    let r = db.exec(
        "SELECT device_id, response FROM device_events WHERE event_id = ?",
        &[text(event_id)],
    )?;
    let Some(row) = rows(&r).next() else {
        return Ok(None);
    };
    if row.str("device_id") != device_id {
        return Err(StoreError::conflict_on(
            "event_id",
            "event_id: already used by another device",
        ));
    }
    Ok(Some(row.str("response")))
}

/// Stores `e` unless its `event_id` is already stored; `false` means it was (nothing changed).
/// One statement, so outside a transaction it is its own atomic write.
pub fn insert(db: &Db, e: &NewEvent) -> StoreResult<bool> {
    let r = db.exec(
        "INSERT INTO device_events (event_id, device_id, resident_id, kind, occurred_at, received_at, sequence, data, incident_id, response, shows_activity)
         VALUES (?,?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT (event_id) DO NOTHING
         RETURNING 1",
        &[
            text(e.event_id),
            text(e.device_id),
            text(e.resident_id),
            text(e.kind),
            int(e.occurred_at),
            int(e.received_at),
            opt_int(e.sequence),
            db.sealed("device_events.data", e.data)?,
            opt_text(e.incident_id),
            text(e.response),
            int(e.shows_activity as i64),
        ],
    )?;
    Ok(!r.rows.is_empty())
}

/// How many events are stored.
pub fn count(db: &Db) -> StoreResult<i64> {
    let r = db.exec("SELECT COUNT(*) AS n FROM device_events", &[])?;
    Ok(rows(&r).next().map_or(0, |row| row.int("n")))
}

/// Whether `device_id` reported any event of the incident.
pub fn device_in_incident(db: &Db, incident_id: &str, device_id: &str) -> StoreResult<bool> {
    let r = db.exec(
        "SELECT 1 FROM device_events WHERE incident_id = ? AND device_id = ? LIMIT 1",
        &[text(incident_id), text(device_id)],
    )?;
    Ok(rows(&r).next().is_some())
}

/// Events of an incident, for its timeline, in the order received.
pub fn of_incident(db: &Db, incident_id: &str) -> StoreResult<Vec<serde_json::Value>> {
    let r = db.exec(
        "SELECT event_id, device_id, kind, occurred_at, received_at FROM device_events WHERE incident_id = ? ORDER BY received_at",
        &[text(incident_id)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            serde_json::json!({
                "event_id": row.str("event_id"),
                "device_id": row.str("device_id"),
                "kind": row.str("kind"),
                "occurred_at": safetynet_wire::time::to_rfc3339(row.int("occurred_at")),
                "received_at": safetynet_wire::time::to_rfc3339(row.int("received_at")),
            })
        })
        .collect())
}

/// Deletes up to `limit` heartbeats received before `before` (a heartbeat never belongs to an
/// incident); returns how many went.
pub fn purge_heartbeats(db: &Db, before: i64, limit: i64) -> StoreResult<u64> {
    db.exec(
        "DELETE FROM device_events WHERE rowid IN (
             SELECT rowid FROM device_events
              WHERE kind = 'heartbeat' AND received_at < ? AND incident_id IS NULL LIMIT ?)",
        &[int(before), int(limit)],
    )?;
    Ok(db.changes())
}

/// Empties what a resident's devices reported beyond the kind and times (a check-in's words,
/// an utterance: the events of their check-ins and incidents, found by index), once the
/// resident's personal data is erased.
pub fn forget_resident(db: &Db, resident_id: &str) -> StoreResult<()> {
    db.exec(
        "UPDATE device_events SET data = '{}'
          WHERE event_id IN (SELECT event_id FROM checkins WHERE resident_id = ?1)
             OR incident_id IN (SELECT id FROM incidents WHERE resident_id = ?1)",
        &[text(resident_id)],
    )?;
    Ok(())
}
