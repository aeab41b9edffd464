//! `GET /api/v1/adherence/{resident_id}?from=&to=&format=json|csv&tz=`: how a resident kept up
//! with reminders that need an acknowledgement — taken, late, missed, in total and by ISO week
//! (in `tz`, default Asia/Seoul). Defaults: the last 28 days up to now. `now` may be given for
//! drills (occurrences whose grace period ends after it are `open`).
//!
//! CSV (`format=csv`): `week,taken,late,missed`, one row per ISO week, then a `total` row.

use serde_json::json;
use spin_sdk::http::{Request, Response};

use safetynet_auth::Staff;
use safetynet_care as reminders;
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_wire::time;

use crate::schedule_client as sc;
use crate::{READ, occurrence_json, time_param, visible_resident};

/// The window and time zone asked for: `now` (what counts as over; drills may set it), `to`
/// (default now), `from` (default 28 days before `to`), `tz`.
struct Window {
    now: i64,
    from: i64,
    to: i64,
    tz: String,
}

fn window(req: &Request) -> ApiResult<Window> {
    let now = time_param(req, "now")?.unwrap_or_else(time::now_ms);
    let to = time_param(req, "to")?.unwrap_or(now);
    let from = time_param(req, "from")?.unwrap_or(to - 28 * 86_400_000);
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    let tz = query_param(req, "tz").unwrap_or_default();
    Ok(Window { now, from, to, tz })
}

fn format(req: &Request) -> ApiResult<String> {
    let format = query_param(req, "format").unwrap_or_else(|| "json".into());
    if format != "json" && format != "csv" {
        return Err(ApiError::invalid("format", "json or csv"));
    }
    Ok(format)
}

fn summarise(list: &[reminders::Delivery], w: &Window) -> ApiResult<sc::AdherenceReport> {
    let outcomes: Vec<sc::Outcome> = list
        .iter()
        .map(|d| sc::Outcome {
            occurs_at: d.occurs_at,
            grace_minutes: d.grace_minutes.clamp(0, u32::MAX as i64) as u32,
            acked_at: d.acked_at,
        })
        .collect();
    sc::adherence(&outcomes, &w.tz, w.now).map_err(sc::invalid)
}

fn weeks_json(a: &sc::AdherenceReport) -> Vec<serde_json::Value> {
    a.weeks
        .iter()
        .map(|w| json!({"week": w.week, "taken": w.taken, "late": w.late, "missed": w.missed}))
        .collect()
}

/// `GET /api/v1/adherence?dong=&from=&to=&tz=`: the same figures over every resident the
/// caller may see (or one dong of them), for the console's statistics.
pub fn summary(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(READ)?;
    let w = window(req)?;
    let dong = query_param(req, "dong");
    let list =
        reminders::acked_deliveries_in_scope(db, &staff.scope(), dong.as_deref(), w.from, w.to)?;
    let a = summarise(&list, &w)?;
    Ok(json_response(
        200,
        &json!({
            "dong": dong,
            "from": time::to_rfc3339(w.from),
            "to": time::to_rfc3339(w.to),
            "taken": a.taken,
            "late": a.late,
            "missed": a.missed,
            "open": a.open,
            "weeks": weeks_json(&a),
        }),
    ))
}

pub fn get(req: &Request, db: &Db, staff: &Staff, resident_id: &str) -> ApiResult<Response> {
    staff.require(READ)?;
    let format = format(req)?;
    let w = window(req)?;
    let (now, from, to) = (w.now, w.from, w.to);
    let resident = visible_resident(db, staff, resident_id)?;
    let list = reminders::deliveries_of_resident(db, &resident.id, from, to, true)?;
    let a = summarise(&list, &w)?;

    if format == "csv" {
        let mut csv = String::from("week,taken,late,missed\n");
        for w in &a.weeks {
            csv.push_str(&format!("{},{},{},{}\n", w.week, w.taken, w.late, w.missed));
        }
        csv.push_str(&format!("total,{},{},{}\n", a.taken, a.late, a.missed));
        return Ok(Response::builder()
            .status(200)
            .header("content-type", "text/csv; charset=utf-8")
            .header(
                "content-disposition",
                format!("attachment; filename=\"adherence-{}.csv\"", resident.id),
            )
            .body(csv)
            .build());
    }
    Ok(json_response(
        200,
        &json!({
            "resident_id": resident.id,
            "from": time::to_rfc3339(from),
            "to": time::to_rfc3339(to),
            "taken": a.taken,
            "late": a.late,
            "missed": a.missed,
            "open": a.open,
            "weeks": weeks_json(&a),
            "occurrences": list.iter().map(|d| occurrence_json(d, now)).collect::<Vec<_>>(),
        }),
    ))
}
