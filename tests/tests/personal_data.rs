//! Personal data at rest (issue 18): phones, addresses, medical notes, a resident's words and the
//! messages queued for 119 and caregivers never reach the database file in plain text, staff
//! still read them through the API, and a key rotation keeps every record readable.

use safetynet_tests::suite::{Device, PERSONAL_DATA_KEY, Suite, now_rfc3339, now_secs};
use serde_json::{Value, json};
use std::time::Duration;

const NEW_KEY: &str = "t2=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const STRANGE_KEY: &str = "t3=00000000000000000000000000000000000000000000000000000000000000ff";

const PHONE: &str = "052-987-6543";
const ADDRESS: &str = "울산광역시 중구 비밀로 77-1";
const NOTES: &str = "심부전, MEDNOTE-7731";
const CAREGIVER_PHONE: &str = "010-4242-7777";
const SAID: &str = "SAID-4471 무릎이 아파요";
const MEDICINE: &str = "MEDICINE-5512 메트포르민";

/// A resident with every kind of personal detail, a speaker and a pendant.
fn home(s: &Suite, dong: &str, address: &str) -> (String, Device, Device) {
    let r = s.resident(
        dong,
        0,
        json!({
            "phone": PHONE, "address": address, "medical_notes": NOTES,
            "location": {"lat": 35.56789, "lon": 129.33311},
            "contacts": [{"name": "보호자", "phone": CAREGIVER_PHONE, "relation": "child", "priority": 1}],
        }),
    );
    let id = r["id"].as_str().unwrap().to_string();
    let speaker = s.device(&id, "ai-speaker", json!({}));
    let pendant = s.device(&id, "pendant", json!({}));
    (id, speaker, pendant)
}

fn check_in(s: &Suite, speaker: &Device, event_id: &str, said: &str) {
    let body = json!({"event_id": event_id, "device_id": speaker.id, "kind": "check-in", "occurred_at": now_rfc3339(), "data": {"answer": "not-good", "text": said}});
    let a = s.send_signed(speaker, &speaker.secret, now_secs(), &body);
    assert_eq!(a.status, 200, "{}", a.body);
}

