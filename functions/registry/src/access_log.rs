//! `GET /api/v1/access-log` (admins): who read which person's record, newest first.

use safetynet_auth::Staff;
use safetynet_auth::access::{self, Query};
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult, json as json_response, query_param};
use serde_json::json;
use spin_sdk::http::{Request, Response};

/// Filters: `subject`, `subject_id`, `staff_id`, `outcome` (`read` or `denied`), `limit`
/// (1–1000, default 100).
pub fn list(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    let subject = query_param(req, "subject");
    if let Some(s) = &subject
        && !access::Subject::NAMES.contains(&s.as_str())
    {
        return Err(ApiError::invalid(
            "subject",
            format!("one of {}", access::Subject::NAMES.join(", ")),
        ));
    }
    let outcome = query_param(req, "outcome");
    if let Some(o) = &outcome
        && !access::Outcome::NAMES.contains(&o.as_str())
    {
        return Err(ApiError::invalid("outcome", "read or denied"));
    }
    let limit = safetynet_http::limit_param(req, 100, 1000)?;
    let entries = access::query(
        db,
        &Query {
            subject,
            subject_id: query_param(req, "subject_id"),
            staff_id: query_param(req, "staff_id"),
            outcome,
            limit,
        },
    )?;
    Ok(json_response(200, &json!({ "entries": entries })))
}
