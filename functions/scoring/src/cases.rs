//! Case follow-up by the dong centres: list, detail with notes, and status updates
//! (contacted, supported with the service, linked with the agency, not eligible, unreachable,
//! declined). Cases from officer reports arrive through `store::cases::create_case`.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use safetynet_auth::access::{self, Subject};
use safetynet_auth::{Role, Staff};
use safetynet_cases::{self as cases, Case, SOURCES, STATUSES};
use safetynet_db::Db;
use safetynet_http::validate::{opt_str, parse_body, req_enum, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_wire::time;

const WORKERS: &[Role] = &[Role::WelfareCentre];

fn case_json(db: &Db, c: &Case) -> ApiResult<Value> {
    let mut v = c.to_json();
    let f = cases::follow_up(db, &c.id)?;
    v["cycle"] = json!(f.cycle);
    v["run_id"] = json!(f.run_id);
    v["score"] = json!(f.score);
    v["band"] = json!(f.band);
    v["service"] = json!(f.service);
    v["agency"] = json!(f.agency);
    v["closed_at"] = json!(f.closed_at.map(time::to_rfc3339));
    Ok(v)
}

pub fn list(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    let dong = query_param(req, "dong");
    access::require_role(
        db,
        staff,
        WORKERS,
        Subject::CaseList,
        dong.as_deref().unwrap_or("*"),
    )?;
    // Asking for another dong's queue by name is refused (and logged), not answered with an
    // empty list.
    access::check_list(db, staff, Subject::CaseList, dong.as_deref())?;
    let status = query_param(req, "status");
    if let Some(s) = &status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::invalid(
            "status",
            format!("one of {}", STATUSES.join(", ")),
        ));
    }
    let source = query_param(req, "source");
    if let Some(s) = &source
        && !SOURCES.contains(&s.as_str())
    {
        return Err(ApiError::invalid(
            "source",
            format!("one of {}", SOURCES.join(", ")),
        ));
    }
    let cycle = match query_param(req, "cycle") {
        None => None,
        Some(c) => Some(
            crate::cycle::Cycle::parse(&c)
                .ok_or_else(|| ApiError::invalid("cycle", "e.g. 2026-11-12"))?
                .id(),
        ),
    };
    let limit = safetynet_http::limit_param(req, 500, 5000)?;
    let list = cases::list(
        db,
        &staff.scope(),
        dong.as_deref(),
        cycle.as_deref(),
        status.as_deref(),
        source.as_deref(),
        limit,
    )?;
    let out: Vec<Value> = list
        .iter()
        .map(|c| case_json(db, c))
        .collect::<ApiResult<_>>()?;
    Ok(json_response(200, &json!({"cases": out})))
}

pub fn detail(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    access::require_role(db, staff, WORKERS, Subject::Case, id)?;
    let c = cases::get(db, id)?.ok_or_else(|| ApiError::not_found(format!("no case {id}")))?;
    access::check_read(db, staff, Subject::Case, id, &c.dong)?;
    let mut v = case_json(db, &c)?;
    v["notes"] = json!(cases::notes(db, id)?);
    Ok(json_response(200, &v))
}

/// Records a follow-up step. `supported` needs the service given, `linked` the agency.
pub fn update(req: &Request, db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(WORKERS)?;
    cases::get_visible(db, &staff.scope(), id)?;
    let v = parse_body(req.body())?;
    let status = req_enum(&v, "status", &STATUSES[1..])?;
    let service = match status {
        "supported" => Some(req_str(&v, "service", 200)?),
        _ => opt_str(&v, "service", 200)?,
    };
    let agency = match status {
        "linked" => Some(req_str(&v, "agency", 200)?),
        _ => opt_str(&v, "agency", 200)?,
    };
    let note = opt_str(&v, "note", 4000)?;
    let now = time::now_ms();
    let at = match v.get("at") {
        None | Some(Value::Null) => now,
        Some(_) => {
            let at = safetynet_http::validate::req_time(&v, "at")?;
            if at > now + 300_000 {
                return Err(ApiError::invalid("at", "must not be in the future"));
            }
            at
        }
    };
    db.tx(|db| -> ApiResult<_> {
        cases::record(
            db,
            id,
            &cases::Update {
                status,
                service,
                agency,
                note,
                at,
                by: &staff.id,
                now,
            },
        )?;
        Ok(())
    })?;
    eprintln!("case {id} status={status} by={}", staff.id);
    detail(db, staff, id)
}
