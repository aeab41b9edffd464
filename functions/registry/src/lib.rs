//! Residents, their contacts and devices, and staff tokens (`/api/v1/residents`, `/devices`,
//! `/staff`). Enrolment is by admins or the resident's own dong welfare centre.

use serde_json::{Value, json};
use spin_sdk::http::{IncomingRequest, Method, Request, Response};
use spin_sdk::http_component;

use safetynet_auth::access::{self, Subject};
use safetynet_auth::{Role, Staff, authenticate};
use safetynet_db::Db;
use safetynet_http::validate::{
    opt_f64, opt_i64, opt_str, parse_body, phone, req_enum, req_str, req_time,
};
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{decode_path_segment, json as json_response, query_param, segments};
use safetynet_residents::{self as registry, Contact, DEVICE_KINDS, Device, PROTOCOLS, Resident};
use safetynet_secrets as secrets;
use safetynet_vocabulary::Eligibility;
use safetynet_wire::ids;
use safetynet_wire::time;

mod access_log;
mod accounts;
mod centres;
mod device_directory;
mod lifecycle;
mod personal_data;
mod tokens;

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    safetynet_http::serve(req, |req| async move { route(req) }).await
}

fn route(req: Request) -> ApiResult<Response> {
    let db = Db::open(safetynet_migrations::ALL)?;
    let staff = authenticate(&req, &db)?;
    let seg = segments(&req);
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = req.method().clone();
    match (m, &seg[..]) {
        (Method::Post, ["api", "v1", "residents"]) => create_resident(&req, &db, &staff),
        (Method::Get, ["api", "v1", "residents"]) => list_residents(&req, &db, &staff),
        (Method::Get, ["api", "v1", "residents", id]) => get_resident(&db, &staff, id),
        (Method::Patch, ["api", "v1", "residents", id]) => lifecycle::patch(&req, &db, &staff, id),
        (Method::Get, ["api", "v1", "residents", id, "changes"]) => {
            lifecycle::changes(&db, &staff, id)
        }
        (
            Method::Post,
            [
                "api",
                "v1",
                "residents",
                id,
                action @ ("suspend" | "resume" | "unenrol"),
            ],
        ) => lifecycle::act(&req, &db, &staff, id, action),
        (Method::Post, ["api", "v1", "devices", id, "retire"]) => {
            lifecycle::retire_device(&req, &db, &staff, id)
        }
        (Method::Post, ["api", "v1", "residents", id, "devices"]) => {
            create_device(&req, &db, &staff, id)
        }
        (Method::Get, ["api", "v1", "residents", id, "devices"]) => {
            let r = visible_resident(&db, &staff, id)?;
            let devices: Vec<Value> = registry::devices_of(&db, &r.id)?
                .iter()
                .map(Device::to_json)
                .collect();
            Ok(json_response(200, &json!({ "devices": devices })))
        }
        (Method::Get, ["api", "v1", "devices", id]) => {
            let d = registry::get_device(&db, id)?
                .ok_or_else(|| ApiError::not_found(format!("no device {id}")))?;
            visible_resident(&db, &staff, &d.resident_id)?;
            Ok(json_response(200, &d.to_json()))
        }
        (Method::Post, ["api", "v1", "staff"]) => tokens::create(&req, &db, &staff),
        (Method::Get, ["api", "v1", "staff"]) => tokens::list(&db, &staff),
        (Method::Post, ["api", "v1", "staff", "rotate"]) => tokens::rotate(&db, &staff),
        (Method::Post, ["api", "v1", "staff", id, "revoke"]) => tokens::revoke(&db, &staff, id),
        (Method::Post, ["api", "v1", "staff-accounts"]) => accounts::create(&req, &db, &staff),
        (Method::Get, ["api", "v1", "staff-accounts"]) => accounts::list(&db, &staff),
        (Method::Post, ["api", "v1", "staff-accounts", id, "password"]) => {
            accounts::reset_password(&req, &db, &staff, id)
        }
        (Method::Get, ["api", "v1", "access-log"]) => access_log::list(&req, &db, &staff),
        (Method::Get, ["api", "v1", "device-directory"]) => device_directory::list(&db, &staff),
        (Method::Get, ["api", "v1", "personal-data"]) => personal_data::status(&db, &staff),
        (Method::Post, ["api", "v1", "personal-data", "re-encrypt"]) => {
            personal_data::re_encrypt(&req, &db, &staff)
        }
        (Method::Get, ["api", "v1", "centres"]) => centres::list(&db, &staff),
        (Method::Get, ["api", "v1", "centres", dong]) => {
            centres::get(&db, &staff, &decode_path_segment(dong))
        }
        (Method::Put, ["api", "v1", "centres", dong]) => {
            centres::put(&req, &db, &staff, &decode_path_segment(dong))
        }
        (_, ["api", "v1", "residents", ..])
        | (_, ["api", "v1", "devices", ..])
        | (_, ["api", "v1", "staff", ..])
        | (_, ["api", "v1", "staff-accounts", ..])
        | (_, ["api", "v1", "centres", ..])
        | (_, ["api", "v1", "access-log"])
        | (_, ["api", "v1", "device-directory"])
        | (_, ["api", "v1", "personal-data", ..]) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found("no such route")),
    }
}

