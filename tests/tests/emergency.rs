//! The emergency path end to end: devices → webhook → incident → 119 and caregivers, the
//! escalation ladder, retries, scoping and crashes. Fake 119 and SMS endpoints record what a
//! dispatcher and a caregiver would receive.

use safetynet_tests::Received;
use safetynet_tests::suite::{Suite, at, now_rfc3339, now_secs};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn accepted(r: &[Received]) -> Vec<&Received> {
    r.iter().collect()
}

fn body(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

#[test]
fn pendant_press_reaches_119_once_with_the_residents_details() {
    let s = Suite::start("pendant");
    let res = s.resident("jung-dong", 2, json!({}));
    let rid = res["id"].as_str().unwrap();
    let pendant = s.device(rid, "pendant", json!({}));

    let first = s.event(&pendant, "evt-press-1", "emergency-call");
    assert_eq!(first.status, 200, "{}", first.body);
    let answer = first.json();
    assert_eq!(answer["incident"], "opened");
    assert_eq!(answer["severity"], "critical");

    let got = s
        .dispatch
        .wait_for(Duration::from_secs(5), |r| !r.is_empty());
    assert_eq!(got.len(), 1, "exactly one dispatch");
    let d = body(&got[0]);
    assert_eq!(d["type"], "emergency-dispatch");
    assert_eq!(d["resident"]["name"], "김순자");
    assert_eq!(d["resident"]["address"], "울산광역시 중구 jung-dong 12-3");
    assert_eq!(d["resident"]["medical_notes"], "당뇨, 인슐린 복용");
    assert_eq!(d["resident"]["location"]["lat"], 35.569);
    assert_eq!(d["device"]["id"], pendant.id.as_str());
    assert_eq!(d["event"]["event_id"], "evt-press-1");
    assert!(got[0].header("idempotency-key").is_some());

    // Caregivers and the dong centre are told in parallel.
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| r.len() >= 3);
    let channels: Vec<String> = sms
        .iter()
        .map(|r| body(r)["channel"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        channels.iter().filter(|c| *c == "caregiver").count(),
        2,
        "{channels:?}"
    );
    assert!(channels.contains(&"welfare-centre".to_string()));

    // The same event again: the same answer, nothing new stored or sent.
    let again = s.event(&pendant, "evt-press-1", "emergency-call");
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), answer);
    s.tick_at(&at(1));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        s.dispatch.received().len(),
        1,
        "a repeat must not reach 119 again"
    );

    // A second press while the incident is open joins it.
    let second = s.event(&pendant, "evt-press-2", "emergency-call").json();
    assert_eq!(second["incident"], "joined");
    assert_eq!(second["incident_id"], answer["incident_id"]);
    let inc = s
        .admin(
            "GET",
            &format!(
                "/api/v1/incidents/{}",
                answer["incident_id"].as_str().unwrap()
            ),
            None,
        )
        .json();
    assert_eq!(inc["event_count"], 2);
    assert_eq!(inc["events"].as_array().unwrap().len(), 2);
    assert_eq!(s.dispatch.received().len(), 1);
}

