//! Which logged hours may stand: no future dates, no overlapping entries, at most the daily cap.
//! Each broken rule has a stable name the API repeats in its 400.

use crate::date;
use crate::rules::Rules;
use crate::types::{ActivityEntry, Violation};

/// The entry itself is malformed: not a date, no duration, or past midnight.
pub const INVALID_ENTRY: &str = "valid-entry";
/// The entry is dated after today.
pub const NO_FUTURE_DATES: &str = "no-future-dates";
/// The entry overlaps another of the same day.
pub const NO_OVERLAP: &str = "no-overlap";
/// The day would hold more than the rules' daily cap.
pub const MAX_HOURS_PER_DAY: &str = "max-hours-per-day";

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn violation(rule: &'static str, message: String) -> Option<Violation> {
    Some(Violation { rule, message })
}

/// Checks `entry` against the officer's other live entries (`existing`; an entry with the same
/// id is ignored, so an edit can be re-checked). `today` is the city-local date.
pub fn check_activity(
    entry: &ActivityEntry,
    existing: &[ActivityEntry],
    today: &str,
    rules: &Rules,
) -> Option<Violation> {
    if !date::is_valid(&entry.date) {
        return violation(
            INVALID_ENTRY,
            format!("date {:?} is not YYYY-MM-DD", entry.date),
        );
    }
    if entry.minutes == 0 || entry.start_minute >= 1440 || entry.end_minute() > 1440 {
        return violation(
            INVALID_ENTRY,
            "an activity must last more than 0 minutes and end by midnight".into(),
        );
    }
    if entry.date.as_str() > today {
        return violation(
            NO_FUTURE_DATES,
            format!("{} is after today ({today})", entry.date),
        );
    }
    let same_day: Vec<&ActivityEntry> = existing
        .iter()
        .filter(|e| e.date == entry.date && e.id != entry.id)
        .collect();
    if let Some(o) = same_day
        .iter()
        .find(|e| e.start_minute < entry.end_minute() && entry.start_minute < e.end_minute())
    {
        return violation(
            NO_OVERLAP,
            format!(
                "{}–{} overlaps activity {} ({}–{}) on {}",
                hhmm(entry.start_minute),
                hhmm(entry.end_minute()),
                o.id,
                hhmm(o.start_minute),
                hhmm(o.end_minute()),
                entry.date
            ),
        );
    }
    let total: u32 = same_day.iter().map(|e| e.minutes).sum::<u32>() + entry.minutes;
    if total > rules.max_minutes_per_day {
        return violation(
            MAX_HOURS_PER_DAY,
            format!(
                "{} would have {} hours logged; at most {} a day count",
                entry.date,
                total as f64 / 60.0,
                rules.max_minutes_per_day as f64 / 60.0
            ),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ActivityKind;

    fn e(id: &str, date: &str, start: &str, hours: f64) -> ActivityEntry {
        let (h, m) = start.split_once(':').unwrap();
        ActivityEntry {
            id: id.into(),
            kind: ActivityKind::HomeVisit,
            date: date.into(),
            start_minute: h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap(),
            minutes: (hours * 60.0) as u32,
        }
    }

    fn rule(v: Option<Violation>) -> Option<&'static str> {
        v.map(|v| v.rule)
    }

    const TODAY: &str = "2026-05-20";

    #[test]
    fn eight_hours_a_day_pass_nine_do_not() {
        let r = Rules::builtin();
        let day = [e("a", "2026-05-19", "09:00", 5.0)];
        assert_eq!(
            check_activity(&e("b", "2026-05-19", "14:00", 3.0), &day, TODAY, r),
            None
        );
        assert_eq!(
            rule(check_activity(
                &e("b", "2026-05-19", "14:00", 4.0),
                &day,
                TODAY,
                r
            )),
            Some(MAX_HOURS_PER_DAY)
        );
        assert_eq!(
            rule(check_activity(
                &e("c", "2026-05-19", "08:00", 9.0),
                &[],
                TODAY,
                r
            )),
            Some(MAX_HOURS_PER_DAY)
        );
        // Other days do not count towards this one.
        let other = [e("a", "2026-05-18", "09:00", 8.0)];
        assert_eq!(
            check_activity(&e("b", "2026-05-19", "09:00", 8.0), &other, TODAY, r),
            None
        );
    }

    #[test]
    fn future_dates_are_refused_today_is_not() {
        let r = Rules::builtin();
        assert_eq!(
            check_activity(&e("a", TODAY, "09:00", 1.0), &[], TODAY, r),
            None
        );
        let v = check_activity(&e("a", "2026-05-21", "09:00", 1.0), &[], TODAY, r).unwrap();
        assert_eq!(v.rule, NO_FUTURE_DATES);
        assert!(v.message.contains("2026-05-21"));
    }

    #[test]
    fn overlaps_are_refused_touching_is_fine() {
        let r = Rules::builtin();
        let day = [e("a", "2026-05-19", "09:00", 2.0)];
        let v = check_activity(&e("b", "2026-05-19", "10:00", 2.0), &day, TODAY, r).unwrap();
        assert_eq!(v.rule, NO_OVERLAP);
        assert!(v.message.contains("09:00–11:00"), "{}", v.message);
        assert_eq!(
            check_activity(&e("b", "2026-05-19", "11:00", 2.0), &day, TODAY, r),
            None
        );
        assert_eq!(
            check_activity(&e("b", "2026-05-19", "07:00", 2.0), &day, TODAY, r),
            None
        );
        // Inside another entry entirely.
        assert_eq!(
            rule(check_activity(
                &e("b", "2026-05-19", "09:30", 0.5),
                &day,
                TODAY,
                r
            )),
            Some(NO_OVERLAP)
        );
        // The same entry re-checked does not overlap itself.
        assert_eq!(
            check_activity(&e("a", "2026-05-19", "09:00", 2.0), &day, TODAY, r),
            None
        );
    }

    #[test]
    fn malformed_entries_are_named() {
        let r = Rules::builtin();
        assert_eq!(
            rule(check_activity(
                &e("a", "2026-02-30", "09:00", 1.0),
                &[],
                TODAY,
                r
            )),
            Some(INVALID_ENTRY)
        );
        assert_eq!(
            rule(check_activity(
                &e("a", "2026-05-19", "23:00", 2.0),
                &[],
                TODAY,
                r
            )),
            Some(INVALID_ENTRY)
        );
    }

    #[test]
    fn the_cap_is_data() {
        let mut r = Rules::builtin().clone();
        r.max_minutes_per_day = 240;
        assert_eq!(
            rule(check_activity(
                &e("a", "2026-05-19", "09:00", 5.0),
                &[],
                TODAY,
                &r
            )),
            Some(MAX_HOURS_PER_DAY)
        );
    }
}
