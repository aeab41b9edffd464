//! A resident's enrolment after the day it starts: corrections (`PATCH`), a hospital stay
//! (`suspend`, `resume`), the end (`unenrol`: devices retired, reminders and monitoring stop, the
//! record kept), and retiring a single device. Every change is a `resident_changes` row naming
//! who changed which fields; logs carry ids only.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use safetynet_auth::{Role, Staff};
use safetynet_db::{Db, int, opt_int, opt_real, opt_text, text};
use safetynet_http::json as json_response;
use safetynet_http::validate::{opt_f64, opt_i64, opt_str, opt_time, parse_body, phone, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_residents::{self as registry, Resident};
use safetynet_wire::time;

/// The resident, for a worker who may change it (a dong worker: only their dong's).
fn changeable(db: &Db, staff: &Staff, id: &str) -> ApiResult<Resident> {
    staff.require(&[Role::WelfareCentre])?;
    let r = registry::get_resident(db, id)?
        .ok_or_else(|| ApiError::not_found(format!("no resident {id}")))?;
    staff.require_dong(&r.dong)?;
    Ok(r)
}

/// `PATCH /api/v1/residents/{id}`: contacts (the whole list: listed ones keep their `id`, others
/// are added, unlisted ones removed), phone, address, dong (a move: the worker must hold the new
/// dong too), location, medical notes, inactivity threshold, end of a time-limited enrolment.
/// Fields not given stay as they are; all are checked before any is written.
pub fn patch(req: &Request, db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    let r = changeable(db, staff, id)?;
    let v = parse_body(req.body())?;
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::bad_request("the body must be a JSON object"))?;
    const FIELDS: &[&str] = &[
        "contacts",
        "phone",
        "address",
        "dong",
        "location",
        "medical_notes",
        "inactivity_threshold_minutes",
        "eligibility_until",
    ];
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            unknown,
            format!("cannot be changed here; changeable: {}", FIELDS.join(", ")),
        ));
    }
    let mut writes: Vec<(&str, spin_sdk::sqlite3::Value)> = Vec::new();
    if obj.contains_key("phone") {
        let phone = match v.get("phone") {
            Some(Value::Null) => None,
            _ => Some(phone(&v, "phone")?),
        };
        writes.push(("phone", opt_text(phone)));
    }
    if obj.contains_key("address") {
        writes.push(("address", text(req_str(&v, "address", 300)?)));
    }
    if obj.contains_key("dong") {
        let dong = req_str(&v, "dong", 64)?;
        // A move needs both dongs: a worker cannot push a resident out of sight, or pull one in.
        staff.require_dong(dong)?;
        super::centres::require_centre(db, dong)?;
        writes.push(("dong", text(dong)));
    }
    if let Some(loc) = obj.get("location") {
        let (lat, lon) = match loc {
            Value::Null => (None, None),
            _ => (
                Some(
                    opt_f64(loc, "lat", -90.0, 90.0)
                        .map_err(|e| super::rename(e, "location.lat"))?
                        .ok_or_else(|| ApiError::invalid("location.lat", "required"))?,
                ),
                Some(
                    opt_f64(loc, "lon", -180.0, 180.0)
                        .map_err(|e| super::rename(e, "location.lon"))?
                        .ok_or_else(|| ApiError::invalid("location.lon", "required"))?,
                ),
            ),
        };
        writes.push(("latitude", opt_real(lat)));
        writes.push(("longitude", opt_real(lon)));
    }
    if obj.contains_key("medical_notes") {
        writes.push((
            "medical_notes",
            opt_text(opt_str(&v, "medical_notes", 2000)?),
        ));
    }
    if obj.contains_key("inactivity_threshold_minutes") {
        let minutes = opt_i64(&v, "inactivity_threshold_minutes", 1, 7 * 24 * 60)?
            .ok_or_else(|| ApiError::invalid("inactivity_threshold_minutes", "required"))?;
        writes.push(("inactivity_threshold_minutes", int(minutes)));
    }
    if obj.contains_key("eligibility_until") {
        writes.push((
            "eligibility_until",
            opt_int(opt_time(&v, "eligibility_until")?),
        ));
    }
    let contacts = match obj.get("contacts") {
        Some(list) => {
            let existing: Vec<String> = registry::contacts_of(db, &r.id)?
                .into_iter()
                .map(|c| c.id)
                .collect();
            Some(super::parse_contacts(list, &r.id, &existing)?)
        }
        None => None,
    };
    if writes.is_empty() && contacts.is_none() {
        return Err(ApiError::bad_request("nothing to change"));
    }
    let now = time::now_ms();
    let changed: Vec<&str> = obj.keys().map(String::as_str).collect();
    db.tx(|db| -> ApiResult<_> {
        for (column, value) in writes {
            registry::set_field(db, &r.id, column, value)?;
        }
        if let Some(contacts) = &contacts {
            registry::replace_contacts(db, &r.id, contacts)?;
        }
        Ok(registry::record_change(
            db, &r.id, &staff.id, "updated", &changed, None, now,
        )?)
    })?;
    eprintln!(
        "resident updated id={} by={} fields={}",
        r.id,
        staff.id,
        changed.join(",")
    );
    super::get_resident(db, staff, &r.id)
}

