//! Time as the API shows it (RFC 3339, UTC) and as stored and passed over WIT (unix ms).

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// `YYYY-MM` of a timestamp, for monthly statistics (in Korea Standard Time, UTC+9, as the
/// city reports by local month).
pub fn month_kst(ms: i64) -> String {
    to_rfc3339(ms + 9 * 3_600_000)[..7].to_string()
}

#[cfg(test)]
mod tests {
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
    }
}
