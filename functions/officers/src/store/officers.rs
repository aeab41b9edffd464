//! Owner of `officer_applications`, `officers`, `officer_badges` and `officer_audit`: citizens'
//! applications to serve as honorary social welfare officers, the officers the support centre
//! appoints from them, the badges they earn, and the audit trail of every decision.
//!
//! At most one live (pending or approved) application per phone number, enforced by a partial
//! UNIQUE index so two racing submissions cannot both land; `phone_digits` holds a keyed hash
//! of the number's digits, and the phone and address are sealed at rest. The applicant's reference code is
//! stored only as a hash: it works like a password for the status page.

use serde_json::{Value, json};

use safetynet_db::{Db, Row, int, opt_text, rows, text};
use safetynet_db::{StoreError, StoreResult};
use safetynet_wire::time::to_rfc3339;

pub struct NewApplication<'a> {
    pub id: &'a str,
    pub reference_hash: &'a str,
    pub name: &'a str,
    pub birth_year: i64,
    pub phone: &'a str,
    pub phone_digits: &'a str,
    pub address: &'a str,
    pub dong: &'a str,
    pub activity_areas: &'a [String],
    pub motivation: &'a str,
    pub volunteer_portal_id: Option<&'a str>,
    pub consent_version: &'a str,
    pub now: i64,
}

#[derive(Debug, Clone)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub birth_year: i64,
    pub phone: String,
    pub address: String,
    pub dong: String,
    pub activity_areas: Vec<String>,
    pub motivation: String,
    pub volunteer_portal_id: Option<String>,
    pub consent_version: String,
    pub consented_at: i64,
    pub state: String,
    pub submitted_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub officer_id: Option<String>,
}

const APP_COLS: &str = "id, name, birth_year, phone, address, dong, activity_areas, motivation, volunteer_portal_id, consent_version, consented_at, state, submitted_at, decided_at, decided_by, reason, officer_id";

fn app_from(db: &Db, r: &Row) -> Application {
    Application {
        id: r.str("id"),
        name: r.str("name"),
        birth_year: r.int("birth_year"),
        phone: db.unsealed("officer_applications.phone", r.str("phone")),
        address: db.unsealed("officer_applications.address", r.str("address")),
        dong: r.str("dong"),
        activity_areas: serde_json::from_str(&r.str("activity_areas")).unwrap_or_default(),
        motivation: r.str("motivation"),
        volunteer_portal_id: r.opt_str("volunteer_portal_id"),
        consent_version: r.str("consent_version"),
        consented_at: r.int("consented_at"),
        state: r.str("state"),
        submitted_at: r.int("submitted_at"),
        decided_at: r.opt_int("decided_at"),
        decided_by: r.opt_str("decided_by"),
        reason: r.opt_str("reason"),
        officer_id: r.opt_str("officer_id"),
    }
}

impl Application {
    /// The support centre's view (personal details included).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "birth_year": self.birth_year,
            "phone": self.phone,
            "address": self.address,
            "dong": self.dong,
            "activity_areas": self.activity_areas,
            "motivation": self.motivation,
            "volunteer_portal_id": self.volunteer_portal_id,
            "consent": {"version": self.consent_version, "given_at": to_rfc3339(self.consented_at)},
            "state": self.state,
            "submitted_at": to_rfc3339(self.submitted_at),
            "decided_at": self.decided_at.map(to_rfc3339),
            "decided_by": self.decided_by,
            "reason": self.reason,
            "officer_id": self.officer_id,
        })
    }
}

/// Deletes up to `limit` applications rejected before `before` (their personal details with
/// them; the audit trail keeps only their ids); returns how many went.
pub fn purge_rejected(db: &Db, before: i64, limit: i64) -> StoreResult<u64> {
    db.exec(
        "DELETE FROM officer_applications WHERE rowid IN (
             SELECT rowid FROM officer_applications
              WHERE state = 'rejected' AND decided_at < ? LIMIT ?)",
        &[int(before), int(limit)],
    )?;
    Ok(db.changes())
}

/// Whether a live (pending or approved) application holds this phone number.
pub fn live_phone_exists(db: &Db, phone_digits: &str) -> StoreResult<bool> {
    let r = db.exec(
        "SELECT 1 FROM officer_applications WHERE phone_digits = ? AND state IN ('pending', 'approved')",
        &[text(db.lookup_hash("phone", phone_digits)?)],
    )?;
    Ok(!r.rows.is_empty())
}

