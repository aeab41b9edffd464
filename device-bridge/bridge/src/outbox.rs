//! The durable outbox: every accepted event is committed to SQLite (WAL, `synchronous=FULL`)
//! before the device is answered, and stays until the suite's webhook has answered 2xx.
//!
//! One writer thread owns the connection and commits in groups: every request waiting when a
//! commit starts shares it (one fsync for many events under load), and each caller is answered
//! only after that commit. After a crash the undelivered rows are read back in order and
//! delivered again; the event id makes that harmless (the suite answers a repeat with the first
//! answer).
//!
//! Also kept here, because they must survive restarts in the same transaction as the events
//! they cause: each device's offline/online state (supervision, MQTT last will) and the
//! reminder commands claimed from the suite's feed until the broker has acknowledged them.
//!
//! Disk budget: used bytes (pages in use + WAL) are measured as the outbox grows. From
//! `warn_ratio` of the budget a warning is logged every minute; past the budget non-urgent
//! events are refused (the device retries later) while urgent kinds are still taken.

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::config;
use crate::events::{self, NewEvent, Pending};
use crate::metrics::Metrics;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    data TEXT NOT NULL,
    source TEXT NOT NULL,
    dedupe_key TEXT,
    received_at INTEGER NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,   -- 0 pending, 1 delivered, 2 dead
    status INTEGER,                     -- last HTTP status from the webhook
    done_at INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(state, seq);
CREATE INDEX IF NOT EXISTS outbox_dedupe ON outbox(dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_done ON outbox(state, done_at);
CREATE TABLE IF NOT EXISTS device_state (
    device_id TEXT PRIMARY KEY,
    offline INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
    delivery_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,   -- 0 to publish, 1 published (PUBACK)
    created_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX IF NOT EXISTS commands_pending ON commands(state, created_at);
";

/// How one event of an append ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Newly stored as row `seq`.
    Stored(i64),
    /// Already stored (same event id, or same dedupe key within the window).
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendError {
    /// Past the disk budget and nothing urgent in the message.
    OverBudget,
    /// The commit failed (disk full, I/O error…); nothing was stored.
    Failed(String),
}

impl std::fmt::Display for AppendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppendError::OverBudget => f.write_str("outbox past its disk budget"),
            AppendError::Failed(e) => write!(f, "outbox write failed: {e}"),
        }
    }
}

/// A device's offline flag, changed in the same transaction as the events it explains.
#[derive(Debug, Clone)]
pub struct StateChange {
    pub device_id: String,
    pub offline: bool,
}

/// A command for a speaker (from the reminder feed), kept until the broker has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub delivery_id: String,
    pub device_id: String,
    /// The id in the MQTT topic.
    pub topic_id: String,
    /// reminder, announcement, check-in.
    pub kind: String,
    /// JSON text published as is.
    pub payload: String,
}

/// What was found on disk at start.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Undelivered events, already handed to the delivery sink.
    pub pending: usize,
    /// Devices whose last known state is offline.
    pub offline: HashSet<String>,
    /// Commands not yet acknowledged by the broker.
    pub commands: Vec<Command>,
}

type Reply<T> = oneshot::Sender<Result<T, AppendError>>;

enum Cmd {
    Append {
        events: Vec<NewEvent>,
        source: &'static str,
        state: Option<StateChange>,
        reply: Reply<Vec<Accepted>>,
    },
    Done {
        seq: i64,
        delivered: bool,
        status: u16,
        error: Option<String>,
    },
    Commands {
        items: Vec<Command>,
        reply: Reply<Vec<bool>>,
    },
    Published {
        delivery_id: String,
    },
    Shutdown(oneshot::Sender<()>),
}

/// Handle to the outbox (cheap to clone).
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Cmd>,
    metrics: Arc<Metrics>,
}

pub struct Settings {
    pub path: PathBuf,
    pub max_bytes: u64,
    pub warn_ratio: f64,
    pub keep_delivered: Duration,
    pub dedupe_window: Duration,
}

impl Settings {
    pub fn from_config(c: &config::Outbox, dedupe_window_s: u64) -> Settings {
        Settings {
            path: c.path.clone(),
            max_bytes: c.max_bytes,
            warn_ratio: c.warn_ratio,
            keep_delivered: Duration::from_secs(c.keep_delivered_s),
            dedupe_window: Duration::from_secs(dedupe_window_s),
        }
    }
}

