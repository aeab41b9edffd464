//! The routing policy: which events matter, who is told at once, and the escalation ladder when
//! nobody acknowledges.
//!
//! It is data (`policy.json`), not code, so a city can change severities, contacts and deadlines
//! without rebuilding the functions. Because a wrong policy can silence an emergency, loading is
//! strict: unknown fields are rejected, every event kind must have a rule, and every error names
//! the offending field (`policy.kinds.fire.severity: unknown variant ...`).

use crate::types::{Channel, Eligibility, EventKind, RestoreAction, Severity};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The only policy format this crate reads.
pub const POLICY_VERSION: u32 = 1;

/// Longest ladder delay accepted: one week. Catches milliseconds or seconds typed as minutes.
pub const MAX_DELAY_MINUTES: u32 = 7 * 24 * 60;

const DEFAULT_POLICY_JSON: &str = include_str!("../policy.json");

include!(concat!(env!("OUT_DIR"), "/builtin_policy.rs"));

/// A whole routing policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Format version; must be [`POLICY_VERSION`].
    pub version: u32,
    /// Free text for the people who maintain the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// One rule per event kind; every kind must be present, so no event is dropped by omission.
    pub kinds: BTreeMap<EventKind, Rule>,
    /// Rules that replace `kinds` for residents of one eligibility group (e.g. a faster inactivity
    /// ladder for the recently discharged). Kinds not listed fall back to `kinds`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub eligibility_overrides: BTreeMap<Eligibility, BTreeMap<EventKind, Rule>>,
    /// What a device's `restore` of a condition (device back online, power back, smoke
    /// cleared) does to the open incident of that kind. Kinds not listed: nothing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub restores: BTreeMap<EventKind, RestoreAction>,
    /// Night hours when non-urgent caregiver notifications wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

/// A person's emergency (and fire) is closed by a person, never by a device saying it is over:
/// no policy may give these a restore action.
pub const NEVER_RESTORED: &[EventKind] = &[
    EventKind::EmergencyCall,
    EventKind::VoiceSos,
    EventKind::Fire,
    EventKind::Fall,
];

/// What to do about one kind of event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The severity of the event, and of the incident it opens.
    pub severity: Severity,
    /// Whether the event opens (or joins) an incident; required for a ladder, since only an
    /// incident can be acknowledged.
    pub opens_incident: bool,
    /// Sent at once, in parallel.
    #[serde(default)]
    pub immediate: Vec<Target>,
    /// Sent later while nobody acknowledges; delays strictly increasing.
    #[serde(default)]
    pub ladder: Vec<Rung>,
    /// Sends the last rung again while nobody acknowledges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<Repeat>,
    /// Free text: why this rule is what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A notification the policy asks for, before it is resolved against a resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Where it goes.
    pub channel: Channel,
    /// Which caregiver(s); required for `caregiver`, refused for other channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactPick>,
}

/// One ladder rung: `delay_minutes` after the event is routed, unless acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// Minutes after the event is routed: above 0 and the previous rung's, at most a week.
    pub delay_minutes: u32,
    /// Where it goes.
    pub channel: Channel,
    /// Which caregiver(s); required for `caregiver`, refused for other channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactPick>,
}

/// "Repeat the last rung every `every_minutes` until acknowledged, at most `times` times."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// Minutes between repeats (at most a week).
    pub every_minutes: u32,
    /// How many repeats at most: 1 to [`MAX_REPEATS`].
    pub times: u32,
}

/// Most repeats a rule may ask for: a ladder that re-notifies forever is a policy mistake.
pub const MAX_REPEATS: u32 = 48;

/// Hours when caregivers are not sent notifications of `up_to` severity or lower; what falls in
/// them waits until they end. Never applies to critical (emergency) notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Local `HH:MM` when quiet starts; may be later than `to` (quiet across midnight).
    pub from: String,
    /// Local `HH:MM` when quiet ends.
    pub to: String,
    /// The city's offset from UTC in minutes (Korea: 540, no daylight saving).
    pub utc_offset_minutes: i32,
    /// The highest severity that waits; `critical` is refused.
    pub up_to: Severity,
}

