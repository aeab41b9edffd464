//! Crisis reports from officers: each becomes a case in the dong centre's queue (source
//! officer). An urgent report about an enrolled resident is routed like a crisis utterance from
//! their speaker — the routing component decides who is told and how the ladder climbs, and an
//! incident opens (or an open one is joined). An urgent report about a household we do not know
//! cannot open an incident (incidents belong to enrolled residents), so the dong centre gets an
//! SMS at once instead. Officers are told to call 119 themselves when life is in danger.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use crate::store::officers::{self, Officer};
use safetynet_alerting::delivery;
use safetynet_alerting::notify;
use safetynet_alerting::routing_client::{self as routing, EventKind};
use safetynet_alerting::{self as alerting, Alert, Raised};
use safetynet_auth::access::{self, Subject};
use safetynet_auth::{Role, Staff};
use safetynet_cases::{self as cases, Case, NewCase, URGENCIES};
use safetynet_db::Db;
use safetynet_http::validate::{opt_str, parse_body, req_enum, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_residents as registry;
use safetynet_wire::time;

use crate::badges;

const KIND: &str = "crisis-utterance";

pub async fn report(req: &Request, db: &Db, o: &Officer) -> ApiResult<Response> {
    let v = parse_body(req.body())?;
    let household = req_str(&v, "household", 200)?;
    let observed = req_str(&v, "observed", 2000)?;
    let urgency = req_enum(&v, "urgency", URGENCIES)?;
    let resident = match opt_str(&v, "resident_id", 64)? {
        Some(id) => Some(registry::get_resident(db, id)?.ok_or_else(|| {
            ApiError::invalid("resident_id", format!("no enrolled resident {id}"))
        })?),
        None => None,
    };
    // An enrolled resident's dong is authoritative; otherwise the officer's own dong.
    let dong = match (&resident, opt_str(&v, "dong", 64)?) {
        (Some(r), _) => r.dong.clone(),
        (None, Some(d)) => d.to_string(),
        (None, None) => o.dong.clone(),
    };
    let now = time::now_ms();

    let urgent = urgency == "urgent";
    let plan = match (&resident, urgent) {
        (Some(r), true) => {
            let contacts = registry::contacts_of(db, &r.id)?;
            let profile = routing::profile(r, &contacts);
            let event_id = format!("officer-report:{}:{now}", o.id);
            let plan = routing::plan(
                &event_id,
                "",
                EventKind::CrisisUtterance,
                now,
                &profile,
                now,
            )?;
            Some((plan, contacts))
        }
        _ => None,
    };

    let (case_id, incident, deliver_key, new_badges) = db.tx(|db| -> ApiResult<_> {
        let case_id = cases::create_case(
            db,
            &NewCase {
                household_ref: household,
                dong: &dong,
                source: "officer",
                summary: observed,
                urgency,
                reporter_id: Some(&o.id),
                now,
            },
        )?;
        let mut incident: Option<(String, &str)> = None;
        let mut deliver_key = None;
        if let (Some(r), Some((plan, contacts))) = (&resident, &plan) {
            if plan.opens_incident {
                let source = format!("officer:{}", o.id);
                let alert = Alert {
                    kind: KIND,
                    source: &source,
                    resident: r,
                    contacts,
                    device: None,
                    event: None,
                    now,
                };
                let raised = alerting::raise(db, &alert, plan)?;
                if let Raised::Opened(id) = &raised {
                    deliver_key = Some(id.clone());
                }
                incident = Some((raised.id().to_string(), raised.how()));
                cases::set_incident(db, &case_id, &incident.as_ref().expect("set").0, now)?;
            }
        } else if urgent {
            let key = format!("officer-report/{case_id}");
            // Ids only: the centre opens the case to read the report.
            notify::enqueue_to_centre(
                db,
                &key,
                &dong,
                json!({"case_id": case_id}),
                format!("[안전망] {dong} 명예사회복지공무원 긴급 위기가구 제보 (사례 {case_id}). 즉시 확인 바랍니다."),
                now,
            )?;
            deliver_key = Some(key);
        }
        officers::audit(db, &o.id, "crisis-reported", &format!("case/{case_id}"), Some(urgency), now)?;
        let new_badges = badges::refresh(db, &o.id, now)?;
        Ok((case_id, incident, deliver_key, new_badges))
    })?;
    eprintln!(
        "crisis report case={case_id} officer={} urgency={urgency} incident={:?}",
        o.id,
        incident.as_ref().map(|(id, _)| id)
    );
    if let Some(key) = &deliver_key {
        // Already committed: a failure here only waits for the next tick.
        if let Err(e) = delivery::send_due(db, now, Some(key), 50).await {
            eprintln!("crisis report delivery error key={key} error={e}");
        }
    }
    let case = cases::get(db, &case_id)?.expect("just created");
    let mut body = case.to_json();
    body["incident"] = json!(incident.as_ref().map(|(_, how)| *how));
    body["new_badges"] = json!(new_badges);
    Ok(json_response(201, &body))
}

pub fn of_officer(db: &Db, o: &Officer) -> ApiResult<Response> {
    let list: Vec<Value> = cases::list_by_reporter(db, &o.id)?
        .iter()
        .map(Case::to_json)
        .collect();
    Ok(json_response(200, &json!({ "crisis_reports": list })))
}

/// The dong centre's queue of officer-reported cases: urgent first.
pub fn queue(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::WelfareCentre, Role::SupportCentre])?;
    let dong = match (query_param(req, "dong"), staff.role) {
        (Some(d), _) => d,
        (None, Role::WelfareCentre) => staff.dong.clone().unwrap_or_default(),
        (None, _) => return Err(ApiError::invalid("dong", "required")),
    };
    access::check_list(db, staff, Subject::CaseList, Some(&dong))?;
    let list: Vec<Value> = cases::list_for_dong(db, &dong, Some("officer"), 1000)?
        .iter()
        .map(Case::to_json)
        .collect();
    Ok(json_response(200, &json!({ "dong": dong, "cases": list })))
}

pub fn detail(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    let roles = [Role::WelfareCentre, Role::SupportCentre];
    access::require_role(db, staff, &roles, Subject::Case, id)?;
    let c = cases::get(db, id)?
        .filter(|c| c.source == "officer")
        .ok_or_else(|| ApiError::not_found(format!("no crisis report {id}")))?;
    access::check_read(db, staff, Subject::Case, id, &c.dong)?;
    Ok(json_response(200, &c.to_json()))
}
