//! Turning a routing plan into outbox rows with the message each receiver needs.
//!
//! 119 gets what a dispatcher needs to send a crew (who, where, medical notes, which device and
//! event); caregivers and the dong centre get a short Korean SMS. Payloads are snapshots taken
//! when the incident opens, so a later record change cannot alter what was sent.

use safetynet_vocabulary::Channel;
use serde_json::{Value, json};

use crate::incidents::Step;
use crate::routing_client::{Plan, channel as routing_channel, channel_str};
use crate::{acks, outbox};
use safetynet_db::Db;
use safetynet_db::{StoreError, StoreResult};
use safetynet_residents::centres::{self, Centre};
use safetynet_residents::{Contact, Resident};

/// Everything a notification may mention.
pub struct Context<'a> {
    /// The incident notified about.
    pub incident_id: &'a str,
    /// Its kind: an event kind's name.
    pub kind: &'a str,
    /// Its severity's name.
    pub severity: &'a str,
    /// The resident it is about.
    pub resident: &'a Resident,
    /// The resident's contacts, by priority.
    pub contacts: &'a [Contact],
    /// The device (id, kind) the alert came from, if any.
    pub device: Option<(&'a str, &'a str)>,
    /// The event (id, occurred-at) the alert came from, if any.
    pub event: Option<(&'a str, i64)>,
}

pub use safetynet_vocabulary::kind_label_ko as kind_ko;

/// What the message adds for some kinds. A crisis (a check-in asking for help, or self-harm or
/// loneliness words) always carries the 24-hour suicide-prevention line, 109.
fn advice(kind: &str) -> &'static str {
    match kind {
        "crisis-utterance" => " 위기 상담: 자살예방상담전화 109 (24시간).",
        _ => "",
    }
}

/// How a caregiver acknowledges this notification: a code to reply with, a link to tap.
pub struct Ack {
    /// The code an SMS reply quotes.
    pub code: String,
    /// The signed link to tap.
    pub url: String,
}

/// The link a caregiver taps: `public_url` + `/ack/` + the signed code.
fn ack_url(code: &str) -> StoreResult<String> {
    let key = spin_sdk::variables::get("secret_key")
        .map_err(|_| StoreError::Internal("secret_key variable not set".into()))?;
    let base = spin_sdk::variables::get("public_url").unwrap_or_default();
    Ok(format!(
        "{}/ack/{}",
        base.trim_end_matches('/'),
        acks::token(&key, code)
    ))
}

/// Writes one notification to the outbox. A caregiver's first gets its acknowledgement code.
pub fn enqueue(
    db: &Db,
    ctx: &Context,
    step: u32,
    channel: Channel,
    target: &str,
    now: i64,
) -> StoreResult<()> {
    let centre = match channel {
        Channel::WelfareCentre => centres::get(db, target)?,
        _ => None,
    };
    let ack = match ctx.contacts.iter().find(|c| c.id == target) {
        Some(c) if channel == Channel::Caregiver => {
            let code = acks::issue(db, ctx.incident_id, &c.id, &c.phone, now)?;
            let url = ack_url(&code)?;
            Some(Ack { code, url })
        }
        _ => None,
    };
    outbox::enqueue(
        db,
        ctx.incident_id,
        step,
        channel.as_str(),
        target,
        &payload(ctx, channel, target, ack.as_ref(), centre.as_ref()),
        now,
    )?;
    Ok(())
}

