//! The staff console as a browser meets it: sign-in, the session cookie and its CSRF token,
//! lockout, idle expiry, the page's security headers and cached assets — and then the console
//! itself in Debian's Chromium (`tests/browser/console.test.mjs`).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use safetynet_tests::root;
use safetynet_tests::suite::{ADMIN, Suite};
use serde_json::{Value, json};

/// An answer with its headers (lower-cased names).
struct Reply {
    status: u16,
    /// Bytes on the wire (compressed, if the answer was).
    len: usize,
    headers: HashMap<String, String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn send(
    s: &Suite,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut req = agent.request(method, &s.host.url(path));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let res = match body {
        Some(b) => req
            .set("content-type", "application/json")
            .send_string(&b.to_string()),
        None => req.call(),
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|h| {
            (
                h.to_ascii_lowercase(),
                resp.header(&h).unwrap_or("").to_string(),
            )
        })
        .collect();
    let status = resp.status();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut raw).unwrap();
    Reply {
        status,
        len: raw.len(),
        headers,
        body: String::from_utf8_lossy(&raw).into_owned(),
    }
}

fn account(s: &Suite, username: &str, role: &str, dong: Option<&str>, password: &str) {
    let a = s.admin(
        "POST",
        "/api/v1/staff-accounts",
        Some(json!({"username": username, "name": format!("{username} 담당"), "role": role, "dong": dong, "password": password})),
    );
    assert_eq!(a.status, 201, "{}", a.body);
}

fn sign_in(s: &Suite, username: &str, password: &str) -> Reply {
    send(
        s,
        "POST",
        "/api/v1/session",
        &[],
        Some(&json!({"username": username, "password": password})),
    )
}

