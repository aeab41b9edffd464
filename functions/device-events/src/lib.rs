//! `POST /api/v1/device-events`: the signed webhook every device event arrives through.
//!
//! Order matters: find the device and check its signature before looking at anything else;
//! answer a repeated `event_id` with the first answer; persist the event, any incident and its
//! notifications in one transaction; answer the device (it may stop retrying: the event is
//! safe); then send the immediate notifications (119 first) at once, in the same run — the
//! tick retries whatever did not get through. The device's answer never waits on 119's.

mod care;
mod envelope;
mod restore;

use serde_json::json;
use spin_sdk::http::{IncomingRequest, Method, OutgoingResponse, Response, ResponseOutparam};
use spin_sdk::http_component;

use safetynet_alerting::delivery;
use safetynet_alerting::events;
use safetynet_alerting::routing_client::{self as routing, kind_from_str};
use safetynet_alerting::{self as alerting, Alert, Raised};
use safetynet_db::Db;
use safetynet_http::respond;
use safetynet_http::{ApiError, ApiResult};
use safetynet_residents as registry;
use safetynet_secrets as secrets;
use safetynet_wire::signature;
use safetynet_wire::time;

// The raw request, not spin-sdk's `Request`: that conversion copies every header (Spin adds a
// dozen) into a map and rebuilds the URI, and this route, the busiest, needs two headers.
#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let (result, opened) = match receive(req).await {
        Ok((response, opened)) => (Ok(response), opened),
        Err(e) => (Err(e), None),
    };
    send(out, respond(result)).await;
    if let Some(opened) = opened {
        opened.deliver().await;
    }
}

/// Sends the answer now; the run goes on afterwards.
async fn send(out: ResponseOutparam, mut response: Response) {
    let body = std::mem::take(response.body_mut());
    match OutgoingResponse::try_from(response) {
        Ok(r) => {
            if let Err(e) = out.set_with_body(r, body).await {
                eprintln!("device-events: answer not sent: {e}");
            }
        }
        Err(e) => eprintln!("device-events: answer not built: {e}"),
    }
}

/// An incident committed by this request, whose immediate notifications are still to be sent.
struct Opened {
    db: Db,
    incident_id: String,
    now: i64,
}

impl Opened {
    async fn deliver(self) {
        // Already committed: a failure here only delays delivery until the next tick.
        let sent = delivery::send_due(&self.db, self.now, Some(&self.incident_id), 50).await;
        if let Err(e) = sent {
            eprintln!(
                "immediate delivery error incident={} error={e}",
                self.incident_id
            );
        }
    }
}

enum Outcome {
    New {
        body: String,
        deliver_incident: Option<String>,
    },
    Duplicate(String),
}

/// A device event is a few hundred bytes; anything past this is refused unread, before the
/// signature is even checked, so an unauthenticated sender cannot make the suite hold a large
/// body in memory.
const MAX_BODY_BYTES: usize = safetynet_http::BODY_LIMIT;

/// Events one device may send in a minute (`device_event_limit_per_minute`, 600 by default): a
/// device past it is broken or abused, and must not crowd out other residents' emergencies.
/// Only events the routing policy says raise nothing (heartbeats, activity) are ever refused.
fn events_per_minute() -> i64 {
    spin_sdk::variables::get("device_event_limit_per_minute")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(600)
}

/// The first value of a request header, if it is text.
fn header(headers: &spin_sdk::http::Headers, name: &str) -> Option<String> {
    let value = headers.get(name).into_iter().next()?;
    String::from_utf8(value).ok()
}

