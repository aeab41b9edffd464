//! The support centre's review: list and read applications, approve (officer number, assigned
//! dong, a bearer token shown once) or reject with a reason. Each decision is audited and the
//! applicant is told by SMS through the outbox, committed with the decision.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

use crate::store::officers::{self, Officer};
use safetynet_alerting::delivery;
use safetynet_alerting::outbox;
use safetynet_auth::tokens;
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::validate::req_str;
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{json as json_response, query_param};
use safetynet_secrets as secrets;
use safetynet_wire::ids;
use safetynet_wire::time;

fn load(db: &Db, id: &str) -> ApiResult<officers::Application> {
    officers::application(db, id)?
        .ok_or_else(|| ApiError::not_found(format!("no application {id}")))
}

pub fn list(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre])?;
    let state = query_param(req, "state");
    if state
        .as_deref()
        .is_some_and(|s| !["pending", "approved", "rejected"].contains(&s))
    {
        return Err(ApiError::invalid(
            "state",
            "one of pending, approved, rejected",
        ));
    }
    let dong = query_param(req, "dong");
    let list: Vec<Value> =
        officers::list_applications(db, state.as_deref(), dong.as_deref(), 1000)?
            .iter()
            .map(officers::Application::to_json)
            .collect();
    Ok(json_response(200, &json!({ "applications": list })))
}

pub fn detail(db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre])?;
    let a = load(db, id)?;
    let mut body = a.to_json();
    body["audit"] = json!(officers::audit_of(db, &format!("application/{id}"))?);
    Ok(json_response(200, &body))
}

/// The applicant's SMS, keyed by application so a retry never sends it twice.
fn notify_applicant(
    db: &Db,
    a: &officers::Application,
    text: String,
    now: i64,
) -> ApiResult<String> {
    let key = format!("officer-app/{}", a.id);
    outbox::enqueue(
        db,
        &key,
        0,
        "officer-applicant",
        "decision",
        &json!({
            "type": "sms",
            "channel": "officer-applicant",
            "application_id": a.id,
            "to": a.phone,
            "text": text,
        }),
        now,
    )?;
    Ok(key)
}

/// Sends what was just committed; a failure only waits for the next tick.
async fn deliver_now(db: &Db, key: &str) {
    let now = time::now_ms();
    if let Err(e) = delivery::send_due(db, now, Some(key), 10).await {
        eprintln!("applicant sms delivery error key={key} error={e}");
    }
}

fn officer_number(v: &Value) -> ApiResult<String> {
    let n = req_str(v, "officer_number", 32)?;
    if !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ApiError::invalid(
            "officer_number",
            "letters, digits and - only",
        ));
    }
    Ok(n.to_string())
}

pub async fn approve(req: &Request, db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre])?;
    let a = load(db, id)?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let number = officer_number(&v)?;
    let dong = req_str(&v, "dong", 64)?.to_string();
    let now = time::now_ms();
    let officer = Officer {
        id: ids::new_id("off"),
        application_id: a.id.clone(),
        officer_number: number.clone(),
        name: a.name.clone(),
        birth_year: a.birth_year,
        phone: a.phone.clone(),
        address: a.address.clone(),
        dong: dong.clone(),
        volunteer_portal_id: a.volunteer_portal_id.clone(),
        state: "active".into(),
        appointed_at: now,
    };
    // The officer's credential: only its hash is kept, so this answer is the one chance to see it.
    let token = format!("sno_{}", ids::random_hex(24));
    let key = db.tx(|db| -> ApiResult<_> {
        if officers::officer_number_taken(db, &number)? {
            return Err(ApiError {
                status: 409,
                code: "conflict",
                message: format!("officer_number: {number} is already in use"),
                field: Some("officer_number".into()),
            });
        }
        officers::decide(db, id, "approved", &staff.id, None, Some(&officer.id), now)?;
        officers::insert_officer(db, &officer, &staff.id)?;
        tokens::insert_staff(
            db,
            &tokens::NewToken {
                id: &officer.id,
                hash: &secrets::token_hash(&token),
                name: &officer.name,
                role: Role::Officer,
                dong: Some(&dong),
                provider: None,
                expires_at: Some(now + Role::Officer.default_token_days() * 86_400_000),
            },
            now,
        )?;
        let note = format!("officer {} number {number} dong {dong}", officer.id);
        officers::audit(db, &staff.id, "approved", &format!("application/{id}"), Some(&note), now)?;
        officers::audit(db, &staff.id, "appointed", &format!("officer/{}", officer.id), None, now)?;
        officers::audit(db, &staff.id, "token-issued", &format!("officer/{}", officer.id), None, now)?;
        notify_applicant(
            db,
            &a,
            format!(
                "[안전망] 명예사회복지공무원 위촉이 승인되었습니다. 위촉번호 {number}, 활동 지역 {dong}. 지원센터에서 활동 안내를 드립니다."
            ),
            now,
        )
    })?;
    eprintln!(
        "officer application approved id={id} officer={} by={}",
        officer.id, staff.id
    );
    deliver_now(db, &key).await;
    Ok(json_response(
        201,
        &json!({
            "application_id": id,
            "state": "approved",
            "officer": officer.to_json(),
            "token": token,
            "token_note": "Shown once. Hand it to the officer; it lets them log activities and file crisis reports as themselves.",
        }),
    ))
}

pub async fn reject(req: &Request, db: &Db, staff: &Staff, id: &str) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre])?;
    let a = load(db, id)?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let reason = req_str(&v, "reason", 500)?.to_string();
    let now = time::now_ms();
    let key = db.tx(|db| -> ApiResult<_> {
        officers::decide(db, id, "rejected", &staff.id, Some(&reason), None, now)?;
        officers::audit(db, &staff.id, "rejected", &format!("application/{id}"), Some(&reason), now)?;
        notify_applicant(
            db,
            &a,
            format!("[안전망] 명예사회복지공무원 신청 결과를 알려드립니다: 반려 (사유: {reason}). 문의는 지원센터로 해 주세요."),
            now,
        )
    })?;
    eprintln!("officer application rejected id={id} by={}", staff.id);
    deliver_now(db, &key).await;
    let a = load(db, id)?;
    Ok(json_response(200, &a.to_json()))
}

pub fn list_officers(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::SupportCentre, Role::WelfareCentre])?;
    let dong = match (staff.role, query_param(req, "dong")) {
        (Role::WelfareCentre, Some(d)) => {
            staff.require_dong(&d)?;
            Some(d)
        }
        (Role::WelfareCentre, None) => staff.dong.clone(),
        (_, d) => d,
    };
    let list: Vec<Value> = officers::list_officers(db, dong.as_deref())?
        .iter()
        .map(Officer::to_json)
        .collect();
    Ok(json_response(200, &json!({ "officers": list })))
}
