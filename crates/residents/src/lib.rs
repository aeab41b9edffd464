//! Residents, their contacts and devices, enrolment status and change history: the directory
//! every function reads; the `registry` function writes it. Welfare centres are in [`centres`].
#![cfg(target_arch = "wasm32")]

pub mod centres;

use serde_json::{Value, json};

use safetynet_db::{Db, int, opt_int, opt_text, rows, text};
use safetynet_db::{DongFilter, Scope};
use safetynet_db::{StoreError, StoreResult};

/// The kinds of device a resident may have (`devices.kind`).
pub const DEVICE_KINDS: &[&str] = &[
    "ai-speaker",
    "gateway",
    "pendant",
    "fire",
    "smoke",
    "gas",
    "activity",
    "door",
];

/// How a device reaches the suite: signed HTTP, MQTT or SIA DC-09 (the last two via the bridge).
pub const PROTOCOLS: &[&str] = &["http", "mqtt", "dc09"];

/// An enrolled resident (a `residents` row, without its enrolment status).
#[derive(Debug, Clone)]
pub struct Resident {
    /// The resident's id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Year of birth, if known.
    pub birth_year: Option<i64>,
    /// The resident's own phone, if any.
    pub phone: Option<String>,
    /// Street address, for responders.
    pub address: String,
    /// The dong (neighbourhood) whose welfare centre looks after them; scopes who sees them.
    pub dong: String,
    /// Latitude of the home, if known.
    pub latitude: Option<f64>,
    /// Longitude of the home, if known.
    pub longitude: Option<f64>,
    /// Why they are enrolled: an [`safetynet_vocabulary::Eligibility`] name.
    pub eligibility: String,
    /// When the enrolment ends (unix ms); `None` open-ended.
    pub eligibility_until: Option<i64>,
    /// Notes for responders (conditions, medication).
    pub medical_notes: Option<String>,
    /// Minutes without a sign of activity before the tick opens an inactivity incident.
    pub inactivity_threshold_minutes: i64,
    /// The last event that showed activity (unix ms); moved by the `device_events_touch` trigger.
    pub last_activity_at: Option<i64>,
    /// When the resident was enrolled (unix ms).
    pub created_at: i64,
}

/// A person to call for a resident (a `contacts` row).
#[derive(Debug, Clone)]
pub struct Contact {
    /// The contact's id; kept across edits so notifications addressed to it still reach it.
    pub id: String,
    /// The resident they are a contact for.
    pub resident_id: String,
    /// Their name.
    pub name: String,
    /// Their phone number.
    pub phone: String,
    /// How they relate to the resident (e.g. daughter, neighbour).
    pub relation: String,
    /// Calling order: 1 first.
    pub priority: i64,
}

/// A resident's device (a `devices` row).
#[derive(Debug, Clone)]
pub struct Device {
    /// The device's id, as it names itself in events.
    pub id: String,
    /// The resident it watches over.
    pub resident_id: String,
    /// One of [`DEVICE_KINDS`].
    pub kind: String,
    /// One of [`PROTOCOLS`].
    pub protocol: String,
    /// The SIA DC-09 account number, for a `dc09` device; unique among devices.
    pub dc09_account: Option<String>,
    /// The device's secret, encrypted at rest (`safetynet_secrets::seal`).
    pub secret_sealed: String,
    /// Expected heartbeat period in seconds; `None` is not supervised for going offline.
    pub heartbeat_interval_s: Option<i64>,
    /// When it last sent any event (unix ms).
    pub last_seen_at: Option<i64>,
    /// When it last sent a heartbeat (unix ms).
    pub last_heartbeat_at: Option<i64>,
    /// When it was registered (unix ms).
    pub created_at: i64,
    /// The minute (unix ms / 60 000) of its latest events; loaded only with its owner.
    pub events_minute: Option<i64>,
    /// How many events it sent in that minute.
    pub events_in_minute: i64,
}

impl Device {
    /// Events it has sent in `minute` (unix ms / 60 000).
    pub fn events_in(&self, minute: i64) -> i64 {
        if self.events_minute == Some(minute) {
            self.events_in_minute
        } else {
            0
        }
    }
}