/// An incident's detail and its notifications to 119.
fn dispatches_of(s: &Suite, inc: &str) -> (Value, Vec<Value>) {
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{inc}"), None)
        .json();
    let n119 = detail["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["channel"] == "dispatch119")
        .cloned()
        .collect();
    (detail, n119)
}

#[test]
fn dispatch_is_retried_until_119_recovers_and_arrives_once() {
    let s = Suite::start("retry");
    s.dispatch.set_status(503);
    let rid = s.resident("seongnam-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pendant = s.device(&rid, "pendant", json!({}));
    let inc = s.event(&pendant, "evt-fire-1", "fire").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.dispatch
        .wait_for(Duration::from_secs(5), |r| !r.is_empty());

    // Backoff 5 s, 10 s, 20 s…: ticks far enough apart retry each time.
    for secs in [10, 40, 100] {
        let t = s.tick_at(&at(secs));
        assert!(t["failed"].as_u64().unwrap() >= 1, "{t}");
    }
    let list = s
        .admin("GET", "/api/v1/incidents?dispatch_failed=true", None)
        .json();
    assert_eq!(
        list["incidents"][0]["id"],
        inc.as_str(),
        "a failing dispatch is flagged in the list"
    );

    s.dispatch.set_status(200);
    let t = s.tick_at(&at(600));
    assert!(t["delivered"].as_u64().unwrap() >= 1, "{t}");
    s.tick_at(&at(1200));
    let all = s.dispatch.received();
    assert!(
        all.len() >= 5,
        "four failed attempts and one success, got {}",
        all.len()
    );
    let keys: BTreeSet<&str> = all
        .iter()
        .filter_map(|r| r.header("idempotency-key"))
        .collect();
    assert_eq!(
        keys.len(),
        1,
        "every attempt carries the same idempotency key"
    );
    let (detail, n119) = dispatches_of(&s, &inc);
    assert_eq!(detail["dispatch_failed"], false);
    assert_eq!(n119.len(), 1);
    assert_eq!(n119[0]["state"], "delivered");
    let _ = accepted(&all);
}

#[test]
fn inactivity_ladder_climbs_on_schedule_until_acknowledged() {
    let s = Suite::start("ladder");
    let res = s.resident(
        "taehwa-dong",
        2,
        json!({"inactivity_threshold_minutes": 60}),
    );
    let rid = res["id"].as_str().unwrap();
    let contacts: Vec<String> = res["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    s.device(rid, "activity", json!({}));

    // Before the threshold nothing happens.
    assert_eq!(s.tick_at(&at(59 * 60))["inactivity_opened"], 0);
    // After it, an inactivity incident opens and the first caregiver is told.
    let t0 = 61 * 60;
    assert_eq!(s.tick_at(&at(t0))["inactivity_opened"], 1);
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| !r.is_empty());
    assert_eq!(body(&sms[0])["contact_id"], contacts[0].as_str());
    // A second tick does not open another.
    assert_eq!(s.tick_at(&at(t0 + 60))["inactivity_opened"], 0);

    // +15 min: the next contact.
    assert_eq!(s.tick_at(&at(t0 + 16 * 60))["escalated"], 1);
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| r.len() >= 2);
    assert_eq!(body(&sms[1])["contact_id"], contacts[1].as_str());
    // +30 min: the welfare centre.
    assert_eq!(s.tick_at(&at(t0 + 31 * 60))["escalated"], 1);
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| r.len() >= 3);
    assert_eq!(body(&sms[2])["channel"], "welfare-centre");

    // The centre acknowledges: the climb stops (no 119 welfare check at +60 min).
    let worker = s.staff("welfare-centre", Some("taehwa-dong"));
    let list = s
        .call("GET", "/api/v1/incidents?kind=inactivity", &worker, None)
        .json();
    let id = list["incidents"][0]["id"].as_str().unwrap().to_string();
    let ack = s.call(
        "POST",
        &format!("/api/v1/incidents/{id}/acknowledge"),
        &worker,
        Some(&json!({"note": "방문 예정"})),
    );
    assert_eq!(ack.status, 200, "{}", ack.body);
    assert_eq!(s.tick_at(&at(t0 + 3 * 3600))["escalated"], 0);
    assert!(
        s.dispatch.received().is_empty(),
        "no 119 welfare check after acknowledgement"
    );

    let resolved = s.call(
        "POST",
        &format!("/api/v1/incidents/{id}/resolve"),
        &worker,
        Some(&json!({"outcome": "resolved-by-welfare-centre"})),
    );
    assert_eq!(resolved.json()["state"], "resolved");
    let detail = s
        .call("GET", &format!("/api/v1/incidents/{id}"), &worker, None)
        .json();
    let actions: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "triggered",
            "escalated",
            "escalated",
            "acknowledged",
            "resolved"
        ]
    );
    let stats = s
        .call("GET", "/api/v1/incidents/stats", &worker, None)
        .json();
    assert_eq!(stats["by_outcome"]["resolved-by-welfare-centre"], 1);
    // It was acknowledged after the ladder's two steps: one figure for the dong, in seconds.
    let ack = &stats["acknowledge_seconds_by_dong"]["taehwa-dong"];
    assert_eq!(ack["acknowledged"], 1, "{stats}");
    assert!(
        ack["median"].as_i64().unwrap() >= 0 && ack["median"] == ack["p90"],
        "{stats}"
    );
    assert_eq!(
        stats["acknowledge_seconds_by_dong"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn unsigned_stale_or_unknown_events_are_refused_and_nothing_is_stored() {
    let s = Suite::start("refused");
    let rid = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dev = s.device(&rid, "pendant", json!({}));
    let ev = json!({"event_id": "e-x", "device_id": dev.id, "kind": "emergency-call", "occurred_at": now_rfc3339()});

    let wrong = s.send_signed(&dev, "not-the-secret", now_secs(), &ev);
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(wrong.json()["error"]["code"], "unauthorized");
    let stale = s.send_signed(&dev, &dev.secret, now_secs() - 301, &ev);
    assert_eq!(stale.status, 401);
    assert!(stale.body.contains("window"), "{}", stale.body);
    let mut unknown = ev.clone();
    unknown["device_id"] = json!("dev-doesnotexist");
    assert_eq!(
        s.send_signed(&dev, &dev.secret, now_secs(), &unknown)
            .status,
        404
    );

    let mut bad_kind = ev.clone();
    bad_kind["kind"] = json!("earthquake");
    let bad = s.send_signed(&dev, &dev.secret, now_secs(), &bad_kind);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "kind");
    let mut bad_time = ev.clone();
    bad_time["occurred_at"] = json!("yesterday");
    assert_eq!(
        s.send_signed(&dev, &dev.secret, now_secs(), &bad_time)
            .json()["error"]["field"],
        "occurred_at"
    );

    assert!(s.dispatch.received().is_empty());
    let list = s.admin("GET", "/api/v1/incidents", None).json();
    assert!(list["incidents"].as_array().unwrap().is_empty());
    let d = s
        .admin("GET", &format!("/api/v1/devices/{}", dev.id), None)
        .json();
    assert_eq!(
        d["last_seen_at"],
        Value::Null,
        "a refused event must not count as a sign of life"
    );

    // The genuine event still works afterwards.
    assert_eq!(
        s.send_signed(&dev, &dev.secret, now_secs(), &ev).status,
        200
    );
}

#[test]
fn a_dong_worker_never_sees_another_dongs_people_or_incidents() {
    let s = Suite::start("scoping");
    let a = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = s.resident("bangeo-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dev_b = s.device(&b, "pendant", json!({}));
    let inc_b = s.event(&dev_b, "evt-b", "fall").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let worker_a = s.staff("welfare-centre", Some("jung-dong"));

    assert_eq!(
        s.call("GET", &format!("/api/v1/residents/{a}"), &worker_a, None)
            .status,
        200
    );
    assert_eq!(
        s.call("GET", &format!("/api/v1/residents/{b}"), &worker_a, None)
            .status,
        403
    );
    assert_eq!(
        s.call(
            "GET",
            &format!("/api/v1/incidents/{inc_b}"),
            &worker_a,
            None
        )
        .status,
        403
    );
    assert_eq!(
        s.call(
            "POST",
            &format!("/api/v1/incidents/{inc_b}/acknowledge"),
            &worker_a,
            Some(&json!({}))
        )
        .status,
        403
    );
    let list = s.call("GET", "/api/v1/incidents", &worker_a, None).json();
    assert!(list["incidents"].as_array().unwrap().is_empty());
    // Asking for another dong's residents by name is refused (and logged), not answered.
    let people = s.call("GET", "/api/v1/residents?dong=bangeo-dong", &worker_a, None);
    assert_eq!(people.status, 403, "{}", people.body);
    assert!(!people.body.contains("residents"), "{}", people.body);
    let enrol = s.call(
        "POST",
        "/api/v1/residents",
        &worker_a,
        Some(
            &json!({"name": "x", "address": "y", "dong": "bangeo-dong", "eligibility": "disabled"}),
        ),
    );
    assert_eq!(enrol.status, 403);
    assert_eq!(
        s.call("GET", "/api/v1/incidents", "no-such-token", None)
            .status,
        401
    );

    let dispatcher = s.staff("dispatcher", None);
    assert_eq!(
        s.call(
            "GET",
            &format!("/api/v1/incidents/{inc_b}"),
            &dispatcher,
            None
        )
        .status,
        200
    );
}

#[test]
fn kill9_after_the_answer_keeps_the_incident_and_sends_the_dispatch_after_restart() {
    let mut s = Suite::start("crash");
    s.dispatch.set_status(503);
    let rid = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dev = s.device(&rid, "smoke", json!({}));
    let ans = s.event(&dev, "evt-smoke-1", "smoke");
    assert_eq!(ans.status, 200);
    let inc = ans.json()["incident_id"].as_str().unwrap().to_string();

    s.crash_and_restart();
    s.dispatch.set_status(200);
    // A send the crash cut short keeps its claim for up to 30 s; a tick after that sends it.
    let t = s.tick_at(&at(31));
    assert!(t["delivered"].as_u64().unwrap() >= 1, "{t}");
    let ok: Vec<Received> = s.dispatch.received();
    let d = body(ok.last().unwrap());
    assert_eq!(d["incident_id"], inc.as_str());
    assert_eq!(d["kind"], "smoke");
    // The event is still known: a resend is a duplicate.
    let again = s.event(&dev, "evt-smoke-1", "smoke");
    assert_eq!(again.json()["incident_id"], inc.as_str());
}

#[test]
fn enrolment_errors_name_the_field() {
    let s = Suite::start("enrol");
    let bad = s.admin(
        "POST",
        "/api/v1/residents",
        Some(json!({"name": "x", "address": "y", "dong": "d", "eligibility": "rich"})),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "eligibility");
    let bad = s.admin(
        "POST",
        "/api/v1/residents",
        Some(
            json!({"name": "x", "address": "y", "dong": "d", "eligibility": "recently-discharged"}),
        ),
    );
    assert_eq!(bad.json()["error"]["field"], "eligibility_until");
    let bad = s.admin("POST", "/api/v1/residents", Some(json!({"name": "x", "address": "y", "dong": "d", "eligibility": "disabled", "contacts": [{"name": "a", "phone": "nope", "relation": "son"}]})));
    assert_eq!(bad.json()["error"]["field"], "contacts[0].phone");
    let list = s.admin("GET", "/api/v1/residents", None).json();
    assert!(
        list["residents"].as_array().unwrap().is_empty(),
        "nothing stored by refused requests"
    );
}

#[test]
fn an_event_id_reused_by_another_device_is_a_conflict_not_the_first_answer() {
    let s = Suite::start("eventid");
    let a = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dev_a = s.device(&a, "pendant", json!({}));
    let dev_b = s.device(&b, "pendant", json!({}));
    let first = s.event(&dev_a, "evt-shared", "emergency-call");
    assert_eq!(first.status, 200);
    let other = s.event(&dev_b, "evt-shared", "emergency-call");
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(other.json()["error"]["field"], "event_id");
    assert!(
        !other.body.contains("inc-"),
        "must not leak the other device's incident"
    );
    assert_eq!(
        s.event(&dev_a, "evt-shared", "emergency-call").json(),
        first.json()
    );
}

#[test]
fn a_119_that_never_answers_is_given_up_on_and_retried() {
    // 119 accepts the connection and answers only after a minute; the suite waits 500 ms.
    let s = Suite::start_with("hang", &["--variable", "send_timeout_ms=500"]);
    s.dispatch.set_delay(Duration::from_secs(60));
    let rid = s.resident("seongnam-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pendant = s.device(&rid, "pendant", json!({}));
    let answer = s.event(&pendant, "evt-hang-1", "emergency-call");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let inc = answer.json()["incident_id"].as_str().unwrap().to_string();
    // The send right after the press gives up after 500 ms and records a failed attempt
    // (while it waits, the row is claimed and no tick may send it).
    let attempts = |s: &Suite| {
        s.admin("GET", &format!("/api/v1/incidents/{inc}"), None)
            .json()["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["channel"] == "dispatch119")
            .map_or(0, |n| n["attempts"].as_i64().unwrap_or(0))
    };
    let waited = std::time::Instant::now();
    while attempts(&s) < 1 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the first send never gave up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Backoff 5 s, 10 s, 20 s…: each tick retries, gives up after the timeout, and returns.
    for secs in [10, 40, 100] {
        let started = std::time::Instant::now();
        let t = s.tick_at(&at(secs));
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the tick waited {:?} on a 119 that does not answer",
            started.elapsed()
        );
        assert!(t["failed"].as_u64().unwrap() >= 1, "{t}");
    }
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{inc}"), None)
        .json();
    assert_eq!(detail["dispatch_failed"], true, "{detail}");

    s.dispatch.set_delay(Duration::ZERO);
    let t = s.tick_at(&at(600));
    assert!(t["delivered"].as_u64().unwrap() >= 1, "{t}");
    let (detail, n119) = dispatches_of(&s, &inc);
    assert_eq!(detail["dispatch_failed"], false);
    assert_eq!(n119.len(), 1, "one dispatch, however many attempts");
    assert_eq!(n119[0]["state"], "delivered");
    let keys: BTreeSet<String> = s
        .dispatch
        .received()
        .iter()
        .filter_map(|r| r.header("idempotency-key").map(str::to_string))
        .collect();
    assert_eq!(
        keys.len(),
        1,
        "every attempt carries the same idempotency key"
    );
}

#[test]
fn one_dispatch_per_emergency_while_ticks_race_a_slow_119() {
    // 119 takes two seconds to answer. The immediate send after the press and three ticks
    // fired meanwhile all find the dispatch due; only the one that claimed it may send it.
    let s = Suite::start("race");
    let res = s.resident("jung-dong", 1, json!({}));
    let pendant = s.device(res["id"].as_str().unwrap(), "pendant", json!({}));
    s.dispatch.set_delay(Duration::from_secs(2));

    let answer = s.event(&pendant, "evt-race-1", "emergency-call");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let incident = answer.json()["incident_id"].as_str().unwrap().to_string();
    s.dispatch
        .wait_for(Duration::from_secs(5), |r| !r.is_empty());
    let ticks: Vec<_> = (0..3)
        .map(|_| {
            let url = s.host.url("/api/v1/jobs/tick");
            std::thread::spawn(move || {
                safetynet_tests::request(
                    "POST",
                    &url,
                    &[("authorization", "Bearer test-admin-token")],
                    Some("{}"),
                )
                .status
            })
        })
        .collect();
    for t in ticks {
        assert_eq!(t.join().unwrap(), 200);
    }
    std::thread::sleep(Duration::from_millis(2500));

    let dispatches = s.dispatch.received();
    assert_eq!(
        dispatches.len(),
        1,
        "119 saw {} dispatches",
        dispatches.len()
    );
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{incident}"), None)
        .json();
    let sent: Vec<&Value> = detail["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["channel"] == "dispatch119")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["state"], "delivered");
    assert_eq!(sent[0]["attempts"], 1);
}

/// A signed event with a `data` object, as a device sends it now.
fn event_with(
    s: &Suite,
    device: &safetynet_tests::suite::Device,
    id: &str,
    kind: &str,
    data: Value,
) -> safetynet_tests::Answer {
    let body = json!({"event_id": id, "device_id": device.id, "kind": kind, "occurred_at": now_rfc3339(), "data": data});
    s.send_signed(device, &device.secret, now_secs(), &body)
}

#[test]
fn a_device_back_online_resolves_its_offline_incident_and_stops_the_ladder() {
    let s = Suite::start("restore-offline");
    let res = s.resident("jung-dong", 2, json!({}));
    let rid = res["id"].as_str().unwrap().to_string();
    let gateway = s.device(&rid, "gateway", json!({"heartbeat_interval_s": 60}));

    // Silent for longer than two intervals: the tick opens a device-offline incident.
    assert_eq!(s.tick_at(&at(3 * 60))["offline_opened"], 1);
    let list = s
        .admin("GET", "/api/v1/incidents?kind=device-offline", None)
        .json();
    let id = list["incidents"][0]["id"].as_str().unwrap().to_string();

    let back = event_with(
        &s,
        &gateway,
        "evt-back",
        "restore",
        json!({"restores": "device-offline"}),
    );
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.json()["incident_id"], id.as_str());
    assert_eq!(back.json()["incident"], "resolved");

    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["state"], "resolved");
    assert_eq!(detail["outcome"], "restored-by-device");
    assert!(
        detail["timeline"]
            .to_string()
            .contains(&format!("device:{}", gateway.id)),
        "{}",
        detail["timeline"]
    );
    // The ladder stopped: an hour later nobody else is told and no 119 welfare check goes out.
    let sms_before = s.sms.received().len();
    assert_eq!(s.tick_at(&at(3 * 60 + 61 * 60))["escalated"], 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(s.sms.received().len(), sms_before);
    assert!(s.dispatch.received().is_empty());
}

#[test]
fn a_restore_never_closes_a_persons_emergency_and_only_quiets_smoke() {
    let s = Suite::start("restore-emergency");
    let res = s.resident("jung-dong", 1, json!({}));
    let rid = res["id"].as_str().unwrap().to_string();
    let pendant = s.device(&rid, "pendant", json!({}));
    let smoke = s.device(&rid, "smoke", json!({}));

    let press = s.event(&pendant, "evt-press", "emergency-call").json();
    let undo = event_with(
        &s,
        &pendant,
        "evt-undo",
        "restore",
        json!({"restores": "emergency-call"}),
    );
    assert_eq!(undo.status, 200, "{}", undo.body);
    assert_eq!(undo.json()["incident"], Value::Null);
    let id = press["incident_id"].as_str().unwrap();
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["state"], "triggered", "a person closes an emergency");

    // Smoke: 119 was dispatched, so clearing smoke keeps the incident open for a person, at
    // low severity, with its ladder stopped.
    let alarm = s.event(&smoke, "evt-smoke", "smoke").json();
    let smoke_id = alarm["incident_id"].as_str().unwrap();
    // Only a device that reported the smoke can clear it.
    let other = event_with(
        &s,
        &pendant,
        "evt-other",
        "restore",
        json!({"restores": "smoke"}),
    );
    assert_eq!(other.json()["incident"], Value::Null, "{}", other.body);
    let cleared = event_with(
        &s,
        &smoke,
        "evt-clear",
        "restore",
        json!({"restores": "smoke"}),
    );
    assert_eq!(cleared.json()["incident"], "downgraded", "{}", cleared.body);
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{smoke_id}"), None)
        .json();
    assert_eq!(detail["state"], "triggered");
    assert_eq!(detail["severity"], "low");
    let pending: Vec<&Value> = detail["escalation"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|step| step["state"] == "pending")
        .collect();
    assert!(pending.is_empty(), "{}", detail["escalation"]);

    // A restore must say what it restores.
    let bad = event_with(&s, &pendant, "evt-bad", "restore", json!({}));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "data.restores");
    let bad = event_with(
        &s,
        &pendant,
        "evt-bad2",
        "restore",
        json!({"restores": "sunshine"}),
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn eight_tick_loops_and_the_immediate_sends_deliver_every_notification_exactly_once() {
    // Real Spin commits each write on its own and ingests at about a ninth of the host's rate;
    // there 100 emergencies keep the test short. Each tick may take up to two minutes.
    let emergencies: usize = match safetynet_tests::Runtime::from_env() {
        safetynet_tests::Runtime::Host => 500,
        safetynet_tests::Runtime::Spin => 100,
    };
    let s = Suite::start("tick-storm");
    // A receiver a little slow to answer, so sends overlap.
    s.dispatch.set_delay(Duration::from_millis(5));
    s.sms.set_delay(Duration::from_millis(2));
    let pendants: Vec<_> = (0..emergencies)
        .map(|i| {
            let res = s.resident(&format!("dong-{}", i % 10), 1, json!({}));
            s.device(res["id"].as_str().unwrap(), "pendant", json!({}))
        })
        .collect();

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loops: Vec<_> = (0..8)
        .map(|_| {
            let (url, done) = (s.host.url("/api/v1/jobs/tick"), done.clone());
            std::thread::spawn(move || {
                let mut ticks = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let a = safetynet_tests::request_within(
                        Duration::from_secs(120),
                        "POST",
                        &url,
                        &[("authorization", "Bearer test-admin-token")],
                        Some("{}"),
                    );
                    assert_eq!(a.status, 200, "{}", a.body);
                    ticks += 1;
                }
                ticks
            })
        })
        .collect();
    std::thread::scope(|scope| {
        for chunk in pendants.chunks(emergencies.div_ceil(8)) {
            let s = &s;
            scope.spawn(move || {
                for p in chunk {
                    let a = s.event(p, &format!("evt-storm-{}", p.id), "emergency-call");
                    assert_eq!(a.status, 200, "{}", a.body);
                }
            });
        }
    });
    // Let the loops finish what is in flight, then stop them.
    s.dispatch
        .wait_for(Duration::from_secs(30), |r| r.len() >= emergencies);
    std::thread::sleep(Duration::from_secs(1));
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let ticks: u32 = loops.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(ticks >= 8, "the tick loops ran ({ticks} ticks)");

    for (who, received) in [("119", s.dispatch.received()), ("SMS", s.sms.received())] {
        let mut per_key = std::collections::BTreeMap::<String, u32>::new();
        for r in &received {
            *per_key
                .entry(r.header("idempotency-key").unwrap().to_string())
                .or_default() += 1;
        }
        let twice: Vec<_> = per_key.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.is_empty(),
            "{who} got these more than once: {twice:?}"
        );
        // 119 once per emergency; caregiver and dong centre once each.
        let expected = if who == "119" {
            emergencies
        } else {
            2 * emergencies
        };
        assert_eq!(per_key.len(), expected, "{who}");
    }
}

#[test]
fn an_unanswered_emergency_keeps_telling_the_centre_until_someone_acknowledges() {
    // The built-in policy repeats an emergency's last rung (the dong centre, at +10 min) every
    // 15 minutes, at most four times.
    let s = Suite::start("repeat");
    let res = s.resident("jung-dong", 1, json!({}));
    let pendant = s.device(res["id"].as_str().unwrap(), "pendant", json!({}));
    let id = s.event(&pendant, "evt-repeat", "emergency-call").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let centre = |s: &Suite| {
        s.sms
            .received()
            .iter()
            .filter(|r| body(r)["channel"] == "welfare-centre")
            .count()
    };
    s.sms.wait_for(Duration::from_secs(5), |r| r.len() >= 2);
    assert_eq!(centre(&s), 1, "told at once");

    for (minutes, expected) in [(11, 2), (26, 3), (41, 4)] {
        let t = s.tick_at(&at(minutes * 60));
        assert!(t["escalated"].as_u64().unwrap() >= 1, "+{minutes} min: {t}");
        s.sms
            .wait_for(Duration::from_secs(5), |_| centre(&s) >= expected);
        assert_eq!(centre(&s), expected, "+{minutes} min");
    }

    let ack = s.admin(
        "POST",
        &format!("/api/v1/incidents/{id}/acknowledge"),
        Some(json!({"note": "centre on the phone"})),
    );
    assert_eq!(ack.status, 200, "{}", ack.body);
    assert_eq!(s.tick_at(&at(56 * 60))["escalated"], 0);
    assert_eq!(s.tick_at(&at(90 * 60))["escalated"], 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(centre(&s), 4, "the repeats stopped at the acknowledgement");
}

#[test]
fn what_119_reports_back_lands_on_the_incident_and_in_the_statistics() {
    let s = Suite::start("dispatch-updates");
    let res = s.resident("jung-dong", 1, json!({}));
    let pendant = s.device(res["id"].as_str().unwrap(), "pendant", json!({}));
    let id = s.event(&pendant, "evt-119", "emergency-call").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let dispatch = s
        .dispatch
        .wait_for(Duration::from_secs(5), |r| !r.is_empty());
    let key = dispatch[0].header("idempotency-key").unwrap().to_string();
    let centre_119 = s.staff("dispatcher", None);
    let update = |status: &str, token: &str| {
        s.call(
            "POST",
            "/api/v1/dispatch-updates",
            token,
            Some(&json!({"idempotency_key": key, "status": status, "note": "구급대 출동"})),
        )
    };

    for status in ["received", "en-route", "on-scene", "transported"] {
        let a = update(status, &centre_119);
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.json()["duplicate"], false);
        assert_eq!(a.json()["dispatch_status"], status);
    }
    // 119 sends the same report again: stored once.
    let again = update("transported", &centre_119);
    assert_eq!(again.json()["duplicate"], true);

    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["dispatch_status"], "transported");
    assert!(detail["transported_at"].is_string());
    let actions: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["action"].as_str().unwrap())
        .filter(|a| a.starts_with("dispatch-"))
        .collect();
    assert_eq!(
        actions,
        [
            "dispatch-received",
            "dispatch-en-route",
            "dispatch-on-scene",
            "dispatch-transported"
        ]
    );
    let stats = s.admin("GET", "/api/v1/incidents/stats", None).json();
    assert_eq!(stats["transported_by_119"], 1, "{stats}");
    assert_eq!(stats["transported_by_119_this_year"], 1, "{stats}");

    // Bad reports change nothing and say which field is wrong.
    let worker = s.staff("welfare-centre", Some("jung-dong"));
    assert_eq!(update("cancelled", &worker).status, 403);
    let bad = s.call(
        "POST",
        "/api/v1/dispatch-updates",
        &centre_119,
        Some(&json!({"idempotency_key": key, "status": "teleported"})),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "status");
    let unknown = s.call(
        "POST",
        "/api/v1/dispatch-updates",
        &centre_119,
        Some(&json!({"idempotency_key": "inc-nope/1000/dispatch119/", "status": "received"})),
    );
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let sms_key = s.sms.received()[0]
        .header("idempotency-key")
        .unwrap()
        .to_string();
    let not_119 = s.call(
        "POST",
        "/api/v1/dispatch-updates",
        &centre_119,
        Some(&json!({"idempotency_key": sms_key, "status": "received"})),
    );
    assert_eq!(not_119.status, 400);
    assert_eq!(not_119.json()["error"]["field"], "idempotency_key");
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["dispatch_status"], "transported");
}

