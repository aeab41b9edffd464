//! Test harness: start the host as a real process on an ephemeral port, talk HTTP to it, and
//! run fake upstream endpoints (119 dispatch, SMS gateway) that record what they receive
//! ([`Sink`], from `safetynet-test-support`, also known here as [`FakeEndpoint`]).

pub mod bridge;
pub mod suite;

use safetynet_test_support::{ChildGuard, forward_lines, free_port};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The name these tests have always given a [`Sink`].
pub use safetynet_test_support::Sink as FakeEndpoint;
pub use safetynet_test_support::{Received, Sink, real_spin, workspace_root as root};

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

/// Skips a test (returns true, after saying why) when it needs real Spin and there is none.
pub fn skip_without_spin(test: &str) -> bool {
    if real_spin().is_some() {
        return false;
    }
    println!("{test}: skipped, real Spin not found at ../shared/tools/real-spin");
    true
}

/// A running `safetynet-host up` or `spin up`, stopped when dropped (SIGTERM, then SIGKILL
/// after 10 s; real Spin as its whole process group, since it serves from a child process).
pub struct Host {
    process: ChildGuard,
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
        cmd.arg("--from")
            .arg(manifest)
            .arg("--state-dir")
            .arg(state_dir)
            .args(kept)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap());
        // `spin up` serves from a child process: it leads a group of its own, so that stopping
        // (or killing) the group stops the server too.
        let mut process = match runtime {
            Runtime::Host => ChildGuard::spawn(&mut cmd),
            Runtime::Spin => ChildGuard::spawn_group(&mut cmd),
        }
        .map_err(|e| e.to_string())?;
        let stdout = process.child_mut().stdout.take().unwrap();
        let rx = forward_lines(stdout, |line| {
            let addr = line.strip_prefix("Serving ")?;
            Some(addr.trim().trim_end_matches('/').to_string())
        });
        let mut host = Host {
            process,
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
                let _ = host.process.kill();
                Err(log)
            }
        }
    }

    /// A stand-in that has already exited (used while swapping hosts).
    pub fn placeholder() -> Host {
        Host {
            process: ChildGuard::spawn(&mut Command::new("true")).unwrap(),
            base: String::new(),
            stderr_log: PathBuf::new(),
            runtime: Runtime::Host,
        }
    }

    /// The serving process's id (for reading its memory use).
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops with SIGKILL (real Spin's whole group): no chance to flush anything (crash tests).
    pub fn kill9(mut self) {
        let _ = self.process.kill();
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
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
