//! Our RRULE expansion against an independent implementation: python-dateutil's `rrule`
//! (tests/python/rrule_dateutil.py, run in the repo's `.venv`, which `.ci/run` creates).
//!
//! The corpus is the RFC 5545 §3.8.5.3 examples (all but the MINUTELY ones, which reminders
//! refuse) and Asia/Seoul rules across month, year and leap-day boundaries, plus a few
//! America/New_York rules across daylight-saving changes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use safetynet_schedule::{Recurrence, compile};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_millis()
}

const NY: &str = "America/New_York";
const SEOUL: &str = "Asia/Seoul";

/// (label, zone, rule text, window end)
fn corpus() -> Vec<(&'static str, &'static str, String, &'static str)> {
    let ny =
        |start: &str, rule: &str| format!("DTSTART;TZID=America/New_York:{start}\nRRULE:{rule}");
    let seoul = |start: &str, rule: &str| format!("DTSTART:{start}\nRRULE:{rule}");
    let end97 = "2001-01-01T00:00:00Z";
    vec![
        ("rfc daily x10", NY, ny("19970902T090000", "FREQ=DAILY;COUNT=10"), end97),
        ("rfc daily until", NY, ny("19970902T090000", "FREQ=DAILY;UNTIL=19971224T000000Z"), end97),
        ("rfc every other day", NY, ny("19970902T090000", "FREQ=DAILY;INTERVAL=2"), "1997-12-31T00:00:00Z"),
        ("rfc every 10 days x5", NY, ny("19970902T090000", "FREQ=DAILY;INTERVAL=10;COUNT=5"), end97),
        ("rfc january yearly", NY, ny("19980101T090000", "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA"), end97),
        ("rfc january daily", NY, ny("19980101T090000", "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1"), end97),
        ("rfc weekly x10", NY, ny("19970902T090000", "FREQ=WEEKLY;COUNT=10"), end97),
        ("rfc weekly until", NY, ny("19970902T090000", "FREQ=WEEKLY;UNTIL=19971224T000000Z"), end97),
        ("rfc every other week", NY, ny("19970902T090000", "FREQ=WEEKLY;INTERVAL=2;WKST=SU"), "1998-03-01T00:00:00Z"),
        ("rfc tu/th until", NY, ny("19970902T090000", "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH"), end97),
        ("rfc tu/th x10", NY, ny("19970902T090000", "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH"), end97),
        ("rfc mo/we/fr fortnightly", NY, ny("19970901T090000", "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR"), end97),
        ("rfc tu/th fortnightly x8", NY, ny("19970902T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH"), end97),
        ("rfc first friday x10", NY, ny("19970905T090000", "FREQ=MONTHLY;COUNT=10;BYDAY=1FR"), end97),
        ("rfc first friday until", NY, ny("19970905T090000", "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR"), end97),
        ("rfc first/last sunday", NY, ny("19970907T090000", "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU"), end97),
        ("rfc second-to-last monday", NY, ny("19970922T090000", "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO"), end97),
        ("rfc third-to-last day", NY, ny("19970928T090000", "FREQ=MONTHLY;BYMONTHDAY=-3"), "1998-06-01T00:00:00Z"),
        ("rfc 2nd and 15th", NY, ny("19970902T090000", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15"), end97),
        ("rfc first and last day", NY, ny("19970930T090000", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1"), end97),
        ("rfc every 18 months", NY, ny("19970910T090000", "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15"), end97),
        ("rfc tuesdays every other month", NY, ny("19970902T090000", "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU"), "1998-04-01T00:00:00Z"),
        ("rfc june/july", NY, ny("19970610T090000", "FREQ=YEARLY;COUNT=10;BYMONTH=6,7"), "2003-01-01T00:00:00Z"),
        ("rfc jan-mar every other year", NY, ny("19970310T090000", "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3"), "2004-01-01T00:00:00Z"),
        ("rfc yeardays every 3 years", NY, ny("19970101T090000", "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200"), "2007-01-01T00:00:00Z"),
        ("rfc 20th monday", NY, ny("19970519T090000", "FREQ=YEARLY;BYDAY=20MO"), end97),
        ("rfc week 20 monday", NY, ny("19970512T090000", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO"), end97),
        ("rfc thursdays in march", NY, ny("19970313T090000", "FREQ=YEARLY;BYMONTH=3;BYDAY=TH"), "2000-01-01T00:00:00Z"),
        ("rfc summer thursdays", NY, ny("19970605T090000", "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8"), "1999-01-01T00:00:00Z"),
        (
            "rfc friday 13th",
            NY,
            "DTSTART;TZID=America/New_York:19970902T090000\nEXDATE;TZID=America/New_York:19970902T090000\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13".into(),
            "2000-12-31T00:00:00Z",
        ),
        ("rfc saturday after first sunday", NY, ny("19970913T090000", "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13"), "1998-07-01T00:00:00Z"),
        ("rfc election day", NY, ny("19961105T090000", "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8"), "2010-01-01T00:00:00Z"),
        ("rfc 3rd of tu/we/th", NY, ny("19970904T090000", "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"), end97),
        ("rfc second-to-last weekday", NY, ny("19970929T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2"), "1998-06-01T00:00:00Z"),
        ("rfc every 3 hours", NY, ny("19970902T090000", "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z"), end97),
        ("rfc wkst mo", NY, ny("19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO"), end97),
        ("rfc wkst su", NY, ny("19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"), end97),
        ("rfc no feb 30", NY, ny("20070115T090000", "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5"), "2008-01-01T00:00:00Z"),
        // Asia/Seoul, floating times read in the schedule's zone.
        ("seoul 3 a day over new year", SEOUL, seoul("20261230T080000", "FREQ=DAILY;BYHOUR=8,13,20;BYMINUTE=0"), "2027-01-03T00:00:00+09:00"),
        ("seoul 31st monthly", SEOUL, seoul("20260131T090000", "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=8"), "2028-01-01T00:00:00+09:00"),
        ("seoul month ends", SEOUL, seoul("20260131T090000", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=14"), "2028-01-01T00:00:00+09:00"),
        ("seoul mo/we/fr floating until", SEOUL, seoul("20261228T073000", "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20270115T235959"), "2028-01-01T00:00:00+09:00"),
        ("seoul every 2 days", SEOUL, seoul("20261201T210000", "FREQ=DAILY;INTERVAL=2;COUNT=20"), "2028-01-01T00:00:00+09:00"),
        ("seoul fortnightly th/su", SEOUL, seoul("20261225T090000", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,SU;WKST=SU;COUNT=10"), "2028-01-01T00:00:00+09:00"),
        ("seoul last friday", SEOUL, seoul("20261101T100000", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6"), "2028-01-01T00:00:00+09:00"),
        ("seoul 5-hourly at midnight", SEOUL, seoul("20261231T233000", "FREQ=HOURLY;INTERVAL=5;COUNT=12"), "2028-01-01T00:00:00+09:00"),
        (
            "seoul exdates over new year",
            SEOUL,
            "DTSTART:20261226T090000\nRRULE:FREQ=DAILY;COUNT=12\nEXDATE:20261231T090000,20270101T090000".into(),
            "2028-01-01T00:00:00+09:00",
        ),
        ("seoul leap day", SEOUL, seoul("20240229T090000", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3"), "2040-01-01T00:00:00+09:00"),
        (
            "seoul tzid with utc until",
            SEOUL,
            "DTSTART;TZID=Asia/Seoul:20261230T200000\nRRULE:FREQ=DAILY;UNTIL=20270102T110000Z".into(),
            "2028-01-01T00:00:00+09:00",
        ),
        ("seoul weekdays twice", SEOUL, seoul("20261229T080000", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8,20;BYMINUTE=0,30;COUNT=20"), "2028-01-01T00:00:00+09:00"),
        ("seoul iso week 53", SEOUL, seoul("20260101T090000", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO;COUNT=3"), "2050-01-01T00:00:00+09:00"),
        ("seoul yearly jan 1", SEOUL, seoul("20250101T000000", "FREQ=YEARLY;COUNT=4"), "2030-01-01T00:00:00+09:00"),
        ("seoul first weekday of month", SEOUL, seoul("20261101T083000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1;COUNT=6"), "2028-01-01T00:00:00+09:00"),
        // Daylight saving: wall-clock times kept across the change.
        ("new york daily over dst end", NY, ny("20261030T090000", "FREQ=DAILY;COUNT=5"), "2027-01-01T00:00:00Z"),
        ("new york weekly over dst start", NY, ny("20270301T083000", "FREQ=WEEKLY;BYDAY=MO,FR;COUNT=6"), "2028-01-01T00:00:00Z"),
    ]
}

#[test]
fn expansions_match_python_dateutil() {
    let python = root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `.ci/run` (it creates the venv and installs python-dateutil), or \
         python3 -m venv .venv && .venv/bin/pip install python-dateutil==2.9.0.post0",
        python.display()
    );
    let corpus = corpus();
    let limit = 200;
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for (label, tz, rule, until) in &corpus {
        let r = Recurrence {
            rule: rule.clone(),
            tz: tz.to_string(),
            ..Default::default()
        };
        let c = compile(&r).unwrap_or_else(|e| panic!("{label}: {e}"));
        let (from, to) = (c.dt_start_ms(), ms(until));
        ours.push(c.between(from, to, limit));
        cases.push(json!({"rule": rule, "tz": tz, "from": from, "to": to, "limit": limit}));
    }

    let mut child = Command::new(&python)
        .arg(root().join("tests/python/rrule_dateutil.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::from(cases).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "rrule_dateutil.py failed (is python-dateutil installed in .venv?)"
    );
    let theirs: Vec<Vec<i64>> = serde_json::from_slice(&out.stdout).unwrap();

    let mut total = 0;
    let mut wrong = Vec::new();
    for (i, (label, ..)) in corpus.iter().enumerate() {
        total += theirs[i].len();
        assert!(!theirs[i].is_empty(), "{label}: empty expansion");
        if ours[i] != theirs[i] {
            let first = ours[i]
                .iter()
                .zip(&theirs[i])
                .position(|(a, b)| a != b)
                .unwrap_or(ours[i].len().min(theirs[i].len()));
            wrong.push(format!(
                "{label}: {} vs dateutil {} occurrences, first difference at #{first}: ours {:?} dateutil {:?}",
                ours[i].len(),
                theirs[i].len(),
                ours[i].get(first),
                theirs[i].get(first)
            ));
        }
    }
    assert!(wrong.is_empty(), "differences:\n{}", wrong.join("\n"));
    eprintln!(
        "{} rules, {total} occurrences, identical to python-dateutil",
        corpus.len()
    );
}
