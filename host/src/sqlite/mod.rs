//! Spin SQLite (`spin:sqlite@3.0.0` and `fermyon:spin/sqlite@2.0.0`) on rusqlite.
//!
//! One file per database label in the state directory (`default` → `sqlite_db.db`, as Spin
//! names it), in WAL mode with `synchronous=FULL`, so every answered write survives power loss.
//!
//! Concurrency: SQLite allows one writer at a time. Letting many connections race for the lock
//! makes SQLite's busy handler sleep in growing steps (the "database is locked" storms seen under
//! Spin), so the host keeps a per-database write gate: a connection takes the gate (an async
//! semaphore, so no thread blocks waiting) before its first writing statement and gives it back
//! when the connection returns to autocommit. Readers never wait for it (WAL readers see the last
//! commit). The SQLite busy timeout remains as a backstop for writers outside this process.
//!
//! A write that starts in autocommit runs, with the rest of its transaction, on the database's
//! one writer connection instead of the guest's pooled one. Why: in WAL mode a connection drops
//! its whole page cache whenever another connection has written since it last read, so with
//! writes spread over the pool every write started cold and re-read its b-tree pages. The writer
//! connection only ever sees its own writes and keeps its cache.
//!
//! A single data-changing statement issued in autocommit (the common case: one INSERT per
//! device event) is not run by the guest's thread at all but group-committed with others on the
//! writer connection (see [`group_commit`]).

mod group_commit;

use anyhow::{Context, Result};
use rusqlite::Connection;
use rusqlite::types::{Value as SqlValue, ValueRef};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// Connections kept open for reuse per database; more are opened on demand.
const POOL_KEEP: usize = 64;
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// A database file with its pool of idle connections, its write gate and its writer connection.
pub struct Database {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    gate: Arc<Semaphore>,
    /// Taken by whoever holds the gate (so never contended), put back when it is released.
    writer: Mutex<Option<Connection>>,
    /// Queue to the group-commit thread, started on first use (`None`: it could not start).
    committer: OnceLock<Option<mpsc::UnboundedSender<group_commit::Job>>>,
}

impl Database {
    fn open(path: PathBuf) -> Result<Arc<Self>> {
        let db = Arc::new(Self {
            path,
            idle: Mutex::new(Vec::new()),
            gate: Arc::new(Semaphore::new(1)),
            writer: Mutex::new(None),
            committer: OnceLock::new(),
        });
        // Open once now so a bad state directory fails at start-up, not on the first request;
        // this also switches the file to WAL, which persists in the file.
        let conn = db.connect()?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("enabling WAL on {}", db.path.display()))?;
        db.idle.lock().unwrap().push(conn);
        Ok(db)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path)
            .with_context(|| format!("opening SQLite database {}", self.path.display()))?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn checkout(&self) -> Result<Connection> {
        if let Some(c) = self.idle.lock().unwrap().pop() {
            return Ok(c);
        }
        self.connect()
    }

    fn checkin(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap();
        if idle.len() < POOL_KEEP {
            idle.push(conn);
        }
    }

    /// The writer connection; only for the holder of the gate.
    fn take_writer(&self) -> Result<Connection> {
        if let Some(c) = self.writer.lock().unwrap().take() {
            return Ok(c);
        }
        let conn = self.connect()?;
        // Only the writer reads through a shared mapping: its view never goes stale. A pooled
        // connection whose view is stale unmaps and remaps its whole mapping on its next read
        // (a TLB flush on every core, then page faults), which costs more than pread.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
        Ok(conn)
    }

    fn return_writer(&self, conn: Connection) {
        *self.writer.lock().unwrap() = Some(conn);
    }

    fn committer(self: &Arc<Self>) -> Option<&mpsc::UnboundedSender<group_commit::Job>> {
        self.committer
            .get_or_init(|| match group_commit::start(Arc::downgrade(self)) {
                Ok(tx) => Some(tx),
                Err(e) => {
                    tracing::warn!(error = %e, "group commit unavailable; writes commit one by one");
                    None
                }
            })
            .as_ref()
    }

    /// Runs one statement through `committer` and waits until it is durable (or failed).
    async fn group_commit(
        committer: &mpsc::UnboundedSender<group_commit::Job>,
        sql: String,
        params: Vec<SqlValue>,
    ) -> Result<(Rows, i64, u64), SqlError> {
        let (reply, outcome) = oneshot::channel();
        let job = group_commit::Job { sql, params, reply };
        if committer.send(job).is_err() {
            return Err(SqlError::Io("database closed".into()));
        }
        match outcome.await {
            Ok(done) => done.map_err(SqlError::Io),
            Err(_) => Err(SqlError::Io("write abandoned by the committer".into())),
        }
    }

    /// Runs one statement given inline to `--sqlite`, as Spin does: only the first statement of
    /// the text runs (Spin passes it to a single query). Returns whether anything followed it,
    /// which Spin silently ignores and the host warns about.
    pub fn execute_first(&self, sql: &str) -> Result<bool> {
        let conn = self.checkout()?;
        let mut batch = rusqlite::Batch::new(&conn, sql);
        let outcome = (|| {
            if let Some(mut stmt) = rusqlite::fallible_iterator::FallibleIterator::next(&mut batch)?
            {
                let mut rows = stmt.raw_query();
                while rows.next()?.is_some() {}
            }
            Ok::<_, rusqlite::Error>(
                rusqlite::fallible_iterator::FallibleIterator::next(&mut batch)?.is_some(),
            )
        })();
        self.checkin(conn);
        Ok(outcome?)
    }

    /// Runs a file of SQL (`--sqlite @FILE`) before serving: every statement, as Spin does.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        let conn = self.checkout()?;
        conn.execute_batch(sql)?;
        self.checkin(conn);
        Ok(())
    }
}

