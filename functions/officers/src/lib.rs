//! Honorary social welfare officers: public applications (`/api/v1/officer-applications`), the
//! support centre's review, officers' activities and hours (`/api/v1/officers`,
//! `/api/v1/officer-activities`), crisis reports that become dong cases (`/api/v1/crisis-reports`),
//! badges and awards from the recognition component, and exports (`/api/v1/officer-exports`).

mod activities;
mod applications;
mod badges;
mod crisis;
mod exports;
mod recognition_client;
mod recruitment;
mod retention;
mod review;
mod store;

use spin_sdk::http::{IncomingRequest, Method, Request, Response};
use spin_sdk::http_component;

use crate::store::officers::{self, Officer};
use safetynet_auth::access::{self, Outcome, Subject};
use safetynet_auth::{Role, Staff, authenticate};
use safetynet_db::Db;
use safetynet_http::segments;
use safetynet_http::{ApiError, ApiResult};
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
    // Applicants have no token: these two are public (and rate limited).
    match (&m, &seg[..]) {
        (Method::Post, ["api", "v1", "officer-applications"]) => {
            return applications::apply(&req, &db);
        }
        (Method::Get, ["api", "v1", "officer-applications", "status", reference]) => {
            return applications::status(&req, &db, reference);
        }
        _ => {}
    }
    let staff = authenticate(&req, &db)?;
    match (m, &seg[..]) {
        (Method::Get, ["api", "v1", "officer-applications"]) => review::list(&req, &db, &staff),
        (Method::Get, ["api", "v1", "officer-applications", id]) => review::detail(&db, &staff, id),
        (Method::Post, ["api", "v1", "officer-applications", id, "approve"]) => {
            review::approve(&req, &db, &staff, id).await
        }
        (Method::Post, ["api", "v1", "officer-applications", id, "reject"]) => {
            review::reject(&req, &db, &staff, id).await
        }
        (Method::Get, ["api", "v1", "officers"]) => review::list_officers(&req, &db, &staff),
        (Method::Get, ["api", "v1", "officers", id]) => {
            let o = visible_officer(&db, &staff, id)?;
            activities::officer_detail(&db, &o)
        }
        (Method::Post, ["api", "v1", "officers", id, "activities"]) => {
            let o = own_officer(&db, &staff, id)?;
            activities::log(&req, &db, &staff, &o)
        }
        (Method::Get, ["api", "v1", "officers", id, "activities"]) => {
            let o = visible_officer(&db, &staff, id)?;
            activities::list(&req, &db, &o)
        }
        (Method::Get, ["api", "v1", "officers", id, "hours"]) => {
            let o = visible_officer(&db, &staff, id)?;
            activities::hours(&db, &o)
        }
        (Method::Get, ["api", "v1", "officers", id, "statement"]) => {
            let o = visible_officer(&db, &staff, id)?;
            exports::statement(&req, &db, &o)
        }
        (Method::Post, ["api", "v1", "officers", id, "crisis-reports"]) => {
            let o = own_officer(&db, &staff, id)?;
            crisis::report(&req, &db, &o).await
        }
        (Method::Get, ["api", "v1", "officers", id, "crisis-reports"]) => {
            let o = visible_officer(&db, &staff, id)?;
            crisis::of_officer(&db, &o)
        }
        (Method::Get, ["api", "v1", "officer-activities"]) => activities::queue(&req, &db, &staff),
        (Method::Post, ["api", "v1", "officer-activities", id, action]) => {
            activities::decide(&req, &db, &staff, id, action)
        }
        (Method::Post, ["api", "v1", "jobs", "officers"]) => retention::run(&db, &staff),
        (Method::Get, ["api", "v1", "crisis-reports"]) => crisis::queue(&req, &db, &staff),
        (Method::Get, ["api", "v1", "crisis-reports", id]) => crisis::detail(&db, &staff, id),
        (Method::Get, ["api", "v1", "officer-exports", "volunteer-hours.csv"]) => {
            exports::volunteer_portal_csv(&req, &db, &staff)
        }
        (Method::Get, ["api", "v1", "officer-exports", "recruitment"]) => {
            recruitment::stats(&db, &staff)
        }
        (Method::Get, ["api", "v1", "officer-exports", "award-candidates"]) => {
            exports::award_candidates(&req, &db, &staff)
        }
        (_, ["api", "v1", "officer-applications", ..])
        | (_, ["api", "v1", "officers", ..])
        | (_, ["api", "v1", "officer-activities", ..])
        | (_, ["api", "v1", "crisis-reports", ..])
        | (_, ["api", "v1", "officer-exports", ..])
        | (_, ["api", "v1", "jobs", "officers"]) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found("no such route")),
    }
}

/// `me` stands for the calling officer's own id.
fn resolve<'a>(staff: &'a Staff, id: &'a str) -> &'a str {
    if id == "me" && staff.role == Role::Officer {
        &staff.id
    } else {
        id
    }
}

fn load_officer(db: &Db, id: &str) -> ApiResult<Officer> {
    officers::officer(db, id)?.ok_or_else(|| ApiError::not_found(format!("no officer {id}")))
}

/// Officers see themselves; the support centre sees everyone; a dong centre its own officers.
fn visible_officer(db: &Db, staff: &Staff, id: &str) -> ApiResult<Officer> {
    let id = resolve(staff, id);
    if staff.role == Role::Officer {
        let now = time::now_ms();
        if staff.id != id {
            access::record(db, staff, Subject::Officer, id, None, Outcome::Denied, now)?;
            return Err(ApiError::forbidden(
                "officers may see only their own records",
            ));
        }
        let o = load_officer(db, id)?;
        access::record(
            db,
            staff,
            Subject::Officer,
            &o.id,
            Some(&o.dong),
            Outcome::Read,
            now,
        )?;
        return Ok(o);
    }
    let roles = [Role::SupportCentre, Role::WelfareCentre];
    access::require_role(db, staff, &roles, Subject::Officer, id)?;
    let o = load_officer(db, id)?;
    access::check_read(db, staff, Subject::Officer, &o.id, &o.dong)?;
    Ok(o)
}

/// Only the officer themself logs activities and files reports.
fn own_officer(db: &Db, staff: &Staff, id: &str) -> ApiResult<Officer> {
    let id = resolve(staff, id);
    if staff.role != Role::Officer || staff.id != id {
        return Err(ApiError::forbidden(
            "only the officer may log their own activities and reports",
        ));
    }
    let o = load_officer(db, id)?;
    if o.state != "active" {
        return Err(ApiError::forbidden("this officer is not active"));
    }
    Ok(o)
}

/// A query parameter that must be a year.
fn year_param(req: &Request, name: &str) -> ApiResult<Option<i32>> {
    match safetynet_http::query_param(req, name) {
        None => Ok(None),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, "must be a year such as 2026")),
    }
}

/// A plain-text response (CSV exports).
fn csv_response(body: String, filename: &str) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header(
            "content-disposition",
            format!("attachment; filename=\"{filename}\""),
        )
        .body(body)
        .build()
}