/// A signed-in browser: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Browser {
    fn of(r: &Reply) -> Browser {
        assert_eq!(r.status, 200, "{}", r.body);
        let set = &r.headers["set-cookie"];
        Browser {
            cookie: set.split(';').next().unwrap().to_string(),
            csrf: r.json()["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    fn get(&self, s: &Suite, path: &str) -> Reply {
        send(s, "GET", path, &[("cookie", &self.cookie)], None)
    }
}

fn sqlite(s: &Suite) -> rusqlite::Connection {
    rusqlite::Connection::open(s.state_dir.join("sqlite_db.db")).unwrap()
}

#[test]
fn people_sign_in_with_a_session_cookie_that_needs_its_csrf_token_and_ends_when_idle() {
    let s = Suite::start("console-session");
    let jungang = s.resident("jungang-dong", 1, json!({"name": "중앙동 어르신"}));
    s.resident("seongnam-dong", 1, json!({"name": "성남동 어르신"}));

    // Admins create accounts; bad input names its field and stores nothing.
    let bad = s.admin(
        "POST",
        "/api/v1/staff-accounts",
        Some(json!({"username": "kim", "name": "김", "role": "welfare-centre", "dong": "jungang-dong", "password": "short"})),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("password"), "{}", bad.body);
    let machine = s.admin(
        "POST",
        "/api/v1/staff-accounts",
        Some(json!({"username": "clock", "name": "c", "role": "clock", "password": "long enough pw"})),
    );
    assert_eq!(
        machine.status, 400,
        "machines keep tokens: {}",
        machine.body
    );
    account(
        &s,
        "kim",
        "welfare-centre",
        Some("jungang-dong"),
        "jungang-password-1",
    );
    account(
        &s,
        "lee",
        "welfare-centre",
        Some("seongnam-dong"),
        "seongnam-password-1",
    );
    let dup = s.admin(
        "POST",
        "/api/v1/staff-accounts",
        Some(json!({"username": "kim", "name": "다른 김", "role": "dispatcher", "password": "another password"})),
    );
    assert_eq!(dup.status, 409, "{}", dup.body);
    let list = s.admin("GET", "/api/v1/staff-accounts", None);
    assert_eq!(list.json()["accounts"].as_array().unwrap().len(), 2);
    assert!(!list.body.contains("argon2"), "hashes are never listed");
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/staff-accounts",
            &s.staff("dispatcher", None),
            None
        )
        .status,
        403
    );

    // A wrong password and an unknown user get the same answer.
    let wrong = sign_in(&s, "kim", "not-the-password");
    let unknown = sign_in(&s, "nobody", "not-the-password");
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.json(), unknown.json());
    assert_eq!(wrong.json()["error"]["code"], "sign_in_failed");
    assert!(!wrong.headers.contains_key("set-cookie"));

    // Signed in: an HttpOnly, SameSite=Strict cookie, and the worker's own dong only.
    let ok = sign_in(&s, "kim", "jungang-password-1");
    let cookie = &ok.headers["set-cookie"];
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");
    assert_eq!(ok.json()["staff"]["dong"], "jungang-dong");
    assert_eq!(ok.json()["staff"]["role"], "welfare-centre");
    let kim = Browser::of(&ok);
    let me = kim.get(&s, "/api/v1/session");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["csrf_token"], kim.csrf.as_str());
    let residents = kim.get(&s, "/api/v1/residents");
    assert_eq!(residents.status, 200, "{}", residents.body);
    let ids: Vec<Value> = residents.json()["residents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [jungang["id"].clone()], "only the worker's own dong");

    // State changes need the session's CSRF token; without it or with another, nothing changes.
    let enrol = json!({"name": "새 대상자", "birth_year": 1950, "address": "울산광역시 중구 1", "dong": "jungang-dong", "eligibility": "elderly-alone"});
    let count = |s: &Suite| -> i64 {
        sqlite(s)
            .query_row("SELECT COUNT(*) FROM residents", [], |r| r.get(0))
            .unwrap()
    };
    let before = count(&s);
    for csrf in [None, Some("forged-token")] {
        let mut h = vec![("cookie", kim.cookie.as_str())];
        if let Some(t) = csrf {
            h.push(("x-csrf-token", t));
        }
        let r = send(&s, "POST", "/api/v1/residents", &h, Some(&enrol));
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "csrf_failed");
    }
    assert_eq!(count(&s), before, "a refused form stored nothing");
    let r = send(
        &s,
        "POST",
        "/api/v1/residents",
        &[("cookie", &kim.cookie), ("x-csrf-token", &kim.csrf)],
        Some(&enrol),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(count(&s), before + 1);

    // Five failures in a row lock a username (known or not) for a while, even against the
    // right password; an admin's reset lifts it.
    for name in ["lee", "ghost"] {
        for _ in 0..5 {
            assert_eq!(sign_in(&s, name, "wrong-password!").status, 401);
        }
        let locked = sign_in(&s, name, "seongnam-password-1");
        assert_eq!(locked.status, 429, "{}", locked.body);
        assert_eq!(locked.json()["error"]["code"], "sign_in_locked");
    }
    let lee_id = s.admin("GET", "/api/v1/staff-accounts", None).json()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "lee")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reset = s.admin(
        "POST",
        &format!("/api/v1/staff-accounts/{lee_id}/password"),
        Some(json!({"password": "a-new-password-2"})),
    );
    assert_eq!(reset.status, 200, "{}", reset.body);
    let lee = Browser::of(&sign_in(&s, "lee", "a-new-password-2"));
    let theirs = lee.get(
        &s,
        &format!("/api/v1/residents/{}", jungang["id"].as_str().unwrap()),
    );
    assert_eq!(
        theirs.status, 403,
        "another dong's resident: {}",
        theirs.body
    );

    // A session unused for longer than the idle timeout is over: no data, a clear code.
    sqlite(&s)
        .execute(
            "UPDATE staff_sessions SET last_seen_at = last_seen_at - 31 * 60000",
            [],
        )
        .unwrap();
    for path in ["/api/v1/session", "/api/v1/residents"] {
        let r = kim.get(&s, path);
        assert_eq!(r.status, 401, "{path}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "session_expired");
    }

    // Signing out needs the CSRF token too, and the cookie then opens nothing.
    let kim = Browser::of(&sign_in(&s, "kim", "jungang-password-1"));
    let r = send(
        &s,
        "DELETE",
        "/api/v1/session",
        &[("cookie", &kim.cookie)],
        None,
    );
    assert_eq!(r.status, 403);
    let r = send(
        &s,
        "DELETE",
        "/api/v1/session",
        &[("cookie", &kim.cookie), ("x-csrf-token", &kim.csrf)],
        None,
    );
    assert_eq!(r.status, 204);
    assert!(r.headers["set-cookie"].contains("Max-Age=0"));
    assert_eq!(kim.get(&s, "/api/v1/residents").status, 401);
    // Machines keep their bearer tokens.
    assert_eq!(s.admin("GET", "/api/v1/residents", None).status, 200);
}

