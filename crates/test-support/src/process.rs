//! Child processes stopped when dropped, and reading their output on a thread of its own.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// How long a [`ChildGuard`] waits after SIGTERM before it sends SIGKILL, unless told otherwise
/// ([`ChildGuard::with_grace`]).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// A child process that is stopped when dropped, as an operator would stop it: SIGTERM, up to a
/// grace period for it to exit, then SIGKILL. A child started with [`ChildGuard::spawn_group`]
/// leads a process group of its own and is signalled as that group, so that a program serving
/// from a child process of its own (such as `spin up`) stops with it.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
    group: bool,
    grace: Duration,
    /// Set once [`ChildGuard::stop`] or [`ChildGuard::kill`] has run: later calls signal nothing.
    stopped: Option<ExitStatus>,
}

impl ChildGuard {
    /// Spawns `cmd`; the guard signals that one process.
    pub fn spawn(cmd: &mut Command) -> io::Result<ChildGuard> {
        Ok(Self::new(cmd.spawn()?))
    }

    /// Spawns `cmd` as the leader of a new process group; the guard signals the whole group.
    pub fn spawn_group(cmd: &mut Command) -> io::Result<ChildGuard> {
        std::os::unix::process::CommandExt::process_group(cmd, 0);
        let mut guard = Self::new(cmd.spawn()?);
        guard.group = true;
        Ok(guard)
    }

    /// Guards a child spawned elsewhere (signalled alone).
    pub fn new(child: Child) -> ChildGuard {
        ChildGuard {
            child,
            group: false,
            grace: DEFAULT_GRACE,
            stopped: None,
        }
    }

    /// How long [`ChildGuard::stop`] waits after SIGTERM; `Duration::ZERO` sends SIGKILL at
    /// once, with no SIGTERM.
    pub fn with_grace(mut self, grace: Duration) -> ChildGuard {
        self.grace = grace;
        self
    }

    /// The child's process id (also its process group's id when it leads one).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the child leads a process group of its own and is signalled as that group.
    pub fn leads_group(&self) -> bool {
        self.group
    }

    /// The child itself, e.g. to take its piped stdout.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The exit status if the child has exited (reaping it), without waiting.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the child to exit by itself.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.child.wait()
    }

    /// SIGTERM, then SIGKILL if the child has not exited within the grace period; returns its
    /// exit status. A child that has already exited is not signalled, but the rest of a group
    /// it led is (a server's child outlives its leader): SIGTERM. Once stopped, later calls
    /// (and the drop) only return the status.
    pub fn stop(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.stopped {
            return Ok(status);
        }
        if let Some(status) = self.try_wait() {
            if self.group {
                self.signal(libc::SIGTERM);
            }
            self.stopped = Some(status);
            return Ok(status);
        }
        if !self.grace.is_zero() {
            self.signal(libc::SIGTERM);
            let deadline = Instant::now() + self.grace;
            while Instant::now() < deadline {
                if let Some(status) = self.try_wait() {
                    self.stopped = Some(status);
                    return Ok(status);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.kill()
    }

    /// SIGKILL now (to the whole group when it leads one): no chance to flush or finish
    /// anything (crash tests). Waits for the child and returns its exit status.
    pub fn kill(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.stopped {
            return Ok(status);
        }
        if self.group || self.try_wait().is_none() {
            self.signal(libc::SIGKILL);
        }
        let status = self.child.wait()?;
        self.stopped = Some(status);
        Ok(status)
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on a child this guard owns (or the process group it leads); it is not
        // called again once the guard has reaped the child after stopping it.
        unsafe {
            libc::kill(if self.group { -pid } else { pid }, sig);
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Reads `from` line by line on a thread of its own and calls `each` with every line, until
/// the end of the stream (or a read error). The stream is read to its end whatever `each`
/// does, so a process writing into a pipe never blocks on it.
pub fn on_lines<R, F>(from: R, mut each: F)
where
    R: Read + Send + 'static,
    F: FnMut(String) + Send + 'static,
{
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            each(line);
        }
    });
}

/// As [`on_lines`], sending what `pick` makes of each line (the lines it returns `None` for
/// are dropped) to the receiver returned. Reading goes on after the receiver is dropped.
pub fn forward_lines<R, T, F>(from: R, mut pick: F) -> Receiver<T>
where
    R: Read + Send + 'static,
    T: Send + 'static,
    F: FnMut(String) -> Option<T> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    on_lines(from, move |line| {
        if let Some(item) = pick(line) {
            let _ = tx.send(item);
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    #[test]
    fn stop_sends_sigterm_once() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let mut guard = ChildGuard::spawn(&mut cmd).unwrap();
        let started = Instant::now();
        let status = guard.stop().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGTERM)
        );
        // Stopped once: a second stop (and the drop) signal nothing more.
        assert_eq!(guard.stop().unwrap(), status);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn dropping_the_guard_stops_the_child() {
        let guard = ChildGuard::spawn(Command::new("sleep").arg("30")).unwrap();
        let pid = guard.id() as i32;
        assert!(alive(pid));
        drop(guard);
        assert!(!alive(pid));
    }

    #[test]
    fn sigkill_follows_when_sigterm_is_ignored() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "trap '' TERM; echo ready; exec sleep 30"])
            .stdout(Stdio::piped());
        let mut guard = ChildGuard::spawn(&mut cmd)
            .unwrap()
            .with_grace(Duration::from_millis(200));
        let lines = forward_lines(guard.child_mut().stdout.take().unwrap(), Some);
        assert_eq!(
            lines.recv_timeout(Duration::from_secs(10)).unwrap(),
            "ready"
        );
        let status = guard.stop().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_group_is_stopped_with_its_leader() {
        // The shell leads the group; its `sleep` child would outlive a signal to the shell alone.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(Stdio::piped());
        let mut guard = ChildGuard::spawn_group(&mut cmd).unwrap();
        assert!(guard.leads_group());
        let pids = forward_lines(guard.child_mut().stdout.take().unwrap(), |l| {
            l.trim().parse::<i32>().ok()
        });
        let sleeper = pids.recv_timeout(Duration::from_secs(10)).unwrap();
        guard.stop().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(sleeper) {
            assert!(
                Instant::now() < deadline,
                "the group's sleep outlived its leader"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether `pid` runs (a zombie, left to whoever reaps orphans here, does not).
    #[cfg(target_os = "linux")]
    fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| Some(s.rsplit_once(')')?.1.trim_start().starts_with('Z')))
            .is_some_and(|zombie| !zombie)
    }

    #[test]
    fn a_child_that_exited_is_not_signalled() {
        let mut guard = ChildGuard::spawn(&mut Command::new("true")).unwrap();
        assert!(guard.wait().unwrap().success());
        assert!(guard.stop().unwrap().success());
        assert!(guard.kill().unwrap().success());
    }
}
