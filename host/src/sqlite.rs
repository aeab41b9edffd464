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

use anyhow::{Context, Result};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections kept open for reuse per database; more are opened on demand.
const POOL_KEEP: usize = 64;
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// A database file with its pool of idle connections and its write gate.
pub struct Database {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    writer: Arc<Semaphore>,
}

impl Database {
    fn open(path: PathBuf) -> Result<Arc<Self>> {
        let db = Arc::new(Self {
            path,
            idle: Mutex::new(Vec::new()),
            writer: Arc::new(Semaphore::new(1)),
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
        // Reads through a shared mapping instead of a pread syscall per page.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
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

    /// Runs a batch of SQL (the `--sqlite` flag) before serving.
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
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
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
            permit: None,
        })
    }
}

impl SqliteConn {
    /// Runs one statement, taking the write gate first if the statement writes.
    pub async fn execute(&mut self, sql: &str, params: Vec<SqlValue>) -> Result<Rows, SqlError> {
        if self.permit.is_none() && self.needs_gate(sql)? {
            let permit = self.db.writer.clone().acquire_owned().await;
            self.permit = Some(permit.map_err(|_| SqlError::Io("database closed".into()))?);
        }
        let holds_gate = self.permit.is_some();
        let conn = self.conn.as_ref().ok_or(SqlError::InvalidConnection)?;
        // Run inline: a commit's fsync is ~0.1 ms here, cheaper than handing the worker's
        // other tasks to a new thread (block_in_place) for every write.
        let _ = holds_gate;
        let result = run(conn, sql, &params);
        if conn.is_autocommit() {
            self.permit = None;
        }
        result.map_err(|e| SqlError::Io(e.to_string()))
    }

    fn needs_gate(&self, sql: &str) -> Result<bool, SqlError> {
        let conn = self.conn.as_ref().ok_or(SqlError::InvalidConnection)?;
        let head = sql.trim_start().to_ascii_uppercase();
        // BEGIN IMMEDIATE/EXCLUSIVE take SQLite's write lock though SQLite calls them read-only.
        if head.starts_with("BEGIN") {
            return Ok(head.contains("IMMEDIATE") || head.contains("EXCLUSIVE"));
        }
        match conn.prepare_cached(sql) {
            Ok(stmt) => Ok(!stmt.readonly()),
            // Let execution report the syntax error.
            Err(_) => Ok(false),
        }
    }

    pub fn last_insert_rowid(&self) -> i64 {
        self.conn.as_ref().map_or(0, |c| c.last_insert_rowid())
    }

    pub fn changes(&self) -> u64 {
        self.conn.as_ref().map_or(0, |c| c.changes())
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
