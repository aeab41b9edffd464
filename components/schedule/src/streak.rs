//! When missed reminders call for a person: a schedule's latest occurrences, all delivered and
//! all missed, none escalated yet.

/// One acknowledgement-needing occurrence as the streak sees it (`schedule.streak-entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreakEntry {
    /// The caller's id for the occurrence, handed back when the streak covers it.
    pub id: String,
    /// The speaker was handed the reminder. One never delivered (no speaker, bridge down)
    /// breaks the streak: the resident was not reminded, so its miss says nothing about them.
    pub delivered: bool,
    /// Marked missed: its grace period ended without an acknowledgement, so one acknowledged
    /// in time breaks the streak.
    pub missed: bool,
    /// Already tied to an incident by an earlier streak, which a new one must not raise again.
    pub escalated: bool,
}

/// The occurrences to escalate, if the latest `misses_to_escalate` of `latest` (newest first)
/// were all delivered, all missed and none escalated yet; `None` otherwise, and always for
/// a threshold of 0 (the schedule never escalates) or fewer occurrences than the threshold.
/// Entries past the threshold are not looked at: an older miss neither starts nor breaks the
/// run that counts.
pub fn missed_streak(latest: &[StreakEntry], misses_to_escalate: u32) -> Option<Vec<String>> {
    let n = misses_to_escalate as usize;
    if n == 0 || latest.len() < n {
        return None;
    }
    let run = &latest[..n];
    run.iter()
        .all(|e| e.delivered && e.missed && !e.escalated)
        .then(|| run.iter().map(|e| e.id.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Newest first: `m` missed, `t` taken (acknowledged in time), `u` missed but never
    /// delivered, `e` missed and already escalated.
    fn latest(pattern: &str) -> Vec<StreakEntry> {
        pattern
            .chars()
            .enumerate()
            .map(|(i, c)| StreakEntry {
                id: format!("d{i}"),
                delivered: c != 'u',
                missed: c != 't',
                escalated: c == 'e',
            })
            .collect()
    }

    fn ids(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn the_latest_misses_in_a_row_escalate_and_are_named() {
        assert_eq!(missed_streak(&latest("mm"), 2), ids(&["d0", "d1"]));
        assert_eq!(missed_streak(&latest("m"), 1), ids(&["d0"]));
        assert_eq!(missed_streak(&latest("mmm"), 3), ids(&["d0", "d1", "d2"]));
    }

    #[test]
    fn an_acknowledgement_breaks_the_streak() {
        assert_eq!(missed_streak(&latest("mt"), 2), None);
        assert_eq!(missed_streak(&latest("tm"), 2), None);
        assert_eq!(missed_streak(&latest("mtm"), 3), None);
    }

    #[test]
    fn an_undelivered_reminder_breaks_the_streak() {
        assert_eq!(missed_streak(&latest("mu"), 2), None);
        assert_eq!(missed_streak(&latest("um"), 2), None);
    }

    #[test]
    fn a_streak_escalates_once() {
        assert_eq!(missed_streak(&latest("ee"), 2), None);
        // One new miss after an escalated streak is not a new streak of two.
        assert_eq!(missed_streak(&latest("me"), 2), None);
    }

    #[test]
    fn fewer_occurrences_than_the_threshold_never_escalate() {
        assert_eq!(missed_streak(&latest(""), 2), None);
        assert_eq!(missed_streak(&latest("m"), 2), None);
        assert_eq!(missed_streak(&latest("mm"), 3), None);
    }

    #[test]
    fn a_threshold_of_zero_never_escalates() {
        assert_eq!(missed_streak(&latest(""), 0), None);
        assert_eq!(missed_streak(&latest("mm"), 0), None);
    }

    #[test]
    fn only_the_latest_threshold_occurrences_count() {
        // Older ones, taken, undelivered or escalated, do not matter.
        assert_eq!(missed_streak(&latest("mmt"), 2), ids(&["d0", "d1"]));
        assert_eq!(missed_streak(&latest("mmue"), 2), ids(&["d0", "d1"]));
        assert_eq!(missed_streak(&latest("tmm"), 2), None);
    }
}
