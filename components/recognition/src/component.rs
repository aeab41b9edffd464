//! The `safetynet:recognition/recognition` export: converts WIT values to the crate's Rust types and
//! back, so the Wasm component and native callers share one implementation.

use std::borrow::Cow;

wit_bindgen::generate!({
    path: "../../wit/recognition",
    world: "component",
});

use exports::safetynet::recognition::recognition as wit;

use crate::{rules::Rules, types as rs};

struct Recognition;

impl wit::Guest for Recognition {
    fn validate_rules(rules_json: String) -> Result<(), String> {
        load(&rules_json).map(|_| ())
    }

    fn check_activity(
        entry: wit::ActivityEntry,
        existing: Vec<wit::ActivityEntry>,
        today: String,
        rules_json: String,
    ) -> Result<Option<wit::RuleViolation>, String> {
        let rules = load(&rules_json)?;
        let existing: Vec<rs::ActivityEntry> = existing.into_iter().map(Into::into).collect();
        Ok(
            crate::check_activity(&entry.into(), &existing, &today, &rules).map(|v| {
                wit::RuleViolation {
                    rule: v.rule.to_string(),
                    message: v.message,
                }
            }),
        )
    }

    fn earned_badges(
        totals: wit::OfficerTotals,
        rules_json: String,
    ) -> Result<Vec<wit::Badge>, String> {
        let rules = load(&rules_json)?;
        let totals = rs::OfficerTotals {
            officer_id: totals.officer_id,
            approved_minutes: totals.approved_minutes,
            crisis_reports: totals.crisis_reports,
        };
        Ok(crate::earned_badges(&totals, &rules)
            .into_iter()
            .map(|b| wit::Badge {
                id: b.id,
                name_ko: b.name_ko,
                name_en: b.name_en,
                metric: b.metric.to_string(),
                threshold: b.threshold,
            })
            .collect())
    }

    fn award_candidates(
        records: Vec<wit::YearRecord>,
        rules_json: String,
    ) -> Result<Vec<wit::AwardCandidate>, String> {
        let rules = load(&rules_json)?;
        let records: Vec<rs::YearRecord> = records
            .into_iter()
            .map(|r| rs::YearRecord {
                officer_id: r.officer_id,
                approved_minutes: r.approved_minutes,
                activities: r.activities,
                active_months: r.active_months,
                crisis_reports: r.crisis_reports,
                home_visits: r.home_visits,
            })
            .collect();
        Ok(crate::award_candidates(&records, &rules)
            .into_iter()
            .map(|c| wit::AwardCandidate {
                officer_id: c.officer_id,
                award_id: c.award_id,
                award_name_ko: c.award_name_ko,
                rank: c.rank,
                score: c.score,
                reasons: c.reasons,
            })
            .collect())
    }
}

export!(Recognition);

/// An empty (or all-blank) rules string means the built-in rules, which are not re-parsed.
fn load(rules_json: &str) -> Result<Cow<'static, Rules>, String> {
    if rules_json.trim().is_empty() {
        Ok(Cow::Borrowed(Rules::builtin()))
    } else {
        Rules::from_json(rules_json).map(Cow::Owned)
    }
}

impl From<wit::ActivityKind> for rs::ActivityKind {
    fn from(k: wit::ActivityKind) -> Self {
        match k {
            wit::ActivityKind::HomeVisit => rs::ActivityKind::HomeVisit,
            wit::ActivityKind::InformationOutreach => rs::ActivityKind::InformationOutreach,
            wit::ActivityKind::CrisisReport => rs::ActivityKind::CrisisReport,
            wit::ActivityKind::Training => rs::ActivityKind::Training,
            wit::ActivityKind::Meeting => rs::ActivityKind::Meeting,
        }
    }
}

impl From<wit::ActivityEntry> for rs::ActivityEntry {
    fn from(e: wit::ActivityEntry) -> Self {
        rs::ActivityEntry {
            id: e.id,
            kind: e.kind.into(),
            date: e.date,
            start_minute: e.start_minute,
            minutes: e.minutes,
        }
    }
}
