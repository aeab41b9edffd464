//! Owner of `cases`: households a dong welfare centre must follow up, whatever found them —
//! the bimonthly scoring run (`source = scoring`) or an honorary officer's crisis report
//! (`source = officer`). A dong centre sees only its own dong's queue.
//!
//! Both sources share one table, so a centre works one queue: cycles, follow-up statuses and
//! notes apply to every case whatever found it.
#![cfg(target_arch = "wasm32")]

use serde_json::{Value, json};

use safetynet_db::{Db, Row, int, opt_text, rows, text};
use safetynet_db::{DongFilter, Scope};
use safetynet_db::{StoreError, StoreResult};
use safetynet_wire::time::to_rfc3339;

/// Where a case came from.
pub const SOURCES: &[&str] = &["scoring", "officer"];
/// How soon the centre should act; `urgent` sorts first in the queue.
pub const URGENCIES: &[&str] = &["routine", "priority", "urgent"];

/// A case to open (by an officer's report; scoring runs use [`create_scoring_cases`]).
pub struct NewCase<'a> {
    /// The household as the source knows it (a pseudonymous id, or an officer's description).
    pub household_ref: &'a str,
    /// The dong whose centre follows it up.
    pub dong: &'a str,
    /// One of [`SOURCES`].
    pub source: &'a str,
    /// What the centre needs to know, in a sentence or two.
    pub summary: &'a str,
    /// One of [`URGENCIES`].
    pub urgency: &'a str,
    /// Who reported it (officer id), if a person did.
    pub reporter_id: Option<&'a str>,
    /// When it is opened (unix ms).
    pub now: i64,
}

/// A case as stored (a `cases` row, without its follow-up columns: see [`FollowUp`]).
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's id (`case-…`).
    pub id: String,
    /// The household as the source knows it (a pseudonymous id, or an officer's description).
    pub household_ref: String,
    /// The dong whose centre follows it up; scopes who sees it.
    pub dong: String,
    /// One of [`SOURCES`].
    pub source: String,
    /// What the centre needs to know.
    pub summary: String,
    /// One of [`URGENCIES`].
    pub urgency: String,
    /// Who reported it (officer id), if a person did.
    pub reporter_id: Option<String>,
    /// One of [`STATUSES`].
    pub status: String,
    /// The incident an urgent report raised, if any.
    pub incident_id: Option<String>,
    /// When it was opened (unix ms).
    pub created_at: i64,
    /// When it last changed (unix ms).
    pub updated_at: i64,
}

const COLS: &str = "id, household_ref, dong, source, summary, urgency, reporter_id, status, incident_id, created_at, updated_at";

fn from_row(r: &Row) -> Case {
    Case {
        id: r.str("id"),
        household_ref: r.str("household_ref"),
        dong: r.str("dong"),
        source: r.str("source"),
        summary: r.str("summary"),
        urgency: r.str("urgency"),
        reporter_id: r.opt_str("reporter_id"),
        status: r.str("status"),
        incident_id: r.opt_str("incident_id"),
        created_at: r.int("created_at"),
        updated_at: r.int("updated_at"),
    }
}

impl Case {
    /// The case as the API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "household_ref": self.household_ref,
            "dong": self.dong,
            "source": self.source,
            "summary": self.summary,
            "urgency": self.urgency,
            "reporter_id": self.reporter_id,
            "status": self.status,
            "incident_id": self.incident_id,
            "created_at": to_rfc3339(self.created_at),
            "updated_at": to_rfc3339(self.updated_at),
        })
    }
}

/// Opens a case in the dong's queue; returns its id.
pub fn create_case(db: &Db, c: &NewCase) -> StoreResult<String> {
    if !SOURCES.contains(&c.source) || !URGENCIES.contains(&c.urgency) {
        return Err(StoreError::Internal(
            "case source or urgency out of range".into(),
        ));
    }
    let id = safetynet_wire::ids::new_id("case");
    db.exec(
        &format!("INSERT INTO cases ({COLS}) VALUES (?,?,?,?,?,?,?,'new',NULL,?,?)"),
        &[
            text(&id),
            text(c.household_ref),
            text(c.dong),
            text(c.source),
            text(c.summary),
            text(c.urgency),
            opt_text(c.reporter_id),
            int(c.now),
            int(c.now),
        ],
    )?;
    Ok(id)
}

