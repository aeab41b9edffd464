//! Annual award candidates from the year's approved record: each award's minimums, then a
//! weighted score, best first. An officer is put forward for one award only, the first listed
//! whose minimums they meet, so the higher honour is never crowded out by the lower.

use std::collections::HashSet;

use crate::rules::{Award, Rules};
use crate::types::{AwardCandidate, YearRecord};

fn qualifies(r: &YearRecord, a: &Award) -> bool {
    r.approved_minutes >= a.min_hours as u64 * 60
        && r.active_months >= a.min_active_months
        && r.crisis_reports >= a.min_crisis_reports
}

/// Score in hundredths of a point; rounded once so every build ranks alike.
fn score(r: &YearRecord, a: &Award) -> u64 {
    let w = &a.weights;
    let points = r.approved_minutes as f64 / 60.0 * w.hours
        + r.crisis_reports as f64 * w.crisis_reports
        + r.home_visits as f64 * w.home_visits
        + r.active_months as f64 * w.active_months;
    (points * 100.0).round() as u64
}

fn reasons(r: &YearRecord, a: &Award) -> Vec<String> {
    let hours = r.approved_minutes as f64 / 60.0;
    vec![
        format!("{hours} approved hours (minimum {})", a.min_hours),
        format!(
            "active in {} months (minimum {})",
            r.active_months, a.min_active_months
        ),
        format!(
            "{} crisis reports (minimum {})",
            r.crisis_reports, a.min_crisis_reports
        ),
        format!("{} home visits", r.home_visits),
    ]
}

/// Candidates for each award in the rules' order, best first per award; an officer is put
/// forward for at most one award.
pub fn award_candidates(records: &[YearRecord], rules: &Rules) -> Vec<AwardCandidate> {
    let mut taken: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for a in &rules.awards {
        let mut pool: Vec<(&YearRecord, u64)> = records
            .iter()
            .filter(|r| !taken.contains(r.officer_id.as_str()) && qualifies(r, a))
            .map(|r| (r, score(r, a)))
            .collect();
        // Ties: more hours first, then officer id, so the order never depends on input order.
        pool.sort_by(|(x, sx), (y, sy)| {
            sy.cmp(sx)
                .then(y.approved_minutes.cmp(&x.approved_minutes))
                .then(x.officer_id.cmp(&y.officer_id))
        });
        for (i, (r, s)) in pool.into_iter().take(a.max_candidates as usize).enumerate() {
            taken.insert(&r.officer_id);
            out.push(AwardCandidate {
                officer_id: r.officer_id.clone(),
                award_id: a.id.clone(),
                award_name_ko: a.name_ko.clone(),
                rank: i as u32 + 1,
                score: s,
                reasons: reasons(r, a),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, hours: u64, months: u32, reports: u32, visits: u32) -> YearRecord {
        YearRecord {
            officer_id: id.into(),
            approved_minutes: hours * 60,
            activities: visits,
            active_months: months,
            crisis_reports: reports,
            home_visits: visits,
        }
    }

    #[test]
    fn the_higher_award_comes_first_and_takes_its_candidates() {
        let records = vec![
            rec("a", 150, 11, 2, 40), // mayor: 150 + 10 + 20 + 22 = 202
            rec("b", 130, 10, 1, 10), // mayor: 130 + 5 + 5 + 20 = 160
            rec("c", 200, 9, 3, 0),   // too few months for mayor → citation
            rec("d", 59, 12, 9, 99),  // too few hours for anything
            rec("e", 60, 6, 0, 0),    // citation at the line
        ];
        let c = award_candidates(&records, Rules::builtin());
        let got: Vec<(&str, &str, u32, u64)> = c
            .iter()
            .map(|c| (c.officer_id.as_str(), c.award_id.as_str(), c.rank, c.score))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "mayor-commendation", 1, 20200),
                ("b", "mayor-commendation", 2, 16000),
                ("c", "support-centre-citation", 1, 21800),
                ("e", "support-centre-citation", 2, 6600),
            ]
        );
        assert!(c[0].reasons[0].contains("150 approved hours"));
    }

    #[test]
    fn ties_break_by_hours_then_id_and_the_limit_holds() {
        let mut rules = Rules::builtin().clone();
        rules.awards.truncate(1);
        rules.awards[0].max_candidates = 2;
        let records = vec![
            rec("z", 140, 10, 1, 0),
            rec("y", 140, 10, 1, 0),
            rec("x", 130, 12, 2, 0),
        ];
        // x: 130+10+24 = 164; y, z: 140+5+20 = 165.
        let c = award_candidates(&records, &rules);
        let ids: Vec<&str> = c.iter().map(|c| c.officer_id.as_str()).collect();
        assert_eq!(ids, ["y", "z"]);
    }
}
