//! Owner of `officer_activities`: what honorary officers log (date, start, minutes, kind) and
//! the dong centre's decision on each — submitted → approved or returned. Only approved minutes
//! count as volunteer hours; returned entries no longer block their time slot.

use serde_json::{Value, json};

use safetynet_db::{Db, Row, int, opt_text, rows, text};
use safetynet_db::{StoreError, StoreResult};
use safetynet_wire::time::to_rfc3339;

#[derive(Debug, Clone)]
pub struct Activity {
    pub id: String,
    pub officer_id: String,
    pub dong: String,
    pub date: String,
    pub start_minute: i64,
    pub minutes: i64,
    pub kind: String,
    pub note: Option<String>,
    pub state: String,
    pub submitted_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub return_reason: Option<String>,
}

const COLS: &str = "id, officer_id, dong, date, start_minute, minutes, kind, note, state, submitted_at, decided_at, decided_by, return_reason";

fn from_row(r: &Row) -> Activity {
    Activity {
        id: r.str("id"),
        officer_id: r.str("officer_id"),
        dong: r.str("dong"),
        date: r.str("date"),
        start_minute: r.int("start_minute"),
        minutes: r.int("minutes"),
        kind: r.str("kind"),
        note: r.opt_str("note"),
        state: r.str("state"),
        submitted_at: r.int("submitted_at"),
        decided_at: r.opt_int("decided_at"),
        decided_by: r.opt_str("decided_by"),
        return_reason: r.opt_str("return_reason"),
    }
}

pub fn hhmm(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

impl Activity {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "officer_id": self.officer_id,
            "dong": self.dong,
            "date": self.date,
            "start": hhmm(self.start_minute),
            "end": hhmm(self.start_minute + self.minutes),
            "hours": self.minutes as f64 / 60.0,
            "kind": self.kind,
            "note": self.note,
            "state": self.state,
            "submitted_at": to_rfc3339(self.submitted_at),
            "decided_at": self.decided_at.map(to_rfc3339),
            "decided_by": self.decided_by,
            "return_reason": self.return_reason,
        })
    }
}

pub fn insert(db: &Db, a: &Activity) -> StoreResult<()> {
    db.exec(
        &format!("INSERT INTO officer_activities ({COLS}) VALUES (?,?,?,?,?,?,?,?,'submitted',?,NULL,NULL,NULL)"),
        &[
            text(&a.id),
            text(&a.officer_id),
            text(&a.dong),
            text(&a.date),
            int(a.start_minute),
            int(a.minutes),
            text(&a.kind),
            opt_text(a.note.as_deref()),
            int(a.submitted_at),
        ],
    )?;
    Ok(())
}

pub fn get(db: &Db, id: &str) -> StoreResult<Option<Activity>> {
    let r = db.exec(
        &format!("SELECT {COLS} FROM officer_activities WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| from_row(&row)))
}

/// The officer's entries on one date that still hold their time (submitted or approved).
pub fn live_on(db: &Db, officer_id: &str, date: &str) -> StoreResult<Vec<Activity>> {
    let r = db.exec(
        &format!(
            "SELECT {COLS} FROM officer_activities WHERE officer_id = ? AND date = ? AND state != 'returned' ORDER BY start_minute"
        ),
        &[text(officer_id), text(date)],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

/// An officer's entries, optionally for one year and state, by date.
pub fn of_officer(
    db: &Db,
    officer_id: &str,
    year: Option<i32>,
    state: Option<&str>,
) -> StoreResult<Vec<Activity>> {
    let r = db.exec(
        &format!(
            "SELECT {COLS} FROM officer_activities
             WHERE officer_id = ?1 AND (?2 IS NULL OR substr(date, 1, 4) = ?2) AND (?3 IS NULL OR state = ?3)
             ORDER BY date, start_minute"
        ),
        &[
            text(officer_id),
            opt_text(year.map(|y| format!("{y:04}"))),
            opt_text(state),
        ],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

/// The review queue: entries in `state` for one dong (or all dongs), oldest first.
pub fn queue(db: &Db, dong: Option<&str>, state: &str, limit: i64) -> StoreResult<Vec<Activity>> {
    let r = db.exec(
        &format!(
            "SELECT {COLS} FROM officer_activities WHERE (?1 IS NULL OR dong = ?1) AND state = ?2
             ORDER BY date, submitted_at LIMIT ?3"
        ),
        &[opt_text(dong), text(state), int(limit)],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

/// Approves or returns a submitted entry; 409 if it was decided already.
pub fn decide(
    db: &Db,
    id: &str,
    state: &str,
    actor: &str,
    reason: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "UPDATE officer_activities SET state = ?, decided_at = ?, decided_by = ?, return_reason = ?
         WHERE id = ? AND state = 'submitted'",
        &[
            text(state),
            int(now),
            text(actor),
            opt_text(reason),
            text(id),
        ],
    )?;
    if db.changes() == 0 {
        return Err(StoreError::conflict(format!(
            "activity {id} has been decided already"
        )));
    }
    Ok(())
}

/// Approved minutes: (lifetime, per year as (year, minutes)).
pub fn approved_minutes(db: &Db, officer_id: &str) -> StoreResult<(i64, Vec<(String, i64)>)> {
    let r = db.exec(
        "SELECT substr(date, 1, 4) AS year, SUM(minutes) AS minutes, COUNT(*) AS n FROM officer_activities
         WHERE officer_id = ? AND state = 'approved' GROUP BY year ORDER BY year",
        &[text(officer_id)],
    )?;
    let years: Vec<(String, i64)> = rows(&r)
        .map(|row| (row.str("year"), row.int("minutes")))
        .collect();
    let total = years.iter().map(|(_, m)| m).sum();
    Ok((total, years))
}

/// One officer's approved record for a year.
pub struct YearRow {
    pub officer_id: String,
    pub minutes: i64,
    pub activities: i64,
    pub active_months: i64,
    pub home_visits: i64,
}

pub fn year_records(db: &Db, year: i32) -> StoreResult<Vec<YearRow>> {
    let r = db.exec(
        "SELECT officer_id, SUM(minutes) AS minutes, COUNT(*) AS n,
                COUNT(DISTINCT substr(date, 6, 2)) AS months,
                SUM(CASE WHEN kind = 'home-visit' THEN 1 ELSE 0 END) AS visits
         FROM officer_activities WHERE state = 'approved' AND substr(date, 1, 4) = ?
         GROUP BY officer_id ORDER BY officer_id",
        &[text(format!("{year:04}"))],
    )?;
    Ok(rows(&r)
        .map(|row| YearRow {
            officer_id: row.str("officer_id"),
            minutes: row.int("minutes"),
            activities: row.int("n"),
            active_months: row.int("months"),
            home_visits: row.int("visits"),
        })
        .collect())
}

/// Approved entries between two dates (inclusive), for the volunteer-portal export.
pub fn approved_between(
    db: &Db,
    from: &str,
    to: &str,
    dong: Option<&str>,
) -> StoreResult<Vec<Activity>> {
    let r = db.exec(
        &format!(
            "SELECT {COLS} FROM officer_activities
             WHERE state = 'approved' AND date >= ?1 AND date <= ?2 AND (?3 IS NULL OR dong = ?3)
             ORDER BY date, officer_id, start_minute"
        ),
        &[text(from), text(to), opt_text(dong)],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}
