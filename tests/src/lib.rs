//! Test harness: start the host as a real process on an ephemeral port, talk HTTP to it, and
//! run fake upstream endpoints (119 dispatch, SMS gateway) that record what they receive.

pub mod bridge;
pub mod suite;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The workspace root (where `spin.toml` and `target/` are).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn binary(name: &str) -> PathBuf {
    let p = root().join("target/release").join(name);
    assert!(
        p.is_file(),
        "{} missing: run `make build` (make test does)",
        p.display()
    );
    p
}

/// A fresh, empty directory under the target dir, unique per test.
pub fn temp_dir(label: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = root()
        .join("target/test-state")
        .join(format!("{label}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A running `safetynet-host up`, stopped when dropped.
pub struct Host {
    child: Child,
    pub base: String,
    pub stderr_log: PathBuf,
}

impl Host {
    /// Starts the host on an ephemeral port and waits until it prints its address.
    pub fn start(manifest: &Path, state_dir: &Path, extra: &[&str]) -> Result<Host, String> {
        Self::start_env(manifest, state_dir, extra, &[])
    }

    /// As [`Host::start`], with extra environment variables for the host process.
    pub fn start_env(
        manifest: &Path,
        state_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Host, String> {
        let stderr_log = state_dir.join("host.stderr.log");
        let mut child = Command::new(binary("safetynet-host"))
            .arg("up")
            .arg("--from")
            .arg(manifest)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--state-dir")
            .arg(state_dir)
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Serving ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => Ok(Host {
                child,
                base,
                stderr_log,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(std::fs::read_to_string(&stderr_log).unwrap_or_default())
            }
        }
    }

    /// A stand-in that has already exited (used while swapping hosts).
    pub fn placeholder() -> Host {
        let child = Command::new("true").spawn().unwrap();
        Host {
            child,
            base: String::new(),
            stderr_log: PathBuf::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops with SIGKILL: no chance to flush anything (crash tests).
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // SIGTERM first, as an operator would; the host shuts down gracefully.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// Sends a request; any status is an answer (only transport failures panic).
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut req = agent.request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let res = match body {
        Some(b) => req.send_string(b),
        None => req.call(),
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let body = resp.into_string().unwrap_or_default();
    Answer { status, body }
}

pub fn get(url: &str) -> Answer {
    request("GET", url, &[], None)
}

pub fn post(url: &str, body: &str) -> Answer {
    request(
        "POST",
        url,
        &[("content-type", "application/json")],
        Some(body),
    )
}

/// One request received by a [`FakeEndpoint`].
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A local HTTP server standing in for 119 dispatch or the SMS gateway. It records every
/// request and answers with the status currently set (so a test can make it fail for a while).
pub struct FakeEndpoint {
    pub origin: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    status: Arc<Mutex<u16>>,
    server: Arc<tiny_http::Server>,
}

impl FakeEndpoint {
    pub fn start() -> FakeEndpoint {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let origin = format!("http://{}", server.server_addr().to_ip().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(200u16));
        let (s, r, st) = (server.clone(), received.clone(), status.clone());
        std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let code = *st.lock().unwrap();
                let rec = Received {
                    method: req.method().to_string(),
                    path: req.url().to_string(),
                    headers: req
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect(),
                    body,
                };
                r.lock().unwrap().push(rec);
                let _ = req.respond(
                    tiny_http::Response::from_string("{\"ok\":true}").with_status_code(code),
                );
            }
        });
        FakeEndpoint {
            origin,
            received,
            status,
            server,
        }
    }

    pub fn set_status(&self, code: u16) {
        *self.status.lock().unwrap() = code;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `pred` holds for the received list, or the timeout passes.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if pred(&got) || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakeEndpoint {
    fn drop(&mut self) {
        self.server.unblock();
    }
}
