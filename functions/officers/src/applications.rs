//! The public side: a citizen applies without an account and later checks the outcome with the
//! reference code handed back once. Both are rate limited per client address, because they take
//! no token: floods of applications, or guessing reference codes, are throttled.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use crate::store::officers;
use crate::store::rate_limits;
use safetynet_db::Db;
use safetynet_http::client_addr;
use safetynet_http::json as json_response;
use safetynet_http::validate::{opt_str, parse_body, phone, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_secrets as secrets;
use safetynet_wire::ids;
use safetynet_wire::time;

/// What the applicant agreed to; bump when the consent text changes so each record says which.
pub const CONSENT_VERSION: &str = "2026-01";
/// The officer programme is for adults.
const MIN_AGE: i64 = 19;
pub const AREAS: &[&str] = &[
    "crisis-discovery",
    "home-visit",
    "information-outreach",
    "resource-linkage",
];
const WINDOW_MS: i64 = 3_600_000;
/// Status checks per address per hour: generous for people, tight for guessing codes.
const STATUS_LIMIT: i64 = 60;

/// The caller's IP (port dropped, so one machine is one key; behind a trusted proxy, the client
/// it forwarded), hashed before it is stored.
fn client_key(req: &Request, bucket: &str) -> ApiResult<String> {
    let ip = client_addr(req)?.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    Ok(secrets::token_hash(&format!("{bucket}|{ip}")))
}

fn limit(req: &Request, db: &Db, bucket: &str, max: i64) -> ApiResult<Option<Response>> {
    let key = client_key(req, bucket)?;
    let now = time::now_ms();
    match db.tx(|db| rate_limits::hit(db, bucket, &key, max, WINDOW_MS, now))? {
        None => Ok(None),
        Some(wait_ms) => {
            let e = ApiError::new(
                429,
                "rate_limited",
                "too many requests from this address; try again later",
            );
            Ok(Some(
                Response::builder()
                    .status(429)
                    .header("content-type", "application/json")
                    .header("retry-after", ((wait_ms + 999) / 1000).to_string())
                    .body(e.body().to_string())
                    .build(),
            ))
        }
    }
}

fn apply_limit() -> i64 {
    spin_sdk::variables::get("officer_apply_limit")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n: &i64| *n > 0)
        .unwrap_or(5)
}

/// `OA-XXXX-XXXX-XXXX` in Crockford base32 (no I, L, O, U): 60 random bits, easy to read out.
fn new_reference() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let hex = ids::random_hex(12);
    let chars: Vec<char> = (0..12)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap_or(0))
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect();
    format!(
        "OA-{}-{}-{}",
        chars[0..4].iter().collect::<String>(),
        chars[4..8].iter().collect::<String>(),
        chars[8..12].iter().collect::<String>()
    )
}

fn reference_hash(reference: &str) -> String {
    secrets::token_hash(&reference.trim().to_ascii_uppercase())
}

/// Digits only, `+82 10…` as `010…`, so one number is one number however it is written.
pub fn phone_digits(phone: &str) -> String {
    let d: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    match d.strip_prefix("82") {
        Some(rest) if phone.trim_start().starts_with('+') => format!("0{rest}"),
        _ => d,
    }
}

struct Form {
    name: String,
    birth_year: i64,
    phone: String,
    address: String,
    dong: String,
    areas: Vec<String>,
    motivation: String,
    portal_id: Option<String>,
}

