//! The routing component, imported over WIT (`safetynet:routing/routing`), so a city can swap its
//! routing policy component in `spin.toml` without rebuilding the functions.

/// Bindings generated from `wit/routing`; their docs are the WIT file's, where it has them.
#[allow(missing_docs)]
mod bindings {
    spin_sdk::wit_bindgen::generate!({
        path: "../../wit/routing",
        world: "user",
        generate_all,
        runtime_path: "spin_sdk::wit_bindgen::rt",
    });
}

pub use bindings::safetynet::routing::routing::{self as routing, Channel, Plan, RestoreAction};
pub use bindings::safetynet::types::types::{
    Contact, DeviceEvent, Eligibility, EventKind, ResidentProfile, Severity,
};

use safetynet_db::{StoreError, StoreResult};
use safetynet_residents::{Contact as StoredContact, Resident};
use safetynet_vocabulary as vocab;

/// The WIT value of an event kind.
pub fn wit_kind(k: vocab::EventKind) -> EventKind {
    use vocab::EventKind as K;
    match k {
        K::EmergencyCall => EventKind::EmergencyCall,
        K::VoiceSos => EventKind::VoiceSos,
        K::Fire => EventKind::Fire,
        K::Smoke => EventKind::Smoke,
        K::Gas => EventKind::Gas,
        K::Fall => EventKind::Fall,
        K::Inactivity => EventKind::Inactivity,
        K::Activity => EventKind::Activity,
        K::Door => EventKind::Door,
        K::Heartbeat => EventKind::Heartbeat,
        K::LowBattery => EventKind::LowBattery,
        K::PowerLoss => EventKind::PowerLoss,
        K::DeviceOffline => EventKind::DeviceOffline,
        K::ReminderAck => EventKind::ReminderAck,
        K::CheckIn => EventKind::CheckIn,
        K::CrisisUtterance => EventKind::CrisisUtterance,
        K::Restore => EventKind::Restore,
        K::MissedDose => EventKind::MissedDose,
    }
}

/// The WIT value of an event kind given by name; `None` for a name that is not a kind.
pub fn kind_from_str(s: &str) -> Option<EventKind> {
    s.parse::<vocab::EventKind>().ok().map(wit_kind)
}

/// A stored eligibility group as WIT has it; a group the suite no longer knows routes as the
/// default group (elderly living alone), the most cautious.
fn eligibility(s: &str) -> Eligibility {
    use vocab::Eligibility as E;
    match s.parse::<E>().unwrap_or(E::ElderlyAlone) {
        E::ElderlyAlone => Eligibility::ElderlyAlone,
        E::Disabled => Eligibility::Disabled,
        E::MiddleAgedSingle => Eligibility::MiddleAgedSingle,
        E::RecentlyDischarged => Eligibility::RecentlyDischarged,
        E::TemporaryHousing => Eligibility::TemporaryHousing,
    }
}

/// A channel as the vocabulary (and the outbox, and the API) names it.
pub fn channel(c: Channel) -> vocab::Channel {
    match c {
        Channel::Dispatch119 => vocab::Channel::Dispatch119,
        Channel::Caregiver => vocab::Channel::Caregiver,
        Channel::WelfareCentre => vocab::Channel::WelfareCentre,
        Channel::WelfareCheck119 => vocab::Channel::WelfareCheck119,
    }
}

/// A severity as the vocabulary names it.
pub fn severity(s: Severity) -> vocab::Severity {
    match s {
        Severity::Info => vocab::Severity::Info,
        Severity::Low => vocab::Severity::Low,
        Severity::High => vocab::Severity::High,
        Severity::Critical => vocab::Severity::Critical,
    }
}

/// The stored name of a channel.
pub fn channel_str(c: Channel) -> &'static str {
    channel(c).as_str()
}

/// The stored name of a severity.
pub fn severity_str(s: Severity) -> &'static str {
    severity(s).as_str()
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
) -> StoreResult<Plan> {
    let policy = spin_sdk::variables::get("routing_policy").unwrap_or_default();
    let event = DeviceEvent {
        event_id: event_id.to_string(),
        device_id: device_id.to_string(),
        kind,
        occurred_at,
    };
    routing::plan_event(&event, profile, now, &policy)
        .map_err(|e| StoreError::Internal(format!("routing: {e}")))
}

/// What a restore of `restored` does to its open incident, by the `routing_policy` variable's
/// policy (empty = built-in).
pub fn restore_action(restored: EventKind) -> StoreResult<RestoreAction> {
    let policy = spin_sdk::variables::get("routing_policy").unwrap_or_default();
    routing::plan_restore(restored, &policy)
        .map_err(|e| StoreError::Internal(format!("routing: {e}")))
}
