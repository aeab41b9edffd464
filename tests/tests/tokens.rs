//! Tokens over their life: they expire, an admin lists (metadata only) and revokes them, their
//! holder rotates them, and a data provider's token uploads only its own provider's files.

use safetynet_tests::suite::Suite;
use safetynet_tests::{Answer, request};
use serde_json::{Value, json};

fn mint(s: &Suite, body: Value) -> Value {
    let a = s.admin("POST", "/api/v1/staff", Some(body));
    assert_eq!(a.status, 201, "{}", a.body);
    a.json()
}

fn whoami(s: &Suite, token: &str) -> Answer {
    s.call("GET", "/api/v1/incidents", token, None)
}

#[test]
fn tokens_expire_are_listed_revoked_and_rotated() {
    let s = Suite::start("tokens");
    let worker = mint(
        &s,
        json!({"name": "중앙동 담당", "role": "welfare-centre", "dong": "jung-dong"}),
    );
    let clock = mint(&s, json!({"name": "bridge", "role": "clock"}));
    let days = |v: &Value| {
        let at = safetynet_wire::time::parse_rfc3339(v["expires_at"].as_str().unwrap()).unwrap();
        (at / 1000 - safetynet_tests::suite::now_secs() + 3600) / 86_400
    };
    assert_eq!(days(&worker), 90, "people: 90 days");
    assert_eq!(days(&clock), 365, "machines: a year");

    // Listed without the token itself.
    let list = s.admin("GET", "/api/v1/staff", None);
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(worker["token"].as_str().unwrap()));
    assert_eq!(list.json()["staff"].as_array().unwrap().len(), 2);
    let token = worker["token"].as_str().unwrap();
    assert_eq!(s.call("GET", "/api/v1/staff", token, None).status, 403);

    // The holder rotates: the old token stops, the new one works with the same scope.
    assert_eq!(whoami(&s, token).status, 200);
    let rotated = s.call("POST", "/api/v1/staff/rotate", token, Some(&json!({})));
    assert_eq!(rotated.status, 201, "{}", rotated.body);
    let fresh = rotated.json();
    assert_eq!(fresh["dong"], "jung-dong");
    let old = whoami(&s, token);
    assert_eq!(old.status, 401);
    assert_eq!(old.json()["error"]["code"], "token_revoked");
    let fresh_token = fresh["token"].as_str().unwrap();
    assert_eq!(whoami(&s, fresh_token).status, 200);

    // An admin revokes it; revoking twice is a conflict.
    let id = fresh["id"].as_str().unwrap();
    let path = format!("/api/v1/staff/{id}/revoke");
    assert_eq!(s.admin("POST", &path, None).status, 200);
    assert_eq!(s.admin("POST", &path, None).status, 409);
    assert_eq!(
        whoami(&s, fresh_token).json()["error"]["code"],
        "token_revoked"
    );

    // Expiry: the clock's token, made to have ended (as a year passing would).
    let db = rusqlite::Connection::open(s.state_dir.join("sqlite_db.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute(
        "UPDATE staff_tokens SET expires_at = 1 WHERE id = ?1",
        [clock["id"].as_str().unwrap()],
    )
    .unwrap();
    let late = request(
        "POST",
        &s.host.url("/api/v1/jobs/tick"),
        &[(
            "authorization",
            &format!("Bearer {}", clock["token"].as_str().unwrap()),
        )],
        Some("{}"),
    );
    assert_eq!(late.status, 401);
    assert_eq!(late.json()["error"]["code"], "token_expired");
}

#[test]
fn a_data_provider_uploads_only_its_own_files() {
    let s = Suite::start("provider-token");
    let cycle = "/api/v1/scoring/cycles/2026-11-12";
    let households = "household_id,dong,size,head_age_band\nh1,east-dong,1,75-plus\n";
    let put = |token: &str, path: &str, csv: &str| {
        request(
            "PUT",
            &s.host.url(path),
            &[
                ("authorization", &format!("Bearer {token}")),
                ("content-type", "text/csv"),
            ],
            Some(csv),
        )
    };
    assert_eq!(
        put(
            safetynet_tests::suite::ADMIN,
            &format!("{cycle}/households"),
            households
        )
        .status,
        200
    );
    let water = mint(
        &s,
        json!({"name": "상수도사업본부", "role": "data-provider", "provider": "waterworks"}),
    );
    let token = water["token"].as_str().unwrap();
    let csv =
        "household_id,water_arrears_months,water_arrears_amount,water_supply_cut\nh1,2,30000,0\n";
    let own = put(token, &format!("{cycle}/providers/waterworks"), csv);
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(
        put(token, &format!("{cycle}/providers/kepco"), "household_id\n").status,
        403
    );
    assert_eq!(
        put(token, &format!("{cycle}/households"), households).status,
        403
    );
    assert_eq!(whoami(&s, token).status, 403, "and reads nothing else");
    let missing = s.admin(
        "POST",
        "/api/v1/staff",
        Some(json!({"name": "x", "role": "data-provider"})),
    );
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["error"]["field"], "provider");
}
