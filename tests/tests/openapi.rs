//! The published OpenAPI 3.1 document (`/api/v1/openapi.json`) against the running suite: it
//! covers every route in `spin.toml`, its enums are the ones the functions enforce, every
//! operation that needs a token refuses a caller without one in the documented shape, and
//! schemathesis, generating requests from the document, finds no server error and no answer that
//! contradicts it.

use safetynet_tests::suite::{ADMIN, Device, Suite, now_rfc3339};
use safetynet_tests::{Answer, request, root};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The schemathesis version `.ci/run` installs (and the one the options below are written for).
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Hard limit for one schemathesis run; it normally takes well under a minute.
const SCHEMATHESIS_TIMEOUT: Duration = Duration::from_secs(600);

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn document(s: &Suite) -> Value {
    let a = request("GET", &s.host.url("/api/v1/openapi.json"), &[], None);
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

/// `(route, is_wildcard)` for every `[[trigger.http]]` in spin.toml.
fn manifest_routes() -> Vec<(String, bool)> {
    let text = std::fs::read_to_string(root().join("spin.toml")).unwrap();
    let manifest: toml::Table = text.parse().expect("spin.toml parses");
    manifest["trigger"]["http"]
        .as_array()
        .expect("[[trigger.http]] entries")
        .iter()
        .map(|t| {
            let route = t["route"]
                .as_str()
                .expect("a public route (string)")
                .to_string();
            match route.strip_suffix("/...") {
                Some(prefix) => (prefix.to_string(), true),
                None => (route, false),
            }
        })
        .collect()
}

fn served_by(route: &(String, bool), path: &str) -> bool {
    match route {
        (prefix, true) => path == prefix || path.starts_with(&format!("{prefix}/")),
        (exact, false) => path == exact,
    }
}

/// Every `(path, method, operation)` in the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if let Some(op) = item.get(*m) {
                out.push((path.clone(), m.to_string(), op.clone()));
            }
        }
    }
    out
}

/// Resolves a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn check_refs(doc: &Value, v: &Value, at: &str, broken: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref")
                && resolve(doc, r).is_none()
            {
                broken.push(format!("{at}: {r}"));
            }
            for (k, c) in m {
                check_refs(doc, c, &format!("{at}/{k}"), broken);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                check_refs(doc, c, &format!("{at}/{i}"), broken);
            }
        }
        _ => {}
    }
}

/// Whether the operation needs a bearer token (its own `security`, else the document's).
fn needs_token(doc: &Value, op: &Value) -> bool {
    let security = op.get("security").unwrap_or(&doc["security"]);
    match security.as_array() {
        None => false,
        // An empty requirement object `{}` in the list means "no auth is also fine".
        Some(reqs) => {
            !reqs.is_empty()
                && reqs
                    .iter()
                    .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        }
    }
}

fn fill_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "no-such-id"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn assert_error_shape(a: &Answer, what: &str) {
    let v: Value = serde_json::from_str(&a.body)
        .unwrap_or_else(|e| panic!("{what}: error body is not JSON ({e}): {:?}", a.body));
    let e = &v["error"];
    assert!(
        e["code"].is_string() && e["message"].is_string(),
        "{what}: not the documented error shape: {v}"
    );
    if let Some(f) = e.get("field") {
        assert!(f.is_string(), "{what}: error.field must be a string: {v}");
    }
}

