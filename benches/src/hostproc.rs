//! Starting and stopping `safetynet-host` as a real process, as an operator would.

use anyhow::{Context, Result, bail, ensure};
use safetynet_test_support::{ChildGuard, forward_lines, try_free_port};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use safetynet_test_support::{real_spin, workspace_root as root};

/// How long the host may take to print its address (a cold start compiles every component).
pub const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the host may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh, empty directory `target/bench-state/<label>-<pid>`.
pub fn fresh_state_dir(label: &str) -> Result<PathBuf> {
    let dir = root()
        .join("target/bench-state")
        .join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// What every host process of the bench is given.
#[derive(Debug, Clone, Default)]
pub struct HostCmd {
    pub bin: PathBuf,
    pub manifest: PathBuf,
    /// `--variable NAME=VALUE` flags.
    pub variables: Vec<String>,
    /// More `up` flags, e.g. `--cache-dir DIR`.
    pub extra: Vec<String>,
    /// `bin` is real Spin: it is given a port (it prints the address it was asked for, not the
    /// one port 0 would pick) and serves from a child process, so it runs in its own process
    /// group and is stopped and measured as a group.
    pub real_spin: bool,
}

impl HostCmd {
    /// `bin SUBCOMMAND --from MANIFEST --state-dir DIR --variable ...`.
    pub fn command(&self, subcommand: &str, state_dir: &Path) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg(subcommand)
            .arg("--from")
            .arg(&self.manifest)
            .arg("--state-dir")
            .arg(state_dir);
        for v in &self.variables {
            cmd.arg("--variable").arg(v);
        }
        cmd
    }

    /// Starts `up` on an ephemeral 127.0.0.1 port and waits for its "Serving http://ADDR" line.
    pub fn start(&self, state_dir: &Path) -> Result<Host> {
        ensure!(
            self.bin.is_file(),
            "{} missing: run `make build`",
            self.bin.display()
        );
        let stderr_log = state_dir.join("host.stderr.log");
        let mut cmd = self.command("up", state_dir);
        let listen = if self.real_spin {
            format!("127.0.0.1:{}", try_free_port()?)
        } else {
            "127.0.0.1:0".to_string()
        };
        cmd.args(&self.extra)
            .arg("--listen")
            .arg(listen)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log)?);
        let spawned = Instant::now();
        // Real Spin runs in a process group of its own and is stopped and measured as a group.
        let process = if self.real_spin {
            ChildGuard::spawn_group(&mut cmd)
        } else {
            ChildGuard::spawn(&mut cmd)
        };
        let mut process = process
            .with_context(|| format!("starting {}", self.bin.display()))?
            .with_grace(STOP_TIMEOUT);
        let stdout = process.child_mut().stdout.take().expect("piped");
        // Keeps draining stdout after the address line so the host never blocks on the pipe;
        // ends at EOF, when the host exits.
        let rx = forward_lines(stdout, |line| {
            Some(line.strip_prefix("Serving http://")?.trim().to_string())
        });
        let mut host = Host {
            process,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            spawned,
            stderr_log,
        };
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = host.stop();
                bail!(
                    "host did not print its address within {START_TIMEOUT:?}; stderr:\n{}",
                    host.stderr_tail(20)
                );
            }
        };
        host.addr = line
            .trim_end_matches('/')
            .parse()
            .with_context(|| format!("host printed a bad address {line:?}"))?;
        ensure!(
            host.addr.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST),
            "host listens on {}, not 127.0.0.1",
            host.addr
        );
        Ok(host)
    }
}

/// A running `safetynet-host up`, stopped (SIGTERM, then SIGKILL) when dropped. Real Spin is
/// signalled and measured as its process group.
pub struct Host {
    process: ChildGuard,
    pub addr: SocketAddr,
    /// When the process was spawned.
    pub spawned: Instant,
    pub stderr_log: PathBuf,
}

impl Host {
    /// The host's process id (e.g. to read its memory peak from /proc).
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// CPU time (user + system) the host has used so far, from /proc; `None` off Linux. For
    /// real Spin, the sum over its process group (its server is a child process).
    pub fn cpu_time(&self) -> Option<Duration> {
        let ticks: u64 = if self.process.leads_group() {
            std::fs::read_dir("/proc")
                .ok()?
                .filter_map(|e| proc_ticks(&e.ok()?.path().join("stat")))
                .filter(|(pgrp, _)| *pgrp == self.pid())
                .map(|(_, t)| t)
                .sum()
        } else {
            proc_ticks(Path::new(&format!("/proc/{}/stat", self.pid())))?.1
        };
        // SAFETY: sysconf only reads a configuration value.
        let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        (per_sec > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_sec as f64))
    }

    /// The exit status if the host has already exited by itself (a crash during a case).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.process.try_wait()
    }

    /// SIGTERM, as an operator would; SIGKILL if the host has not exited in 10 s.
    pub fn stop(&mut self) -> Result<ExitStatus> {
        Ok(self.process.stop()?)
    }

    /// The last `n` lines the host wrote to stderr.
    pub fn stderr_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// A process's group and its user + system CPU ticks, from `/proc/PID/stat`.
fn proc_ticks(stat: &Path) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(stat).ok()?;
    // Fields after the command name (which may hold spaces) start at state, field 3; the
    // process group is field 5, utime and stime are fields 14 and 15.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let pgrp = fields.nth(2)?.parse().ok()?;
    let mut times = fields.skip(8);
    let ticks = times.next()?.parse::<u64>().ok()? + times.next()?.parse::<u64>().ok()?;
    Some((pgrp, ticks))
}

/// Runs a command to completion (killing it after `timeout`) and returns its stdout.
pub fn run_to_end(mut cmd: Command, stderr_log: &Path, timeout: Duration) -> Result<String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr_log)?)
        .spawn()
        .context("spawning")?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        let err = std::fs::read_to_string(stderr_log).unwrap_or_default();
        bail!("exited with {status}: {}", err.trim());
    }
    Ok(out)
}
