//! The care tables' queries.

use serde_json::{Value, json};

use safetynet_db::StoreResult;
use safetynet_db::{Db, Row, int, opt_int, opt_text, rows, text};
use safetynet_db::{DongFilter, Scope};
use safetynet_wire::time::to_rfc3339;

/// Schedule kinds; the speaker plays each differently.
pub const KINDS: &[&str] = &[
    "medication",
    "appointment",
    "cognitive-training",
    "music",
    "relaxation",
    "check-in",
];

/// Check-in answers a speaker reports (`data.answer` of a `check-in` event).
pub const ANSWERS: &[&str] = &["good", "not-good", "needs-help"];

/// A reminder schedule (a `reminder_schedules` row).
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The schedule's id (`sch-…`).
    pub id: String,
    /// The resident reminded.
    pub resident_id: String,
    /// The resident's dong; scopes who sees it.
    pub dong: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// The medicine's name (medication schedules).
    pub medication_name: Option<String>,
    /// The dose to take (medication schedules).
    pub dose: Option<String>,
    /// What the speaker says, in Korean.
    pub text: String,
    /// The recurrence: RFC 5545 lines (`DTSTART`, `RRULE`, `EXDATE`, …).
    pub rule: String,
    /// The IANA time zone the rule is read in, e.g. `Asia/Seoul`.
    pub tz: String,
    /// Series start when the rule has no `DTSTART` (unix ms).
    pub start_at: Option<i64>,
    /// No occurrence after this (unix ms).
    pub end_at: Option<i64>,
    /// Whether the speaker asks for an acknowledgement.
    pub needs_ack: bool,
    /// How long after an occurrence an acknowledgement still counts as on time.
    pub grace_minutes: i64,
    /// Consecutive misses that raise an incident; 0 never.
    pub misses_to_escalate: i64,
    /// The next occurrence not yet handled (unix ms); `None` when the series is over or deleted.
    pub next_at: Option<i64>,
    /// When it was created (unix ms).
    pub created_at: i64,
    /// The staff id that created it.
    pub created_by: String,
    /// When it was deleted (unix ms); `None` while active.
    pub deleted_at: Option<i64>,
}

const SCHEDULE_COLS: &str = "id, resident_id, dong, kind, medication_name, dose, text, rule, tz, start_at, end_at, needs_ack, grace_minutes, misses_to_escalate, next_at, created_at, created_by, deleted_at";

/// A schedule row; what the speaker reads out (a medicine, its dose) is sealed at rest.
fn schedule_from(db: &Db, r: &Row) -> Schedule {
    Schedule {
        id: r.str("id"),
        resident_id: r.str("resident_id"),
        dong: r.str("dong"),
        kind: r.str("kind"),
        medication_name: r
            .opt_str("medication_name")
            .map(|v| db.unsealed("reminder_schedules.medication_name", v)),
        dose: r
            .opt_str("dose")
            .map(|v| db.unsealed("reminder_schedules.dose", v)),
        text: db.unsealed("reminder_schedules.text", r.str("text")),
        rule: r.str("rule"),
        tz: r.str("tz"),
        start_at: r.opt_int("start_at"),
        end_at: r.opt_int("end_at"),
        needs_ack: r.int("needs_ack") != 0,
        grace_minutes: r.int("grace_minutes"),
        misses_to_escalate: r.int("misses_to_escalate"),
        next_at: r.opt_int("next_at"),
        created_at: r.int("created_at"),
        created_by: r.str("created_by"),
        deleted_at: r.opt_int("deleted_at"),
    }
}

impl Schedule {
    /// The schedule as the API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "resident_id": self.resident_id,
            "dong": self.dong,
            "kind": self.kind,
            "medication_name": self.medication_name,
            "dose": self.dose,
            "text": self.text,
            "rule": self.rule,
            "tz": self.tz,
            "start": self.start_at.map(to_rfc3339),
            "end": self.end_at.map(to_rfc3339),
            "needs_ack": self.needs_ack,
            "grace_minutes": self.grace_minutes,
            "misses_to_escalate": self.misses_to_escalate,
            "next_at": self.next_at.map(to_rfc3339),
            "created_at": to_rfc3339(self.created_at),
            "active": self.deleted_at.is_none(),
        })
    }
}