fn visible_resident(db: &Db, staff: &Staff, id: &str) -> ApiResult<Resident> {
    access::require_role(
        db,
        staff,
        &[Role::Dispatcher, Role::WelfareCentre, Role::SupportCentre],
        Subject::Resident,
        id,
    )?;
    let r = registry::get_resident(db, id)?
        .ok_or_else(|| ApiError::not_found(format!("no resident {id}")))?;
    access::check_read(db, staff, Subject::Resident, &r.id, &r.dong)?;
    Ok(r)
}

fn create_resident(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::WelfareCentre])?;
    let v = parse_body(req.body())?;
    let dong = req_str(&v, "dong", 64)?.to_string();
    staff.require_dong(&dong)?;
    let eligibility = req_enum(&v, "eligibility", Eligibility::NAMES)?.to_string();
    let eligibility_until = if eligibility == "recently-discharged" {
        Some(req_time(&v, "eligibility_until")?)
    } else {
        None
    };
    let (latitude, longitude) = match v.get("location") {
        None | Some(Value::Null) => (None, None),
        Some(loc) => (
            Some(
                opt_f64(loc, "lat", -90.0, 90.0)
                    .map_err(|e| rename(e, "location.lat"))?
                    .ok_or_else(|| ApiError::invalid("location.lat", "required"))?,
            ),
            Some(
                opt_f64(loc, "lon", -180.0, 180.0)
                    .map_err(|e| rename(e, "location.lon"))?
                    .ok_or_else(|| ApiError::invalid("location.lon", "required"))?,
            ),
        ),
    };
    let now = time::now_ms();
    let resident = Resident {
        id: ids::new_id("res"),
        name: req_str(&v, "name", 100)?.to_string(),
        birth_year: opt_i64(&v, "birth_year", 1900, 2026)?,
        phone: match v.get("phone") {
            None | Some(Value::Null) => None,
            Some(_) => Some(phone(&v, "phone")?),
        },
        address: req_str(&v, "address", 300)?.to_string(),
        dong,
        latitude,
        longitude,
        eligibility,
        eligibility_until,
        medical_notes: opt_str(&v, "medical_notes", 2000)?.map(str::to_string),
        inactivity_threshold_minutes: opt_i64(&v, "inactivity_threshold_minutes", 1, 7 * 24 * 60)?
            .unwrap_or(24 * 60),
        last_activity_at: None,
        created_at: now,
    };
    let contacts = match v.get("contacts") {
        Some(list) => parse_contacts(list, &resident.id, &[])?,
        None => Vec::new(),
    };
    centres::require_centre(db, &resident.dong)?;
    db.tx(|db| registry::insert_resident(db, &resident, &contacts))?;
    eprintln!(
        "resident enrolled id={} dong={} by={}",
        resident.id, resident.dong, staff.id
    );
    Ok(json_response(201, &resident.to_json(&contacts)))
}

/// A resident's contacts as given (`contacts[i].name`, `.phone`, `.relation`, `.priority`). A
/// contact whose `id` is one of `existing` keeps it; every other one gets a new id.
fn parse_contacts(list: &Value, resident_id: &str, existing: &[String]) -> ApiResult<Vec<Contact>> {
    let list = list
        .as_array()
        .ok_or_else(|| ApiError::invalid("contacts", "must be an array"))?;
    let mut contacts = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let f = |name: &str| format!("contacts[{i}].{name}");
        let name = req_str(c, "name", 100).map_err(|e| rename(e, &f("name")))?;
        let phone_no = phone(c, "phone").map_err(|e| rename(e, &f("phone")))?;
        let relation = req_str(c, "relation", 50).map_err(|e| rename(e, &f("relation")))?;
        let priority = opt_i64(c, "priority", 1, 99)
            .map_err(|e| rename(e, &f("priority")))?
            .unwrap_or(i as i64 + 1);
        let id = match c.get("id").and_then(Value::as_str) {
            Some(id) if existing.iter().any(|e| e == id) => id.to_string(),
            Some(_) => {
                return Err(ApiError::invalid(
                    &f("id"),
                    "not one of this resident's contacts",
                ));
            }
            None => ids::new_id("con"),
        };
        contacts.push(Contact {
            id,
            resident_id: resident_id.to_string(),
            name: name.to_string(),
            phone: phone_no,
            relation: relation.to_string(),
            priority,
        });
    }
    Ok(contacts)
}