/// Links the incident an urgent case raised.
pub fn set_incident(db: &Db, id: &str, incident_id: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE cases SET incident_id = ?, updated_at = ? WHERE id = ?",
        &[text(incident_id), int(now), text(id)],
    )?;
    Ok(())
}

/// The case with this id, if any, whatever its dong.
pub fn get(db: &Db, id: &str) -> StoreResult<Option<Case>> {
    let r = db.exec(
        &format!("SELECT {COLS} FROM cases WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| from_row(&row)))
}

/// A case within `scope`: not found, or out of scope.
pub fn get_visible(db: &Db, scope: &Scope, id: &str) -> StoreResult<Case> {
    let c = get(db, id)?.ok_or_else(|| StoreError::NotFound(format!("no case {id}")))?;
    scope.check(&c.dong)?;
    Ok(c)
}

/// One dong's queue, urgent first, then oldest; `source` narrows to scoring or officer cases.
pub fn list_for_dong(
    db: &Db,
    dong: &str,
    source: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Case>> {
    let r = db.exec(
        &format!(
            "SELECT {COLS} FROM cases WHERE dong = ?1 AND (?2 IS NULL OR source = ?2)
             ORDER BY CASE urgency WHEN 'urgent' THEN 0 WHEN 'priority' THEN 1 ELSE 2 END, created_at, id
             LIMIT ?3"
        ),
        &[text(dong), opt_text(source), int(limit)],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

// ---- Follow-up (scoring issue): cycles, scores, statuses with service/agency, dated notes. ----

/// Follow-up statuses. `new` and `contacted` are open; the others close the case.
pub const STATUSES: &[&str] = &[
    "new",
    "contacted",
    "supported",
    "linked",
    "not-eligible",
    "unreachable",
    "declined",
];
/// The statuses of a case still being followed up.
pub const OPEN_STATUSES: &[&str] = &["new", "contacted"];

/// A case's scoring origin (cycle, run, score, band) and what follow-up linked it to.
#[derive(Debug, Clone, Default)]
pub struct FollowUp {
    /// The scoring cycle that flagged it (path form, e.g. `2026-11-12`); `None` for other sources.
    pub cycle: Option<String>,
    /// The scoring run that flagged it.
    pub run_id: Option<String>,
    /// The household's crisis score in that run.
    pub score: Option<f64>,
    /// The score's band (`none`, `low`, `medium`, `high`).
    pub band: Option<String>,
    /// The service given (`supported`).
    pub service: Option<String>,
    /// The agency the household was linked to (`linked`).
    pub agency: Option<String>,
    /// When the case closed (unix ms), as the worker dated it.
    pub closed_at: Option<i64>,
}

/// The follow-up columns of a case; all `None` if there is no such case.
pub fn follow_up(db: &Db, id: &str) -> StoreResult<FollowUp> {
    let r = db.exec(
        "SELECT cycle, run_id, score, band, service, agency, closed_at FROM cases WHERE id = ?",
        &[text(id)],
    )?;
    Ok(rows(&r)
        .next()
        .map(|r| FollowUp {
            cycle: r.opt_str("cycle"),
            run_id: r.opt_str("run_id"),
            score: r.opt_real("score"),
            band: r.opt_str("band"),
            service: r.opt_str("service"),
            agency: r.opt_str("agency"),
            closed_at: r.opt_int("closed_at"),
        })
        .unwrap_or_default())
}

/// A household flagged by a scoring run.
pub struct ScoredCase<'a> {
    /// The new case's id.
    pub id: String,
    /// The household's pseudonymous id (stored as `household_ref`).
    pub household_id: &'a str,
    /// The household's dong.
    pub dong: &'a str,
    /// Its crisis score.
    pub score: f64,
    /// The score's band; `high` makes the case `priority`, others `routine`.
    pub band: &'a str,
    /// What the centre reads: the score and its main reasons.
    pub summary: String,
}

/// Opens one case per flagged household with multi-row INSERTs (call inside a transaction).
pub fn create_scoring_cases(
    db: &Db,
    cycle: &str,
    run_id: &str,
    cases: &[ScoredCase],
    now: i64,
) -> StoreResult<()> {
    for chunk in cases.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO cases (id, household_ref, dong, source, summary, urgency, status, created_at, updated_at, cycle, run_id, score, band) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 10);
        for (i, c) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { "" } else { "," });
            sql.push_str("(?,?,?,'scoring',?,?,'new',?,?,?,?,?,?)");
            let urgency = if c.band == "high" {
                "priority"
            } else {
                "routine"
            };
            params.extend([
                text(&c.id),
                text(c.household_id),
                text(c.dong),
                text(&c.summary),
                text(urgency),
                int(now),
                int(now),
                text(cycle),
                text(run_id),
                safetynet_db::opt_real(Some(c.score)),
                text(c.band),
            ]);
        }
        db.exec(&sql, &params)?;
    }
    Ok(())
}

