//! DC-09 timestamps (`_HH:MM:SS,MM-DD-YYYY`, always UTC) and the
//! acceptance window from DESIGN §4: more than 40 s behind or 20 s ahead of
//! our clock is answered with NAK.

use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc};

/// Oldest accepted timestamp relative to our clock.
pub const MAX_BEHIND: TimeDelta = TimeDelta::seconds(40);
/// Newest accepted timestamp relative to our clock.
pub const MAX_AHEAD: TimeDelta = TimeDelta::seconds(20);
/// `_HH:MM:SS,MM-DD-YYYY`
pub const TIMESTAMP_LEN: usize = 20;

/// A timestamp outside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// More than [`MAX_BEHIND`] behind our clock.
    #[error("timestamp {behind_secs} s behind our clock (limit 40 s)")]
    TooOld {
        /// Seconds behind.
        behind_secs: i64,
    },
    /// More than [`MAX_AHEAD`] ahead of our clock.
    #[error("timestamp {ahead_secs} s ahead of our clock (limit 20 s)")]
    TooNew {
        /// Seconds ahead.
        ahead_secs: i64,
    },
}

/// Checks `ts` against `now` (truncated to whole seconds, the resolution of
/// the wire format). Exactly 40 s behind or 20 s ahead is still accepted.
pub fn check_time(now: DateTime<Utc>, ts: DateTime<Utc>) -> Result<(), TimeError> {
    let now = now.with_nanosecond(0).unwrap_or(now);
    let diff = now - ts;
    if diff > MAX_BEHIND {
        Err(TimeError::TooOld {
            behind_secs: diff.num_seconds(),
        })
    } else if -diff > MAX_AHEAD {
        Err(TimeError::TooNew {
            ahead_secs: (-diff).num_seconds(),
        })
    } else {
        Ok(())
    }
}

fn two(b: &[u8]) -> Option<u32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// Parses `HH:MM:SS,MM-DD-YYYY`, with or without the leading `_`.
pub fn parse_timestamp(s: &[u8]) -> Option<DateTime<Utc>> {
    let s = s.strip_prefix(b"_").unwrap_or(s);
    if s.len() != TIMESTAMP_LEN - 1
        || s[2] != b':'
        || s[5] != b':'
        || s[8] != b','
        || s[11] != b'-'
        || s[14] != b'-'
    {
        return None;
    }
    let (h, mi, sec) = (two(&s[0..2])?, two(&s[3..5])?, two(&s[6..8])?);
    let (mo, d) = (two(&s[9..11])?, two(&s[12..14])?);
    let y = two(&s[15..17])? * 100 + two(&s[17..19])?;
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    // from_hms_opt rejects 24:xx, xx:60 and leap seconds.
    Some(date.and_hms_opt(h, mi, sec)?.and_utc())
}

/// Formats `_HH:MM:SS,MM-DD-YYYY` (UTC, sub-seconds dropped).
pub fn format_timestamp(ts: DateTime<Utc>) -> [u8; TIMESTAMP_LEN] {
    use chrono::Datelike;
    let mut o = *b"_00:00:00,00-00-0000";
    let put = |o: &mut [u8], at: usize, v: u32| {
        o[at] = b'0' + (v / 10 % 10) as u8;
        o[at + 1] = b'0' + (v % 10) as u8;
    };
    put(&mut o, 1, ts.hour());
    put(&mut o, 4, ts.minute());
    put(&mut o, 7, ts.second());
    put(&mut o, 10, ts.month());
    put(&mut o, 13, ts.day());
    let y = ts.year().clamp(0, 9999) as u32;
    put(&mut o, 16, y / 100);
    put(&mut o, 18, y % 100);
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parse_and_format_round_trip() {
        let ts = Utc.with_ymd_and_hms(2024, 2, 29, 23, 5, 9).unwrap();
        assert_eq!(&format_timestamp(ts), b"_23:05:09,02-29-2024");
        assert_eq!(parse_timestamp(b"_23:05:09,02-29-2024"), Some(ts));
        assert_eq!(parse_timestamp(b"23:05:09,02-29-2024"), Some(ts));
    }

    #[test]
    fn parse_rejects_invalid() {
        for bad in [
            &b"_24:00:00,01-01-2025"[..],
            b"_12:60:00,01-01-2025",
            b"_12:00:60,01-01-2025",
            b"_12:00:00,13-01-2025",
            b"_12:00:00,02-29-2025",
            b"_12:00:00,00-10-2025",
            b"_12-00-00,01-01-2025",
            b"_12:00:00 01-01-2025",
            b"_1:00:00,01-01-2025",
            b"_12:00:00,01-01-25",
            b"_+1:00:00,01-01-2025",
            b"",
        ] {
            assert_eq!(
                parse_timestamp(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn window_is_minus_40_plus_20() {
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let at = |s: i64| check_time(now, now + TimeDelta::seconds(s));
        assert_eq!(at(0), Ok(()));
        assert_eq!(at(-40), Ok(()));
        assert_eq!(at(20), Ok(()));
        assert_eq!(at(-41), Err(TimeError::TooOld { behind_secs: 41 }));
        assert_eq!(at(21), Err(TimeError::TooNew { ahead_secs: 21 }));
        assert_eq!(
            at(-86_400),
            Err(TimeError::TooOld {
                behind_secs: 86_400
            })
        );
    }
}
