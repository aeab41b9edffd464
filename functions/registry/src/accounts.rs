//! `/api/v1/staff-accounts`: the people who sign in to the console. Admins create accounts with
//! a first password and reset passwords (which also lifts a lockout and signs the person out
//! everywhere); passwords are kept only as argon2id hashes.

use serde_json::json;
use spin_sdk::http::{Request, Response};

use safetynet_auth::accounts::{self, NewAccount};
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::json as json_response;
use safetynet_http::validate::{parse_body, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_secrets::hash_password;
use safetynet_wire::{ids, time};

/// Shortest password an admin may set.
const MIN_PASSWORD: usize = 10;

fn password(v: &serde_json::Value) -> ApiResult<String> {
    let p = req_str(v, "password", 256)?;
    if p.chars().count() < MIN_PASSWORD {
        return Err(ApiError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    Ok(p.to_string())
}

/// `POST /api/v1/staff-accounts` (admins): `{username, name, role, dong?, password}`.
pub fn create(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    let v = parse_body(req.body())?;
    let username = req_str(&v, "username", 64)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(ApiError::invalid(
            "username",
            "letters, digits, '.', '-' and '_' only",
        ));
    }
    let name = req_str(&v, "name", 100)?;
    // People only: machines keep bearer tokens.
    let (role, dong) = crate::tokens::role_and_dong(&v, |r| !r.is_machine())?;
    let hash = hash_password(&password(&v)?);
    let id = ids::new_id("acc");
    let now = time::now_ms();
    let account = NewAccount {
        id: &id,
        username,
        name,
        password_hash: &hash,
        role,
        dong: if role == Role::WelfareCentre {
            dong
        } else {
            None
        },
    };
    db.tx(|db| accounts::insert(db, &account, now))?;
    eprintln!("staff account created id={id} role={role} by={}", staff.id);
    Ok(json_response(
        201,
        &json!({"id": id, "username": username, "name": name, "role": role.as_str(), "dong": account.dong}),
    ))
}

/// `GET /api/v1/staff-accounts` (admins): every account, never a password hash.
pub fn list(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    Ok(json_response(
        200,
        &json!({"accounts": accounts::list(db)?}),
    ))
}

/// `POST /api/v1/staff-accounts/{id}/password` (admins): `{password}`.
pub fn reset_password(req: &Request, db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    let v = parse_body(req.body())?;
    let hash = hash_password(&password(&v)?);
    db.tx(|db| accounts::set_password(db, id, &hash, time::now_ms()))?;
    eprintln!("staff account password reset id={id} by={}", staff.id);
    Ok(json_response(
        200,
        &json!({"id": id, "password_reset": true}),
    ))
}