#[test]
fn the_document_is_openapi_31_and_covers_every_route() {
    let s = Suite::start("openapi-doc");
    let doc = document(&s);
    let version = doc["openapi"].as_str().expect("`openapi` field");
    assert!(
        version.starts_with("3.1."),
        "OpenAPI version {version}, want 3.1.x"
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");

    // Every route the manifest serves is documented (a wildcard route by at least one path
    // under its prefix) …
    let routes = manifest_routes();
    assert!(!routes.is_empty());
    let uncovered: Vec<_> = routes
        .iter()
        .filter(|r| !paths.keys().any(|p| served_by(r, p)))
        .map(|(r, w)| if *w { format!("{r}/...") } else { r.clone() })
        .collect();
    assert!(
        uncovered.is_empty(),
        "routes in spin.toml with no documented path: {uncovered:?}"
    );
    // … and every documented path is served by some route.
    let unrouted: Vec<_> = paths
        .keys()
        .filter(|p| !routes.iter().any(|r| served_by(r, p)))
        .collect();
    assert!(
        unrouted.is_empty(),
        "documented paths no route in spin.toml serves: {unrouted:?}"
    );

    // Every $ref resolves, operation ids are unique, path parameters are declared.
    let mut broken = Vec::new();
    check_refs(&doc, &doc, "#", &mut broken);
    assert!(broken.is_empty(), "unresolved $ref: {broken:?}");
    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(ids.insert(id.to_string()), "operationId {id} used twice");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}: no responses"
        );
        let mut params: Vec<Value> = doc["paths"][&path]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        params.extend(op["parameters"].as_array().cloned().unwrap_or_default());
        for seg in path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            assert!(
                params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == name && p["required"] == true),
                "{method} {path}: path parameter {name} not declared as required"
            );
        }
    }
    // The document itself needs no token.
    assert!(!needs_token(
        &doc,
        &doc["paths"]["/api/v1/openapi.json"]["get"]
    ));
}

/// The allowed values a 400 lists (`…: must be one of a, b, c` / `…; one of a, b, c`).
fn listed(a: &Answer) -> BTreeSet<String> {
    assert_eq!(a.status, 400, "{}", a.body);
    let msg = a.json()["error"]["message"].as_str().unwrap().to_string();
    let list = msg.rsplit("one of ").next().unwrap();
    list.split(", ").map(str::to_string).collect()
}

