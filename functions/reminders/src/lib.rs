//! Care reminders (issue 5): schedules per resident, the due feed the device bridge polls,
//! acknowledgements, missed detection with escalation, adherence, check-in answers.
//!
//! Routes (all need a bearer token):
//!
//! - `POST /api/v1/schedules`, `GET /api/v1/schedules?resident_id=`, `GET|DELETE
//!   /api/v1/schedules/{id}` — welfare-centre workers (their dong) and admins manage; dispatchers read.
//! - `GET /api/v1/reminders/due?limit=&now=` (role `clock`): claims due occurrences and returns
//!   them, each exactly once (see [`feed`]). The answer is a JSON array:
//!
//!   ```json
//!   [{"delivery_id": "sch-0123456789abcdef@1795651200000",
//!     "device_id": "dev-…",            // the resident's ai-speaker
//!     "resident_id": "res-…",
//!     "kind": "medication",            // or appointment, cognitive-training, music, relaxation, check-in
//!     "text": "할머니, 아침 약 드실 시간이에요.",
//!     "occurs_at": "2026-11-26T00:00:00.000Z",
//!     "needs_ack": true}]
//!   ```
//!
//!   The bridge publishes each item on `safetynet/v1/devices/{device_id}/commands`; the speaker
//!   answers with a `reminder-ack` event carrying `data.delivery_id` (or, for a check-in, a
//!   `check-in` event with `data.answer` and `data.delivery_id`).
//! - `POST /api/v1/reminders/{delivery_id}/ack` — staff record an acknowledgement (e.g. the
//!   caregiver phoned); `GET /api/v1/reminders/{delivery_id}` shows one occurrence.
//! - `POST /api/v1/jobs/reminders` (role `clock`; optional `{"now": RFC 3339}` for drills):
//!   marks missed occurrences and turns `misses_to_escalate` misses in a row into a
//!   `missed-dose` incident routed by the routing component (see [`tick`]).
//! - `GET /api/v1/adherence/{resident_id}?from=&to=&format=json|csv` — taken, late, missed by
//!   ISO week; `GET /api/v1/adherence?dong=` the same over every resident the caller may see.
//! - `GET /api/v1/checkins?resident_id=` — a resident's check-in answers.

mod adherence;
mod feed;
mod schedule_client;
mod schedules;
mod tick;

use serde_json::json;
use spin_sdk::http::{IncomingRequest, Method, Request, Response};
use spin_sdk::http_component;

use safetynet_auth::access::{self, Subject};
use safetynet_auth::{Role, Staff, authenticate};
use safetynet_care as reminders;
use safetynet_db::Db;
use safetynet_http::validate::opt_str;
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param, segments};
use safetynet_residents as registry;
use safetynet_wire::time;

use schedule_client as sc;

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    safetynet_http::serve(req, route).await
}

/// Who manages schedules (welfare-centre workers only in their dong; admins always).
pub const MANAGE: &[Role] = &[Role::WelfareCentre];
/// Who reads schedules, occurrences, adherence and check-ins.
pub const READ: &[Role] = &[Role::WelfareCentre, Role::Dispatcher];

async fn route(req: Request) -> ApiResult<Response> {
    let db = Db::open(safetynet_migrations::ALL)?;
    let staff = authenticate(&req, &db)?;
    let seg = segments(&req);
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = req.method().clone();
    match (m, &seg[..]) {
        (Method::Post, ["api", "v1", "schedules"]) => schedules::create(&req, &db, &staff),
        (Method::Get, ["api", "v1", "schedules"]) => schedules::list(&req, &db, &staff),
        (Method::Get, ["api", "v1", "schedules", id]) => schedules::detail(&db, &staff, id),
        (Method::Delete, ["api", "v1", "schedules", id]) => schedules::delete(&db, &staff, id),
        (Method::Get, ["api", "v1", "reminders", "due"]) => feed::poll(&req, &db, &staff),
        (Method::Get, ["api", "v1", "reminders", id]) => occurrence(&db, &staff, id),
        (Method::Post, ["api", "v1", "reminders", id, "ack"]) => ack(&req, &db, &staff, id),
        (Method::Post, ["api", "v1", "jobs", "reminders"]) => tick::run(&req, &db, &staff).await,
        (Method::Get, ["api", "v1", "adherence"]) => adherence::summary(&req, &db, &staff),
        (Method::Get, ["api", "v1", "adherence", resident_id]) => {
            adherence::get(&req, &db, &staff, resident_id)
        }
        (Method::Get, ["api", "v1", "checkins"]) => checkins(&req, &db, &staff),
        (_, ["api", "v1", "schedules", ..])
        | (_, ["api", "v1", "reminders", ..])
        | (_, ["api", "v1", "jobs", "reminders"])
        | (_, ["api", "v1", "adherence", ..])
        | (_, ["api", "v1", "checkins"]) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found("no such route")),
    }
}

