//! The routing component, imported over WIT (`safetynet:routing/routing`), so a city can swap its
//! routing policy component in `spin.toml` without rebuilding the functions.

spin_sdk::wit_bindgen::generate!({
    path: "../../wit/routing",
    world: "user",
    generate_all,
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

pub use safetynet::routing::routing::{self as routing, Channel, Plan, RestoreAction};
pub use safetynet::types::types::{
    Contact, DeviceEvent, Eligibility, EventKind, ResidentProfile, Severity,
};

use crate::api::{ApiError, ApiResult};
use crate::store::registry::{Contact as StoredContact, Resident};

/// The JSON names of event kinds, as in the device-event API.
pub const EVENT_KINDS: &[&str] = &[
    "emergency-call",
    "voice-sos",
    "fire",
    "smoke",
    "gas",
    "fall",
    "inactivity",
    "activity",
    "door",
    "heartbeat",
    "low-battery",
    "power-loss",
    "device-offline",
    "reminder-ack",
    "check-in",
    "crisis-utterance",
    "restore",
    "missed-dose",
];

pub fn kind_from_str(s: &str) -> Option<EventKind> {
    Some(match s {
        "emergency-call" => EventKind::EmergencyCall,
        "voice-sos" => EventKind::VoiceSos,
        "fire" => EventKind::Fire,
        "smoke" => EventKind::Smoke,
        "gas" => EventKind::Gas,
        "fall" => EventKind::Fall,
        "inactivity" => EventKind::Inactivity,
        "activity" => EventKind::Activity,
        "door" => EventKind::Door,
        "heartbeat" => EventKind::Heartbeat,
        "low-battery" => EventKind::LowBattery,
        "power-loss" => EventKind::PowerLoss,
        "device-offline" => EventKind::DeviceOffline,
        "reminder-ack" => EventKind::ReminderAck,
        "check-in" => EventKind::CheckIn,
        "crisis-utterance" => EventKind::CrisisUtterance,
        "restore" => EventKind::Restore,
        "missed-dose" => EventKind::MissedDose,
        _ => return None,
    })
}

fn eligibility(s: &str) -> Eligibility {
    match s {
        "disabled" => Eligibility::Disabled,
        "middle-aged-single" => Eligibility::MiddleAgedSingle,
        "recently-discharged" => Eligibility::RecentlyDischarged,
        "temporary-housing" => Eligibility::TemporaryHousing,
        _ => Eligibility::ElderlyAlone,
    }
}

pub fn channel_str(c: Channel) -> &'static str {
    match c {
        Channel::Dispatch119 => "dispatch119",
        Channel::Caregiver => "caregiver",
        Channel::WelfareCentre => "welfare-centre",
        Channel::WelfareCheck119 => "welfare-check119",
    }
}

pub fn severity_str(s: safetynet::types::types::Severity) -> &'static str {
    use safetynet::types::types::Severity as S;
    match s {
        S::Info => "info",
        S::Low => "low",
        S::High => "high",
        S::Critical => "critical",
    }
}

/// What routing needs of a resident: ids and settings only, never personal details.
pub fn profile(r: &Resident, contacts: &[StoredContact]) -> ResidentProfile {
    ResidentProfile {
        resident_id: r.id.clone(),
        eligibility: eligibility(&r.eligibility),
        dong: r.dong.clone(),
        contacts: contacts
            .iter()
            .map(|c| Contact {
                id: c.id.clone(),
                priority: c.priority.max(0) as u32,
                relation: c.relation.clone(),
            })
            .collect(),
        inactivity_threshold_minutes: r.inactivity_threshold_minutes.max(1) as u32,
    }
}

/// Plans an event with the policy from the `routing_policy` variable (empty = built-in).
pub fn plan(
    event_id: &str,
    device_id: &str,
    kind: EventKind,
    occurred_at: i64,
    profile: &ResidentProfile,
    now: i64,
) -> ApiResult<Plan> {
    let policy = spin_sdk::variables::get("routing_policy").unwrap_or_default();
    let event = DeviceEvent {
        event_id: event_id.to_string(),
        device_id: device_id.to_string(),
        kind,
        occurred_at,
    };
    routing::plan_event(&event, profile, now, &policy)
        .map_err(|e| ApiError::internal(format!("routing: {e}")))
}

/// What a restore of `restored` does to its open incident, by the `routing_policy` variable's
/// policy (empty = built-in).
pub fn restore_action(restored: EventKind) -> ApiResult<RestoreAction> {
    let policy = spin_sdk::variables::get("routing_policy").unwrap_or_default();
    routing::plan_restore(restored, &policy)
        .map_err(|e| ApiError::internal(format!("routing: {e}")))
}
