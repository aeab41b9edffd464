//! Owner of `outbox`: notifications written in the same transaction as the incident that needs
//! them, delivered afterwards and retried with backoff until they land.
//!
//! The row id is the idempotency key sent to the receiver (`Idempotency-Key`), derived from the
//! incident, the escalation step and the target, so a retry after an unknown outcome can never
//! show up at 119 as a second dispatch.

use serde_json::{Value, json};

use safetynet_db::StoreResult;
use safetynet_db::{Db, int, rows, text};
use safetynet_vocabulary::Channel;

/// After this many failed attempts a 119 dispatch is flagged on its incident (still retried).
pub const FLAG_AFTER_ATTEMPTS: i64 = 3;

/// A notification claimed for sending.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// `incident/step/channel/target`: the idempotency key sent with it.
    pub id: String,
    /// The incident it is about, or the key of a message tied to none (e.g. an officer's report).
    pub incident_id: String,
    /// A [`Channel`] name.
    pub channel: String,
    /// Where it is sent: `dispatch` (119) or `sms` (the gateway), see [`destination_of`].
    pub destination: String,
    /// The JSON body to send.
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// Where a channel's messages go: the 119 dispatch endpoint or the SMS/voice gateway.
pub fn destination_of(channel: &str) -> &'static str {
    match channel.parse::<Channel>() {
        Ok(Channel::Dispatch119 | Channel::WelfareCheck119) => "dispatch",
        _ => "sms",
    }
}

/// Queues a notification in `outbox`, due at once; returns its id (the idempotency key). Queuing
/// the same incident, step, channel and target again changes nothing.
pub fn enqueue(
    db: &Db,
    incident_id: &str,
    step: u32,
    channel: &str,
    target: &str,
    payload: &Value,
    now: i64,
) -> StoreResult<String> {
    let id = format!("{incident_id}/{step}/{channel}/{target}");
    db.exec(
        "INSERT OR IGNORE INTO outbox (id, incident_id, step, channel, target, destination, payload, next_attempt_at, created_at)
         VALUES (?,?,?,?,?,?,?,?,?)",
        &[
            text(&id),
            text(incident_id),
            int(step as i64),
            text(channel),
            text(target),
            text(destination_of(channel)),
            db.sealed("outbox.payload", &payload.to_string())?,
            int(now),
            int(now),
        ],
    )?;
    Ok(id)
}

/// How long a claim holds a row for its sender: longer than a send normally takes, short
/// enough that an emergency whose sender died mid-send goes out again within half a minute.
/// A receiver slower than this may get the row twice, with the same Idempotency-Key.
pub const CLAIM_MS: i64 = 30_000;

/// Claims the pending rows due by `due_by` that no other sender holds, oldest first (`incident`
/// narrows to one incident), and returns them: only the caller sends these until it records
/// the outcome or the claim runs out. `clock` is the time claims run on (the wall clock, or a
/// drill's time when that is later). Call inside a transaction, so that checking and
/// claiming are one step for every sender (SQLite's write lock serialises them; a PostgreSQL
/// backend needs the select to lock its rows, `FOR UPDATE SKIP LOCKED`).
pub fn claim_due(
    db: &Db,
    due_by: i64,
    clock: i64,
    incident: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<OutboxRow>> {
    const COLS: &str = "id, incident_id, channel, destination, payload, attempts";
    const FREE: &str = "state = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?)";
    let r = match incident {
        Some(i) => db.exec(
            &format!("SELECT {COLS} FROM outbox WHERE {FREE} AND incident_id = ? AND next_attempt_at <= ? ORDER BY step, id LIMIT ?"),
            &[int(clock), text(i), int(due_by), int(limit)],
        )?,
        None => db.exec(
            &format!("SELECT {COLS} FROM outbox WHERE {FREE} AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"),
            &[int(clock), int(due_by), int(limit)],
        )?,
    };
    let due: Vec<OutboxRow> = rows(&r)
        .map(|row| OutboxRow {
            id: row.str("id"),
            incident_id: row.str("incident_id"),
            channel: row.str("channel"),
            destination: row.str("destination"),
            payload: db.unsealed("outbox.payload", row.str("payload")),
            attempts: row.int("attempts"),
        })
        .collect();
    for row in &due {
        db.exec(
            "UPDATE outbox SET claimed_until = ? WHERE id = ?",
            &[int(clock + CLAIM_MS), text(&row.id)],
        )?;
    }
    Ok(due)
}

/// Seconds to wait after the `attempts`-th failure: 5, 10, 20, … capped at 5 minutes.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 7) - 1;
    (5_000 * (1 << exp)).min(300_000)
}

/// Marks a pending row delivered at `now` and releases its claim.
pub fn mark_delivered(db: &Db, id: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL, claimed_until = NULL WHERE id = ? AND state = 'pending'",
        &[int(now), text(id)],
    )?;
    Ok(())
}

/// Records a failed attempt; returns the attempts so far.
pub fn mark_failed(db: &Db, row: &OutboxRow, error: &str, now: i64) -> StoreResult<i64> {
    let attempts = row.attempts + 1;
    db.exec(
        "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, claimed_until = NULL WHERE id = ? AND state = 'pending'",
        &[int(attempts), int(now + backoff_ms(attempts)), text(error), text(&row.id)],
    )?;
    Ok(attempts)
}

/// The incident and channel of outbox row `id` (an idempotency key), if there is one.
pub fn incident_and_channel(db: &Db, id: &str) -> StoreResult<Option<(String, String)>> {
    let r = db.exec(
        "SELECT incident_id, channel FROM outbox WHERE id = ?",
        &[text(id)],
    )?;
    Ok(rows(&r)
        .next()
        .map(|row| (row.str("incident_id"), row.str("channel"))))
}

/// Notifications of an incident, for its detail view.
pub fn of_incident(db: &Db, incident_id: &str) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT id, step, channel, target, state, attempts, last_error, created_at, delivered_at FROM outbox WHERE incident_id = ? ORDER BY step, id",
        &[text(incident_id)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "idempotency_key": row.str("id"),
                "step": row.int("step"),
                "channel": row.str("channel"),
                "target": row.str("target"),
                "state": row.str("state"),
                "attempts": row.int("attempts"),
                "last_error": row.opt_str("last_error"),
                "created_at": safetynet_wire::time::to_rfc3339(row.int("created_at")),
                "delivered_at": row.opt_int("delivered_at").map(safetynet_wire::time::to_rfc3339),
            })
        })
        .collect())
}

/// How many notifications are still waiting to be delivered.
pub fn pending_count(db: &Db) -> StoreResult<i64> {
    let r = db.exec(
        "SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'",
        &[],
    )?;
    Ok(rows(&r).next().map_or(0, |row| row.int("n")))
}

/// Empties the payloads (names, phones, addresses, notes) of a resident's delivered
/// notifications, once the resident's personal data is erased; the rows stay as a record that
/// something was sent.
pub fn forget_resident(db: &Db, resident_id: &str) -> StoreResult<()> {
    db.exec(
        "UPDATE outbox SET payload = '{}'
          WHERE state = 'delivered'
            AND incident_id IN (SELECT id FROM incidents WHERE resident_id = ?)",
        &[text(resident_id)],
    )?;
    // Caregivers' numbers kept for matching their SMS replies.
    db.exec(
        "DELETE FROM ack_codes WHERE incident_id IN (SELECT id FROM incidents WHERE resident_id = ?)",
        &[text(resident_id)],
    )?;
    Ok(())
}