/// All databases of the application, by label.
#[derive(Clone, Default)]
pub struct Databases {
    dbs: Arc<HashMap<String, Arc<Database>>>,
}

impl Databases {
    /// Opens every label used by any component in `state_dir`.
    pub fn open(state_dir: &Path, labels: impl IntoIterator<Item = String>) -> Result<Self> {
        configure_library();
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("creating state directory {}", state_dir.display()))?;
        let mut dbs = HashMap::new();
        for label in labels {
            if dbs.contains_key(&label) {
                continue;
            }
            let file = if label == "default" {
                "sqlite_db.db".to_string()
            } else {
                format!("sqlite_{label}.db")
            };
            dbs.insert(label, Database::open(state_dir.join(file))?);
        }
        Ok(Self { dbs: Arc::new(dbs) })
    }

    pub fn get(&self, label: &str) -> Option<Arc<Database>> {
        self.dbs.get(label).cloned()
    }
}

/// Process-wide SQLite settings, applied before the library initialises (on first open).
///
/// Allocation statistics off: SQLite otherwise counts every allocation under one global mutex
/// (for `sqlite3_memory_used`, which nothing here reads), so connections on different threads
/// contend on it for every row they touch.
fn configure_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called before any connection exists, as sqlite3_config requires; the option
        // takes one int.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::warn!(rc, "SQLite allocation statistics stay on");
        }
    });
}

/// Errors as the guest sees them; mapped onto each WIT version's `error` variant.
#[derive(Debug)]
pub enum SqlError {
    NoSuchDatabase,
    AccessDenied,
    InvalidConnection,
    Io(String),
}

/// One guest-held connection (the WIT `connection` resource).
pub struct SqliteConn {
    db: Arc<Database>,
    conn: Option<Connection>,
    /// The database's writer connection while this guest's write transaction runs on it.
    writer: Option<Connection>,
    permit: Option<OwnedSemaphorePermit>,
    /// `last_insert_rowid` and `changes` of the last statement, whichever connection ran it.
    last: (i64, u64),
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
        // Before the gate (a field, dropped after this) is released.
        if let Some(w) = self.writer.take()
            && (w.is_autocommit() || w.execute_batch("ROLLBACK").is_ok())
        {
            self.db.return_writer(w);
        }
        if let Some(conn) = self.conn.take() {
            // A guest that trapped or forgot to commit must not leave a transaction (and the
            // write gate) held; roll back and return the connection clean.
            if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
                return;
            }
            self.db.checkin(conn);
        }
    }
}

/// Statement heads that only change rows (SQLite's DML; `WITH` starts a DML with a CTE).
const DATA_CHANGES: &[&str] = &["INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"];

/// How a statement takes part in writing.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Write {
    /// Reads only (or a deferred BEGIN): runs on the guest's connection, no gate.
    Read,
    /// One data change in autocommit: group-committed.
    Single,
    /// Anything else that writes, or a statement inside a write transaction: under the gate.
    Gated,
}

/// Rows of a query: column names and values.
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<SqlValue>>,
}

/// What a component may open: its `sqlite_databases` list.
#[derive(Clone, Default)]
pub struct SqliteAccess {
    pub allowed: Arc<Vec<String>>,
    pub databases: Databases,
}

