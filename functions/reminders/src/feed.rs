//! `GET /api/v1/reminders/due?limit=&now=`: the feed the device bridge polls (role `clock`).
//!
//! In one IMMEDIATE transaction: read the schedules whose `next_at` has come (an index range,
//! so a poll costs what is due, not what exists), expand each from `next_at` to now with the
//! schedule component, record every occurrence under its delivery id
//! (`<schedule id>@<occurs_at ms>`, PRIMARY KEY) and move `next_at` on. An occurrence is handed
//! out only by the poll whose insert created it, so two polls — concurrent or repeated — never
//! hand out one occurrence twice. Occurrences past their grace period (nobody polled in time)
//! or of a resident without an ai-speaker are recorded as not delivered instead.
//!
//! The answer is a JSON array, earliest first, at most `limit` (default 100, max 1000) items:
//! `[{delivery_id, device_id, resident_id, kind, text, occurs_at, needs_ack}]` (see lib.rs).

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};
use std::collections::HashMap;

use safetynet_auth::{Role, Staff};
use safetynet_care as reminders;
use safetynet_db::Db;
use safetynet_http::ApiResult;
use safetynet_http::json as json_response;
use safetynet_residents as registry;
use safetynet_wire::time;

use crate::schedule_client as sc;
use crate::{limit_param, time_param};

/// Occurrences of one schedule expanded per poll at most (a schedule that fell far behind
/// catches up over several polls or ticks).
const PER_SCHEDULE: u32 = 100;

pub fn poll(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::Clock])?;
    let limit = limit_param(req, 100, 1000)? as usize;
    // `now` may be given for drills and tests, as for the tick.
    let now = time_param(req, "now")?.unwrap_or_else(time::now_ms);
    let items = db.tx(|db| claim(db, now, limit))?;
    if !items.is_empty() {
        eprintln!("reminders handed out n={} now={now}", items.len());
    }
    Ok(json_response(200, &Value::Array(items)))
}

/// Claims up to `limit` due occurrences at `now`; the feed items, earliest first.
pub fn claim(db: &Db, now: i64, limit: usize) -> ApiResult<Vec<Value>> {
    let mut items: Vec<(i64, Value)> = Vec::new();
    let mut speakers: HashMap<String, Option<String>> = HashMap::new();
    for s in reminders::due_schedules(db, now, limit as i64)? {
        if items.len() >= limit {
            break;
        }
        let Some(from) = s.next_at else { continue };
        let rec = sc::recurrence(&s);
        let occurrences = sc::occurrences(&rec, from, now, PER_SCHEDULE).map_err(sc::stored)?;
        let grace_ms = s.grace_minutes * 60_000;
        let mut next = None;
        for &at in &occurrences {
            let late = at + grace_ms < now;
            if !late && items.len() >= limit {
                // Left for the next poll.
                next = Some(at);
                break;
            }
            let device = match speakers.get(&s.resident_id) {
                Some(d) => d.clone(),
                None => {
                    let d = registry::devices_of(db, &s.resident_id)?
                        .into_iter()
                        .find(|d| d.kind == "ai-speaker")
                        .map(|d| d.id);
                    speakers.insert(s.resident_id.clone(), d.clone());
                    d
                }
            };
            let deliver = !late && device.is_some();
            let claimed = deliver.then_some(now);
            let fresh = reminders::record_occurrence(db, &s, at, device.as_deref(), claimed)?;
            if fresh && deliver {
                items.push((
                    at,
                    json!({
                        "delivery_id": reminders::delivery_id(&s.id, at),
                        "device_id": device,
                        "resident_id": s.resident_id,
                        "kind": s.kind,
                        "text": s.text,
                        "occurs_at": time::to_rfc3339(at),
                        "needs_ack": s.needs_ack,
                    }),
                ));
            } else if fresh && !deliver {
                eprintln!(
                    "reminder not delivered delivery={} reason={}",
                    reminders::delivery_id(&s.id, at),
                    if late { "past-grace" } else { "no-speaker" }
                );
            }
        }
        let next = match next {
            Some(n) => Some(n),
            // All expanded: the next one after the last handled (or after now when none were).
            None => {
                let after = if occurrences.len() as u32 == PER_SCHEDULE {
                    *occurrences.last().expect("non-empty")
                } else {
                    now
                };
                sc::next_after(&rec, after).map_err(sc::stored)?
            }
        };
        reminders::set_next(db, &s.id, next)?;
    }
    items.sort_by_key(|(at, _)| *at);
    Ok(items.into_iter().map(|(_, v)| v).collect())
}
