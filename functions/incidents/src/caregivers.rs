//! How a caregiver answers, without an account: the link in their SMS (`/ack/{token}`, a page
//! that works on any phone without JavaScript) or an SMS reply ("1" or "확인", optionally with the
//! code), which the SMS gateway posts to `/api/v1/sms-replies` with its own shared secret.
//! Either acknowledges the incident, which stops its ladder; the incident shows which caregiver
//! acknowledged and how.

use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

use safetynet_alerting::acks::{self, Reply};
use safetynet_alerting::incidents;
use safetynet_alerting::notify::kind_ko;
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::validate::{parse_body, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{header, json as json_response, query_param};
use safetynet_residents as registry;
use safetynet_secrets::token_hash;
use safetynet_wire::time;

/// `GET` shows what is to be acknowledged and a button; `POST` (the button) acknowledges. A GET
/// never changes anything: SMS apps and link previews fetch links on their own.
pub fn link(req: &Request, db: &Db, token: &str) -> ApiResult<Response> {
    if !matches!(*req.method(), Method::Get | Method::Post) {
        return Err(ApiError::method_not_allowed());
    }
    let key = spin_sdk::variables::get("secret_key")
        .map_err(|_| ApiError::internal("secret_key variable not set"))?;
    let invalid = || {
        page(
            404,
            "확인 링크가 올바르지 않습니다",
            "문자에 받은 링크를 그대로 열어 주세요. (This link is not valid.)",
            None,
        )
    };
    let Some(code) = acks::verify_token(&key, token) else {
        return Ok(invalid());
    };
    let Some(ack) = acks::get(db, code)? else {
        return Ok(invalid());
    };
    let now = time::now_ms();
    if let Some(used) = ack.used_at {
        let how = if ack.used_via.as_deref() == Some("sms") {
            "문자 회신"
        } else {
            "링크"
        };
        return Ok(page(
            410,
            "이미 사용된 확인 링크입니다",
            &format!(
                "{} {}(으)로 확인되었습니다. 바뀐 것은 없습니다. (Already used; nothing changed.)",
                time::kst_minute(used),
                how
            ),
            None,
        ));
    }
    if ack.expires_at <= now {
        return Ok(page(
            410,
            "만료된 확인 링크입니다",
            "담당 복지센터에 전화해 주세요. 바뀐 것은 없습니다. (This link has expired; nothing changed.)",
            None,
        ));
    }
    let incident = incidents::get(db, &ack.incident_id)?
        .ok_or_else(|| ApiError::internal("code of a missing incident"))?;
    let who = registry::get_resident(db, &incident.resident_id)?
        .map(|r| r.name)
        .unwrap_or_default();
    let what = format!(
        "{who} 님 {} ({})",
        kind_ko(&incident.kind),
        time::kst_minute(incident.opened_at)
    );

    match *req.method() {
        Method::Get if incident.state == "triggered" => Ok(page(
            200,
            "확인해 주세요",
            &what,
            Some("확인했습니다 (Acknowledge)"),
        )),
        Method::Get => Ok(page(200, "이미 확인된 알림입니다", &what, None)),
        Method::Post => {
            let acknowledged = db.tx(|db| -> ApiResult<_> {
                if !acks::use_code(db, code, "link", now)? {
                    return Ok(None);
                }
                Ok(Some(acknowledge(db, &ack, "link", now)?))
            })?;
            Ok(match acknowledged {
                None => page(
                    410,
                    "이미 사용된 확인 링크입니다",
                    "바뀐 것은 없습니다. (Already used; nothing changed.)",
                    None,
                ),
                Some(true) => page(
                    200,
                    "확인되었습니다. 감사합니다",
                    &format!("{what} — 다른 분들께 더 알리지 않습니다. (Acknowledged.)"),
                    None,
                ),
                Some(false) => page(200, "이미 다른 분이 확인했습니다", &what, None),
            })
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Acknowledges `ack`'s incident for its caregiver if nobody has yet; false if someone had.
fn acknowledge(db: &Db, ack: &acks::AckCode, via: &str, now: i64) -> ApiResult<bool> {
    let Some(incident) = incidents::get(db, &ack.incident_id)? else {
        return Ok(false);
    };
    if incident.state != "triggered" {
        return Ok(false);
    }
    let note = match via {
        "sms" => "acknowledged by SMS reply",
        _ => "acknowledged by link",
    };
    incidents::acknowledge(
        db,
        &ack.incident_id,
        &format!("caregiver:{}", ack.contact_id),
        Some(note),
        now,
    )?;
    eprintln!(
        "caregiver acknowledged incident={} contact={} via={via}",
        ack.incident_id, ack.contact_id
    );
    Ok(true)
}

/// `POST /api/v1/sms-replies` from the SMS gateway: `{"from": "010-…", "text": "확인"}`. Every
/// reply is stored with what became of it; one that matches nothing is kept as `unmatched` for
/// staff to follow up (`GET /api/v1/sms-replies?outcome=unmatched`).
pub fn sms_reply(req: &Request, db: &Db) -> ApiResult<Response> {
    let secret = spin_sdk::variables::get("sms_reply_token").unwrap_or_default();
    let given = header(req, "authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Hashes compared, as for staff tokens: the time taken says nothing about the secret.
    if secret.is_empty() || token_hash(given) != token_hash(&secret) {
        return Err(ApiError::unauthorized(
            "the SMS gateway's shared secret is required",
        ));
    }
    let v = parse_body(req.body())?;
    let from = acks::digits(req_str(&v, "from", 32)?);
    if from.len() < 7 {
        return Err(ApiError::invalid("from", "a phone number"));
    }
    let text = req_str(&v, "text", 500)?;
    let now = time::now_ms();

    let words: Vec<String> = text.split_whitespace().map(str::to_uppercase).collect();
    let is_ack = words
        .first()
        .is_some_and(|w| ["1", "확인", "OK"].contains(&w.as_str()));
    let quoted = words
        .iter()
        .skip(1)
        .find(|w| acks::looks_like_code(w))
        .cloned();
    let (outcome, code, incident) = if !is_ack {
        ("not-an-acknowledgement", None, None)
    } else {
        let open = acks::open_for_phone(db, &from, now)?;
        let pick = match &quoted {
            Some(q) => open.iter().find(|a| &a.code == q),
            None => {
                let first = open.first();
                // Without a code, only an unambiguous reply counts: one incident waiting.
                first.filter(|f| open.iter().all(|a| a.incident_id == f.incident_id))
            }
        };
        match pick {
            None => ("unmatched", quoted.clone(), None),
            Some(ack) => {
                let done = db.tx(|db| -> ApiResult<_> {
                    if !acks::use_code(db, &ack.code, "sms", now)? {
                        return Ok(false);
                    }
                    acknowledge(db, ack, "sms", now)
                })?;
                let outcome = if done {
                    "acknowledged"
                } else {
                    "already-acknowledged"
                };
                (
                    outcome,
                    Some(ack.code.clone()),
                    Some(ack.incident_id.clone()),
                )
            }
        }
    };
    acks::record_reply(
        db,
        &Reply {
            from_digits: &from,
            body: text,
            code: code.as_deref(),
            incident_id: incident.as_deref(),
            outcome,
        },
        now,
    )?;
    eprintln!("sms reply outcome={outcome} incident={incident:?}");
    Ok(json_response(
        200,
        &json!({"outcome": outcome, "incident_id": incident}),
    ))
}

/// `GET /api/v1/sms-replies[?outcome=unmatched]`: what caregivers replied, newest first.
pub fn list_replies(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::Dispatcher])?;
    const OUTCOMES: &[&str] = &[
        "acknowledged",
        "already-acknowledged",
        "unmatched",
        "not-an-acknowledgement",
    ];
    let outcome = query_param(req, "outcome");
    if let Some(o) = &outcome
        && !OUTCOMES.contains(&o.as_str())
    {
        return Err(ApiError::invalid(
            "outcome",
            format!("one of {}", OUTCOMES.join(", ")),
        ));
    }
    let replies = acks::replies(db, outcome.as_deref(), 200)?;
    Ok(json_response(200, &json!({"replies": replies})))
}

/// A small page that works on any phone: no script, no external asset, nothing cached.
fn page(status: u16, title: &str, body: &str, button: Option<&str>) -> Response {
    let form = button.map_or(String::new(), |b| {
        format!(
            "<form method=\"post\"><p><button type=\"submit\">{}</button></p></form>",
            escape(b)
        )
    });
    let html = format!(
        "<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title></head><body><main><h1>{t}</h1><p>{b}</p>{form}\
         <p><small>울산 안전망 (Safety Net)</small></p></main></body></html>\n",
        t = escape(title),
        b = escape(body),
    );
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header(
            "content-security-policy",
            "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        )
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .body(html)
        .build()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
