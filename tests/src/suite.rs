//! Driving the whole suite (`spin.toml`) as a user would: enrol people and devices over the
//! API, sign device events, tick the clock, read incidents.

use serde_json::{Value, json};
use std::path::PathBuf;

use crate::{Answer, Host, Sink, request, root, temp_dir};
use safetynet_test_support::suite_variables;

pub const ADMIN: &str = "test-admin-token";
/// The SMS gateway's shared secret for caregivers' replies.
/// The suite's personal-data key in tests (`personal_data_keys`).
pub const PERSONAL_DATA_KEY: &str =
    "t1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const SMS_REPLY_TOKEN: &str = "test-sms-gateway-secret";

/// The suite on the host, with fake 119 and SMS endpoints.
pub struct Suite {
    pub host: Host,
    pub dispatch: Sink,
    pub sms: Sink,
    pub state_dir: PathBuf,
    extra: Vec<String>,
}

/// A device as created over the API (secret shown once).
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub secret: String,
}

impl Suite {
    pub fn start(label: &str) -> Suite {
        Self::start_with(label, &[])
    }

    /// The suite on a copy of an existing database file (e.g. one written by an older version).
    pub fn start_seeded(label: &str, database: &std::path::Path) -> Suite {
        let dispatch = Sink::start();
        let sms = Sink::start();
        let state_dir = temp_dir(label);
        std::fs::copy(database, state_dir.join("sqlite_db.db")).unwrap();
        let host = Self::launch(&state_dir, &dispatch, &sms, &[]);
        Suite {
            host,
            dispatch,
            sms,
            state_dir,
            extra: Vec::new(),
        }
    }

    /// `extra` are more `up` flags, e.g. `--variable routing_policy=...`.
    pub fn start_with(label: &str, extra: &[&str]) -> Suite {
        let dispatch = Sink::start();
        let sms = Sink::start();
        let state_dir = temp_dir(label);
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let host = Self::launch(&state_dir, &dispatch, &sms, &extra);
        Suite {
            host,
            dispatch,
            sms,
            state_dir,
            extra,
        }
    }