/// Stores a new schedule in `reminder_schedules`.
pub fn insert_schedule(db: &Db, s: &Schedule) -> StoreResult<()> {
    db.exec(
        &format!(
            "INSERT INTO reminder_schedules ({SCHEDULE_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        ),
        &[
            text(&s.id),
            text(&s.resident_id),
            text(&s.dong),
            text(&s.kind),
            db.opt_sealed("reminder_schedules.medication_name", s.medication_name.as_deref())?,
            db.opt_sealed("reminder_schedules.dose", s.dose.as_deref())?,
            db.sealed("reminder_schedules.text", &s.text)?,
            text(&s.rule),
            text(&s.tz),
            opt_int(s.start_at),
            opt_int(s.end_at),
            int(s.needs_ack as i64),
            int(s.grace_minutes),
            int(s.misses_to_escalate),
            opt_int(s.next_at),
            int(s.created_at),
            text(&s.created_by),
            opt_int(s.deleted_at),
        ],
    )?;
    Ok(())
}

/// The schedule with this id, if any, deleted ones included.
pub fn get_schedule(db: &Db, id: &str) -> StoreResult<Option<Schedule>> {
    let r = db.exec(
        &format!("SELECT {SCHEDULE_COLS} FROM reminder_schedules WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| schedule_from(db, &row)))
}

/// Active schedules within `scope`, optionally of one resident.
pub fn list_schedules(
    db: &Db,
    scope: &Scope,
    resident_id: Option<&str>,
) -> StoreResult<Vec<Schedule>> {
    let mut sql =
        format!("SELECT {SCHEDULE_COLS} FROM reminder_schedules WHERE deleted_at IS NULL");
    let mut params = Vec::new();
    if let Some(r) = resident_id {
        sql.push_str(" AND resident_id = ?");
        params.push(text(r));
    }
    match scope.filter(None) {
        DongFilter::Empty => return Ok(Vec::new()),
        DongFilter::Only(d) => {
            sql.push_str(" AND dong = ?");
            params.push(text(d));
        }
        DongFilter::Any => {}
    }
    sql.push_str(" ORDER BY created_at, id LIMIT 1000");
    let r = db.exec(&sql, &params)?;
    Ok(rows(&r).map(|row| schedule_from(db, &row)).collect())
}

/// Stops a schedule: no more occurrences are handed out; its history stays for adherence.
pub fn delete_schedule(db: &Db, id: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE reminder_schedules SET deleted_at = ?, next_at = NULL WHERE id = ? AND deleted_at IS NULL",
        &[int(now), text(id)],
    )?;
    Ok(())
}

/// Reminders go only to residents whose monitoring is on (not suspended or unenrolled).
const MONITORED: &str = "resident_id IN (SELECT id FROM residents WHERE status = 'active')";

/// Schedules whose next occurrence is at or before `upto`, earliest first (residents being
/// monitored only).
pub fn due_schedules(db: &Db, upto: i64, limit: i64) -> StoreResult<Vec<Schedule>> {
    let r = db.exec(
        &format!(
            "SELECT {SCHEDULE_COLS} FROM reminder_schedules
             WHERE next_at IS NOT NULL AND next_at <= ? AND {MONITORED} ORDER BY next_at LIMIT ?"
        ),
        &[int(upto), int(limit)],
    )?;
    Ok(rows(&r).map(|row| schedule_from(db, &row)).collect())
}

/// Schedules whose next occurrence is past its grace period by `now`: nobody polled the feed
/// in time. The tick records those occurrences as undelivered and moves the schedule on.
pub fn overdue_schedules(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<Schedule>> {
    let r = db.exec(
        &format!(
            "SELECT {SCHEDULE_COLS} FROM reminder_schedules
             WHERE next_at IS NOT NULL AND next_at < ? AND next_at + grace_minutes * 60000 < ?
               AND {MONITORED}
             ORDER BY next_at LIMIT ?"
        ),
        &[int(now), int(now), int(limit)],
    )?;
    Ok(rows(&r).map(|row| schedule_from(db, &row)).collect())
}

/// Moves an active schedule's next occurrence; `None` ends the series.
pub fn set_next(db: &Db, id: &str, next_at: Option<i64>) -> StoreResult<()> {
    db.exec(
        "UPDATE reminder_schedules SET next_at = ? WHERE id = ? AND deleted_at IS NULL",
        &[opt_int(next_at), text(id)],
    )?;
    Ok(())
}

/// `<schedule id>@<occurs_at ms>`: one id per occurrence, whoever computes it.
pub fn delivery_id(schedule_id: &str, occurs_at: i64) -> String {
    format!("{schedule_id}@{occurs_at}")
}

/// One occurrence of a schedule (a `reminder_deliveries` row), delivered or not.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `<schedule id>@<occurs_at ms>` ([`delivery_id`]).
    pub id: String,
    /// The schedule it is an occurrence of.
    pub schedule_id: String,
    /// The resident reminded.
    pub resident_id: String,
    /// The schedule's kind.
    pub kind: String,
    /// When it was due (unix ms).
    pub occurs_at: i64,
    /// Whether it needs an acknowledgement (the schedule's setting then).
    pub needs_ack: bool,
    /// The schedule's grace period then, in minutes.
    pub grace_minutes: i64,
    /// The speaker it was handed to, if any.
    pub device_id: Option<String>,
    /// When the feed handed it to the bridge; None = never delivered (no speaker, or too late).
    pub claimed_at: Option<i64>,
    /// When the resident acknowledged it (unix ms).
    pub acked_at: Option<i64>,
    /// Who acknowledged it: a device or staff id.
    pub acked_by: Option<String>,
    /// When the tick marked it missed (unix ms).
    pub missed_at: Option<i64>,
    /// The incident this miss raised or joined.
    pub incident_id: Option<String>,
}

const DELIVERY_COLS: &str = "id, schedule_id, resident_id, kind, occurs_at, needs_ack, grace_minutes, device_id, claimed_at, acked_at, acked_by, missed_at, incident_id";

fn delivery_from(r: &Row) -> Delivery {
    Delivery {
        id: r.str("id"),
        schedule_id: r.str("schedule_id"),
        resident_id: r.str("resident_id"),
        kind: r.str("kind"),
        occurs_at: r.int("occurs_at"),
        needs_ack: r.int("needs_ack") != 0,
        grace_minutes: r.int("grace_minutes"),
        device_id: r.opt_str("device_id"),
        claimed_at: r.opt_int("claimed_at"),
        acked_at: r.opt_int("acked_at"),
        acked_by: r.opt_str("acked_by"),
        missed_at: r.opt_int("missed_at"),
        incident_id: r.opt_str("incident_id"),
    }
}

impl Delivery {
    /// The stored facts; `status` is computed by the caller (schedule component) and added.
    pub fn to_json(&self) -> Value {
        json!({
            "delivery_id": self.id,
            "schedule_id": self.schedule_id,
            "resident_id": self.resident_id,
            "kind": self.kind,
            "occurs_at": to_rfc3339(self.occurs_at),
            "needs_ack": self.needs_ack,
            "grace_minutes": self.grace_minutes,
            "device_id": self.device_id,
            "delivered_at": self.claimed_at.map(to_rfc3339),
            "acked_at": self.acked_at.map(to_rfc3339),
            "missed_at": self.missed_at.map(to_rfc3339),
            "incident_id": self.incident_id,
        })
    }
}

/// Records one occurrence. With `claimed_at` it is handed to the bridge; returns false when the
/// occurrence was already recorded (by a concurrent poll or the tick), so it is not handed out.
pub fn record_occurrence(
    db: &Db,
    s: &Schedule,
    occurs_at: i64,
    device_id: Option<&str>,
    claimed_at: Option<i64>,
) -> StoreResult<bool> {
    db.exec(
        &format!(
            "INSERT OR IGNORE INTO reminder_deliveries ({DELIVERY_COLS}) VALUES (?,?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL)"
        ),
        &[
            text(delivery_id(&s.id, occurs_at)),
            text(&s.id),
            text(&s.resident_id),
            text(&s.kind),
            int(occurs_at),
            int(s.needs_ack as i64),
            int(s.grace_minutes),
            opt_text(device_id),
            opt_int(claimed_at),
        ],
    )?;
    Ok(db.changes() == 1)
}

/// The occurrence with this id, if recorded.
pub fn get_delivery(db: &Db, id: &str) -> StoreResult<Option<Delivery>> {
    let r = db.exec(
        &format!("SELECT {DELIVERY_COLS} FROM reminder_deliveries WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| delivery_from(&row)))
}

/// What an acknowledgement did.
#[derive(Debug, Clone)]
pub enum Ack {
    /// Recorded now.
    Recorded(Delivery),
    /// Acknowledged before; the first acknowledgement stands.
    Already(Delivery),
    /// No such delivery, or it belongs to another resident.
    Unknown,
}

/// Records an acknowledgement (first one wins). `resident_id`, when given, must own the
/// delivery: a speaker can only acknowledge its own resident's reminders. `by` is a device or
/// staff id.
pub fn ack(db: &Db, id: &str, resident_id: Option<&str>, by: &str, at: i64) -> StoreResult<Ack> {
    let Some(d) = get_delivery(db, id)? else {
        return Ok(Ack::Unknown);
    };
    if resident_id.is_some_and(|r| r != d.resident_id) {
        return Ok(Ack::Unknown);
    }
    if d.acked_at.is_some() {
        return Ok(Ack::Already(d));
    }
    db.exec(
        "UPDATE reminder_deliveries SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL",
        &[int(at), text(by), text(id)],
    )?;
    Ok(Ack::Recorded(Delivery {
        acked_at: Some(at),
        acked_by: Some(by.to_string()),
        ..d
    }))
}

/// Occurrences needing an acknowledgement whose grace period ended before `now` without one,
/// not yet marked missed.
pub fn newly_missed(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<Delivery>> {
    let r = db.exec(
        &format!(
            "SELECT {DELIVERY_COLS} FROM reminder_deliveries
             WHERE needs_ack = 1 AND acked_at IS NULL AND missed_at IS NULL
               AND occurs_at < ? AND occurs_at + grace_minutes * 60000 < ?
             ORDER BY occurs_at LIMIT ?"
        ),
        &[int(now), int(now), int(limit)],
    )?;
    Ok(rows(&r).map(|row| delivery_from(&row)).collect())
}

/// Marks an unacknowledged occurrence missed; false if it was acknowledged or already missed.
pub fn mark_missed(db: &Db, id: &str, now: i64) -> StoreResult<bool> {
    db.exec(
        "UPDATE reminder_deliveries SET missed_at = ? WHERE id = ? AND acked_at IS NULL AND missed_at IS NULL",
        &[int(now), text(id)],
    )?;
    Ok(db.changes() == 1)
}

/// The latest `n` acknowledgement-needing occurrences of a schedule up to `upto`, newest first.
pub fn latest_of_schedule(
    db: &Db,
    schedule_id: &str,
    upto: i64,
    n: i64,
) -> StoreResult<Vec<Delivery>> {
    let r = db.exec(
        &format!(
            "SELECT {DELIVERY_COLS} FROM reminder_deliveries
             WHERE schedule_id = ? AND needs_ack = 1 AND occurs_at <= ?
             ORDER BY occurs_at DESC LIMIT ?"
        ),
        &[text(schedule_id), int(upto), int(n)],
    )?;
    Ok(rows(&r).map(|row| delivery_from(&row)).collect())
}

/// Ties missed occurrences to the incident they raised, so one streak escalates once.
pub fn mark_escalated(db: &Db, ids: &[String], incident_id: &str) -> StoreResult<()> {
    for id in ids {
        db.exec(
            "UPDATE reminder_deliveries SET incident_id = ? WHERE id = ? AND incident_id IS NULL",
            &[text(incident_id), text(id)],
        )?;
    }
    Ok(())
}

/// A resident's occurrences with `from <= occurs_at <= to`, earliest first.
pub fn deliveries_of_resident(
    db: &Db,
    resident_id: &str,
    from: i64,
    to: i64,
    only_needing_ack: bool,
) -> StoreResult<Vec<Delivery>> {
    let r = db.exec(
        &format!(
            "SELECT {DELIVERY_COLS} FROM reminder_deliveries
             WHERE resident_id = ? AND occurs_at >= ? AND occurs_at <= ? {}
             ORDER BY occurs_at, id LIMIT 20000",
            if only_needing_ack {
                "AND needs_ack = 1"
            } else {
                ""
            }
        ),
        &[text(resident_id), int(from), int(to)],
    )?;
    Ok(rows(&r).map(|row| delivery_from(&row)).collect())
}

/// Occurrences needing an acknowledgement of every active resident within `scope` (or its
/// `dong`) between `from` and `to`, for the city's adherence figures.
pub fn acked_deliveries_in_scope(
    db: &Db,
    scope: &Scope,
    dong: Option<&str>,
    from: i64,
    to: i64,
) -> StoreResult<Vec<Delivery>> {
    let (condition, mut params) = match scope.filter(dong) {
        DongFilter::Empty => return Ok(Vec::new()),
        DongFilter::Only(d) => (
            "AND resident_id IN (SELECT id FROM residents WHERE dong = ?)",
            vec![text(d)],
        ),
        DongFilter::Any => ("", Vec::new()),
    };
    params.splice(0..0, [int(from), int(to)]);
    let r = db.exec(
        &format!(
            "SELECT {DELIVERY_COLS} FROM reminder_deliveries
             WHERE occurs_at >= ? AND occurs_at <= ? AND needs_ack = 1 {condition}
             ORDER BY occurs_at, id LIMIT 200000"
        ),
        &params,
    )?;
    Ok(rows(&r).map(|row| delivery_from(&row)).collect())
}

/// A schedule's latest occurrences, newest first.
pub fn deliveries_of_schedule(
    db: &Db,
    schedule_id: &str,
    limit: i64,
) -> StoreResult<Vec<Delivery>> {
    let r = db.exec(
        &format!(
            "SELECT {DELIVERY_COLS} FROM reminder_deliveries WHERE schedule_id = ?
             ORDER BY occurs_at DESC LIMIT ?"
        ),
        &[text(schedule_id), int(limit)],
    )?;
    Ok(rows(&r).map(|row| delivery_from(&row)).collect())
}

/// One check-in answer from a speaker.
pub struct CheckIn<'a> {
    /// The `check-in` event that carried it; an answer is stored once per event.
    pub event_id: &'a str,
    /// The resident who answered.
    pub resident_id: &'a str,
    /// The speaker that reported it.
    pub device_id: &'a str,
    /// One of [`ANSWERS`].
    pub answer: &'a str,
    /// What the resident said, if the speaker sent it. Stored for the welfare worker; never logged.
    pub said: Option<&'a str>,
    /// Needs help, or crisis words were heard.
    pub crisis: bool,
    /// The check-in prompt it answers, if the speaker named it.
    pub delivery_id: Option<&'a str>,
    /// The `crisis-utterance` incident it raised or joined, if any.
    pub incident_id: Option<&'a str>,
    /// When the resident answered, by the speaker's clock (never after `received_at`; unix ms).
    pub answered_at: i64,
    /// When the suite received it (unix ms).
    pub received_at: i64,
}

/// Records a check-in answer (once per event id).
pub fn record_checkin(db: &Db, c: &CheckIn) -> StoreResult<()> {
    db.exec(
        "INSERT OR IGNORE INTO checkins (event_id, resident_id, device_id, answer, said, crisis, delivery_id, incident_id, answered_at, received_at)
         VALUES (?,?,?,?,?,?,?,?,?,?)",
        &[
            text(c.event_id),
            text(c.resident_id),
            text(c.device_id),
            text(c.answer),
            db.opt_sealed("checkins.said", c.said)?,
            int(c.crisis as i64),
            opt_text(c.delivery_id),
            opt_text(c.incident_id),
            int(c.answered_at),
            int(c.received_at),
        ],
    )?;
    Ok(())
}

/// A resident's check-in answers, newest first.
pub fn checkins_of(db: &Db, resident_id: &str, limit: i64) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT event_id, device_id, answer, said, crisis, delivery_id, incident_id, answered_at
         FROM checkins WHERE resident_id = ? ORDER BY answered_at DESC LIMIT ?",
        &[text(resident_id), int(limit)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "event_id": row.str("event_id"),
                "device_id": row.str("device_id"),
                "answer": row.str("answer"),
                "said": row.opt_str("said").map(|s| db.unsealed("checkins.said", s)),
                "crisis": row.int("crisis") != 0,
                "delivery_id": row.opt_str("delivery_id"),
                "incident_id": row.opt_str("incident_id"),
                "answered_at": to_rfc3339(row.int("answered_at")),
            })
        })
        .collect())
}

/// Forgets what a resident said in check-ins (the answer itself stays, for adherence) and what
/// their reminders said, once the resident's personal data is erased.
pub fn forget_resident(db: &Db, resident_id: &str) -> StoreResult<()> {
    db.exec(
        "UPDATE checkins SET said = NULL WHERE resident_id = ?",
        &[text(resident_id)],
    )?;
    // What the speaker read out (a medicine's name and dose).
    db.exec(
        "UPDATE reminder_schedules SET text = '', medication_name = NULL, dose = NULL WHERE resident_id = ?",
        &[text(resident_id)],
    )?;
    Ok(())
}
