//! A resident's enrolment over time: corrections, a hospital stay, unenrolment, retired devices,
//! the end of a time-limited enrolment, and the audit of every change.

use safetynet_tests::suite::{Suite, at, now_secs};
use serde_json::{Value, json};

fn tick_inactivity(s: &Suite, secs: i64) -> u64 {
    s.tick_at(&at(secs))["inactivity_opened"].as_u64().unwrap()
}

fn act(s: &Suite, resident: &str, action: &str, body: Value) -> Value {
    let a = s.admin(
        "POST",
        &format!("/api/v1/residents/{resident}/{action}"),
        Some(body),
    );
    assert_eq!(a.status, 200, "{action}: {}", a.body);
    a.json()
}

#[test]
fn a_hospital_stay_pauses_monitoring_and_reminders_until_resumed() {
    let s = Suite::start("suspend");
    let r = s.resident("jung-dong", 1, json!({"inactivity_threshold_minutes": 60}));
    let rid = r["id"].as_str().unwrap().to_string();
    s.device(&rid, "activity", json!({}));
    s.device(&rid, "ai-speaker", json!({"protocol": "mqtt"}));
    let schedule = s.admin(
        "POST",
        "/api/v1/schedules",
        Some(json!({
            "resident_id": rid, "kind": "medication", "medication_name": "혈압약", "dose": "1정",
            "text": "약 드실 시간이에요.", "rule": "RRULE:FREQ=DAILY;BYHOUR=9;BYMINUTE=0", "tz": "Asia/Seoul",
        })),
    );
    assert_eq!(schedule.status, 201, "{}", schedule.body);
    let next = schedule.json()["next_at"].as_str().unwrap().to_string();
    let clock = s.staff("clock", None);
    let due = |s: &Suite| -> usize {
        let a = s.call(
            "GET",
            &format!("/api/v1/reminders/due?now={}", next.replace('+', "%2B")),
            &clock,
            None,
        );
        assert_eq!(a.status, 200, "{}", a.body);
        a.json().as_array().unwrap().len()
    };

    let back = now_secs() + 3 * 86_400;
    let suspended = act(
        &s,
        &rid,
        "suspend",
        json!({"reason": "입원 (울산대병원)", "expected_return": safetynet_wire::time::to_rfc3339(back * 1000)}),
    );
    assert_eq!(suspended["status"], "suspended");
    assert!(suspended["status_until"].is_string());
    assert_eq!(
        tick_inactivity(&s, 61 * 60),
        0,
        "no inactivity alarm in hospital"
    );
    assert_eq!(due(&s), 0, "no reminder in hospital");

    assert_eq!(act(&s, &rid, "resume", json!({}))["status"], "active");
    assert_eq!(due(&s), 1, "reminders again");
    assert_eq!(tick_inactivity(&s, 62 * 60), 1, "monitored again");

    let changes = s
        .admin("GET", &format!("/api/v1/residents/{rid}/changes"), None)
        .json();
    let actions: Vec<&str> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["suspended", "resumed"]);
    assert_eq!(changes["changes"][0]["by"], "admin");
}

#[test]
fn unenrolment_retires_devices_and_stops_everything_but_keeps_the_record() {
    let s = Suite::start("unenrol");
    let r = s.resident("jung-dong", 1, json!({"inactivity_threshold_minutes": 60}));
    let rid = r["id"].as_str().unwrap().to_string();
    let pendant = s.device(&rid, "pendant", json!({}));
    let sensor = s.device(&rid, "activity", json!({}));

    // Retiring one device: its secret stops working at once; the other still reports.
    let retired = s.admin(
        "POST",
        &format!("/api/v1/devices/{}/retire", sensor.id),
        Some(json!({"reason": "고장 교체"})),
    );
    assert_eq!(retired.status, 200, "{}", retired.body);
    assert_eq!(s.event(&sensor, "evt-old-sensor", "activity").status, 404);
    assert_eq!(s.event(&pendant, "evt-pendant-ok", "heartbeat").status, 200);

    let gone = act(&s, &rid, "unenrol", json!({"reason": "전출 (타 시 이사)"}));
    assert_eq!(gone["status"], "unenrolled");
    assert_eq!(gone["name"], "김순자", "the record is kept");
    assert_eq!(gone["devices"].as_array().unwrap().len(), 0);
    assert_eq!(gone["retired_devices"].as_array().unwrap().len(), 2);
    let press = s.event(&pendant, "evt-after-unenrol", "emergency-call");
    assert_eq!(press.status, 404, "{}", press.body);
    assert_eq!(tick_inactivity(&s, 61 * 60), 0);

    // Nothing more to do with an unenrolled resident, and no reason: a clear error.
    let again = s.admin(
        "POST",
        &format!("/api/v1/residents/{rid}/suspend"),
        Some(json!({"reason": "x"})),
    );
    assert_eq!(again.status, 409);
    let s2 = s.resident("jung-dong", 0, json!({}));
    let no_reason = s.admin(
        "POST",
        &format!("/api/v1/residents/{}/unenrol", s2["id"].as_str().unwrap()),
        Some(json!({})),
    );
    assert_eq!(no_reason.status, 400);
    assert_eq!(no_reason.json()["error"]["field"], "reason");
}

