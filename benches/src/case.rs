//! What a case is, what it is given ([`Cx`]), and how the harness runs one.
//!
//! A case is one function returning a [`Row`]. A [`Run::Served`] case gets the address of a
//! host the harness started for it on a fresh state directory (and stops afterwards); a
//! [`Run::Standalone`] case manages processes itself. Cases are plain synchronous functions:
//! [`Cx::load`] and [`Cx::fetch`] drive the async load generator on the bench's runtime.

use anyhow::Result;
use bytes::Bytes;
use hyper::StatusCode;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Names of cases other cases compare against (ratios in one run).
pub const HELLO_C32: &str = "hello c=32";
pub const INGEST: &str = "device events c=32 (95% heartbeat/activity, 5% emergency)";

use crate::hostproc::{self, Host, HostCmd};
use crate::load::{self, Limit, LoadReport, Req};
use crate::table::Row;

/// A case's body.
#[derive(Clone, Copy)]
pub enum Run {
    /// Given a freshly started host's address.
    Served(fn(&Cx, SocketAddr) -> Result<Row>),
    /// Starts whatever it needs itself.
    Standalone(fn(&Cx) -> Result<Row>),
}

#[derive(Clone, Copy)]
pub struct Case {
    /// For `--only`, e.g. `hello-c32`.
    pub id: &'static str,
    /// The table's case column, e.g. `hello c=32`.
    pub name: &'static str,
    pub run: Run,
}

impl Case {
    pub const fn served(
        id: &'static str,
        name: &'static str,
        f: fn(&Cx, SocketAddr) -> Result<Row>,
    ) -> Case {
        Case {
            id,
            name,
            run: Run::Served(f),
        }
    }

    pub const fn standalone(
        id: &'static str,
        name: &'static str,
        f: fn(&Cx) -> Result<Row>,
    ) -> Case {
        Case {
            id,
            name,
            run: Run::Standalone(f),
        }
    }
}

/// What every case is given.
pub struct Cx {
    pub rt: tokio::runtime::Runtime,
    /// How long each duration-limited load run lasts.
    pub duration: Duration,
    pub host: HostCmd,
    /// Keep state directories after successful cases.
    pub keep_state: bool,
}

impl Cx {
    /// `concurrency` workers against `addr` for [`Cx::duration`].
    pub fn load<F>(
        &self,
        addr: SocketAddr,
        concurrency: usize,
        make_request: F,
    ) -> Result<LoadReport>
    where
        F: Fn(u64) -> Req + Send + Sync + 'static,
    {
        self.load_until(addr, concurrency, self.duration, make_request)
    }

    /// As [`Cx::load`] with an explicit limit (e.g. `Limit::Count(500)` for a warm-up).
    pub fn load_until<F>(
        &self,
        addr: SocketAddr,
        concurrency: usize,
        limit: impl Into<Limit>,
        make_request: F,
    ) -> Result<LoadReport>
    where
        F: Fn(u64) -> Req + Send + Sync + 'static,
    {
        self.rt
            .block_on(load::run_load(addr, concurrency, limit, make_request))
    }

    /// One request on its own connection: status and body.
    pub fn fetch(&self, addr: SocketAddr, req: Req) -> Result<(StatusCode, Bytes)> {
        self.rt.block_on(load::fetch(addr, req))
    }

    /// A fresh, empty state directory for `label`.
    pub fn state_dir(&self, label: &str) -> Result<PathBuf> {
        hostproc::fresh_state_dir(label)
    }

    /// Starts `safetynet-host up` on `state_dir`.
    pub fn start_host(&self, state_dir: &Path) -> Result<Host> {
        self.host.start(state_dir)
    }
}

/// Runs one case and names its row.
pub fn run_case(cx: &Cx, case: &Case) -> Row {
    let mut state_dir = None;
    let result = match case.run {
        Run::Standalone(f) => f(cx),
        Run::Served(f) => (|| {
            let dir = cx.state_dir(case.id)?;
            state_dir = Some(dir.clone());
            let mut host = cx.start_host(&dir)?;
            let row = f(cx, host.addr);
            let early_exit = host.exited();
            let _ = host.stop();
            let mut row = row?;
            if let Some(status) = early_exit {
                row.failed = true;
                row.notes.push(format!(
                    "host exited during the case ({status}); see {}",
                    host.stderr_log.display()
                ));
            } else if row.errors.is_some_and(|e| e > 0) {
                row.notes
                    .push(format!("host log: {}", host.stderr_log.display()));
            }
            Ok(row)
        })(),
    };
    let mut row = result.unwrap_or_else(|e| Row::failed(&e));
    row.case = case.name.to_string();
    if let Some(dir) = state_dir
        && row.met()
        && !cx.keep_state
    {
        let _ = std::fs::remove_dir_all(dir);
    }
    row
}
