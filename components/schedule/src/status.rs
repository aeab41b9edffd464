//! Where an occurrence stands (pending, due, taken, late, missed) and adherence over a period.

use std::collections::BTreeMap;

use crate::recurrence::{RuleError, iso_week, parse_tz};

/// `schedule.status` in WIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not yet time, and not acknowledged.
    Pending,
    /// Time, within the grace period, not yet acknowledged.
    Due,
    /// Acknowledged by the end of the grace period (early included).
    Taken,
    /// Acknowledged after the grace period.
    Late,
    /// The grace period ended without an acknowledgement.
    Missed,
}

impl Status {
    /// The WIT (and JSON) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Due => "due",
            Status::Taken => "taken",
            Status::Late => "late",
            Status::Missed => "missed",
        }
    }
}

const MINUTE_MS: i64 = 60_000;

/// An acknowledgement at any time up to `occurs_at + grace` is `taken` (early counts: the
/// resident took the pill before the speaker spoke); after that it is `late`. Without one the
/// occurrence is `pending` before its time, `due` within the grace period, `missed` after.
pub fn classify(occurs_at: i64, grace_minutes: u32, acked_at: Option<i64>, now: i64) -> Status {
    let deadline = occurs_at.saturating_add(i64::from(grace_minutes) * MINUTE_MS);
    match acked_at {
        Some(a) if a <= deadline => Status::Taken,
        Some(_) => Status::Late,
        None if now < occurs_at => Status::Pending,
        None if now <= deadline => Status::Due,
        None => Status::Missed,
    }
}

/// One occurrence's facts (`schedule.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// When it was due (unix ms).
    pub occurs_at: i64,
    /// How long after that an acknowledgement still counts as taken.
    pub grace_minutes: u32,
    /// When it was acknowledged (unix ms), if it was.
    pub acked_at: Option<i64>,
}

/// Settled occurrences of one ISO week (`schedule.week-adherence`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekAdherence {
    /// The local ISO week, e.g. `2026-W48`.
    pub week: String,
    /// Occurrences taken on time.
    pub taken: u32,
    /// Occurrences acknowledged late.
    pub late: u32,
    /// Occurrences missed.
    pub missed: u32,
}

/// How a resident kept to a schedule over a period (`schedule.adherence-report`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adherence {
    /// Occurrences taken on time.
    pub taken: u32,
    /// Occurrences acknowledged late.
    pub late: u32,
    /// Occurrences missed.
    pub missed: u32,
    /// Pending or due at `now`; not in the weeks.
    pub open: u32,
    /// By ISO week in the zone given, earliest first; weeks with nothing settled are left out.
    pub weeks: Vec<WeekAdherence>,
}

/// Classifies `outcomes` at `now` and counts them, in total and by ISO week in `tz`; an error
/// names `tz` if it is not an IANA zone.
pub fn adherence(outcomes: &[Outcome], tz: &str, now: i64) -> Result<Adherence, RuleError> {
    let tz = parse_tz(tz)?;
    let mut total = Adherence::default();
    let mut weeks: BTreeMap<String, WeekAdherence> = BTreeMap::new();
    for o in outcomes {
        let status = classify(o.occurs_at, o.grace_minutes, o.acked_at, now);
        if matches!(status, Status::Pending | Status::Due) {
            total.open += 1;
            continue;
        }
        let key = iso_week(tz, o.occurs_at);
        let week = weeks.entry(key.clone()).or_insert_with(|| WeekAdherence {
            week: key,
            ..Default::default()
        });
        match status {
            Status::Taken => {
                total.taken += 1;
                week.taken += 1;
            }
            Status::Late => {
                total.late += 1;
                week.late += 1;
            }
            _ => {
                total.missed += 1;
                week.missed += 1;
            }
        }
    }
    total.weeks = weeks.into_values().collect();
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn classify_walks_the_states() {
        let at = 100 * H;
        assert_eq!(classify(at, 60, None, at - 1), Status::Pending);
        assert_eq!(classify(at, 60, None, at), Status::Due);
        assert_eq!(classify(at, 60, None, at + H), Status::Due);
        assert_eq!(classify(at, 60, None, at + H + 1), Status::Missed);
        assert_eq!(classify(at, 60, Some(at - H), at + 5 * H), Status::Taken);
        assert_eq!(classify(at, 60, Some(at + H), at + 5 * H), Status::Taken);
        assert_eq!(classify(at, 60, Some(at + H + 1), at + 5 * H), Status::Late);
        assert_eq!(classify(at, 0, None, at + 1), Status::Missed);
    }

    #[test]
    fn adherence_by_local_iso_week() {
        // 2026-01-04 is a Sunday; 23:30 UTC is Monday 08:30 in Seoul (week 2).
        let sun = chrono::DateTime::parse_from_rfc3339("2026-01-04T08:30:00+09:00")
            .unwrap()
            .timestamp_millis();
        let mon = sun + 24 * H;
        let now = mon + 48 * H;
        let o = |occurs_at, acked_at| Outcome {
            occurs_at,
            grace_minutes: 30,
            acked_at,
        };
        let a = adherence(
            &[
                o(sun, Some(sun + 60_000)),
                o(sun + 12 * H, None),
                o(mon, Some(mon + 2 * H)),
                o(now + H, None),
            ],
            "",
            now,
        )
        .unwrap();
        assert_eq!((a.taken, a.late, a.missed, a.open), (1, 1, 1, 1));
        assert_eq!(
            a.weeks,
            vec![
                WeekAdherence {
                    week: "2026-W01".into(),
                    taken: 1,
                    late: 0,
                    missed: 1
                },
                WeekAdherence {
                    week: "2026-W02".into(),
                    taken: 0,
                    late: 1,
                    missed: 0
                },
            ]
        );
        assert_eq!(adherence(&[], "Nowhere/Here", 0).unwrap_err().field, "tz");
    }
}
