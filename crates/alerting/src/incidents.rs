//! Owner of `incidents`, `incident_log` and `escalations`: the incident lifecycle
//! triggered → acknowledged → resolved (or cancelled as a false alarm), with every action in the
//! log, and the escalation ladder that keeps notifying until someone acknowledges.
//!
//! `open_key` (resident|kind) is set only while an incident is open and is UNIQUE, so the
//! database itself guarantees one open incident per resident and kind: a repeat joins it.

use serde_json::{Value, json};

use safetynet_db::{Db, Row, int, opt_text, rows, text};
use safetynet_db::{DongFilter, Scope};
use safetynet_db::{StoreError, StoreResult};
use safetynet_vocabulary::IncidentState;
use safetynet_wire::time::to_rfc3339;

/// How an incident ended, for the city's statistics.
pub const OUTCOMES: &[&str] = &[
    "transported-by-119",
    "resolved-by-caregiver",
    "resolved-by-welfare-centre",
    "resolved-on-site",
    "no-action-needed",
];

/// The outcome of an incident a device's restore resolved (never one a person chooses).
pub const RESTORED: &str = "restored-by-device";

/// An incident as stored (an `incidents` row).
#[derive(Debug, Clone)]
pub struct Incident {
    /// The incident's id (`inc-…`).
    pub id: String,
    /// The resident it is about.
    pub resident_id: String,
    /// The resident's dong when it opened; scopes who sees it.
    pub dong: String,
    /// Its kind: an event kind's name.
    pub kind: String,
    /// A severity's name, as routing planned it (or `low` once downgraded).
    pub severity: String,
    /// An [`IncidentState`] name.
    pub state: String,
    /// When it opened (unix ms).
    pub opened_at: i64,
    /// When the latest alert joined it (unix ms).
    pub last_event_at: i64,
    /// How many alerts it gathered, the first included.
    pub event_count: i64,
    /// When it was acknowledged (unix ms).
    pub acknowledged_at: Option<i64>,
    /// Who acknowledged it: a staff id, or `caregiver:<contact id>`.
    pub acknowledged_by: Option<String>,
    /// When it was resolved or cancelled (unix ms).
    pub closed_at: Option<i64>,
    /// Who closed it: a staff id, or `device:<id>` for a device's restore.
    pub closed_by: Option<String>,
    /// How it ended: one of [`OUTCOMES`] or [`RESTORED`].
    pub outcome: Option<String>,
    /// Whether sending its 119 dispatch keeps failing (cleared once one is delivered).
    pub dispatch_failed: bool,
    /// The latest status the 119 centre reported for this incident's dispatch.
    pub dispatch_status: Option<String>,
    /// When the 119 centre reported the resident transported.
    pub transported_at: Option<i64>,
}

/// What the 119 centre may report about a dispatch, in the order it usually happens.
pub const DISPATCH_STATUSES: &[&str] = &[
    "received",
    "en-route",
    "on-scene",
    "transported",
    "cancelled",
];

const COLS: &str = "id, resident_id, dong, kind, severity, state, opened_at, last_event_at, event_count, acknowledged_at, acknowledged_by, closed_at, closed_by, outcome, dispatch_failed";

fn from_row(r: &Row) -> Incident {
    Incident {
        id: r.str("id"),
        resident_id: r.str("resident_id"),
        dong: r.str("dong"),
        kind: r.str("kind"),
        severity: r.str("severity"),
        state: r.str("state"),
        opened_at: r.int("opened_at"),
        last_event_at: r.int("last_event_at"),
        event_count: r.int("event_count"),
        acknowledged_at: r.opt_int("acknowledged_at"),
        acknowledged_by: r.opt_str("acknowledged_by"),
        closed_at: r.opt_int("closed_at"),
        closed_by: r.opt_str("closed_by"),
        outcome: r.opt_str("outcome"),
        dispatch_failed: r.int("dispatch_failed") != 0,
        dispatch_status: r.opt_str("dispatch_status"),
        transported_at: r.opt_int("transported_at"),
    }
}

