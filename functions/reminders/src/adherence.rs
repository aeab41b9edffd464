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

pub fn get(req: &Request, db: &Db, staff: &Staff, resident_id: &str) -> ApiResult<Response> {
    staff.require(READ)?;
    let format = query_param(req, "format").unwrap_or_else(|| "json".into());
    if format != "json" && format != "csv" {
        return Err(ApiError::invalid("format", "json or csv"));
    }
    // `now` (what counts as over) may be given for drills, as for the tick.
    let now = time_param(req, "now")?.unwrap_or_else(time::now_ms);
    let to = time_param(req, "to")?.unwrap_or(now);
    let from = time_param(req, "from")?.unwrap_or(to - 28 * 86_400_000);
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    let tz = query_param(req, "tz").unwrap_or_default();
    let resident = visible_resident(db, staff, resident_id)?;
    let list = reminders::deliveries_of_resident(db, &resident.id, from, to, true)?;
    let outcomes: Vec<sc::Outcome> = list
        .iter()
        .map(|d| sc::Outcome {
            occurs_at: d.occurs_at,
            grace_minutes: d.grace_minutes.clamp(0, u32::MAX as i64) as u32,
            acked_at: d.acked_at,
        })
        .collect();
    let a = sc::adherence(&outcomes, &tz, now).map_err(sc::invalid)?;

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
            "weeks": a.weeks.iter().map(|w| json!({"week": w.week, "taken": w.taken, "late": w.late, "missed": w.missed})).collect::<Vec<_>>(),
            "occurrences": list.iter().map(|d| occurrence_json(d, now)).collect::<Vec<_>>(),
        }),
    ))
}
