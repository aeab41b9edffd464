//! RFC 5545 recurrence in the resident's time zone, on the `rrule` crate.
//!
//! The text a schedule stores is a few content lines: one `RRULE` (a bare `FREQ=...` is accepted
//! too), optionally `DTSTART` and `EXDATE`. We read DTSTART, EXDATE and a floating UNTIL
//! ourselves, because the crate would read a floating time (no `Z`, no `TZID`) in the machine's
//! local zone; here it is read in the schedule's zone (default Asia/Seoul). A schedule's
//! `start` stands in for DTSTART when the rule has none, and `end` cuts the series off.
//!
//! Reminders are at most hourly: `FREQ=MINUTELY`/`SECONDLY` are refused, so a poll never walks
//! thousands of instants. For the common open-ended daily and weekly rules, expansion restarts
//! from a whole number of periods before the window instead of from DTSTART (see [`rebase`]), so
//! a schedule that has run for years costs what a new one costs.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rrule::{Frequency, RRule, RRuleSet, Tz, Unvalidated};
use std::fmt;
use std::str::FromStr;

/// The zone used when a schedule names none.
pub const DEFAULT_TZ: &str = "Asia/Seoul";

/// At most this many occurrences are returned by one [`Compiled::between`] call.
pub const MAX_OCCURRENCES: usize = 10_000;

/// A recurrence as stored with a reminder schedule (`schedule.recurrence` in WIT).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recurrence {
    /// The content lines: one `RRULE` (or bare `FREQ=…`), optionally `DTSTART` and `EXDATE`.
    pub rule: String,
    /// IANA name; empty = [`DEFAULT_TZ`].
    pub tz: String,
    /// Unix ms: DTSTART (as wall time in `tz`) when the rule has none.
    pub start: Option<i64>,
    /// Unix ms: no occurrence after this.
    pub end: Option<i64>,
}

/// What is wrong with a recurrence, naming the field (`rule`, `tz`, `start`, `end`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The field at fault: `rule`, `tz`, `start` or `end`.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl RuleError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        RuleError {
            field,
            message: message.into(),
        }
    }
    fn rule(message: impl Into<String>) -> Self {
        Self::new("rule", message)
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for RuleError {}

/// Parses an IANA zone name (empty = Asia/Seoul).
pub fn parse_tz(name: &str) -> Result<chrono_tz::Tz, RuleError> {
    let name = name.trim();
    let name = if name.is_empty() { DEFAULT_TZ } else { name };
    chrono_tz::Tz::from_str(name).map_err(|_| {
        RuleError::new(
            "tz",
            format!("unknown time zone {name:?}; use an IANA name such as Asia/Seoul"),
        )
    })
}

/// A checked recurrence, ready to expand.
#[derive(Debug, Clone)]
pub struct Compiled {
    dt_start: DateTime<Tz>,
    rrule: RRule<Unvalidated>,
    exdates: Vec<DateTime<Tz>>,
    /// Restarting from a later DTSTART gives the same occurrences (see [`rebase`]): the period
    /// length in days, when that holds.
    rebase_days: Option<i64>,
    end: Option<i64>,
    /// The zone the rule is read in.
    pub tz: chrono_tz::Tz,
}

/// Checks and prepares a recurrence.
pub fn compile(r: &Recurrence) -> Result<Compiled, RuleError> {
    let tz = parse_tz(&r.tz)?;
    let zone = Tz::Tz(tz);
    if let (Some(s), Some(e)) = (r.start, r.end)
        && e < s
    {
        return Err(RuleError::new("end", "must not be before start"));
    }

    let mut rrule_text: Option<String> = None;
    let mut dtstart: Option<DateTime<Tz>> = None;
    let mut exdates = Vec::new();
    for raw in r.rule.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("FREQ=") {
            set_once(&mut rrule_text, line.to_string(), "RRULE")?;
            continue;
        }
        let split = line.find([':', ';']).unwrap_or(line.len());
        let name = upper[..split].to_string();
        let rest = &line[split..];
        let (params, value) = match rest.find(':') {
            Some(i) => (&rest[..i], rest[i + 1..].trim()),
            None => return Err(RuleError::rule(format!("{name}: expected `{name}:value`"))),
        };
        let params = params.trim_start_matches(';');
        match name.as_str() {
            "RRULE" => set_once(&mut rrule_text, value.to_string(), "RRULE")?,
            "DTSTART" => {
                if dtstart.is_some() {
                    return Err(RuleError::rule("DTSTART: given twice"));
                }
                let zone = param_zone(params, zone, tz, "DTSTART")?;
                dtstart = Some(parse_value(value, zone, "DTSTART")?);
            }
            "EXDATE" => {
                let zone = param_zone(params, zone, tz, "EXDATE")?;
                for v in value.split(',') {
                    exdates.push(parse_value(v.trim(), zone, "EXDATE")?);
                }
            }
            other => {
                return Err(RuleError::rule(format!(
                    "{other}: unsupported; use RRULE, DTSTART and EXDATE lines"
                )));
            }
        }
    }
    let rrule_text = rrule_text.ok_or_else(|| {
        RuleError::rule("an RRULE is required, e.g. RRULE:FREQ=DAILY;BYHOUR=9;BYMINUTE=0")
    })?;

    let rrule_text = floating_until_to_utc(&rrule_text, dtstart.map_or(zone, |d| d.timezone()))?;
    let rrule: RRule<Unvalidated> = rrule_text
        .parse()
        .map_err(|e: rrule::RRuleError| RuleError::rule(clean(&e.to_string())))?;
    if matches!(rrule.get_freq(), Frequency::Minutely | Frequency::Secondly) {
        return Err(RuleError::rule(
            "FREQ: reminders repeat at most hourly (HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY)",
        ));
    }
    let dt_start = match dtstart {
        Some(d) => d,
        None => {
            let start = r.start.ok_or_else(|| {
                RuleError::new("start", "required when the rule has no DTSTART line")
            })?;
            let utc = DateTime::<Utc>::from_timestamp_millis(start - start.rem_euclid(1000))
                .ok_or_else(|| RuleError::new("start", "out of range"))?;
            utc.with_timezone(&zone)
        }
    };

    // Validated once here; expansion validates again against a possibly later DTSTART.
    rrule
        .clone()
        .validate(dt_start)
        .map_err(|e| RuleError::rule(clean(&e.to_string())))?;

    let rebase_days = rebase_period_days(&rrule);
    Ok(Compiled {
        dt_start,
        rrule,
        exdates,
        rebase_days,
        end: r.end,
        tz,
    })
}

