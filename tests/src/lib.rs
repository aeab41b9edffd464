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

/// `safetynet-host check --from MANIFEST ARGS…` (load, compose, compile, exit): `Ok` with
/// nothing, or `Err` with what the host wrote to stderr.
pub fn host_check(manifest: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new(binary("safetynet-host"))
        .args(["check", "--from"])
        .arg(manifest)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
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

/// Which runtime serves `spin.toml` in these tests: the embedded host (default) or real Spin,
/// chosen by `SAFETYNET_RUNTIME=spin` (see [`Runtime::from_env`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Host,
    Spin,
}

impl Runtime {
    /// `SAFETYNET_RUNTIME=spin` selects real Spin; anything else (or nothing) the embedded host.
    pub fn from_env() -> Runtime {
        match std::env::var("SAFETYNET_RUNTIME").as_deref() {
            Ok("spin") => Runtime::Spin,
            _ => Runtime::Host,
        }
    }

    /// Flags only the embedded host knows, dropped when real Spin runs the test.
    fn keeps(self, flag: &str) -> bool {
        self == Runtime::Host || flag != "--cache-dir"
    }
}

/// The real Spin 4.0.2 CLI beside the project (`../shared/tools/real-spin`), if this machine
/// has it.
pub fn real_spin() -> Option<PathBuf> {
    let script = root().parent()?.join("shared/tools/real-spin");
    script.is_file().then_some(script)
}

/// Skips a test (returns true, after saying why) when it needs real Spin and there is none.
pub fn skip_without_spin(test: &str) -> bool {
    if real_spin().is_some() {
        return false;
    }
    println!("{test}: skipped, real Spin not found at ../shared/tools/real-spin");
    true
}

/// A free local port, for runtimes that must be told one (real Spin prints the address it was
/// given, not the one the kernel chose for port 0).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `safetynet-host up` or `spin up`, stopped when dropped.
pub struct Host {
    child: Child,
    pub base: String,
    pub stderr_log: PathBuf,
    pub runtime: Runtime,
}

impl Host {
    /// Starts the runtime chosen by `SAFETYNET_RUNTIME` on an ephemeral port and waits until
    /// it serves.
    pub fn start(manifest: &Path, state_dir: &Path, extra: &[&str]) -> Result<Host, String> {
        Self::start_env(manifest, state_dir, extra, &[])
    }

    /// As [`Host::start`], with extra environment variables for the runtime's process.
    pub fn start_env(
        manifest: &Path,
        state_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Host, String> {
        Self::start_on(Runtime::from_env(), manifest, state_dir, extra, env)
    }

    /// Starts `runtime` with the same `up` arguments either way (`--from`, `--listen`,
    /// `--state-dir`, `--variable`, `--sqlite`).
    pub fn start_on(
        runtime: Runtime,
        manifest: &Path,
        state_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Host, String> {
        let stderr_log = state_dir.join(match runtime {
            Runtime::Host => "host.stderr.log",
            Runtime::Spin => "spin.stderr.log",
        });
        let mut cmd = match runtime {
            Runtime::Host => {
                let mut c = Command::new(binary("safetynet-host"));
                c.arg("up").arg("--listen").arg("127.0.0.1:0");
                c
            }
            Runtime::Spin => {
                let spin = real_spin().ok_or("SAFETYNET_RUNTIME=spin but no real Spin")?;
                let mut c = Command::new(spin);
                c.arg("up")
                    .arg("--listen")
                    .arg(format!("127.0.0.1:{}", free_port()));
                // `spin up` serves from a child process: give it a group of its own so that
                // stopping (or killing) the group stops the server too.
                std::os::unix::process::CommandExt::process_group(&mut c, 0);
                c
            }
        };
        let mut args = extra.iter().copied().peekable();
        let mut kept: Vec<&str> = Vec::new();
        while let Some(a) = args.next() {
            if runtime.keeps(a) {
                kept.push(a);
            } else {
                args.next(); // and its value
            }
        }
        let mut child = cmd
            .arg("--from")
            .arg(manifest)
            .arg("--state-dir")
            .arg(state_dir)
            .args(kept)
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
                    let _ = tx.send(addr.trim().trim_end_matches('/').to_string());
                }
            }
        });
        let mut host = Host {
            child,
            base: String::new(),
            stderr_log,
            runtime,
        };
        // Spin compiles every component on its first start on a machine (later starts read its
        // cache), so the first wait is long.
        match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(base) => {
                host.base = base;
                Ok(host)
            }
            Err(_) => {
                let log = host.stderr();
                host.signal(libc::SIGKILL);
                let _ = host.child.wait();
                Err(log)
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
            runtime: Runtime::Host,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops with SIGKILL: no chance to flush anything (crash tests).
    pub fn kill9(mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }

    /// Signals the runtime: real Spin's whole process group (its server is a child process),
    /// the host's one process.
    fn signal(&self, sig: i32) {
        let pid = self.child.id() as i32;
        let target = match self.runtime {
            Runtime::Host => pid,
            Runtime::Spin => -pid,
        };
        // SAFETY: kill(2) with a pid (or group) of a child this struct owns and has not reaped.
        unsafe {
            libc::kill(target, sig);
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // SIGTERM first, as an operator would; the runtime shuts down gracefully.
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.signal(libc::SIGKILL);
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
    request_within(Duration::from_secs(30), method, url, headers, body)
}

/// As [`request`], waiting up to `timeout` for the answer.
pub fn request_within(
    timeout: Duration,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
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
    delay: Arc<Mutex<Duration>>,
    server: Arc<tiny_http::Server>,
}

impl FakeEndpoint {
    pub fn start() -> FakeEndpoint {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let origin = format!("http://{}", server.server_addr().to_ip().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(200u16));
        let delay = Arc::new(Mutex::new(Duration::ZERO));
        let (s, r, st, d) = (
            server.clone(),
            received.clone(),
            status.clone(),
            delay.clone(),
        );
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
                let wait = *d.lock().unwrap();
                // Answered on a thread of its own, as a real gateway serves many senders at
                // once: a slow answer to one sender does not hold up the next.
                std::thread::spawn(move || {
                    std::thread::sleep(wait);
                    let _ = req.respond(
                        tiny_http::Response::from_string("{\"ok\":true}").with_status_code(code),
                    );
                });
            }
        });
        FakeEndpoint {
            origin,
            received,
            status,
            delay,
            server,
        }
    }

    pub fn set_status(&self, code: u16) {
        *self.status.lock().unwrap() = code;
    }

    /// Answers each request only after `delay` (a slow receiver: the request is recorded on
    /// arrival).
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
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
