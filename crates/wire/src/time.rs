//! Time as the API shows it (RFC 3339, UTC) and as stored and passed over WIT (unix ms).

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

/// Korea Standard Time. Korea keeps no daylight saving, so a fixed offset is exact.
const KST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+9 is a valid offset"),
};

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Unix milliseconds as the API writes them: RFC 3339, UTC, millisecond precision.
pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// RFC 3339 (any offset) to unix milliseconds; `None` when it is not RFC 3339.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// `YYYY-MM` of a timestamp, for monthly statistics (in Korea Standard Time, UTC+9, as the
/// city reports by local month).
pub fn month_kst(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&KST)
        .format("%Y-%m")
        .to_string()
}

/// `YYYY-MM-DD` in Korea Standard Time: the local date an officer's day or a year belongs to.
pub fn date_kst(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&KST)
        .format("%Y-%m-%d")
        .to_string()
}

/// `YYYY-MM-DD HH:MM` in Korea Standard Time, as a person in the city reads a time.
pub fn kst_minute(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&KST)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_date_turns_at_midnight_in_korea() {
        // 2026-12-01T14:59:59Z is 23:59:59 in Seoul; a second later it is the 2nd there.
        assert_eq!(super::date_kst(1_796_137_199_000), "2026-12-01");
        assert_eq!(super::date_kst(1_796_137_200_000), "2026-12-02");
    }

    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let ms = parse_rfc3339("2026-11-26T10:00:00+09:00").unwrap();
        assert_eq!(to_rfc3339(ms), "2026-11-26T01:00:00.000Z");
        assert!(parse_rfc3339("yesterday").is_none());
        assert_eq!(
            month_kst(parse_rfc3339("2026-11-30T20:00:00Z").unwrap()),
            "2026-12"
        );
        assert_eq!(
            kst_minute(parse_rfc3339("2026-11-30T20:05:00Z").unwrap()),
            "2026-12-01 05:05"
        );
    }
}
