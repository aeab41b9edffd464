//! Applies a [`Policy`] to one event and one resident: who is told now, and the escalation ladder
//! with absolute deadlines.
//!
//! Deadlines count from `now_ms` (when the suite learns of the event), not from the event's
//! `occurred_at`: device clocks are not trusted, and an event that arrives late (buffered by the
//! bridge, a gateway back online) must still give each person the full delay to acknowledge,
//! instead of producing rungs that are already overdue and all fire at once.

use crate::policy::{ContactPick, Policy, Rule};
use crate::types::{
    Channel, Contact, DeviceEvent, EscalationStep, Notification, Plan, ResidentProfile,
};

const MS_PER_MINUTE: i64 = 60_000;

/// Decides what to do about `event` for `resident` under `policy`, at `now_ms` (unix ms).
///
/// - Caregiver notifications target the contact id; contacts are walked by `priority`, lowest
///   first (ties keep the resident's order). `first` is the priority-1 contact, `next` the one
///   after the last picked so far in this plan (immediate list first, then the ladder), `all`
///   every contact. A pick that finds nobody (no contacts, or `next` past the last one) is
///   skipped, so no notification has an empty target.
/// - Welfare-centre notifications target the resident's dong (skipped if the dong is empty);
///   119 notifications have an empty target.
/// - Ladder steps are numbered 1, 2, 3… in firing order; `due_at = now_ms + delay`.
pub fn plan_event(
    event: &DeviceEvent,
    resident: &ResidentProfile,
    now_ms: i64,
    policy: &Policy,
) -> Plan {
    let rule: &Rule = policy.rule(event.kind, resident.eligibility);
    let mut contacts = Contacts::new(&resident.contacts);

    let mut immediate: Vec<Notification> = Vec::new();
    for target in &rule.immediate {
        for notification in resolve(target.channel, target.contact, resident, &mut contacts) {
            // The same person twice in one instant helps nobody (e.g. "first" and "all").
            if !immediate.contains(&notification) {
                immediate.push(notification);
            }
        }
    }

    let mut ladder: Vec<EscalationStep> = Vec::new();
    for rung in &rule.ladder {
        let due_at = now_ms.saturating_add(i64::from(rung.delay_minutes) * MS_PER_MINUTE);
        for notification in resolve(rung.channel, rung.contact, resident, &mut contacts) {
            ladder.push(EscalationStep {
                step: ladder.len() as u32 + 1,
                due_at,
                notification,
            });
        }
    }

    Plan {
        severity: rule.severity,
        opens_incident: rule.opens_incident,
        immediate,
        ladder,
    }
}

/// Turns one policy target into zero or more concrete notifications.
fn resolve(
    channel: Channel,
    pick: Option<ContactPick>,
    resident: &ResidentProfile,
    contacts: &mut Contacts<'_>,
) -> Vec<Notification> {
    let to = |target: &str| Notification {
        channel,
        target: target.to_string(),
    };
    match channel {
        Channel::Dispatch119 | Channel::WelfareCheck119 => vec![to("")],
        Channel::WelfareCentre if resident.dong.is_empty() => Vec::new(),
        Channel::WelfareCentre => vec![to(&resident.dong)],
        // Validation makes `pick` present for caregivers; "first" is the safe reading if not.
        Channel::Caregiver => contacts
            .pick(pick.unwrap_or(ContactPick::First))
            .iter()
            .map(|c| to(&c.id))
            .collect(),
    }
}

/// The resident's contacts in call order, with a cursor for `next`.
struct Contacts<'a> {
    ordered: Vec<&'a Contact>,
    /// Index of the contact `next` would pick.
    cursor: usize,
}

impl<'a> Contacts<'a> {
    fn new(contacts: &'a [Contact]) -> Self {
        let mut ordered: Vec<&Contact> = contacts.iter().collect();
        ordered.sort_by_key(|c| c.priority); // stable: equal priorities keep the given order
        Contacts { ordered, cursor: 0 }
    }

