//! `/api/v1/centres`: the directory of dong welfare centres. Every staff role reads it; admins
//! keep it. A centre's notifications go to its number, and residents are enrolled only in dongs
//! that have a centre.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::json as json_response;
use safetynet_http::validate::{opt_str, parse_body, phone, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_residents::centres::{self, Centre};
use safetynet_wire::time;

const READERS: &[Role] = &[
    Role::Dispatcher,
    Role::WelfareCentre,
    Role::SupportCentre,
    Role::Clock,
];

pub fn list(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(READERS)?;
    let all: Vec<Value> = centres::list(db)?.iter().map(Centre::to_json).collect();
    Ok(json_response(200, &json!({"centres": all})))
}

pub fn get(db: &Db, staff: &Staff, dong: &str) -> ApiResult<Response> {
    staff.require(READERS)?;
    let c = centres::get(db, dong)?
        .ok_or_else(|| ApiError::not_found(format!("no welfare centre for {dong}")))?;
    Ok(json_response(200, &c.to_json()))
}

/// `PUT /api/v1/centres/{dong}`: adds or replaces a centre (admins only).
pub fn put(req: &Request, db: &Db, staff: &Staff, dong: &str) -> ApiResult<Response> {
    staff.require(&[])?; // admins only
    if dong.is_empty() || dong.chars().count() > 64 {
        return Err(ApiError::invalid("dong", "1 to 64 characters"));
    }
    let v = parse_body(req.body())?;
    let name = req_str(&v, "name", 100)?.to_string();
    let number = phone(&v, "phone")?;
    let mut duty = Vec::new();
    match v.get("duty_contacts") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, c) in list.iter().enumerate() {
                let field = |f: &str| format!("duty_contacts[{i}].{f}");
                let who = req_str(c, "name", 100).map_err(|e| super::rename(e, &field("name")))?;
                let at = phone(c, "phone").map_err(|e| super::rename(e, &field("phone")))?;
                let role = opt_str(c, "role", 100).map_err(|e| super::rename(e, &field("role")))?;
                duty.push(json!({"name": who, "phone": at, "role": role}));
            }
        }
        Some(_) => return Err(ApiError::invalid("duty_contacts", "must be an array")),
    }
    let centre = Centre {
        dong: dong.to_string(),
        name,
        phone: number,
        duty_contacts: Value::Array(duty),
        updated_at: time::now_ms(),
        updated_by: staff.id.clone(),
    };
    let created = db.tx(|db| centres::put(db, &centre))?;
    eprintln!(
        "welfare centre saved dong={dong} by={} new={created}",
        staff.id
    );
    Ok(json_response(
        if created { 201 } else { 200 },
        &centre.to_json(),
    ))
}

/// Refuses a dong with no centre in the directory. Enrolment asks last, so an enrolment with
/// other mistakes hears about those first.
pub fn require_centre(db: &Db, dong: &str) -> ApiResult<()> {
    if centres::get(db, dong)?.is_none() {
        return Err(ApiError::invalid(
            "dong",
            format!(
                "no welfare centre for {dong:?} in the directory (an admin adds it: PUT /api/v1/centres/{{dong}})"
            ),
        ));
    }
    Ok(())
}
