//! `/api/v1/staff`: bearer tokens for people and machines. Admins mint them (shown once, stored
//! only as hashes), list them (metadata only) and revoke them; a holder rotates their own. Every
//! token expires: people's after 90 days, machines' after a year, or as the admin sets.

use serde_json::json;
use spin_sdk::http::{Request, Response};

use safetynet_auth::tokens::{self, NewToken};
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::json as json_response;
use safetynet_http::validate::{opt_i64, opt_str, parse_body, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_secrets as secrets;
use safetynet_wire::ids;
use safetynet_wire::time;

const DAY_MS: i64 = 86_400_000;

/// Stores a new token and answers with it (the only time it is shown).
fn issue(
    db: &Db,
    name: &str,
    role: Role,
    dong: Option<&str>,
    provider: Option<&str>,
    days: i64,
    revoke: Option<&str>,
) -> ApiResult<serde_json::Value> {
    let token = format!("sn_{}", ids::random_hex(24));
    let id = ids::new_id("stf");
    let now = time::now_ms();
    let expires_at = now + days * DAY_MS;
    db.tx(|db| -> ApiResult<_> {
        if let Some(old) = revoke {
            tokens::revoke_staff(db, old, now)?;
        }
        Ok(tokens::insert_staff(
            db,
            &NewToken {
                id: &id,
                hash: &secrets::token_hash(&token),
                name,
                role,
                dong,
                provider,
                expires_at: Some(expires_at),
            },
            now,
        )?)
    })?;
    Ok(json!({
        "id": id, "name": name, "role": role.as_str(), "dong": dong, "provider": provider,
        "expires_at": time::to_rfc3339(expires_at), "token": token,
    }))
}

/// The `role` field, one of the assignable roles `fits`, and the `dong` a welfare-centre worker
/// must have; shared by tokens and people's accounts.
pub(crate) fn role_and_dong(
    v: &serde_json::Value,
    fits: impl Fn(Role) -> bool,
) -> ApiResult<(Role, Option<&str>)> {
    let allowed: Vec<Role> = Role::ASSIGNABLE
        .iter()
        .copied()
        .filter(|r| fits(*r))
        .collect();
    let role = req_str(v, "role", 64)?
        .parse::<Role>()
        .ok()
        .filter(|r| allowed.contains(r))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            ApiError::invalid("role", format!("must be one of {}", names.join(", ")))
        })?;
    let dong = opt_str(v, "dong", 64)?;
    if role == Role::WelfareCentre && dong.is_none() {
        return Err(ApiError::invalid(
            "dong",
            "required for a welfare-centre worker",
        ));
    }
    Ok((role, dong))
}

/// `POST /api/v1/staff` (admins): `{name, role, dong?, provider?, expires_in_days?}`.
pub fn create(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    let v = parse_body(req.body())?;
    let name = req_str(&v, "name", 100)?;
    let (role, dong) = role_and_dong(&v, |_| true)?;
    let provider = opt_str(&v, "provider", 64)?;
    if role == Role::DataProvider && provider.is_none() {
        return Err(ApiError::invalid(
            "provider",
            "required for a data provider (e.g. waterworks)",
        ));
    }
    let days = opt_i64(&v, "expires_in_days", 1, 3650)?.unwrap_or(role.default_token_days());
    let issued = issue(db, name, role, dong, provider, days, None)?;
    eprintln!(
        "staff token issued id={} role={role} by={}",
        issued["id"], staff.id
    );
    Ok(json_response(201, &issued))
}

/// `GET /api/v1/staff` (admins): every token's metadata, never a token.
pub fn list(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    Ok(json_response(
        200,
        &json!({"staff": tokens::list_staff(db)?}),
    ))
}

/// `POST /api/v1/staff/{id}/revoke` (admins): the token stops working at once.
pub fn revoke(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    if tokens::staff_name(db, id)?.is_none() {
        return Err(ApiError::not_found(format!("no token {id}")));
    }
    if !db.tx(|db| tokens::revoke_staff(db, id, time::now_ms()))? {
        return Err(ApiError::conflict("the token is already revoked"));
    }
    eprintln!("staff token revoked id={id} by={}", staff.id);
    Ok(json_response(200, &json!({"id": id, "revoked": true})))
}

/// `POST /api/v1/staff/rotate`: the holder gets a new token with the same role and scope and a
/// fresh expiry; the one they called with stops working.
pub fn rotate(db: &Db, staff: &Staff) -> ApiResult<Response> {
    if staff.id == "admin" {
        return Err(ApiError::bad_request(
            "the bootstrap admin token is a Spin variable (admin_token); change it there",
        ));
    }
    let name = tokens::staff_name(db, &staff.id)?
        .ok_or_else(|| ApiError::unauthorized("unknown token"))?;
    let issued = issue(
        db,
        &name,
        staff.role,
        staff.dong.as_deref(),
        staff.provider.as_deref(),
        staff.role.default_token_days(),
        Some(&staff.id),
    )?;
    eprintln!("staff token rotated old={} new={}", staff.id, issued["id"]);
    Ok(json_response(201, &issued))
}
