//! Driving the device bridge as a process beside the suite: its config, a real mosquitto
//! broker, the Python senders in `tests/python` (pysiaalarm, paho-mqtt from the repo's
//! `.venv`), a TCP proxy that can take the suite away, and reading the suite's stored events.

use safetynet_test_support::{ChildGuard, forward_lines, on_lines};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::root;

pub use safetynet_test_support::free_port;

/// A running `safetynet-bridge`, stopped (SIGTERM, then SIGKILL after 10 s) when dropped.
pub struct Bridge {
    process: ChildGuard,
    pub config: PathBuf,
    pub stderr_log: PathBuf,
    pub dc09_tcp: Option<SocketAddr>,
    pub dc09_udp: Option<SocketAddr>,
    pub metrics: Option<String>,
    pub mqtt: Option<String>,
}

/// The key the bridge's directory cache is sealed with in tests (`SAFETYNET_BRIDGE_KEY`).
pub const BRIDGE_KEY: &str = "test-bridge-key-0123456789abcdef0123456789";

impl Bridge {
    /// Writes `config` (TOML) to `dir/bridge.toml` and starts the bridge on it.
    pub fn start(dir: &Path, config: &str) -> Bridge {
        let path = dir.join("bridge.toml");
        std::fs::write(&path, config).unwrap();
        Self::start_on(&path)
    }

    /// Starts the bridge on an existing config file and waits for `ready`.
    pub fn start_on(config: &Path) -> Bridge {
        let bin = root().join("target/release/safetynet-bridge");
        assert!(bin.is_file(), "{} missing: run `make build`", bin.display());
        let dir = config.parent().unwrap();
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let stderr_log = dir.join(format!("bridge.stderr.{n}.log"));
        let mut process = ChildGuard::spawn(
            Command::new(bin)
                .arg("--config")
                .arg(config)
                .env("SAFETYNET_BRIDGE_LOG_LEVEL", "info,safetynet_bridge=debug")
                .env("SAFETYNET_BRIDGE_KEY", BRIDGE_KEY)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&stderr_log).unwrap()),
        )
        .unwrap();
        let rx = forward_lines(process.child_mut().stdout.take().unwrap(), Some);
        let mut b = Bridge {
            process,
            config: config.to_path_buf(),
            stderr_log,
            dc09_tcp: None,
            dc09_udp: None,
            metrics: None,
            mqtt: None,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line == "ready" => return b,
                Ok(line) => {
                    let (k, v) = line.split_once(' ').unwrap_or((&line, ""));
                    match k {
                        "dc09-tcp" => b.dc09_tcp = v.parse().ok(),
                        "dc09-udp" => b.dc09_udp = v.parse().ok(),
                        "metrics" => b.metrics = Some(v.to_string()),
                        "mqtt" => b.mqtt = Some(v.split(' ').next().unwrap_or("").to_string()),
                        _ => {}
                    }
                }
                Err(_) => {
                    let _ = b.process.kill();
                    panic!("bridge did not start:\n{}", b.stderr());
                }
            }
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush or finish anything.
    pub fn kill9(mut self) {
        let _ = self.process.kill();
    }

    /// The value of one metric line (`name{labels}` exactly as exported), 0 if absent.
    pub fn metric(&self, series: &str) -> f64 {
        let url = format!(
            "{}/metrics",
            self.metrics.as_ref().expect("metrics listener")
        );
        let text = crate::get(&url).body;
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                let (k, v) = l.rsplit_once(' ')?;
                (k == series).then(|| v.parse().unwrap_or(0.0))
            })
            .unwrap_or(0.0)
    }

    pub fn health(&self) -> (u16, Value) {
        let a = crate::get(&format!(
            "{}/healthz",
            self.metrics.as_ref().expect("metrics listener")
        ));
        (a.status, a.json())
    }
}

/// A real mosquitto broker on an ephemeral port, killed (SIGKILL) when dropped.
pub struct Mosquitto {
    _process: ChildGuard,
    pub port: u16,
}

impl Mosquitto {
    pub fn start(dir: &Path) -> Mosquitto {
        Self::start_with(dir, "allow_anonymous true\n")
    }

    /// A broker with `conf` lines (authentication, ACL) after its listener.
    pub fn start_with(dir: &Path, conf: &str) -> Mosquitto {
        Self::start_on(dir, free_port(), conf)
    }

    /// As [`Mosquitto::start_with`], on `port`.
    pub fn start_on(dir: &Path, port: u16, conf: &str) -> Mosquitto {
        let bin = [
            "/usr/sbin/mosquitto",
            "/usr/bin/mosquitto",
            "/usr/local/sbin/mosquitto",
        ]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("mosquitto missing: `apt-get install -y mosquitto` (.ci/run does)");
        let file = dir.join("mosquitto.conf");
        // Started as root, mosquitto drops to its own user, which could not read our files.
        let as_root =
            std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0;
        let user = if as_root { "user root\n" } else { "" };
        std::fs::write(
            &file,
            format!("listener {port} 127.0.0.1\n{user}{conf}persistence false\nlog_dest stderr\n"),
        )
        .unwrap();
        let process = ChildGuard::spawn(
            Command::new(bin)
                .arg("-c")
                .arg(&file)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.join("mosquitto.log")).unwrap()),
        )
        .unwrap()
        .with_grace(Duration::ZERO);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto {
            _process: process,
            port,
        }
    }
}