#[test]
fn corrections_are_checked_scoped_and_audited() {
    let s = Suite::start("patch");
    let r = s.resident("jung-dong", 1, json!({}));
    let rid = r["id"].as_str().unwrap().to_string();
    let minted = s
        .admin(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": "중앙동 담당", "role": "welfare-centre", "dong": "jung-dong"})),
        )
        .json();
    let worker = minted["token"].as_str().unwrap().to_string();
    let patch = |token: &str, body: Value| {
        s.call(
            "PATCH",
            &format!("/api/v1/residents/{rid}"),
            token,
            Some(&body),
        )
    };

    let ok = patch(
        &worker,
        json!({"address": "울산광역시 중구 새길 7", "inactivity_threshold_minutes": 480, "medical_notes": null}),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let v = ok.json();
    assert_eq!(v["address"], "울산광역시 중구 새길 7");
    assert_eq!(v["inactivity_threshold_minutes"], 480);
    assert_eq!(v["medical_notes"], Value::Null);

    // Contacts: the daughter keeps her id (steps already addressed to her still reach her), a
    // neighbour is added; a contact id of someone else's is refused.
    let daughter = r["contacts"][0]["id"].as_str().unwrap().to_string();
    let contacts = patch(
        &worker,
        json!({"contacts": [
            {"id": daughter, "name": "딸", "phone": "010-3333-4444", "relation": "daughter", "priority": 1},
            {"name": "이웃", "phone": "010-5555-6666", "relation": "neighbour", "priority": 2},
        ]}),
    );
    assert_eq!(contacts.status, 200, "{}", contacts.body);
    let list = contacts.json()["contacts"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], daughter.as_str());
    assert_eq!(list[0]["phone"], "010-3333-4444");
    let foreign = patch(
        &worker,
        json!({"contacts": [{"id": "con-not-hers", "name": "x", "phone": "010-1111-2222", "relation": "son"}]}),
    );
    assert_eq!(foreign.status, 400);
    assert_eq!(foreign.json()["error"]["field"], "contacts[0].id");

    // Moving the resident to a dong the worker does not hold: refused, nothing changes.
    let moved = patch(
        &worker,
        json!({"dong": "taehwa-dong", "address": "다른 곳"}),
    );
    assert_eq!(moved.status, 403);
    let bad = patch(&worker, json!({"inactivity_threshold_minutes": 0}));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "inactivity_threshold_minutes");
    let unknown = patch(&worker, json!({"name": "바꾼 이름"}));
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"]["field"], "name");
    let other = s.staff("welfare-centre", Some("taehwa-dong"));
    assert_eq!(patch(&other, json!({"address": "x"})).status, 403);
    let now = s
        .admin("GET", &format!("/api/v1/residents/{rid}"), None)
        .json();
    assert_eq!(now["dong"], "jung-dong");
    assert_eq!(now["address"], "울산광역시 중구 새길 7");

    // The admin (who holds every dong) may move them, to a dong with a centre; each change is
    // one audit row naming the fields, never their values.
    let to_nowhere = patch(
        safetynet_tests::suite::ADMIN,
        json!({"dong": "taehwa-dong"}),
    );
    assert_eq!(to_nowhere.status, 400);
    assert_eq!(to_nowhere.json()["error"]["field"], "dong");
    s.centre("taehwa-dong");
    assert_eq!(
        patch(
            safetynet_tests::suite::ADMIN,
            json!({"dong": "taehwa-dong"})
        )
        .status,
        200
    );
    let changes = s
        .admin("GET", &format!("/api/v1/residents/{rid}/changes"), None)
        .json();
    let rows = changes["changes"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{changes}");
    assert_eq!(rows[0]["by"], minted["id"]);
    let mut fields: Vec<&str> = rows[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["address", "inactivity_threshold_minutes", "medical_notes"]
    );
    assert!(
        !changes.to_string().contains("새길"),
        "values stay out of the audit"
    );
}

#[test]
fn an_ended_time_limited_enrolment_raises_no_inactivity_alarm() {
    let s = Suite::start("enrolment-end");
    let ends = safetynet_wire::time::to_rfc3339((now_secs() + 30 * 60) * 1000);
    let r = s.resident(
        "jung-dong",
        1,
        json!({"eligibility": "recently-discharged", "eligibility_until": ends, "inactivity_threshold_minutes": 60}),
    );
    s.device(r["id"].as_str().unwrap(), "activity", json!({}));
    assert_eq!(
        tick_inactivity(&s, 61 * 60),
        0,
        "the enrolment ended at +30 min"
    );
}