/// The resident, if `staff` may see them (404 otherwise, as for a missing one).
/// The resident whose reminders, adherence or check-ins are read: a read of their record, in
/// the access log; another dong's resident is refused (403) and the attempt logged.
pub fn visible_resident(db: &Db, staff: &Staff, id: &str) -> ApiResult<registry::Resident> {
    let r = registry::get_resident(db, id)?
        .ok_or_else(|| ApiError::not_found(format!("no resident {id}")))?;
    access::check_read(db, staff, Subject::Resident, &r.id, &r.dong)?;
    Ok(r)
}

/// An occurrence as staff see it: the stored facts and its status now.
pub fn occurrence_json(d: &reminders::Delivery, now: i64) -> serde_json::Value {
    let mut v = d.to_json();
    // The tick's verdict stands even when a drill ran it with a later `now`.
    let now = now.max(d.missed_at.unwrap_or(i64::MIN));
    let status = if d.needs_ack {
        sc::status_str(sc::classify(
            d.occurs_at,
            d.grace_minutes.clamp(0, u32::MAX as i64) as u32,
            d.acked_at,
            now,
        ))
    } else if d.claimed_at.is_some() {
        "delivered"
    } else {
        "not-delivered"
    };
    v["status"] = json!(status);
    v
}

fn visible_delivery(db: &Db, staff: &Staff, id: &str) -> ApiResult<reminders::Delivery> {
    let d = reminders::get_delivery(db, id)?
        .ok_or_else(|| ApiError::not_found(format!("no reminder delivery {id}")))?;
    visible_resident(db, staff, &d.resident_id)
        .map_err(|_| ApiError::not_found(format!("no reminder delivery {id}")))?;
    Ok(d)
}

fn occurrence(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(READ)?;
    let d = visible_delivery(db, staff, id)?;
    Ok(json_response(200, &occurrence_json(&d, time::now_ms())))
}

/// `POST /api/v1/reminders/{delivery_id}/ack`: staff record that the resident acknowledged
/// (optionally when, `at`, not in the future). The first acknowledgement stands.
fn ack(req: &Request, db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(READ)?;
    visible_delivery(db, staff, id)?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let now = time::now_ms();
    let at = match opt_str(&v, "at", 64)? {
        None => now,
        Some(s) => time::parse_rfc3339(s)
            .filter(|t| *t <= now + 60_000)
            .ok_or_else(|| {
                ApiError::invalid("at", "must be an RFC 3339 timestamp, not in the future")
            })?,
    };
    let outcome = db.tx(|db| reminders::ack(db, id, None, &staff.id, at))?;
    let (d, first) = match outcome {
        reminders::Ack::Recorded(d) => (d, true),
        reminders::Ack::Already(d) => (d, false),
        reminders::Ack::Unknown => {
            return Err(ApiError::not_found(format!("no reminder delivery {id}")));
        }
    };
    eprintln!("reminder acked delivery={id} by={} first={first}", staff.id);
    let mut body = occurrence_json(&d, now);
    body["first_ack"] = json!(first);
    Ok(json_response(200, &body))
}

/// `GET /api/v1/checkins?resident_id=&limit=`.
fn checkins(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(READ)?;
    let resident_id = query_param(req, "resident_id")
        .ok_or_else(|| ApiError::invalid("resident_id", "required"))?;
    let r = visible_resident(db, staff, &resident_id)?;
    let limit = limit_param(req, 100, 1000)?;
    let list = reminders::checkins_of(db, &r.id, limit)?;
    Ok(json_response(
        200,
        &json!({"resident_id": r.id, "checkins": list}),
    ))
}

pub use safetynet_http::{limit_param, time_param};