impl Outbox {
    /// Opens (creating) the outbox, hands every undelivered event to `sink` in order, and
    /// starts the writer thread. Fails if another process holds the file.
    pub fn open(
        settings: Settings,
        metrics: Arc<Metrics>,
        sink: tmpsc::UnboundedSender<Vec<Pending>>,
    ) -> Result<(Outbox, Recovered)> {
        let conn = open_connection(&settings.path)?;
        let pending = load_pending(&conn)?;
        let offline = load_offline(&conn)?;
        let commands = load_commands(&conn)?;
        let recovered = Recovered {
            pending: pending.len(),
            offline,
            commands,
        };
        metrics.outbox_depth.set(pending.len() as i64);
        metrics.outbox_budget.set(settings.max_bytes);
        if !pending.is_empty() {
            let _ = sink.send(pending);
        }
        let (tx, rx) = mpsc::channel();
        let mut writer = Writer {
            conn,
            settings,
            metrics: metrics.clone(),
            sink,
            used_bytes: 0,
            measured_at: None,
            warned_at: None,
            pruned_at: Instant::now(),
        };
        writer.measure();
        std::thread::Builder::new()
            .name("outbox-writer".into())
            .spawn(move || writer.run(rx))
            .context("starting the outbox writer thread")?;
        Ok((Outbox { tx, metrics }, recovered))
    }

    fn call<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> Cmd,
    ) -> oneshot::Receiver<Result<T, AppendError>> {
        let (reply, rx) = oneshot::channel();
        if let Err(mpsc::SendError(cmd)) = self.tx.send(make(reply)) {
            // Writer gone: answer the caller directly.
            let msg = "outbox writer stopped".to_string();
            match cmd {
                Cmd::Append { reply, .. } => {
                    let _ = reply.send(Err(AppendError::Failed(msg)));
                }
                Cmd::Commands { reply, .. } => {
                    let _ = reply.send(Err(AppendError::Failed(msg)));
                }
                _ => {}
            }
        }
        rx
    }

    /// Stores `events` (all or none) and applies `state`, then answers. Only after `Ok` may the
    /// device be acknowledged.
    pub async fn append(
        &self,
        events: Vec<NewEvent>,
        source: &'static str,
        state: Option<StateChange>,
    ) -> Result<Vec<Accepted>, AppendError> {
        self.submit(events, source, state).await
    }

    /// As [`Outbox::append`], but queued for the writer at once (before the first poll), so
    /// callers that pipeline several appends keep their order.
    pub fn submit(
        &self,
        events: Vec<NewEvent>,
        source: &'static str,
        state: Option<StateChange>,
    ) -> impl std::future::Future<Output = Result<Vec<Accepted>, AppendError>> + Send + 'static
    {
        let rx = self.call(|reply| Cmd::Append {
            events,
            source,
            state,
            reply,
        });
        async move {
            rx.await
                .unwrap_or_else(|_| Err(AppendError::Failed("outbox writer stopped".into())))
        }
    }

    /// The webhook took event `seq` (2xx).
    pub fn delivered(&self, seq: i64, status: u16) {
        let _ = self.tx.send(Cmd::Done {
            seq,
            delivered: true,
            status,
            error: None,
        });
    }

    /// The webhook refused event `seq` for good; kept with state dead for inspection.
    pub fn dead(&self, seq: i64, status: u16, error: String) {
        let _ = self.tx.send(Cmd::Done {
            seq,
            delivered: false,
            status,
            error: Some(error),
        });
    }

    /// Stores commands claimed from the reminder feed; `true` for each one not seen before.
    pub async fn add_commands(&self, items: Vec<Command>) -> Result<Vec<bool>, AppendError> {
        let rx = self.call(|reply| Cmd::Commands { items, reply });
        rx.await
            .unwrap_or_else(|_| Err(AppendError::Failed("outbox writer stopped".into())))
    }

    /// The broker acknowledged a command.
    pub fn command_published(&self, delivery_id: &str) {
        let _ = self.tx.send(Cmd::Published {
            delivery_id: delivery_id.to_string(),
        });
    }

    /// Lets the writer finish what it has and stop.
    pub async fn shutdown(&self) {
        let (done, rx) = oneshot::channel();
        if self.tx.send(Cmd::Shutdown(done)).is_ok() {
            let _ = rx.await;
        }
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the outbox directory {}", dir.display()))?;
    }
    let conn =
        Connection::open(path).with_context(|| format!("opening the outbox {}", path.display()))?;
    conn.busy_timeout(Duration::from_millis(200))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("the outbox could not be put in WAL mode (got {mode})");
    }
    conn.execute_batch(
        "PRAGMA synchronous=FULL; PRAGMA locking_mode=EXCLUSIVE; PRAGMA foreign_keys=OFF;",
    )?;
    // Takes the exclusive lock now: a second bridge on the same file stops here.
    conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} COMMIT;"))
        .map_err(|e| {
            anyhow::anyhow!(
                "the outbox {} is in use by another process or unwritable: {e}",
                path.display()
            )
        })?;
    Ok(conn)
}