impl SqliteAccess {
    pub fn open(&self, label: &str) -> Result<SqliteConn, SqlError> {
        if !self.allowed.iter().any(|l| l == label) {
            return Err(if self.databases.get(label).is_some() {
                SqlError::AccessDenied
            } else {
                SqlError::NoSuchDatabase
            });
        }
        let db = self.databases.get(label).ok_or(SqlError::NoSuchDatabase)?;
        let conn = db.checkout().map_err(|e| SqlError::Io(format!("{e:#}")))?;
        Ok(SqliteConn {
            db,
            conn: Some(conn),
            writer: None,
            permit: None,
            last: (0, 0),
        })
    }
}

impl SqliteConn {
    /// Runs one statement: a single data change in autocommit through the group committer;
    /// any other write under the write gate (which it keeps until the transaction ends); reads
    /// on the guest's own connection.
    pub async fn execute(&mut self, sql: String, params: Vec<SqlValue>) -> Result<Rows, SqlError> {
        let write = match self.permit {
            Some(_) => Write::Gated,
            None => self.classify(&sql)?,
        };
        if write == Write::Single
            && self.conn.as_ref().is_some_and(|c| c.is_autocommit())
            && let Some(committer) = self.db.committer()
        {
            let (rows, rowid, changes) = Database::group_commit(committer, sql, params).await?;
            self.last = (rowid, changes);
            return Ok(rows);
        }
        let sql = sql.as_str();
        if self.permit.is_none() && write != Write::Read {
            let permit = self.db.gate.clone().acquire_owned().await;
            self.permit = Some(permit.map_err(|_| SqlError::Io("database closed".into()))?);
            // A transaction this guest began (deferred) on its own connection stays there.
            if self.conn.as_ref().is_some_and(|c| c.is_autocommit()) {
                let w = self.db.take_writer();
                self.writer = Some(w.map_err(|e| SqlError::Io(format!("{e:#}")))?);
            }
        }
        let conn = match &self.writer {
            Some(w) => w,
            None => self.conn.as_ref().ok_or(SqlError::InvalidConnection)?,
        };
        // Run inline: a commit's fsync is ~0.1 ms here, cheaper than handing the worker's
        // other tasks to a new thread (block_in_place) for every write.
        let result = run(conn, sql, &params);
        self.last = (conn.last_insert_rowid(), conn.changes());
        if conn.is_autocommit() {
            if let Some(w) = self.writer.take() {
                self.db.return_writer(w);
            }
            self.permit = None;
        }
        result.map_err(|e| SqlError::Io(e.to_string()))
    }

    /// Whether (and how) a statement issued outside a gated transaction writes.
    fn classify(&self, sql: &str) -> Result<Write, SqlError> {
        let conn = self.conn.as_ref().ok_or(SqlError::InvalidConnection)?;
        let head = sql.trim_start();
        let starts_with = |verb: &str| {
            head.get(..verb.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(verb))
        };
        // BEGIN IMMEDIATE/EXCLUSIVE take SQLite's write lock though SQLite calls them read-only.
        if starts_with("BEGIN") {
            let head = head.to_ascii_uppercase();
            let locks = head.contains("IMMEDIATE") || head.contains("EXCLUSIVE");
            return Ok(if locks { Write::Gated } else { Write::Read });
        }
        match conn.prepare_cached(sql) {
            Ok(stmt) if stmt.readonly() => Ok(Write::Read),
            // Only plain data changes may share a transaction; schema changes, pragmas,
            // savepoints and the like keep a commit of their own.
            Ok(_) if DATA_CHANGES.iter().any(|verb| starts_with(verb)) => Ok(Write::Single),
            Ok(_) => Ok(Write::Gated),
            // Let execution report the syntax error.
            Err(_) => Ok(Write::Read),
        }
    }

    pub fn last_insert_rowid(&self) -> i64 {
        self.last.0
    }

    pub fn changes(&self) -> u64 {
        self.last.1
    }
}

fn run(conn: &Connection, sql: &str, params: &[SqlValue]) -> rusqlite::Result<Rows> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let n = columns.len();
    let mut rows_out = Vec::new();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(match row.get_ref(i)? {
                ValueRef::Null => SqlValue::Null,
                ValueRef::Integer(v) => SqlValue::Integer(v),
                ValueRef::Real(v) => SqlValue::Real(v),
                ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
            });
        }
        rows_out.push(values);
    }
    Ok(Rows {
        columns,
        rows: rows_out,
    })
}