/// The repo's virtualenv Python (with pysiaalarm and paho-mqtt, installed by `.ci/run`).
pub fn python() -> PathBuf {
    let p = root().join(".venv/bin/python");
    assert!(
        p.is_file(),
        "{} missing: run .ci/run, or `python3 -m venv .venv && .venv/bin/pip install pysiaalarm paho-mqtt`",
        p.display()
    );
    p
}

pub fn script(name: &str) -> PathBuf {
    root().join("tests/python").join(name)
}

/// Runs a script in `tests/python` to its end: its exit code and stdout JSON lines.
pub fn run_python_status(name: &str, args: &[&str]) -> (i32, Vec<Value>) {
    let out = Command::new(python())
        .arg(script(name))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {l}")))
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

/// Runs a script in `tests/python` with `stdin`, returns its stdout JSON lines.
pub fn run_python(name: &str, args: &[&str], stdin: &str) -> Vec<Value> {
    let mut child = Command::new(python())
        .arg(script(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {l}")))
        .collect()
}

/// A long-running script whose stdout JSON lines are collected as they come; killed (SIGKILL)
/// when dropped.
pub struct PyProcess {
    process: ChildGuard,
    pub lines: Arc<Mutex<Vec<Value>>>,
    stderr_log: PathBuf,
}

impl PyProcess {
    pub fn spawn(name: &str, args: &[&str], stderr_log: PathBuf) -> PyProcess {
        let mut process = ChildGuard::spawn(
            Command::new(python())
                .arg(script(name))
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&stderr_log).unwrap()),
        )
        .unwrap()
        .with_grace(Duration::ZERO);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = lines.clone();
        on_lines(process.child_mut().stdout.take().unwrap(), move |line| {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                l.lock().unwrap().push(v);
            }
        });
        PyProcess {
            process,
            lines,
            stderr_log,
        }
    }

    /// Waits for a line with `"type": ty`; panics with the script's stderr on timeout.
    pub fn wait_for(&self, ty: &str, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.lines.lock().unwrap().clone();
            if got.iter().any(|v| v["type"] == ty) {
                return got;
            }
            if let Some(e) = got.iter().find(|v| v["type"] == "error") {
                panic!(
                    "{e}\n{}",
                    std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {ty:?} line; got {got:?}\n{}",
                std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill9(mut self) {
        let _ = self.process.kill();
    }

    pub fn wait(mut self) -> bool {
        self.process.wait().map(|s| s.success()).unwrap_or(false)
    }
}

/// A TCP proxy in front of the suite that can refuse everything (the suite "down" for the
/// bridge) and be pointed at a restarted host.
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let upstream = Arc::new(Mutex::new(upstream));
        let down = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (u, d, c) = (upstream.clone(), down.clone(), conns.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if d.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = *u.lock().unwrap();
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                {
                    let mut list = c.lock().unwrap();
                    list.push(client.try_clone().unwrap());
                    list.push(server.try_clone().unwrap());
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        loop {
                            match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                        let _ = from.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy {
            addr,
            upstream,
            down,
            conns,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Refuses new connections and cuts the open ones.
    pub fn take_down(&self) {
        self.down.store(true, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn bring_up(&self, upstream: SocketAddr) {
        *self.upstream.lock().unwrap() = upstream;
        self.down.store(false, Ordering::SeqCst);
    }
}

/// `http://127.0.0.1:PORT` → the socket address.
pub fn addr_of(base: &str) -> SocketAddr {
    base.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

/// One device event as the suite stored it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub event_id: String,
    pub device_id: String,
    pub kind: String,
    pub sequence: Option<i64>,
    pub data: Value,
}

/// The suite's stored device events, in arrival order (read from its SQLite file; their data is
/// opened with the tests' personal-data key).
pub fn suite_events(state_dir: &Path) -> Vec<StoredEvent> {
    let keys = safetynet_secrets::PersonalDataKeys::parse(crate::suite::PERSONAL_DATA_KEY, "")
        .expect("the tests' key parses");
    let db = state_dir.join("sqlite_db.db");
    if !db.is_file() {
        return Vec::new();
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let mut st = match conn.prepare(
        "SELECT event_id, device_id, kind, sequence, data FROM device_events ORDER BY rowid",
    ) {
        Ok(st) => st,
        Err(_) => return Vec::new(),
    };
    st.query_map([], |r| {
        let data: String = r.get(4)?;
        Ok(StoredEvent {
            event_id: r.get(0)?,
            device_id: r.get(1)?,
            kind: r.get(2)?,
            sequence: r.get(3)?,
            data: keys
                .open("device_events.data", &data)
                .ok()
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or(Value::Null),
        })
    })
    .unwrap()
    .collect::<Result<Vec<_>, _>>()
    .unwrap()
}

/// Waits until `pred` holds for the suite's events (or the timeout passes) and returns them.
pub fn wait_events(
    state_dir: &Path,
    timeout: Duration,
    pred: impl Fn(&[StoredEvent]) -> bool,
) -> Vec<StoredEvent> {
    let deadline = Instant::now() + timeout;
    loop {
        let got = suite_events(state_dir);
        if pred(&got) || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
