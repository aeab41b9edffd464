//! The `safetynet:routing/routing` export: converts WIT values to the crate's Rust types and back,
//! so the Wasm component and native callers share one implementation.

use std::borrow::Cow;

wit_bindgen::generate!({
    path: "../../wit/routing",
    world: "component",
    generate_all,
});

use exports::safetynet::routing::routing as wit;
use safetynet::types::types as wit_types;

use crate::{policy::Policy, types as rs};

struct Routing;

impl wit::Guest for Routing {
    fn validate_policy(policy_json: String) -> Result<(), String> {
        load(&policy_json).map(|_| ())
    }

    fn plan_event(
        event: wit_types::DeviceEvent,
        resident: wit_types::ResidentProfile,
        now: i64,
        policy_json: String,
    ) -> Result<wit::Plan, String> {
        let policy = load(&policy_json)?;
        let plan = crate::plan::plan_event(&event.into(), &resident.into(), now, &policy);
        Ok(plan.into())
    }

    fn plan_restore(
        restored: wit_types::EventKind,
        policy_json: String,
    ) -> Result<wit::RestoreAction, String> {
        let policy = load(&policy_json)?;
        Ok(policy.restore_action(restored.into()).into())
    }
}

export!(Routing);

/// An empty (or all-blank) policy string means the built-in default, which is not re-parsed.
fn load(policy_json: &str) -> Result<Cow<'static, Policy>, String> {
    if policy_json.trim().is_empty() {
        Ok(Cow::Borrowed(Policy::builtin()))
    } else {
        Policy::from_json(policy_json).map(Cow::Owned)
    }
}

/// Maps a WIT enum onto the Rust enum of the same variants, in both directions.
macro_rules! same_enum {
    ($wit:ty, $rs:ty { $($variant:ident),+ $(,)? }) => {
        impl From<$wit> for $rs {
            fn from(v: $wit) -> Self {
                match v { $(<$wit>::$variant => <$rs>::$variant,)+ }
            }
        }
        impl From<$rs> for $wit {
            fn from(v: $rs) -> Self {
                match v { $(<$rs>::$variant => <$wit>::$variant,)+ }
            }
        }
    };
}

same_enum!(
    wit_types::EventKind,
    rs::EventKind {
        EmergencyCall,
        VoiceSos,
        Fire,
        Smoke,
        Gas,
        Fall,
        Inactivity,
        Activity,
        Door,
        Heartbeat,
        LowBattery,
        PowerLoss,
        DeviceOffline,
        ReminderAck,
        CheckIn,
        CrisisUtterance,
        Restore,
        MissedDose,
    }
);
same_enum!(
    wit_types::Severity,
    rs::Severity {
        Info,
        Low,
        High,
        Critical
    }
);
same_enum!(
    wit_types::Eligibility,
    rs::Eligibility {
        ElderlyAlone,
        Disabled,
        MiddleAgedSingle,
        RecentlyDischarged,
        TemporaryHousing,
    }
);
same_enum!(
    wit::RestoreAction,
    rs::RestoreAction {
        None,
        Resolve,
        Downgrade
    }
);

same_enum!(
    wit::Channel,
    rs::Channel {
        Dispatch119,
        Caregiver,
        WelfareCentre,
        WelfareCheck119
    }
);

impl From<wit_types::DeviceEvent> for rs::DeviceEvent {
    fn from(e: wit_types::DeviceEvent) -> Self {
        rs::DeviceEvent {
            event_id: e.event_id,
            device_id: e.device_id,
            kind: e.kind.into(),
            occurred_at: e.occurred_at,
        }
    }
}

impl From<wit_types::ResidentProfile> for rs::ResidentProfile {
    fn from(r: wit_types::ResidentProfile) -> Self {
        rs::ResidentProfile {
            resident_id: r.resident_id,
            eligibility: r.eligibility.into(),
            dong: r.dong,
            contacts: r
                .contacts
                .into_iter()
                .map(|c| rs::Contact {
                    id: c.id,
                    priority: c.priority,
                    relation: c.relation,
                })
                .collect(),
            inactivity_threshold_minutes: r.inactivity_threshold_minutes,
        }
    }
}

impl From<rs::Notification> for wit::Notification {
    fn from(n: rs::Notification) -> Self {
        wit::Notification {
            channel: n.channel.into(),
            target: n.target,
        }
    }
}

impl From<rs::Plan> for wit::Plan {
    fn from(p: rs::Plan) -> Self {
        wit::Plan {
            severity: p.severity.into(),
            opens_incident: p.opens_incident,
            immediate: p.immediate.into_iter().map(Into::into).collect(),
            ladder: p
                .ladder
                .into_iter()
                .map(|s| wit::EscalationStep {
                    step: s.step,
                    due_at: s.due_at,
                    notification: s.notification.into(),
                })
                .collect(),
        }
    }
}
