//! Officers' activities: logged by the officer, checked against the recognition rules (no
//! future dates, no overlaps, at most 8 hours a day), approved or returned by the dong centre.
//! Approved time is volunteer time; totals per year and lifetime; badges cross on approval.

use chrono::NaiveDate;
use chrono::Timelike;
use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use crate::store::officer_activities::{self as store, Activity};
use crate::store::officers::{self, Officer};
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::validate::{opt_str, req_enum, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_wire::ids;
use safetynet_wire::time;

use crate::badges;
use crate::recognition_client::{self as recognition, ActivityEntry, KINDS};

fn entry(a: &Activity) -> ActivityEntry {
    ActivityEntry {
        id: a.id.clone(),
        kind: recognition::kind(&a.kind).unwrap_or(recognition::ActivityKind::Meeting),
        date: a.date.clone(),
        start_minute: a.start_minute as u32,
        minutes: a.minutes as u32,
    }
}

fn parse_start(v: &Value) -> ApiResult<i64> {
    let s = req_str(v, "start", 5)?;
    let t = chrono::NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| ApiError::invalid("start", "must be a local time HH:MM, e.g. 09:30"))?;
    Ok(i64::from(t.hour() * 60 + t.minute()))
}

/// Hours in half-hour steps, the unit officers and the volunteer portal use.
fn parse_hours(v: &Value) -> ApiResult<i64> {
    let bad = || {
        ApiError::invalid(
            "hours",
            "must be a number of hours in steps of 0.5, e.g. 1.5",
        )
    };
    let h = v.get("hours").and_then(Value::as_f64).ok_or_else(bad)?;
    if !(h > 0.0 && h <= 24.0) || (h * 2.0).fract() != 0.0 {
        return Err(bad());
    }
    Ok((h * 60.0).round() as i64)
}

/// 400 naming the broken rule in `error.rule` (and first in the message).
fn rule_violation(rule: &str, message: &str) -> Response {
    let mut body = ApiError::new(400, "rule_violation", format!("{rule}: {message}")).body();
    body["error"]["rule"] = json!(rule);
    json_response(400, &body)
}

pub fn log(req: &Request, db: &Db, staff: &Staff, o: &Officer) -> ApiResult<Response> {
    let v = safetynet_http::validate::parse_body(req.body())?;
    let date = req_str(&v, "date", 10)?;
    if NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() || date.len() != 10 {
        return Err(ApiError::invalid("date", "must be a date YYYY-MM-DD"));
    }
    let start = parse_start(&v)?;
    let minutes = parse_hours(&v)?;
    let kind = req_enum(&v, "kind", KINDS)?;
    let note = opt_str(&v, "note", 500)?;
    let now = time::now_ms();
    let today = time::date_kst(now);
    let a = Activity {
        id: ids::new_id("act"),
        officer_id: o.id.clone(),
        dong: o.dong.clone(),
        date: date.to_string(),
        start_minute: start,
        minutes,
        kind: kind.to_string(),
        note: note.map(str::to_string),
        state: "submitted".into(),
        submitted_at: now,
        decided_at: None,
        decided_by: None,
        return_reason: None,
    };
    // Checked and stored under the write lock, so two entries racing in cannot both pass.
    let outcome = db.tx(|db| -> ApiResult<_> {
        let existing: Vec<ActivityEntry> =
            store::live_on(db, &o.id, date)?.iter().map(entry).collect();
        if let Some(v) = recognition::check_activity(&entry(&a), &existing, &today)? {
            return Ok(Some(v));
        }
        store::insert(db, &a)?;
        officers::audit(
            db,
            &staff.id,
            "activity-logged",
            &format!("activity/{}", a.id),
            None,
            now,
        )?;
        Ok(None)
    })?;
    if let Some(v) = outcome {
        return Ok(rule_violation(&v.rule, &v.message));
    }
    eprintln!("activity logged id={} officer={}", a.id, o.id);
    Ok(json_response(201, &a.to_json()))
}

