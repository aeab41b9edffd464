//! Honorary social welfare officers end to end: a citizen applies, the support centre approves
//! or rejects (audited, SMS to the applicant), the officer logs hours under the rules, the dong
//! centre approves them and badges cross, crisis reports reach the right dong's queue (and an
//! urgent one about an enrolled resident opens an incident), and the exports read line by line.

use safetynet_tests::suite::{Suite, now_secs};
use safetynet_tests::{Answer, Received, request};
use serde_json::{Value, json};
use std::time::Duration;

fn public(s: &Suite, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let body = body.map(|b| b.to_string());
    request(
        method,
        &s.host.url(path),
        &[("content-type", "application/json")],
        body.as_deref(),
    )
}

fn application(phone: &str) -> Value {
    json!({
        "name": "박민수",
        "birth_year": 1968,
        "phone": phone,
        "address": "울산광역시 중구 성안로 11",
        "dong": "jung-dong",
        "activity_areas": ["crisis-discovery", "home-visit"],
        "motivation": "동네 어르신들을 자주 뵙고 있어 위기 가구를 일찍 알릴 수 있습니다.",
        "consent_personal_data": true,
        "volunteer_portal_id": "minsu68"
    })
}

fn start() -> Suite {
    Suite::start_with("officers", &["--variable", "officer_apply_limit=1000"])
}