#[test]
fn the_dong_centre_is_warned_once_before_an_enrolment_ends_and_again_after_an_extension() {
    let s = Suite::start("enrolment-warning");
    let day = 86_400;
    let ends = safetynet_wire::time::to_rfc3339((now_secs() + 10 * day) * 1000);
    let r = s.resident(
        "jung-dong",
        1,
        json!({"eligibility": "recently-discharged", "eligibility_until": ends}),
    );
    let rid = r["id"].as_str().unwrap().to_string();
    let warnings = |s: &Suite| -> Vec<Value> {
        s.sms
            .received()
            .iter()
            .map(|m| serde_json::from_str::<Value>(&m.body).unwrap())
            .filter(|m| m["resident_id"] == rid.as_str())
            .collect()
    };

    // Ten days out: nothing yet. Four days out (within the default 7): the centre is told once.
    assert_eq!(s.tick_at(&at(day))["enrolment_end_warnings"], 0);
    assert_eq!(s.tick_at(&at(6 * day))["enrolment_end_warnings"], 1);
    assert_eq!(s.tick_at(&at(6 * day + 60))["enrolment_end_warnings"], 0);
    s.sms.wait_for(std::time::Duration::from_secs(5), |_| {
        !warnings(&s).is_empty()
    });
    let w = warnings(&s);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["channel"], "welfare-centre");
    assert_eq!(w[0]["dong"], "jung-dong");
    assert!(
        !w[0]["text"].as_str().unwrap().contains("김순자"),
        "ids only"
    );

    // The worker extends it by a month: the new end date will be warned about in its turn.
    let later = safetynet_wire::time::to_rfc3339((now_secs() + 40 * day) * 1000);
    let ext = s.admin(
        "PATCH",
        &format!("/api/v1/residents/{rid}"),
        Some(json!({"eligibility_until": later})),
    );
    assert_eq!(ext.status, 200, "{}", ext.body);
    assert_eq!(s.tick_at(&at(7 * day))["enrolment_end_warnings"], 0);
    assert_eq!(s.tick_at(&at(36 * day))["enrolment_end_warnings"], 1);
}

#[test]
fn the_centre_directory_decides_where_residents_live_and_where_centre_messages_go() {
    let s = Suite::start("centres");
    // No centre for the dong yet: enrolment is refused, naming the field.
    let body = json!({"name": "김순자", "address": "울산광역시 남구", "dong": "samsan-dong", "eligibility": "elderly-alone"});
    let refused = s.admin("POST", "/api/v1/residents", Some(body.clone()));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["error"]["field"], "dong");

    // Only an admin keeps the directory; everyone on staff reads it.
    let worker = s.staff("welfare-centre", Some("samsan-dong"));
    let centre = json!({
        "name": "삼산동 행정복지센터", "phone": "052-226-5000",
        "duty_contacts": [{"name": "당직 주무관", "phone": "010-7000-1000", "role": "야간 당직"}],
    });
    let by_worker = s.call("PUT", "/api/v1/centres/samsan-dong", &worker, Some(&centre));
    assert_eq!(by_worker.status, 403);
    let added = s.admin("PUT", "/api/v1/centres/samsan-dong", Some(centre));
    assert_eq!(added.status, 201, "{}", added.body);
    let bad = s.admin(
        "PUT",
        "/api/v1/centres/samsan-dong",
        Some(
            json!({"name": "x", "phone": "010", "duty_contacts": [{"name": "y", "phone": "nope"}]}),
        ),
    );
    assert_eq!(bad.status, 400);
    let listed = s.call("GET", "/api/v1/centres", &worker, None).json();
    assert_eq!(listed["centres"][0]["phone"], "052-226-5000");
    assert_eq!(
        listed["centres"][0]["duty_contacts"][0]["role"],
        "야간 당직"
    );

    // Now the resident can be enrolled, and an emergency's centre message goes to its number.
    let enrolled = s.admin("POST", "/api/v1/residents", Some(body));
    assert_eq!(enrolled.status, 201, "{}", enrolled.body);
    let pendant = s.device(
        enrolled.json()["id"].as_str().unwrap(),
        "pendant",
        json!({}),
    );
    assert_eq!(
        s.event(&pendant, "evt-centre", "emergency-call").status,
        200
    );
    let sms = s
        .sms
        .wait_for(std::time::Duration::from_secs(5), |r| !r.is_empty());
    let to_centre: Vec<Value> = sms
        .iter()
        .map(|m| serde_json::from_str::<Value>(&m.body).unwrap())
        .filter(|m| m["channel"] == "welfare-centre")
        .collect();
    assert_eq!(to_centre.len(), 1);
    assert_eq!(to_centre[0]["to"], "052-226-5000");
    assert_eq!(to_centre[0]["centre"], "삼산동 행정복지센터");
}
