//! The Spin platform interfaces (SQLite, variables) bound to the request state.
//!
//! Two versions of each interface exist because spin-sdk 5.x imports the Spin 2 variables
//! (`fermyon:spin/variables@2.0.0`) and the Spin 3 SQLite; both map onto one implementation.

use rusqlite::types::Value as SqlValue;
use wasmtime::component::Resource;

use crate::sqlite::{Rows, SqlError, SqliteConn};
use crate::state::RequestState;

wasmtime::component::bindgen!({
    path: "wit",
    world: "safetynet:host/spin-platform",
    imports: { default: async },
    with: {
        "spin:sqlite/sqlite.connection": crate::sqlite::SqliteConn,
        "fermyon:spin/sqlite.connection": crate::sqlite::SqliteConn,
    },
});

use fermyon::spin::sqlite as v2;
use fermyon::spin::variables as vars2;
use spin::sqlite::sqlite as v3;
use spin::variables::variables as vars3;

/// Adds the Spin interfaces to a linker.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<RequestState>) -> anyhow::Result<()> {
    Ok(SpinPlatform::add_to_linker::<
        _,
        wasmtime::component::HasSelf<RequestState>,
    >(linker, |s| s)?)
}

enum VarError {
    InvalidName(String),
    Undefined(String),
}

impl RequestState {
    fn variable(&self, name: &str) -> Result<String, VarError> {
        if crate::manifest::check_variable_name(name).is_err() {
            return Err(VarError::InvalidName(format!(
                "invalid variable name {name:?}"
            )));
        }
        self.variables
            .get(name)
            .cloned()
            .ok_or_else(|| VarError::Undefined(format!("no variable for \"{name}\"")))
    }

    fn conn(&mut self, r: &Resource<SqliteConn>) -> Result<&mut SqliteConn, SqlError> {
        self.table
            .get_mut(r)
            .map_err(|_| SqlError::InvalidConnection)
    }
}

impl vars3::Host for RequestState {
    async fn get(&mut self, name: String) -> Result<String, vars3::Error> {
        self.variable(&name).map_err(|e| match e {
            VarError::InvalidName(m) => vars3::Error::InvalidName(m),
            VarError::Undefined(m) => vars3::Error::Undefined(m),
        })
    }
}

impl vars2::Host for RequestState {
    async fn get(&mut self, name: String) -> Result<String, vars2::Error> {
        self.variable(&name).map_err(|e| match e {
            VarError::InvalidName(m) => vars2::Error::InvalidName(m),
            VarError::Undefined(m) => vars2::Error::Undefined(m),
        })
    }
}

/// Converts between a WIT `value` variant and rusqlite's value, for one interface version.
macro_rules! sqlite_version {
    ($m:ident) => {
        impl From<SqlError> for $m::Error {
            fn from(e: SqlError) -> Self {
                match e {
                    SqlError::NoSuchDatabase => $m::Error::NoSuchDatabase,
                    SqlError::AccessDenied => $m::Error::AccessDenied,
                    SqlError::InvalidConnection => $m::Error::InvalidConnection,
                    SqlError::Io(s) => $m::Error::Io(s),
                }
            }
        }

        impl $m::Value {
            fn into_sql(self) -> SqlValue {
                match self {
                    $m::Value::Integer(v) => SqlValue::Integer(v),
                    $m::Value::Real(v) => SqlValue::Real(v),
                    $m::Value::Text(v) => SqlValue::Text(v),
                    $m::Value::Blob(v) => SqlValue::Blob(v),
                    $m::Value::Null => SqlValue::Null,
                }
            }

            fn from_sql(v: SqlValue) -> Self {
                match v {
                    SqlValue::Integer(v) => $m::Value::Integer(v),
                    SqlValue::Real(v) => $m::Value::Real(v),
                    SqlValue::Text(v) => $m::Value::Text(v),
                    SqlValue::Blob(v) => $m::Value::Blob(v),
                    SqlValue::Null => $m::Value::Null,
                }
            }
        }

        impl From<Rows> for $m::QueryResult {
            fn from(r: Rows) -> Self {
                $m::QueryResult {
                    columns: r.columns,
                    rows: r
                        .rows
                        .into_iter()
                        .map(|row| $m::RowResult {
                            values: row.into_iter().map($m::Value::from_sql).collect(),
                        })
                        .collect(),
                }
            }
        }

        impl $m::Host for RequestState {}
    };
}

sqlite_version!(v3);
sqlite_version!(v2);

impl RequestState {
    async fn sql_execute(
        &mut self,
        conn: &Resource<SqliteConn>,
        statement: String,
        parameters: Vec<SqlValue>,
    ) -> Result<Rows, SqlError> {
        self.conn(conn)?.execute(statement, parameters).await
    }

    fn sql_open(&mut self, database: &str) -> Result<Resource<SqliteConn>, SqlError> {
        let c = self.sqlite.open(database)?;
        self.table
            .push(c)
            .map_err(|e| SqlError::Io(format!("resource table: {e}")))
    }
}

impl v3::HostConnection for RequestState {
    async fn open(&mut self, database: String) -> Result<Resource<SqliteConn>, v3::Error> {
        Ok(self.sql_open(&database)?)
    }

    async fn execute(
        &mut self,
        conn: Resource<SqliteConn>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> Result<v3::QueryResult, v3::Error> {
        let params = parameters.into_iter().map(v3::Value::into_sql).collect();
        Ok(self.sql_execute(&conn, statement, params).await?.into())
    }

    async fn last_insert_rowid(&mut self, conn: Resource<SqliteConn>) -> i64 {
        self.conn(&conn).map_or(0, |c| c.last_insert_rowid())
    }

    async fn changes(&mut self, conn: Resource<SqliteConn>) -> u64 {
        self.conn(&conn).map_or(0, |c| c.changes())
    }

    async fn drop(&mut self, rep: Resource<SqliteConn>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl v2::HostConnection for RequestState {
    async fn open(&mut self, database: String) -> Result<Resource<SqliteConn>, v2::Error> {
        Ok(self.sql_open(&database)?)
    }

    async fn execute(
        &mut self,
        conn: Resource<SqliteConn>,
        statement: String,
        parameters: Vec<v2::Value>,
    ) -> Result<v2::QueryResult, v2::Error> {
        let params = parameters.into_iter().map(v2::Value::into_sql).collect();
        Ok(self.sql_execute(&conn, statement, params).await?.into())
    }

    async fn drop(&mut self, rep: Resource<SqliteConn>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}