    fn launch(state_dir: &std::path::Path, dispatch: &Sink, sms: &Sink, extra: &[String]) -> Host {
        let cache = root().join("target/test-cache");
        let mut vars = vec![
            format!("admin_token={ADMIN}"),
            "secret_key=test-master-key".to_string(),
        ];
        if !extra.iter().any(|a| a.starts_with("personal_data_keys=")) {
            vars.push(format!("personal_data_keys={PERSONAL_DATA_KEY}"));
        }
        vars.extend(suite_variables(dispatch, sms));
        vars.push(format!("sms_reply_token={SMS_REPLY_TOKEN}"));
        let mut args: Vec<String> = vec!["--cache-dir".into(), cache.display().to_string()];
        for v in &vars {
            args.push("--variable".into());
            args.push(v.clone());
        }
        args.extend(extra.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Host::start(&root().join("spin.toml"), state_dir, &args)
            .unwrap_or_else(|e| panic!("suite did not start: {e}"))
    }

    /// kill -9 the host and start it again on the same state.
    pub fn crash_and_restart(&mut self) {
        let dead = std::mem::replace(&mut self.host, Self::launch_placeholder());
        dead.kill9();
        self.host = Self::launch(&self.state_dir, &self.dispatch, &self.sms, &self.extra);
    }

    /// Stops the host and starts it again on the same state with `extra` instead of the flags it
    /// started with (e.g. another `personal_data_keys`).
    pub fn restart_with(&mut self, extra: &[&str]) {
        self.extra = extra.iter().map(|s| s.to_string()).collect();
        self.crash_and_restart();
    }

    fn launch_placeholder() -> Host {
        // A host must always be present; `true` exits at once and is reaped on drop.
        Host::placeholder()
    }

    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Answer {
        let auth = format!("Bearer {token}");
        let body = body.map(|b| b.to_string());
        request(
            method,
            &self.host.url(path),
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.as_deref(),
        )
    }

    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, ADMIN, body.as_ref())
    }

    /// Mints a staff token with `role` (and dong for welfare-centre workers).
    pub fn staff(&self, role: &str, dong: Option<&str>) -> String {
        let a = self.admin(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": format!("{role} worker"), "role": role, "dong": dong})),
        );
        assert_eq!(a.status, 201, "{}", a.body);
        a.json()["token"].as_str().unwrap().to_string()
    }

    /// Puts `dong`'s welfare centre in the directory (residents are enrolled only in dongs
    /// that have one); its number is `052-290-` and four digits from the dong's name.
    pub fn centre(&self, dong: &str) {
        let digits: u32 = dong.bytes().map(u32::from).sum::<u32>() % 10_000;
        let a = self.admin(
            "PUT",
            &format!("/api/v1/centres/{dong}"),
            Some(json!({"name": format!("{dong} 행정복지센터"), "phone": format!("052-290-{digits:04}")})),
        );
        assert!(a.status == 200 || a.status == 201, "{}", a.body);
    }

    /// Enrols a resident in `dong` with caregivers; returns the resident JSON.
    pub fn resident(&self, dong: &str, contacts: usize, extra: Value) -> Value {
        let mut body = json!({
            "name": "김순자",
            "birth_year": 1941,
            "phone": "052-123-4567",
            "address": format!("울산광역시 중구 {dong} 12-3"),
            "dong": dong,
            "location": {"lat": 35.5690, "lon": 129.3320},
            "eligibility": "elderly-alone",
            "medical_notes": "당뇨, 인슐린 복용",
            "contacts": (0..contacts).map(|i| json!({"name": format!("보호자{i}"), "phone": format!("010-1000-000{i}"), "relation": "child", "priority": i + 1})).collect::<Vec<_>>(),
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        if let Some(dong) = body["dong"].as_str() {
            self.centre(dong);
        }
        let a = self.admin("POST", "/api/v1/residents", Some(body));
        assert_eq!(a.status, 201, "{}", a.body);
        a.json()
    }

    pub fn device(&self, resident_id: &str, kind: &str, extra: Value) -> Device {
        let mut body = json!({"kind": kind, "protocol": "http"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let a = self.admin(
            "POST",
            &format!("/api/v1/residents/{resident_id}/devices"),
            Some(body),
        );
        assert_eq!(a.status, 201, "{}", a.body);
        let v = a.json();
        Device {
            id: v["id"].as_str().unwrap().into(),
            secret: v["secret"].as_str().unwrap().into(),
        }
    }

    /// Sends a correctly signed event; `ts` is the signature's unix seconds.
    pub fn send_signed(&self, device: &Device, secret: &str, ts: i64, body: &Value) -> Answer {
        let text = body.to_string();
        let ts = ts.to_string();
        let sig = safetynet_wire::signature::sign(secret.as_bytes(), &ts, text.as_bytes());
        let _ = device;
        request(
            "POST",
            &self.host.url("/api/v1/device-events"),
            &[
                ("content-type", "application/json"),
                ("x-safetynet-timestamp", &ts),
                ("x-safetynet-signature", &sig),
            ],
            Some(&text),
        )
    }

    pub fn event(&self, device: &Device, event_id: &str, kind: &str) -> Answer {
        let body = json!({"event_id": event_id, "device_id": device.id, "kind": kind, "occurred_at": now_rfc3339(), "data": {}});
        self.send_signed(device, &device.secret, now_secs(), &body)
    }

    /// Runs the tick at a given time (RFC 3339), as a drill would.
    pub fn tick_at(&self, now: &str) -> Value {
        let a = self.admin("POST", "/api/v1/jobs/tick", Some(json!({"now": now})));
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()
    }
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn now_rfc3339() -> String {
    safetynet_wire::time::to_rfc3339(now_secs() * 1000)
}

/// RFC 3339 for now + `secs`.
pub fn at(secs: i64) -> String {
    safetynet_wire::time::to_rfc3339((now_secs() + secs) * 1000)
}