fn load_pending(conn: &Connection) -> Result<Vec<Pending>> {
    let mut st = conn.prepare(
        "SELECT seq, event_id, device_id, kind, occurred_at, data, received_at
         FROM outbox WHERE state = 0 ORDER BY seq",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(Pending {
                seq: r.get(0)?,
                event_id: r.get(1)?,
                device_id: r.get(2)?,
                kind: r.get(3)?,
                occurred_at: r.get(4)?,
                data: r.get(5)?,
                received_at_ms: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn load_offline(conn: &Connection) -> Result<HashSet<String>> {
    let mut st = conn.prepare("SELECT device_id FROM device_state WHERE offline = 1")?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<HashSet<_>>>()?;
    Ok(rows)
}

fn load_commands(conn: &Connection) -> Result<Vec<Command>> {
    let mut st = conn.prepare(
        "SELECT delivery_id, device_id, topic_id, kind, payload FROM commands
         WHERE state = 0 ORDER BY created_at, rowid",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(Command {
                delivery_id: r.get(0)?,
                device_id: r.get(1)?,
                topic_id: r.get(2)?,
                kind: r.get(3)?,
                payload: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

struct Writer {
    conn: Connection,
    settings: Settings,
    metrics: Arc<Metrics>,
    sink: tmpsc::UnboundedSender<Vec<Pending>>,
    used_bytes: u64,
    measured_at: Option<Instant>,
    warned_at: Option<Instant>,
    pruned_at: Instant,
}

/// What to answer once the batch is committed.
enum Answer {
    Append(
        Reply<Vec<Accepted>>,
        Result<Vec<Accepted>, AppendError>,
        Vec<Pending>,
    ),
    Commands(Reply<Vec<bool>>, Result<Vec<bool>, AppendError>),
    Shutdown(oneshot::Sender<()>),
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Cmd>) {
        loop {
            let first = match rx.recv_timeout(Duration::from_millis(500)) {
                Ok(c) => Some(c),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            };
            let mut batch: Vec<Cmd> = first.into_iter().collect();
            while batch.len() < 2048 {
                match rx.try_recv() {
                    Ok(c) => batch.push(c),
                    Err(_) => break,
                }
            }
            let stop = batch.iter().any(|c| matches!(c, Cmd::Shutdown(_)));
            if !batch.is_empty() {
                self.process(batch);
            }
            self.housekeeping();
            if stop {
                return;
            }
        }
    }

    fn over_budget(&self) -> bool {
        self.used_bytes >= self.settings.max_bytes
    }

    fn process(&mut self, batch: Vec<Cmd>) {
        let now = events::now_ms();
        let over = self.over_budget();
        let dedupe_since = now - self.settings.dedupe_window.as_millis() as i64;
        let mut answers = Vec::with_capacity(batch.len());
        let mut delta_depth = 0i64;
        let result: rusqlite::Result<()> = (|| {
            let tx = self.conn.transaction()?;
            for cmd in batch {
                match cmd {
                    Cmd::Append {
                        events,
                        source,
                        state,
                        reply,
                    } => {
                        if over && !events.iter().any(|e| events::is_urgent(&e.kind)) {
                            answers.push(Answer::Append(
                                reply,
                                Err(AppendError::OverBudget),
                                vec![],
                            ));
                            continue;
                        }
                        let (acc, rows) = append_in(&tx, &events, source, now, dedupe_since)?;
                        if let Some(s) = state {
                            tx.prepare_cached(
                                "INSERT INTO device_state (device_id, offline, changed_at) VALUES (?1, ?2, ?3)
                                 ON CONFLICT(device_id) DO UPDATE SET offline = excluded.offline, changed_at = excluded.changed_at",
                            )?
                            .execute(params![s.device_id, s.offline as i64, now])?;
                        }
                        delta_depth += rows.len() as i64;
                        answers.push(Answer::Append(reply, Ok(acc), rows));
                    }
                    Cmd::Done {
                        seq,
                        delivered,
                        status,
                        error,
                    } => {
                        let n = tx
                            .prepare_cached(
                                "UPDATE outbox SET state = ?1, status = ?2, done_at = ?3, error = ?4
                                 WHERE seq = ?5 AND state = 0",
                            )?
                            .execute(params![
                                if delivered { 1 } else { 2 },
                                status,
                                now,
                                error,
                                seq
                            ])?;
                        delta_depth -= n as i64;
                    }
                    Cmd::Commands { items, reply } => {
                        if over {
                            answers.push(Answer::Commands(reply, Err(AppendError::OverBudget)));
                            continue;
                        }
                        let mut fresh = Vec::with_capacity(items.len());
                        for c in &items {
                            let n = tx
                                .prepare_cached(
                                    "INSERT INTO commands (delivery_id, device_id, topic_id, kind, payload, created_at)
                                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(delivery_id) DO NOTHING",
                                )?
                                .execute(params![c.delivery_id, c.device_id, c.topic_id, c.kind, c.payload, now])?;
                            fresh.push(n == 1);
                        }
                        answers.push(Answer::Commands(reply, Ok(fresh)));
                    }
                    Cmd::Published { delivery_id } => {
                        tx.prepare_cached(
                            "UPDATE commands SET state = 1, published_at = ?1 WHERE delivery_id = ?2",
                        )?
                        .execute(params![now, delivery_id])?;
                    }
                    Cmd::Shutdown(done) => answers.push(Answer::Shutdown(done)),
                }
            }
            tx.commit()
        })();

        match result {
            Ok(()) => {
                self.metrics.outbox_ok.store(true, Ordering::Relaxed);
                self.metrics.outbox_depth.inc_by(delta_depth);
                for a in answers {
                    match a {
                        Answer::Append(reply, res, rows) => {
                            if !rows.is_empty() {
                                let _ = self.sink.send(rows);
                            }
                            let _ = reply.send(res);
                        }
                        Answer::Commands(reply, res) => {
                            let _ = reply.send(res);
                        }
                        Answer::Shutdown(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            }
            Err(e) => {
                // Rolled back: nothing of this batch is stored, so nobody gets an ACK.
                tracing::error!(error = %e, "outbox commit failed; devices will be refused until it recovers");
                self.metrics.outbox_ok.store(false, Ordering::Relaxed);
                let msg = e.to_string();
                for a in answers {
                    match a {
                        Answer::Append(reply, _, _) => {
                            let _ = reply.send(Err(AppendError::Failed(msg.clone())));
                        }
                        Answer::Commands(reply, _) => {
                            let _ = reply.send(Err(AppendError::Failed(msg.clone())));
                        }
                        Answer::Shutdown(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            }
        }
    }

    /// Measures the disk use (at most every 200 ms), warns, and prunes old delivered rows.
    fn housekeeping(&mut self) {
        if self
            .measured_at
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(200))
        {
            self.measure();
        }
        let budget = self.settings.max_bytes;
        let ratio = self.used_bytes as f64 / budget as f64;
        if ratio >= self.settings.warn_ratio
            && self
                .warned_at
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            self.warned_at = Some(Instant::now());
            let depth = self.metrics.outbox_depth.get();
            if ratio >= 1.0 {
                tracing::error!(
                    used_bytes = self.used_bytes,
                    budget_bytes = budget,
                    undelivered = depth,
                    "OUTBOX FULL: past its disk budget; refusing non-urgent device events \
                     (emergencies still accepted). Is the suite reachable?"
                );
            } else {
                tracing::warn!(
                    used_bytes = self.used_bytes,
                    budget_bytes = budget,
                    percent = (ratio * 100.0).round(),
                    undelivered = depth,
                    "OUTBOX FILLING UP: the suite is not taking events fast enough"
                );
            }
        }
        if self.pruned_at.elapsed() >= Duration::from_secs(30) {
            self.pruned_at = Instant::now();
            let keep = self
                .settings
                .keep_delivered
                .max(self.settings.dedupe_window)
                .as_millis() as i64;
            let cutoff = events::now_ms() - keep;
            let r = self.conn.execute(
                "DELETE FROM outbox WHERE state = 1 AND done_at < ?1",
                params![cutoff],
            );
            let r2 = self.conn.execute(
                "DELETE FROM commands WHERE state = 1 AND published_at < ?1",
                params![cutoff],
            );
            match (r, r2) {
                (Ok(n), Ok(m)) if n + m > 0 => {
                    tracing::debug!(events = n, commands = m, "pruned delivered rows")
                }
                (Err(e), _) | (_, Err(e)) => tracing::warn!(error = %e, "outbox prune failed"),
                _ => {}
            }
        }
    }

    fn measure(&mut self) {
        self.measured_at = Some(Instant::now());
        let pages = (|| -> rusqlite::Result<u64> {
            let count: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let free: i64 = self
                .conn
                .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            Ok(((count - free).max(0) * size) as u64)
        })()
        .unwrap_or(0);
        let mut wal = self.settings.path.clone().into_os_string();
        wal.push("-wal");
        let wal = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        self.used_bytes = pages + wal;
        self.metrics.outbox_bytes.set(self.used_bytes);
    }
}

fn append_in(
    tx: &Transaction<'_>,
    events: &[NewEvent],
    source: &str,
    now: i64,
    dedupe_since: i64,
) -> rusqlite::Result<(Vec<Accepted>, Vec<Pending>)> {
    let mut acc = Vec::with_capacity(events.len());
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        if let Some(key) = &e.dedupe_key {
            let seen: Option<i64> = tx
                .prepare_cached(
                    "SELECT seq FROM outbox WHERE dedupe_key = ?1 AND received_at >= ?2 LIMIT 1",
                )?
                .query_row(params![key, dedupe_since], |r| r.get(0))
                .optional()?;
            if seen.is_some() {
                acc.push(Accepted::Duplicate);
                continue;
            }
        }
        let data = e.data.to_string();
        let n = tx
            .prepare_cached(
                "INSERT INTO outbox (event_id, device_id, kind, occurred_at, data, source, dedupe_key, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(event_id) DO NOTHING",
            )?
            .execute(params![
                e.event_id,
                e.device_id,
                e.kind,
                e.occurred_at,
                data,
                source,
                e.dedupe_key,
                now
            ])?;
        if n == 0 {
            acc.push(Accepted::Duplicate);
            continue;
        }
        let seq = tx.last_insert_rowid();
        acc.push(Accepted::Stored(seq));
        rows.push(Pending {
            seq,
            event_id: e.event_id.clone(),
            device_id: e.device_id.clone(),
            kind: e.kind.clone(),
            occurred_at: e.occurred_at.clone(),
            data,
            received_at_ms: now,
        });
    }
    Ok((acc, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn temp(label: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "bridge-outbox-{label}-{}-{}",
            std::process::id(),
            events::new_event_id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d.join("outbox.db")
    }

    fn settings(path: &Path, max_bytes: u64) -> Settings {
        Settings {
            path: path.to_path_buf(),
            max_bytes,
            warn_ratio: 0.8,
            keep_delivered: Duration::from_secs(3600),
            dedupe_window: Duration::from_secs(600),
        }
    }

    fn ev(device: &str, kind: &str) -> NewEvent {
        NewEvent::new(device, kind, chrono::Utc::now(), json!({"n": 1}))
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn stored_events_survive_a_restart_in_order_until_delivered() {
        let path = temp("restart");
        rt().block_on(async {
            let m = Metrics::new();
            let (sink, mut rx) = tmpsc::unbounded_channel();
            let (ob, rec) = Outbox::open(settings(&path, 1 << 30), m.clone(), sink).unwrap();
            assert_eq!(rec.pending, 0);
            let a = ob
                .append(vec![ev("d1", "fire"), ev("d1", "heartbeat")], "test", None)
                .await
                .unwrap();
            assert!(matches!(a[0], Accepted::Stored(_)));
            let b = ob
                .append(vec![ev("d2", "door")], "test", None)
                .await
                .unwrap();
            let rows: Vec<Pending> = rx.recv().await.unwrap();
            assert_eq!(rows.len(), 2);
            let _ = rx.recv().await.unwrap();
            let Accepted::Stored(first) = a[0] else {
                panic!()
            };
            ob.delivered(first, 200);
            ob.shutdown().await;
            drop(ob);
            let Accepted::Stored(door) = b[0] else {
                panic!()
            };

            // "Restart": the two undelivered come back, in order.
            let (sink, mut rx) = tmpsc::unbounded_channel();
            let (ob, rec) = Outbox::open(settings(&path, 1 << 30), m.clone(), sink).unwrap();
            assert_eq!(rec.pending, 2);
            let rows = rx.recv().await.unwrap();
            assert_eq!(
                rows.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
                ["heartbeat", "door"]
            );
            assert!(rows[0].seq < rows[1].seq && rows[1].seq == door);
            assert_eq!(m.outbox_depth.get(), 2);
            ob.shutdown().await;
        });
    }

    #[test]
    fn duplicates_by_event_id_and_dedupe_key() {
        let path = temp("dupes");
        rt().block_on(async {
            let (sink, _rx) = tmpsc::unbounded_channel();
            let (ob, _) = Outbox::open(settings(&path, 1 << 30), Metrics::new(), sink).unwrap();
            let e = ev("d1", "fire").with_dedupe_key("k1".into());
            assert!(matches!(
                ob.append(vec![e.clone()], "t", None).await.unwrap()[0],
                Accepted::Stored(_)
            ));
            // Same id.
            assert_eq!(
                ob.append(vec![e.clone()], "t", None).await.unwrap(),
                vec![Accepted::Duplicate]
            );
            // New id, same key (a retransmitted frame).
            let again = ev("d1", "fire").with_dedupe_key("k1".into());
            assert_eq!(
                ob.append(vec![again], "t", None).await.unwrap(),
                vec![Accepted::Duplicate]
            );
            let other = ev("d1", "fire").with_dedupe_key("k2".into());
            assert!(matches!(
                ob.append(vec![other], "t", None).await.unwrap()[0],
                Accepted::Stored(_)
            ));
            ob.shutdown().await;
        });
    }

    #[test]
    fn past_the_budget_only_urgent_events_are_taken() {
        let path = temp("budget");
        rt().block_on(async {
            let m = Metrics::new();
            let (sink, _rx) = tmpsc::unbounded_channel();
            // The empty schema alone is bigger than 1 byte: the budget is exceeded at once.
            let mut s = settings(&path, 1 << 20);
            s.max_bytes = 1;
            let (ob, _) = Outbox::open(s, m.clone(), sink).unwrap();
            assert_eq!(
                ob.append(vec![ev("d1", "heartbeat")], "t", None).await,
                Err(AppendError::OverBudget)
            );
            assert!(
                ob.append(vec![ev("d1", "emergency-call")], "t", None)
                    .await
                    .is_ok()
            );
            assert!(
                ob.append(vec![ev("d1", "heartbeat"), ev("d1", "smoke")], "t", None)
                    .await
                    .is_ok()
            );
            ob.shutdown().await;
        });
    }

    #[test]
    fn device_state_and_commands_persist() {
        let path = temp("state");
        rt().block_on(async {
            let (sink, _rx) = tmpsc::unbounded_channel();
            let (ob, _) = Outbox::open(settings(&path, 1 << 30), Metrics::new(), sink).unwrap();
            ob.append(
                vec![ev("d1", "device-offline")],
                "t",
                Some(StateChange {
                    device_id: "d1".into(),
                    offline: true,
                }),
            )
            .await
            .unwrap();
            let cmd = |id: &str| Command {
                delivery_id: id.into(),
                device_id: "d2".into(),
                topic_id: "spk".into(),
                kind: "reminder".into(),
                payload: "{}".into(),
            };
            assert_eq!(
                ob.add_commands(vec![cmd("r1"), cmd("r2")]).await.unwrap(),
                vec![true, true]
            );
            assert_eq!(ob.add_commands(vec![cmd("r1")]).await.unwrap(), vec![false]);
            ob.command_published("r1");
            ob.shutdown().await;
            drop(ob);
            let (sink, _rx) = tmpsc::unbounded_channel();
            let (ob, rec) = Outbox::open(settings(&path, 1 << 30), Metrics::new(), sink).unwrap();
            assert!(rec.offline.contains("d1"));
            assert_eq!(rec.commands, vec![cmd("r2")]);
            ob.shutdown().await;
        });
    }

    #[test]
    fn a_second_process_cannot_share_the_outbox() {
        let path = temp("lock");
        rt().block_on(async {
            let (sink, _rx) = tmpsc::unbounded_channel();
            let (ob, _) =
                Outbox::open(settings(&path, 1 << 30), Metrics::new(), sink.clone()).unwrap();
            let second = Outbox::open(settings(&path, 1 << 30), Metrics::new(), sink);
            assert!(second.is_err());
            ob.shutdown().await;
        });
    }
}