fn set_once(slot: &mut Option<String>, v: String, what: &str) -> Result<(), RuleError> {
    if slot.is_some() {
        return Err(RuleError::rule(format!(
            "{what}: only one is supported per schedule"
        )));
    }
    *slot = Some(v);
    Ok(())
}

/// The crate's messages start with "RRule parsing error: "; the field already says it is the rule.
fn clean(msg: &str) -> String {
    msg.trim_start_matches("RRule parsing error: ")
        .trim_start_matches("RRule validation error: ")
        .to_string()
}

/// The zone a DTSTART/EXDATE value is read in: its `TZID` parameter, else the schedule's.
fn param_zone(params: &str, default: Tz, tz: chrono_tz::Tz, prop: &str) -> Result<Tz, RuleError> {
    for p in params.split(';').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        match k.to_ascii_uppercase().as_str() {
            "TZID" => {
                let named = chrono_tz::Tz::from_str(v)
                    .map_err(|_| RuleError::rule(format!("{prop}: unknown TZID {v:?}")))?;
                if named != tz {
                    return Err(RuleError::new(
                        "tz",
                        format!(
                            "{} differs from the rule's {prop};TZID={v}; give the same zone in both",
                            tz.name()
                        ),
                    ));
                }
                return Ok(Tz::Tz(named));
            }
            "VALUE" => {}
            other => {
                return Err(RuleError::rule(format!(
                    "{prop}: unsupported parameter {other}"
                )));
            }
        }
    }
    Ok(default)
}