#[test]
fn an_oversized_unsigned_body_is_refused_unread() {
    let s = Suite::start("oversized");
    // Over the 64 KiB limit, yet small enough for the client to finish sending before the
    // answer comes (a client still writing when the suite answers early sees the connection
    // closed instead of the 413).
    let huge = format!(
        "{{\"device_id\": \"dev-x\", \"pad\": \"{}\"}}",
        "x".repeat(200 * 1024)
    );
    let a = safetynet_tests::request(
        "POST",
        &s.host.url("/api/v1/device-events"),
        &[
            ("content-type", "application/json"),
            ("x-safetynet-timestamp", &now_secs().to_string()),
            ("x-safetynet-signature", "v1=00"),
        ],
        Some(&huge),
    );
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.json()["error"]["code"], "payload_too_large");
    assert_eq!(
        s.admin("GET", "/api/v1/incidents", None).json()["incidents"],
        json!([])
    );
}

#[test]
fn every_json_route_refuses_an_oversized_body_and_changes_nothing() {
    let s = Suite::start("oversized-all");
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(200 * 1024));
    let worker = s.staff("welfare-centre", Some("jung-dong"));
    let routes: [(&str, &str, Option<&str>); 6] = [
        ("POST", "/api/v1/officer-applications", None),
        (
            "POST",
            "/api/v1/sms-replies",
            Some(safetynet_tests::suite::SMS_REPLY_TOKEN),
        ),
        ("POST", "/api/v1/residents", Some(&worker)),
        ("POST", "/api/v1/schedules", Some(&worker)),
        ("POST", "/api/v1/jobs/tick", Some("test-admin-token")),
        (
            "POST",
            "/api/v1/scoring/cycles/2026-11-12/runs",
            Some("test-admin-token"),
        ),
    ];
    for (method, path, token) in routes {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a));
        }
        let a = safetynet_tests::request(method, &s.host.url(path), &headers, Some(&huge));
        assert_eq!(a.status, 413, "{method} {path}: {}", a.body);
        assert_eq!(a.json()["error"]["code"], "payload_too_large", "{path}");
    }
    let apps = s.admin("GET", "/api/v1/officer-applications", None).json();
    assert_eq!(apps["applications"], json!([]));
    let residents = s.admin("GET", "/api/v1/residents", None).json();
    assert_eq!(residents["residents"], json!([]));
}

