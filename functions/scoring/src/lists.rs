//! Reading a cycle: its uploads and run, each centre's list (that centre's workers and admins
//! only), and the support-rate report by centre.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};
use std::collections::BTreeMap;

use crate::store as scoring;
use safetynet_auth::access::{self, Subject};
use safetynet_auth::{Role, Staff};
use safetynet_cases as cases;
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_wire::time;

use crate::cycle::Cycle;

const READERS: &[Role] = &[Role::WelfareCentre];

pub fn cycles(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(READERS)?;
    let list: Vec<Value> = scoring::list_cycles(db)?
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "households": c.households, "created_at": time::to_rfc3339(c.created_at)}))
        .collect();
    Ok(json_response(200, &json!({"cycles": list})))
}

pub fn cycle(db: &Db, staff: &Staff, cycle: &Cycle) -> ApiResult<Response> {
    staff.require(READERS)?;
    let id = cycle.id();
    let c = scoring::get_cycle(db, &id)?
        .ok_or_else(|| ApiError::not_found(format!("no cycle {}", cycle.name())))?;
    let uploads: Vec<Value> = scoring::uploads(db, &id)?
        .iter()
        .map(|u| {
            json!({"provider": u.provider, "rows": u.rows, "missing_cells": u.missing_cells, "columns": u.columns,
                   "uploaded_at": time::to_rfc3339(u.uploaded_at), "uploaded_by": u.uploaded_by})
        })
        .collect();
    let run = scoring::current_run(db, &id)?;
    Ok(json_response(
        200,
        &json!({
            "id": c.id, "name": c.name, "households": c.households,
            "households_uploaded_at": c.households_uploaded_at.map(time::to_rfc3339),
            "uploads": uploads,
            "run": run.map(|r| json!({"id": r.id, "model_version": r.model_version, "finished_at": time::to_rfc3339(r.finished_at)})),
        }),
    ))
}

pub fn current_run(db: &Db, staff: &Staff, cycle: &Cycle) -> ApiResult<Response> {
    staff.require(READERS)?;
    let run = scoring::current_run(db, &cycle.id())?
        .ok_or_else(|| ApiError::not_found(format!("{} has not been run", cycle.name())))?;
    Ok(json_response(
        200,
        &crate::run::run_json(&run, &cycle.name()),
    ))
}

/// Every household's score as CSV (admins only: it covers every dong), for audit.
pub fn scores(db: &Db, staff: &Staff, cycle: &Cycle) -> ApiResult<Response> {
    staff.require(&[])?;
    let id = cycle.id();
    let run = scoring::current_run(db, &id)?
        .ok_or_else(|| ApiError::not_found(format!("{} has not been run", cycle.name())))?;
    let scores = scoring::run_scores(db, &run.id)?;
    let households = scoring::household_ids(db, &id)?;
    let mut out = String::with_capacity(households.len() * 32);
    out.push_str("household_id,score\n");
    for (h, s) in households.iter().zip(&scores) {
        // Display of f32 is the shortest text that parses back to the same bits.
        out.push_str(&format!("{h},{s}\n"));
    }
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/csv")
        .header("x-scoring-run", run.id.as_str())
        .header("x-scoring-model-version", run.model_version.as_str())
        .body(out)
        .build())
}

/// One centre's flagged households with reasons and case status, in rank order.
pub fn centre(
    req: &Request,
    db: &Db,
    staff: &Staff,
    cycle: &Cycle,
    dong: &str,
) -> ApiResult<Response> {
    access::require_role(db, staff, READERS, Subject::CaseList, dong)?;
    access::check_list(db, staff, Subject::CaseList, Some(dong))?;
    let limit = int_param(req, "limit", 1, 5_000)?.unwrap_or(1_000);
    let offset = int_param(req, "offset", 0, i64::MAX)?.unwrap_or(0);
    let run = scoring::current_run(db, &cycle.id())?
        .ok_or_else(|| ApiError::not_found(format!("{} has not been run", cycle.name())))?;
    let allocated = run.meta["centres"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["dong"] == dong))
        .map_or(json!(0), |c| c["allocated"].clone());
    let list: Vec<Value> = scoring::flags_for_dong(db, &run.id, dong, limit, offset)?
        .into_iter()
        .map(|(f, status)| {
            json!({"rank": f.rank, "household_id": f.household_id, "score": f.score, "band": f.band,
                   "reasons": f.reasons, "case_id": f.case_id, "case_status": status})
        })
        .collect();
    eprintln!(
        "scoring list cycle={} dong-list by={} rows={}",
        cycle.id(),
        staff.id,
        list.len()
    );
    Ok(json_response(
        200,
        &json!({"cycle": cycle.id(), "run_id": run.id, "model_version": run.model_version, "dong": dong,
                "allocated": allocated, "households": list}),
    ))
}

fn int_param(req: &Request, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
    match query_param(req, name) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, format!("a whole number from {min} to {max}"))),
    }
}

/// Support rate by centre: (supported + linked) ÷ cases sent by the cycle's run.
pub fn report(db: &Db, staff: &Staff, cycle: &Cycle) -> ApiResult<Response> {
    staff.require(READERS)?;
    let mut by_dong: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (dong, status, n) in cases::cycle_counts(db, &cycle.id())? {
        if staff.scope().sees(&dong) {
            *by_dong.entry(dong).or_default().entry(status).or_default() += n;
        }
    }
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    let mut centres = Vec::new();
    for (dong, counts) in &by_dong {
        for (s, n) in counts {
            *total.entry(s.clone()).or_default() += n;
        }
        let mut row = summary(counts);
        row["dong"] = json!(dong);
        centres.push(row);
    }
    let mut all = summary(&total);
    if staff.role == Role::WelfareCentre {
        all = Value::Null;
    }
    Ok(json_response(
        200,
        &json!({"cycle": cycle.id(), "name": cycle.name(),
                "definition": "support_rate = (supported + linked) / cases from this cycle's run",
                "centres": centres, "total": all}),
    ))
}

fn summary(counts: &BTreeMap<String, i64>) -> Value {
    let get = |s: &str| counts.get(s).copied().unwrap_or(0);
    let cases_n: i64 = counts.values().sum();
    let helped = get("supported") + get("linked");
    let closed: i64 = counts
        .iter()
        .filter(|(s, _)| !cases::OPEN_STATUSES.contains(&s.as_str()))
        .map(|(_, n)| n)
        .sum();
    let mut by_status = serde_json::Map::new();
    for s in cases::STATUSES {
        by_status.insert(s.to_string(), json!(get(s)));
    }
    json!({
        "cases": cases_n,
        "by_status": by_status,
        "closed": closed,
        "support_rate": if cases_n > 0 { (helped as f64 / cases_n as f64 * 1000.0).round() / 1000.0 } else { 0.0 },
    })
}