/// Every field is checked, so the form can show all its errors at once.
fn validate(v: &Value, this_year: i64) -> Result<Form, Vec<ApiError>> {
    let mut errors = Vec::new();
    let mut take = |r: ApiResult<String>| r.map_err(|e| errors.push(e)).unwrap_or_default();
    let name = take(req_str(v, "name", 50).map(str::to_string));
    let phone_s = take(phone(v, "phone"));
    let address = take(req_str(v, "address", 200).map(str::to_string));
    let dong = take(req_str(v, "dong", 64).map(str::to_string));
    let motivation = take(req_str(v, "motivation", 2000).and_then(|s| {
        if s.trim().chars().count() < 10 {
            Err(ApiError::invalid(
                "motivation",
                "tell us a little more (at least 10 characters)",
            ))
        } else {
            Ok(s.to_string())
        }
    }));
    let portal_id = take(opt_str(v, "volunteer_portal_id", 40).and_then(|s| {
        match s {
            Some(s)
                if !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                Err(ApiError::invalid(
                    "volunteer_portal_id",
                    "letters, digits, - and _ only (your 1365 ID)",
                ))
            }
            s => Ok(s.unwrap_or_default().to_string()),
        }
    }));
    let max_year = this_year - MIN_AGE;
    let birth_year = match v.get("birth_year").and_then(Value::as_i64) {
        Some(y) if (1900..=max_year).contains(&y) => y,
        Some(_) => {
            errors.push(ApiError::invalid(
                "birth_year",
                format!("must be from 1900 to {max_year}: applicants must be {MIN_AGE} or older"),
            ));
            0
        }
        None => {
            errors.push(ApiError::invalid(
                "birth_year",
                "required, a year such as 1962",
            ));
            0
        }
    };
    let mut areas = Vec::new();
    match v.get("activity_areas").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, a) in list.iter().enumerate() {
                match a.as_str() {
                    Some(s) if AREAS.contains(&s) => {
                        if !areas.iter().any(|x| x == s) {
                            areas.push(s.to_string());
                        }
                    }
                    _ => errors.push(ApiError::invalid(
                        &format!("activity_areas[{i}]"),
                        format!("must be one of {}", AREAS.join(", ")),
                    )),
                }
            }
        }
        _ => errors.push(ApiError::invalid(
            "activity_areas",
            format!("a non-empty list of: {}", AREAS.join(", ")),
        )),
    }
    if v.get("consent_personal_data") != Some(&Value::Bool(true)) {
        errors.push(ApiError::invalid(
            "consent_personal_data",
            "must be true: we cannot process an application without consent to processing personal data",
        ));
    }
    if errors.is_empty() {
        Ok(Form {
            name,
            birth_year,
            phone: phone_s,
            address,
            dong,
            areas,
            motivation,
            portal_id: Some(portal_id).filter(|s| !s.is_empty()),
        })
    } else {
        Err(errors)
    }
}

/// 400 in the usual shape (first error), plus `errors` listing every field at fault.
fn field_errors(errors: &[ApiError]) -> Response {
    let mut body = errors[0].body();
    body["error"]["errors"] = json!(
        errors
            .iter()
            .map(|e| json!({"field": e.field, "message": e.message}))
            .collect::<Vec<_>>()
    );
    json_response(400, &body)
}

pub fn apply(req: &Request, db: &Db) -> ApiResult<Response> {
    if let Some(r) = limit(req, db, "officer-apply", apply_limit())? {
        return Ok(r);
    }
    let v = parse_body(req.body())?;
    let now = time::now_ms();
    let this_year: i64 = time::date_kst(now)[..4].parse().unwrap_or(2026);
    let f = match validate(&v, this_year) {
        Ok(f) => f,
        Err(errors) => return Ok(field_errors(&errors)),
    };
    let digits = phone_digits(&f.phone);
    let id = ids::new_id("oap");
    let reference = new_reference();
    db.tx(|db| -> ApiResult<_> {
        if officers::live_phone_exists(db, &digits)? {
            return Err(ApiError {
                status: 409,
                code: "duplicate_application",
                message:
                    "phone: an application with this phone number is already pending or approved"
                        .into(),
                field: Some("phone".into()),
            });
        }
        officers::insert_application(
            db,
            &officers::NewApplication {
                id: &id,
                reference_hash: &reference_hash(&reference),
                name: &f.name,
                birth_year: f.birth_year,
                phone: &f.phone,
                phone_digits: &digits,
                address: &f.address,
                dong: &f.dong,
                activity_areas: &f.areas,
                motivation: &f.motivation,
                volunteer_portal_id: f.portal_id.as_deref(),
                consent_version: CONSENT_VERSION,
                now,
            },
        )?;
        officers::audit(
            db,
            "applicant",
            "submitted",
            &format!("application/{id}"),
            None,
            now,
        )?;
        Ok(())
    })?;
    eprintln!("officer application submitted id={id}");
    Ok(json_response(
        201,
        &json!({
            "reference": reference,
            "state": "pending",
            "submitted_at": time::to_rfc3339(now),
            "status_url": format!("/api/v1/officer-applications/status/{reference}"),
            "note": "Keep this reference: it is shown only once and is the only way to check the status online.",
        }),
    ))
}

pub fn status(req: &Request, db: &Db, reference: &str) -> ApiResult<Response> {
    if let Some(r) = limit(req, db, "officer-status", STATUS_LIMIT)? {
        return Ok(r);
    }
    let a = officers::application_by_reference(db, &reference_hash(reference))?
        .ok_or_else(|| ApiError::not_found("no application with this reference"))?;
    // Only the outcome: no personal details behind a code alone.
    let mut body = json!({
        "state": a.state,
        "submitted_at": time::to_rfc3339(a.submitted_at),
        "decided_at": a.decided_at.map(time::to_rfc3339),
    });
    if a.state == "rejected" {
        body["reason"] = json!(a.reason);
    }
    let officer = match (&a.state[..], a.officer_id.as_deref()) {
        ("approved", Some(id)) => officers::officer(db, id)?,
        _ => None,
    };
    if let Some(o) = officer {
        body["officer_number"] = json!(o.officer_number);
        body["dong"] = json!(o.dong);
    }
    Ok(json_response(200, &body))
}