/// Presses the pendant and waits for the dispatch at the fake 119; returns what 119 got.
fn press(s: &Suite, pendant: &Device, event_id: &str) -> Value {
    let before = s.dispatch.received().len();
    let a = s.event(pendant, event_id, "emergency-call");
    assert_eq!(a.status, 200, "{}", a.body);
    for _ in 0..100 {
        if let Some(r) = s.dispatch.received().get(before) {
            return serde_json::from_str(&r.body).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no dispatch reached 119 for {event_id}");
}

/// The database file and its write-ahead log, as bytes.
fn stored_bytes(s: &Suite) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["sqlite_db.db", "sqlite_db.db-wal"] {
        if let Ok(b) = std::fs::read(s.state_dir.join(name)) {
            all.extend(b);
        }
    }
    assert!(
        all.len() > 4096,
        "no database file in {}",
        s.state_dir.display()
    );
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn resident(s: &Suite, id: &str) -> Value {
    let a = s.admin("GET", &format!("/api/v1/residents/{id}"), None);
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

fn status(s: &Suite) -> Value {
    let a = s.admin("GET", "/api/v1/personal-data", None);
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

/// Runs `safetynet re-encrypt`'s loop over the API in batches of `limit`; returns the totals.
fn re_encrypt(s: &Suite, limit: u32) -> (u64, u64, usize) {
    let (mut rewritten, mut unreadable, mut calls) = (0, 0, 0);
    let mut cursor = Value::Null;
    loop {
        let a = s.admin(
            "POST",
            "/api/v1/personal-data/re-encrypt",
            Some(json!({"cursor": cursor, "limit": limit})),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let v = a.json();
        rewritten += v["rewritten"].as_u64().unwrap();
        unreadable += v["unreadable"].as_u64().unwrap();
        calls += 1;
        cursor = v["cursor"].clone();
        if cursor.is_null() {
            return (rewritten, unreadable, calls);
        }
        assert!(calls < 500, "re-encryption does not end");
    }
}

#[test]
fn personal_data_is_sealed_in_the_file_and_read_in_full_by_staff() {
    let s = Suite::start("pd-sealed");
    let (id, speaker, pendant) = home(&s, "jung-dong", ADDRESS);
    check_in(&s, &speaker, "pd-ci-1", SAID);
    let schedule = s.admin(
        "POST",
        "/api/v1/schedules",
        Some(json!({
            "resident_id": id, "kind": "medication", "medication_name": MEDICINE,
            "dose": "DOSE-77 1정", "text": "TEXT-88 약 드실 시간이에요",
            "rule": "DTSTART:20260101T090000\nRRULE:FREQ=DAILY;BYHOUR=9;BYMINUTE=0", "tz": "Asia/Seoul",
        })),
    );
    assert_eq!(schedule.status, 201, "{}", schedule.body);
    let dispatched = press(&s, &pendant, "pd-sos-1");
    // 119 still gets the address and notes in the clear: sealing is for the file only.
    let sent = dispatched.to_string();
    assert!(sent.contains(ADDRESS) && sent.contains(NOTES), "{sent}");

    let r = resident(&s, &id);
    assert_eq!(r["phone"], PHONE);
    assert_eq!(r["address"], ADDRESS);
    assert_eq!(r["medical_notes"], NOTES);
    assert_eq!(r["contacts"][0]["phone"], CAREGIVER_PHONE);
    let c = s.admin("GET", &format!("/api/v1/checkins?resident_id={id}"), None);
    assert_eq!(c.json()["checkins"][0]["said"], SAID, "{}", c.body);
    let sid = schedule.json()["id"].as_str().unwrap().to_string();
    let read = s.admin("GET", &format!("/api/v1/schedules/{sid}"), None);
    assert_eq!(read.json()["medication_name"], MEDICINE, "{}", read.body);

    // A caregiver's reply is still matched by their number (kept only as a keyed hash).
    std::thread::sleep(Duration::from_millis(300));
    let reply = s.call(
        "POST",
        "/api/v1/sms-replies",
        safetynet_tests::suite::SMS_REPLY_TOKEN,
        Some(&json!({"from": CAREGIVER_PHONE, "text": "1 확인"})),
    );
    assert_eq!(reply.json()["outcome"], "acknowledged", "{}", reply.body);
    let replies = s.admin("GET", "/api/v1/sms-replies", None).json();
    assert_eq!(replies["replies"][0]["from"], "01042427777", "{replies}");

    let file = stored_bytes(&s);
    assert_eq!(r["location"], json!({"lat": 35.56789, "lon": 129.33311}));
    for secret in [
        "35.56789",
        "129.33311",
        PHONE,
        "0529876543",
        ADDRESS,
        "비밀로",
        NOTES,
        "MEDNOTE-7731",
        CAREGIVER_PHONE,
        "01042427777",
        SAID,
        "SAID-4471",
    ] {
        assert!(
            !contains(&file, secret),
            "{secret:?} is in the database file in plain text"
        );
    }
    assert!(
        contains(&file, "pd1:t1:"),
        "values are sealed under the configured key"
    );
    let log = s.host.stderr();
    for secret in [PHONE, ADDRESS, NOTES, CAREGIVER_PHONE, SAID] {
        assert!(!log.contains(secret), "{secret:?} is in the log");
    }
    assert_eq!(
        status(&s),
        json!({"encryption": "on", "key_id": "t1", "values_not_under_key": 0})
    );
}

#[test]
fn a_new_key_re_encrypts_everything_and_every_record_stays_readable() {
    let mut s = Suite::start("pd-rotate");
    let (old, speaker, pendant) = home(&s, "jung-dong", ADDRESS);
    check_in(&s, &speaker, "pd-rot-ci", SAID);
    press(&s, &pendant, "pd-rot-sos");

    // The new key first, the old one kept to open what is stored under it.
    let both = format!("personal_data_keys={NEW_KEY},{PERSONAL_DATA_KEY}");
    s.restart_with(&["--variable", &both]);
    assert_eq!(
        resident(&s, &old)["address"],
        ADDRESS,
        "old values open under the list"
    );
    let before = status(&s);
    assert_eq!(before["key_id"], "t2");
    assert!(
        before["values_not_under_key"].as_u64().unwrap() >= 6,
        "{before}"
    );
    let (new, _, _) = home(&s, "jung-dong", "울산광역시 중구 새주소 5");

    // Small batches, so the cursor carries across tables and rows.
    let (rewritten, unreadable, calls) = re_encrypt(&s, 2);
    assert!(
        rewritten >= 5 && unreadable == 0 && calls > 3,
        "{rewritten} {unreadable} {calls}"
    );
    assert_eq!(status(&s)["values_not_under_key"], 0);
    assert_eq!(re_encrypt(&s, 200).0, 0, "a second run has nothing to do");

    // The old key can go now: everything opens under the new one alone.
    let only_new = format!("personal_data_keys={NEW_KEY}");
    s.restart_with(&["--variable", &only_new]);
    let r = resident(&s, &old);
    assert_eq!(
        (
            &r["phone"],
            &r["address"],
            &r["medical_notes"],
            &r["contacts"][0]["phone"]
        ),
        (
            &json!(PHONE),
            &json!(ADDRESS),
            &json!(NOTES),
            &json!(CAREGIVER_PHONE)
        )
    );
    assert_eq!(resident(&s, &new)["address"], "울산광역시 중구 새주소 5");
    let c = s.admin("GET", &format!("/api/v1/checkins?resident_id={old}"), None);
    assert_eq!(c.json()["checkins"][0]["said"], SAID);
    let bad = s.admin(
        "POST",
        "/api/v1/personal-data/re-encrypt",
        Some(json!({"cursor": "not-a-cursor"})),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.json()["error"]["field"], "cursor");
    let worker = s.staff("welfare-centre", Some("jung-dong"));
    let refused = s.call(
        "POST",
        "/api/v1/personal-data/re-encrypt",
        &worker,
        Some(&json!({})),
    );
    assert_eq!(refused.status, 403, "admins only");
}

#[test]
fn with_its_key_missing_an_emergency_still_reaches_119_and_unreadable_values_are_kept() {
    let mut s = Suite::start("pd-missing");
    let (id, _, pendant) = home(&s, "jung-dong", ADDRESS);
    // A wrong list: the key everything is sealed under was dropped.
    let wrong = format!("personal_data_keys={STRANGE_KEY}");
    s.restart_with(&["--variable", &wrong]);

    let dispatched = press(&s, &pendant, "pd-missing-sos");
    assert_eq!(dispatched["resident"]["id"], id.as_str(), "{dispatched}");
    let r = resident(&s, &id);
    assert!(
        r["address"].as_str().unwrap().starts_with("[unreadable"),
        "{r}"
    );
    let (_, unreadable, _) = re_encrypt(&s, 100);
    assert!(unreadable >= 4, "{unreadable}");

    // Put the key back: nothing was lost.
    let both = format!("personal_data_keys={STRANGE_KEY},{PERSONAL_DATA_KEY}");
    s.restart_with(&["--variable", &both]);
    assert_eq!(resident(&s, &id)["address"], ADDRESS);
}