impl QuietHours {
    /// `from` and `to` as minutes after local midnight.
    fn minutes(&self) -> Result<(u32, u32), String> {
        let hhmm = |field: &str, s: &str| -> Result<u32, String> {
            let bad = || format!("{field}: expected HH:MM (00:00-23:59), found {s:?}");
            let (h, m) = s.split_once(':').ok_or_else(bad)?;
            let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h > 23 || m > 59 || s.len() != 5 {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        Ok((hhmm("from", &self.from)?, hhmm("to", &self.to)?))
    }

    /// When the quiet period that `now_ms` falls in ends, or `None` if `now_ms` is not quiet.
    pub fn ends_after(&self, now_ms: i64) -> Option<i64> {
        const DAY_MS: i64 = 86_400_000;
        let (from, to) = self.minutes().ok()?;
        let local = now_ms + i64::from(self.utc_offset_minutes) * 60_000;
        let in_day = local.rem_euclid(DAY_MS);
        let (from_ms, to_ms) = (i64::from(from) * 60_000, i64::from(to) * 60_000);
        let quiet = if from_ms <= to_ms {
            (from_ms..to_ms).contains(&in_day)
        } else {
            in_day >= from_ms || in_day < to_ms
        };
        quiet.then(|| now_ms + (to_ms - in_day).rem_euclid(DAY_MS))
    }
}

/// Which caregiver(s) a notification goes to, walking contacts by `priority` (1 first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactPick {
    /// The priority-1 contact.
    First,
    /// The contact after the last one picked in this plan; skipped when there is none left.
    Next,
    /// Every contact, one notification each.
    All,
}

impl Policy {
    /// The built-in policy (`policy.json`, compiled into code by `build.rs`), built once per
    /// process or instance. Under Spin every request is a fresh instance, so this runs per
    /// event: no parsing. `builtin_policy_is_valid_and_covers_every_kind` (a unit test) checks
    /// it against `from_json` of the same file.
    pub fn builtin() -> &'static Policy {
        static BUILTIN: OnceLock<Policy> = OnceLock::new();
        BUILTIN.get_or_init(builtin_policy)
    }