/// `src` and `href` values of the page that point at its own assets.
fn asset_paths(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap();
            if rest[..end].starts_with("/assets/") {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

#[test]
fn the_console_page_has_a_strict_policy_and_its_assets_are_cached_and_small() {
    let s = Suite::start("console-assets");
    for path in ["/", "/board", "/residents/res-1"] {
        let page = send(&s, "GET", path, &[], None);
        assert_eq!(page.status, 200, "{path}");
        assert!(page.headers["content-type"].starts_with("text/html"));
        let csp = &page.headers["content-security-policy"];
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert_eq!(page.headers["cache-control"], "no-cache");
    }
    let page = send(&s, "GET", "/", &[], None);
    assert!(
        !page.body.contains("<script>") && !page.body.contains("<style"),
        "no inline script or style: {}",
        page.body
    );
    let assets = asset_paths(&page.body);
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{assets:?}");
    assert!(assets.iter().any(|a| a.ends_with(".css")), "{assets:?}");

    // First load, compressed as a browser asks for it.
    let mut total = page_size(&s, "/");
    for a in &assets {
        let r = send(&s, "GET", a, &[("accept-encoding", "gzip")], None);
        assert_eq!(r.status, 200, "{a}");
        assert_eq!(
            r.headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = r.headers["etag"].clone();
        let again = send(&s, "GET", a, &[("if-none-match", &etag)], None);
        assert_eq!(again.status, 304, "{a}");
        assert_eq!(
            r.headers.get("content-encoding").map(String::as_str),
            Some("gzip"),
            "{a}"
        );
        total += r.len;
    }
    println!(
        "console first load: {total} bytes compressed ({} assets)",
        assets.len()
    );
    assert!(total <= 250 * 1024, "first load {total} bytes");

    let missing = send(&s, "GET", "/api/v1/no-such-thing", &[], None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    assert_eq!(send(&s, "GET", "/assets/nope.js", &[], None).status, 404);
}

fn page_size(s: &Suite, path: &str) -> usize {
    send(s, "GET", path, &[("accept-encoding", "gzip")], None).len
}

/// Crisis households for `dong` in the latest scoring cycle.
fn crisis_households(s: &Suite, dong: &str) {
    let cycle = "/api/v1/scoring/cycles/2026-11-12";
    let put = |path: &str, csv: &str| {
        let auth = format!("Bearer {ADMIN}");
        let a = safetynet_tests::request(
            "PUT",
            &s.host.url(&format!("{cycle}/{path}")),
            &[("authorization", &auth), ("content-type", "text/csv")],
            Some(csv),
        );
        assert_eq!(a.status, 200, "{}", a.body);
    };
    put(
        "households",
        &format!(
            "household_id,dong,size,head_age_band,receiving_support\nh-101,{dong},1,75-plus,0\nh-102,{dong},2,50-64,0\nh-201,seongnam-dong,1,75-plus,0\n"
        ),
    );
    put(
        "providers/ssis",
        "household_id,basic_livelihood_cut,basic_livelihood_rejected,emergency_aid_history,welfare_service_rejected,medical_aid_suspended\nh-101,1,1,1,1,1\nh-102,1,1,0,0,1\nh-201,1,1,1,0,0\n",
    );
    let run = s.admin("POST", &format!("{cycle}/runs"), Some(json!({"quota": 3})));
    assert_eq!(run.status, 201, "{}", run.body);
}

fn npm_ci(dir: &Path) {
    if dir.join("node_modules/.package-lock.json").is_file() {
        return;
    }
    let ok = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm (Node.js) is needed for the browser tests");
    assert!(ok.success(), "npm ci in {}", dir.display());
}

#[test]
fn the_console_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).is_file(),
        "{chromium} missing: apt-get install chromium chromium-driver (scripts/test-deps.sh does)"
    );
    let s = Suite::start("console-browser");
    let resident = s.resident("jungang-dong", 2, json!({"name": "김순자"}));
    s.resident("seongnam-dong", 1, json!({"name": "성남동 어르신"}));
    let pendant = s.device(resident["id"].as_str().unwrap(), "pendant", json!({}));
    crisis_households(&s, "jungang-dong");
    account(
        &s,
        "jungang",
        "welfare-centre",
        Some("jungang-dong"),
        "jungang-password-1",
    );
    account(
        &s,
        "seongnam",
        "welfare-centre",
        Some("seongnam-dong"),
        "seongnam-password-1",
    );

    let dir = root().join("tests/browser");
    npm_ci(&dir);
    // For working on the console: keep this seeded suite up and drive it by hand.
    if let Ok(secs) = std::env::var("CONSOLE_HOLD_SECS") {
        println!(
            "SUITE_URL={} PENDANT_ID={} PENDANT_SECRET={}",
            s.host.url(""),
            pendant.id,
            pendant.secret
        );
        std::thread::sleep(std::time::Duration::from_secs(secs.parse().unwrap_or(600)));
    }
    // The README's screenshots are refreshed on request, so a test run leaves the tree clean.
    let shots = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        root().join("docs/screenshots")
    } else {
        root().join("target/screenshots")
    };
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .args(["--test", "--test-reporter=spec", "console.test.mjs"])
        .current_dir(&dir)
        .env("SUITE_URL", s.host.url("").trim_end_matches('/'))
        .env("WORKER_USER", "jungang")
        .env("WORKER_PASSWORD", "jungang-password-1")
        .env("OTHER_USER", "seongnam")
        .env("OTHER_PASSWORD", "seongnam-password-1")
        .env("PENDANT_ID", &pendant.id)
        .env("PENDANT_SECRET", &pendant.secret)
        .env("CASE_DONG", "jungang-dong")
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOT_DIR", &shots)
        .output()
        .expect("node");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "browser tests failed:\n{text}");
}