/// Peak resident memory of a process (kB), from /proc.
fn peak_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One client announcing a 300 MB body to the webhook and streaming it; what status line it
/// read back (its reader runs beside the writer, as a browser's or curl's does).
fn huge_upload(addr: std::net::SocketAddr) -> Option<String> {
    use std::io::{Read, Write};
    const SIZE: usize = 300 * 1024 * 1024;
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = conn.try_clone().unwrap();
    let read = std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        let mut got = Vec::new();
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&got)
            .lines()
            .next()
            .map(str::to_string)
    });
    let head = format!(
        "POST /api/v1/device-events HTTP/1.1\r\nhost: suite\r\ncontent-type: application/json\r\n\
         x-safetynet-timestamp: 1\r\nx-safetynet-signature: v1=00\r\ncontent-length: {SIZE}\r\n\r\n"
    );
    let _ = conn.write_all(head.as_bytes());
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < SIZE && !read.is_finished() {
        if conn.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    read.join().unwrap()
}

#[test]
fn twenty_300_mb_bodies_at_once_leave_memory_bounded_and_emergencies_on_time() {
    let s = Suite::start("oversized-flood");
    let rid = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pendant = s.device(&rid, "pendant", json!({}));
    assert_eq!(s.event(&pendant, "warm-up", "heartbeat").status, 200);
    let before = peak_kb(s.host.pid());
    let addr = safetynet_tests::bridge::addr_of(&s.host.base);
    let uploads: Vec<_> = (0..20)
        .map(|_| std::thread::spawn(move || huge_upload(addr)))
        .collect();
    // Meanwhile residents press their pendants: each reaches 119 as fast as ever.
    let mut waits = Vec::new();
    for i in 0..5 {
        let sent = Instant::now();
        let a = s.event(&pendant, &format!("press-{i}"), "emergency-call");
        assert_eq!(a.status, 200, "{}", a.body);
        s.dispatch
            .wait_for(Duration::from_secs(10), |r| r.len() > i);
        waits.push(sent.elapsed());
        // Close it, so the next press opens a new incident and a new dispatch.
        let inc = a.json()["incident_id"].as_str().unwrap().to_string();
        let r = s.admin(
            "POST",
            &format!("/api/v1/incidents/{inc}/resolve"),
            Some(json!({"outcome": "resolved-on-site", "note": "drill"})),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let answers: Vec<Option<String>> = uploads.into_iter().map(|t| t.join().unwrap()).collect();
    let after = peak_kb(s.host.pid());
    println!(
        "host peak memory: {} MB before, {} MB after 20 x 300 MB; 119 reached in {waits:?}",
        before / 1024,
        after / 1024
    );
    for a in &answers {
        let line = a
            .as_deref()
            .unwrap_or("(connection reset before any answer)");
        assert!(
            line.contains(" 413 "),
            "every oversized body is refused: {answers:?}"
        );
    }
    // Real Spin serves from a child process; its memory is Spin's own concern, not measured.
    if s.host.runtime == safetynet_tests::Runtime::Host {
        assert!(after < 200 * 1024, "host peak {} MB", after / 1024);
    }
    assert!(
        waits.iter().all(|w| *w < Duration::from_secs(1)),
        "emergencies waited: {waits:?}"
    );
}

#[test]
fn a_flooding_device_is_limited_but_its_emergencies_always_get_through() {
    let s = Suite::start_with(
        "device-rate",
        &["--variable", "device_event_limit_per_minute=3"],
    );
    let rid = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let noisy = s.device(&rid, "pendant", json!({}));
    let quiet = s.device(&rid, "activity", json!({}));
    // Stay inside one minute, so the count is not reset halfway.
    let second = now_secs() % 60;
    if second > 50 {
        std::thread::sleep(Duration::from_secs(61 - second as u64));
    }
    for i in 0..3 {
        let a = s.event(&noisy, &format!("evt-hb-{i}"), "heartbeat");
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let over = s.event(&noisy, "evt-hb-3", "heartbeat");
    assert_eq!(over.status, 429, "{}", over.body);
    assert_eq!(over.json()["error"]["code"], "rate_limited");
    // A retransmission of something stored is answered as before, not refused.
    assert_eq!(s.event(&noisy, "evt-hb-1", "heartbeat").status, 200);
    // The emergency from the same device goes through and reaches 119.
    let sos = s.event(&noisy, "evt-sos-1", "emergency-call");
    assert_eq!(sos.status, 200, "{}", sos.body);
    assert!(sos.json()["incident_id"].is_string(), "{}", sos.body);
    s.dispatch
        .wait_for(Duration::from_secs(5), |r| !r.is_empty());
    assert_eq!(s.dispatch.received().len(), 1);
    // Another device of the same resident is not affected.
    assert_eq!(s.event(&quiet, "evt-act-1", "activity").status, 200);
}
