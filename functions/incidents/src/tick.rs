//! `POST /api/v1/jobs/tick`: the suite's clock work, called by the device bridge (or a CronJob).
//!
//! Each step is idempotent, so overlapping or repeated ticks are harmless: escalation rungs are
//! marked fired in the same commit that queues their notification, detection skips residents
//! who already have an incident since their last sign of life, and deliveries carry keys.

use safetynet_vocabulary::Channel;
use serde_json::json;
use spin_sdk::http::{Request, Response};

use safetynet_alerting::delivery;
use safetynet_alerting::incidents;
use safetynet_alerting::notify::{self, Context};
use safetynet_alerting::outbox;
use safetynet_alerting::routing_client::{self as routing, kind_from_str};
use safetynet_alerting::{self as alerting, Alert};
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::ApiResult;
use safetynet_http::json as json_response;
use safetynet_residents as registry;
use safetynet_wire::time;

const BATCH: i64 = 200;

pub async fn run(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::Clock])?;
    let body = safetynet_http::validate::parse_optional_body(req.body())?;
    // `now` may be given for drills and tests: it lets a ladder be walked without waiting.
    let now = safetynet_http::validate::opt_time(&body, "now")?.unwrap_or_else(time::now_ms);

    let escalated = climb_ladders(db, now)?;
    let inactivity = detect_inactivity(db, now)?;
    let offline = detect_offline(db, now)?;
    let enrolments_ending = warn_enrolments_ending(db, now)?;
    let report = delivery::send_due(db, now, None, BATCH).await?;
    let retention = crate::retention::run(db, time::now_ms());
    Ok(json_response(
        200,
        &json!({
            "now": time::to_rfc3339(now),
            "escalated": escalated,
            "inactivity_opened": inactivity,
            "offline_opened": offline,
            "enrolment_end_warnings": enrolments_ending,
            "delivered": report.delivered,
            "failed": report.failed,
            "pending": outbox::pending_count(db)?,
            "retention": retention,
        }),
    ))
}

fn climb_ladders(db: &Db, now: i64) -> ApiResult<u32> {
    let due = incidents::due_escalations(db, now, BATCH)?;
    let mut n = 0;
    for (incident_id, step) in due {
        let Some(inc) = incidents::get(db, &incident_id)? else {
            continue;
        };
        let Some(resident) = registry::get_resident(db, &inc.resident_id)? else {
            continue;
        };
        let contacts = registry::contacts_of(db, &resident.id)?;
        let ctx = Context {
            incident_id: &incident_id,
            kind: &inc.kind,
            severity: &inc.severity,
            resident: &resident,
            contacts: &contacts,
            device: None,
            event: None,
        };
        // Steps are stored by the vocabulary's channel names; one it no longer knows cannot be
        // sent anywhere: it is taken off the ladder (so it cannot block the steps behind it)
        // rather than failing the tick.
        let Ok(channel) = step.channel.parse::<Channel>() else {
            eprintln!(
                "ladder step skipped incident={incident_id} step={} unknown channel",
                step.step
            );
            db.tx(|db| incidents::mark_fired(db, &incident_id, step.step, now))?;
            continue;
        };
        db.tx(|db| -> ApiResult<_> {
            notify::enqueue(db, &ctx, step.step, channel, &step.target, now)?;
            Ok(incidents::mark_fired(db, &incident_id, step.step, now)?)
        })?;
        n += 1;
    }
    Ok(n)
}

/// Tells each dong centre, once per end date, of enrolments ending within
/// `enrolment_warning_days` (default 7), so a worker extends them (a new `eligibility_until`)
/// or unenrols in time; after the end the resident raises no inactivity alarm.
fn warn_enrolments_ending(db: &Db, now: i64) -> ApiResult<u32> {
    let days: i64 = spin_sdk::variables::get("enrolment_warning_days")
        .ok()
        .and_then(|d| d.trim().parse().ok())
        .filter(|d| (1..=90).contains(d))
        .unwrap_or(7);
    let mut n = 0;
    for (resident_id, dong, until) in registry::enrolments_ending(db, now, now + days * 86_400_000)?
    {
        // Ids only: the centre opens the record to see who it is.
        let key = format!("enrolment-end/{resident_id}/{until}");
        db.tx(|db| -> ApiResult<_> {
            notify::enqueue_to_centre(
                db,
                &key,
                &dong,
                json!({"resident_id": resident_id, "ends_at": time::to_rfc3339(until)}),
                format!(
                    "[안전망] {dong} 대상자 {resident_id}의 지원 기간이 {} 끝납니다. 연장하거나 종료해 주세요.",
                    time::kst_minute(until)
                ),
                now,
            )?;
            Ok(registry::mark_end_warned(db, &resident_id, until)?)
        })?;
        n += 1;
    }
    Ok(n)
}

/// Opens an incident of `kind` for a condition the tick detected.
fn open_detected(
    db: &Db,
    resident: &registry::Resident,
    device: Option<&registry::Device>,
    kind: &str,
    now: i64,
) -> ApiResult<bool> {
    let contacts = registry::contacts_of(db, &resident.id)?;
    let profile = routing::profile(resident, &contacts);
    let event_id = format!("tick:{kind}:{}:{now}", resident.id);
    let device_id = device.map(|d| d.id.as_str()).unwrap_or("");
    let plan = routing::plan(
        &event_id,
        device_id,
        kind_from_str(kind).expect("known kind"),
        now,
        &profile,
        now,
    )?;
    if !plan.opens_incident {
        return Ok(false);
    }
    db.tx(|db| -> ApiResult<_> {
        // Detection only opens: an open incident of this kind already covers it.
        if incidents::find_open(db, &resident.id, kind)?.is_some() {
            return Ok(false);
        }
        let alert = Alert {
            kind,
            source: "tick",
            resident,
            contacts: &contacts,
            device: device.map(|d| (d.id.as_str(), d.kind.as_str())),
            event: None,
            now,
        };
        let id = alerting::raise(db, &alert, &plan)?;
        eprintln!(
            "incident opened id={} kind={kind} resident={} source=tick",
            id.id(),
            resident.id
        );
        Ok(true)
    })
}

fn detect_inactivity(db: &Db, now: i64) -> ApiResult<u32> {
    let mut n = 0;
    for r in registry::inactive_residents(db, now)? {
        let since = r.last_activity_at.unwrap_or(r.created_at);
        if incidents::opened_since(db, &r.id, "inactivity", since)? {
            continue;
        }
        if open_detected(db, &r, None, "inactivity", now)? {
            n += 1;
        }
    }
    Ok(n)
}

fn detect_offline(db: &Db, now: i64) -> ApiResult<u32> {
    let mut n = 0;
    for d in registry::offline_devices(db, now)? {
        let since = d.last_heartbeat_at.unwrap_or(d.created_at);
        if incidents::opened_since(db, &d.resident_id, "device-offline", since)? {
            continue;
        }
        let Some(r) = registry::get_resident(db, &d.resident_id)? else {
            continue;
        };
        if open_detected(db, &r, Some(&d), "device-offline", now)? {
            n += 1;
        }
    }
    Ok(n)
}