    /// The text of the built-in policy, for tools that want to show or copy it.
    pub fn builtin_json() -> &'static str {
        DEFAULT_POLICY_JSON
    }

    /// Parses and validates a policy. Errors name the offending field, e.g.
    /// `policy.kinds.fire.severity: unknown variant ...`.
    pub fn from_json(json: &str) -> Result<Policy, String> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("policy: invalid JSON: {e}"))?;
        let policy = Policy::deserialize(&value).map_err(|e| {
            // serde_json does not say where in the tree it failed; walk the tree to find out.
            locate::policy(&value).unwrap_or_else(|| format!("policy: {e}"))
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks what the types cannot: version, a rule for every kind, caregiver picks, ladder order.
    pub fn validate(&self) -> Result<(), String> {
        if self.version != POLICY_VERSION {
            return Err(format!(
                "policy.version: unsupported version {}, expected {POLICY_VERSION}",
                self.version
            ));
        }
        if let Some(missing) = EventKind::ALL.iter().find(|k| !self.kinds.contains_key(k)) {
            return Err(format!(
                "policy.kinds: missing kind `{missing}` (every event kind needs a rule)"
            ));
        }
        for (kind, rule) in &self.kinds {
            rule.validate(&format!("policy.kinds.{kind}"))?;
        }
        for (eligibility, rules) in &self.eligibility_overrides {
            for (kind, rule) in rules {
                rule.validate(&format!(
                    "policy.eligibility_overrides.{eligibility}.{kind}"
                ))?;
            }
        }
        if let Some(q) = &self.quiet_hours {
            q.minutes().map_err(|e| format!("policy.quiet_hours.{e}"))?;
            if q.up_to == Severity::Critical {
                return Err(
                    "policy.quiet_hours.up_to: an emergency is never held back; use high or lower"
                        .into(),
                );
            }
            if q.utc_offset_minutes.abs() > 14 * 60 {
                return Err(format!(
                    "policy.quiet_hours.utc_offset_minutes: {} is not an offset from UTC (±840)",
                    q.utc_offset_minutes
                ));
            }
        }
        for (&kind, &action) in &self.restores {
            self.check_restore(kind, action)
                .map_err(|why| format!("policy.restores.{kind}: {why}"))?;
        }
        Ok(())
    }

    /// A restore may quiet only what a device reported, and may close only what no 119
    /// dispatch went out for (in any eligibility group).
    fn check_restore(&self, kind: EventKind, action: RestoreAction) -> Result<(), String> {
        if NEVER_RESTORED.contains(&kind) {
            return Err(
                "an emergency is closed by a person, never by a restore (remove this line)".into(),
            );
        }
        if !self.kinds[&kind].opens_incident {
            return Err("this kind opens no incident, so there is nothing to restore".into());
        }
        let dispatches = std::iter::once(&self.kinds[&kind])
            .chain(
                self.eligibility_overrides
                    .values()
                    .filter_map(|r| r.get(&kind)),
            )
            .any(|rule| {
                rule.immediate
                    .iter()
                    .any(|t| t.channel == Channel::Dispatch119)
            });
        if action == RestoreAction::Resolve && dispatches {
            return Err(
                "resolve would close an incident 119 was dispatched for; use downgrade".into(),
            );
        }
        Ok(())
    }

    /// What a restore of `kind` does to its open incident, by this policy.
    pub fn restore_action(&self, kind: EventKind) -> RestoreAction {
        if NEVER_RESTORED.contains(&kind) {
            return RestoreAction::None;
        }
        self.restores
            .get(&kind)
            .copied()
            .unwrap_or(RestoreAction::None)
    }

    /// The rule for `kind`, taking the eligibility override when there is one.
    pub fn rule(&self, kind: EventKind, eligibility: Eligibility) -> &Rule {
        self.eligibility_overrides
            .get(&eligibility)
            .and_then(|rules| rules.get(&kind))
            .or_else(|| self.kinds.get(&kind))
            // `validate` guarantees every kind; a hand-built Policy that skipped it gets the
            // loudest safe answer rather than silence.
            .unwrap_or_else(|| &Policy::builtin().kinds[&kind])
    }
}

impl Default for Policy {
    /// The built-in policy from `policy.json`.
    fn default() -> Self {
        Policy::builtin().clone()
    }
}

impl Rule {
    fn validate(&self, path: &str) -> Result<(), String> {
        for (i, target) in self.immediate.iter().enumerate() {
            check_contact(
                target.channel,
                target.contact,
                &format!("{path}.immediate[{i}]"),
            )?;
        }
        if !self.ladder.is_empty() && !self.opens_incident {
            return Err(format!(
                "{path}.ladder: needs opens_incident = true (only an incident can be acknowledged)"
            ));
        }
        let mut previous = 0;
        for (i, rung) in self.ladder.iter().enumerate() {
            let here = format!("{path}.ladder[{i}]");
            let delay = rung.delay_minutes;
            if delay == 0 {
                return Err(format!(
                    "{here}.delay_minutes: must be greater than 0 (use `immediate` to send at once)"
                ));
            }
            if delay > MAX_DELAY_MINUTES {
                return Err(format!(
                    "{here}.delay_minutes: {delay} is more than a week ({MAX_DELAY_MINUTES}); delays are in minutes"
                ));
            }
            if delay <= previous {
                return Err(format!(
                    "{here}.delay_minutes: must be greater than the previous rung's {previous}"
                ));
            }
            previous = delay;
            check_contact(rung.channel, rung.contact, &here)?;
        }
        if let Some(r) = self.repeat {
            let here = format!("{path}.repeat");
            if self.ladder.is_empty() {
                return Err(format!(
                    "{here}: repeats the last ladder rung, so needs a ladder"
                ));
            }
            if r.every_minutes == 0 || r.every_minutes > MAX_DELAY_MINUTES {
                return Err(format!(
                    "{here}.every_minutes: from 1 to {MAX_DELAY_MINUTES} minutes"
                ));
            }
            if r.times == 0 || r.times > MAX_REPEATS {
                return Err(format!("{here}.times: from 1 to {MAX_REPEATS}"));
            }
        }
        Ok(())
    }
}

/// A caregiver notification must say which caregiver; nothing else may.
fn check_contact(channel: Channel, contact: Option<ContactPick>, path: &str) -> Result<(), String> {
    match (channel, contact) {
        (Channel::Caregiver, None) => Err(format!(
            "{path}.contact: required for channel caregiver (first, next or all)"
        )),
        (Channel::Caregiver, Some(_)) | (_, None) => Ok(()),
        (other, Some(_)) => Err(format!(
            "{path}.contact: only caregiver notifications pick a contact, not {other}"
        )),
    }
}

/// Finds where a policy that failed to deserialise went wrong, by walking the JSON with the same
/// shape as the types above and deserialising leaves one at a time.
mod locate {
    use super::*;

    type Found = Option<String>;

    pub(super) fn policy(v: &Value) -> Found {
        let path = "policy";
        object(
            v,
            path,
            &[
                "version",
                "description",
                "kinds",
                "eligibility_overrides",
                "restores",
                "quiet_hours",
            ],
            &["version", "kinds"],
        )
        .or_else(|| leaf::<u32>(v.get("version"), &format!("{path}.version")))
        .or_else(|| leaf::<Option<String>>(v.get("description"), &format!("{path}.description")))
        .or_else(|| rules(v.get("kinds"), &format!("{path}.kinds")))
        .or_else(|| {
            let path = format!("{path}.eligibility_overrides");
            map::<Eligibility>(v.get("eligibility_overrides"), &path, |v, p| {
                rules(Some(v), p)
            })
        })
        .or_else(|| {
            let path = format!("{path}.quiet_hours");
            let v = v.get("quiet_hours")?;
            object(
                v,
                &path,
                &["from", "to", "utc_offset_minutes", "up_to"],
                &["from", "to", "utc_offset_minutes", "up_to"],
            )
            .or_else(|| leaf::<String>(v.get("from"), &format!("{path}.from")))
            .or_else(|| leaf::<String>(v.get("to"), &format!("{path}.to")))
            .or_else(|| {
                leaf::<i32>(
                    v.get("utc_offset_minutes"),
                    &format!("{path}.utc_offset_minutes"),
                )
            })
            .or_else(|| leaf::<Severity>(v.get("up_to"), &format!("{path}.up_to")))
        })
        .or_else(|| {
            let path = format!("{path}.restores");
            map::<EventKind>(v.get("restores"), &path, |v, p| {
                leaf::<RestoreAction>(Some(v), p)
            })
        })
    }

    fn rules(v: Option<&Value>, path: &str) -> Found {
        map::<EventKind>(v, path, rule)
    }

    fn rule(v: &Value, path: &str) -> Found {
        object(
            v,
            path,
            &[
                "severity",
                "opens_incident",
                "immediate",
                "ladder",
                "repeat",
                "note",
            ],
            &["severity", "opens_incident"],
        )
        .or_else(|| leaf::<Severity>(v.get("severity"), &format!("{path}.severity")))
        .or_else(|| leaf::<bool>(v.get("opens_incident"), &format!("{path}.opens_incident")))
        .or_else(|| leaf::<Option<String>>(v.get("note"), &format!("{path}.note")))
        .or_else(|| list(v.get("immediate"), &format!("{path}.immediate"), target))
        .or_else(|| list(v.get("ladder"), &format!("{path}.ladder"), rung))
        .or_else(|| {
            let here = format!("{path}.repeat");
            let r = v.get("repeat")?;
            object(
                r,
                &here,
                &["every_minutes", "times"],
                &["every_minutes", "times"],
            )
            .or_else(|| leaf::<u32>(r.get("every_minutes"), &format!("{here}.every_minutes")))
            .or_else(|| leaf::<u32>(r.get("times"), &format!("{here}.times")))
        })
    }

    fn target(v: &Value, path: &str) -> Found {
        object(v, path, &["channel", "contact"], &["channel"]).or_else(|| pick(v, path))
    }

    fn rung(v: &Value, path: &str) -> Found {
        object(
            v,
            path,
            &["delay_minutes", "channel", "contact"],
            &["delay_minutes", "channel"],
        )
        .or_else(|| leaf::<u32>(v.get("delay_minutes"), &format!("{path}.delay_minutes")))
        .or_else(|| pick(v, path))
    }

    /// The `channel` and `contact` fields shared by targets and rungs.
    fn pick(v: &Value, path: &str) -> Found {
        leaf::<Channel>(v.get("channel"), &format!("{path}.channel"))
            .or_else(|| leaf::<Option<ContactPick>>(v.get("contact"), &format!("{path}.contact")))
    }

    /// An object with only `known` keys and all `required` ones.
    fn object(v: &Value, path: &str, known: &[&str], required: &[&str]) -> Found {
        let Some(map) = v.as_object() else {
            return Some(format!("{path}: expected an object, found {}", kind_of(v)));
        };
        if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Some(format!(
                "{path}.{key}: unknown field, expected one of {}",
                known.join(", ")
            ));
        }
        required
            .iter()
            .find(|k| !map.contains_key(**k))
            .map(|k| format!("{path}.{k}: missing field"))
    }

    /// An object keyed by an enum's names, each value checked by `each`.
    fn map<K: DeserializeOwned>(
        v: Option<&Value>,
        path: &str,
        each: impl Fn(&Value, &str) -> Found,
    ) -> Found {
        let v = v?;
        let Some(map) = v.as_object() else {
            return Some(format!("{path}: expected an object, found {}", kind_of(v)));
        };
        map.iter().find_map(|(key, value)| {
            let here = format!("{path}.{key}");
            match serde_json::from_value::<K>(Value::String(key.clone())) {
                Err(e) => Some(format!("{here}: {e}")),
                Ok(_) => each(value, &here),
            }
        })
    }

    fn list(v: Option<&Value>, path: &str, each: impl Fn(&Value, &str) -> Found) -> Found {
        let v = v?;
        let Some(items) = v.as_array() else {
            return Some(format!("{path}: expected a list, found {}", kind_of(v)));
        };
        items
            .iter()
            .enumerate()
            .find_map(|(i, item)| each(item, &format!("{path}[{i}]")))
    }

    fn leaf<T: DeserializeOwned>(v: Option<&Value>, path: &str) -> Found {
        let v = v?;
        serde_json::from_value::<T>(v.clone())
            .err()
            .map(|e| format!("{path}: {e}"))
    }

    fn kind_of(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_value() -> Value {
        serde_json::from_str(Policy::builtin_json()).unwrap()
    }

    fn load(v: &Value) -> Result<Policy, String> {
        Policy::from_json(&v.to_string())
    }

    #[test]
    fn repeats_and_quiet_hours_are_checked() {
        let mut v = default_value();
        v["kinds"]["heartbeat"]["repeat"] = serde_json::json!({"every_minutes": 5, "times": 2});
        let e = load(&v).unwrap_err();
        assert!(
            e.starts_with("policy.kinds.heartbeat.repeat: repeats the last"),
            "{e}"
        );

        let mut v = default_value();
        v["kinds"]["fire"]["repeat"]["times"] = 0.into();
        assert!(
            load(&v)
                .unwrap_err()
                .starts_with("policy.kinds.fire.repeat.times:")
        );

        let quiet = serde_json::json!({"from": "22:00", "to": "07:00", "utc_offset_minutes": 540, "up_to": "low"});
        let mut v = default_value();
        v["quiet_hours"] = quiet.clone();
        assert!(load(&v).is_ok());
        v["quiet_hours"]["up_to"] = "critical".into();
        let e = load(&v).unwrap_err();
        assert!(
            e.starts_with("policy.quiet_hours.up_to: an emergency"),
            "{e}"
        );

        let mut v = default_value();
        v["quiet_hours"] = quiet.clone();
        v["quiet_hours"]["from"] = "25:00".into();
        let e = load(&v).unwrap_err();
        assert!(
            e.starts_with("policy.quiet_hours.from: expected HH:MM"),
            "{e}"
        );

        let mut v = default_value();
        v["quiet_hours"] = quiet;
        v["quiet_hours"]["until"] = "07:00".into();
        let e = load(&v).unwrap_err();
        assert!(
            e.starts_with("policy.quiet_hours.until: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn restores_resolve_device_conditions_and_never_an_emergency() {
        let p = Policy::builtin();
        assert_eq!(
            p.restore_action(EventKind::DeviceOffline),
            RestoreAction::Resolve
        );
        assert_eq!(
            p.restore_action(EventKind::PowerLoss),
            RestoreAction::Resolve
        );
        assert_eq!(p.restore_action(EventKind::Smoke), RestoreAction::Downgrade);
        for kind in NEVER_RESTORED {
            assert_eq!(p.restore_action(*kind), RestoreAction::None, "{kind}");
        }
        assert_eq!(p.restore_action(EventKind::Inactivity), RestoreAction::None);
    }

    #[test]
    fn a_policy_cannot_let_a_restore_close_an_emergency_or_a_dispatch() {
        let mut v = default_value();
        v["restores"]["fire"] = "downgrade".into();
        let e = load(&v).unwrap_err();
        assert!(e.starts_with("policy.restores.fire: an emergency"), "{e}");

        let mut v = default_value();
        v["restores"]["smoke"] = "resolve".into();
        let e = load(&v).unwrap_err();
        assert!(
            e.starts_with("policy.restores.smoke: resolve would close"),
            "{e}"
        );

        let mut v = default_value();
        v["restores"]["heartbeat"] = "resolve".into();
        assert!(
            load(&v)
                .unwrap_err()
                .starts_with("policy.restores.heartbeat:")
        );

        let mut v = default_value();
        v["restores"]["power-loss"] = "close".into();
        let e = load(&v).unwrap_err();
        assert!(
            e.starts_with("policy.restores.power-loss: unknown variant"),
            "{e}"
        );
    }

    #[test]
    fn builtin_policy_is_valid_and_covers_every_kind() {
        // The strict loader's reading of policy.json, and the code build.rs made of it, agree.
        let policy = Policy::from_json(Policy::builtin_json()).unwrap();
        assert_eq!(&policy, Policy::builtin());
        for kind in EventKind::ALL {
            assert!(policy.kinds.contains_key(kind), "{kind}");
        }
        // What the city relies on: every emergency kind calls 119 at once.
        for kind in [
            EventKind::EmergencyCall,
            EventKind::VoiceSos,
            EventKind::Fire,
            EventKind::Smoke,
            EventKind::Gas,
            EventKind::Fall,
        ] {
            let rule = &policy.kinds[&kind];
            assert_eq!(rule.severity, Severity::Critical, "{kind}");
            assert!(rule.opens_incident, "{kind}");
            assert!(
                rule.immediate
                    .iter()
                    .any(|t| t.channel == Channel::Dispatch119),
                "{kind}"
            );
        }
    }

    #[test]
    fn serialised_policy_loads_back_unchanged() {
        let policy = Policy::default();
        let json = serde_json::to_string_pretty(&policy).unwrap();
        assert_eq!(Policy::from_json(&json).unwrap(), policy);
    }

    #[test]
    fn bad_enum_value_names_the_field() {
        let mut v = default_value();
        v["kinds"]["fire"]["severity"] = "scorching".into();
        let err = load(&v).unwrap_err();
        assert!(
            err.starts_with("policy.kinds.fire.severity: unknown variant `scorching`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_field_names_the_field() {
        let mut v = default_value();
        v["kinds"]["inactivity"]["ladder"][1]["delay"] = 5.into();
        let err = load(&v).unwrap_err();
        assert!(
            err.starts_with("policy.kinds.inactivity.ladder[1].delay: unknown field"),
            "{err}"
        );
    }

    #[test]
    fn unknown_kind_and_wrong_types_name_the_field() {
        let mut v = default_value();
        v["kinds"]["earthquake"] = v["kinds"]["fire"].clone();
        let err = load(&v).unwrap_err();
        assert!(
            err.starts_with("policy.kinds.earthquake: unknown variant `earthquake`"),
            "{err}"
        );

        let mut v = default_value();
        v["kinds"]["gas"]["opens_incident"] = "yes".into();
        let err = load(&v).unwrap_err();
        assert!(
            err.starts_with("policy.kinds.gas.opens_incident: invalid type"),
            "{err}"
        );

        let mut v = default_value();
        v["kinds"]["fall"]["ladder"][0]["delay_minutes"] = (-5).into();
        let err = load(&v).unwrap_err();
        assert!(
            err.starts_with("policy.kinds.fall.ladder[0].delay_minutes: invalid value"),
            "{err}"
        );

        let mut v = default_value();
        v["kinds"]["door"]
            .as_object_mut()
            .unwrap()
            .remove("severity");
        let err = load(&v).unwrap_err();
        assert_eq!(err, "policy.kinds.door.severity: missing field");

        let err = Policy::from_json("{\"version\": 1, \"kinds\": [").unwrap_err();
        assert!(err.starts_with("policy: invalid JSON"), "{err}");
    }

    #[test]
    fn missing_kind_is_refused() {
        let mut v = default_value();
        v["kinds"].as_object_mut().unwrap().remove("fall");
        assert_eq!(
            load(&v).unwrap_err(),
            "policy.kinds: missing kind `fall` (every event kind needs a rule)"
        );
    }

    #[test]
    fn ladder_delays_must_be_positive_and_increasing() {
        let mut v = default_value();
        v["kinds"]["inactivity"]["ladder"][0]["delay_minutes"] = 0.into();
        let err = load(&v).unwrap_err();
        assert!(
            err.starts_with(
                "policy.kinds.inactivity.ladder[0].delay_minutes: must be greater than 0"
            ),
            "{err}"
        );

        let mut v = default_value();
        v["kinds"]["inactivity"]["ladder"][2]["delay_minutes"] = 15.into();
        let err = load(&v).unwrap_err();
        assert_eq!(
            err,
            "policy.kinds.inactivity.ladder[2].delay_minutes: must be greater than the previous rung's 30"
        );

        let mut v = default_value();
        v["kinds"]["inactivity"]["ladder"][2]["delay_minutes"] = 3_600_000.into();
        let err = load(&v).unwrap_err();
        assert!(err.contains("more than a week"), "{err}");
    }

    #[test]
    fn caregiver_pick_is_required_and_only_for_caregivers() {
        let mut v = default_value();
        v["kinds"]["fire"]["immediate"][1]
            .as_object_mut()
            .unwrap()
            .remove("contact");
        assert_eq!(
            load(&v).unwrap_err(),
            "policy.kinds.fire.immediate[1].contact: required for channel caregiver (first, next or all)"
        );

        let mut v = default_value();
        v["kinds"]["fire"]["immediate"][0]["contact"] = "all".into();
        assert_eq!(
            load(&v).unwrap_err(),
            "policy.kinds.fire.immediate[0].contact: only caregiver notifications pick a contact, not dispatch119"
        );
    }

    #[test]
    fn ladder_needs_an_incident() {
        let mut v = default_value();
        v["kinds"]["door"]["ladder"] =
            serde_json::json!([{"delay_minutes": 5, "channel": "welfare-centre"}]);
        assert_eq!(
            load(&v).unwrap_err(),
            "policy.kinds.door.ladder: needs opens_incident = true (only an incident can be acknowledged)"
        );
    }

    #[test]
    fn overrides_are_checked_and_used() {
        let policy = Policy::default();
        let discharged = policy.rule(EventKind::Inactivity, Eligibility::RecentlyDischarged);
        let alone = policy.rule(EventKind::Inactivity, Eligibility::ElderlyAlone);
        assert!(
            discharged.ladder.last().unwrap().delay_minutes
                < alone.ladder.last().unwrap().delay_minutes
        );
        assert_eq!(
            policy.rule(EventKind::Fire, Eligibility::RecentlyDischarged),
            &policy.kinds[&EventKind::Fire]
        );

        let mut v = default_value();
        v["eligibility_overrides"]["students"] = serde_json::json!({});
        let err = load(&v).unwrap_err();
        assert!(
            err.starts_with("policy.eligibility_overrides.students: unknown variant `students`"),
            "{err}"
        );

        let mut v = default_value();
        v["eligibility_overrides"]["disabled"] = serde_json::json!({
            "fall": {"severity": "critical", "opens_incident": true,
                     "ladder": [{"delay_minutes": 10, "channel": "caregiver"}]}
        });
        assert_eq!(
            load(&v).unwrap_err(),
            "policy.eligibility_overrides.disabled.fall.ladder[0].contact: required for channel caregiver (first, next or all)"
        );
    }

    #[test]
    fn version_is_checked() {
        let mut v = default_value();
        v["version"] = 2.into();
        assert_eq!(
            load(&v).unwrap_err(),
            "policy.version: unsupported version 2, expected 1"
        );
    }
}

#[cfg(test)]
mod builtin_tests {
    use super::*;

    #[test]
    fn builtin_policy_is_valid() {
        let checked = Policy::from_json(DEFAULT_POLICY_JSON).unwrap();
        assert_eq!(&checked, Policy::builtin());
    }
}