/// What is sent. A welfare centre's message goes to its number from the directory (none when
/// the dong has no centre there yet).
pub fn payload(
    ctx: &Context,
    channel: Channel,
    target: &str,
    ack: Option<&Ack>,
    centre: Option<&Centre>,
) -> Value {
    let r = ctx.resident;
    match channel {
        Channel::Dispatch119 | Channel::WelfareCheck119 => json!({
            "type": if channel == Channel::Dispatch119 { "emergency-dispatch" } else { "welfare-check" },
            "incident_id": ctx.incident_id,
            "kind": ctx.kind,
            "severity": ctx.severity,
            "resident": {
                "id": r.id,
                "name": r.name,
                "birth_year": r.birth_year,
                "phone": r.phone,
                "address": r.address,
                "dong": r.dong,
                "location": match (r.latitude, r.longitude) {
                    (Some(lat), Some(lon)) => json!({"lat": lat, "lon": lon}),
                    _ => Value::Null,
                },
                "eligibility": r.eligibility,
                "medical_notes": r.medical_notes,
            },
            "contacts": ctx.contacts.iter().map(|c| json!({"name": c.name, "phone": c.phone, "relation": c.relation})).collect::<Vec<_>>(),
            "device": ctx.device.map(|(id, kind)| json!({"id": id, "kind": kind})),
            "event": ctx.event.map(|(id, at)| json!({"event_id": id, "occurred_at": safetynet_wire::time::to_rfc3339(at)})),
        }),
        Channel::Caregiver => {
            let phone = ctx
                .contacts
                .iter()
                .find(|c| c.id == target)
                .map(|c| c.phone.clone());
            let reply = match ack {
                Some(a) => format!(
                    " 확인하셨으면 1 또는 \"확인 {}\"으로 회신하시거나 {} 을 눌러 주세요.",
                    a.code, a.url
                ),
                None => " 확인 후 응답해 주세요.".to_string(),
            };
            json!({
                "type": "sms",
                "channel": channel.as_str(),
                "incident_id": ctx.incident_id,
                "contact_id": target,
                "to": phone,
                "ack_code": ack.map(|a| &a.code),
                "ack_url": ack.map(|a| &a.url),
                "text": format!("[안전망] {} 님 {} 발생.{reply}{} (사건 {})", r.name, kind_ko(ctx.kind), advice(ctx.kind), ctx.incident_id),
            })
        }
        Channel::WelfareCentre => json!({
            "type": "sms",
            "channel": channel.as_str(),
            "incident_id": ctx.incident_id,
            "dong": target,
            "to": centre.map(|c| &c.phone),
            "centre": centre.map(|c| &c.name),
            "text": format!("[안전망] {} 관할 {} 발생 (대상자 {}, 사건 {}){}", target, kind_ko(ctx.kind), r.id, ctx.incident_id, advice(ctx.kind)),
        }),
    }
}

/// Writes the plan's immediate notifications (step 0.., before the ladder) to the outbox.
pub fn enqueue_immediate(db: &Db, ctx: &Context, plan: &Plan, now: i64) -> StoreResult<()> {
    for (i, n) in plan.immediate.iter().enumerate() {
        let channel = routing_channel(n.channel);
        // Immediate rows use step numbers above the ladder's so keys never collide.
        let step = 1000 + i as u32;
        enqueue(db, ctx, step, channel, &n.target, now)?;
    }
    Ok(())
}

/// Queues an SMS to a dong centre about something other than an incident (an officer's urgent
/// report, an enrolment about to end), to the centre's number from the directory. `key` names
/// it in the outbox (and so keeps it from being queued twice); `ids` are the ids it is about.
pub fn enqueue_to_centre(
    db: &Db,
    key: &str,
    dong: &str,
    ids: Value,
    text: String,
    now: i64,
) -> StoreResult<()> {
    let mut payload = json!({
        "type": "sms",
        "channel": Channel::WelfareCentre.as_str(),
        "dong": dong,
        "to": centres::get(db, dong)?.map(|c| c.phone),
        "text": text,
    });
    if let (Some(p), Value::Object(ids)) = (payload.as_object_mut(), ids) {
        p.extend(ids);
    }
    outbox::enqueue(
        db,
        key,
        0,
        Channel::WelfareCentre.as_str(),
        dong,
        &payload,
        now,
    )?;
    Ok(())
}

/// The plan's ladder as stored escalation steps.
pub fn ladder(plan: &Plan) -> Vec<Step> {
    plan.ladder
        .iter()
        .map(|s| Step {
            step: s.step,
            due_at: s.due_at,
            channel: channel_str(s.notification.channel).to_string(),
            target: s.notification.target.clone(),
        })
        .collect()
}