async fn receive(req: IncomingRequest) -> ApiResult<(Response, Option<Opened>)> {
    if req.method() != Method::Post {
        return Err(ApiError::method_not_allowed());
    }
    let now = time::now_ms();
    let headers = req.headers();
    let (timestamp, signature) = (
        header(&headers, "x-safetynet-timestamp"),
        header(&headers, "x-safetynet-signature"),
    );
    let body = safetynet_http::read_body(req, MAX_BODY_BYTES).await?;
    let body = body.as_slice();
    // Authenticate first: nothing about the payload but its sender is examined before that.
    let (v, device_id) = envelope::sender(body)?;
    let device_id = device_id.as_str();
    let db = Db::open(safetynet_migrations::ALL)?;
    let (device, resident, contacts) = registry::device_with_owner(&db, device_id)?
        .ok_or_else(|| ApiError::new(404, "unknown_device", format!("no device {device_id}")))?;
    let master = spin_sdk::variables::get("secret_key")
        .map_err(|_| ApiError::internal("secret_key variable not set"))?;
    let secret = secrets::open(&master, &device.secret_sealed).ok_or_else(|| {
        ApiError::internal("device secret cannot be decrypted (secret_key changed?)")
    })?;
    signature::verify(
        &secret,
        timestamp.as_deref(),
        signature.as_deref(),
        body,
        now / 1000,
    )
    .map_err(|e| ApiError::unauthorized(e.message()))?;

    let envelope::Envelope {
        event_id,
        kind_name,
        kind: known,
        occurred_at,
        sequence,
        data,
    } = envelope::fields(&v)?;
    let kind = routing::wit_kind(known);
    // Reminder acks and check-in answers (issue 5, see care.rs): checked before anything is stored.
    let care = care::parse(kind_name, &data)?;
    let restores = restore::parse(kind_name, &data)?;

    let profile = routing::profile(&resident, &contacts);
    // A check-in is routed only when alarming, and then as crisis-utterance (care.rs).
    let routed = care.incident_kind(kind_name);
    let plan = match routed {
        Some(k) => {
            let k = kind_from_str(k).unwrap_or(kind);
            routing::plan(event_id, &device.id, k, occurred_at, &profile, now)?
        }
        None => care::quiet(),
    };
    let incident_kind = routed.unwrap_or(kind_name);
    let severity = routing::severity_str(plan.severity);
    let data = data.to_string();
    let answer_with = |incident: Option<(&str, &str)>| {
        json!({
            "event_id": event_id,
            "status": "accepted",
            "kind": kind_name,
            "severity": severity,
            "incident_id": incident.map(|(id, _)| id),
            "incident": incident.map(|(_, how)| how),
        })
        .to_string()
    };
    // Filled in per path (incident, answer) by struct update; every other field is Copy.
    let event = events::NewEvent {
        event_id,
        device_id: &device.id,
        resident_id: &resident.id,
        kind: kind_name,
        occurred_at,
        received_at: now,
        sequence,
        data: &data,
        incident_id: None,
        response: "",
        shows_activity: known.shows_activity(),
    };

    // Most events (heartbeats, activity) open nothing and record nothing else: one statement
    // stores them and, through its trigger, the device's and resident's clocks. A repeat is
    // found by the same statement (it inserts nothing).
    if !plan.opens_incident && care.records_nothing() && restores.is_none() {
        // Only here, where the policy says the event raises nothing, may a flooding device be
        // refused: anything that can open an incident always gets through.
        let limit = events_per_minute();
        if device.events_in(now / 60_000) >= limit {
            // A retransmission of what was stored is still answered as before.
            if let Some(first) = events::stored_response(&db, event_id, &device.id)? {
                return Ok((duplicate(first), None));
            }
            eprintln!(
                "device event refused device={} kind={kind_name} rate_limited",
                device.id
            );
            return Err(ApiError::new(
                429,
                "rate_limited",
                format!(
                    "this device sent {limit} events this minute; send routine events again next \
                     minute (anything that can raise an alarm is always accepted)"
                ),
            ));
        }
        let body = answer_with(None);
        if events::insert(
            &db,
            &events::NewEvent {
                response: &body,
                ..event
            },
        )? {
            return Ok((answer(body, false), None));
        }
        return events::stored_response(&db, event_id, &device.id)?
            .map(|first| (duplicate(first), None))
            .ok_or_else(|| ApiError::internal("event neither stored nor found"));
    }

    let outcome = db.tx(|db| -> ApiResult<_> {
        // Checked under the write lock: two copies racing in are stored once.
        if let Some(first) = events::stored_response(db, event_id, &device.id)? {
            return Ok(Outcome::Duplicate(first));
        }
        let incident = if plan.opens_incident {
            let alert = Alert {
                kind: incident_kind,
                source: event_id,
                resident: &resident,
                contacts: &contacts,
                device: Some((&device.id, &device.kind)),
                event: Some((event_id, occurred_at)),
                now,
            };
            Some(alerting::raise(db, &alert, &plan)?)
        } else {
            None
        };
        // Issue 5: the ack or check-in answer, through the reminders store, in this transaction.
        care.record(
            db,
            event_id,
            &device.id,
            &resident.id,
            incident.as_ref().map(Raised::id),
            occurred_at,
            now,
        )?;
        let restored = match restores {
            Some(condition) => restore::apply(db, condition, &device.id, &resident.id, now)?,
            None => None,
        };
        let incident_ref = match (&incident, &restored) {
            (Some(r), _) => Some((r.id(), r.how())),
            (None, Some((id, how))) => Some((id.as_str(), *how)),
            (None, None) => None,
        };
        let body = answer_with(incident_ref);
        let stored = events::NewEvent {
            incident_id: incident_ref.map(|(id, _)| id),
            response: &body,
            ..event
        };
        if !events::insert(db, &stored)? {
            return Err(ApiError::internal(
                "event stored twice under the write lock",
            ));
        }
        let deliver_incident = match incident {
            Some(Raised::Opened(id)) => Some(id),
            _ => None,
        };
        Ok(Outcome::New {
            body,
            deliver_incident,
        })
    })?;

    match outcome {
        Outcome::Duplicate(first) => Ok((duplicate(first), None)),
        Outcome::New {
            body,
            deliver_incident,
        } => {
            let opened = deliver_incident.map(|incident_id| {
                eprintln!(
                    "incident opened id={incident_id} kind={kind_name} device={}",
                    device.id
                );
                Opened {
                    db,
                    incident_id,
                    now,
                }
            });
            Ok((answer(body, false), opened))
        }
    }
}

fn answer(body: String, duplicate: bool) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header(
            "x-safetynet-duplicate",
            if duplicate { "true" } else { "false" },
        )
        .body(body)
        .build()
}

fn duplicate(first: String) -> Response {
    answer(first, true)
}