// Column lists as macros, so that queries can be put together at compile time (`concat!`).
// `resident_columns!(list;)` gives "a, b"; `resident_columns!(aliased; "t", "p_":)` gives
// "t.a AS p_a, t.b AS p_b, " (each followed by a comma, for the columns that come after).
macro_rules! list {
    ($first:ident $(, $c:ident)*) => { concat!(stringify!($first) $(, ", ", stringify!($c))*) };
}
macro_rules! aliased {
    ($t:literal, $p:literal: $($c:ident),*) => {
        concat!($($t, ".", stringify!($c), " AS ", $p, stringify!($c), ", ",)*)
    };
}
macro_rules! resident_columns {
    ($m:ident; $($pre:tt)*) => {
        $m!($($pre)* id, name, birth_year, phone, address, dong, latitude, longitude, eligibility,
            eligibility_until, medical_notes, inactivity_threshold_minutes, last_activity_at,
            created_at)
    };
}
macro_rules! device_columns {
    ($m:ident; $($pre:tt)*) => {
        $m!($($pre)* id, resident_id, kind, protocol, dc09_account, secret_sealed,
            heartbeat_interval_s, last_seen_at, last_heartbeat_at, created_at)
    };
}
const RESIDENT_COLS: &str = resident_columns!(list;);
const DEVICE_COLS: &str = device_columns!(list;);

/// A resident row, its personal details opened (phone, address, the home's coordinates and
/// medical notes are sealed at rest).
fn resident_from(db: &Db, r: &safetynet_db::Row) -> Resident {
    let open = |col: &str, v: String| db.unsealed(col, v);
    Resident {
        id: r.str("id"),
        name: r.str("name"),
        birth_year: r.opt_int("birth_year"),
        phone: r.opt_str("phone").map(|v| open("residents.phone", v)),
        address: open("residents.address", r.str("address")),
        dong: r.str("dong"),
        latitude: coordinate(db, r, "latitude"),
        longitude: coordinate(db, r, "longitude"),
        eligibility: r.str("eligibility"),
        eligibility_until: r.opt_int("eligibility_until"),
        medical_notes: r
            .opt_str("medical_notes")
            .map(|v| open("residents.medical_notes", v)),
        inactivity_threshold_minutes: r.int("inactivity_threshold_minutes"),
        last_activity_at: r.opt_int("last_activity_at"),
        created_at: r.int("created_at"),
    }
}

/// A home's coordinate: sealed text in its REAL column (a number stored before sealing reads
/// as it is).
fn coordinate(db: &Db, r: &safetynet_db::Row, col: &str) -> Option<f64> {
    let v = r.as_text(col)?;
    db.unsealed(&format!("residents.{col}"), v).parse().ok()
}

fn device_from(r: &safetynet_db::Row) -> Device {
    Device {
        // Selected first where they are selected at all (with the owner).
        events_minute: r.opt_int("events_minute"),
        events_in_minute: r.int("events_in_minute"),
        id: r.str("id"),
        resident_id: r.str("resident_id"),
        kind: r.str("kind"),
        protocol: r.str("protocol"),
        dc09_account: r.opt_str("dc09_account"),
        secret_sealed: r.str("secret_sealed"),
        heartbeat_interval_s: r.opt_int("heartbeat_interval_s"),
        last_seen_at: r.opt_int("last_seen_at"),
        last_heartbeat_at: r.opt_int("last_heartbeat_at"),
        created_at: r.int("created_at"),
    }
}

impl Resident {
    /// The full record, for staff who may see it.
    pub fn to_json(&self, contacts: &[Contact]) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "birth_year": self.birth_year,
            "phone": self.phone,
            "address": self.address,
            "dong": self.dong,
            "location": match (self.latitude, self.longitude) {
                (Some(lat), Some(lon)) => json!({"lat": lat, "lon": lon}),
                _ => Value::Null,
            },
            "eligibility": self.eligibility,
            "eligibility_until": self.eligibility_until.map(safetynet_wire::time::to_rfc3339),
            "medical_notes": self.medical_notes,
            "inactivity_threshold_minutes": self.inactivity_threshold_minutes,
            "last_activity_at": self.last_activity_at.map(safetynet_wire::time::to_rfc3339),
            "created_at": safetynet_wire::time::to_rfc3339(self.created_at),
            "contacts": contacts.iter().map(Contact::to_json).collect::<Vec<_>>(),
        })
    }
}

