//! The access log: every read of a person's record by a person — a resident, an incident, a
//! crisis case, an officer — with who read it, in which role, and whether it was allowed. A read
//! outside the reader's dong is refused and the attempt is logged too. Rows are only ever added
//! (the table's triggers refuse updates and deletes).

use safetynet_db::{Db, StoreError, StoreResult, int, opt_text, rows, text};
use safetynet_http::ApiResult;
use safetynet_vocabulary::wit_enum;
use serde_json::{Value, json};

use crate::Staff;

wit_enum! {
    /// What kind of record was read.
    Subject, "subject" {
        /// A resident's record (details, devices, contacts, changes).
        Resident = "resident",
        /// An incident's detail (the resident's summary for responders, the timeline).
        Incident = "incident",
        /// A crisis-household case or an officer's crisis report.
        Case = "case",
        /// An honorary welfare officer's record.
        Officer = "officer",
        /// A list of residents (names, dongs); the id is the dong asked for, or `*`.
        ResidentList = "resident-list",
        /// A list of crisis-household cases; the id is the dong asked for, or `*`.
        CaseList = "case-list",
    }
}

wit_enum! {
    /// Whether a read was allowed.
    Outcome, "outcome" {
        /// Shown to the reader.
        Read = "read",
        /// Refused: the record lies outside the reader's scope, or their role may not read it.
        Denied = "denied",
    }
}

/// Appends one row.
pub fn record(
    db: &Db,
    staff: &Staff,
    subject: Subject,
    id: &str,
    dong: Option<&str>,
    outcome: Outcome,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "INSERT INTO access_log (at, staff_id, role, subject, subject_id, dong, outcome) VALUES (?,?,?,?,?,?,?)",
        &[
            int(now),
            text(&staff.id),
            text(staff.role.as_str()),
            text(subject.as_str()),
            text(id),
            opt_text(dong),
            text(outcome.as_str()),
        ],
    )?;
    Ok(())
}

/// Lets `staff` go on to read a `subject` only in one of `roles` (admins always): someone in
/// another role is refused (403) and the attempt logged, as one outside their dong is. `id` is
/// the record asked for (for a list, the dong asked for, or `*`).
pub fn require_role(
    db: &Db,
    staff: &Staff,
    roles: &[crate::Role],
    subject: Subject,
    id: &str,
) -> ApiResult<()> {
    let Err(refusal) = staff.require(roles) else {
        return Ok(());
    };
    record(
        db,
        staff,
        subject,
        id,
        None,
        Outcome::Denied,
        safetynet_wire::time::now_ms(),
    )?;
    eprintln!(
        "access denied staff={} role={} subject={}/{id} reason=role",
        staff.id,
        staff.role,
        subject.as_str()
    );
    Err(refusal)
}

/// Logs a list read: one row for the page, naming the dong asked for (`*` for all the reader
/// may see), rather than one per person on it. Asking for a dong outside the reader's scope is
/// refused (403) and the attempt logged.
pub fn check_list(db: &Db, staff: &Staff, subject: Subject, dong: Option<&str>) -> ApiResult<()> {
    let allowed = dong.is_none_or(|d| staff.scope().sees(d));
    decide(db, staff, subject, dong.unwrap_or("*"), dong, allowed)
}

/// Lets `staff` read a record of `dong` if it is within their scope, logging the read; otherwise
/// logs the attempt and answers 403.
pub fn check_read(db: &Db, staff: &Staff, subject: Subject, id: &str, dong: &str) -> ApiResult<()> {
    decide(db, staff, subject, id, Some(dong), staff.scope().sees(dong))
}

/// Logs the read or the refused attempt, and answers accordingly.
fn decide(
    db: &Db,
    staff: &Staff,
    subject: Subject,
    id: &str,
    dong: Option<&str>,
    allowed: bool,
) -> ApiResult<()> {
    let outcome = if allowed {
        Outcome::Read
    } else {
        Outcome::Denied
    };
    let logged = record(
        db,
        staff,
        subject,
        id,
        dong,
        outcome,
        safetynet_wire::time::now_ms(),
    );
    if allowed {
        // A dispatcher's read must not fail because the log could not be written (a busy
        // database during an emergency); the read is then logged here instead, by ids.
        if let Err(e) = logged {
            eprintln!(
                "access log unwritten staff={} role={} subject={}/{id} outcome=read error={e}",
                staff.id,
                staff.role,
                subject.as_str()
            );
        }
        Ok(())
    } else {
        logged?;
        eprintln!(
            "access denied staff={} role={} subject={}/{id}",
            staff.id,
            staff.role,
            subject.as_str()
        );
        Err(StoreError::OutOfScope.into())
    }
}

/// What an admin asks of the log; every field narrows.
#[derive(Debug, Default)]
pub struct Query {
    /// One kind of record.
    pub subject: Option<String>,
    /// One record (with `subject`).
    pub subject_id: Option<String>,
    /// One reader.
    pub staff_id: Option<String>,
    /// Only reads, or only refused attempts.
    pub outcome: Option<String>,
    /// At most this many rows, newest first.
    pub limit: i64,
}

/// The log's rows matching `q`, newest first.
pub fn query(db: &Db, q: &Query) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT at, staff_id, role, subject, subject_id, dong, outcome FROM access_log
         WHERE (?1 IS NULL OR subject = ?1) AND (?2 IS NULL OR subject_id = ?2)
           AND (?3 IS NULL OR staff_id = ?3) AND (?4 IS NULL OR outcome = ?4)
         ORDER BY id DESC LIMIT ?5",
        &[
            opt_text(q.subject.as_deref()),
            opt_text(q.subject_id.as_deref()),
            opt_text(q.staff_id.as_deref()),
            opt_text(q.outcome.as_deref()),
            int(q.limit),
        ],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "at": safetynet_wire::time::to_rfc3339(row.int("at")),
                "staff_id": row.str("staff_id"),
                "role": row.str("role"),
                "subject": row.str("subject"),
                "subject_id": row.str("subject_id"),
                "dong": row.opt_str("dong"),
                "outcome": row.str("outcome"),
            })
        })
        .collect())
}
