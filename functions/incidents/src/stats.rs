//! `GET /api/v1/incidents/stats`: the figures a city reports — incidents by month (KST), kind
//! and outcome, how many residents 119 reported transported (in all and this year), how long
//! acknowledgement took in each dong (median and 90th percentile), and how many supervised
//! devices are online — all within the caller's scope.

use serde_json::{Map, Value, json};
use spin_sdk::http::{Request, Response};

use safetynet_alerting::incidents::{self, Filter};
use safetynet_auth::Staff;
use safetynet_db::Db;
use safetynet_http::ApiResult;
use safetynet_http::json as json_response;
use safetynet_wire::time::{month_kst, now_ms};
use std::collections::BTreeMap;

fn bump(map: &mut Map<String, Value>, key: &str) {
    let n = map.get(key).and_then(Value::as_i64).unwrap_or(0);
    map.insert(key.to_string(), json!(n + 1));
}

/// Count, median and 90th percentile (nearest rank) of `secs`.
fn percentiles(secs: &mut [i64]) -> Value {
    secs.sort_unstable();
    let rank = |p: f64| secs[((p * secs.len() as f64).ceil() as usize).clamp(1, secs.len()) - 1];
    json!({"acknowledged": secs.len(), "median": rank(0.5), "p90": rank(0.9)})
}

pub fn get(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(super::STAFF_ROLES)?;
    let f = Filter {
        dong: safetynet_http::query_param(req, "dong"),
        from: super::time_param(req, "from")?,
        to: super::time_param(req, "to")?,
        limit: i64::MAX,
        ..Filter::default()
    };
    let list = incidents::list(db, &staff.scope(), &f)?;
    let (online, offline) =
        safetynet_residents::device_status_counts(db, &staff.scope(), f.dong.as_deref(), now_ms())?;
    let mut by_month: Map<String, Value> = Map::new();
    let mut by_kind = Map::new();
    let mut by_outcome = Map::new();
    let mut dispatch_failed = 0;
    let mut transported = 0;
    let mut transported_this_year = 0;
    let this_year = month_kst(now_ms())[..4].to_string();
    let mut ack_seconds: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for i in &list {
        if let Some(at) = i.acknowledged_at {
            ack_seconds
                .entry(i.dong.as_str())
                .or_default()
                .push((at - i.opened_at).max(0) / 1000);
        }
        if i.transported_at
            .is_some_and(|t| month_kst(t).starts_with(&this_year))
        {
            transported_this_year += 1;
        }
        let outcome = i.outcome.clone().unwrap_or_else(|| "open".to_string());
        bump(&mut by_kind, &i.kind);
        bump(&mut by_outcome, &outcome);
        if i.dispatch_failed {
            dispatch_failed += 1;
        }
        if i.transported_at.is_some() {
            transported += 1;
        }
        let month = by_month.entry(month_kst(i.opened_at)).or_insert_with(
            || json!({"total": 0, "transported_by_119": 0, "by_kind": {}, "by_outcome": {}}),
        );
        month["total"] = json!(month["total"].as_i64().unwrap_or(0) + 1);
        if i.transported_at.is_some() {
            let n = month["transported_by_119"].as_i64().unwrap_or(0);
            month["transported_by_119"] = json!(n + 1);
        }
        bump(month["by_kind"].as_object_mut().unwrap(), &i.kind);
        bump(month["by_outcome"].as_object_mut().unwrap(), &outcome);
    }
    Ok(json_response(
        200,
        &json!({
            "total": list.len(),
            "by_month": by_month,
            "by_kind": by_kind,
            "by_outcome": by_outcome,
            "dispatch_failed": dispatch_failed,
            "transported_by_119": transported,
            "transported_by_119_this_year": transported_this_year,
            "acknowledge_seconds_by_dong": ack_seconds
                .into_iter()
                .map(|(dong, mut secs)| (dong.to_string(), percentiles(&mut secs)))
                .collect::<Map<String, Value>>(),
            "devices": {"online": online, "offline": offline},
        }),
    ))
}
