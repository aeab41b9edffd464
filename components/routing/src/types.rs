//! Plain Rust mirrors of the WIT records and enums (`wit/types/types.wit`, `wit/routing/routing.wit`).
//!
//! They exist so native code (functions' tests, the host, benchmarks) runs exactly the logic the
//! Wasm component runs, without going through Wasm. Enum values serialise as the WIT names
//! (kebab-case, e.g. `emergency-call`), which are also the device-event JSON `kind` values; record
//! fields keep their Rust snake_case names, like the rest of the HTTP API (`event_id`, `occurred_at`).

use safetynet_vocabulary::wit_enum;
use serde::{Deserialize, Serialize};

pub use safetynet_vocabulary::{Channel, Eligibility, EventKind, Severity};

wit_enum! {
    /// What a restore does to the open incident of the condition it ends (`routing.restore-action`).
    RestoreAction, "restore action" {
        /// Nothing: a person closes the incident.
        None = "none",
        /// Resolves it (outcome "restored") and stops its ladder.
        Resolve = "resolve",
        /// Keeps it open for a person to close, at low severity, and stops its ladder.
        Downgrade = "downgrade",
    }
}

/// A person to call (`types.contact`); lower `priority` is called first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The contact's id: a caregiver notification's target.
    pub id: String,
    /// Calling order: 1 first.
    pub priority: u32,
    /// How they relate to the resident (e.g. daughter, neighbour).
    pub relation: String,
}

/// What routing needs to know of a resident (`types.resident-profile`): ids only, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentProfile {
    /// The resident's id.
    pub resident_id: String,
    /// Why they are enrolled; the policy may route some groups differently.
    pub eligibility: Eligibility,
    /// Their dong: a welfare-centre notification's target.
    pub dong: String,
    /// People to call, in any order (`priority` decides).
    pub contacts: Vec<Contact>,
    /// Minutes without a sign of activity before an inactivity alarm.
    pub inactivity_threshold_minutes: u32,
}

/// A device event as routing sees it (`types.device-event`); `occurred_at` is unix ms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEvent {
    /// The event's id, as the device gave it.
    pub event_id: String,
    /// The device that reported it.
    pub device_id: String,
    /// What happened.
    pub kind: EventKind,
    /// When it happened, by the device's clock (unix ms).
    pub occurred_at: i64,
}

/// One message to send (`routing.notification`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Where it goes.
    pub channel: Channel,
    /// Contact id for `caregiver`, dong for `welfare-centre`, empty otherwise.
    pub target: String,
}

/// One rung of an escalation ladder (`routing.escalation-step`): fires at `due_at` (unix ms)
/// unless the incident was acknowledged first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationStep {
    /// 1, 2, 3… in firing order, unique within a plan (usable in idempotency keys).
    pub step: u32,
    /// When it fires (unix ms).
    pub due_at: i64,
    /// What it sends.
    pub notification: Notification,
}

/// What to do about one event (`routing.plan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// How bad the event is.
    pub severity: Severity,
    /// Whether the event opens (or joins) an incident at all.
    pub opens_incident: bool,
    /// Sent at once, in parallel.
    pub immediate: Vec<Notification>,
    /// Sent later, in order, while nobody acknowledges.
    pub ladder: Vec<EscalationStep>,
}

impl Plan {
    /// True when the event needs no incident and nobody is told (e.g. a heartbeat).
    pub fn is_quiet(&self) -> bool {
        !self.opens_incident && self.immediate.is_empty() && self.ladder.is_empty()
    }
}
