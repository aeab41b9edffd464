//! The values recognition works on, mirroring the WIT records.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivityKind {
    HomeVisit,
    InformationOutreach,
    CrisisReport,
    Training,
    Meeting,
}

impl ActivityKind {
    pub const NAMES: &'static [&'static str] = &[
        "home-visit",
        "information-outreach",
        "crisis-report",
        "training",
        "meeting",
    ];

    pub fn parse(s: &str) -> Option<ActivityKind> {
        Some(match s {
            "home-visit" => ActivityKind::HomeVisit,
            "information-outreach" => ActivityKind::InformationOutreach,
            "crisis-report" => ActivityKind::CrisisReport,
            "training" => ActivityKind::Training,
            "meeting" => ActivityKind::Meeting,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::HomeVisit => "home-visit",
            ActivityKind::InformationOutreach => "information-outreach",
            ActivityKind::CrisisReport => "crisis-report",
            ActivityKind::Training => "training",
            ActivityKind::Meeting => "meeting",
        }
    }
}

/// One logged activity: city-local date (YYYY-MM-DD), start in minutes after local midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEntry {
    pub id: String,
    pub kind: ActivityKind,
    pub date: String,
    pub start_minute: u32,
    pub minutes: u32,
}

impl ActivityEntry {
    pub fn end_minute(&self) -> u32 {
        self.start_minute + self.minutes
    }
}

/// A broken hour rule, named so clients can tell rules apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub rule: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OfficerTotals {
    pub officer_id: String,
    pub approved_minutes: u64,
    pub crisis_reports: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    pub id: String,
    pub name_ko: String,
    pub name_en: String,
    /// `hours` or `reports`.
    pub metric: &'static str,
    pub threshold: u32,
}

/// One officer's approved record for one year.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct YearRecord {
    pub officer_id: String,
    pub approved_minutes: u64,
    pub activities: u32,
    pub active_months: u32,
    pub crisis_reports: u32,
    pub home_visits: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AwardCandidate {
    pub officer_id: String,
    pub award_id: String,
    pub award_name_ko: String,
    pub rank: u32,
    /// Hundredths of a point.
    pub score: u64,
    pub reasons: Vec<String>,
}
