//! The SQLite database (`default`) through Spin's SQLite API: connection, migrations,
//! transactions, rows.
//!
//! The schema is the migration list the caller passes (the suite's is `safetynet-migrations`),
//! applied on open inside an IMMEDIATE transaction so concurrent first requests cannot apply one twice. `PRAGMA
//! user_version` is the count applied, so the per-request check is one pragma read, and it is
//! also how databases from before the SQL files are recognised (their `schema_migrations` rows
//! carry the old names). The first migration run switches the file to WAL (persisted in the
//! file), which keeps writers from blocking readers under real Spin as well as on the embedded
//! host.

use spin_sdk::sqlite3::Connection;

/// Spin SQLite's result set and parameter value, which queries build and read.
pub use spin_sdk::sqlite3::{QueryResult, Value};

use safetynet_secrets::PersonalDataKeys;

use crate::{Migration, StoreError, StoreResult};

/// An open connection to the suite's database.
pub struct Db {
    conn: Connection,
    /// Read from the Spin variables on first use: most requests never touch personal data.
    pub(crate) personal: std::cell::OnceCell<Result<PersonalDataKeys, String>>,
}

fn db_err(e: spin_sdk::sqlite3::Error) -> StoreError {
    StoreError::Database(format!("{e:?}"))
}

impl Db {
    /// Opens `default` and brings its schema up to `migrations` (oldest first; the list only
    /// ever grows at its end).
    pub fn open(migrations: &[Migration]) -> StoreResult<Db> {
        let conn = Connection::open_default().map_err(db_err)?;
        let db = Db {
            conn,
            personal: std::cell::OnceCell::new(),
        };
        db.migrate(migrations)?;
        Ok(db)
    }

    fn user_version(&self) -> StoreResult<i64> {
        let r = self.exec("PRAGMA user_version", &[])?;
        Ok(r.rows.first().and_then(|r| r.get::<i64>(0)).unwrap_or(0))
    }

    fn migrate(&self, all: &[Migration]) -> StoreResult<()> {
        if self.user_version()? >= all.len() as i64 {
            return Ok(());
        }
        self.exec("PRAGMA journal_mode=WAL", &[])?;
        self.tx(|db| {
            db.exec(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
                &[],
            )?;
            // Read again under the write lock: a concurrent first request may have just applied
            // some of them.
            let applied = (db.user_version()?.max(0) as usize).min(all.len());
            for m in &all[applied..] {
                for statement in m.statements() {
                    db.exec(statement, &[]).map_err(|e| {
                        StoreError::Database(format!("migration {}: {e}", m.name))
                    })?;
                }
                db.exec(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    &[text(m.name), int(safetynet_wire::time::now_ms())],
                )?;
            }
            db.exec(&format!("PRAGMA user_version = {}", all.len()), &[])?;
            Ok(())
        })
    }

    /// Runs one statement.
    pub fn exec(&self, sql: &str, params: &[Value]) -> StoreResult<QueryResult> {
        self.conn.execute(sql, params).map_err(db_err)
    }

    /// Rows changed by the last statement.
    pub fn changes(&self) -> u64 {
        self.conn.changes()
    }

    /// Runs `f` in an IMMEDIATE transaction: committed if it returns Ok, rolled back otherwise.
    /// `f` may fail with any error a storage error converts into (a handler's HTTP error).
    pub fn tx<T, E: From<StoreError>>(&self, f: impl FnOnce(&Db) -> Result<T, E>) -> Result<T, E> {
        self.exec("BEGIN IMMEDIATE", &[])?;
        match f(self) {
            Ok(v) => {
                self.exec("COMMIT", &[])?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.exec("ROLLBACK", &[]);
                Err(e)
            }
        }
    }
}

/// A text parameter.
pub fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// An integer parameter.
pub fn int(i: i64) -> Value {
    Value::Integer(i)
}

/// A text parameter, or NULL.
pub fn opt_text(s: Option<impl Into<String>>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.into()))
}

/// An integer parameter, or NULL.
pub fn opt_int(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::Integer)
}

/// A real parameter, or NULL.
pub fn opt_real(f: Option<f64>) -> Value {
    f.map_or(Value::Null, Value::Real)
}

/// Column access by name on a result row.
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
    prefix: &'a str,
    /// Where the next lookup starts: mappers read columns in the order they were selected, so
    /// this makes a lookup one comparison instead of a scan of every column.
    next: std::cell::Cell<usize>,
}

impl<'a> Row<'a> {
    /// The same row, seen through columns named `prefix` + name: one joined query can then be
    /// read by the mappers written for each table (`SELECT d.id AS d_id, r.id AS r_id ...`).
    pub fn prefixed(&self, prefix: &'a str) -> Row<'a> {
        Row {
            columns: self.columns,
            values: self.values,
            prefix,
            next: std::cell::Cell::new(0),
        }
    }
    fn at(&self, col: &str) -> Option<&'a Value> {
        let n = self.columns.len();
        let start = self.next.get();
        let i = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.columns[i].strip_prefix(self.prefix) == Some(col))?;
        self.next.set(i + 1);
        self.values.get(i)
    }
    /// A text column, empty when NULL.
    pub fn str(&self, col: &str) -> String {
        self.opt_str(col).unwrap_or_default()
    }
    /// A text column.
    pub fn opt_str(&self, col: &str) -> Option<String> {
        match self.at(col) {
            Some(Value::Text(s)) => Some(s.clone()),
            _ => None,
        }
    }
    /// Any non-NULL column as text (numbers written out), for code that handles values whose
    /// type it does not know, such as a sealed value in a numeric column.
    pub fn as_text(&self, col: &str) -> Option<String> {
        match self.at(col) {
            Some(Value::Text(s)) => Some(s.clone()),
            Some(Value::Integer(i)) => Some(i.to_string()),
            Some(Value::Real(f)) => Some(f.to_string()),
            _ => None,
        }
    }
    /// An integer column, 0 when NULL.
    pub fn int(&self, col: &str) -> i64 {
        self.opt_int(col).unwrap_or(0)
    }
    /// An integer column.
    pub fn opt_int(&self, col: &str) -> Option<i64> {
        match self.at(col) {
            Some(Value::Integer(i)) => Some(*i),
            _ => None,
        }
    }
    /// A real column (an integer reads as real).
    pub fn opt_real(&self, col: &str) -> Option<f64> {
        match self.at(col) {
            Some(Value::Real(f)) => Some(*f),
            Some(Value::Integer(i)) => Some(*i as f64),
            _ => None,
        }
    }
}

/// Iterates rows of a result with named-column access.
pub fn rows(r: &QueryResult) -> impl Iterator<Item = Row<'_>> {
    r.rows.iter().map(move |row| Row {
        columns: &r.columns,
        values: &row.values,
        prefix: "",
        next: std::cell::Cell::new(0),
    })
}