impl Contact {
    /// The contact as the API shows it (without its resident id).
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "phone": self.phone, "relation": self.relation, "priority": self.priority})
    }
}

impl Device {
    /// The device as the API shows it (never its secret).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "resident_id": self.resident_id,
            "kind": self.kind,
            "protocol": self.protocol,
            "dc09_account": self.dc09_account,
            "heartbeat_interval_s": self.heartbeat_interval_s,
            "last_seen_at": self.last_seen_at.map(safetynet_wire::time::to_rfc3339),
            "last_heartbeat_at": self.last_heartbeat_at.map(safetynet_wire::time::to_rfc3339),
            "created_at": safetynet_wire::time::to_rfc3339(self.created_at),
        })
    }
}

/// Stores a new resident and their contacts (`residents`, `contacts`).
pub fn insert_resident(db: &Db, r: &Resident, contacts: &[Contact]) -> StoreResult<()> {
    db.exec(
        &format!("INSERT INTO residents ({RESIDENT_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
        &[
            text(&r.id),
            text(&r.name),
            opt_int(r.birth_year),
            db.opt_sealed("residents.phone", r.phone.as_deref())?,
            db.sealed("residents.address", &r.address)?,
            text(&r.dong),
            db.opt_sealed(
                "residents.latitude",
                r.latitude.map(|x| x.to_string()).as_deref(),
            )?,
            db.opt_sealed(
                "residents.longitude",
                r.longitude.map(|x| x.to_string()).as_deref(),
            )?,
            text(&r.eligibility),
            opt_int(r.eligibility_until),
            db.opt_sealed("residents.medical_notes", r.medical_notes.as_deref())?,
            int(r.inactivity_threshold_minutes),
            opt_int(r.last_activity_at),
            int(r.created_at),
        ],
    )?;
    insert_contacts(db, &r.id, contacts)
}

fn insert_contacts(db: &Db, resident_id: &str, contacts: &[Contact]) -> StoreResult<()> {
    for c in contacts {
        db.exec(
            "INSERT INTO contacts (id, resident_id, name, phone, relation, priority) VALUES (?,?,?,?,?,?)",
            &[
                text(&c.id),
                text(resident_id),
                text(&c.name),
                db.sealed("contacts.phone", &c.phone)?,
                text(&c.relation),
                int(c.priority),
            ],
        )?;
    }
    Ok(())
}

/// Makes `contacts` the resident's whole list: a contact keeps its id (so steps already
/// addressed to it still reach it), others are added, and the ones not listed are removed.
pub fn replace_contacts(db: &Db, resident_id: &str, contacts: &[Contact]) -> StoreResult<()> {
    db.exec(
        "DELETE FROM contacts WHERE resident_id = ?",
        &[text(resident_id)],
    )?;
    insert_contacts(db, resident_id, contacts)
}

/// The resident with this id, if any (whatever their status and dong).
pub fn get_resident(db: &Db, id: &str) -> StoreResult<Option<Resident>> {
    let r = db.exec(
        &format!("SELECT {RESIDENT_COLS} FROM residents WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| resident_from(db, &row)))
}

/// Residents within `scope`, optionally in one dong.
pub fn list_residents(db: &Db, scope: &Scope, dong: Option<&str>) -> StoreResult<Vec<Resident>> {
    let r = match scope.filter(dong) {
        DongFilter::Empty => return Ok(Vec::new()),
        DongFilter::Only(d) => db.exec(
            &format!("SELECT {RESIDENT_COLS} FROM residents WHERE dong = ? ORDER BY created_at"),
            &[text(d)],
        )?,
        DongFilter::Any => db.exec(
            &format!("SELECT {RESIDENT_COLS} FROM residents ORDER BY created_at"),
            &[],
        )?,
    };
    Ok(rows(&r).map(|row| resident_from(db, &row)).collect())
}

/// A resident's contacts, by priority (1 first), then id.
pub fn contacts_of(db: &Db, resident_id: &str) -> StoreResult<Vec<Contact>> {
    let r = db.exec(
        "SELECT id, resident_id, name, phone, relation, priority FROM contacts WHERE resident_id = ? ORDER BY priority, id",
        &[text(resident_id)],
    )?;
    Ok(rows(&r)
        .map(|row| Contact {
            id: row.str("id"),
            resident_id: row.str("resident_id"),
            name: row.str("name"),
            phone: db.unsealed("contacts.phone", row.str("phone")),
            relation: row.str("relation"),
            priority: row.int("priority"),
        })
        .collect())
}

/// Registers a device (`devices`); a conflict on `dc09_account` if another device has that account.
pub fn insert_device(db: &Db, d: &Device) -> StoreResult<()> {
    if let Some(acct) = &d.dc09_account {
        let r = db.exec(
            "SELECT id FROM devices WHERE dc09_account = ?",
            &[text(acct)],
        )?;
        if !r.rows.is_empty() {
            // A clash with a stored record, not a malformed field: 409, still naming the field.
            return Err(StoreError::conflict_on(
                "dc09_account",
                "dc09_account: already assigned to another device",
            ));
        }
    }
    db.exec(
        &format!("INSERT INTO devices ({DEVICE_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)"),
        &[
            text(&d.id),
            text(&d.resident_id),
            text(&d.kind),
            text(&d.protocol),
            opt_text(d.dc09_account.clone()),
            text(&d.secret_sealed),
            opt_int(d.heartbeat_interval_s),
            opt_int(d.last_seen_at),
            opt_int(d.last_heartbeat_at),
            int(d.created_at),
        ],
    )?;
    Ok(())
}

/// The device with this id, if any (retired ones included).
pub fn get_device(db: &Db, id: &str) -> StoreResult<Option<Device>> {
    let r = db.exec(
        &format!("SELECT {DEVICE_COLS} FROM devices WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|row| device_from(&row)))
}

/// [`device_with_owner`]'s query, put together at compile time: it runs on every device event,
/// and formatting it at run time cost more than the rest of the function.
const DEVICE_WITH_OWNER: &str = concat!(
    "SELECT d.events_minute AS d_events_minute, d.events_in_minute AS d_events_in_minute, ",
    device_columns!(aliased; "d", "d_":),
    resident_columns!(aliased; "r", "r_":),
    "(SELECT json_group_array(json_array(c.id, c.name, c.phone, c.relation, c.priority))
       FROM contacts c WHERE c.resident_id = r.id) AS contacts_json
     FROM devices d JOIN residents r ON r.id = d.resident_id
     WHERE d.id = ? AND d.retired_at IS NULL"
);

/// A device with its resident and the resident's contacts, in one query: the webhook needs all
/// three for every event, and each query is a host call.
pub fn device_with_owner(
    db: &Db,
    id: &str,
) -> StoreResult<Option<(Device, Resident, Vec<Contact>)>> {
    let r = db.exec(DEVICE_WITH_OWNER, &[text(id)])?;
    let Some(row) = rows(&r).next() else {
        return Ok(None);
    };
    let device = device_from(&row.prefixed("d_"));
    let resident = resident_from(db, &row.prefixed("r_"));
    let listed: Vec<(String, String, String, String, i64)> =
        serde_json::from_str(&row.str("contacts_json"))
            .map_err(|e| StoreError::Internal(format!("contacts of {}: {e}", resident.id)))?;
    let mut contacts: Vec<Contact> = listed
        .into_iter()
        .map(|(id, name, phone, relation, priority)| Contact {
            id,
            resident_id: resident.id.clone(),
            name,
            phone: db.unsealed("contacts.phone", phone),
            relation,
            priority,
        })
        .collect();
    // json_group_array does not promise an order; contacts_of's order is the contract.
    contacts.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
    Ok(Some((device, resident, contacts)))
}

/// Stores a DC-09 gateway's AES key, sealed by the caller.
pub fn set_dc09_key(db: &Db, device_id: &str, sealed: &str) -> StoreResult<()> {
    db.exec(
        "UPDATE devices SET dc09_key_sealed = ? WHERE id = ?",
        &[text(sealed), text(device_id)],
    )?;
    Ok(())
}

/// What the device bridge serves: every device that is not retired and reaches the suite
/// through it (MQTT or DC-09), with its sealed DC-09 key if it has one, by id.
pub fn bridge_devices(db: &Db) -> StoreResult<Vec<(Device, Option<String>)>> {
    let r = db.exec(
        &format!(
            "SELECT {DEVICE_COLS}, dc09_key_sealed FROM devices
             WHERE retired_at IS NULL AND protocol IN ('mqtt', 'dc09') ORDER BY id"
        ),
        &[],
    )?;
    Ok(rows(&r)
        .map(|row| (device_from(&row), row.opt_str("dc09_key_sealed")))
        .collect())
}

/// A resident's devices, retired ones included, oldest first.
pub fn devices_of(db: &Db, resident_id: &str) -> StoreResult<Vec<Device>> {
    let r = db.exec(
        &format!("SELECT {DEVICE_COLS} FROM devices WHERE resident_id = ? ORDER BY created_at"),
        &[text(resident_id)],
    )?;
    Ok(rows(&r).map(|row| device_from(&row)).collect())
}

/// Residents being monitored (active, enrolment not past its end) whose last activity is older
/// than their threshold.
pub fn inactive_residents(db: &Db, now: i64) -> StoreResult<Vec<Resident>> {
    let r = db.exec(
        &format!(
            "SELECT {RESIDENT_COLS} FROM residents r
             WHERE r.status = 'active'
               AND (r.eligibility_until IS NULL OR r.eligibility_until > ?)
               AND EXISTS (SELECT 1 FROM devices d WHERE d.resident_id = r.id AND d.retired_at IS NULL)
               AND COALESCE(last_activity_at, created_at) + inactivity_threshold_minutes * 60000 <= ?"
        ),
        &[int(now), int(now)],
    )?;
    Ok(rows(&r).map(|row| resident_from(db, &row)).collect())
}

/// Devices that missed two heartbeat intervals (in service, of residents being monitored).
pub fn offline_devices(db: &Db, now: i64) -> StoreResult<Vec<Device>> {
    let r = db.exec(
        &format!(
            "SELECT {DEVICE_COLS} FROM devices
             WHERE heartbeat_interval_s IS NOT NULL AND retired_at IS NULL
               AND resident_id IN (SELECT id FROM residents WHERE status = 'active')
               AND COALESCE(last_heartbeat_at, created_at) + heartbeat_interval_s * 2000 <= ?"
        ),
        &[int(now)],
    )?;
    Ok(rows(&r).map(|row| device_from(&row)).collect())
}

/// Supervised devices of active residents within `scope` (or its `dong`), as
/// `(online, offline)` at `now`, by the rule of [`offline_devices`].
pub fn device_status_counts(
    db: &Db,
    scope: &Scope,
    dong: Option<&str>,
    now: i64,
) -> StoreResult<(i64, i64)> {
    let (condition, params) = match scope.filter(dong) {
        DongFilter::Empty => return Ok((0, 0)),
        DongFilter::Only(d) => ("status = 'active' AND dong = ?", vec![int(now), text(d)]),
        DongFilter::Any => ("status = 'active'", vec![int(now)]),
    };
    let r = db.exec(
        &format!(
            "SELECT COUNT(*) AS total,
                    COALESCE(SUM(COALESCE(last_heartbeat_at, created_at) + heartbeat_interval_s * 2000 <= ?), 0) AS offline
             FROM devices
             WHERE heartbeat_interval_s IS NOT NULL AND retired_at IS NULL
               AND resident_id IN (SELECT id FROM residents WHERE {condition})"
        ),
        &params,
    )?;
    let row = rows(&r).next();
    let total = row.as_ref().map_or(0, |r| r.int("total"));
    let offline = row.as_ref().map_or(0, |r| r.int("offline"));
    Ok((total - offline, offline))
}

/// The resident's supervised devices other than `except` that are offline at `now` (by the same
/// rule as [`offline_devices`]).
pub fn offline_devices_of(
    db: &Db,
    resident_id: &str,
    except: &str,
    now: i64,
) -> StoreResult<Vec<String>> {
    let r = db.exec(
        "SELECT id FROM devices
         WHERE resident_id = ? AND id <> ? AND heartbeat_interval_s IS NOT NULL AND retired_at IS NULL
           AND COALESCE(last_heartbeat_at, created_at) + heartbeat_interval_s * 2000 <= ?",
        &[text(resident_id), text(except), int(now)],
    )?;
    Ok(rows(&r).map(|row| row.str("id")).collect())
}

// ---- Enrolment lifecycle: suspend, resume, unenrol, retire devices, change records. ----

/// `active`, `suspended` (monitoring paused) or `unenrolled`.
pub const STATUSES: &[&str] = &["active", "suspended", "unenrolled"];

/// A resident's enrolment status, its reason and (for a suspension) the expected return.
pub struct Status {
    /// One of [`STATUSES`].
    pub status: String,
    /// Why it changed, as the staff member gave it.
    pub reason: Option<String>,
    /// For a suspension, the expected return (unix ms).
    pub until: Option<i64>,
    /// When the status last changed (unix ms); `None` if it never has.
    pub changed_at: Option<i64>,
}

/// A resident's enrolment status; `None` if there is no such resident.
pub fn status_of(db: &Db, resident_id: &str) -> StoreResult<Option<Status>> {
    let r = db.exec(
        "SELECT status, status_reason, status_until, status_changed_at FROM residents WHERE id = ?",
        &[text(resident_id)],
    )?;
    Ok(rows(&r).next().map(|row| Status {
        status: row.str("status"),
        reason: row.opt_str("status_reason"),
        until: row.opt_int("status_until"),
        changed_at: row.opt_int("status_changed_at"),
    }))
}

/// Sets a resident's enrolment status, its reason and expected return, changed at `now`.
pub fn set_status(
    db: &Db,
    resident_id: &str,
    status: &str,
    reason: Option<&str>,
    until: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "UPDATE residents SET status = ?, status_reason = ?, status_until = ?, status_changed_at = ? WHERE id = ?",
        &[text(status), opt_text(reason), opt_int(until), int(now), text(resident_id)],
    )?;
    Ok(())
}

/// Takes a device out of service: its events are refused from now on. Returns false if it
/// was already retired.
pub fn retire_device(db: &Db, device_id: &str, now: i64) -> StoreResult<bool> {
    db.exec(
        "UPDATE devices SET retired_at = ? WHERE id = ? AND retired_at IS NULL",
        &[int(now), text(device_id)],
    )?;
    Ok(db.changes() == 1)
}

/// Retires every device of a resident; returns how many were in service.
pub fn retire_devices_of(db: &Db, resident_id: &str, now: i64) -> StoreResult<u64> {
    db.exec(
        "UPDATE devices SET retired_at = ? WHERE resident_id = ? AND retired_at IS NULL",
        &[int(now), text(resident_id)],
    )?;
    Ok(db.changes())
}

/// Ids of a resident's retired devices.
pub fn retired_devices_of(db: &Db, resident_id: &str) -> StoreResult<Vec<String>> {
    let r = db.exec(
        "SELECT id FROM devices WHERE resident_id = ? AND retired_at IS NOT NULL ORDER BY retired_at",
        &[text(resident_id)],
    )?;
    Ok(rows(&r).map(|row| row.str("id")).collect())
}

/// The columns of `residents` sealed at rest.
const SEALED_COLUMNS: &[&str] = &["phone", "address", "latitude", "longitude", "medical_notes"];

/// Sets one column of a resident (the caller has validated the value; personal details are
/// sealed here).
pub fn set_field(
    db: &Db,
    resident_id: &str,
    column: &str,
    value: spin_sdk::sqlite3::Value,
) -> StoreResult<()> {
    const COLUMNS: &[&str] = &[
        "phone",
        "address",
        "dong",
        "latitude",
        "longitude",
        "medical_notes",
        "inactivity_threshold_minutes",
        "eligibility_until",
    ];
    if !COLUMNS.contains(&column) {
        return Err(StoreError::Internal(format!(
            "not a changeable column: {column}"
        )));
    }
    let value = match value {
        spin_sdk::sqlite3::Value::Text(v) if SEALED_COLUMNS.contains(&column) => {
            db.sealed(&format!("residents.{column}"), &v)?
        }
        spin_sdk::sqlite3::Value::Real(v) if SEALED_COLUMNS.contains(&column) => {
            db.sealed(&format!("residents.{column}"), &v.to_string())?
        }
        v => v,
    };
    db.exec(
        &format!("UPDATE residents SET {column} = ? WHERE id = ?"),
        &[value, text(resident_id)],
    )?;
    Ok(())
}

/// Records who changed which fields of a resident (names only, never values).
pub fn record_change(
    db: &Db,
    resident_id: &str,
    by: &str,
    action: &str,
    fields: &[&str],
    note: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "INSERT INTO resident_changes (resident_id, at, by_staff, action, fields, note) VALUES (?,?,?,?,?,?)",
        &[text(resident_id), int(now), text(by), text(action), text(fields.join(",")), opt_text(note)],
    )?;
    Ok(())
}

/// A resident's change history, oldest first, as the API shows it (`at`, `by`, `action`,
/// `fields`, `note`).
pub fn changes_of(db: &Db, resident_id: &str) -> StoreResult<Vec<serde_json::Value>> {
    let r = db.exec(
        "SELECT at, by_staff, action, fields, note FROM resident_changes WHERE resident_id = ? ORDER BY id",
        &[text(resident_id)],
    )?;
    Ok(rows(&r)
        .map(|row| {
            let fields = row.str("fields");
            serde_json::json!({
                "at": safetynet_wire::time::to_rfc3339(row.int("at")),
                "by": row.str("by_staff"),
                "action": row.str("action"),
                "fields": fields.split(',').filter(|f| !f.is_empty()).collect::<Vec<_>>(),
                "note": row.opt_str("note"),
            })
        })
        .collect())
}

/// Active residents whose enrolment ends within `(now, by]` and whose centre has not been
/// warned about that end date: (id, dong, end).
pub fn enrolments_ending(db: &Db, now: i64, by: i64) -> StoreResult<Vec<(String, String, i64)>> {
    let r = db.exec(
        "SELECT id, dong, eligibility_until FROM residents
         WHERE status = 'active' AND eligibility_until > ? AND eligibility_until <= ?
           AND (end_warned_for IS NULL OR end_warned_for <> eligibility_until)",
        &[int(now), int(by)],
    )?;
    Ok(rows(&r)
        .map(|row| (row.str("id"), row.str("dong"), row.int("eligibility_until")))
        .collect())
}

/// Records that the centre was warned about this end date (a new end date warns again).
pub fn mark_end_warned(db: &Db, resident_id: &str, until: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE residents SET end_warned_for = ? WHERE id = ?",
        &[int(until), text(resident_id)],
    )?;
    Ok(())
}

/// Erases the personal details (name, phone, address, location, medical notes, contacts) of up
/// to `limit` residents unenrolled before `before` (none with an incident still open: its
/// ladder still needs the contacts), keeping the record's id, dong, eligibility
/// and history for statistics; returns the ids erased.
pub fn erase_unenrolled(db: &Db, before: i64, limit: i64, now: i64) -> StoreResult<Vec<String>> {
    let r = db.exec(
        "SELECT id FROM residents WHERE status = 'unenrolled' AND status_changed_at < ?
            AND personal_data_erased_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM incidents i
                             WHERE i.resident_id = residents.id AND i.closed_at IS NULL)
          LIMIT ?",
        &[int(before), int(limit)],
    )?;
    let ids: Vec<String> = rows(&r).map(|row| row.str("id")).collect();
    for id in &ids {
        db.exec(
            "UPDATE residents SET name = '', phone = NULL, address = '', latitude = NULL,
                    longitude = NULL, medical_notes = NULL, personal_data_erased_at = ?
              WHERE id = ?",
            &[int(now), text(id)],
        )?;
        db.exec("DELETE FROM contacts WHERE resident_id = ?", &[text(id)])?;
        record_change(
            db,
            id,
            "retention",
            "erased",
            &[
                "name",
                "phone",
                "address",
                "location",
                "medical_notes",
                "contacts",
            ],
            None,
            now,
        )?;
    }
    Ok(ids)
}
