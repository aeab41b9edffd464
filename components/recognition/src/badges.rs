//! Badges: earned once an officer's approved hours or filed crisis reports reach a threshold.
//! The caller stores what is earned; whatever was not stored before is newly crossed.

use crate::rules::{BadgeRule, Rules};
use crate::types::{Badge, OfficerTotals};

fn badge(b: &BadgeRule, metric: &'static str) -> Badge {
    Badge {
        id: b.id.clone(),
        name_ko: b.name_ko.clone(),
        name_en: b.name_en.clone(),
        metric,
        threshold: b.threshold,
    }
}

/// Every badge these totals have earned: hour badges, then report badges, lowest first.
pub fn earned_badges(totals: &OfficerTotals, rules: &Rules) -> Vec<Badge> {
    // Whole minutes against whole hours: 599 minutes has not reached 10 hours.
    let hours = rules
        .hour_badges
        .iter()
        .filter(|b| totals.approved_minutes >= b.threshold as u64 * 60)
        .map(|b| badge(b, "hours"));
    let reports = rules
        .report_badges
        .iter()
        .filter(|b| totals.crisis_reports >= b.threshold)
        .map(|b| badge(b, "reports"));
    hours.chain(reports).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(minutes: u64, reports: u32) -> Vec<String> {
        let t = OfficerTotals {
            officer_id: "off-1".into(),
            approved_minutes: minutes,
            crisis_reports: reports,
        };
        earned_badges(&t, Rules::builtin())
            .into_iter()
            .map(|b| b.id)
            .collect()
    }

    #[test]
    fn thresholds_are_crossed_exactly_at_the_line() {
        assert!(ids(0, 0).is_empty());
        assert!(ids(599, 0).is_empty());
        assert_eq!(ids(600, 0), ["hours-10"]);
        assert_eq!(ids(50 * 60, 0), ["hours-10", "hours-50"]);
        assert_eq!(ids(0, 1), ["reports-1"]);
        assert_eq!(ids(0, 4), ["reports-1"]);
        assert_eq!(
            ids(1000 * 60, 5),
            [
                "hours-10",
                "hours-50",
                "hours-100",
                "hours-300",
                "hours-500",
                "hours-1000",
                "reports-1",
                "reports-5"
            ]
        );
    }

    #[test]
    fn badges_carry_their_metric_and_names() {
        let t = OfficerTotals {
            officer_id: "off-1".into(),
            approved_minutes: 600,
            crisis_reports: 1,
        };
        let b = earned_badges(&t, Rules::builtin());
        assert_eq!(b[0].metric, "hours");
        assert_eq!(b[0].threshold, 10);
        assert_eq!(b[1].metric, "reports");
        assert!(!b[1].name_ko.is_empty());
    }
}
