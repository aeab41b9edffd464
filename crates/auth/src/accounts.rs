//! Owner of `staff_accounts` and `sign_in_failures`: the people who sign in to the console, and
//! the count of failed sign-ins behind the lockout.

use safetynet_db::{Db, StoreError, StoreResult, int, opt_text, rows, text};
use serde_json::{Value, json};

use crate::{Role, Staff};

/// Failed sign-ins in a row after which a username is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked username stays locked (ms).
pub const LOCKOUT_MS: i64 = 15 * 60_000;

/// An account to create.
pub struct NewAccount<'a> {
    /// The account's id (`acc-…`), which the access log records.
    pub id: &'a str,
    /// What its holder types to sign in.
    pub username: &'a str,
    /// The holder's name, for admins reading the list.
    pub name: &'a str,
    /// argon2id hash of the password.
    pub password_hash: &'a str,
    /// What its holder may do.
    pub role: Role,
    /// For a welfare-centre worker: the only dong they may see.
    pub dong: Option<&'a str>,
}

/// Stores a new account; `Conflict` on `username` if the username is taken.
pub fn insert(db: &Db, a: &NewAccount, now: i64) -> StoreResult<()> {
    if by_username(db, a.username)?.is_some() {
        return Err(StoreError::conflict_on(
            "username",
            "this username is taken",
        ));
    }
    db.exec(
        "INSERT INTO staff_accounts (id, username, name, password_hash, role, dong, created_at, password_set_at) VALUES (?,?,?,?,?,?,?,?)",
        &[
            text(a.id),
            text(a.username),
            text(a.name),
            text(a.password_hash),
            text(a.role.as_str()),
            opt_text(a.dong),
            int(now),
            int(now),
        ],
    )?;
    Ok(())
}

/// A stored account as sign-in needs it.
pub struct Account {
    /// Who its holder is to every other function.
    pub staff: Staff,
    /// The username.
    pub username: String,
    /// argon2id hash of the password.
    pub password_hash: String,
}

fn account(row: safetynet_db::Row) -> Option<Account> {
    Some(Account {
        staff: Staff {
            id: row.str("id"),
            role: row.str("role").parse::<Role>().ok()?,
            dong: row.opt_str("dong"),
            provider: None,
        },
        username: row.str("username"),
        password_hash: row.str("password_hash"),
    })
}

/// The account with this username, if any.
pub fn by_username(db: &Db, username: &str) -> StoreResult<Option<Account>> {
    let r = db.exec(
        "SELECT id, username, password_hash, role, dong FROM staff_accounts WHERE username = ?",
        &[text(username)],
    )?;
    Ok(rows(&r).next().and_then(account))
}

/// Every account's metadata (never the hash), oldest first.
pub fn list(db: &Db) -> StoreResult<Vec<Value>> {
    let r = db.exec(
        "SELECT a.id, a.username, a.name, a.role, a.dong, a.created_at, a.password_set_at, f.locked_until \
         FROM staff_accounts a LEFT JOIN sign_in_failures f ON f.username = a.username ORDER BY a.created_at",
        &[],
    )?;
    Ok(rows(&r)
        .map(|row| {
            json!({
                "id": row.str("id"),
                "username": row.str("username"),
                "name": row.str("name"),
                "role": row.str("role"),
                "dong": row.opt_str("dong"),
                "created_at": safetynet_wire::time::to_rfc3339(row.int("created_at")),
                "password_set_at": safetynet_wire::time::to_rfc3339(row.int("password_set_at")),
                "locked_until": row.opt_int("locked_until").map(safetynet_wire::time::to_rfc3339),
            })
        })
        .collect())
}

/// Replaces an account's password, lifts its lockout and ends its sessions; `NotFound` if there
/// is no such account.
pub fn set_password(db: &Db, id: &str, password_hash: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "UPDATE staff_accounts SET password_hash = ?, password_set_at = ? WHERE id = ?",
        &[text(password_hash), int(now), text(id)],
    )?;
    if db.changes() != 1 {
        return Err(StoreError::NotFound(format!("no staff account {id}")));
    }
    db.exec(
        "DELETE FROM sign_in_failures WHERE username = (SELECT username FROM staff_accounts WHERE id = ?)",
        &[text(id)],
    )?;
    crate::sessions::end_all(db, id)?;
    Ok(())
}

/// Until when `username` is locked (unix ms), if it is at `now`.
pub fn locked_until(db: &Db, username: &str, now: i64) -> StoreResult<Option<i64>> {
    let r = db.exec(
        "SELECT locked_until FROM sign_in_failures WHERE username = ? AND locked_until > ?",
        &[text(username), int(now)],
    )?;
    Ok(rows(&r).next().and_then(|row| row.opt_int("locked_until")))
}

/// Counts a failed sign-in; the [`MAX_FAILURES`]th in a row locks the username for
/// [`LOCKOUT_MS`] and starts the count again.
pub fn record_failure(db: &Db, username: &str, now: i64) -> StoreResult<()> {
    db.exec(
        "INSERT INTO sign_in_failures (username, failures, locked_until) VALUES (?, 1, NULL) \
         ON CONFLICT(username) DO UPDATE SET failures = failures + 1",
        &[text(username)],
    )?;
    db.exec(
        "UPDATE sign_in_failures SET failures = 0, locked_until = ? WHERE username = ? AND failures >= ?",
        &[int(now + LOCKOUT_MS), text(username), int(MAX_FAILURES)],
    )?;
    Ok(())
}

/// Forgets failed sign-ins after a successful one.
pub fn clear_failures(db: &Db, username: &str) -> StoreResult<()> {
    db.exec(
        "DELETE FROM sign_in_failures WHERE username = ?",
        &[text(username)],
    )?;
    Ok(())
}