/// What selects read: the inserted columns and those the 119 centre's reports fill in.
const SELECTED: &str = "id, resident_id, dong, kind, severity, state, opened_at, last_event_at, event_count, acknowledged_at, acknowledged_by, closed_at, closed_by, outcome, dispatch_failed, dispatch_status, transported_at";

impl Incident {
    /// The incident as the API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "resident_id": self.resident_id,
            "dong": self.dong,
            "kind": self.kind,
            "severity": self.severity,
            "state": self.state,
            "opened_at": to_rfc3339(self.opened_at),
            "last_event_at": to_rfc3339(self.last_event_at),
            "event_count": self.event_count,
            "acknowledged_at": self.acknowledged_at.map(to_rfc3339),
            "acknowledged_by": self.acknowledged_by,
            "closed_at": self.closed_at.map(to_rfc3339),
            "closed_by": self.closed_by,
            "outcome": self.outcome,
            "dispatch_failed": self.dispatch_failed,
            "dispatch_status": self.dispatch_status,
            "transported_at": self.transported_at.map(to_rfc3339),
        })
    }

    /// Whether it still needs a person (triggered or acknowledged).
    pub fn is_open(&self) -> bool {
        self.state
            .parse::<IncidentState>()
            .is_ok_and(IncidentState::is_open)
    }
}

fn open_key(resident_id: &str, kind: &str) -> String {
    format!("{resident_id}|{kind}")
}

/// The open incident of this resident and kind, if any.
pub fn find_open(db: &Db, resident_id: &str, kind: &str) -> StoreResult<Option<String>> {
    let r = db.exec(
        "SELECT id FROM incidents WHERE open_key = ?",
        &[text(open_key(resident_id, kind))],
    )?;
    Ok(rows(&r).next().map(|row| row.str("id")))
}

/// Adds an entry to the incident's timeline (`incident_log`).
pub fn log(
    db: &Db,
    incident_id: &str,
    actor: &str,
    action: &str,
    note: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "INSERT INTO incident_log (incident_id, at, actor, action, note) VALUES (?,?,?,?,?)",
        &[
            text(incident_id),
            int(now),
            text(actor),
            text(action),
            opt_text(note),
        ],
    )?;
    Ok(())
}

/// A repeat event joins the open incident: one more event, a later last time.
pub fn join(db: &Db, id: &str, source: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE incidents SET event_count = event_count + 1, last_event_at = ? WHERE id = ?",
        &[int(now), text(id)],
    )?;
    log(db, id, source, "joined", None, now)
}

/// One rung of the ladder, as planned by the routing component.
pub struct Step {
    /// Its number in firing order, from 1.
    pub step: u32,
    /// When it fires unless someone acknowledges first (unix ms).
    pub due_at: i64,
    /// A [`safetynet_vocabulary::Channel`] name.
    pub channel: String,
    /// The contact id for `caregiver`, the dong for `welfare-centre`, empty otherwise.
    pub target: String,
}

/// An incident to open.
pub struct NewIncident<'a> {
    /// The resident it is about.
    pub resident_id: &'a str,
    /// The resident's dong.
    pub dong: &'a str,
    /// Its kind: an event kind's name.
    pub kind: &'a str,
    /// A severity's name, as routing planned it.
    pub severity: &'a str,
    /// What opened it: an event id, or `tick` for detected conditions.
    pub source: &'a str,
    /// When it opens (unix ms).
    pub now: i64,
}