/// `POST /api/v1/residents/{id}/{suspend|resume|unenrol}`.
pub fn act(req: &Request, db: &Db, staff: &Staff, id: &str, action: &str) -> ApiResult<Response> {
    let r = changeable(db, staff, id)?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let status = registry::status_of(db, &r.id)?
        .ok_or_else(|| ApiError::not_found(format!("no resident {id}")))?
        .status;
    let now = time::now_ms();
    if status == "unenrolled" {
        return Err(ApiError::conflict(
            "the resident is unenrolled; enrol again to monitor them",
        ));
    }
    match action {
        "suspend" => {
            if status == "suspended" {
                return Err(ApiError::conflict("monitoring is already suspended"));
            }
            let reason = req_str(&v, "reason", 500)?;
            let until = opt_time(&v, "expected_return")?;
            db.tx(|db| -> ApiResult<_> {
                registry::set_status(db, &r.id, "suspended", Some(reason), until, now)?;
                Ok(registry::record_change(
                    db,
                    &r.id,
                    &staff.id,
                    "suspended",
                    &["status"],
                    Some(reason),
                    now,
                )?)
            })?;
        }
        "resume" => {
            if status != "suspended" {
                return Err(ApiError::conflict("monitoring is not suspended"));
            }
            let note = opt_str(&v, "note", 500)?;
            db.tx(|db| -> ApiResult<_> {
                registry::set_status(db, &r.id, "active", None, None, now)?;
                Ok(registry::record_change(
                    db,
                    &r.id,
                    &staff.id,
                    "resumed",
                    &["status"],
                    note,
                    now,
                )?)
            })?;
        }
        "unenrol" => {
            let reason = req_str(&v, "reason", 500)?;
            db.tx(|db| -> ApiResult<_> {
                registry::set_status(db, &r.id, "unenrolled", Some(reason), None, now)?;
                registry::retire_devices_of(db, &r.id, now)?;
                Ok(registry::record_change(
                    db,
                    &r.id,
                    &staff.id,
                    "unenrolled",
                    &["status", "devices"],
                    Some(reason),
                    now,
                )?)
            })?;
        }
        _ => return Err(ApiError::not_found("no such action")),
    }
    eprintln!("resident {action} id={} by={}", r.id, staff.id);
    super::get_resident(db, staff, &r.id)
}

/// `POST /api/v1/devices/{id}/retire`: the device's secret stops working at once.
pub fn retire_device(
    req: &Request,
    db: &Db,
    staff: &Staff,
    device_id: &str,
) -> ApiResult<Response> {
    let device = registry::get_device(db, device_id)?
        .ok_or_else(|| ApiError::not_found(format!("no device {device_id}")))?;
    let r = changeable(db, staff, &device.resident_id)?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let note = opt_str(&v, "reason", 500)?;
    let now = time::now_ms();
    let retired = db.tx(|db| -> ApiResult<_> {
        if !registry::retire_device(db, device_id, now)? {
            return Ok(false);
        }
        registry::record_change(
            db,
            &r.id,
            &staff.id,
            "device-retired",
            &["devices"],
            note,
            now,
        )?;
        Ok(true)
    })?;
    if !retired {
        return Err(ApiError::conflict("the device is already retired"));
    }
    eprintln!(
        "device retired id={device_id} resident={} by={}",
        r.id, staff.id
    );
    Ok(json_response(
        200,
        &json!({"id": device_id, "resident_id": r.id, "retired_at": time::to_rfc3339(now)}),
    ))
}

/// `GET /api/v1/residents/{id}/changes`: who changed what, oldest first.
pub fn changes(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    let r = super::visible_resident(db, staff, id)?;
    Ok(json_response(
        200,
        &json!({"changes": registry::changes_of(db, &r.id)?}),
    ))
}