/// `YYYYMMDD`, `YYYYMMDDTHHMMSS` (in `zone`) or `YYYYMMDDTHHMMSSZ` (UTC).
fn parse_value(v: &str, zone: Tz, prop: &str) -> Result<DateTime<Tz>, RuleError> {
    let bad = || {
        RuleError::rule(format!(
            "{prop}: {v:?} is not a date-time like 20261126T090000 (or ...Z for UTC)"
        ))
    };
    if let Some(utc) = v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
        return Ok(Utc.from_utc_datetime(&naive).with_timezone(&zone));
    }
    let naive = if v.len() == 8 {
        NaiveDate::parse_from_str(v, "%Y%m%d")
            .map_err(|_| bad())?
            .and_hms_opt(0, 0, 0)
            .ok_or_else(bad)?
    } else {
        NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| bad())?
    };
    local(zone, naive).ok_or_else(|| {
        RuleError::rule(format!(
            "{prop}: {v} does not exist in {} (skipped by a clock change)",
            zone.name()
        ))
    })
}

/// A wall time in `zone`; the earlier instant when a clock change makes it ambiguous.
fn local(zone: Tz, naive: NaiveDateTime) -> Option<DateTime<Tz>> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(d) => Some(d),
        LocalResult::Ambiguous(a, _) => Some(a),
        LocalResult::None => None,
    }
}

/// RFC 5545 wants UNTIL in UTC when DTSTART has a zone; a floating UNTIL (easier to write) is
/// read in that zone and rewritten in UTC. A date-only UNTIL means the end of that day.
fn floating_until_to_utc(rule: &str, zone: Tz) -> Result<String, RuleError> {
    let body = rule
        .strip_prefix("RRULE:")
        .or_else(|| rule.strip_prefix("rrule:"))
        .unwrap_or(rule);
    let parts: Vec<String> = body
        .split(';')
        .map(|part| {
            let Some((k, v)) = part.split_once('=') else {
                return Ok(part.to_string());
            };
            if !k.eq_ignore_ascii_case("UNTIL") || v.ends_with(['Z', 'z']) {
                return Ok(part.to_string());
            }
            let instant = if v.len() == 8 {
                let day = NaiveDate::parse_from_str(v, "%Y%m%d")
                    .map_err(|_| RuleError::rule(format!("UNTIL: {v:?} is not a date")))?;
                local(zone, day.and_hms_opt(23, 59, 59).expect("valid time"))
            } else {
                let naive = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| {
                    RuleError::rule(format!(
                        "UNTIL: {v:?} is not a date-time like 20261231T235959"
                    ))
                })?;
                local(zone, naive)
            }
            .ok_or_else(|| RuleError::rule(format!("UNTIL: {v} does not exist in this zone")))?;
            Ok(format!(
                "UNTIL={}",
                instant.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ")
            ))
        })
        .collect::<Result<_, RuleError>>()?;
    Ok(parts.join(";"))
}

/// Days per period when restarting the series a whole number of periods later cannot change
/// which instants follow: open-ended (no COUNT) DAILY or WEEKLY rules without BYSETPOS,
/// BYWEEKNO or BYYEARDAY. BYHOUR/BYMINUTE/BYSECOND/BYDAY defaults come from DTSTART's wall
/// time and weekday, which a shift by whole periods keeps.
fn rebase_period_days(r: &RRule<Unvalidated>) -> Option<i64> {
    if r.get_count().is_some()
        || !r.get_by_set_pos().is_empty()
        || !r.get_by_week_no().is_empty()
        || !r.get_by_year_day().is_empty()
    {
        return None;
    }
    let days = match r.get_freq() {
        Frequency::Daily => 1,
        Frequency::Weekly => 7,
        _ => return None,
    };
    Some(days * i64::from(r.get_interval().max(1)))
}

impl Compiled {
    /// DTSTART moved forward by whole periods to at most a period before `t` (same wall time).
    fn rebase(&self, t: i64) -> DateTime<Tz> {
        let Some(period) = self.rebase_days else {
            return self.dt_start;
        };
        let zone = self.dt_start.timezone();
        let Some(target) = DateTime::<Utc>::from_timestamp_millis(t) else {
            return self.dt_start;
        };
        let start_day = self.dt_start.date_naive();
        let target_day = target.with_timezone(&zone).date_naive();
        let periods = (target_day - start_day).num_days().div_euclid(period) - 1;
        if periods <= 0 {
            return self.dt_start;
        }
        let naive = self.dt_start.naive_local() + Duration::days(periods * period);
        match zone.from_local_datetime(&naive) {
            LocalResult::Single(d) => d,
            // A clock change at that wall time: expanding from the true start is always right.
            _ => self.dt_start,
        }
    }