/// Opens a triggered incident with its escalation ladder (`incidents`, `escalations`) and logs
/// it; returns the new id. The database refuses a second open incident of the same resident and
/// kind, so callers look for one first ([`find_open`]).
pub fn open(db: &Db, n: &NewIncident, ladder: &[Step]) -> StoreResult<String> {
    let id = safetynet_wire::ids::new_id("inc");
    db.exec(
        &format!("INSERT INTO incidents ({COLS}, open_key) VALUES (?,?,?,?,?,'triggered',?,?,1,NULL,NULL,NULL,NULL,NULL,0,?)"),
        &[
            text(&id),
            text(n.resident_id),
            text(n.dong),
            text(n.kind),
            text(n.severity),
            int(n.now),
            int(n.now),
            text(open_key(n.resident_id, n.kind)),
        ],
    )?;
    log(db, &id, n.source, "triggered", None, n.now)?;
    for s in ladder {
        db.exec(
            "INSERT INTO escalations (incident_id, step, due_at, channel, target) VALUES (?,?,?,?,?)",
            &[text(&id), int(s.step as i64), int(s.due_at), text(&s.channel), text(&s.target)],
        )?;
    }
    Ok(id)
}

/// The incident with this id, if any, whatever its dong.
pub fn get(db: &Db, id: &str) -> StoreResult<Option<Incident>> {
    let r = db.exec(
        &format!("SELECT {SELECTED} FROM incidents WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| from_row(&row)))
}

/// Loads an incident within `scope`: not found, or out of scope.
pub fn get_visible(db: &Db, scope: &Scope, id: &str) -> StoreResult<Incident> {
    let inc = get(db, id)?.ok_or_else(|| StoreError::NotFound(format!("no incident {id}")))?;
    scope.check(&inc.dong)?;
    Ok(inc)
}

/// Acknowledges a triggered incident as `actor` and stops its ladder; a conflict if it is not
/// triggered.
pub fn acknowledge(
    db: &Db,
    id: &str,
    actor: &str,
    note: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "UPDATE incidents SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND state = 'triggered'",
        &[int(now), text(actor), text(id)],
    )?;
    if db.changes() == 0 {
        return Err(StoreError::conflict(
            "only a triggered incident can be acknowledged",
        ));
    }
    stop_ladder(db, id)?;
    log(db, id, actor, "acknowledged", note, now)
}

/// A status the 119 centre reported for one dispatch.
pub struct DispatchUpdate<'a> {
    /// The dispatch's idempotency key (its outbox row).
    pub outbox_id: &'a str,
    /// The incident dispatched for.
    pub incident_id: &'a str,
    /// One of [`DISPATCH_STATUSES`].
    pub status: &'a str,
    /// When it happened, by the centre's account.
    pub at: i64,
    /// The centre's note, if any.
    pub note: Option<&'a str>,
    /// Who reported it (the centre's token id).
    pub by: &'a str,
}

/// Records `u` on its incident (latest status, transport time, timeline). Returns false, and
/// changes nothing, when that status was already recorded for that dispatch.
pub fn record_dispatch_update(db: &Db, u: &DispatchUpdate, now: i64) -> StoreResult<bool> {
    db.exec(
        "INSERT OR IGNORE INTO dispatch_updates (outbox_id, status, incident_id, at, note, received_at, received_by)
         VALUES (?,?,?,?,?,?,?)",
        &[
            text(u.outbox_id),
            text(u.status),
            text(u.incident_id),
            int(u.at),
            opt_text(u.note),
            int(now),
            text(u.by),
        ],
    )?;
    if db.changes() == 0 {
        return Ok(false);
    }
    db.exec(
        "UPDATE incidents SET dispatch_status = ?,
             transported_at = CASE WHEN ? = 'transported' THEN COALESCE(transported_at, ?) ELSE transported_at END
         WHERE id = ?",
        &[text(u.status), text(u.status), int(u.at), text(u.incident_id)],
    )?;
    log(
        db,
        u.incident_id,
        u.by,
        &format!("dispatch-{}", u.status),
        u.note,
        now,
    )?;
    Ok(true)
}

/// Cancels the incident's ladder steps not yet fired: nobody else is told.
fn stop_ladder(db: &Db, id: &str) -> StoreResult<()> {
    db.exec(
        "UPDATE escalations SET state = 'cancelled' WHERE incident_id = ? AND state = 'pending'",
        &[text(id)],
    )?;
    Ok(())
}

