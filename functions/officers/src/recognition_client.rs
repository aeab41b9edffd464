//! The recognition component, imported over WIT (`safetynet:recognition/recognition`), with the rules
//! from the `recognition_rules` variable (empty = the component's built-in rules).

spin_sdk::wit_bindgen::generate!({
    path: "../../wit/recognition",
    world: "user",
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

pub use safetynet::recognition::recognition::{
    self as recognition, ActivityEntry, ActivityKind, AwardCandidate, Badge, OfficerTotals,
    RuleViolation, YearRecord,
};

use safetynet_http::{ApiError, ApiResult};

pub const KINDS: &[&str] = &[
    "home-visit",
    "information-outreach",
    "crisis-report",
    "training",
    "meeting",
];

pub fn kind(s: &str) -> Option<ActivityKind> {
    Some(match s {
        "home-visit" => ActivityKind::HomeVisit,
        "information-outreach" => ActivityKind::InformationOutreach,
        "crisis-report" => ActivityKind::CrisisReport,
        "training" => ActivityKind::Training,
        "meeting" => ActivityKind::Meeting,
        _ => return None,
    })
}

/// The Korean name the city's paperwork uses for each kind.
pub fn kind_ko(s: &str) -> &'static str {
    match s {
        "home-visit" => "가정방문",
        "information-outreach" => "복지정보 안내",
        "crisis-report" => "위기가구 발굴·신고",
        "training" => "교육",
        "meeting" => "회의",
        _ => "기타",
    }
}

fn rules() -> String {
    spin_sdk::variables::get("recognition_rules").unwrap_or_default()
}

fn internal(e: String) -> ApiError {
    ApiError::internal(format!("recognition: {e}"))
}

pub fn check_activity(
    entry: &ActivityEntry,
    existing: &[ActivityEntry],
    today: &str,
) -> ApiResult<Option<RuleViolation>> {
    recognition::check_activity(entry, existing, today, &rules()).map_err(internal)
}

pub fn earned_badges(totals: &OfficerTotals) -> ApiResult<Vec<Badge>> {
    recognition::earned_badges(totals, &rules()).map_err(internal)
}

pub fn award_candidates(records: &[YearRecord]) -> ApiResult<Vec<AwardCandidate>> {
    recognition::award_candidates(records, &rules()).map_err(internal)
}
