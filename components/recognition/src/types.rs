//! The values recognition works on, mirroring the WIT records.

use serde::{Deserialize, Serialize};

/// What an officer did (`recognition.activity-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivityKind {
    /// Visited a household.
    HomeVisit,
    /// Told residents about welfare services.
    InformationOutreach,
    /// Reported a household in crisis.
    CrisisReport,
    /// Took part in training.
    Training,
    /// Took part in a meeting.
    Meeting,
}

impl ActivityKind {
    /// Every kind's WIT (and JSON) name, in declaration order.
    pub const NAMES: &'static [&'static str] = &[
        "home-visit",
        "information-outreach",
        "crisis-report",
        "training",
        "meeting",
    ];

    /// The kind with this WIT name, if any.
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

    /// The WIT (and JSON) name.
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
    /// The entry's id; an entry is not checked against itself.
    pub id: String,
    /// What the officer did.
    pub kind: ActivityKind,
    /// The city-local day, `YYYY-MM-DD`.
    pub date: String,
    /// Start, in minutes after local midnight.
    pub start_minute: u32,
    /// How long it lasted, in minutes.
    pub minutes: u32,
}

impl ActivityEntry {
    /// End, in minutes after local midnight.
    pub fn end_minute(&self) -> u32 {
        self.start_minute + self.minutes
    }
}

/// A broken hour rule, named so clients can tell rules apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The rule's stable name, e.g. `max-hours-per-day` (see [`crate::hours`]).
    pub rule: &'static str,
    /// Why the entry broke it.
    pub message: String,
}

/// What an officer has to show for their service, from approved activities only.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerTotals {
    /// The officer's id.
    pub officer_id: String,
    /// Approved minutes of activity, ever.
    pub approved_minutes: u64,
    /// Crisis reports filed, ever.
    pub crisis_reports: u32,
}

/// A badge earned (`recognition.badge`).
#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    /// The badge's id from the rules, e.g. `hours-10`.
    pub id: String,
    /// Its name in Korean.
    pub name_ko: String,
    /// Its name in English.
    pub name_en: String,
    /// `hours` or `reports`.
    pub metric: &'static str,
    /// Hours or reports needed to earn it.
    pub threshold: u32,
}

/// One officer's approved record for one year.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct YearRecord {
    /// The officer's id.
    pub officer_id: String,
    /// Approved minutes of activity in the year.
    pub approved_minutes: u64,
    /// Approved activities in the year.
    pub activities: u32,
    /// Distinct months (1–12) with at least one approved activity.
    pub active_months: u32,
    /// Crisis reports filed in the year.
    pub crisis_reports: u32,
    /// Approved home visits in the year.
    pub home_visits: u32,
}

/// An officer put forward for an award.
#[derive(Debug, Clone, PartialEq)]
pub struct AwardCandidate {
    /// The officer's id.
    pub officer_id: String,
    /// The award's id from the rules.
    pub award_id: String,
    /// The award's name in Korean.
    pub award_name_ko: String,
    /// Place among the award's candidates, 1 first.
    pub rank: u32,
    /// Hundredths of a point.
    pub score: u64,
    /// Why they qualify: their measures beside the award's minimums.
    pub reasons: Vec<String>,
}
