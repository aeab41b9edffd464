//! The suite's database: one SQLite database (`default`) shared by every function.
//!
//! This crate knows tables only as SQL: it opens the connection, applies the migration list it
//! is given, runs transactions and reads rows by column name. Domain crates own their tables and
//! queries; they return [`StoreError`], which the HTTP edge maps to a status once. The query scope
//! of a caller ([`Scope`]) lives here too, so queries narrow by dong without knowing who asked.

mod error;
mod migration;
mod scope;

pub use error::{StoreError, StoreResult};
pub use migration::{Migration, PersonalColumns, split_statements};
pub use scope::{DongFilter, Scope};

#[cfg(target_arch = "wasm32")]
mod connection;
#[cfg(target_arch = "wasm32")]
pub use connection::*;
#[cfg(target_arch = "wasm32")]
mod personal;
#[cfg(target_arch = "wasm32")]
pub use personal::{ResealCursor, Resealed};
