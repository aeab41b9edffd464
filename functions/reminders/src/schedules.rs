//! Schedules: what the speaker says to a resident, and when (an RFC 5545 rule in their zone).
//!
//! `POST /api/v1/schedules` body:
//! `{resident_id, kind, text, rule, tz?, start?, end?, medication_name?, dose?, needs_ack?,
//! grace_minutes?, misses_to_escalate?}`. `rule` is RFC 5545 lines (`RRULE:...`, optionally
//! `DTSTART...` and `EXDATE...`); without DTSTART, `start` (default: now, to the minute) is the
//! series start. Medication needs `medication_name` and `dose`. Defaults: `needs_ack` true for
//! medication, appointment and check-in; `grace_minutes` 60; `misses_to_escalate` 2 for
//! medication, else 0 (never).

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use safetynet_auth::Staff;
use safetynet_care::{self as reminders, KINDS, Schedule};
use safetynet_db::Db;
use safetynet_http::validate::{opt_i64, opt_str, parse_body, req_enum, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_wire::ids;
use safetynet_wire::time;

use crate::schedule_client as sc;

/// The zone of a schedule that names none.
const DEFAULT_TZ: &str = "Asia/Seoul";
use crate::{MANAGE, READ, occurrence_json, visible_resident};

fn opt_time(v: &Value, field: &str) -> ApiResult<Option<i64>> {
    match opt_str(v, field, 64)? {
        None => Ok(None),
        Some(s) => time::parse_rfc3339(s).map(Some).ok_or_else(|| {
            ApiError::invalid(
                field,
                "must be an RFC 3339 timestamp, e.g. 2026-11-26T09:00:00+09:00",
            )
        }),
    }
}

fn opt_bool(v: &Value, field: &str) -> ApiResult<Option<bool>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid(field, "must be true or false")),
    }
}

pub fn create(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(MANAGE)?;
    let v = parse_body(req.body())?;
    let resident_id = req_str(&v, "resident_id", 64)?;
    let kind = req_enum(&v, "kind", KINDS)?;
    let text = req_str(&v, "text", 500)?;
    let rule = req_str(&v, "rule", 2000)?;
    let tz = opt_str(&v, "tz", 64)?.unwrap_or(DEFAULT_TZ);
    let medication_name = opt_str(&v, "medication_name", 200)?;
    let dose = opt_str(&v, "dose", 200)?;
    if kind == "medication" {
        if medication_name.is_none() {
            return Err(ApiError::invalid(
                "medication_name",
                "required for medication",
            ));
        }
        if dose.is_none() {
            return Err(ApiError::invalid("dose", "required for medication"));
        }
    }
    let now = time::now_ms();
    let start = opt_time(&v, "start")?;
    let end = opt_time(&v, "end")?;
    let needs_ack = opt_bool(&v, "needs_ack")?
        .unwrap_or(matches!(kind, "medication" | "appointment" | "check-in"));
    let grace_minutes = opt_i64(&v, "grace_minutes", 0, 1440)?.unwrap_or(60);
    let misses_to_escalate = opt_i64(&v, "misses_to_escalate", 0, 50)?
        .unwrap_or(if kind == "medication" { 2 } else { 0 });
    if misses_to_escalate > 0 && !needs_ack {
        return Err(ApiError::invalid(
            "misses_to_escalate",
            "needs needs_ack: only acknowledged reminders can be missed",
        ));
    }

    let resident = visible_resident(db, staff, resident_id)?;
    staff.require_dong(&resident.dong)?;

    // Without DTSTART the series starts at `start`, or now to the minute (BYSECOND and, unless
    // given, BYMINUTE default to the start's).
    let series_start = start.unwrap_or(now - now.rem_euclid(60_000));
    let rec = sc::Recurrence {
        rule: rule.to_string(),
        tz: tz.to_string(),
        start: Some(series_start),
        end,
    };
    sc::validate(&rec).map_err(sc::invalid)?;
    // Reminders start from now: occurrences already past when the schedule is made are not sent.
    let next_at = sc::next_after(&rec, now - 1).map_err(sc::invalid)?;

    let s = Schedule {
        id: ids::new_id("sch"),
        resident_id: resident.id.clone(),
        dong: resident.dong.clone(),
        kind: kind.to_string(),
        medication_name: medication_name.map(str::to_string),
        dose: dose.map(str::to_string),
        text: text.to_string(),
        rule: rule.to_string(),
        tz: tz.to_string(),
        start_at: Some(series_start),
        end_at: end,
        needs_ack,
        grace_minutes,
        misses_to_escalate,
        next_at,
        created_at: now,
        created_by: staff.id.clone(),
        deleted_at: None,
    };
    db.tx(|db| reminders::insert_schedule(db, &s))?;
    eprintln!(
        "schedule created id={} resident={} kind={kind}",
        s.id, s.resident_id
    );
    Ok(json_response(201, &with_upcoming(&s, now)?))
}

/// The schedule with its next few occurrences.
fn with_upcoming(s: &Schedule, now: i64) -> ApiResult<Value> {
    let mut body = s.to_json();
    let upcoming = if s.deleted_at.is_none() {
        sc::occurrences(&sc::recurrence(s), now, now + 366 * 86_400_000, 5).map_err(sc::stored)?
    } else {
        Vec::new()
    };
    body["upcoming"] = json!(
        upcoming
            .into_iter()
            .map(time::to_rfc3339)
            .collect::<Vec<_>>()
    );
    Ok(body)
}

pub fn list(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(READ)?;
    let resident = query_param(req, "resident_id");
    if let Some(r) = &resident {
        visible_resident(db, staff, r)?;
    }
    let list: Vec<Value> = reminders::list_schedules(db, &staff.scope(), resident.as_deref())?
        .iter()
        .map(Schedule::to_json)
        .collect();
    Ok(json_response(200, &json!({ "schedules": list })))
}

fn visible(db: &Db, staff: &Staff, id: &str) -> ApiResult<Schedule> {
    reminders::get_schedule(db, id)?
        .filter(|s| staff.scope().sees(&s.dong))
        .ok_or_else(|| ApiError::not_found(format!("no schedule {id}")))
}

pub fn detail(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(READ)?;
    let s = visible(db, staff, id)?;
    let now = time::now_ms();
    let mut body = with_upcoming(&s, now)?;
    body["recent"] = json!(
        reminders::deliveries_of_schedule(db, &s.id, 50)?
            .iter()
            .map(|d| occurrence_json(d, now))
            .collect::<Vec<_>>()
    );
    Ok(json_response(200, &body))
}

pub fn delete(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(MANAGE)?;
    let s = visible(db, staff, id)?;
    db.tx(|db| reminders::delete_schedule(db, &s.id, time::now_ms()))?;
    eprintln!("schedule deleted id={} by={}", s.id, staff.id);
    Ok(Response::builder().status(204).body(Vec::new()).build())
}
