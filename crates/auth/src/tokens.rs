//! Owner of `staff_tokens`: bearer tokens stored as hashes, with their role, scope, expiry and
//! revocation.

use safetynet_db::{Db, StoreResult, int, opt_int, opt_text, rows, text};
use serde_json::{Value, json};

use crate::{Role, Staff};

/// A token to store (its hash only).
pub struct NewToken<'a> {
    pub id: &'a str,
    pub hash: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub dong: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub expires_at: Option<i64>,
}

pub fn insert_staff(db: &Db, t: &NewToken, now: i64) -> StoreResult<()> {
    db.exec(
        "INSERT INTO staff_tokens (id, token_hash, name, role, dong, provider, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?)",
        &[
            text(t.id),
            text(t.hash),
            text(t.name),
            text(t.role.as_str()),
            opt_text(t.dong),
            opt_text(t.provider),
            opt_int(t.expires_at),
            int(now),
        ],
    )?;
    Ok(())
}

/// A stored token: who it speaks for, and whether it still may.
pub struct StoredToken {
    pub staff: Staff,
    pub revoked_at: Option<i64>,
    pub expires_at: Option<i64>,
}

pub fn staff_by_token_hash(db: &Db, hash: &str) -> StoreResult<Option<StoredToken>> {
    let r = db.exec(
        "SELECT id, role, dong, provider, revoked_at, expires_at FROM staff_tokens WHERE token_hash = ?",
        &[text(hash)],
    )?;
    Ok(rows(&r).next().and_then(|row| {
        Some(StoredToken {
            staff: Staff {
                id: row.str("id"),
                role: row.str("role").parse::<Role>().ok()?,
                dong: row.opt_str("dong"),
                provider: row.opt_str("provider"),
            },
            revoked_at: row.opt_int("revoked_at"),
            expires_at: row.opt_int("expires_at"),
        })
    }))
}

/// A token's metadata as admins list it (never the token or its hash).
pub fn list_staff(db: &Db) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT id, name, role, dong, provider, created_at, expires_at, revoked_at FROM staff_tokens ORDER BY created_at",
        &[],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "id": row.str("id"),
                "name": row.str("name"),
                "role": row.str("role"),
                "dong": row.opt_str("dong"),
                "provider": row.opt_str("provider"),
                "created_at": safetynet_wire::time::to_rfc3339(row.int("created_at")),
                "expires_at": row.opt_int("expires_at").map(safetynet_wire::time::to_rfc3339),
                "revoked_at": row.opt_int("revoked_at").map(safetynet_wire::time::to_rfc3339),
            })
        })
        .collect())
}

/// The name a token was issued under.
pub fn staff_name(db: &Db, id: &str) -> StoreResult<Option<String>> {
    let r = db.exec("SELECT name FROM staff_tokens WHERE id = ?", &[text(id)])?;
    Ok(rows(&r).next().map(|row| row.str("name")))
}

/// Revokes a token; false if it was already revoked (or does not exist).
pub fn revoke_staff(db: &Db, id: &str, now: i64) -> StoreResult<bool> {
    db.exec(
        "UPDATE staff_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        &[int(now), text(id)],
    )?;
    Ok(db.changes() == 1)
}

