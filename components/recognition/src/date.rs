//! Calendar dates as `YYYY-MM-DD` strings: validation and ordering without a date library.

/// Whether `s` is a real calendar date in `YYYY-MM-DD` form.
pub fn is_valid(s: &str) -> bool {
    parse(s).is_some()
}

/// (year, month, day) of a valid date.
pub fn parse(s: &str) -> Option<(u32, u32, u32)> {
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
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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
}
