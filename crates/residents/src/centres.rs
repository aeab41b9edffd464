//! Owner of `welfare_centres`: the directory of dong welfare centres, kept by admins. A
//! notification to a centre goes to its number; a resident is enrolled only in a dong that has
//! a centre here.

use serde_json::{Value, json};

use safetynet_db::StoreResult;
use safetynet_db::{Db, int, rows, text};
use safetynet_wire::time::to_rfc3339;

/// A dong welfare centre (a `welfare_centres` row).
#[derive(Debug, Clone)]
pub struct Centre {
    /// The dong it serves; one centre per dong.
    pub dong: String,
    /// The centre's name.
    pub name: String,
    /// The number its notifications go to.
    pub phone: String,
    /// `[{"name", "phone", "role"}]`: who answers for the centre out of hours.
    pub duty_contacts: Value,
    /// When an admin last changed it (unix ms).
    pub updated_at: i64,
    /// The staff id of the admin who last changed it.
    pub updated_by: String,
}

impl Centre {
    /// The centre as the API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "dong": self.dong,
            "name": self.name,
            "phone": self.phone,
            "duty_contacts": self.duty_contacts,
            "updated_at": to_rfc3339(self.updated_at),
            "updated_by": self.updated_by,
        })
    }
}

const COLS: &str = "dong, name, phone, duty_contacts, updated_at, updated_by";

fn from_row(row: &safetynet_db::Row) -> Centre {
    Centre {
        dong: row.str("dong"),
        name: row.str("name"),
        phone: row.str("phone"),
        duty_contacts: serde_json::from_str(&row.str("duty_contacts")).unwrap_or(json!([])),
        updated_at: row.int("updated_at"),
        updated_by: row.str("updated_by"),
    }
}

/// The centre of `dong`, if it has one.
pub fn get(db: &Db, dong: &str) -> StoreResult<Option<Centre>> {
    let r = db.exec(
        &format!("SELECT {COLS} FROM welfare_centres WHERE dong = ?"),
        &[text(dong)],
    )?;
    Ok(rows(&r).next().map(|row| from_row(&row)))
}

/// Every centre, by dong.
pub fn list(db: &Db) -> StoreResult<Vec<Centre>> {
    let r = db.exec(
        &format!("SELECT {COLS} FROM welfare_centres ORDER BY dong"),
        &[],
    )?;
    Ok(rows(&r).map(|row| from_row(&row)).collect())
}

/// Adds or replaces a centre; returns whether it was new.
pub fn put(db: &Db, c: &Centre) -> StoreResult<bool> {
    let existed = get(db, &c.dong)?.is_some();
    db.exec(
        &format!(
            "INSERT INTO welfare_centres ({COLS}) VALUES (?,?,?,?,?,?)
             ON CONFLICT(dong) DO UPDATE SET name = excluded.name, phone = excluded.phone,
               duty_contacts = excluded.duty_contacts, updated_at = excluded.updated_at,
               updated_by = excluded.updated_by"
        ),
        &[
            text(&c.dong),
            text(&c.name),
            text(&c.phone),
            text(c.duty_contacts.to_string()),
            int(c.updated_at),
            text(&c.updated_by),
        ],
    )?;
    Ok(!existed)
}