/// Applies and returns (application id, reference), the id as the support centre sees it.
fn apply(s: &Suite, phone: &str) -> (String, String) {
    let a = public(
        s,
        "POST",
        "/api/v1/officer-applications",
        Some(&application(phone)),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let reference = a.json()["reference"].as_str().unwrap().to_string();
    let list = s
        .admin("GET", "/api/v1/officer-applications?state=pending", None)
        .json();
    let id = list["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["phone"] == phone)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (id, reference)
}

/// Approves an application; returns (officer id, officer token).
fn approve(s: &Suite, support: &str, app_id: &str, number: &str, dong: &str) -> (String, String) {
    let a = s.call(
        "POST",
        &format!("/api/v1/officer-applications/{app_id}/approve"),
        support,
        Some(&json!({"officer_number": number, "dong": dong})),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let v = a.json();
    (
        v["officer"]["id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    )
}

fn officer(s: &Suite, phone: &str, number: &str, dong: &str) -> (String, String) {
    let support = s.staff("support-centre", None);
    let (app, _) = apply(s, phone);
    approve(s, &support, &app, number, dong)
}

/// City-local (KST) date `days` from today.
fn kst_date(days: i64) -> String {
    safetynet_wire::time::to_rfc3339((now_secs() + days * 86_400 + 9 * 3_600) * 1000)[..10]
        .to_string()
}

fn log(s: &Suite, token: &str, date: &str, start: &str, hours: f64, kind: &str) -> Answer {
    s.call(
        "POST",
        "/api/v1/officers/me/activities",
        token,
        Some(&json!({"date": date, "start": start, "hours": hours, "kind": kind, "note": "김○○ 어르신 댁 방문"})),
    )
}

fn logged(s: &Suite, token: &str, date: &str, start: &str, hours: f64, kind: &str) -> String {
    let a = log(s, token, date, start, hours, kind);
    assert_eq!(a.status, 201, "{}", a.body);
    a.json()["id"].as_str().unwrap().to_string()
}

fn rule_of(a: &Answer) -> String {
    assert_eq!(a.status, 400, "{}", a.body);
    let e = &a.json()["error"];
    assert_eq!(e["code"], "rule_violation");
    let rule = e["rule"].as_str().unwrap().to_string();
    assert!(e["message"].as_str().unwrap().starts_with(&rule), "{e}");
    rule
}

fn decide(s: &Suite, token: &str, id: &str, action: &str, body: Option<Value>) -> Answer {
    s.call(
        "POST",
        &format!("/api/v1/officer-activities/{id}/{action}"),
        token,
        body.as_ref(),
    )
}

fn sms_body(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

fn csv_lines(a: &Answer) -> Vec<String> {
    assert_eq!(a.status, 200, "{}", a.body);
    let body = a.body.strip_prefix('\u{feff}').expect("UTF-8 BOM first");
    assert!(body.ends_with("\r\n"));
    body.trim_end_matches("\r\n")
        .split("\r\n")
        .map(str::to_string)
        .collect()
}

#[test]
fn applications_are_validated_field_by_field_and_duplicates_refused() {
    let s = start();
    // Everything wrong at once: every field is named.
    let a = public(
        &s,
        "POST",
        "/api/v1/officer-applications",
        Some(
            &json!({"birth_year": 2020, "activity_areas": ["gardening"], "consent_personal_data": false}),
        ),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    let e = a.json()["error"].clone();
    assert_eq!(e["code"], "invalid_field");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "phone",
            "address",
            "dong",
            "motivation",
            "birth_year",
            "activity_areas[0]",
            "consent_personal_data"
        ]
    );
    assert_eq!(e["field"], "name");

    for (field, value, expect) in [
        (
            "consent_personal_data",
            json!(false),
            "consent_personal_data",
        ),
        (
            "consent_personal_data",
            Value::Null,
            "consent_personal_data",
        ),
        ("birth_year", json!(2015), "birth_year"),
        ("phone", json!("call me"), "phone"),
        ("activity_areas", json!([]), "activity_areas"),
        ("motivation", json!("좋아요"), "motivation"),
        (
            "volunteer_portal_id",
            json!("no spaces"),
            "volunteer_portal_id",
        ),
    ] {
        let mut body = application("010-2222-3333");
        body[field] = value;
        let a = public(&s, "POST", "/api/v1/officer-applications", Some(&body));
        assert_eq!(a.status, 400, "{field}: {}", a.body);
        assert_eq!(a.json()["error"]["field"], expect, "{}", a.body);
    }
    assert_eq!(
        public(&s, "POST", "/api/v1/officer-applications", None).status,
        400
    );

    let a = public(
        &s,
        "POST",
        "/api/v1/officer-applications",
        Some(&application("010-2222-3333")),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let v = a.json();
    let reference = v["reference"].as_str().unwrap();
    assert_eq!(reference.len(), 17, "{reference}");
    assert!(reference.starts_with("OA-"));
    assert_eq!(v["state"], "pending");

    // The same number written another way is the same person.
    let again = public(
        &s,
        "POST",
        "/api/v1/officer-applications",
        Some(&application("+82 10 2222 3333")),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["error"]["code"], "duplicate_application");
    assert_eq!(again.json()["error"]["field"], "phone");

    // Status by reference, without a token, and without personal details; lower case works too.
    let st = public(
        &s,
        "GET",
        &format!(
            "/api/v1/officer-applications/status/{}",
            reference.to_lowercase()
        ),
        None,
    );
    assert_eq!(st.status, 200, "{}", st.body);
    assert_eq!(st.json()["state"], "pending");
    assert!(st.json().get("name").is_none() && st.json().get("phone").is_none());
    assert_eq!(
        public(
            &s,
            "GET",
            "/api/v1/officer-applications/status/OA-0000-0000-0000",
            None
        )
        .status,
        404
    );
    // The list itself needs a token.
    assert_eq!(
        public(&s, "GET", "/api/v1/officer-applications", None).status,
        401
    );
}

#[test]
fn applications_are_rate_limited_per_client_address() {
    let s = Suite::start_with("officers-rate", &["--variable", "officer_apply_limit=3"]);
    for i in 0..3 {
        let a = public(
            &s,
            "POST",
            "/api/v1/officer-applications",
            Some(&application(&format!("010-5555-000{i}"))),
        );
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let a = request(
        "POST",
        &s.host.url("/api/v1/officer-applications"),
        &[("content-type", "application/json")],
        Some(&application("010-5555-0009").to_string()),
    );
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(a.json()["error"]["code"], "rate_limited");
    // Nothing was stored for the refused one.
    let list = s.admin("GET", "/api/v1/officer-applications", None).json();
    assert_eq!(list["applications"].as_array().unwrap().len(), 3);
}

/// An application sent with `X-Forwarded-For: client`; its status.
fn apply_from(s: &Suite, client: &str, phone: &str) -> u16 {
    request(
        "POST",
        &s.host.url("/api/v1/officer-applications"),
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", client),
        ],
        Some(&application(phone).to_string()),
    )
    .status
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    // The tests reach the host from 127.0.0.1: declared a proxy here, so the X-Forwarded-For
    // it sends names the client.
    let s = Suite::start_with(
        "officers-proxy",
        &[
            "--variable",
            "officer_apply_limit=1",
            "--variable",
            "trusted_proxies=127.0.0.1",
        ],
    );
    assert_eq!(apply_from(&s, "203.0.113.1", "010-5556-0001"), 201);
    assert_eq!(
        apply_from(&s, "203.0.113.2", "010-5556-0002"),
        201,
        "another client"
    );
    assert_eq!(
        apply_from(&s, "203.0.113.1", "010-5556-0003"),
        429,
        "the first again"
    );
    // A client cannot dodge the limit by naming itself: the proxy's hop is the one believed.
    assert_eq!(
        apply_from(&s, "198.51.100.7, 203.0.113.1", "010-5556-0004"),
        429
    );
}

#[test]
fn without_trusted_proxies_a_forwarded_header_changes_nothing() {
    let s = Suite::start_with("officers-noproxy", &["--variable", "officer_apply_limit=1"]);
    assert_eq!(apply_from(&s, "203.0.113.1", "010-5557-0001"), 201);
    assert_eq!(
        apply_from(&s, "203.0.113.2", "010-5557-0002"),
        429,
        "the header is the client's own claim: one address, one limit"
    );
}

#[test]
fn approval_and_rejection_are_audited_and_the_applicant_is_told() {
    let s = start();
    let support = s.staff("support-centre", None);
    let centre = s.staff("welfare-centre", Some("jung-dong"));
    let (app1, ref1) = apply(&s, "010-3000-0001");
    let (app2, ref2) = apply(&s, "010-3000-0002");

    // Only the support centre reviews.
    assert_eq!(
        s.call("GET", "/api/v1/officer-applications", &centre, None)
            .status,
        403
    );
    let pending = s
        .call(
            "GET",
            "/api/v1/officer-applications?state=pending",
            &support,
            None,
        )
        .json();
    assert_eq!(pending["applications"].as_array().unwrap().len(), 2);

    let bad = s.call(
        "POST",
        &format!("/api/v1/officer-applications/{app1}/approve"),
        &support,
        Some(&json!({"dong": "jung-dong"})),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "officer_number");

    let (officer_id, token) = approve(&s, &support, &app1, "UL-2026-00001", "jung-dong");
    assert!(token.starts_with("sno_"));
    let twice = s.call(
        "POST",
        &format!("/api/v1/officer-applications/{app1}/approve"),
        &support,
        Some(&json!({"officer_number": "UL-2026-00009", "dong": "jung-dong"})),
    );
    assert_eq!(twice.status, 409, "{}", twice.body);
    // An officer number is unique.
    let taken = s.call(
        "POST",
        &format!("/api/v1/officer-applications/{app2}/approve"),
        &support,
        Some(&json!({"officer_number": "UL-2026-00001", "dong": "jung-dong"})),
    );
    assert_eq!(taken.status, 409);
    assert_eq!(taken.json()["error"]["field"], "officer_number");

    assert_eq!(
        s.call(
            "POST",
            &format!("/api/v1/officer-applications/{app2}/reject"),
            &support,
            Some(&json!({}))
        )
        .json()["error"]["field"],
        "reason"
    );
    let rej = s.call(
        "POST",
        &format!("/api/v1/officer-applications/{app2}/reject"),
        &support,
        Some(&json!({"reason": "활동 지역 정원 초과"})),
    );
    assert_eq!(rej.status, 200, "{}", rej.body);
    assert_eq!(rej.json()["state"], "rejected");

    // Audit trail of each decision, by whom.
    let d1 = s
        .call(
            "GET",
            &format!("/api/v1/officer-applications/{app1}"),
            &support,
            None,
        )
        .json();
    let actions: Vec<&str> = d1["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["submitted", "approved"]);
    assert!(
        d1["audit"][1]["actor"]
            .as_str()
            .unwrap()
            .starts_with("stf-")
    );
    assert!(
        d1["audit"][1]["note"]
            .as_str()
            .unwrap()
            .contains("UL-2026-00001")
    );
    let d2 = s
        .call(
            "GET",
            &format!("/api/v1/officer-applications/{app2}"),
            &support,
            None,
        )
        .json();
    assert_eq!(d2["audit"][1]["action"], "rejected");
    assert_eq!(d2["audit"][1]["note"], "활동 지역 정원 초과");

    // Both applicants get an SMS through the gateway, once each.
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| r.len() >= 2);
    assert_eq!(sms.len(), 2, "{sms:?}");
    let by_to = |to: &str| sms.iter().map(sms_body).find(|b| b["to"] == to).unwrap();
    let ok = by_to("010-3000-0001");
    assert_eq!(ok["channel"], "officer-applicant");
    assert!(ok["text"].as_str().unwrap().contains("UL-2026-00001"));
    assert!(
        by_to("010-3000-0002")["text"]
            .as_str()
            .unwrap()
            .contains("활동 지역 정원 초과")
    );
    assert!(sms.iter().all(|r| {
        r.header("idempotency-key")
            .unwrap()
            .starts_with("officer-app/")
    }));
    // The tick does not send them again.
    s.tick_at(&safetynet_tests::suite::at(60));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(s.sms.received().len(), 2);

    // The applicants see the outcome by reference.
    let st1 = public(
        &s,
        "GET",
        &format!("/api/v1/officer-applications/status/{ref1}"),
        None,
    )
    .json();
    assert_eq!(
        (
            st1["state"].as_str(),
            st1["officer_number"].as_str(),
            st1["dong"].as_str()
        ),
        (Some("approved"), Some("UL-2026-00001"), Some("jung-dong"))
    );
    let st2 = public(
        &s,
        "GET",
        &format!("/api/v1/officer-applications/status/{ref2}"),
        None,
    )
    .json();
    assert_eq!(st2["state"], "rejected");
    assert_eq!(st2["reason"], "활동 지역 정원 초과");

    // The officer's token: their own record only.
    let me = s.call("GET", "/api/v1/officers/me", &token, None);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["id"], officer_id.as_str());
    assert_eq!(me.json()["officer_number"], "UL-2026-00001");
    assert_eq!(
        s.call("GET", "/api/v1/officer-applications", &token, None)
            .status,
        403
    );
    assert_eq!(s.call("GET", "/api/v1/incidents", &token, None).status, 403);
    assert_eq!(s.call("GET", "/api/v1/residents", &token, None).status, 403);
    let (other, _) = officer(&s, "010-3000-0003", "UL-2026-00003", "jung-dong");
    assert_eq!(
        s.call("GET", &format!("/api/v1/officers/{other}"), &token, None)
            .status,
        403
    );
    assert_eq!(
        s.call(
            "POST",
            &format!("/api/v1/officers/{other}/activities"),
            &token,
            Some(&json!({}))
        )
        .status,
        403
    );

    // A rejected applicant may apply again; an approved one may not.
    assert_eq!(
        public(
            &s,
            "POST",
            "/api/v1/officer-applications",
            Some(&application("010-3000-0002"))
        )
        .status,
        201
    );
    assert_eq!(
        public(
            &s,
            "POST",
            "/api/v1/officer-applications",
            Some(&application("010-3000-0001"))
        )
        .status,
        409
    );
}

#[test]
fn hour_rules_refuse_nine_hours_future_dates_and_overlaps_by_name() {
    let s = start();
    let (_, token) = officer(&s, "010-4000-0001", "UL-2026-00101", "jung-dong");
    let centre = s.staff("welfare-centre", Some("jung-dong"));
    let day = kst_date(-3);

    logged(&s, &token, &day, "09:00", 5.0, "home-visit");
    assert_eq!(
        rule_of(&log(&s, &token, &day, "14:00", 4.0, "meeting")),
        "max-hours-per-day"
    );
    assert_eq!(
        rule_of(&log(&s, &token, &kst_date(-4), "08:00", 9.0, "training")),
        "max-hours-per-day"
    );
    let ok = logged(&s, &token, &day, "14:00", 3.0, "meeting");
    assert_eq!(
        rule_of(&log(&s, &token, &day, "18:00", 0.5, "meeting")),
        "max-hours-per-day"
    );

    assert_eq!(
        rule_of(&log(&s, &token, &kst_date(1), "09:00", 1.0, "home-visit")),
        "no-future-dates"
    );
    logged(
        &s,
        &token,
        &kst_date(0),
        "00:00",
        0.5,
        "information-outreach",
    );

    let other = kst_date(-5);
    logged(&s, &token, &other, "10:00", 2.0, "home-visit");
    let over = log(&s, &token, &other, "11:00", 1.0, "home-visit");
    assert_eq!(rule_of(&over), "no-overlap");
    assert!(
        over.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10:00–12:00")
    );
    logged(&s, &token, &other, "12:00", 1.0, "home-visit");

    // Field errors stay field errors.
    let bad = log(&s, &token, "2026-02-30", "09:00", 1.0, "home-visit");
    assert_eq!(bad.json()["error"]["field"], "date");
    assert_eq!(
        log(&s, &token, &other, "25:00", 1.0, "home-visit").json()["error"]["field"],
        "start"
    );
    assert_eq!(
        log(&s, &token, &other, "15:00", 1.25, "home-visit").json()["error"]["field"],
        "hours"
    );
    assert_eq!(
        log(&s, &token, &other, "15:00", 1.0, "gardening").json()["error"]["field"],
        "kind"
    );

    // A returned entry no longer holds its hours.
    let back = decide(
        &s,
        &centre,
        &ok,
        "return",
        Some(json!({"reason": "회의록 미첨부"})),
    );
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.json()["state"], "returned");
    logged(&s, &token, &day, "14:00", 3.0, "meeting");
}

#[test]
fn badges_cross_when_the_dong_centre_approves_hours() {
    let s = start();
    let (officer_id, token) = officer(&s, "010-6000-0001", "UL-2026-00201", "jung-dong");
    let centre = s.staff("welfare-centre", Some("jung-dong"));
    let elsewhere = s.staff("welfare-centre", Some("seongnam-dong"));
    let support = s.staff("support-centre", None);

    let a = logged(&s, &token, "2025-03-03", "09:00", 8.0, "home-visit");
    let b = logged(
        &s,
        &token,
        "2025-03-04",
        "10:00",
        1.5,
        "information-outreach",
    );
    let c = logged(&s, &token, "2025-04-01", "10:00", 0.5, "meeting");

    // The dong centre's queue; another dong sees none of it and may not decide.
    let q = s
        .call("GET", "/api/v1/officer-activities", &centre, None)
        .json();
    assert_eq!(q["activities"].as_array().unwrap().len(), 3);
    let q2 = s
        .call("GET", "/api/v1/officer-activities", &elsewhere, None)
        .json();
    assert!(q2["activities"].as_array().unwrap().is_empty());
    assert_eq!(decide(&s, &elsewhere, &a, "approve", None).status, 403);
    assert_eq!(
        decide(&s, &support, &a, "approve", None).status,
        403,
        "the dong centre approves, not the support centre"
    );
    assert_eq!(
        decide(&s, &token, &a, "approve", None).status,
        403,
        "officers cannot approve themselves"
    );

    let r = decide(&s, &centre, &a, "approve", None).json();
    assert_eq!(r["state"], "approved");
    assert_eq!(r["new_badges"], json!([]));
    assert_eq!(decide(&s, &centre, &a, "approve", None).status, 409);
    let r = decide(&s, &centre, &b, "approve", None).json();
    assert_eq!(r["new_badges"], json!([]), "9.5 hours is not 10");
    let r = decide(&s, &centre, &c, "approve", None).json();
    let crossed: Vec<&str> = r["new_badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(crossed, ["hours-10"]);

    let h = s
        .call(
            "GET",
            &format!("/api/v1/officers/{officer_id}/hours"),
            &centre,
            None,
        )
        .json();
    assert_eq!(h["lifetime_hours"], 10.0);
    assert_eq!(h["years"], json!([{"year": 2025, "hours": 10.0}]));
    assert_eq!(h["badges"][0]["id"], "hours-10");
    assert_eq!(h["badges"].as_array().unwrap().len(), 1);

    // A later year adds to the lifetime, not to 2025.
    let d = logged(&s, &token, &kst_date(-1), "09:00", 2.0, "training");
    decide(&s, &centre, &d, "approve", None);
    let h = s
        .call("GET", "/api/v1/officers/me/hours", &token, None)
        .json();
    assert_eq!(h["lifetime_hours"], 12.0);
    assert_eq!(h["years"][0], json!({"year": 2025, "hours": 10.0}));
    assert_eq!(
        h["badges"].as_array().unwrap().len(),
        1,
        "a badge is awarded once"
    );
}

#[test]
fn crisis_reports_become_cases_for_that_dong_only_and_urgent_ones_raise_incidents() {
    let s = start();
    let (officer_id, token) = officer(&s, "010-7000-0001", "UL-2026-00301", "jung-dong");
    let centre = s.staff("welfare-centre", Some("jung-dong"));
    let elsewhere = s.staff("welfare-centre", Some("seongnam-dong"));

    let r = s.call(
        "POST",
        "/api/v1/officers/me/crisis-reports",
        &token,
        Some(&json!({"household": "성안로 23 2층 독거 남성", "observed": "우편물이 쌓여 있고 전기요금 독촉장이 붙어 있음", "urgency": "routine"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let case = r.json();
    assert_eq!(case["dong"], "jung-dong");
    assert_eq!(case["source"], "officer");
    assert_eq!(case["reporter_id"], officer_id.as_str());
    assert_eq!(case["incident"], Value::Null);
    assert_eq!(case["new_badges"][0]["id"], "reports-1");
    let case_id = case["id"].as_str().unwrap();

    let mine = s
        .call("GET", "/api/v1/crisis-reports", &centre, None)
        .json();
    assert_eq!(mine["cases"].as_array().unwrap().len(), 1);
    assert_eq!(mine["cases"][0]["id"], case_id);
    assert_eq!(
        mine["cases"][0]["summary"],
        "우편물이 쌓여 있고 전기요금 독촉장이 붙어 있음"
    );
    assert_eq!(
        s.call(
            "GET",
            &format!("/api/v1/crisis-reports/{case_id}"),
            &centre,
            None
        )
        .status,
        200
    );
    // Another dong's centre sees none of it.
    let theirs = s
        .call("GET", "/api/v1/crisis-reports", &elsewhere, None)
        .json();
    assert!(theirs["cases"].as_array().unwrap().is_empty());
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/crisis-reports?dong=jung-dong",
            &elsewhere,
            None
        )
        .status,
        403
    );
    assert_eq!(
        s.call(
            "GET",
            &format!("/api/v1/crisis-reports/{case_id}"),
            &elsewhere,
            None
        )
        .status,
        403
    );
    assert_eq!(
        s.call("GET", "/api/v1/crisis-reports", &token, None).status,
        403
    );
    assert_eq!(
        s.call(
            "POST",
            "/api/v1/officers/me/crisis-reports",
            &token,
            Some(&json!({"household": "x", "observed": "y", "urgency": "soon"}))
        )
        .json()["error"]["field"],
        "urgency"
    );

    // Urgent, about an enrolled resident: routed as a crisis utterance, an incident opens.
    let resident = s.resident("jung-dong", 1, json!({}));
    let rid = resident["id"].as_str().unwrap();
    let u = s.call(
        "POST",
        "/api/v1/officers/me/crisis-reports",
        &token,
        Some(&json!({"household": "등록 대상자", "resident_id": rid, "observed": "며칠째 인기척이 없고 문을 두드려도 응답 없음", "urgency": "urgent"})),
    );
    assert_eq!(u.status, 201, "{}", u.body);
    let u = u.json();
    assert_eq!(u["incident"], "opened");
    let inc = s
        .admin(
            "GET",
            &format!("/api/v1/incidents/{}", u["incident_id"].as_str().unwrap()),
            None,
        )
        .json();
    assert_eq!(inc["kind"], "crisis-utterance");
    assert_eq!(inc["dong"], "jung-dong");
    assert_eq!(inc["resident_id"], rid);
    assert!(
        inc["timeline"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("officer:")
    );
    // Urgent first in the queue.
    let q = s
        .call("GET", "/api/v1/crisis-reports", &centre, None)
        .json();
    assert_eq!(q["cases"][0]["urgency"], "urgent");

    // Urgent, about a household we do not know: the dong centre is texted at once.
    let before = s.sms.received().len();
    let w = s.call(
        "POST",
        "/api/v1/officers/me/crisis-reports",
        &token,
        Some(&json!({"household": "학성공원 옆 컨테이너", "observed": "난방 없이 지내는 노인", "urgency": "urgent"})),
    );
    assert_eq!(w.status, 201, "{}", w.body);
    let wid = w.json()["id"].as_str().unwrap().to_string();
    let sms = s.sms.wait_for(Duration::from_secs(5), |r| {
        r.iter().any(|m| sms_body(m)["case_id"] == wid.as_str())
    });
    assert!(sms.len() > before);
    let m = sms
        .iter()
        .map(sms_body)
        .find(|b| b["case_id"] == wid.as_str())
        .unwrap();
    assert_eq!(m["channel"], "welfare-centre");
    assert_eq!(m["dong"], "jung-dong");
    assert!(
        !m["text"].as_str().unwrap().contains("컨테이너"),
        "SMS carries ids, not the report"
    );

    let list = s
        .call("GET", "/api/v1/officers/me/crisis-reports", &token, None)
        .json();
    assert_eq!(list["crisis_reports"].as_array().unwrap().len(), 3);
}

#[test]
fn exports_read_line_by_line() {
    // Award rules as data: a small award so a few entries make a candidate.
    let mut rules: Value =
        serde_json::from_str(include_str!("../../components/recognition/rules.json")).unwrap();
    rules["awards"][0]["min_hours"] = json!(4);
    rules["awards"][0]["min_active_months"] = json!(2);
    rules["awards"][0]["min_crisis_reports"] = json!(0);
    let rules_var = format!("recognition_rules={rules}");
    let s = Suite::start_with(
        "officers-exports",
        &[
            "--variable",
            "officer_apply_limit=1000",
            "--variable",
            &rules_var,
        ],
    );
    let support = s.staff("support-centre", None);
    let centre = s.staff("welfare-centre", Some("jung-dong"));
    let (app, _) = apply(&s, "010-8000-0001");
    let (id, token) = approve(&s, &support, &app, "UL-2025-00007", "jung-dong");

    let a = logged(&s, &token, "2025-05-02", "09:30", 2.5, "home-visit");
    let b = logged(
        &s,
        &token,
        "2025-06-10",
        "14:00",
        2.0,
        "information-outreach",
    );
    let c = logged(&s, &token, "2025-06-11", "10:00", 1.0, "meeting");
    let _pending = logged(&s, &token, "2025-06-12", "10:00", 1.0, "training");
    for x in [&a, &b, &c] {
        assert_eq!(decide(&s, &centre, x, "approve", None).status, 200);
    }

    let st = s.call(
        "GET",
        &format!("/api/v1/officers/{id}/statement?year=2025&format=csv"),
        &token,
        None,
    );
    assert_eq!(
        csv_lines(&st),
        [
            "위촉번호,성명,활동일,시작,종료,인정시간,활동구분",
            "UL-2025-00007,박민수,2025-05-02,09:30,12:00,2.5,가정방문",
            "UL-2025-00007,박민수,2025-06-10,14:00,16:00,2,복지정보 안내",
            "UL-2025-00007,박민수,2025-06-11,10:00,11:00,1,회의",
            "UL-2025-00007,박민수,합계,,,5.5,3건",
        ]
    );
    let js = s
        .call(
            "GET",
            "/api/v1/officers/me/statement?year=2025",
            &token,
            None,
        )
        .json();
    assert_eq!(js["total_hours"], 5.5);
    assert_eq!(js["activity_count"], 3);
    assert_eq!(js["hours_by_kind"]["home-visit"], 2.5);
    assert_eq!(js["officer"]["officer_number"], "UL-2025-00007");

    let vms = s.call(
        "GET",
        "/api/v1/officer-exports/volunteer-hours.csv?from=2025-01-01&to=2025-12-31",
        &support,
        None,
    );
    let org = "울산광역시 명예사회복지공무원 지원센터";
    assert_eq!(
        csv_lines(&vms),
        [
            "순번,실적번호,성명,생년,휴대전화,1365아이디,봉사일자,시작시간,종료시간,봉사시간,봉사분,봉사분야,활동내용,활동지역,인증기관".to_string(),
            format!("1,{a},박민수,1968,010-8000-0001,minsu68,2025-05-02,09:30,12:00,2,30,생활편의지원,명예사회복지공무원 가정방문,jung-dong,{org}"),
            format!("2,{b},박민수,1968,010-8000-0001,minsu68,2025-06-10,14:00,16:00,2,0,상담,명예사회복지공무원 복지정보 안내,jung-dong,{org}"),
            format!("3,{c},박민수,1968,010-8000-0001,minsu68,2025-06-11,10:00,11:00,1,0,기타,명예사회복지공무원 회의,jung-dong,{org}"),
        ]
    );
    assert!(
        !vms.body.contains("어르신"),
        "notes never leave in the export"
    );
    let narrow = s.call(
        "GET",
        "/api/v1/officer-exports/volunteer-hours.csv?from=2025-06-01&to=2025-06-10",
        &support,
        None,
    );
    assert_eq!(csv_lines(&narrow).len(), 2);
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/officer-exports/volunteer-hours.csv",
            &centre,
            None
        )
        .status,
        403
    );
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/officer-exports/volunteer-hours.csv?from=2025-13-01",
            &support,
            None
        )
        .json()["error"]["field"],
        "from"
    );

    // Recruitment against the targets: one officer in jung-dong, one pending in jung-dong.
    apply(&s, "010-8000-0002");
    let r = s
        .call("GET", "/api/v1/officer-exports/recruitment", &support, None)
        .json();
    assert_eq!(r["city"]["target"], 10000);
    assert_eq!(r["city"]["officers"], 1);
    assert_eq!(r["city"]["pending_applications"], 1);
    assert_eq!(r["city"]["still_needed"], 9999);
    let jung = r["dongs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dong"] == "jung-dong")
        .unwrap()
        .clone();
    assert_eq!(
        jung,
        json!({"dong": "jung-dong", "target": 180, "officers": 1, "pending_applications": 1, "percent_of_target": 0.6, "still_needed": 179})
    );
    let own = s
        .call("GET", "/api/v1/officer-exports/recruitment", &centre, None)
        .json();
    assert!(own.get("city").is_none());
    assert_eq!(own["dongs"].as_array().unwrap().len(), 1);

    // Award candidates from the year's approved record, with the city's rules.
    let aw = s
        .call(
            "GET",
            "/api/v1/officer-exports/award-candidates?year=2025",
            &support,
            None,
        )
        .json();
    let c0 = &aw["candidates"][0];
    assert_eq!(c0["award_id"], "mayor-commendation");
    assert_eq!(c0["officer_number"], "UL-2025-00007");
    assert_eq!(c0["rank"], 1);
    // 5.5 h × 1 + 1 home visit × 0.5 + 2 active months × 2.
    assert_eq!(c0["score"], 10.0);
    assert_eq!(aw["candidates"].as_array().unwrap().len(), 1);
}

#[test]
fn rejected_applications_are_deleted_after_their_retention_and_nothing_else() {
    let s = Suite::start_with(
        "officers-retention",
        &[
            "--variable",
            "officer_apply_limit=1000",
            "--variable",
            "retention_rejected_application_days=0",
        ],
    );
    let (rejected, rejected_ref) = apply(&s, "010-7000-0001");
    let (pending, _) = apply(&s, "010-7000-0002");
    let r = s.admin(
        "POST",
        &format!("/api/v1/officer-applications/{rejected}/reject"),
        Some(json!({"reason": "활동 지역 정원 초과"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    std::thread::sleep(Duration::from_millis(20));

    // Only the clock (or an admin) runs the job.
    let worker = s.staff("welfare-centre", Some("jung-dong"));
    assert_eq!(
        s.call("POST", "/api/v1/jobs/officers", &worker, None)
            .status,
        403
    );
    let clock = s.staff("clock", None);
    let job = s.call("POST", "/api/v1/jobs/officers", &clock, None);
    assert_eq!(job.status, 200, "{}", job.body);
    assert_eq!(job.json()["retention"]["rejected_applications"], 1);

    let gone = s.admin(
        "GET",
        &format!("/api/v1/officer-applications/{rejected}"),
        None,
    );
    assert_eq!(gone.status, 404, "{}", gone.body);
    let status = public(
        &s,
        "GET",
        &format!("/api/v1/officer-applications/status/{rejected_ref}"),
        None,
    );
    assert_eq!(status.status, 404, "{}", status.body);
    let kept = s.admin(
        "GET",
        &format!("/api/v1/officer-applications/{pending}"),
        None,
    );
    assert_eq!(
        kept.status, 200,
        "a pending application stays: {}",
        kept.body
    );
    let again = s.call("POST", "/api/v1/jobs/officers", &clock, None);
    assert_eq!(again.json()["retention"]["rejected_applications"], 0);
}