/// Quiets an open incident without closing it (a restore the policy downgrades): low
/// severity, no more ladder steps; a person still closes it.
pub fn downgrade(db: &Db, id: &str, actor: &str, note: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE incidents SET severity = 'low' WHERE id = ? AND state IN ('triggered', 'acknowledged')",
        &[text(id)],
    )?;
    if db.changes() == 0 {
        return Err(StoreError::conflict("the incident is already closed"));
    }
    stop_ladder(db, id)?;
    log(db, id, actor, "downgraded", Some(note), now)
}

/// Resolves (`state = resolved`) or cancels as a false alarm (`state = cancelled`).
pub fn close(
    db: &Db,
    id: &str,
    actor: &str,
    state: &str,
    outcome: &str,
    note: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "UPDATE incidents SET state = ?, outcome = ?, closed_at = ?, closed_by = ?, open_key = NULL
         WHERE id = ? AND state IN ('triggered', 'acknowledged')",
        &[text(state), text(outcome), int(now), text(actor), text(id)],
    )?;
    if db.changes() == 0 {
        return Err(StoreError::conflict("the incident is already closed"));
    }
    stop_ladder(db, id)?;
    let action = if state == "cancelled" {
        "cancelled"
    } else {
        "resolved"
    };
    log(
        db,
        id,
        actor,
        action,
        Some(&format!(
            "{outcome}{}",
            note.map(|n| format!(": {n}")).unwrap_or_default()
        )),
        now,
    )
}

/// Marks the incident's 119 dispatch as failing, logging `error` the first time.
pub fn flag_dispatch_failed(db: &Db, id: &str, error: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE incidents SET dispatch_failed = 1 WHERE id = ? AND dispatch_failed = 0",
        &[text(id)],
    )?;
    if db.changes() > 0 {
        log(db, id, "system", "dispatch-failing", Some(error), now)?;
    }
    Ok(())
}

/// Clears the dispatch-failing mark (a dispatch was delivered).
pub fn clear_dispatch_failed(db: &Db, id: &str) -> StoreResult<()> {
    db.exec(
        "UPDATE incidents SET dispatch_failed = 0 WHERE id = ?",
        &[text(id)],
    )?;
    Ok(())
}

/// Ladder rungs whose deadline passed while nobody acknowledged.
pub fn due_escalations(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<(String, Step)>> {
    let r = db.exec(
        "SELECT e.incident_id, e.step, e.due_at, e.channel, e.target FROM escalations e
         JOIN incidents i ON i.id = e.incident_id
         WHERE e.state = 'pending' AND e.due_at <= ? AND i.state = 'triggered'
         ORDER BY e.due_at LIMIT ?",
        &[int(now), int(limit)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            (
                row.str("incident_id"),
                Step {
                    step: row.int("step") as u32,
                    due_at: row.int("due_at"),
                    channel: row.str("channel"),
                    target: row.str("target"),
                },
            )
        })
        .collect())
}

/// Records that a ladder step was sent, on the step and in the timeline.
pub fn mark_fired(db: &Db, incident_id: &str, step: u32, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE escalations SET state = 'fired', fired_at = ? WHERE incident_id = ? AND step = ?",
        &[int(now), text(incident_id), int(step as i64)],
    )?;
    log(
        db,
        incident_id,
        "system",
        "escalated",
        Some(&format!("step {step}")),
        now,
    )
}

/// The incident's escalation steps, in order, as the API shows them.
pub fn ladder(db: &Db, id: &str) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT step, due_at, channel, target, state, fired_at FROM escalations WHERE incident_id = ? ORDER BY step",
        &[text(id)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "step": row.int("step"),
                "due_at": to_rfc3339(row.int("due_at")),
                "channel": row.str("channel"),
                "target": row.str("target"),
                "state": row.str("state"),
                "fired_at": row.opt_int("fired_at").map(to_rfc3339),
            })
        })
        .collect())
}

