//! Care reminders end to end (issue 5): a schedule → the due feed → the speaker's
//! acknowledgement through the signed webhook → taken; misses → the caregiver told at the fake
//! SMS gateway; concurrent polls never hand one occurrence out twice; bad rules answered 400
//! naming the field; check-ins recorded, and only a call for help routed (with the 109 line).
//!
//! The feed and the tick take a drill `now`, so a day of reminders runs in seconds. The MQTT leg
//! (bridge publishes the feed, a paho speaker acknowledges) belongs with the bridge's tests.

use safetynet_tests::suite::{Device, Suite, now_rfc3339, now_secs};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

const DONG: &str = "samsan-dong";
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn ms(rfc3339: &str) -> i64 {
    safetynet_wire::time::parse_rfc3339(rfc3339).unwrap()
}

fn rfc(ms: i64) -> String {
    safetynet_wire::time::to_rfc3339(ms)
}

struct Home {
    resident: String,
    speaker: Device,
}

fn home(s: &Suite, contacts: usize) -> Home {
    let r = s.resident(DONG, contacts, json!({}));
    let resident = r["id"].as_str().unwrap().to_string();
    let speaker = s.device(&resident, "ai-speaker", json!({"protocol": "mqtt"}));
    Home { resident, speaker }
}

/// A daily 09:00 (Seoul) medication reminder; returns the schedule JSON.
fn medication(s: &Suite, resident: &str, extra: Value) -> Value {
    let mut body = json!({
        "resident_id": resident,
        "kind": "medication",
        "medication_name": "메트포르민",
        "dose": "500mg 1정",
        "text": "어르신, 아침 약 드실 시간이에요. 드셨으면 '먹었어'라고 말씀해 주세요.",
        "rule": "DTSTART:20260101T090000\nRRULE:FREQ=DAILY;BYHOUR=9;BYMINUTE=0",
        "tz": "Asia/Seoul",
        "grace_minutes": 30,
        "misses_to_escalate": 2,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let a = s.admin("POST", "/api/v1/schedules", Some(body));
    assert_eq!(a.status, 201, "{}", a.body);
    a.json()
}

fn poll(s: &Suite, clock: &str, now: i64, limit: usize) -> Vec<Value> {
    let a = s.call(
        "GET",
        &format!(
            "/api/v1/reminders/due?now={}&limit={limit}",
            rfc(now).replace('+', "%2B")
        ),
        clock,
        None,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    a.json().as_array().unwrap().clone()
}

fn tick(s: &Suite, clock: &str, now: i64) -> Value {
    let a = s.call(
        "POST",
        "/api/v1/jobs/reminders",
        clock,
        Some(&json!({"now": rfc(now)})),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

fn speaker_event(
    s: &Suite,
    d: &Device,
    event_id: &str,
    kind: &str,
    data: Value,
) -> safetynet_tests::Answer {
    let body = json!({"event_id": event_id, "device_id": d.id, "kind": kind, "occurred_at": now_rfc3339(), "data": data});
    s.send_signed(d, &d.secret, now_secs(), &body)
}

#[test]
fn schedule_to_feed_to_speaker_ack_is_taken() {
    let s = Suite::start("rem-ack");
    let clock = s.staff("clock", None);
    let h = home(&s, 1);
    let sch = medication(&s, &h.resident, json!({}));
    let next = ms(sch["next_at"].as_str().unwrap());
    assert_eq!(sch["upcoming"][0], sch["next_at"]);
    // 09:00 in Seoul is 00:00 UTC.
    assert_eq!(next % DAY, 0, "{sch}");

    assert!(
        poll(&s, &clock, next - MINUTE, 100).is_empty(),
        "nothing before its time"
    );
    let items = poll(&s, &clock, next, 100);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    let delivery = format!("{}@{next}", sch["id"].as_str().unwrap());
    assert_eq!(
        item,
        &json!({
            "delivery_id": delivery,
            "device_id": h.speaker.id,
            "resident_id": h.resident,
            "kind": "medication",
            "text": sch["text"],
            "occurs_at": rfc(next),
            "needs_ack": true,
        })
    );
    assert!(poll(&s, &clock, next, 100).is_empty(), "handed out once");
    assert!(
        poll(&s, &clock, next + 5 * MINUTE, 100).is_empty(),
        "handed out once"
    );

    let a = speaker_event(
        &s,
        &h.speaker,
        "spk-ack-1",
        "reminder-ack",
        json!({"delivery_id": delivery}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["incident"], Value::Null);

    let d = s
        .admin("GET", &format!("/api/v1/reminders/{delivery}"), None)
        .json();
    assert_eq!(d["status"], "taken", "{d}");
    assert_eq!(d["device_id"], h.speaker.id.as_str());

    // A missing delivery id is refused, naming the field.
    let bad = speaker_event(&s, &h.speaker, "spk-ack-2", "reminder-ack", json!({}));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "data.delivery_id");

    // Nothing missed, nothing escalated, even well after the grace period.
    let t = tick(&s, &clock, next + 2 * 60 * MINUTE);
    assert_eq!(t["missed"], 0, "{t}");

    let rep = s.admin(
        "GET",
        &format!(
            "/api/v1/adherence/{}?from={}&to={}",
            h.resident,
            rfc(next - DAY),
            rfc(next + DAY)
        )
        .replace('+', "%2B"),
        None,
    );
    assert_eq!(rep.status, 200, "{}", rep.body);
    let rep = rep.json();
    assert_eq!(
        (
            rep["taken"].as_u64(),
            rep["late"].as_u64(),
            rep["missed"].as_u64()
        ),
        (Some(1), Some(0), Some(0)),
        "{rep}"
    );
    assert_eq!(rep["weeks"].as_array().unwrap().len(), 1);
    let csv = s.admin(
        "GET",
        &format!(
            "/api/v1/adherence/{}?format=csv&from={}&to={}",
            h.resident,
            rfc(next - DAY),
            rfc(next + DAY)
        )
        .replace('+', "%2B"),
        None,
    );
    assert_eq!(csv.status, 200);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "week,taken,late,missed");
    assert!(lines[1].ends_with(",1,0,0"), "{lines:?}");
    assert_eq!(lines[2], "total,1,0,0");

    // The city's figure sums every resident in scope; another dong's worker counts none of it.
    let window = format!("from={}&to={}", rfc(next - DAY), rfc(next + DAY)).replace('+', "%2B");
    let city = s.admin("GET", &format!("/api/v1/adherence?{window}"), None);
    assert_eq!(city.status, 200, "{}", city.body);
    assert_eq!(
        (
            city.json()["taken"].as_u64(),
            city.json()["missed"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let elsewhere = s.staff("welfare-centre", Some("somewhere-else-dong"));
    let theirs = s.call(
        "GET",
        &format!("/api/v1/adherence?{window}"),
        &elsewhere,
        None,
    );
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    assert_eq!(theirs.json()["taken"], 0, "{}", theirs.body);
}

#[test]
fn two_misses_in_a_row_tell_the_caregiver() {
    let s = Suite::start("rem-miss");
    let clock = s.staff("clock", None);
    let h = home(&s, 2);
    let sch = medication(&s, &h.resident, json!({}));
    let first = ms(sch["next_at"].as_str().unwrap());

    // Day 1: reminded, not acknowledged → missed after 30 minutes; one miss escalates nothing.
    assert_eq!(poll(&s, &clock, first, 100).len(), 1);
    let t = tick(&s, &clock, first + 31 * MINUTE);
    assert_eq!(t["missed"], 1, "{t}");
    assert_eq!(t["incidents"], json!([]));
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.sms.received().is_empty());

    // Day 2: missed again → a low-severity missed-dose incident; the first caregiver told.
    let second = first + DAY;
    assert_eq!(poll(&s, &clock, second, 100).len(), 1);
    assert_eq!(
        tick(&s, &clock, second + 10 * MINUTE)["missed"],
        0,
        "still within grace"
    );
    let t = tick(&s, &clock, second + 31 * MINUTE);
    assert_eq!(t["missed"], 1, "{t}");
    assert_eq!(t["incidents"][0]["incident"], "opened", "{t}");
    let incident = t["incidents"][0]["incident_id"]
        .as_str()
        .unwrap()
        .to_string();

    let sms = s.sms.wait_for(Duration::from_secs(5), |r| !r.is_empty());
    assert_eq!(sms.len(), 1, "{sms:?}");
    let msg: Value = serde_json::from_str(&sms[0].body).unwrap();
    assert_eq!(msg["channel"], "caregiver");
    assert_eq!(msg["to"], "010-1000-0000", "the first caregiver");
    assert!(msg["text"].as_str().unwrap().contains("미확인"), "{msg}");
    assert!(s.dispatch.received().is_empty(), "never 119");

    let inc = s
        .admin("GET", &format!("/api/v1/incidents/{incident}"), None)
        .json();
    assert_eq!(inc["kind"], "missed-dose");
    assert_eq!(inc["severity"], "low");

    // The same streak never escalates twice.
    let t = tick(&s, &clock, second + 40 * MINUTE);
    assert_eq!(t["incidents"], json!([]), "{t}");

    let rep = s
        .admin(
            "GET",
            &format!(
                "/api/v1/adherence/{}?from={}&to={}&now={}",
                h.resident,
                rfc(first - DAY),
                rfc(second + DAY),
                rfc(second + DAY)
            )
            .replace('+', "%2B"),
            None,
        )
        .json();
    assert_eq!(
        (rep["taken"].as_u64(), rep["missed"].as_u64()),
        (Some(0), Some(2)),
        "{rep}"
    );
    let d = s
        .admin(
            "GET",
            &format!("/api/v1/reminders/{}@{second}", sch["id"].as_str().unwrap()),
            None,
        )
        .json();
    assert_eq!(d["status"], "missed", "{d}");
    assert_eq!(d["incident_id"], incident.as_str());
}

#[test]
fn concurrent_polls_never_hand_out_one_occurrence_twice() {
    let s = Suite::start("rem-race");
    let clock = s.staff("clock", None);
    let n = 40;
    let mut next = None;
    for _ in 0..n {
        let h = home(&s, 1);
        let sch = medication(&s, &h.resident, json!({"misses_to_escalate": 0}));
        next = Some(ms(sch["next_at"].as_str().unwrap()));
    }
    let at = next.unwrap();
    let base = s.host.url("");
    let seen: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (clock, base) = (clock.clone(), base.clone());
                scope.spawn(move || {
                    let mut got = Vec::new();
                    for _ in 0..20 {
                        let url = format!("{base}/api/v1/reminders/due?limit=3&now={}", rfc(at));
                        let a = safetynet_tests::request(
                            "GET",
                            &url,
                            &[("authorization", &format!("Bearer {clock}"))],
                            None,
                        );
                        assert_eq!(a.status, 200, "{}", a.body);
                        let items = a.json().as_array().unwrap().clone();
                        if items.is_empty() {
                            break;
                        }
                        got.extend(
                            items
                                .iter()
                                .map(|i| i["delivery_id"].as_str().unwrap().to_string()),
                        );
                    }
                    got
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<&String> = seen.iter().flatten().collect();
    let distinct: HashSet<&String> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        n,
        "every occurrence handed out once: {} items, {} distinct",
        all.len(),
        distinct.len()
    );
    assert_eq!(distinct.len(), n);
    assert!(
        seen.iter().filter(|v| !v.is_empty()).count() > 1,
        "several pollers got work"
    );
}

#[test]
fn bad_rules_and_zones_are_400_naming_the_field() {
    let s = Suite::start("rem-400");
    let h = home(&s, 1);
    let post = |body: Value| s.admin("POST", "/api/v1/schedules", Some(body));
    let base = json!({"resident_id": h.resident, "kind": "music", "text": "음악 들으실 시간이에요", "rule": "DTSTART:20260101T150000\nRRULE:FREQ=DAILY"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    assert_eq!(post(base.clone()).status, 201);
    for (body, field, words) in [
        (
            with(
                "rule",
                json!("DTSTART:20260101T090000\nRRULE:FREQ=DAILY;BYHOUR=25"),
            ),
            "rule",
            "BYHOUR",
        ),
        (
            with("rule", json!("RRULE:FREQ=FORTNIGHTLY")),
            "rule",
            "FORTNIGHTLY",
        ),
        (
            with(
                "rule",
                json!("DTSTART:20260101T090000\nRRULE:FREQ=MINUTELY"),
            ),
            "rule",
            "hourly",
        ),
        (
            with("rule", json!("DTSTART:2026-01-01\nRRULE:FREQ=DAILY")),
            "rule",
            "DTSTART",
        ),
        (with("tz", json!("Mars/Olympus_Mons")), "tz", "time zone"),
        (
            with("kind", json!("medication")),
            "medication_name",
            "required",
        ),
        (
            with("grace_minutes", json!(-5)),
            "grace_minutes",
            "0 to 1440",
        ),
        (
            with("end", json!("2025-01-01T00:00:00+09:00")),
            "end",
            "start",
        ),
    ] {
        let a = post(body.clone());
        assert_eq!(a.status, 400, "{body} → {}", a.body);
        let e = a.json()["error"].clone();
        assert_eq!(e["field"], field, "{e}");
        assert!(e["message"].as_str().unwrap().contains(words), "{e}");
    }
    // Devices cannot raise missed-dose: only the tick does.
    let a = speaker_event(&s, &h.speaker, "spk-md", "missed-dose", json!({}));
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"]["field"], "kind");
}

#[test]
fn check_ins_are_recorded_and_only_a_call_for_help_is_routed() {
    let s = Suite::start("rem-checkin");
    let h = home(&s, 1);

    let good = speaker_event(
        &s,
        &h.speaker,
        "ci-1",
        "check-in",
        json!({"answer": "good", "text": "오늘 기분 좋아요"}),
    );
    assert_eq!(good.status, 200, "{}", good.body);
    assert_eq!(
        good.json()["incident"],
        Value::Null,
        "a good answer opens nothing"
    );
    let not_good = speaker_event(
        &s,
        &h.speaker,
        "ci-2",
        "check-in",
        json!({"answer": "not-good", "text": "무릎이 좀 아파요"}),
    );
    assert_eq!(not_good.json()["incident"], Value::Null);
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.sms.received().is_empty());
    let list = s.admin("GET", "/api/v1/incidents", None).json();
    assert_eq!(list["incidents"], json!([]));

    let help = speaker_event(
        &s,
        &h.speaker,
        "ci-3",
        "check-in",
        json!({"answer": "needs-help"}),
    );
    assert_eq!(help.status, 200, "{}", help.body);
    let help = help.json();
    assert_eq!(help["incident"], "opened");
    let inc = s
        .admin(
            "GET",
            &format!(
                "/api/v1/incidents/{}",
                help["incident_id"].as_str().unwrap()
            ),
            None,
        )
        .json();
    assert_eq!(inc["kind"], "crisis-utterance");
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| {
        r.iter().any(|m| m.body.contains("welfare-centre"))
    });
    let centre: Vec<Value> = sms
        .iter()
        .map(|m| serde_json::from_str::<Value>(&m.body).unwrap())
        .filter(|m| m["channel"] == "welfare-centre")
        .collect();
    assert_eq!(centre.len(), 1, "{sms:?}");
    assert_eq!(centre[0]["dong"], DONG);
    assert!(
        centre[0]["text"].as_str().unwrap().contains("109"),
        "{}",
        centre[0]
    );
    assert!(s.dispatch.received().is_empty(), "not 119");

    // Crisis words in a "not good" answer are routed too (joining the open incident).
    let words = speaker_event(
        &s,
        &h.speaker,
        "ci-4",
        "check-in",
        json!({"answer": "not-good", "text": "요즘 너무 외로워서 죽고 싶어요"}),
    );
    assert_eq!(words.json()["incident"], "joined");
    // An unknown answer is refused, naming the field.
    let bad = speaker_event(
        &s,
        &h.speaker,
        "ci-5",
        "check-in",
        json!({"answer": "fine"}),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "data.answer");

    let c = s.admin(
        "GET",
        &format!("/api/v1/checkins?resident_id={}", h.resident),
        None,
    );
    assert_eq!(c.status, 200, "{}", c.body);
    let answers: Vec<(String, bool)> = c.json()["checkins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["answer"].as_str().unwrap().to_string(),
                c["crisis"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(answers.len(), 4, "{answers:?}");
    assert_eq!(answers.iter().filter(|(_, crisis)| *crisis).count(), 2);
}
