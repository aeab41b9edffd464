//! Calendar dates as `YYYY-MM-DD` strings: validation and ordering, with the calendar (month
//! lengths, leap years) left to `chrono`.

use chrono::{Datelike, NaiveDate};

/// Whether `s` is a real calendar date in `YYYY-MM-DD` form.
pub fn is_valid(s: &str) -> bool {
    parse(s).is_some()
}

/// (year, month, day) of a valid date.
pub fn parse(s: &str) -> Option<(u32, u32, u32)> {
    let d = naive(s)?;
    Some((d.year() as u32, d.month(), d.day()))
}

/// The date `s` names, if it has exactly the `YYYY-MM-DD` shape (ASCII digits, two dashes; no
/// sign, no spaces, no short fields, unlike chrono's own `%Y-%m-%d` parser) and is a real day.
fn naive(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_real_dates_only() {
        assert_eq!(parse("2026-02-28"), Some((2026, 2, 28)));
        assert!(is_valid("2028-02-29"));
        assert!(!is_valid("2026-02-29"));
        assert!(!is_valid("2026-13-01"));
        assert!(!is_valid("2026-1-01"));
        assert!(!is_valid("2026/01/01"));
        assert!(!is_valid("2026-04-31"));
        assert!(!is_valid("２０26-01-01"));
    }

    #[test]
    fn the_calendar_is_the_gregorian_one() {
        // Leap years: every 4th, but not every 100th, yet every 400th.
        assert!(is_valid("2000-02-29"));
        assert!(!is_valid("1900-02-29"));
        assert!(!is_valid("2100-02-29"));
        assert!(is_valid("2024-02-29"));
        assert!(is_valid("0000-02-29"));
        for (month, days) in [(1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30)]
            .into_iter()
            .chain([(7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31)])
        {
            let last = format!("2026-{month:02}-{days:02}");
            let after = format!("2026-{month:02}-{:02}", days + 1);
            assert_eq!(parse(&last), Some((2026, month, days)), "{last}");
            assert!(!is_valid(&after), "{after}");
        }
        assert_eq!(parse("0001-01-01"), Some((1, 1, 1)));
        assert_eq!(parse("9999-12-31"), Some((9999, 12, 31)));
        assert!(!is_valid("2026-00-10"));
        assert!(!is_valid("2026-01-00"));
    }

    #[test]
    fn only_the_exact_shape_is_a_date() {
        for s in [
            "+026-01-01",
            " 2026-1-01",
            "2026-01-1 ",
            "2026-01-+1",
            "2026-01-01T00:00",
            "20260101",
            "",
            "2026-01-0a",
        ] {
            assert!(!is_valid(s), "{s:?}");
        }
    }
}
