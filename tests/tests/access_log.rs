//! The access log: every read of a person's record by a person is recorded (who, what, when,
//! which role); a dong worker's attempt on another dong's record is refused and recorded too;
//! only admins may read the log.

use safetynet_tests::suite::Suite;
use serde_json::{Value, json};

fn log_of(s: &Suite, query: &str) -> Vec<Value> {
    let answer = s.admin("GET", &format!("/api/v1/access-log?{query}"), None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["entries"].as_array().unwrap().clone()
}

#[test]
fn reads_are_logged_and_another_dongs_record_is_refused_and_logged() {
    let s = Suite::start("access");
    let own = s.resident("samsan-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let foreign = s.resident("taehwa-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let worker = s.staff("welfare-centre", Some("samsan-dong"));
    let worker_id = s.admin("GET", "/api/v1/staff", None).json()["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["dong"] == "samsan-dong" && t["role"] == "welfare-centre")
        .map(|t| t["id"].as_str().unwrap().to_string())
        .expect("the worker's token is listed");

    let read = s.call("GET", &format!("/api/v1/residents/{own}"), &worker, None);
    assert_eq!(read.status, 200, "{}", read.body);
    let refused = s.call(
        "GET",
        &format!("/api/v1/residents/{foreign}"),
        &worker,
        None,
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        !refused.body.contains("taehwa"),
        "a refusal shows nothing of the record: {}",
        refused.body
    );

    let mine = log_of(&s, &format!("staff_id={worker_id}"));
    let find = |id: &str| mine.iter().find(|e| e["subject_id"] == id).cloned();
    let ok = find(&own).expect("the read is logged");
    assert_eq!(ok["outcome"], "read");
    assert_eq!(ok["subject"], "resident");
    assert_eq!(ok["role"], "welfare-centre");
    assert_eq!(ok["dong"], "samsan-dong");
    let denied = find(&foreign).expect("the refused attempt is logged");
    assert_eq!(denied["outcome"], "denied");
    assert_eq!(
        log_of(&s, "outcome=denied").len(),
        1,
        "exactly one refused attempt"
    );

    // An incident's detail is a read of the resident's summary: logged under the incident.
    let pendant = s.device(&own, "pendant", json!({}));
    let inc = s.event(&pendant, "evt-access-1", "emergency-call").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = s.call("GET", &format!("/api/v1/incidents/{inc}"), &worker, None);
    assert_eq!(detail.status, 200, "{}", detail.body);
    let about = log_of(&s, &format!("subject=incident&subject_id={inc}"));
    assert_eq!(about.len(), 1, "{about:?}");
    assert_eq!(about[0]["staff_id"], worker_id.as_str());

    // List pages are logged once per page, naming the dong; asking for another dong's list is
    // refused and logged; reading a resident's adherence is a read of their record.
    assert_eq!(
        s.call("GET", "/api/v1/residents", &worker, None).status,
        200
    );
    let other_list = s.call("GET", "/api/v1/residents?dong=taehwa-dong", &worker, None);
    assert_eq!(other_list.status, 403, "{}", other_list.body);
    let cases = s.call("GET", "/api/v1/cases?dong=taehwa-dong", &worker, None);
    assert_eq!(cases.status, 403, "{}", cases.body);
    let lists = log_of(&s, &format!("staff_id={worker_id}&subject=resident-list"));
    let outcomes: Vec<(&str, &str)> = lists
        .iter()
        .map(|e| {
            (
                e["subject_id"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(outcomes.contains(&("*", "read")), "{outcomes:?}");
    assert!(
        outcomes.contains(&("taehwa-dong", "denied")),
        "{outcomes:?}"
    );
    assert_eq!(log_of(&s, "subject=case-list&outcome=denied").len(), 1);
    let adherence = s.call(
        "GET",
        &format!("/api/v1/adherence/{foreign}"),
        &worker,
        None,
    );
    assert_eq!(adherence.status, 403, "{}", adherence.body);
    let foreign_reads = log_of(
        &s,
        &format!("subject=resident&subject_id={foreign}&outcome=denied"),
    );
    assert_eq!(
        foreign_reads.len(),
        2,
        "the record, then its adherence: {foreign_reads:?}"
    );

    // A role that may not read records at all (here the clock's) is refused and logged too.
    let provider = s.staff("clock", None);
    let tried = s.call("GET", &format!("/api/v1/residents/{own}"), &provider, None);
    assert_eq!(tried.status, 403, "{}", tried.body);
    let tried_incident = s.call("GET", &format!("/api/v1/incidents/{inc}"), &provider, None);
    assert_eq!(tried_incident.status, 403, "{}", tried_incident.body);
    let by_role = log_of(&s, "outcome=denied");
    let roles: Vec<(&str, &str, &str)> = by_role
        .iter()
        .filter(|e| e["role"] == "clock")
        .map(|e| {
            (
                e["subject"].as_str().unwrap(),
                e["subject_id"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("incident", inc.as_str(), "denied"),
            ("resident", own.as_str(), "denied")
        ],
        "newest first"
    );

    // Only admins read the log, and a bad filter is named.
    let other = s.call("GET", "/api/v1/access-log", &worker, None);
    assert_eq!(other.status, 403, "{}", other.body);
    let bad = s.admin("GET", "/api/v1/access-log?subject=diary", None);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.json()["error"]["field"], "subject");
}