/// Whether any case of the run has moved past `new` (then the run may not be replaced).
pub fn run_has_progress(db: &Db, run_id: &str) -> StoreResult<bool> {
    let r = db.exec(
        "SELECT 1 FROM cases WHERE run_id = ? AND status <> 'new' LIMIT 1",
        &[text(run_id)],
    )?;
    Ok(!r.rows.is_empty())
}

/// Removes the untouched cases of a replaced run.
pub fn delete_run_cases(db: &Db, run_id: &str) -> StoreResult<()> {
    db.exec(
        "DELETE FROM case_notes WHERE case_id IN (SELECT id FROM cases WHERE run_id = ?)",
        &[text(run_id)],
    )?;
    db.exec("DELETE FROM cases WHERE run_id = ?", &[text(run_id)])?;
    Ok(())
}

/// Households to leave out of a run: those with an open case (any source), and those whose
/// case in `previous_cycle` closed as supported. Returns (open, supported last cycle).
pub fn exclusions(
    db: &Db,
    previous_cycle: &str,
    except_run: Option<&str>,
) -> StoreResult<(Vec<String>, Vec<String>)> {
    let open = db.exec(
        "SELECT DISTINCT household_ref FROM cases
         WHERE status IN ('new', 'contacted') AND (?1 IS NULL OR run_id IS NULL OR run_id <> ?1)",
        &[opt_text(except_run)],
    )?;
    let supported = db.exec(
        "SELECT DISTINCT household_ref FROM cases WHERE cycle = ? AND status = 'supported'",
        &[text(previous_cycle)],
    )?;
    Ok((
        rows(&open).map(|r| r.str("household_ref")).collect(),
        rows(&supported).map(|r| r.str("household_ref")).collect(),
    ))
}

/// A status change with its note, as recorded.
pub struct Update<'a> {
    /// The new status: one of [`STATUSES`].
    pub status: &'a str,
    /// The service given, if any (kept when `None`).
    pub service: Option<&'a str>,
    /// The agency the household was linked to, if any (kept when `None`).
    pub agency: Option<&'a str>,
    /// The worker's note.
    pub note: Option<&'a str>,
    /// When it happened (the worker may record a visit afterwards).
    pub at: i64,
    /// The staff id recording it.
    pub by: &'a str,
    /// When it is recorded (unix ms).
    pub now: i64,
}

/// Records a follow-up step: sets the status (closing the case unless `new`/`contacted`) and
/// appends the note.
pub fn record(db: &Db, id: &str, u: &Update) -> StoreResult<()> {
    if !STATUSES.contains(&u.status) {
        return Err(StoreError::Internal("case status out of range".into()));
    }
    let closed = (!OPEN_STATUSES.contains(&u.status)).then_some(u.at);
    db.exec(
        "UPDATE cases SET status = ?, service = COALESCE(?, service), agency = COALESCE(?, agency),
         closed_at = ?, updated_at = ? WHERE id = ?",
        &[
            text(u.status),
            opt_text(u.service),
            opt_text(u.agency),
            safetynet_db::opt_int(closed),
            int(u.now),
            text(id),
        ],
    )?;
    db.exec(
        "INSERT INTO case_notes (case_id, at, status, service, agency, note, by_staff, recorded_at)
         VALUES (?,?,?,?,?,?,?,?)",
        &[
            text(id),
            int(u.at),
            text(u.status),
            opt_text(u.service),
            opt_text(u.agency),
            opt_text(u.note),
            text(u.by),
            int(u.now),
        ],
    )?;
    Ok(())
}

