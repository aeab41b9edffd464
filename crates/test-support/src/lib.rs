//! What the end-to-end tests (`tests/`), the benches (`benches/`) and the CLI's `sink` command
//! share, written once:
//!
//! - [`ChildGuard`]: a child process stopped when dropped (SIGTERM, a grace period, SIGKILL),
//!   signalled alone or as the process group it leads; [`on_lines`] and [`forward_lines`] read
//!   its output on a thread of their own.
//! - [`free_port`]: a local port for a program that must be told one.
//! - [`Sink`]: a local HTTP endpoint standing in for 119 dispatch or the SMS gateway, recording
//!   (or handing on) every request it receives.
//! - [`workspace_root`] and [`real_spin`]: where the workspace and the real Spin CLI are.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

#[cfg(unix)]
mod process;
mod sink;

#[cfg(unix)]
pub use process::{ChildGuard, DEFAULT_GRACE, forward_lines, on_lines};
pub use sink::{Error, Received, Sink, suite_variables};

/// The workspace root (where `spin.toml` and `target/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/test-support is two levels below the workspace root")
        .to_path_buf()
}

/// The real Spin 4.0.2 CLI beside the project (`../shared/tools/real-spin`), if this machine
/// has it.
pub fn real_spin() -> Option<PathBuf> {
    let script = workspace_root().parent()?.join("shared/tools/real-spin");
    script.is_file().then_some(script)
}

/// A local port that was free a moment ago, for programs that must be told a port rather than
/// pick one (real Spin prints the address it was given, not the one the kernel chose for port
/// 0; a listener that must keep its port across restarts). Panics if none can be had.
pub fn free_port() -> u16 {
    try_free_port().expect("a free port on 127.0.0.1")
}

/// As [`free_port`], with the error instead of a panic.
pub fn try_free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("crates/test-support").is_dir());
    }

    #[test]
    fn a_free_port_can_be_listened_on() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}
