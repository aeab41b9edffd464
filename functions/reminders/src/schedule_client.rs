//! The schedule component, imported over WIT (`safetynet:schedule/schedule`): all recurrence,
//! status and adherence logic lives there; this function only stores and serves.

spin_sdk::wit_bindgen::generate!({
    path: "../../wit/schedule",
    world: "user",
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

pub use safetynet::schedule::schedule::{
    AdherenceReport, Outcome, Recurrence, RuleError, Status, StreakEntry, adherence, classify,
    missed_streak, next_after, occurrences, validate,
};

use safetynet_care::{Delivery, Schedule};
use safetynet_http::ApiError;

/// A schedule's recurrence as the component takes it.
pub fn recurrence(s: &Schedule) -> Recurrence {
    Recurrence {
        rule: s.rule.clone(),
        tz: s.tz.clone(),
        start: s.start_at,
        end: s.end_at,
    }
}

/// Stored occurrences as the missed-dose streak takes them, in the order given.
pub fn streak_entries(latest: &[Delivery]) -> Vec<StreakEntry> {
    latest
        .iter()
        .map(|d| StreakEntry {
            id: d.id.clone(),
            delivered: d.claimed_at.is_some(),
            missed: d.missed_at.is_some(),
            escalated: d.incident_id.is_some(),
        })
        .collect()
}

/// A rule error from a request is a 400 naming the field; from a stored rule, a 500.
pub fn invalid(e: RuleError) -> ApiError {
    ApiError::invalid(&e.field, e.message)
}

pub fn stored(e: RuleError) -> ApiError {
    ApiError::internal(format!("stored schedule rule: {}: {}", e.field, e.message))
}

pub fn status_str(s: Status) -> &'static str {
    match s {
        Status::Pending => "pending",
        Status::Due => "due",
        Status::Taken => "taken",
        Status::Late => "late",
        Status::Missed => "missed",
    }
}