/// A case's notes, oldest first.
pub fn notes(db: &Db, id: &str) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT at, status, service, agency, note, by_staff, recorded_at FROM case_notes
         WHERE case_id = ? ORDER BY id",
        &[text(id)],
    )?;
    Ok(rows(&r)
        .map(|r| {
            json!({
                "at": to_rfc3339(r.int("at")),
                "status": r.str("status"),
                "service": r.opt_str("service"),
                "agency": r.opt_str("agency"),
                "note": r.opt_str("note"),
                "by": r.str("by_staff"),
                "recorded_at": to_rfc3339(r.int("recorded_at")),
            })
        })
        .collect())
}

/// Cases within `scope`, optionally of one dong, cycle, status or source.
pub fn list(
    db: &Db,
    scope: &Scope,
    dong: Option<&str>,
    cycle: Option<&str>,
    status: Option<&str>,
    source: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Case>> {
    let dong = match scope.filter(dong) {
        DongFilter::Empty => return Ok(Vec::new()),
        DongFilter::Only(d) => Some(d),
        DongFilter::Any => None,
    };
    let r = db.exec(
        &format!(
            "SELECT {COLS} FROM cases WHERE (?1 IS NULL OR dong = ?1) AND (?2 IS NULL OR cycle = ?2)
             AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR source = ?4)
             ORDER BY CASE urgency WHEN 'urgent' THEN 0 WHEN 'priority' THEN 1 ELSE 2 END, created_at, id
             LIMIT ?5"
        ),
        &[opt_text(dong), opt_text(cycle), opt_text(status), opt_text(source), int(limit)],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

/// Per dong for a cycle's scoring cases: counts by status.
pub fn cycle_counts(db: &Db, cycle: &str) -> StoreResult<Vec<(String, String, i64)>> {
    let r = db.exec(
        "SELECT dong, status, COUNT(*) AS n FROM cases WHERE cycle = ? AND source = 'scoring'
         GROUP BY dong, status ORDER BY dong, status",
        &[text(cycle)],
    )?;
    Ok(rows(&r)
        .map(|r| (r.str("dong"), r.str("status"), r.int("n")))
        .collect())
}

/// Cases a person reported (an officer's crisis reports), newest first.
pub fn list_by_reporter(db: &Db, reporter_id: &str) -> StoreResult<Vec<Case>> {
    let r = db.exec(
        &format!("SELECT {COLS} FROM cases WHERE reporter_id = ? ORDER BY created_at DESC, id"),
        &[text(reporter_id)],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

/// How many cases a person reported (an officer's crisis reports), ever.
pub fn count_by_reporter(db: &Db, reporter_id: &str) -> StoreResult<i64> {
    let r = db.exec(
        "SELECT COUNT(*) AS n FROM cases WHERE reporter_id = ?",
        &[text(reporter_id)],
    )?;
    Ok(rows(&r).next().map_or(0, |row| row.int("n")))
}

/// Reports per reporter created in [from, to) (unix ms), for the year's award candidates.
pub fn reporter_counts(db: &Db, from: i64, to: i64) -> StoreResult<Vec<(String, i64)>> {
    let r = db.exec(
        "SELECT reporter_id, COUNT(*) AS n FROM cases WHERE reporter_id IS NOT NULL AND created_at >= ? AND created_at < ?
         GROUP BY reporter_id",
        &[int(from), int(to)],
    )?;
    Ok(rows(&r)
        .map(|row| (row.str("reporter_id"), row.int("n")))
        .collect())
}