/// Re-targets a field error at a nested field name.
fn rename(mut e: ApiError, field: &str) -> ApiError {
    if let Some(old) = e.field.take() {
        e.message = e.message.replacen(&old, field, 1);
        e.field = Some(field.to_string());
    }
    e
}

fn list_residents(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    let dong = query_param(req, "dong");
    let asked = dong.as_deref().unwrap_or("*");
    access::require_role(
        db,
        staff,
        &[Role::Dispatcher, Role::WelfareCentre],
        Subject::ResidentList,
        asked,
    )?;
    access::check_list(db, staff, Subject::ResidentList, dong.as_deref())?;
    let list = registry::list_residents(db, &staff.scope(), dong.as_deref())?;
    let items: Vec<Value> = list
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "dong": r.dong, "eligibility": r.eligibility, "last_activity_at": r.last_activity_at.map(time::to_rfc3339)}))
        .collect();
    Ok(json_response(200, &json!({ "residents": items })))
}

fn get_resident(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    let r = visible_resident(db, staff, id)?;
    let contacts = registry::contacts_of(db, &r.id)?;
    let mut body = r.to_json(&contacts);
    let retired = registry::retired_devices_of(db, &r.id)?;
    body["devices"] = json!(
        registry::devices_of(db, &r.id)?
            .iter()
            .filter(|d| !retired.contains(&d.id))
            .map(Device::to_json)
            .collect::<Vec<_>>()
    );
    body["retired_devices"] = json!(retired);
    if let Some(s) = registry::status_of(db, &r.id)? {
        body["status"] = json!(s.status);
        body["status_reason"] = json!(s.reason);
        body["status_until"] = json!(s.until.map(time::to_rfc3339));
        body["status_changed_at"] = json!(s.changed_at.map(time::to_rfc3339));
    }
    Ok(json_response(200, &body))
}

fn create_device(req: &Request, db: &Db, staff: &Staff, resident_id: &str) -> ApiResult<Response> {
    staff.require(&[Role::WelfareCentre])?;
    let resident = registry::get_resident(db, resident_id)?
        .ok_or_else(|| ApiError::not_found(format!("no resident {resident_id}")))?;
    staff.require_dong(&resident.dong)?;
    let v = parse_body(req.body())?;
    let kind = req_enum(&v, "kind", DEVICE_KINDS)?.to_string();
    let protocol = req_enum(&v, "protocol", PROTOCOLS)?.to_string();
    // Hex accounts compare case-insensitively (panels print either case).
    let dc09_account = opt_str(&v, "dc09_account", 16)?.map(str::to_ascii_uppercase);
    if protocol == "dc09" && dc09_account.is_none() {
        return Err(ApiError::invalid(
            "dc09_account",
            "required for protocol dc09",
        ));
    }
    if let Some(a) = &dc09_account
        && (!a.chars().all(|c| c.is_ascii_hexdigit()) || a.len() < 3)
    {
        return Err(ApiError::invalid("dc09_account", "3 to 16 hex digits"));
    }
    let heartbeat_interval_s = opt_i64(&v, "heartbeat_interval_s", 10, 7 * 24 * 3600)?;
    let dc09_key = opt_str(&v, "dc09_key", 64)?;
    if let Some(k) = dc09_key {
        if dc09_account.is_none() {
            return Err(ApiError::invalid(
                "dc09_key",
                "only for a device with a dc09_account",
            ));
        }
        if !matches!(k.len(), 32 | 48 | 64) || !k.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ApiError::invalid(
                "dc09_key",
                "32, 48 or 64 hex digits (AES-128/192/256)",
            ));
        }
    }
    let master = spin_sdk::variables::get("secret_key")
        .map_err(|_| ApiError::internal("secret_key variable not set"))?;
    let secret = ids::random_hex(32);
    let now = time::now_ms();
    let device = Device {
        id: ids::new_id("dev"),
        resident_id: resident.id.clone(),
        kind,
        protocol,
        dc09_account,
        secret_sealed: secrets::seal(&master, secret.as_bytes()),
        heartbeat_interval_s,
        last_seen_at: None,
        last_heartbeat_at: None,
        created_at: now,
        events_minute: None,
        events_in_minute: 0,
    };
    db.tx(|db| {
        registry::insert_device(db, &device)?;
        match dc09_key {
            Some(k) => {
                registry::set_dc09_key(db, &device.id, &secrets::seal(&master, k.as_bytes()))
            }
            None => Ok(()),
        }
    })?;
    eprintln!(
        "device registered id={} resident={} by={}",
        device.id, resident.id, staff.id
    );
    let mut body = device.to_json();
    // Shown once: only the encrypted form is kept.
    body["secret"] = json!(secret);
    Ok(json_response(201, &body))
}