pub fn insert_application(db: &Db, a: &NewApplication) -> StoreResult<()> {
    db.exec(
        "INSERT INTO officer_applications (id, reference_hash, name, birth_year, phone, phone_digits, address, dong,
            activity_areas, motivation, volunteer_portal_id, consent_version, consented_at, state, submitted_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'pending',?)",
        &[
            text(a.id),
            text(a.reference_hash),
            text(a.name),
            int(a.birth_year),
            db.sealed("officer_applications.phone", a.phone)?,
            text(db.lookup_hash("phone", a.phone_digits)?),
            db.sealed("officer_applications.address", a.address)?,
            text(a.dong),
            text(json!(a.activity_areas).to_string()),
            text(a.motivation),
            opt_text(a.volunteer_portal_id),
            text(a.consent_version),
            int(a.now),
            int(a.now),
        ],
    )?;
    Ok(())
}

pub fn application(db: &Db, id: &str) -> StoreResult<Option<Application>> {
    let r = db.exec(
        &format!("SELECT {APP_COLS} FROM officer_applications WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| app_from(db, &row)))
}

pub fn application_by_reference(db: &Db, reference_hash: &str) -> StoreResult<Option<Application>> {
    let r = db.exec(
        &format!("SELECT {APP_COLS} FROM officer_applications WHERE reference_hash = ?"),
        &[text(reference_hash)],
    )?;
    Ok(rows(&r).next().map(|row| app_from(db, &row)))
}

pub fn list_applications(
    db: &Db,
    state: Option<&str>,
    dong: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Application>> {
    let r = db.exec(
        &format!(
            "SELECT {APP_COLS} FROM officer_applications
             WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR dong = ?2)
             ORDER BY submitted_at, id LIMIT ?3"
        ),
        &[opt_text(state), opt_text(dong), int(limit)],
    )?;
    Ok(rows(&r).map(|row| app_from(db, &row)).collect())
}

/// Marks a pending application decided; 409 if someone decided it first.
pub fn decide(
    db: &Db,
    id: &str,
    state: &str,
    actor: &str,
    reason: Option<&str>,
    officer_id: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "UPDATE officer_applications SET state = ?, decided_at = ?, decided_by = ?, reason = ?, officer_id = ?
         WHERE id = ? AND state = 'pending'",
        &[text(state), int(now), text(actor), opt_text(reason), opt_text(officer_id), text(id)],
    )?;
    if db.changes() == 0 {
        return Err(StoreError::conflict(format!(
            "application {id} is no longer pending"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Officer {
    pub id: String,
    pub application_id: String,
    pub officer_number: String,
    pub name: String,
    pub birth_year: i64,
    pub phone: String,
    pub address: String,
    pub dong: String,
    pub volunteer_portal_id: Option<String>,
    pub state: String,
    pub appointed_at: i64,
}

const OFFICER_COLS: &str = "id, application_id, officer_number, name, birth_year, phone, address, dong, volunteer_portal_id, state, appointed_at";

fn officer_from(db: &Db, r: &Row) -> Officer {
    Officer {
        id: r.str("id"),
        application_id: r.str("application_id"),
        officer_number: r.str("officer_number"),
        name: r.str("name"),
        birth_year: r.int("birth_year"),
        phone: db.unsealed("officers.phone", r.str("phone")),
        address: db.unsealed("officers.address", r.str("address")),
        dong: r.str("dong"),
        volunteer_portal_id: r.opt_str("volunteer_portal_id"),
        state: r.str("state"),
        appointed_at: r.int("appointed_at"),
    }
}

impl Officer {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "officer_number": self.officer_number,
            "name": self.name,
            "birth_year": self.birth_year,
            "phone": self.phone,
            "address": self.address,
            "dong": self.dong,
            "volunteer_portal_id": self.volunteer_portal_id,
            "state": self.state,
            "appointed_at": to_rfc3339(self.appointed_at),
            "application_id": self.application_id,
        })
    }
}

pub fn officer_number_taken(db: &Db, number: &str) -> StoreResult<bool> {
    let r = db.exec(
        "SELECT 1 FROM officers WHERE officer_number = ?",
        &[text(number)],
    )?;
    Ok(!r.rows.is_empty())
}

pub fn insert_officer(db: &Db, o: &Officer, appointed_by: &str) -> StoreResult<()> {
    db.exec(
        &format!(
            "INSERT INTO officers ({OFFICER_COLS}, appointed_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
        ),
        &[
            text(&o.id),
            text(&o.application_id),
            text(&o.officer_number),
            text(&o.name),
            int(o.birth_year),
            db.sealed("officers.phone", &o.phone)?,
            db.sealed("officers.address", &o.address)?,
            text(&o.dong),
            opt_text(o.volunteer_portal_id.as_deref()),
            text(&o.state),
            int(o.appointed_at),
            text(appointed_by),
        ],
    )?;
    Ok(())
}

pub fn officer(db: &Db, id: &str) -> StoreResult<Option<Officer>> {
    let r = db.exec(
        &format!("SELECT {OFFICER_COLS} FROM officers WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| officer_from(db, &row)))
}

pub fn list_officers(db: &Db, dong: Option<&str>) -> StoreResult<Vec<Officer>> {
    let r = db.exec(
        &format!(
            "SELECT {OFFICER_COLS} FROM officers WHERE (?1 IS NULL OR dong = ?1) ORDER BY officer_number"
        ),
        &[opt_text(dong)],
    )?;
    Ok(rows(&r).map(|row| officer_from(db, &row)).collect())
}

/// Active officers per assigned dong, and pending applications per dong, for recruitment stats.
pub fn recruitment_counts(db: &Db) -> StoreResult<Vec<(String, i64, i64)>> {
    let r = db.exec(
        "SELECT dong, SUM(officers) AS officers, SUM(pending) AS pending FROM (
            SELECT dong, COUNT(*) AS officers, 0 AS pending FROM officers WHERE state = 'active' GROUP BY dong
            UNION ALL
            SELECT dong, 0, COUNT(*) FROM officer_applications WHERE state = 'pending' GROUP BY dong
         ) GROUP BY dong ORDER BY dong",
        &[],
    )?;
    Ok(rows(&r)
        .map(|row| (row.str("dong"), row.int("officers"), row.int("pending")))
        .collect())
}

pub struct NewBadge<'a> {
    pub id: &'a str,
    pub metric: &'a str,
    pub threshold: u32,
    pub name_ko: &'a str,
    pub name_en: &'a str,
}

/// Stores a badge unless the officer has it already; true when it is new.
pub fn award_badge(db: &Db, officer_id: &str, b: &NewBadge, now: i64) -> StoreResult<bool> {
    db.exec(
        "INSERT OR IGNORE INTO officer_badges (officer_id, badge_id, metric, threshold, name_ko, name_en, awarded_at)
         VALUES (?,?,?,?,?,?,?)",
        &[
            text(officer_id),
            text(b.id),
            text(b.metric),
            int(b.threshold as i64),
            text(b.name_ko),
            text(b.name_en),
            int(now),
        ],
    )?;
    Ok(db.changes() > 0)
}

pub fn badges_of(db: &Db, officer_id: &str) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT badge_id, metric, threshold, name_ko, name_en, awarded_at FROM officer_badges
         WHERE officer_id = ? ORDER BY awarded_at, metric, threshold",
        &[text(officer_id)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "id": row.str("badge_id"),
                "metric": row.str("metric"),
                "threshold": row.int("threshold"),
                "name_ko": row.str("name_ko"),
                "name_en": row.str("name_en"),
                "awarded_at": to_rfc3339(row.int("awarded_at")),
            })
        })
        .collect())
}

/// One audited action on `subject` (`application/<id>`, `officer/<id>`, `activity/<id>`…).
pub fn audit(
    db: &Db,
    actor: &str,
    action: &str,
    subject: &str,
    note: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "INSERT INTO officer_audit (at, actor, action, subject, note) VALUES (?,?,?,?,?)",
        &[
            int(now),
            text(actor),
            text(action),
            text(subject),
            opt_text(note),
        ],
    )?;
    Ok(())
}

pub fn audit_of(db: &Db, subject: &str) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT at, actor, action, note FROM officer_audit WHERE subject = ? ORDER BY id",
        &[text(subject)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "at": to_rfc3339(row.int("at")),
                "actor": row.str("actor"),
                "action": row.str("action"),
                "note": row.opt_str("note"),
            })
        })
        .collect())
}
