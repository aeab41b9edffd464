//! Recruitment against the target: active officers and pending applications per dong next to
//! each dong's target, and the city total against the city's (10,000 by default). Targets are
//! data: `targets.json`, or the `officer_targets` variable with the same shape.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use spin_sdk::http::Response;

use crate::store::officers;
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::json as json_response;
use safetynet_http::{ApiError, ApiResult};

const BUILTIN: &str = include_str!("../targets.json");

struct Targets {
    city: i64,
    dongs: BTreeMap<String, i64>,
}

fn targets() -> ApiResult<Targets> {
    let text = spin_sdk::variables::get("officer_targets")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| BUILTIN.to_string());
    let bad = |m: &str| ApiError::internal(format!("officer targets: {m}"));
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    let city = v["city_target"]
        .as_i64()
        .filter(|n| *n > 0)
        .ok_or_else(|| bad("city_target must be a positive integer"))?;
    let mut dongs = BTreeMap::new();
    for (k, n) in v["dongs"]
        .as_object()
        .ok_or_else(|| bad("dongs must be an object"))?
    {
        let n = n
            .as_i64()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad(&format!("dongs.{k} must be an integer ≥ 0")))?;
        dongs.insert(k.clone(), n);
    }
    Ok(Targets { city, dongs })
}

/// Percent of target, one decimal; none without a target.
fn rate(n: i64, target: Option<i64>) -> Value {
    match target {
        Some(t) if t > 0 => json!(((n as f64 / t as f64) * 1000.0).round() / 10.0),
        _ => Value::Null,
    }
}

pub fn stats(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre, Role::WelfareCentre])?;
    let t = targets()?;
    let mut per: BTreeMap<String, (i64, i64)> =
        t.dongs.keys().map(|d| (d.clone(), (0, 0))).collect();
    for (dong, active, pending) in officers::recruitment_counts(db)? {
        per.insert(dong, (active, pending));
    }
    let total_active: i64 = per.values().map(|(a, _)| a).sum();
    let total_pending: i64 = per.values().map(|(_, p)| p).sum();
    let allocated: i64 = t.dongs.values().sum();
    let dongs: Vec<Value> = per
        .iter()
        .filter(|(d, _)| staff.scope().sees(d))
        .map(|(d, (active, pending))| {
            let target = t.dongs.get(d).copied();
            json!({
                "dong": d,
                "target": target,
                "officers": active,
                "pending_applications": pending,
                "percent_of_target": rate(*active, target),
                "still_needed": target.map(|t| (t - active).max(0)),
            })
        })
        .collect();
    let mut body = json!({ "dongs": dongs });
    // The city-wide picture is for the support centre; a dong centre sees its own row.
    if staff.role != Role::WelfareCentre {
        body["city"] = json!({
            "target": t.city,
            "officers": total_active,
            "pending_applications": total_pending,
            "percent_of_target": rate(total_active, Some(t.city)),
            "still_needed": (t.city - total_active).max(0),
            "allocated_to_dongs": allocated,
            "unallocated_target": (t.city - allocated).max(0),
        });
    }
    Ok(json_response(200, &body))
}