/// The incident's log, oldest first, as the API shows it.
pub fn timeline(db: &Db, id: &str) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT at, actor, action, note FROM incident_log WHERE incident_id = ? ORDER BY id",
        &[text(id)],
    )?;
    Ok(rows(&r)
        .map(|row| json!({"at": to_rfc3339(row.int("at")), "actor": row.str("actor"), "action": row.str("action"), "note": row.opt_str("note")}))
        .collect())
}

/// List filter; every field optional.
#[derive(Default)]
pub struct Filter {
    /// Only incidents in this state.
    pub state: Option<String>,
    /// Only incidents of this kind.
    pub kind: Option<String>,
    /// Only incidents of this dong (narrowed further by the caller's scope).
    pub dong: Option<String>,
    /// Only incidents opened at or after this time (unix ms).
    pub from: Option<i64>,
    /// Only incidents opened before this time (unix ms).
    pub to: Option<i64>,
    /// Only incidents whose dispatch is (or is not) failing.
    pub dispatch_failed: Option<bool>,
    /// At most this many.
    pub limit: i64,
}

/// Incidents within `scope` matching `f`, newest first.
pub fn list(db: &Db, scope: &Scope, f: &Filter) -> StoreResult<Vec<Incident>> {
    let mut sql = format!("SELECT {SELECTED} FROM incidents WHERE 1=1");
    let mut params = Vec::new();
    match scope.filter(f.dong.as_deref()) {
        DongFilter::Empty => return Ok(Vec::new()),
        DongFilter::Only(d) => {
            sql.push_str(" AND dong = ?");
            params.push(text(d));
        }
        DongFilter::Any => {}
    }
    if let Some(s) = &f.state {
        sql.push_str(" AND state = ?");
        params.push(text(s));
    }
    if let Some(k) = &f.kind {
        sql.push_str(" AND kind = ?");
        params.push(text(k));
    }
    if let Some(t) = f.from {
        sql.push_str(" AND opened_at >= ?");
        params.push(int(t));
    }
    if let Some(t) = f.to {
        sql.push_str(" AND opened_at < ?");
        params.push(int(t));
    }
    if let Some(b) = f.dispatch_failed {
        sql.push_str(" AND dispatch_failed = ?");
        params.push(int(b as i64));
    }
    sql.push_str(" ORDER BY opened_at DESC LIMIT ?");
    params.push(int(f.limit));
    let r = db.exec(&sql, &params)?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

/// Whether an incident of `kind` was opened for the resident at or after `since` (so a
/// condition already reported is not reported again until the resident shows life).
pub fn opened_since(db: &Db, resident_id: &str, kind: &str, since: i64) -> StoreResult<bool> {
    let r = db.exec(
        "SELECT 1 FROM incidents WHERE resident_id = ? AND kind = ? AND opened_at >= ? LIMIT 1",
        &[text(resident_id), text(kind), int(since)],
    )?;
    Ok(!r.rows.is_empty())
}

/// Tables that record something about one incident, by its `incident_id`.
const RECORDS_OF_AN_INCIDENT: &[&str] = &[
    "incident_log",
    "escalations",
    "outbox",
    "device_events",
    "ack_codes",
    "sms_replies",
    "dispatch_updates",
];

/// Deletes up to `limit` incidents closed before `before`, with everything recorded about them
/// (timeline, ladder, notifications and their payloads, events, caregiver codes and replies,
/// 119's updates); returns how many incidents went.
pub fn purge_closed(db: &Db, before: i64, limit: i64) -> StoreResult<u64> {
    let r = db.exec(
        "SELECT id FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?
            AND state IN ('resolved', 'cancelled')
          ORDER BY closed_at LIMIT ?",
        &[int(before), int(limit)],
    )?;
    let ids: Vec<String> = rows(&r).map(|row| row.str("id")).collect();
    for id in &ids {
        for table in RECORDS_OF_AN_INCIDENT {
            db.exec(
                &format!("DELETE FROM {table} WHERE incident_id = ?"),
                &[text(id)],
            )?;
        }
        db.exec("DELETE FROM incidents WHERE id = ?", &[text(id)])?;
    }
    Ok(ids.len() as u64)
}
