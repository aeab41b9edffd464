//! Bimonthly crisis scoring end to end: uploads with line-numbered rejections that leave the
//! earlier upload untouched, the run's quota and exclusions across cycles, centre scoping, case
//! follow-up and the support-rate report, and Wasm scores equal to native scores.

use safetynet_tests::suite::{ADMIN, Suite};
use safetynet_tests::{Answer, request, root, temp_dir};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Command;

const CYCLE: &str = "/api/v1/scoring/cycles/2026-11-12";

fn put_csv(s: &Suite, path: &str, csv: &str) -> Answer {
    let auth = format!("Bearer {ADMIN}");
    request(
        "PUT",
        &s.host.url(path),
        &[("authorization", &auth), ("content-type", "text/csv")],
        Some(csv),
    )
}

fn lines(a: &Answer) -> Vec<(u64, String)> {
    let v = a.json();
    assert_eq!(v["error"]["code"], "invalid_csv", "{}", a.body);
    v["error"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const HOUSEHOLDS: &str = "household_id,dong,size,head_age_band,receiving_support\n\
h1,east-dong,1,75-plus,0\nh2,east-dong,2,50-64,0\nh3,west-dong,1,40-49,0\nh4,west-dong,3,65-74,1\n";
const WATER_HEADER: &str =
    "household_id,water_arrears_months,water_arrears_amount,water_supply_cut";

#[test]
fn uploads_are_validated_with_line_numbers_and_a_rejected_file_changes_nothing() {
    let s = Suite::start("scoring-uploads");

    let bad = put_csv(&s, &format!("{CYCLE}/households"), "id,dong,size\nh1,x,1\n");
    assert_eq!(bad.status, 400, "{}", bad.body);
    let l = lines(&bad);
    assert_eq!(l[0].0, 1);
    assert!(l[0].1.contains("bad header"), "{l:?}");

    let early = put_csv(
        &s,
        &format!("{CYCLE}/providers/waterworks"),
        &format!("{WATER_HEADER}\nh1,1,1,0\n"),
    );
    assert_eq!(
        early.status, 409,
        "providers need the household reference first: {}",
        early.body
    );

    let ok = put_csv(&s, &format!("{CYCLE}/households"), HOUSEHOLDS);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["households"], 4);
    assert_eq!(ok.json()["dongs"], 2);

    // A bad re-upload of households: rejected, the first stays.
    let dup = put_csv(
        &s,
        &format!("{CYCLE}/households"),
        "household_id,dong,size,head_age_band\nh1,a,1,75-plus\nh1,a,1,75-plus\n",
    );
    assert_eq!(dup.status, 400);
    assert_eq!(lines(&dup)[0].0, 3);
    assert_eq!(s.admin("GET", CYCLE, None).json()["households"], 4);

    let first = put_csv(
        &s,
        &format!("{CYCLE}/providers/waterworks"),
        &format!("{WATER_HEADER}\nh1,6,150000,1\nh3,2,30000,0\n"),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json()["rows"], 2);
    assert_eq!(first.json()["replaced"], false);

    // Wrong type, unknown household, duplicate row: one 400 naming each line.
    let bad = put_csv(
        &s,
        &format!("{CYCLE}/providers/waterworks"),
        &format!("{WATER_HEADER}\nh1,1,10,0\nh2,three,10,0\nh9,1,1,0\nh1,2,10,0\n"),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    let l = lines(&bad);
    assert_eq!(
        l.iter().map(|x| x.0).collect::<Vec<_>>(),
        [3, 4, 5],
        "{l:?}"
    );
    assert!(
        l[0].1
            .contains("water_arrears_months: expected a whole number"),
        "{}",
        l[0].1
    );
    assert!(l[1].1.contains("unknown household_id \"h9\""), "{}", l[1].1);
    assert!(
        l[2].1
            .contains("duplicate household_id \"h1\" (first on line 2)"),
        "{}",
        l[2].1
    );
    assert_eq!(bad.json()["error"]["rejected"], 3);

    // A spreadsheet export: every field quoted, CRLF line ends, and a quoted line break that
    // moves the next record to line 4; the error names that line.
    let quoted = put_csv(
        &s,
        &format!("{CYCLE}/providers/waterworks"),
        &format!(
            "{WATER_HEADER}\r\n\"h1\",\"2\",\"20000\",\"0\"\r\n\"h2\",\"one\r\nmonth\",\"10\",\"0\"\r\nh3,x,1,0\r\n"
        ),
    );
    assert_eq!(quoted.status, 400, "{}", quoted.body);
    let l = lines(&quoted);
    assert_eq!(l.iter().map(|x| x.0).collect::<Vec<_>>(), [3, 5], "{l:?}");
    let quoted = put_csv(
        &s,
        &format!("{CYCLE}/providers/waterworks"),
        // The same rows as the accepted upload above, so what is scored below is unchanged.
        &format!(
            "{WATER_HEADER}\r\n\"h1\",\"6\",\"150000\",\"1\"\r\n\"h3\",\"2\",\"30000\",\"0\"\r\n"
        ),
    );
    assert_eq!(quoted.status, 200, "{}", quoted.body);
    assert_eq!(quoted.json()["rows"], 2);
    assert_eq!(quoted.json()["replaced"], true);

    let bad_header = put_csv(
        &s,
        &format!("{CYCLE}/providers/waterworks"),
        "household_id,gas_arrears_months\nh1,1\n",
    );
    assert_eq!(bad_header.status, 400);
    assert_eq!(lines(&bad_header)[0].0, 1);
    assert_eq!(
        put_csv(&s, &format!("{CYCLE}/providers/nobody"), "household_id\n").status,
        404
    );

    // The CLI prints the rejected lines and exits 1.
    let dir = temp_dir("scoring-cli-bad");
    std::fs::write(
        dir.join("w.csv"),
        format!("{WATER_HEADER}\nh1,1,10,0\nh2,three,10,0\n"),
    )
    .unwrap();
    let out = Command::new(root().join("target/release/safetynet-cli"))
        .args([
            "--url",
            &s.host.url(""),
            "--token",
            ADMIN,
            "upload",
            "2026-11/12",
            "waterworks",
        ])
        .arg(dir.join("w.csv"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("REJECTED") && stdout.contains("line       3"),
        "{stdout}"
    );

    // The earlier upload is what the run scores: h1 has 6 months, a cut-off and 150,000 won.
    let cycle = s.admin("GET", CYCLE, None).json();
    assert_eq!(cycle["uploads"][0]["rows"], 2, "{cycle}");
    let run = s.admin("POST", &format!("{CYCLE}/runs"), Some(json!({})));
    assert_eq!(run.status, 201, "{}", run.body);
    let list = s
        .admin("GET", &format!("{CYCLE}/centres/east-dong"), None)
        .json();
    let h1 = &list["households"][0];
    assert_eq!(h1["household_id"], "h1", "{list}");
    // 4 (6/6 months) + 6 (cut) + 2·√(150000/500000) = 11.0954…
    assert_eq!(h1["score"], 11.1);
    assert_eq!(h1["band"], "low");
    let reasons: Vec<(&str, f64)> = h1["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("water_supply_cut", 1.0),
            ("water_arrears_months", 6.0),
            ("water_arrears_amount", 150000.0)
        ]
    );

    // A re-upload replaces the provider's rows as a whole.
    let again = put_csv(
        &s,
        &format!("{CYCLE}/providers/waterworks"),
        &format!("{WATER_HEADER}\nh3,1,5000,0\n"),
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["replaced"], true);
    assert_eq!(s.admin("GET", CYCLE, None).json()["uploads"][0]["rows"], 1);
    // Households are fixed once providers have uploaded (provider columns index them).
    assert_eq!(
        put_csv(&s, &format!("{CYCLE}/households"), HOUSEHOLDS).status,
        409
    );
}

/// ssis flags: cut 5, rejected 4, emergency aid 2, other rejection 2, medical aid stopped 4.
const SSIS_HEADER: &str = "household_id,basic_livelihood_cut,basic_livelihood_rejected,emergency_aid_history,welfare_service_rejected,medical_aid_suspended";
const A17: &str = "1,1,1,1,1";
const B13: &str = "1,1,0,0,1";
const C11: &str = "1,1,1,0,0";
const D9: &str = "1,0,0,0,1";

fn city() -> (String, String) {
    let people: &[(&str, &str, &str, u8)] = &[
        ("a1", "dong-a", A17, 0),
        ("a2", "dong-a", B13, 0),
        ("a3", "dong-a", C11, 0),
        ("a4", "dong-a", C11, 0),
        ("a5", "dong-a", A17, 0),
        ("a6", "dong-a", B13, 0),
        ("a7", "dong-a", D9, 0),
        ("a8", "dong-a", A17, 1),
        ("a9", "dong-a", "0,0,0,0,0", 0),
        ("b1", "dong-b", A17, 0),
        ("b2", "dong-b", C11, 0),
        ("b3", "dong-b", B13, 0),
        ("c1", "dong-c", C11, 0),
    ];
    let mut hh = String::from("household_id,dong,size,head_age_band,receiving_support\n");
    let mut ssis = format!("{SSIS_HEADER}\n");
    for (id, dong, flags, support) in people {
        hh.push_str(&format!("{id},{dong},1,50-64,{support}\n"));
        ssis.push_str(&format!("{id},{flags}\n"));
    }
    (hh, ssis)
}

fn list_ids(v: &Value) -> Vec<String> {
    v["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["household_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn runs_allocate_the_quota_exclude_followed_households_and_scope_lists_to_their_centre() {
    let s = Suite::start("scoring-quota");
    let (hh, ssis) = city();
    for cycle in ["2026-11-12", "2027-01-02"] {
        let base = format!("/api/v1/scoring/cycles/{cycle}");
        assert_eq!(put_csv(&s, &format!("{base}/households"), &hh).status, 200);
        assert_eq!(
            put_csv(&s, &format!("{base}/providers/ssis"), &ssis).status,
            200
        );
    }

    let run = s.admin("POST", &format!("{CYCLE}/runs"), Some(json!({"quota": 5})));
    assert_eq!(run.status, 201, "{}", run.body);
    let r = run.json();
    assert_eq!(r["model_version"], "ulsan-2026.1");
    assert_eq!(r["households"], 13);
    assert_eq!(
        r["excluded"],
        json!({"receiving_support": 1, "open_case": 0, "supported_last_cycle": 0})
    );
    assert_eq!(r["at_risk"], 10);
    assert_eq!(r["flagged"], 5);
    // 5 × 6/10 = 3, 5 × 3/10 = 1.5, 5 × 1/10 = 0.5: the tied remainder goes to the larger centre.
    assert_eq!(
        r["centres"],
        json!([
            {"dong": "dong-a", "at_risk": 6, "allocated": 3},
            {"dong": "dong-b", "at_risk": 3, "allocated": 2},
            {"dong": "dong-c", "at_risk": 1, "allocated": 0},
        ])
    );
    assert!(
        r["duration_ms"].as_f64().is_some() && r["timings_ms"]["score"].as_f64().is_some(),
        "{r}"
    );
    assert_eq!(
        s.admin("POST", &format!("{CYCLE}/runs"), Some(json!({"quota": 5})))
            .status,
        409
    );
    assert_eq!(
        s.admin(
            "POST",
            &format!("{CYCLE}/runs"),
            Some(json!({"quota": 5, "replace": true}))
        )
        .status,
        201
    );

    // Centre scoping.
    let worker_a = s.staff("welfare-centre", Some("dong-a"));
    let worker_b = s.staff("welfare-centre", Some("dong-b"));
    let dispatcher = s.staff("dispatcher", None);
    let list_a = format!("{CYCLE}/centres/dong-a");
    let a = s.call("GET", &list_a, &worker_a, None);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(list_ids(&a.json()), ["a1", "a5", "a2"]);
    let top = &a.json()["households"][0];
    assert_eq!(top["score"], 17.0);
    assert_eq!(top["band"], "low");
    assert_eq!(top["reasons"][0]["id"], "basic_livelihood_cut");
    assert_eq!(top["reasons"][0]["name_ko"], "기초생활보장 수급 중지");
    assert_eq!(top["case_status"], "new");
    assert_eq!(s.call("GET", &list_a, &worker_b, None).status, 403);
    assert_eq!(s.call("GET", &list_a, &dispatcher, None).status, 403);
    assert_eq!(s.admin("GET", &list_a, None).status, 200);
    assert_eq!(
        list_ids(
            &s.call("GET", &format!("{CYCLE}/centres/dong-b"), &worker_b, None)
                .json()
        ),
        ["b1", "b3"]
    );
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/scoring/cycles/2026-11-12/run/scores",
            &worker_a,
            None
        )
        .status,
        403
    );

    // Follow-up by the dong-a centre; dong-b may not touch it.
    let cases: HashMap<String, String> = a.json()["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["household_id"].as_str().unwrap().to_string(),
                h["case_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let status = |token: &str, hid: &str, body: Value| {
        s.call(
            "POST",
            &format!("/api/v1/cases/{}/status", cases[hid]),
            token,
            Some(&body),
        )
    };
    assert_eq!(
        status(&worker_b, "a1", json!({"status": "contacted"})).status,
        403
    );
    assert_eq!(
        s.call(
            "GET",
            &format!("/api/v1/cases/{}", cases["a1"]),
            &worker_b,
            None
        )
        .status,
        403
    );
    assert_eq!(
        status(&worker_a, "a1", json!({"status": "supported"})).status,
        400,
        "supported needs the service"
    );
    assert_eq!(
        status(
            &worker_a,
            "a1",
            json!({"status": "contacted", "note": "방문 상담", "at": "2025-12-01T10:00:00+09:00"})
        )
        .status,
        200
    );
    let done = status(
        &worker_a,
        "a1",
        json!({"status": "supported", "service": "긴급복지 생계지원"}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let d = done.json();
    assert_eq!(d["service"], "긴급복지 생계지원");
    assert_eq!(d["source"], "scoring");
    assert_eq!(d["cycle"], "2026-11-12");
    assert!(d["closed_at"].is_string());
    assert_eq!(d["notes"].as_array().unwrap().len(), 2);
    assert_eq!(d["notes"][0]["at"], "2025-12-01T01:00:00.000Z");
    assert_eq!(
        status(&worker_a, "a5", json!({"status": "contacted"})).status,
        200
    );
    assert_eq!(
        status(
            &worker_a,
            "a2",
            json!({"status": "declined", "note": "본인 거부"})
        )
        .status,
        200
    );
    assert_eq!(
        status(&worker_a, "a2", json!({"status": "linked"})).status,
        400,
        "linked needs the agency"
    );
    // Work has started: the run can no longer be replaced.
    assert_eq!(
        s.admin(
            "POST",
            &format!("{CYCLE}/runs"),
            Some(json!({"replace": true}))
        )
        .status,
        409
    );

    // Worker lists are forced to their own dong.
    let mine = s
        .call("GET", "/api/v1/cases?cycle=2026-11-12", &worker_b, None)
        .json();
    assert!(
        mine["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["dong"] == "dong-b"),
        "{mine}"
    );
    assert_eq!(
        s.call("GET", "/api/v1/cases?dong=dong-a", &worker_b, None)
            .status,
        403
    );

    // Report: (supported + linked) / cases per centre.
    let rep = s.admin("GET", &format!("{CYCLE}/report"), None).json();
    let a_row = rep["centres"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dong"] == "dong-a")
        .unwrap()
        .clone();
    assert_eq!(a_row["cases"], 3);
    assert_eq!(a_row["by_status"]["supported"], 1);
    assert_eq!(a_row["by_status"]["declined"], 1);
    assert_eq!(a_row["support_rate"], 0.333);
    assert_eq!(rep["total"]["cases"], 5);
    assert_eq!(rep["total"]["support_rate"], 0.2);
    let rep_b = s
        .call("GET", &format!("{CYCLE}/report"), &worker_b, None)
        .json();
    assert_eq!(rep_b["centres"].as_array().unwrap().len(), 1);
    assert_eq!(rep_b["centres"][0]["dong"], "dong-b");

    // Next cycle: a1 (supported last cycle) and open cases (a5 contacted; b1, b3 still new)
    // are left out; a2 declined and may be flagged again.
    let next = s.admin(
        "POST",
        "/api/v1/scoring/cycles/2027-01-02/runs",
        Some(json!({"quota": 5})),
    );
    assert_eq!(next.status, 201, "{}", next.body);
    let n = next.json();
    assert_eq!(
        n["excluded"],
        json!({"receiving_support": 1, "open_case": 3, "supported_last_cycle": 1})
    );
    assert_eq!(n["at_risk"], 6);
    // 5 × 4/6 = 3.33, 5 × 1/6 = 0.83 twice: floors 3/0/0, the two seats left go to b and c.
    assert_eq!(
        n["centres"],
        json!([
            {"dong": "dong-a", "at_risk": 4, "allocated": 3},
            {"dong": "dong-b", "at_risk": 1, "allocated": 1},
            {"dong": "dong-c", "at_risk": 1, "allocated": 1},
        ])
    );
    let next_a = s
        .call(
            "GET",
            "/api/v1/scoring/cycles/2027-01-02/centres/dong-a",
            &worker_a,
            None,
        )
        .json();
    assert_eq!(list_ids(&next_a), ["a2", "a6", "a3"]);
}

/// Native scoring of the synthetic files, in the model's column order.
fn native_scores(dir: &std::path::Path) -> (Vec<String>, Vec<f32>) {
    let model = safetynet_scoring::Model::builtin();
    let hh = std::fs::read_to_string(dir.join("households.csv")).unwrap();
    let ids: Vec<String> = hh
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let pos: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let k = model.len();
    let mut rows = vec![0.0f32; ids.len() * k];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "households.csv" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<Option<usize>> = lines
            .next()
            .unwrap()
            .split(',')
            .map(|c| model.index(c))
            .collect();
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let i = pos[f[0]];
            for (c, v) in header.iter().zip(&f).skip(1) {
                rows[i * k + c.unwrap()] = v.parse::<f64>().unwrap() as f32;
            }
        }
    }
    (ids, model.score_batch(&rows, 3).unwrap().scores)
}

#[test]
fn wasm_scores_equal_native_scores_on_10000_households() {
    let s = Suite::start("scoring-wasm-native");
    let dir = temp_dir("scoring-synth");
    let cli = root().join("target/release/safetynet-cli");
    let synth = Command::new(&cli)
        .args(["synth", "--seed", "42", "--households", "10000", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        synth.status.success(),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );
    let up = Command::new(&cli)
        .args([
            "--url",
            &s.host.url(""),
            "--token",
            ADMIN,
            "upload",
            "2026-11/12",
            "all",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}{}",
        String::from_utf8_lossy(&up.stdout),
        String::from_utf8_lossy(&up.stderr)
    );
    let run = s.admin("POST", &format!("{CYCLE}/runs"), Some(json!({})));
    assert_eq!(run.status, 201, "{}", run.body);
    assert_eq!(run.json()["missing_indicators"], json!([]));

    let wasm = s.admin("GET", &format!("{CYCLE}/run/scores"), None);
    assert_eq!(wasm.status, 200);
    let (ids, native) = native_scores(&dir);
    let rows: Vec<(String, f32)> = wasm
        .body
        .lines()
        .skip(1)
        .map(|l| {
            let (h, v) = l.split_once(',').unwrap();
            (h.to_string(), v.parse::<f32>().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 10_000);
    let mut at_risk = 0;
    for ((h, w), (id, n)) in rows.iter().zip(ids.iter().zip(&native)) {
        assert_eq!(h, id);
        assert_eq!(w.to_bits(), n.to_bits(), "{h}: wasm {w} native {n}");
        at_risk += (*n >= 10.0) as u32;
    }
    assert!(
        at_risk > 100,
        "the synthetic city should have households at risk ({at_risk})"
    );
}
