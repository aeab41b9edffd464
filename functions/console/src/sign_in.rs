//! `/api/v1/session`: people sign in to the console with a username and password, and out again.
//!
//! A wrong password and an unknown username get the same answer after the same work (an
//! argon2id check either way); failures are counted per username, and the fifth in a row locks
//! it for a while, whether or not it exists. The session is an HttpOnly, SameSite=Strict cookie
//! (Secure when served over TLS) that ends after `session_idle_minutes` without use.

use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

use safetynet_auth::sessions::{self, COOKIE};
use safetynet_auth::{Staff, accounts};
use safetynet_db::Db;
use safetynet_http::validate::{parse_body, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_secrets::verify_password;
use safetynet_wire::time;

const DEFAULT_IDLE_MINUTES: i64 = 30;

/// Routes `GET` (who am I), `POST` (sign in) and `DELETE` (sign out).
pub fn handle(req: &Request, db: &Db) -> ApiResult<Response> {
    match req.method() {
        Method::Get => current(req, db),
        Method::Post => sign_in(req, db),
        Method::Delete => sign_out(req, db),
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn body(staff: &Staff, username: &str, csrf_token: &str, idle_ms: i64) -> Value {
    json!({
        "staff": {"id": staff.id, "username": username, "role": staff.role.as_str(), "dong": staff.dong},
        "csrf_token": csrf_token,
        "idle_timeout_seconds": idle_ms / 1000,
    })
}

fn current(req: &Request, db: &Db) -> ApiResult<Response> {
    let s = safetynet_auth::session(req, db)?;
    Ok(no_store(safetynet_http::json(
        200,
        &body(&s.staff, &s.username, &s.csrf_token, s.idle_ms),
    )))
}

fn idle_ms() -> ApiResult<i64> {
    let raw = spin_sdk::variables::get("session_idle_minutes").unwrap_or_default();
    let minutes = match raw.trim() {
        "" => DEFAULT_IDLE_MINUTES,
        v => v
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=24 * 60).contains(m))
            .ok_or_else(|| ApiError::internal("session_idle_minutes must be 1 to 1440"))?,
    };
    Ok(minutes * 60_000)
}

fn failed() -> ApiError {
    ApiError::new(
        401,
        "sign_in_failed",
        "the username or password is not right",
    )
}

fn sign_in(req: &Request, db: &Db) -> ApiResult<Response> {
    let v = parse_body(req.body())?;
    let username = req_str(&v, "username", 64)?;
    let password = req_str(&v, "password", 256)?;
    let now = time::now_ms();
    if accounts::locked_until(db, username, now)?.is_some() {
        return Err(ApiError::new(
            429,
            "sign_in_locked",
            "too many failed sign-ins for this username; try again in 15 minutes",
        ));
    }
    let account = accounts::by_username(db, username)?;
    if !verify_password(account.as_ref().map(|a| a.password_hash.as_str()), password) {
        accounts::record_failure(db, username, now)?;
        return Err(failed());
    }
    let account = account.ok_or_else(failed)?;
    let idle_ms = idle_ms()?;
    let session = db.tx(|db| -> ApiResult<_> {
        accounts::clear_failures(db, username)?;
        Ok(sessions::start(db, &account.staff.id, idle_ms, now)?)
    })?;
    let mut r = safetynet_http::json(
        200,
        &body(
            &account.staff,
            &account.username,
            &session.csrf_token,
            idle_ms,
        ),
    );
    set_cookie(
        &mut r,
        &format!("{COOKIE}={}; {}", session.token, attributes(req)),
    );
    Ok(no_store(r))
}

fn sign_out(req: &Request, db: &Db) -> ApiResult<Response> {
    // Only a request carrying the session's CSRF token may end it.
    safetynet_auth::session(req, db)?;
    if let Some(token) =
        safetynet_http::header(req, "cookie").and_then(|c| sessions::cookie_value(c, COOKIE))
    {
        sessions::end(db, token)?;
    }
    let mut r = Response::builder().status(204).body(Vec::new()).build();
    set_cookie(
        &mut r,
        &format!("{COOKIE}=; Max-Age=0; {}", attributes(req)),
    );
    Ok(r)
}

/// The cookie's attributes: never readable by scripts, never sent from another site, and only
/// over TLS when the console is served over TLS.
fn attributes(req: &Request) -> String {
    let tls = safetynet_http::header(req, "spin-full-url").is_some_and(|u| u.starts_with("https:"))
        || spin_sdk::variables::get("public_url").is_ok_and(|u| u.starts_with("https:"));
    format!(
        "Path=/; HttpOnly; SameSite=Strict{}",
        if tls { "; Secure" } else { "" }
    )
}

fn set_cookie(r: &mut Response, value: &str) {
    r.set_header("set-cookie", value);
}

fn no_store(mut r: Response) -> Response {
    r.set_header("cache-control", "no-store");
    r
}
