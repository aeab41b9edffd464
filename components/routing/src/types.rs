//! Plain Rust mirrors of the WIT records and enums (`wit/types/types.wit`, `wit/routing/routing.wit`).
//!
//! They exist so native code (functions' tests, the host, benchmarks) runs exactly the logic the
//! Wasm component runs, without going through Wasm. Enum values serialise as the WIT names
//! (kebab-case, e.g. `emergency-call`), which are also the device-event JSON `kind` values; record
//! fields keep their Rust snake_case names, like the rest of the HTTP API (`event_id`, `occurred_at`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a fieldless enum whose string names are the WIT names, with `ALL`, `as_str`,
/// `Display` and `FromStr` kept in one list so they cannot drift apart.
macro_rules! wit_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in WIT declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The WIT (and JSON) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            /// Parses the WIT name exactly (`"emergency-call"`, not `"EmergencyCall"`).
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        concat!("unknown ", $what, " `{}`, expected one of {}"),
                        s,
                        [$($text,)+].join(", ")
                    )),
                }
            }
        }
    };
}

wit_enum! {
    /// What a device reported (`types.event-kind`).
    EventKind, "event kind" {
        EmergencyCall = "emergency-call",
        VoiceSos = "voice-sos",
        Fire = "fire",
        Smoke = "smoke",
        Gas = "gas",
        Fall = "fall",
        Inactivity = "inactivity",
        Activity = "activity",
        Door = "door",
        Heartbeat = "heartbeat",
        LowBattery = "low-battery",
        PowerLoss = "power-loss",
        DeviceOffline = "device-offline",
        ReminderAck = "reminder-ack",
        CheckIn = "check-in",
        CrisisUtterance = "crisis-utterance",
        Restore = "restore",
        /// Raised by the reminders tick, never by a device: consecutive unacknowledged doses.
        MissedDose = "missed-dose",
    }
}

wit_enum! {
    /// How bad an event is (`types.severity`); ordered, so `Critical > High`.
    Severity, "severity" {
        Info = "info",
        Low = "low",
        High = "high",
        Critical = "critical",
    }
}

wit_enum! {
    /// Why a resident is enrolled (`types.eligibility`); the policy may route differently per group.
    Eligibility, "eligibility" {
        ElderlyAlone = "elderly-alone",
        Disabled = "disabled",
        MiddleAgedSingle = "middle-aged-single",
        RecentlyDischarged = "recently-discharged",
        TemporaryHousing = "temporary-housing",
    }
}

wit_enum! {
    /// Where a notification goes (`routing.channel`).
    Channel, "channel" {
        /// The 119 fire/rescue centre (emergency dispatch).
        Dispatch119 = "dispatch119",
        /// A caregiver contact, by SMS/voice gateway.
        Caregiver = "caregiver",
        /// The resident's dong welfare centre.
        WelfareCentre = "welfare-centre",
        /// 119 asked to do a welfare check (non-emergency visit).
        WelfareCheck119 = "welfare-check119",
    }
}

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
    pub id: String,
    pub priority: u32,
    pub relation: String,
}

/// What routing needs to know of a resident (`types.resident-profile`): ids only, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentProfile {
    pub resident_id: String,
    pub eligibility: Eligibility,
    pub dong: String,
    pub contacts: Vec<Contact>,
    pub inactivity_threshold_minutes: u32,
}

/// A device event as routing sees it (`types.device-event`); `occurred_at` is unix ms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEvent {
    pub event_id: String,
    pub device_id: String,
    pub kind: EventKind,
    pub occurred_at: i64,
}

/// One message to send (`routing.notification`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
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
    pub due_at: i64,
    pub notification: Notification,
}

/// What to do about one event (`routing.plan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_wit_and_round_trip() {
        assert_eq!(EventKind::ALL.len(), 18);
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        for channel in Channel::ALL {
            let json = serde_json::to_string(channel).unwrap();
            assert_eq!(json, format!("\"{}\"", channel.as_str()));
        }
        assert_eq!(
            serde_json::to_string(&Channel::WelfareCheck119).unwrap(),
            "\"welfare-check119\""
        );
        assert_eq!(EventKind::from_str("voice-sos"), Ok(EventKind::VoiceSos));
        let err = EventKind::from_str("EmergencyCall").unwrap_err();
        assert!(
            err.starts_with("unknown event kind `EmergencyCall`"),
            "{err}"
        );
    }

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::High > Severity::Low);
        assert!(Severity::Low > Severity::Info);
    }
}
