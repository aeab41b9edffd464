//! `POST /api/v1/jobs/reminders` (role `clock`; body `{"now": RFC 3339}` optional, for drills):
//! the reminders' share of the clock, called by the device bridge or a CronJob next to
//! `/api/v1/jobs/tick`.
//!
//! 1. Catch-up: schedules whose next occurrence is past its grace period (the feed was not
//!    polled in time) get those occurrences recorded as not delivered, and move on.
//! 2. Missed: occurrences needing an acknowledgement whose grace period ended without one are
//!    marked missed.
//! 3. Escalation: when a schedule's latest `misses_to_escalate` occurrences were all delivered
//!    and all missed, and none of them escalated yet (the schedule component's `missed-streak`
//!    decides), the routing component plans a `missed-dose` incident (for a check-in
//!    programme: `check-in`, "went unanswered") and its notifications go to the outbox and out
//!    at once — the caregiver first, per the policy. An occurrence never delivered (no speaker,
//!    bridge down) resets the streak: the resident was not reminded, so a miss says nothing
//!    about them.
//!
//! Every step is idempotent: repeated or overlapping ticks change nothing twice.

use serde_json::json;
use spin_sdk::http::{Request, Response};

use safetynet_alerting::delivery;
use safetynet_alerting::routing_client::{self as routing, kind_from_str};
use safetynet_alerting::{self as alerting, Alert, Raised};
use safetynet_auth::{Role, Staff};
use safetynet_care::{self as reminders, Schedule};
use safetynet_db::Db;
use safetynet_http::ApiResult;
use safetynet_http::json as json_response;
use safetynet_residents as registry;
use safetynet_wire::time;

use crate::schedule_client as sc;

const BATCH: i64 = 500;

pub async fn run(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::Clock])?;
    let body = safetynet_http::validate::parse_optional_body(req.body())?;
    let now = safetynet_http::validate::opt_time(&body, "now")?.unwrap_or_else(time::now_ms);

    let caught_up = catch_up(db, now)?;
    let (missed, schedules) = mark_missed(db, now)?;
    let mut escalated = Vec::new();
    for schedule_id in schedules {
        if let Some(incident) = escalate(db, &schedule_id, now)? {
            escalated.push(incident);
        }
    }
    let mut delivered = 0;
    let mut failed = 0;
    for incident_id in escalated
        .iter()
        .filter_map(|(id, opened)| opened.then_some(id))
    {
        match delivery::send_due(db, now, Some(incident_id), 50).await {
            Ok(r) => {
                delivered += r.delivered;
                failed += r.failed;
            }
            Err(e) => eprintln!("immediate delivery error incident={incident_id} error={e}"),
        }
    }
    Ok(json_response(
        200,
        &json!({
            "now": time::to_rfc3339(now),
            "not_delivered": caught_up,
            "missed": missed,
            "incidents": escalated.iter().map(|(id, opened)| json!({"incident_id": id, "incident": if *opened { "opened" } else { "joined" }})).collect::<Vec<_>>(),
            "delivered": delivered,
            "failed": failed,
        }),
    ))
}

/// Records occurrences nobody fetched in time as not delivered; returns how many.
fn catch_up(db: &Db, now: i64) -> ApiResult<u32> {
    db.tx(|db| -> ApiResult<_> {
        let mut n = 0;
        for s in reminders::overdue_schedules(db, now, BATCH)? {
            let Some(from) = s.next_at else { continue };
            let upto = now - s.grace_minutes * 60_000;
            let rec = sc::recurrence(&s);
            let occurrences = sc::occurrences(&rec, from, upto, 1000).map_err(sc::stored)?;
            for &at in &occurrences {
                if reminders::record_occurrence(db, &s, at, None, None)? {
                    n += 1;
                }
            }
            let after = occurrences.last().copied().unwrap_or(upto).max(upto);
            let next = if occurrences.len() == 1000 {
                sc::next_after(&rec, *occurrences.last().expect("non-empty"))
            } else {
                sc::next_after(&rec, after)
            }
            .map_err(sc::stored)?;
            reminders::set_next(db, &s.id, next)?;
        }
        if n > 0 {
            eprintln!("reminders not delivered in time n={n}");
        }
        Ok(n)
    })
}

/// Marks missed occurrences; returns how many, and the schedules concerned.
fn mark_missed(db: &Db, now: i64) -> ApiResult<(u32, Vec<String>)> {
    db.tx(|db| -> ApiResult<_> {
        let mut n = 0;
        let mut schedules: Vec<String> = Vec::new();
        for d in reminders::newly_missed(db, now, BATCH)? {
            if reminders::mark_missed(db, &d.id, now)? {
                n += 1;
                if !schedules.contains(&d.schedule_id) {
                    schedules.push(d.schedule_id.clone());
                }
            }
        }
        Ok((n, schedules))
    })
}

/// The misses a schedule should escalate now, if its latest run of misses is long enough: the
/// schedule component decides from the latest `misses_to_escalate` occurrences.
fn streak(db: &Db, s: &Schedule, now: i64) -> ApiResult<Option<Vec<String>>> {
    // Never negative: a negative LIMIT would read every occurrence.
    let threshold = s.misses_to_escalate.clamp(0, i64::from(u32::MAX));
    let latest = reminders::latest_of_schedule(db, &s.id, now, threshold)?;
    Ok(sc::missed_streak(
        &sc::streak_entries(&latest),
        threshold as u32,
    ))
}

/// Opens (or joins) the incident for a streak of misses; `(incident id, opened)`.
fn escalate(db: &Db, schedule_id: &str, now: i64) -> ApiResult<Option<(String, bool)>> {
    let Some(s) = reminders::get_schedule(db, schedule_id)? else {
        return Ok(None);
    };
    if streak(db, &s, now)?.is_none() {
        return Ok(None);
    }
    let Some(resident) = registry::get_resident(db, &s.resident_id)? else {
        return Ok(None);
    };
    let kind = if s.kind == "check-in" {
        "check-in"
    } else {
        "missed-dose"
    };
    let contacts = registry::contacts_of(db, &resident.id)?;
    let profile = routing::profile(&resident, &contacts);
    let event_id = format!("reminders:{kind}:{}:{now}", s.id);
    let plan = routing::plan(
        &event_id,
        "",
        kind_from_str(kind).expect("known kind"),
        now,
        &profile,
        now,
    )?;
    if !plan.opens_incident {
        return Ok(None);
    }
    db.tx(|db| -> ApiResult<_> {
        // Checked again under the write lock: an overlapping tick escalates a streak once.
        let Some(ids) = streak(db, &s, now)? else {
            return Ok(None);
        };
        let source = format!("reminders:{}", s.id);
        let alert = Alert {
            kind,
            source: &source,
            resident: &resident,
            contacts: &contacts,
            device: None,
            event: None,
            now,
        };
        let raised = alerting::raise(db, &alert, &plan)?;
        reminders::mark_escalated(db, &ids, raised.id())?;
        let opened = matches!(raised, Raised::Opened(_));
        if opened {
            eprintln!(
                "incident opened id={} kind={kind} resident={} schedule={} source=reminders",
                raised.id(),
                resident.id,
                s.id
            );
        }
        Ok(Some((raised.id().to_string(), opened)))
    })
}