    fn set(&self, from: i64) -> RRuleSet {
        let rebased = self.rebase(from);
        // A rebased start can fail validation only past UNTIL (then nothing follows anyway);
        // fall back to the true start, which `compile` validated.
        let (start, rrule) = match self.rrule.clone().validate(rebased) {
            Ok(r) => (rebased, Ok(r)),
            Err(_) => (self.dt_start, self.rrule.clone().validate(self.dt_start)),
        };
        let mut set = RRuleSet::new(start)
            .set_exdates(self.exdates.clone())
            .limit();
        if let Ok(r) = rrule {
            set = set.rrule(r);
        }
        set
    }

    /// Occurrences with `from <= t <= to` (unix ms), earliest first, at most `limit`.
    pub fn between(&self, from: i64, to: i64, limit: usize) -> Vec<i64> {
        let to = self.end.map_or(to, |e| e.min(to));
        let mut out = Vec::new();
        if to < from {
            return out;
        }
        for d in &self.set(from) {
            let ms = d.timestamp_millis();
            if ms > to || out.len() >= limit.min(MAX_OCCURRENCES) {
                break;
            }
            if ms >= from {
                out.push(ms);
            }
        }
        out
    }

    /// The first occurrence strictly after `t`.
    pub fn next_after(&self, t: i64) -> Option<i64> {
        let set = self.set(t.saturating_add(1));
        let ms = (&set)
            .into_iter()
            .map(|d| d.timestamp_millis())
            .find(|&ms| ms > t)?;
        match self.end {
            Some(e) if ms > e => None,
            _ => Some(ms),
        }
    }

    /// The first occurrence at or after `t`.
    pub fn first_from(&self, t: i64) -> Option<i64> {
        self.next_after(t.saturating_sub(1))
    }

    /// DTSTART as unix ms.
    pub fn dt_start_ms(&self) -> i64 {
        self.dt_start.timestamp_millis()
    }

    /// The local ISO week (`2026-W48`) of an instant in this recurrence's zone.
    pub fn iso_week(&self, ms: i64) -> String {
        iso_week(self.tz, ms)
    }
}

