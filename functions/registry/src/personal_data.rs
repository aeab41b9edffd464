//! Personal data at rest, for admins: which key seals it, how much is still under an older key
//! (or stored before encryption), and re-sealing it under the current key in batches — what
//! `safetynet re-encrypt` calls until nothing is left, after a new key is put first in
//! `personal_data_keys`.

use safetynet_auth::Staff;
use safetynet_db::{Db, ResealCursor};
use safetynet_http::validate::{opt_i64, opt_str, parse_optional_body};
use safetynet_http::{ApiError, ApiResult, json as json_response};
use safetynet_migrations::PERSONAL_DATA;
use serde_json::json;
use spin_sdk::http::{Request, Response};

/// `GET /api/v1/personal-data`: the sealing key and the values not yet under it.
pub fn status(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    let key = db.personal()?.current_key().map(str::to_string);
    let stale = db.stale_personal_values(PERSONAL_DATA)?;
    Ok(json_response(
        200,
        &json!({
            "encryption": if key.is_some() { "on" } else { "off" },
            "key_id": key,
            "values_not_under_key": stale,
        }),
    ))
}

/// `POST /api/v1/personal-data/re-encrypt` with `{"cursor": …, "limit": 1-1000}`: re-seals one
/// batch in one transaction and returns the cursor of the next (`null` when done).
pub fn re_encrypt(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[])?;
    let v = parse_optional_body(req.body())?;
    let limit = opt_i64(&v, "limit", 1, 1000)?.unwrap_or(200);
    let cursor = match opt_str(&v, "cursor", 200)? {
        None => ResealCursor::default(),
        Some(c) => ResealCursor::parse(c, PERSONAL_DATA)
            .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this endpoint returned"))?,
    };
    let done = db.tx(|db| db.reseal(PERSONAL_DATA, &cursor, limit))?;
    eprintln!(
        "personal data re-sealed by={} rewritten={} unreadable={}",
        staff.id, done.rewritten, done.unreadable
    );
    Ok(json_response(
        200,
        &json!({
            "key_id": db.personal()?.current_key(),
            "rewritten": done.rewritten,
            "unreadable": done.unreadable,
            "cursor": done.cursor,
        }),
    ))
}
