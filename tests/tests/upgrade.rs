//! A database written before the schema moved to `migrations/*.sql` opens and upgrades in place
//! without loss. `tests/fixtures/db/before-sql-migrations.db` was made by that main: one resident
//! with a caregiver and a pendant (device secret below, encrypted at rest with the suite's test
//! key), and one emergency that opened an incident.

use safetynet_tests::root;
use safetynet_tests::suite::{Device, Suite, now_rfc3339, now_secs};
use serde_json::json;

const RESIDENT: &str = "res-13417b025eb416fc";
const INCIDENT: &str = "inc-6724039491f8fc9f";
const PENDANT: &str = "dev-122a7791a300a64f";
const PENDANT_SECRET: &str = "511fa6aa1f170a2f0943c4ab4a6357e79a120c51e9cd4564508a34a24b865c8a";

#[test]
fn a_database_from_before_sql_migrations_keeps_everything_and_keeps_working() {
    let suite = Suite::start_seeded(
        "upgrade",
        &root().join("tests/fixtures/db/before-sql-migrations.db"),
    );

    let r = suite.admin("GET", &format!("/api/v1/residents/{RESIDENT}"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    let resident = r.json();
    assert_eq!(resident["name"], "김순자");
    assert_eq!(resident["medical_notes"], "고혈압");
    assert_eq!(resident["contacts"][0]["phone"], "010-1234-5678");

    let r = suite.admin("GET", &format!("/api/v1/incidents/{INCIDENT}"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "triggered");

    // The stored device secret still decrypts: a signed event from the pendant is accepted and
    // joins the open incident rather than opening another.
    let pendant = Device {
        id: PENDANT.into(),
        secret: PENDANT_SECRET.into(),
    };
    let body = json!({"event_id": "evt-after-upgrade", "device_id": PENDANT, "kind": "emergency-call", "occurred_at": now_rfc3339(), "data": {}});
    let r = suite.send_signed(&pendant, PENDANT_SECRET, now_secs(), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["incident_id"], INCIDENT);

    // New writes land in the upgraded schema.
    let other = suite.resident("seongnam-dong", 1, json!({}));
    let r = suite.admin("GET", "/api/v1/residents", None);
    assert_eq!(r.status, 200, "{}", r.body);
    let ids: Vec<String> = r.json()["residents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&RESIDENT.to_string()), "{ids:?}");
    assert!(
        ids.contains(&other["id"].as_str().unwrap().to_string()),
        "{ids:?}"
    );
}