fn doc_enum(doc: &Value, schema: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][schema]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("schema {schema} has no enum"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn documented_enums_are_the_ones_the_functions_enforce() {
    let s = Suite::start("openapi-enums");
    let doc = document(&s);
    let res = |extra: Value| {
        let mut b =
            json!({"name": "n", "address": "a", "dong": "d", "eligibility": "elderly-alone"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        s.admin("POST", "/api/v1/residents", Some(b))
    };
    assert_eq!(
        listed(&res(json!({"eligibility": "x"}))),
        doc_enum(&doc, "Eligibility")
    );
    let rid = s.resident("jung-dong", 1, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dev = |body: Value| {
        s.admin(
            "POST",
            &format!("/api/v1/residents/{rid}/devices"),
            Some(body),
        )
    };
    assert_eq!(
        listed(&dev(json!({"kind": "x", "protocol": "http"}))),
        doc_enum(&doc, "DeviceKind")
    );
    assert_eq!(
        listed(&dev(json!({"kind": "pendant", "protocol": "x"}))),
        doc_enum(&doc, "DeviceProtocol")
    );
    assert_eq!(
        listed(&s.admin(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": "n", "role": "x"}))
        )),
        doc_enum(&doc, "StaffRole")
    );
    assert_eq!(
        listed(&s.admin("GET", "/api/v1/incidents?state=x", None)),
        doc_enum(&doc, "IncidentState")
    );

    let pendant = s.device(&rid, "pendant", json!({}));
    let odd = json!({"event_id": "e-x", "device_id": pendant.id, "kind": "x", "occurred_at": now_rfc3339()});
    let a = s.send_signed(
        &pendant,
        &pendant.secret,
        safetynet_tests::suite::now_secs(),
        &odd,
    );
    assert_eq!(listed(&a), doc_enum(&doc, "EventKind"));

    let opened = s.event(&pendant, "e-1", "emergency-call").json();
    assert_eq!(opened["incident"], "opened");
    let inc = opened["incident_id"].as_str().unwrap();
    let a = s.admin(
        "POST",
        &format!("/api/v1/incidents/{inc}/resolve"),
        Some(json!({"outcome": "x"})),
    );
    assert_eq!(listed(&a), doc_enum(&doc, "IncidentOutcome"));
}

#[test]
fn every_operation_that_needs_a_token_answers_401_without_one() {
    let s = Suite::start("openapi-401");
    let doc = document(&s);
    let mut checked = 0;
    for (path, method, op) in operations(&doc) {
        let url = s.host.url(&fill_path(&path));
        let what = format!("{} {path}", method.to_uppercase());
        if !needs_token(&doc, &op) {
            continue;
        }
        let documented = &op["responses"]["401"];
        let documented = match documented["$ref"].as_str() {
            Some(r) => resolve(&doc, r).unwrap_or(&Value::Null),
            None => documented,
        };
        assert_eq!(
            documented["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error",
            "{what}: needs a token but documents no 401 with the error shape"
        );
        let body = op.get("requestBody").map(|_| "{}");
        let json_ct = [("content-type", "application/json")];
        for (label, headers) in [
            ("no token", vec![json_ct[0]]),
            (
                "unknown token",
                vec![json_ct[0], ("authorization", "Bearer not-a-token")],
            ),
            (
                "not a bearer token",
                vec![json_ct[0], ("authorization", "Basic dXNlcjpwYXNz")],
            ),
        ] {
            let a = request(&method.to_uppercase(), &url, &headers, body);
            assert_eq!(
                a.status, 401,
                "{what} with {label}: {} {}",
                a.status, a.body
            );
            assert_error_shape(&a, &what);
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} operations need a token?");

    // The webhook takes no token but a signature: unsigned is 401 too, in the same shape.
    let hook = &doc["paths"]["/api/v1/device-events"]["post"];
    assert!(!needs_token(&doc, hook));
    assert!(hook["responses"]["401"].is_object());
    let rid = s.resident("jung-dong", 0, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dev = s.device(&rid, "pendant", json!({}));
    let body = json!({"event_id": "e-unsigned", "device_id": dev.id, "kind": "emergency-call", "occurred_at": now_rfc3339()});
    let a = request(
        "POST",
        &s.host.url("/api/v1/device-events"),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {ADMIN}")),
        ],
        Some(&body.to_string()),
    );
    assert_eq!(a.status, 401, "{}", a.body);
    assert_error_shape(&a, "unsigned device event");
}

/// Tags of the operations this area documents (openapi/paths/emergency.json).
const EMERGENCY_TAGS: &[&str] = &["registry", "device-events", "incidents", "meta"];

#[test]
fn conflicts_and_undocumented_methods_answer_in_the_documented_shape() {
    let s = Suite::start("openapi-405");
    let doc = document(&s);
    // Every method a path of ours does not document answers 405 in the error shape.
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let ours = METHODS.iter().filter_map(|m| item.get(*m)).any(|op| {
            op["tags"].as_array().is_some_and(|t| {
                t.iter()
                    .any(|t| EMERGENCY_TAGS.contains(&t.as_str().unwrap_or("")))
            })
        });
        if !ours {
            continue;
        }
        for m in ["get", "put", "post", "delete", "patch"] {
            if item.get(m).is_some() {
                continue;
            }
            let method = m.to_uppercase();
            let a = s.admin(&method, &fill_path(path), None);
            assert_eq!(a.status, 405, "{method} {path}: {}", a.body);
            assert_error_shape(&a, &format!("{method} {path}"));
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} undocumented methods tried");
    let a = request("DELETE", &s.host.url("/api/v1/openapi.json"), &[], None);
    assert_eq!(a.status, 405, "{}", a.body);

    // A DC-09 account already in use is a conflict (409, documented), naming the field.
    let create = &doc["paths"]["/api/v1/residents/{resident_id}/devices"]["post"];
    assert!(create["responses"]["409"].is_object());
    let rid = s.resident("jung-dong", 0, json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.device(
        &rid,
        "gateway",
        json!({"protocol": "dc09", "dc09_account": "ABC123"}),
    );
    let again = s.admin(
        "POST",
        &format!("/api/v1/residents/{rid}/devices"),
        Some(json!({"kind": "gateway", "protocol": "dc09", "dc09_account": "ABC123"})),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["error"]["field"], "dc09_account");
    // An invalid incident transition is a documented 409 too.
    let dev = s.device(&rid, "pendant", json!({}));
    let inc = s.event(&dev, "e-409", "emergency-call").json()["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.admin(
            "POST",
            &format!("/api/v1/incidents/{inc}/cancel"),
            Some(json!({"reason": "test"}))
        )
        .status,
        200
    );
    for (action, body) in [
        ("acknowledge", json!({})),
        ("resolve", json!({"outcome": "resolved-on-site"})),
        ("cancel", json!({"reason": "again"})),
    ] {
        let path = format!("/api/v1/incidents/{{incident_id}}/{action}");
        assert!(
            doc["paths"][&path]["post"]["responses"]["409"].is_object(),
            "{path}: 409 not documented"
        );
        let a = s.admin(
            "POST",
            &format!("/api/v1/incidents/{inc}/{action}"),
            Some(body),
        );
        assert_eq!(a.status, 409, "{action}: {}", a.body);
        assert_error_shape(&a, action);
    }
}

/// Sends a request with a raw (not percent-encoded) target, as some clients do; returns the
/// status line.
fn raw_get(s: &Suite, target: &[u8]) -> String {
    use std::io::{Read, Write};
    let addr = s.host.base.trim_start_matches("http://");
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = b"GET ".to_vec();
    req.extend_from_slice(target);
    req.extend_from_slice(
        format!(
            " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    c.write_all(&req).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn query_parameters_are_decoded_safely_and_checked() {
    let s = Suite::start("openapi-query");
    // A raw multi-byte character right after `%` used to panic the decoder (500).
    for target in [
        &b"/api/v1/incidents?dong=%1\xc3\xa9"[..],
        b"/api/v1/residents?dong=%\xc3\xa9",
        b"/api/v1/incidents/stats?dong=%%%e",
    ] {
        let status = raw_get(&s, target);
        assert!(
            status.contains(" 200 "),
            "{}: {status}",
            String::from_utf8_lossy(target)
        );
    }
    // A boolean filter is `true` or `false`; `1` used to be read as `false`.
    let a = s.admin("GET", "/api/v1/incidents?dispatch_failed=1", None);
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.json()["error"]["field"], "dispatch_failed");
    assert_eq!(
        s.admin("GET", "/api/v1/incidents?dispatch_failed=false", None)
            .status,
        200
    );
    // JSON has one number type: 1941.0 is the integer 1941.
    let r = s.resident(
        "jung-dong",
        0,
        json!({"birth_year": 1941.0, "inactivity_threshold_minutes": 720.0}),
    );
    assert_eq!(r["birth_year"], 1941);
    let bad = s.admin("POST", "/api/v1/residents", Some(json!({"name": "n", "address": "a", "dong": "d", "eligibility": "disabled", "birth_year": 1941.5})));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["field"], "birth_year");
}

/// Records the schemathesis hooks (tests/schemathesis_hooks.py) put into generated requests.
struct Dataset {
    residents: Vec<String>,
    devices: Vec<Device>,
    incidents: Vec<String>,
}

/// A small city: three dongs, residents with caregivers, devices of each protocol, staff of each
/// role, and incidents in each state, so generated requests meet real records too.
fn enrol_dataset(s: &Suite) -> Dataset {
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let a = id(s.resident("jung-dong", 2, json!({})));
    let b = id(s.resident(
        "seongnam-dong",
        1,
        json!({"eligibility": "recently-discharged", "eligibility_until": "2027-01-31T00:00:00+09:00"}),
    ));
    let c = id(s.resident(
        "bangeo-dong",
        0,
        json!({"eligibility": "disabled", "location": null, "phone": null}),
    ));
    let pendant = s.device(&a, "pendant", json!({}));
    let gateway = s.device(
        &a,
        "gateway",
        json!({"protocol": "dc09", "dc09_account": "1234AB", "heartbeat_interval_s": 600}),
    );
    let speaker = s.device(
        &c,
        "ai-speaker",
        json!({"protocol": "mqtt", "heartbeat_interval_s": 300}),
    );
    let smoke = s.device(&b, "smoke", json!({}));
    for (role, dong) in [
        ("dispatcher", None),
        ("welfare-centre", Some("jung-dong")),
        ("support-centre", None),
        ("clock", None),
    ] {
        s.staff(role, dong);
    }
    let mut incidents = Vec::new();
    for (dev, id, kind) in [
        (&pendant, "ds-1", "emergency-call"),
        (&pendant, "ds-2", "fall"),
        (&smoke, "ds-3", "smoke"),
        (&smoke, "ds-4", "gas"),
        (&speaker, "ds-5", "voice-sos"),
    ] {
        let a = s.event(dev, id, kind);
        assert_eq!(a.status, 200, "{}", a.body);
        incidents.push(a.json()["incident_id"].as_str().unwrap().to_string());
    }
    s.event(&gateway, "ds-6", "heartbeat");
    s.event(&pendant, "ds-7", "activity");
    let post = |inc: &str, action: &str, body: Value| {
        let a = s.admin(
            "POST",
            &format!("/api/v1/incidents/{inc}/{action}"),
            Some(body),
        );
        assert_eq!(a.status, 200, "{}", a.body);
    };
    post(
        &incidents[1],
        "acknowledge",
        json!({"note": "on the phone"}),
    );
    post(
        &incidents[2],
        "resolve",
        json!({"outcome": "resolved-on-site"}),
    );
    post(&incidents[3], "cancel", json!({"reason": "cooking"}));
    Dataset {
        residents: vec![a, b, c],
        devices: vec![pendant, gateway, speaker, smoke],
        incidents,
    }
}

fn venv_schemathesis() -> std::path::PathBuf {
    root().join(".venv/bin/schemathesis")
}

/// One schemathesis run: whose token, which checks, how many examples per operation, and the
/// record ids the token must never see in a successful answer.
struct Run<'a> {
    token: &'a str,
    label: &'a str,
    checks: &'a str,
    max_examples: &'a str,
    foreign: &'a [String],
}

/// Runs schemathesis against `s` as `run` says; panics with the output when it reports a
/// failure.
fn run_schemathesis(s: &Suite, data: &Dataset, bin: &std::path::Path, run: Run<'_>) {
    let Run {
        token,
        label,
        checks,
        max_examples,
        foreign,
    } = run;
    let seed = std::env::var("SAFETYNET_SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261126".into());
    let out_path = s.state_dir.join(format!("schemathesis-{label}.out"));
    let out = std::fs::File::create(&out_path).unwrap();
    let started = Instant::now();
    let mut child = Command::new(bin)
        .current_dir(&s.state_dir)
        .args(["run", &s.host.url("/api/v1/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", checks])
        // A token that rotated itself would be refused for the rest of the run.
        .args(["--exclude-operation-id", "rotateStaffToken"])
        .args(["--max-examples", max_examples, "--seed", &seed])
        // One worker: with threads, CPython 3.11 (< 3.11.8) can fail hypothesis with a spurious
        // "AST constructor recursion depth mismatch" (cpython gh-106905). It costs no time here.
        .args([
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--generation-database",
            "none",
        ])
        .args(["--no-color", "--output-truncate", "false"])
        // More options for a local investigation, e.g. `--report har` (reports land in the state dir).
        .args(
            std::env::var("SAFETYNET_SCHEMATHESIS_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .env("NO_COLOR", "1")
        .env(
            "SCHEMATHESIS_HOOKS",
            root().join("tests/schemathesis_hooks.py"),
        )
        .env("SAFETYNET_ST_RESIDENTS", data.residents.join(","))
        .env("SAFETYNET_ST_INCIDENTS", data.incidents.join(","))
        .env(
            "SAFETYNET_ST_DEVICES",
            data.devices
                .iter()
                .map(|d| format!("{}:{}", d.id, d.secret))
                .collect::<Vec<_>>()
                .join(","),
        )
        .env("SAFETYNET_ST_FOREIGN", foreign.join(","))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if started.elapsed() > SCHEMATHESIS_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "schemathesis ({label}) did not finish in {SCHEMATHESIS_TIMEOUT:?}; output so far:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(&out_path).unwrap_or_default();
    eprintln!(
        "schemathesis as {label} took {:.1?} (seed {seed}, {max_examples} examples per operation)",
        started.elapsed()
    );
    let lines: Vec<&str> = output.lines().collect();
    eprintln!("{}", lines[lines.len().saturating_sub(25)..].join("\n"));
    assert!(
        status.success(),
        "schemathesis as {label} reported failures (exit {status}); full output in {}:\n{output}",
        out_path.display()
    );
}

/// The pinned schemathesis in the repo's venv; `None` when SAFETYNET_SKIP_SCHEMATHESIS=1.
fn checked_schemathesis() -> Option<std::path::PathBuf> {
    if std::env::var("SAFETYNET_SKIP_SCHEMATHESIS").as_deref() == Ok("1") {
        eprintln!("schemathesis run skipped: SAFETYNET_SKIP_SCHEMATHESIS=1");
        return None;
    }
    let bin = venv_schemathesis();
    assert!(
        bin.is_file(),
        "{} is missing. Run `.ci/run` (it creates the venv), or: python3 -m venv .venv && \
         .venv/bin/pip install schemathesis=={SCHEMATHESIS_VERSION} — or set \
         SAFETYNET_SKIP_SCHEMATHESIS=1 to skip this test explicitly.",
        bin.display()
    );
    // The options below and the seed's cases are those of the pinned version.
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .expect("schemathesis --version");
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    assert_eq!(
        version,
        format!("schemathesis, version {SCHEMATHESIS_VERSION}"),
        "{} is not the pinned version: run `.ci/run`, or .venv/bin/pip install schemathesis=={SCHEMATHESIS_VERSION}",
        bin.display()
    );
    Some(bin)
}

#[test]
fn schemathesis_finds_no_server_errors_or_undocumented_answers() {
    let Some(bin) = checked_schemathesis() else {
        return;
    };
    let s = Suite::start("openapi-schemathesis");
    let data = enrol_dataset(&s);
    let max_examples =
        std::env::var("SAFETYNET_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "20".into());
    run_schemathesis(
        &s,
        &data,
        &bin,
        Run {
            token: ADMIN,
            label: "admin",
            checks: "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
            max_examples: &max_examples,
            foreign: &[],
        },
    );
    let host_log = s.host.stderr();
    assert!(
        !host_log.contains("panicked") && !host_log.contains("component failed"),
        "a function panicked or trapped during the run:\n{host_log}"
    );
}

/// Every role's token, fuzzed over the whole document: no server error, and no successful
/// answer names a record outside the token's scope (another dong's residents and incidents for
/// a dong worker; any for the machine roles).
#[test]
fn schemathesis_with_every_roles_token_finds_no_server_error_and_nothing_across_scopes() {
    let Some(bin) = checked_schemathesis() else {
        return;
    };
    let s = Suite::start("openapi-schemathesis-roles");
    let data = enrol_dataset(&s);
    // Residents: jung-dong, seongnam-dong, bangeo-dong; incidents 0-1 are jung-dong's.
    let outside_jung: Vec<String> = data.residents[1..]
        .iter()
        .chain(&data.incidents[2..])
        .cloned()
        .collect();
    let everything: Vec<String> = data
        .residents
        .iter()
        .chain(&data.incidents)
        .cloned()
        .collect();
    let provider = s.admin(
        "POST",
        "/api/v1/staff",
        Some(json!({"name": "provider", "role": "data-provider", "provider": "waterworks"})),
    );
    assert_eq!(provider.status, 201, "{}", provider.body);
    let provider = provider.json()["token"].as_str().unwrap().to_string();
    let max_examples =
        std::env::var("SAFETYNET_SCHEMATHESIS_ROLE_EXAMPLES").unwrap_or_else(|_| "5".into());
    for (label, token, foreign) in [
        ("dispatcher", s.staff("dispatcher", None), Vec::new()),
        (
            "welfare-centre",
            s.staff("welfare-centre", Some("jung-dong")),
            outside_jung,
        ),
        (
            "support-centre",
            s.staff("support-centre", None),
            Vec::new(),
        ),
        ("clock", s.staff("clock", None), everything.clone()),
        ("data-provider", provider, everything),
    ] {
        run_schemathesis(
            &s,
            &data,
            &bin,
            Run {
                token: &token,
                label,
                checks: "not_a_server_error,nothing_across_scopes",
                max_examples: &max_examples,
                foreign: &foreign,
            },
        );
    }
    let host_log = s.host.stderr();
    assert!(
        !host_log.contains("panicked") && !host_log.contains("component failed"),
        "a function panicked or trapped during the run:\n{host_log}"
    );
}
