//! Care-speaker events that belong to reminders (issue 5), recorded through the reminders
//! store inside the webhook's transaction:
//!
//! - `reminder-ack` with `data.delivery_id`: the resident acknowledged a reminder (marks it
//!   taken, or late after its grace period).
//! - `check-in` with `data.answer` (`good` | `not-good` | `needs-help`), optional `data.text`
//!   (what the resident said) and `data.delivery_id` (the check-in prompt it answers). Every
//!   answer is kept; only `needs-help` or crisis words in the text are routed, and then as
//!   `crisis-utterance` (dong welfare centre, the 109 line in the message) — a plain `good`
//!   opens nothing.
//! - `missed-dose` is refused: only the reminders tick raises it.

use serde_json::Value;

use safetynet_alerting::routing_client::Plan;
use safetynet_care::crisis;
use safetynet_care::{self as reminders, ANSWERS};
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};

pub enum Care<'a> {
    Other,
    Ack {
        delivery_id: &'a str,
    },
    CheckIn {
        answer: &'a str,
        said: Option<&'a str>,
        crisis: bool,
        delivery_id: Option<&'a str>,
    },
}

/// `data.<name>` as an optional string of at most `max` characters; errors name `data.<name>`.
fn data_str<'a>(data: &'a Value, name: &str, max: usize) -> ApiResult<Option<&'a str>> {
    let field = format!("data.{name}");
    match data.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ApiError::invalid(&field, "must not be empty"))
        }
        Some(Value::String(s)) if s.chars().count() > max => Err(ApiError::invalid(
            &field,
            format!("longer than {max} characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(&field, "must be a string")),
    }
}

pub fn parse<'a>(kind: &str, data: &'a Value) -> ApiResult<Care<'a>> {
    match kind {
        "missed-dose" => Err(ApiError::invalid(
            "kind",
            "missed-dose is raised by the reminders tick, not by devices",
        )),
        "reminder-ack" => {
            let delivery_id = data_str(data, "delivery_id", 200)?
                .ok_or_else(|| ApiError::invalid("data.delivery_id", "required"))?;
            Ok(Care::Ack { delivery_id })
        }
        "check-in" => {
            let answer = data_str(data, "answer", 32)?
                .ok_or_else(|| ApiError::invalid("data.answer", "required"))?;
            if !ANSWERS.contains(&answer) {
                return Err(ApiError::invalid(
                    "data.answer",
                    format!("must be one of {}", ANSWERS.join(", ")),
                ));
            }
            let said = data_str(data, "text", 2000)?;
            let crisis = answer == "needs-help" || said.is_some_and(crisis::is_crisis);
            Ok(Care::CheckIn {
                answer,
                said,
                crisis,
                delivery_id: data_str(data, "delivery_id", 200)?,
            })
        }
        _ => Ok(Care::Other),
    }
}

impl Care<'_> {
    /// True when [`Care::record`] has nothing to store (any event but an ack or a check-in).
    pub fn records_nothing(&self) -> bool {
        matches!(self, Care::Other)
    }

    /// The kind routed and opened as an incident; None = record only, route nothing.
    pub fn incident_kind<'k>(&self, kind: &'k str) -> Option<&'k str> {
        match self {
            Care::CheckIn { crisis: true, .. } => Some("crisis-utterance"),
            Care::CheckIn { crisis: false, .. } => None,
            _ => Some(kind),
        }
    }

    /// Records the acknowledgement or answer (inside the webhook's transaction).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        db: &Db,
        event_id: &str,
        device_id: &str,
        resident_id: &str,
        incident_id: Option<&str>,
        occurred_at: i64,
        now: i64,
    ) -> ApiResult<()> {
        // The speaker's clock says when the resident answered; never later than we heard it.
        let at = occurred_at.min(now);
        let ack = |delivery_id: &str| -> ApiResult<()> {
            if let reminders::Ack::Unknown =
                reminders::ack(db, delivery_id, Some(resident_id), device_id, at)?
            {
                eprintln!("reminder-ack for unknown delivery event={event_id} device={device_id}");
            }
            Ok(())
        };
        match self {
            Care::Other => Ok(()),
            Care::Ack { delivery_id } => ack(delivery_id),
            Care::CheckIn {
                answer,
                said,
                crisis,
                delivery_id,
            } => {
                if let Some(d) = delivery_id {
                    ack(d)?;
                }
                reminders::record_checkin(
                    db,
                    &reminders::CheckIn {
                        event_id,
                        resident_id,
                        device_id,
                        answer,
                        said: *said,
                        crisis: *crisis,
                        delivery_id: *delivery_id,
                        incident_id,
                        answered_at: at,
                        received_at: now,
                    },
                )?;
                Ok(())
            }
        }
    }
}

/// The plan for an event that is only recorded: no incident, nobody told.
pub fn quiet() -> Plan {
    Plan {
        severity: safetynet_alerting::routing_client::Severity::Info,
        opens_incident: false,
        immediate: Vec::new(),
        ladder: Vec::new(),
    }
}
