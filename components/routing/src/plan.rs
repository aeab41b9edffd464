//! Applies a [`Policy`] to one event and one resident: who is told now, and the escalation ladder
//! with absolute deadlines.
//!
//! Deadlines count from `now_ms` (when the suite learns of the event), not from the event's
//! `occurred_at`: device clocks are not trusted, and an event that arrives late (buffered by the
//! bridge, a gateway back online) must still give each person the full delay to acknowledge,
//! instead of producing rungs that are already overdue and all fire at once.

use crate::policy::{ContactPick, Policy, QuietHours, Rule};
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
/// - Ladder steps are numbered 1, 2, 3… in firing order; `due_at = now_ms + delay`. A rule's
///   `repeat` adds the last rung's notifications again every `every_minutes`, `times` times.
/// - In the policy's quiet hours, caregiver notifications of a rule no more severe than
///   `quiet_hours.up_to` wait until the quiet hours end (never critical ones).
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
    let mut last_rung: (i64, Vec<Notification>) = (now_ms, Vec::new());
    for rung in &rule.ladder {
        let due_at = now_ms.saturating_add(i64::from(rung.delay_minutes) * MS_PER_MINUTE);
        let notifications = resolve(rung.channel, rung.contact, resident, &mut contacts);
        for notification in &notifications {
            ladder.push(EscalationStep {
                step: ladder.len() as u32 + 1,
                due_at,
                notification: notification.clone(),
            });
        }
        last_rung = (due_at, notifications);
    }
    if let Some(repeat) = rule.repeat {
        let (last_due, notifications) = &last_rung;
        for k in 1..=i64::from(repeat.times) {
            let due_at =
                last_due.saturating_add(k * i64::from(repeat.every_minutes) * MS_PER_MINUTE);
            for notification in notifications {
                ladder.push(EscalationStep {
                    step: ladder.len() as u32 + 1,
                    due_at,
                    notification: notification.clone(),
                });
            }
        }
    }
    if let Some(quiet) = &policy.quiet_hours
        && rule.severity <= quiet.up_to
    {
        hold_for_quiet_hours(quiet, now_ms, &mut immediate, &mut ladder);
    }

    Plan {
        severity: rule.severity,
        opens_incident: rule.opens_incident,
        immediate,
        ladder,
    }
}

/// Caregiver notifications that fall in quiet hours wait until they end: an immediate one
/// becomes a ladder step due then (so an acknowledgement before morning cancels it), a ladder
/// step moves to then. The ladder is numbered again in firing order.
fn hold_for_quiet_hours(
    quiet: &QuietHours,
    now_ms: i64,
    immediate: &mut Vec<Notification>,
    ladder: &mut Vec<EscalationStep>,
) {
    if let Some(end) = quiet.ends_after(now_ms) {
        let (held, sent): (Vec<_>, Vec<_>) = std::mem::take(immediate)
            .into_iter()
            .partition(|n| n.channel == Channel::Caregiver);
        *immediate = sent;
        ladder.extend(held.into_iter().map(|notification| EscalationStep {
            step: 0,
            due_at: end,
            notification,
        }));
    }
    for step in ladder.iter_mut() {
        if step.notification.channel == Channel::Caregiver
            && let Some(end) = quiet.ends_after(step.due_at)
        {
            step.due_at = end;
        }
    }
    ladder.sort_by_key(|s| s.due_at); // stable: same-time steps keep their order
    for (i, step) in ladder.iter_mut().enumerate() {
        step.step = i as u32 + 1;
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
        // Nobody acknowledges: caregivers again at +5, the centre again at +10, and the centre
        // every 15 minutes after that, four more times.
        assert_eq!(
            ladder_view(&plan),
            vec![
                (1, 5, Channel::Caregiver, "c-daughter".into()),
                (2, 5, Channel::Caregiver, "c-son".into()),
                (3, 10, Channel::WelfareCentre, "samsan-dong".into()),
                (4, 25, Channel::WelfareCentre, "samsan-dong".into()),
                (5, 40, Channel::WelfareCentre, "samsan-dong".into()),
                (6, 55, Channel::WelfareCentre, "samsan-dong".into()),
                (7, 70, Channel::WelfareCentre, "samsan-dong".into()),
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
            [10, 25, 40, 55, 70]
                .iter()
                .enumerate()
                .map(|(i, m)| (
                    i as u32 + 1,
                    *m,
                    Channel::WelfareCentre,
                    "samsan-dong".into()
                ))
                .collect::<Vec<_>>()
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
        assert!(
            plan.ladder
                .iter()
                .all(|s| s.notification.channel != Channel::Caregiver)
        );
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
        assert!(
            plan.immediate
                .contains(&n(Channel::WelfareCentre, "samsan-dong"))
        );
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

    /// 23:00 in Korea (14:00 UTC); quiet hours (22:00-07:00 KST) end 8 hours later.
    const KST_23H: i64 = 1_760_018_400_000;
    const KST_07H: i64 = 1_760_047_200_000;

    /// The built-in policy with the quiet hours a city might choose.
    fn quiet_policy() -> Policy {
        let mut policy = Policy::builtin().clone();
        policy.quiet_hours = Some(QuietHours {
            from: "22:00".into(),
            to: "07:00".into(),
            utc_offset_minutes: 540,
            up_to: Severity::Low,
        });
        policy.validate().unwrap();
        policy
    }

    #[test]
    fn at_night_a_low_severity_caregiver_notification_waits_for_the_morning() {
        let r = resident(vec![contact("c-daughter", 1), contact("c-son", 2)]);
        let policy = quiet_policy();
        let plan = plan_event(&event(EventKind::DeviceOffline), &r, KST_23H, &policy);
        // Nobody is texted at 23:00; the centre's and 119's steps keep their times.
        assert!(plan.immediate.is_empty(), "{:?}", plan.immediate);
        let steps: Vec<(u32, i64, Channel)> = plan
            .ladder
            .iter()
            .map(|s| (s.step, s.due_at, s.notification.channel))
            .collect();
        assert_eq!(
            steps,
            [
                (1, KST_23H + 30 * MIN, Channel::WelfareCentre),
                (2, KST_23H + 60 * MIN, Channel::WelfareCheck119),
                (3, KST_07H, Channel::Caregiver),
                (4, KST_07H, Channel::Caregiver),
            ]
        );

        // An emergency at the same hour: everyone at once, as always.
        let sos = plan_event(&event(EventKind::EmergencyCall), &r, KST_23H, &policy);
        assert_eq!(sos.immediate.len(), 4);
        // And by day nothing waits.
        let day = plan_event(&event(EventKind::DeviceOffline), &r, NOW, &policy);
        assert_eq!(day.immediate, vec![n(Channel::Caregiver, "c-daughter")]);
    }

    #[test]
    fn quiet_hours_span_midnight_in_city_time() {
        let q = quiet_policy().quiet_hours.unwrap();
        assert_eq!(q.ends_after(KST_23H), Some(KST_07H));
        assert_eq!(q.ends_after(KST_07H - MIN), Some(KST_07H));
        assert_eq!(q.ends_after(KST_07H), None);
        assert_eq!(q.ends_after(KST_23H - 61 * MIN), None); // 21:59
    }
}
