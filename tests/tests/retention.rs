//! Retention: the tick removes what is past its period and nothing else. Periods are set to
//! zero days here, so "past its period" is anything before the tick.

use safetynet_tests::suite::Suite;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn retention_removes_what_is_due_and_nothing_else() {
    let s = Suite::start_with(
        "retention",
        &[
            "--variable",
            "retention_heartbeat_days=0",
            "--variable",
            "retention_unenrolled_days=0",
            "--variable",
            "retention_closed_incident_days=0",
        ],
    );
    let stays = id(&s.resident("jung-dong", 1, json!({"medical_notes": "고혈압"})));
    let leaves = id(&s.resident("jung-dong", 2, json!({"medical_notes": "당뇨"})));
    let pendant = s.device(&stays, "pendant", json!({}));

    assert_eq!(s.event(&pendant, "evt-hb-1", "heartbeat").status, 200);
    let open = s.event(&pendant, "evt-open-1", "emergency-call").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = s.device(&leaves, "pendant", json!({}));
    let closed = s.event(&other, "evt-closed-1", "fall").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let resolved = s.admin(
        "POST",
        &format!("/api/v1/incidents/{closed}/resolve"),
        Some(json!({"outcome": "resolved-by-welfare-centre"})),
    );
    assert_eq!(resolved.json()["state"], "resolved", "{}", resolved.body);
    let gone = s.admin(
        "POST",
        &format!("/api/v1/residents/{leaves}/unenrol"),
        Some(json!({"reason": "전출"})),
    );
    assert_eq!(gone.status, 200, "{}", gone.body);
    std::thread::sleep(std::time::Duration::from_millis(20));

    let tick = s.admin("POST", "/api/v1/jobs/tick", Some(json!({})));
    assert_eq!(tick.status, 200, "{}", tick.body);
    let r = &tick.json()["retention"];
    assert_eq!(r["heartbeats_deleted"], 1, "{r}");
    assert_eq!(r["residents_erased"], 1, "{r}");
    assert_eq!(r["incidents_deleted"], 1, "{r}");

    // The closed incident and its records are gone; the open one and its event are whole.
    assert_eq!(
        s.admin("GET", &format!("/api/v1/incidents/{closed}"), None)
            .status,
        404
    );
    let still = s.admin("GET", &format!("/api/v1/incidents/{open}"), None);
    assert_eq!(still.status, 200, "{}", still.body);
    assert_eq!(still.json()["events"].as_array().unwrap().len(), 1);

    // The unenrolled resident keeps a record without personal details; the other is untouched.
    let erased = s
        .admin("GET", &format!("/api/v1/residents/{leaves}"), None)
        .json();
    assert_eq!(erased["name"], "", "{erased}");
    assert_eq!(erased["medical_notes"], Value::Null, "{erased}");
    assert_eq!(
        erased["contacts"].as_array().map_or(0, Vec::len),
        0,
        "{erased}"
    );
    assert_eq!(erased["status"], "unenrolled");
    let changes = s
        .admin("GET", &format!("/api/v1/residents/{leaves}/changes"), None)
        .json();
    assert!(
        changes.to_string().contains("erased"),
        "the erasure is in the record's history: {changes}"
    );
    let kept = s
        .admin("GET", &format!("/api/v1/residents/{stays}"), None)
        .json();
    assert_eq!(kept["medical_notes"], "고혈압");
    assert_ne!(kept["name"], "");
    assert_eq!(kept["contacts"].as_array().unwrap().len(), 1);

    // Nothing more is due: a second tick removes nothing.
    let again = s.admin("POST", "/api/v1/jobs/tick", Some(json!({})));
    let r = &again.json()["retention"];
    assert_eq!(r["heartbeats_deleted"], 0, "{r}");
    assert_eq!(r["residents_erased"], 0, "{r}");
    assert_eq!(r["incidents_deleted"], 0, "{r}");
}
