//! Incidents (`/api/v1/incidents`): list, detail with timeline, acknowledge, resolve, cancel,
//! statistics, what 119 reports back about its dispatches (`/api/v1/dispatch-updates`) — and the
//! tick (`/api/v1/jobs/tick`) that retries the outbox, climbs escalation ladders, and raises
//! inactivity and device-offline incidents.

mod caregivers;
mod dispatch_updates;
mod retention;
mod stats;
mod tick;

use safetynet_vocabulary::IncidentState;
use serde_json::{Value, json};
use spin_sdk::http::{IncomingRequest, Method, Request, Response};
use spin_sdk::http_component;

use safetynet_alerting::events;
use safetynet_alerting::incidents::{self, Filter, OUTCOMES};
use safetynet_alerting::outbox;
use safetynet_auth::access::{self, Outcome, Subject};
use safetynet_auth::{Role, Staff, authenticate};
use safetynet_db::Db;
use safetynet_http::validate::{opt_str, req_enum, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param, segments};
use safetynet_residents as registry;
use safetynet_wire::time;

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    safetynet_http::serve(req, route).await
}

async fn route(req: Request) -> ApiResult<Response> {
    let db = Db::open(safetynet_migrations::ALL)?;
    let seg = segments(&req);
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = req.method().clone();
    // Caregivers and the SMS gateway carry their own credentials (a signed link, a shared
    // secret), not a staff token.
    match (&m, &seg[..]) {
        (_, ["ack", token]) => return caregivers::link(&req, &db, token),
        (Method::Post, ["api", "v1", "sms-replies"]) => return caregivers::sms_reply(&req, &db),
        _ => {}
    }
    let staff = authenticate(&req, &db)?;
    match (m, &seg[..]) {
        (Method::Get, ["api", "v1", "sms-replies"]) => caregivers::list_replies(&req, &db, &staff),
        (Method::Post, ["api", "v1", "jobs", "tick"]) => tick::run(&req, &db, &staff).await,
        (Method::Post, ["api", "v1", "dispatch-updates"]) => {
            dispatch_updates::post(&req, &db, &staff)
        }
        (Method::Get, ["api", "v1", "incidents"]) => list(&req, &db, &staff),
        (Method::Get, ["api", "v1", "incidents", "stats"]) => stats::get(&req, &db, &staff),
        (Method::Get, ["api", "v1", "incidents", id]) => detail(&db, &staff, id),
        (Method::Post, ["api", "v1", "incidents", id, action]) => {
            act(&req, &db, &staff, id, action)
        }
        (_, ["api", "v1", "incidents", ..])
        | (_, ["api", "v1", "jobs", "tick"])
        | (_, ["api", "v1", "dispatch-updates"])
        | (_, ["api", "v1", "sms-replies"]) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found("no such route")),
    }
}

const STAFF_ROLES: &[Role] = &[Role::Dispatcher, Role::WelfareCentre];

use safetynet_http::time_param;

fn list(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(STAFF_ROLES)?;
    let state = query_param(req, "state");
    if let Some(s) = &state
        && s.parse::<IncidentState>().is_err()
    {
        return Err(ApiError::invalid(
            "state",
            format!("one of {}", IncidentState::NAMES.join(", ")),
        ));
    }
    let limit = safetynet_http::limit_param(req, 100, 1000)?;
    let f = Filter {
        state,
        kind: query_param(req, "kind"),
        dong: query_param(req, "dong"),
        from: time_param(req, "from")?,
        to: time_param(req, "to")?,
        dispatch_failed: match query_param(req, "dispatch_failed").as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            // Anything else used to mean `false`: `dispatch_failed=1` listed the opposite.
            Some(_) => return Err(ApiError::invalid("dispatch_failed", "true or false")),
        },
        limit,
    };
    let list: Vec<Value> = incidents::list(db, &staff.scope(), &f)?
        .iter()
        .map(|i| i.to_json())
        .collect();
    Ok(json_response(200, &json!({ "incidents": list })))
}

fn detail(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    access::require_role(db, staff, STAFF_ROLES, Subject::Incident, id)?;
    let inc =
        incidents::get(db, id)?.ok_or_else(|| ApiError::not_found(format!("no incident {id}")))?;
    access::check_read(db, staff, Subject::Incident, id, &inc.dong)?;
    // The detail shows the resident's summary: a read of the resident too.
    access::record(
        db,
        staff,
        Subject::Resident,
        &inc.resident_id,
        Some(&inc.dong),
        Outcome::Read,
        time::now_ms(),
    )?;
    let mut body = inc.to_json();
    if let Some(r) = registry::get_resident(db, &inc.resident_id)? {
        // What a responder needs: who, how old, where, health notes, and whom to call.
        let contacts: Vec<_> = registry::contacts_of(db, &r.id)?
            .iter()
            .map(|c| json!({"name": c.name, "phone": c.phone, "relation": c.relation, "priority": c.priority}))
            .collect();
        body["resident"] = json!({"id": r.id, "name": r.name, "birth_year": r.birth_year, "address": r.address, "dong": r.dong, "phone": r.phone, "medical_notes": r.medical_notes, "contacts": contacts});
    }
    body["timeline"] = json!(incidents::timeline(db, id)?);
    body["events"] = json!(events::of_incident(db, id)?);
    body["escalation"] = json!(incidents::ladder(db, id)?);
    body["notifications"] = json!(outbox::of_incident(db, id)?);
    Ok(json_response(200, &body))
}

fn act(req: &Request, db: &Db, staff: &Staff, id: &str, action: &str) -> ApiResult<Response> {
    staff.require(STAFF_ROLES)?;
    incidents::get_visible(db, &staff.scope(), id)?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let now = time::now_ms();
    match action {
        "acknowledge" => {
            let note = opt_str(&v, "note", 2000)?;
            db.tx(|db| incidents::acknowledge(db, id, &staff.id, note, now))?;
        }
        "resolve" => {
            let outcome = req_enum(&v, "outcome", OUTCOMES)?;
            let note = opt_str(&v, "note", 2000)?;
            db.tx(|db| incidents::close(db, id, &staff.id, "resolved", outcome, note, now))?;
        }
        "cancel" => {
            let reason = req_str(&v, "reason", 2000)?;
            db.tx(|db| -> ApiResult<_> {
                Ok(incidents::close(
                    db,
                    id,
                    &staff.id,
                    "cancelled",
                    "false-alarm",
                    Some(reason),
                    now,
                )?)
            })?;
        }
        _ => return Err(ApiError::not_found(format!("no action {action:?}"))),
    }
    eprintln!("incident {action} id={id} by={}", staff.id);
    let inc = incidents::get(db, id)?.expect("exists");
    Ok(json_response(200, &inc.to_json()))
}
