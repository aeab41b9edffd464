//! Owner of `staff_sessions`: signed-in browsers. The cookie carries a random token stored only
//! as its hash; the CSRF token is kept beside it and must come back in `X-CSRF-Token` with every
//! state-changing request, which a page on another site cannot read or send.

use safetynet_db::{Db, StoreResult, int, rows, text};
use safetynet_secrets::token_hash;
use safetynet_wire::ids;

use crate::{Role, Staff};

/// The session cookie's name.
pub const COOKIE: &str = "sn_session";
/// A session is touched at most this often (ms), so polling pages do not write on every request.
const TOUCH_EVERY_MS: i64 = 15_000;

/// A new session: the cookie value and CSRF token, shown to the browser once.
pub struct NewSession {
    /// The cookie's value.
    pub token: String,
    /// What state-changing requests must send in `X-CSRF-Token`.
    pub csrf_token: String,
}

/// Starts a session for `account_id` that ends after `idle_ms` without use, and clears away
/// sessions that have already ended.
pub fn start(db: &Db, account_id: &str, idle_ms: i64, now: i64) -> StoreResult<NewSession> {
    db.exec(
        "DELETE FROM staff_sessions WHERE last_seen_at + idle_ms <= ?",
        &[int(now)],
    )?;
    let s = NewSession {
        token: ids::random_hex(32),
        csrf_token: ids::random_hex(24),
    };
    db.exec(
        "INSERT INTO staff_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, idle_ms) VALUES (?,?,?,?,?,?)",
        &[
            text(token_hash(&s.token)),
            text(account_id),
            text(&s.csrf_token),
            int(now),
            int(now),
            int(idle_ms),
        ],
    )?;
    Ok(s)
}

/// A live session.
pub struct Session {
    /// Who is signed in.
    pub staff: Staff,
    /// The account's username.
    pub username: String,
    /// The token state-changing requests must carry.
    pub csrf_token: String,
    /// How long the session survives without use (ms).
    pub idle_ms: i64,
}

/// What a cookie's token leads to at `now`.
pub enum Lookup {
    /// A live session (touched).
    Live(Session),
    /// A session that ended by idling (every tab still holding it is told so).
    Expired,
    /// No such session.
    Unknown,
}

/// The session behind a cookie's `token`, touching it if it is live.
pub fn find(db: &Db, token: &str, now: i64) -> StoreResult<Lookup> {
    let hash = token_hash(token);
    let r = db.exec(
        "SELECT s.csrf_token, s.last_seen_at, s.idle_ms, a.id, a.username, a.role, a.dong \
         FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id WHERE s.token_hash = ?",
        &[text(&hash)],
    )?;
    let Some(row) = rows(&r).next() else {
        return Ok(Lookup::Unknown);
    };
    let last_seen = row.int("last_seen_at");
    let idle_ms = row.int("idle_ms");
    if now - last_seen >= idle_ms {
        return Ok(Lookup::Expired);
    }
    let Ok(role) = row.str("role").parse::<Role>() else {
        return Ok(Lookup::Unknown);
    };
    if now - last_seen >= TOUCH_EVERY_MS {
        db.exec(
            "UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?",
            &[int(now), text(&hash)],
        )?;
    }
    Ok(Lookup::Live(Session {
        staff: Staff {
            id: row.str("id"),
            role,
            dong: row.opt_str("dong"),
            provider: None,
        },
        username: row.str("username"),
        csrf_token: row.str("csrf_token"),
        idle_ms,
    }))
}

/// Ends the session behind a cookie's `token` (signing out).
pub fn end(db: &Db, token: &str) -> StoreResult<()> {
    db.exec(
        "DELETE FROM staff_sessions WHERE token_hash = ?",
        &[text(token_hash(token))],
    )?;
    Ok(())
}

/// Ends every session of an account (its password changed).
pub fn end_all(db: &Db, account_id: &str) -> StoreResult<()> {
    db.exec(
        "DELETE FROM staff_sessions WHERE account_id = ?",
        &[text(account_id)],
    )?;
    Ok(())
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v.trim())
    })
}