/// `YYYY-Www` of an instant in `tz`.
pub fn iso_week(tz: chrono_tz::Tz, ms: i64) -> String {
    let d = DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz);
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn rfc(ms: i64) -> String {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&chrono_tz::Asia::Seoul)
            .to_rfc3339()
    }

    fn rec(rule: &str) -> Recurrence {
        Recurrence {
            rule: rule.into(),
            ..Default::default()
        }
    }

    #[test]
    fn floating_dtstart_is_seoul_by_default() {
        let c = compile(&rec("DTSTART:20261126T090000\nRRULE:FREQ=DAILY;COUNT=3")).unwrap();
        let got: Vec<String> = c
            .between(0, i64::MAX / 2, 10)
            .into_iter()
            .map(rfc)
            .collect();
        assert_eq!(
            got,
            [
                "2026-11-26T09:00:00+09:00",
                "2026-11-27T09:00:00+09:00",
                "2026-11-28T09:00:00+09:00"
            ]
        );
    }

    #[test]
    fn start_stands_in_for_dtstart_and_end_cuts_off() {
        let r = Recurrence {
            rule: "RRULE:FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0".into(),
            tz: String::new(),
            start: Some(ms("2026-12-30T00:00:00+09:00")),
            end: Some(ms("2027-01-01T12:00:00+09:00")),
        };
        let c = compile(&r).unwrap();
        let got: Vec<String> = c
            .between(0, i64::MAX / 2, 100)
            .into_iter()
            .map(rfc)
            .collect();
        assert_eq!(
            got,
            [
                "2026-12-30T08:00:00+09:00",
                "2026-12-30T20:00:00+09:00",
                "2026-12-31T08:00:00+09:00",
                "2026-12-31T20:00:00+09:00",
                "2027-01-01T08:00:00+09:00",
            ]
        );
        assert_eq!(c.next_after(ms("2027-01-01T08:00:00+09:00")), None);
    }

    #[test]
    fn exdate_and_floating_until() {
        let c = compile(&rec(
            "DTSTART:20260105T073000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20260122T073000\nEXDATE:20260108T073000",
        ))
        .unwrap();
        let got: Vec<String> = c
            .between(0, i64::MAX / 2, 100)
            .into_iter()
            .map(rfc)
            .collect();
        assert_eq!(
            got,
            [
                "2026-01-05T07:30:00+09:00",
                "2026-01-12T07:30:00+09:00",
                "2026-01-15T07:30:00+09:00",
                "2026-01-19T07:30:00+09:00",
                "2026-01-22T07:30:00+09:00",
            ]
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = compile(&rec("DTSTART:20261126T090000\nRRULE:FREQ=DAILY;BYHOUR=25")).unwrap_err();
        assert_eq!(e.field, "rule");
        assert!(e.message.contains("BYHOUR"), "{e}");
        let e = compile(&rec("RRULE:FREQ=SOMETIMES")).unwrap_err();
        assert_eq!(e.field, "rule", "{e}");
        let e = compile(&rec("RRULE:FREQ=DAILY")).unwrap_err();
        assert_eq!(e.field, "start");
        let e = compile(&Recurrence {
            rule: "DTSTART:20261126T090000\nRRULE:FREQ=DAILY".into(),
            tz: "Mars/Olympus".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "tz");
        let e = compile(&rec("DTSTART:20261126T090000\nRRULE:FREQ=MINUTELY")).unwrap_err();
        assert!(e.message.contains("hourly"), "{e}");
        let e = compile(&Recurrence {
            rule: "DTSTART;TZID=Europe/Paris:20261126T090000\nRRULE:FREQ=DAILY".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "tz");
        let e = compile(&rec("DTSTART:2026-11-26\nRRULE:FREQ=DAILY")).unwrap_err();
        assert!(e.message.starts_with("DTSTART"), "{e}");
        let e = compile(&rec("RDATE:20261126T090000\nRRULE:FREQ=DAILY")).unwrap_err();
        assert!(e.message.starts_with("RDATE"), "{e}");
    }

    /// Restarting from a later DTSTART must not change a single instant.
    #[test]
    fn rebase_matches_full_expansion() {
        let rules = [
            "DTSTART:20230101T090000\nRRULE:FREQ=DAILY",
            "DTSTART:20230101T090000\nRRULE:FREQ=DAILY;INTERVAL=3;BYHOUR=9,21;BYMINUTE=15",
            "DTSTART:20230103T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
            "DTSTART:20230103T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TU,SU",
            "DTSTART:20230131T080000\nRRULE:FREQ=DAILY;BYMONTHDAY=31,1",
            "DTSTART:20230101T080000\nRRULE:FREQ=WEEKLY\nEXDATE:20260107T080000",
        ];
        for rule in rules {
            for tz in ["Asia/Seoul", "America/New_York", "Europe/London"] {
                let c = compile(&Recurrence {
                    rule: rule.into(),
                    tz: tz.into(),
                    ..Default::default()
                })
                .unwrap();
                assert!(c.rebase_days.is_some());
                let from = ms("2025-12-20T00:00:00Z");
                let to = ms("2026-03-20T00:00:00Z");
                let mut full = Vec::new();
                let set = RRuleSet::new(c.dt_start)
                    .set_exdates(c.exdates.clone())
                    .rrule(c.rrule.clone().validate(c.dt_start).unwrap());
                for d in &set {
                    let m = d.timestamp_millis();
                    if m > to {
                        break;
                    }
                    if m >= from {
                        full.push(m);
                    }
                }
                assert!(!full.is_empty());
                assert_eq!(c.between(from, to, 10_000), full, "{rule} in {tz}");
                assert_eq!(c.first_from(from), full.first().copied(), "{rule} in {tz}");
            }
        }
    }

    #[test]
    fn iso_weeks_are_local() {
        // Sunday 2026-01-04 20:00 UTC is Monday 05:00 in Seoul: week 2 there, week 1 in UTC.
        let t = ms("2026-01-04T20:00:00Z");
        assert_eq!(iso_week(chrono_tz::Asia::Seoul, t), "2026-W02");
        assert_eq!(iso_week(chrono_tz::UTC, t), "2026-W01");
        // 2027-01-01 is a Friday: still week 53 of 2026.
        assert_eq!(
            iso_week(chrono_tz::Asia::Seoul, ms("2027-01-01T09:00:00+09:00")),
            "2026-W53"
        );
    }
}
