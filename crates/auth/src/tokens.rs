//! Owner of `staff_tokens`: bearer tokens stored as hashes, with their role, scope, expiry and
//! revocation.

use safetynet_db::{Db, StoreResult, int, opt_int, opt_text, rows, text};
use serde_json::{Value, json};

use crate::{Role, Staff};

/// A token to store (its hash only).
pub struct NewToken<'a> {
    /// The token's id, by which admins list and revoke it.
    pub id: &'a str,
    /// SHA-256 of the token, hex ([`safetynet_secrets::token_hash`]).
    pub hash: &'a str,
    /// Who or what holds it, for people reading the list.
    pub name: &'a str,
    /// What it lets its holder do.
    pub role: Role,
    /// For a welfare-centre worker: the only dong they may see.
    pub dong: Option<&'a str>,
    /// For a data provider: the only provider whose files it may upload.
    pub provider: Option<&'a str>,
    /// When it stops working (unix ms); `None` never.
    pub expires_at: Option<i64>,
}

/// Stores a new token in `staff_tokens`, created at `now`.
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
    /// The caller it authenticates.
    pub staff: Staff,
    /// When an admin revoked it (unix ms), if one did.
    pub revoked_at: Option<i64>,
    /// When it stops working (unix ms); `None` never.
    pub expires_at: Option<i64>,
}

/// The token stored under this hash, revoked or expired ones included; `None` if there is none
/// (or its role is unknown).
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
