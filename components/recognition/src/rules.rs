//! The recognition rules as data: the daily hour cap, badge thresholds and awards. The built-in
//! rules are `rules.json`; a city may pass its own, which are validated before use.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const BUILTIN_JSON: &str = include_str!("../rules.json");

/// The rules a city recognises officers by (`rules.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The rules' version; not empty.
    pub version: String,
    /// Free text: what the rules say and why.
    #[serde(default)]
    pub description: String,
    /// Most minutes of activity recognised in one day (1 to 1440).
    pub max_minutes_per_day: u32,
    /// Badges for approved hours, threshold rising.
    pub hour_badges: Vec<BadgeRule>,
    /// Badges for crisis reports, threshold rising.
    pub report_badges: Vec<BadgeRule>,
    /// Awards in order of precedence: an officer is put forward for the first they qualify for.
    pub awards: Vec<Award>,
}

/// A badge and what earns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadgeRule {
    /// The badge's id; unique across both badge lists.
    pub id: String,
    /// Its name in Korean.
    pub name_ko: String,
    /// Its name in English.
    pub name_en: String,
    /// Hours for hour badges, reports for report badges.
    pub threshold: u32,
}

/// An annual award: who qualifies and how candidates are ranked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Award {
    /// The award's id; unique.
    pub id: String,
    /// Its name in Korean.
    pub name_ko: String,
    /// Its name in English.
    pub name_en: String,
    /// Least approved hours in the year.
    pub min_hours: u32,
    /// Least months with an approved activity (at most 12).
    pub min_active_months: u32,
    /// Least crisis reports in the year.
    pub min_crisis_reports: u32,
    /// Most officers put forward (at least 1).
    pub max_candidates: u32,
    /// How the score that ranks candidates is made.
    pub weights: Weights,
}

/// Points per unit of each measure in an award's score; each ≥ 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Per approved hour.
    pub hours: f64,
    /// Per crisis report.
    pub crisis_reports: f64,
    /// Per home visit.
    pub home_visits: f64,
    /// Per active month.
    pub active_months: f64,
}

impl Rules {
    /// The rules shipped with the component (`rules.json`).
    pub fn builtin() -> &'static Rules {
        static BUILTIN: OnceLock<Rules> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Rules::from_json(BUILTIN_JSON)
                .unwrap_or_else(|e| panic!("built-in rules.json is invalid: {e}"))
        })
    }

    /// The JSON text of the built-in rules.
    pub fn builtin_json() -> &'static str {
        BUILTIN_JSON
    }

    /// Parses and validates rules; errors name the field (`rules.hour_badges[1].threshold: …`).
    pub fn from_json(json: &str) -> Result<Rules, String> {
        let rules: Rules = serde_json::from_str(json).map_err(|e| format!("rules: {e}"))?;
        rules.validate()?;
        Ok(rules)
    }

    /// Checks the rules; errors name the field (`rules.awards[0].max_candidates: …`).
    pub fn validate(&self) -> Result<(), String> {
        if self.version.trim().is_empty() {
            return Err("rules.version: must not be empty".into());
        }
        if !(1..=1440).contains(&self.max_minutes_per_day) {
            return Err("rules.max_minutes_per_day: must be from 1 to 1440".into());
        }
        let mut ids = HashSet::new();
        for (name, list) in [
            ("hour_badges", &self.hour_badges),
            ("report_badges", &self.report_badges),
        ] {
            let mut last = 0;
            for (i, b) in list.iter().enumerate() {
                let at = format!("rules.{name}[{i}]");
                if b.id.trim().is_empty() || !ids.insert(b.id.as_str()) {
                    return Err(format!("{at}.id: must be non-empty and unique"));
                }
                if b.threshold <= last {
                    return Err(format!(
                        "{at}.threshold: must be above 0 and above the one before"
                    ));
                }
                last = b.threshold;
            }
        }
        let mut award_ids = HashSet::new();
        for (i, a) in self.awards.iter().enumerate() {
            let at = format!("rules.awards[{i}]");
            if a.id.trim().is_empty() || !award_ids.insert(a.id.as_str()) {
                return Err(format!("{at}.id: must be non-empty and unique"));
            }
            if a.max_candidates == 0 {
                return Err(format!("{at}.max_candidates: must be at least 1"));
            }
            if a.min_active_months > 12 {
                return Err(format!("{at}.min_active_months: at most 12"));
            }
            let w = &a.weights;
            for (field, v) in [
                ("hours", w.hours),
                ("crisis_reports", w.crisis_reports),
                ("home_visits", w.home_visits),
                ("active_months", w.active_months),
            ] {
                if !v.is_finite() || v < 0.0 {
                    return Err(format!("{at}.weights.{field}: must be a number ≥ 0"));
                }
            }
        }
        Ok(())
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::builtin().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn with(f: impl FnOnce(&mut Value)) -> Result<Rules, String> {
        let mut v: Value = serde_json::from_str(BUILTIN_JSON).unwrap();
        f(&mut v);
        Rules::from_json(&v.to_string())
    }

    #[test]
    fn builtin_rules_are_valid() {
        let r = Rules::builtin();
        assert_eq!(r.max_minutes_per_day, 480);
        assert!(!r.hour_badges.is_empty() && !r.report_badges.is_empty());
        assert_eq!(r.awards[0].id, "mayor-commendation");
    }

    #[test]
    fn errors_name_the_field() {
        let e = with(|v| v["hour_badges"][1]["threshold"] = 5.into()).unwrap_err();
        assert!(e.starts_with("rules.hour_badges[1].threshold"), "{e}");
        let e = with(|v| v["report_badges"][0]["id"] = "hours-10".into()).unwrap_err();
        assert!(e.starts_with("rules.report_badges[0].id"), "{e}");
        let e = with(|v| v["max_minutes_per_day"] = 0.into()).unwrap_err();
        assert!(e.starts_with("rules.max_minutes_per_day"), "{e}");
        let e = with(|v| v["awards"][1]["weights"]["hours"] = (-1).into()).unwrap_err();
        assert!(e.starts_with("rules.awards[1].weights.hours"), "{e}");
        let e = with(|v| v["surprise"] = 1.into()).unwrap_err();
        assert!(e.contains("surprise"), "{e}");
        assert!(Rules::from_json("{").is_err());
    }
}
