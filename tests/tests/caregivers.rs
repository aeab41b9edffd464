//! Caregivers answer without an account: the link in their SMS, or an SMS reply through the
//! gateway's webhook. Either stops the ladder; the incident shows who acknowledged and how.

use safetynet_tests::suite::{Device, SMS_REPLY_TOKEN, Suite, at};
use safetynet_tests::{Answer, Received, request};
use serde_json::{Value, json};
use std::time::Duration;

fn body(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

/// A resident with one caregiver and a pendant that has just been pressed; returns the incident
/// id and the caregiver's SMS.
fn pressed(s: &Suite, event_id: &str) -> (String, Value) {
    let res = s.resident("jung-dong", 1, json!({}));
    let pendant: Device = s.device(res["id"].as_str().unwrap(), "pendant", json!({}));
    let id = s.event(&pendant, event_id, "emergency-call").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| {
        r.iter()
            .any(|m| body(m)["channel"] == "caregiver" && body(m)["incident_id"] == id.as_str())
    });
    let text = sms
        .iter()
        .map(body)
        .find(|m| m["channel"] == "caregiver" && m["incident_id"] == id.as_str())
        .unwrap();
    (id, text)
}

/// The link's path on the suite under test (links carry the configured public URL).
fn link_path(sms: &Value) -> String {
    let url = sms["ack_url"].as_str().unwrap();
    url[url.find("/ack/").unwrap()..].to_string()
}

fn page(s: &Suite, method: &str, path: &str) -> Answer {
    request(
        method,
        &s.host.url(path),
        &[],
        if method == "POST" { Some("") } else { None },
    )
}

fn reply(s: &Suite, token: &str, from: &str, text: &str) -> Answer {
    request(
        "POST",
        &s.host.url("/api/v1/sms-replies"),
        &[
            ("authorization", &format!("Bearer {token}")),
            ("content-type", "application/json"),
        ],
        Some(&json!({"from": from, "text": text}).to_string()),
    )
}

#[test]
fn a_caregiver_acknowledges_by_link_once_and_the_ladder_stops() {
    let s = Suite::start("ack-link");
    let (id, sms) = pressed(&s, "evt-link");
    let code = sms["ack_code"].as_str().unwrap();
    assert!(sms["text"].as_str().unwrap().contains(code), "{sms}");
    let path = link_path(&sms);

    // Opening the link (or a preview fetching it) changes nothing; it shows a button.
    let shown = page(&s, "GET", &path);
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("김순자"), "{}", shown.body);
    assert!(shown.body.contains("<form method=\"post\">"));
    assert!(!shown.body.contains("<script"));
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["state"], "triggered");

    let done = page(&s, "POST", &path);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("확인되었습니다"), "{}", done.body);
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["state"], "acknowledged");
    let caregiver = sms["contact_id"].as_str().unwrap();
    assert_eq!(detail["acknowledged_by"], format!("caregiver:{caregiver}"));
    assert!(
        detail["timeline"]
            .to_string()
            .contains("acknowledged by link")
    );

    // The ladder stopped: nobody is told again.
    let before = s.sms.received().len();
    assert_eq!(s.tick_at(&at(30 * 60))["escalated"], 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(s.sms.received().len(), before);

    // The same link again, and a forged one: a clear page, nothing changes.
    let reused = page(&s, "POST", &path);
    assert_eq!(reused.status, 410);
    assert!(reused.body.contains("이미 사용된"), "{}", reused.body);
    let forged = format!("/ack/{code}-0000000000000000");
    assert_eq!(page(&s, "POST", &forged).status, 404);
    assert_eq!(page(&s, "GET", "/ack/nonsense").status, 404);
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["acknowledged_by"], format!("caregiver:{caregiver}"));
}

#[test]
fn a_caregiver_acknowledges_by_sms_reply_and_unknown_replies_are_kept() {
    let s = Suite::start("ack-sms");
    let (id, sms) = pressed(&s, "evt-sms");
    let phone = sms["to"].as_str().unwrap().to_string();

    // Only the gateway, with its secret, may post replies.
    assert_eq!(reply(&s, "wrong", &phone, "1").status, 401);
    let bad = reply(&s, SMS_REPLY_TOKEN, "", "1");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "from");

    // A stranger's "확인" matches nothing: stored as unmatched and listed, never dropped.
    let stranger = reply(&s, SMS_REPLY_TOKEN, "010-9999-0000", "확인");
    assert_eq!(stranger.status, 200);
    assert_eq!(stranger.json()["outcome"], "unmatched");
    let listed = s.admin("GET", "/api/v1/sms-replies?outcome=unmatched", None);
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["replies"][0]["from"], "01099990000");
    assert_eq!(
        s.admin("GET", &format!("/api/v1/incidents/{id}"), None)
            .json()["state"],
        "triggered"
    );

    // The caregiver replies "1 확인" from the number the SMS went to.
    let ok = reply(&s, SMS_REPLY_TOKEN, &phone, "1 확인");
    assert_eq!(ok.json()["outcome"], "acknowledged", "{}", ok.body);
    assert_eq!(ok.json()["incident_id"], id.as_str());
    let detail = s
        .admin("GET", &format!("/api/v1/incidents/{id}"), None)
        .json();
    assert_eq!(detail["state"], "acknowledged");
    assert!(
        detail["timeline"]
            .to_string()
            .contains("acknowledged by SMS reply")
    );

    // A second reply changes nothing; the link no longer works either.
    let again = reply(&s, SMS_REPLY_TOKEN, &phone, "1");
    assert_eq!(again.json()["outcome"], "unmatched");
    assert_eq!(page(&s, "POST", &link_path(&sms)).status, 410);
}