    fn pick(&mut self, pick: ContactPick) -> Vec<&'a Contact> {
        let (from, to) = match pick {
            ContactPick::First => (0, 1),
            ContactPick::Next => (self.cursor, self.cursor + 1),
            ContactPick::All => (0, self.ordered.len()),
        };
        let to = to.min(self.ordered.len());
        if from >= to {
            return Vec::new();
        }
        self.cursor = to;
        self.ordered[from..to].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Eligibility, EventKind, Severity};

    const NOW: i64 = 1_760_000_000_000;
    const MIN: i64 = 60_000;

    fn event(kind: EventKind) -> DeviceEvent {
        DeviceEvent {
            event_id: "evt-1".into(),
            device_id: "dev-1".into(),
            kind,
            // Deliberately earlier than NOW: deadlines must not depend on it.
            occurred_at: NOW - 90_000,
        }
    }

    fn contact(id: &str, priority: u32) -> Contact {
        Contact {
            id: id.into(),
            priority,
            relation: "family".into(),
        }
    }

    /// Contacts given out of order on purpose: routing must sort by priority.
    fn resident(contacts: Vec<Contact>) -> ResidentProfile {
        ResidentProfile {
            resident_id: "res-1".into(),
            eligibility: Eligibility::ElderlyAlone,
            dong: "samsan-dong".into(),
            contacts,
            inactivity_threshold_minutes: 720,
        }
    }

    fn two_contacts() -> ResidentProfile {
        resident(vec![contact("c-son", 2), contact("c-daughter", 1)])
    }

    fn n(channel: Channel, target: &str) -> Notification {
        Notification {
            channel,
            target: target.into(),
        }
    }

    /// (step, minutes after NOW, channel, target) — what a caregiver or auditor reads.
    fn ladder_view(plan: &Plan) -> Vec<(u32, i64, Channel, String)> {
        plan.ladder
            .iter()
            .map(|s| {
                assert_eq!((s.due_at - NOW) % MIN, 0);
                (
                    s.step,
                    (s.due_at - NOW) / MIN,
                    s.notification.channel,
                    s.notification.target.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn pendant_press_calls_119_every_caregiver_and_the_centre_at_once() {
        let plan = plan_event(
            &event(EventKind::EmergencyCall),
            &two_contacts(),
            NOW,
            &Policy::default(),
        );
        assert_eq!(plan.severity, Severity::Critical);
        assert!(plan.opens_incident);
        assert_eq!(
            plan.immediate,
            vec![
                n(Channel::Dispatch119, ""),
                n(Channel::Caregiver, "c-daughter"),
                n(Channel::Caregiver, "c-son"),
                n(Channel::WelfareCentre, "samsan-dong"),
            ]
        );
        // Nobody acknowledges: caregivers again at +5, the centre again at +10.
        assert_eq!(
            ladder_view(&plan),
            vec![
                (1, 5, Channel::Caregiver, "c-daughter".into()),
                (2, 5, Channel::Caregiver, "c-son".into()),
                (3, 10, Channel::WelfareCentre, "samsan-dong".into()),
            ]
        );
    }

    #[test]
    fn every_emergency_kind_dispatches_119() {
        for kind in [
            EventKind::EmergencyCall,
            EventKind::VoiceSos,
            EventKind::Fire,
            EventKind::Smoke,
            EventKind::Gas,
            EventKind::Fall,
        ] {
            let plan = plan_event(&event(kind), &resident(vec![]), NOW, &Policy::default());
            assert_eq!(plan.severity, Severity::Critical, "{kind}");
            assert_eq!(plan.immediate[0], n(Channel::Dispatch119, ""), "{kind}");
        }
    }

    #[test]
    fn inactivity_escalates_caregiver_then_next_then_centre_then_119_check() {
        let plan = plan_event(
            &event(EventKind::Inactivity),
            &two_contacts(),
            NOW,
            &Policy::default(),
        );
        assert_eq!(plan.severity, Severity::High);
        assert!(plan.opens_incident);
        assert_eq!(plan.immediate, vec![n(Channel::Caregiver, "c-daughter")]);
        assert_eq!(
            ladder_view(&plan),
            vec![
                (1, 15, Channel::Caregiver, "c-son".into()),
                (2, 30, Channel::WelfareCentre, "samsan-dong".into()),
                (3, 60, Channel::WelfareCheck119, "".into()),
            ]
        );
    }

    #[test]
    fn one_contact_means_no_next_rung() {
        let plan = plan_event(
            &event(EventKind::Inactivity),
            &resident(vec![contact("c-only", 1)]),
            NOW,
            &Policy::default(),
        );
        assert_eq!(plan.immediate, vec![n(Channel::Caregiver, "c-only")]);
        assert_eq!(
            ladder_view(&plan),
            vec![
                (1, 30, Channel::WelfareCentre, "samsan-dong".into()),
                (2, 60, Channel::WelfareCheck119, "".into()),
            ]
        );
    }

    #[test]
    fn no_contacts_skips_caregivers_but_not_the_centre_or_119() {
        let plan = plan_event(
            &event(EventKind::Fall),
            &resident(vec![]),
            NOW,
            &Policy::default(),
        );
        assert_eq!(
            plan.immediate,
            vec![
                n(Channel::Dispatch119, ""),
                n(Channel::WelfareCentre, "samsan-dong")
            ]
        );
        assert_eq!(
            ladder_view(&plan),
            vec![(1, 10, Channel::WelfareCentre, "samsan-dong".into())]
        );

        let plan = plan_event(
            &event(EventKind::DeviceOffline),
            &resident(vec![]),
            NOW,
            &Policy::default(),
        );
        assert_eq!(plan.severity, Severity::Low);
        assert!(plan.immediate.is_empty());
        assert_eq!(plan.ladder[0].step, 1);
        assert!(plan
            .ladder
            .iter()
            .all(|s| s.notification.channel != Channel::Caregiver));
    }

    #[test]
    fn crisis_utterance_tells_the_centre_at_once_and_never_calls_119() {
        let plan = plan_event(
            &event(EventKind::CrisisUtterance),
            &two_contacts(),
            NOW,
            &Policy::default(),
        );
        assert_eq!(plan.severity, Severity::High);
        assert!(plan
            .immediate
            .contains(&n(Channel::WelfareCentre, "samsan-dong")));
        let channels: Vec<Channel> = plan
            .immediate
            .iter()
            .chain(plan.ladder.iter().map(|s| &s.notification))
            .map(|n| n.channel)
            .collect();
        assert!(!channels.contains(&Channel::Dispatch119));
        assert!(!channels.contains(&Channel::WelfareCheck119));
    }

    #[test]
    fn heartbeat_and_other_proof_of_life_send_nothing() {
        for kind in [
            EventKind::Heartbeat,
            EventKind::Activity,
            EventKind::Door,
            EventKind::ReminderAck,
            EventKind::Restore,
        ] {
            let plan = plan_event(&event(kind), &two_contacts(), NOW, &Policy::default());
            assert_eq!(plan.severity, Severity::Info, "{kind}");
            assert!(plan.is_quiet(), "{kind}: {plan:?}");
        }
    }

    #[test]
    fn recently_discharged_get_the_faster_inactivity_ladder() {
        let mut who = two_contacts();
        who.eligibility = Eligibility::RecentlyDischarged;
        let plan = plan_event(&event(EventKind::Inactivity), &who, NOW, &Policy::default());
        assert_eq!(
            ladder_view(&plan).last().unwrap(),
            &(3, 30, Channel::WelfareCheck119, "".into())
        );
    }

    #[test]
    fn custom_policy_with_one_minute_rungs() {
        let mut policy: serde_json::Value = serde_json::from_str(Policy::builtin_json()).unwrap();
        policy["kinds"]["inactivity"] = serde_json::json!({
            "severity": "high",
            "opens_incident": true,
            "immediate": [{"channel": "caregiver", "contact": "first"}],
            "ladder": [
                {"delay_minutes": 1, "channel": "caregiver", "contact": "next"},
                {"delay_minutes": 2, "channel": "welfare-centre"},
                {"delay_minutes": 3, "channel": "welfare-check119"}
            ]
        });
        let policy = Policy::from_json(&policy.to_string()).unwrap();
        let plan = plan_event(&event(EventKind::Inactivity), &two_contacts(), NOW, &policy);
        let due: Vec<i64> = plan.ladder.iter().map(|s| s.due_at).collect();
        assert_eq!(due, vec![NOW + MIN, NOW + 2 * MIN, NOW + 3 * MIN]);
        assert_eq!(plan.ladder[0].notification, n(Channel::Caregiver, "c-son"));
    }

    #[test]
    fn next_walks_contacts_in_priority_order_and_stops_at_the_last() {
        let mut policy: serde_json::Value = serde_json::from_str(Policy::builtin_json()).unwrap();
        policy["kinds"]["low-battery"]["ladder"] = serde_json::json!([
            {"delay_minutes": 1, "channel": "caregiver", "contact": "next"},
            {"delay_minutes": 2, "channel": "caregiver", "contact": "next"},
            {"delay_minutes": 3, "channel": "caregiver", "contact": "next"},
            {"delay_minutes": 4, "channel": "caregiver", "contact": "first"}
        ]);
        let policy = Policy::from_json(&policy.to_string()).unwrap();
        let who = resident(vec![contact("c3", 3), contact("c1", 1), contact("c2", 2)]);
        let plan = plan_event(&event(EventKind::LowBattery), &who, NOW, &policy);
        assert_eq!(plan.immediate, vec![n(Channel::Caregiver, "c1")]);
        assert_eq!(
            ladder_view(&plan),
            vec![
                (1, 1, Channel::Caregiver, "c2".into()),
                (2, 2, Channel::Caregiver, "c3".into()),
                (3, 4, Channel::Caregiver, "c1".into()),
            ]
        );
    }

    #[test]
    fn deadlines_count_from_now_not_from_occurred_at() {
        let mut late = event(EventKind::Inactivity);
        late.occurred_at = NOW - 3 * 60 * MIN; // arrived three hours late
        let plan = plan_event(&late, &two_contacts(), NOW, &Policy::default());
        assert!(plan.ladder.iter().all(|s| s.due_at > NOW));
    }
}