pub fn list(req: &Request, db: &Db, o: &Officer) -> ApiResult<Response> {
    let year = super::year_param(req, "year")?;
    let state = query_param(req, "state");
    let list: Vec<Value> = store::of_officer(db, &o.id, year, state.as_deref())?
        .iter()
        .map(Activity::to_json)
        .collect();
    Ok(json_response(200, &json!({ "activities": list })))
}

/// Approved hours per year and lifetime, with the badges earned.
pub fn totals(db: &Db, o: &Officer) -> ApiResult<Value> {
    let (lifetime, years) = store::approved_minutes(db, &o.id)?;
    let submitted: i64 = store::of_officer(db, &o.id, None, Some("submitted"))?
        .iter()
        .map(|a| a.minutes)
        .sum();
    Ok(json!({
        "officer_id": o.id,
        "lifetime_hours": lifetime as f64 / 60.0,
        "years": years.iter().map(|(y, m)| json!({"year": y.parse::<i64>().unwrap_or(0), "hours": *m as f64 / 60.0})).collect::<Vec<_>>(),
        "awaiting_approval_hours": submitted as f64 / 60.0,
        "crisis_reports": safetynet_cases::count_by_reporter(db, &o.id)?,
        "badges": officers::badges_of(db, &o.id)?,
    }))
}

pub fn hours(db: &Db, o: &Officer) -> ApiResult<Response> {
    Ok(json_response(200, &totals(db, o)?))
}

pub fn officer_detail(db: &Db, o: &Officer) -> ApiResult<Response> {
    let mut body = o.to_json();
    body["hours"] = totals(db, o)?;
    Ok(json_response(200, &body))
}

/// The dong centre's queue (support centre: every dong, or `?dong=`).
pub fn queue(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::WelfareCentre, Role::SupportCentre])?;
    let state = query_param(req, "state").unwrap_or_else(|| "submitted".into());
    if !["submitted", "approved", "returned"].contains(&state.as_str()) {
        return Err(ApiError::invalid(
            "state",
            "one of submitted, approved, returned",
        ));
    }
    let dong = match query_param(req, "dong") {
        Some(d) => {
            staff.require_dong(&d)?;
            Some(d)
        }
        None if staff.role == Role::WelfareCentre => staff.dong.clone(),
        None => None,
    };
    let list: Vec<Value> = store::queue(db, dong.as_deref(), &state, 1000)?
        .iter()
        .map(Activity::to_json)
        .collect();
    Ok(json_response(200, &json!({ "activities": list })))
}

pub fn decide(
    req: &Request,
    db: &Db,
    staff: &Staff,
    id: &str,
    action: &str,
) -> ApiResult<Response> {
    staff.require(&[Role::WelfareCentre])?;
    let a = store::get(db, id)?.ok_or_else(|| ApiError::not_found(format!("no activity {id}")))?;
    staff.require_dong(&a.dong)?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let now = time::now_ms();
    let subject = format!("activity/{id}");
    let new_badges = match action {
        "approve" => db.tx(|db| -> ApiResult<_> {
            store::decide(db, id, "approved", &staff.id, None, now)?;
            officers::audit(db, &staff.id, "activity-approved", &subject, None, now)?;
            badges::refresh(db, &a.officer_id, now)
        })?,
        "return" => {
            let reason = req_str(&v, "reason", 500)?;
            db.tx(|db| {
                store::decide(db, id, "returned", &staff.id, Some(reason), now)?;
                officers::audit(
                    db,
                    &staff.id,
                    "activity-returned",
                    &subject,
                    Some(reason),
                    now,
                )
            })?;
            vec![]
        }
        _ => return Err(ApiError::not_found(format!("no action {action:?}"))),
    };
    eprintln!("activity {action} id={id} by={}", staff.id);
    let a = store::get(db, id)?.expect("exists");
    let mut body = a.to_json();
    body["new_badges"] = json!(new_badges);
    Ok(json_response(200, &body))
}
