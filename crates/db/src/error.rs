//! What storage can fail with, in storage's own words; the HTTP edge decides the status.

use std::fmt;

/// Why a storage call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The database refused or failed (I/O, locks, SQL errors, a failed migration).
    Database(String),
    /// The record asked for does not exist; the text names it ("no incident …").
    NotFound(String),
    /// The write contradicts what is stored (a duplicate, a closed incident).
    Conflict {
        /// The request field whose value collides, when there is one.
        field: Option<&'static str>,
        /// What collides, for the caller.
        message: String,
    },
    /// The record exists but lies outside the caller's [`crate::Scope`] (another dong).
    OutOfScope,
    /// Stored data or an argument broke an invariant the code relies on: a bug, not bad input.
    Internal(String),
}

impl StoreError {
    /// A conflict not tied to one request field.
    pub fn conflict(message: impl Into<String>) -> Self {
        StoreError::Conflict {
            field: None,
            message: message.into(),
        }
    }

    /// A conflict on `field`, e.g. an id already used by another record.
    pub fn conflict_on(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Conflict {
            field: Some(field),
            message: message.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Database(m) => write!(f, "database: {m}"),
            StoreError::NotFound(m) | StoreError::Internal(m) => f.write_str(m),
            StoreError::Conflict { message, .. } => f.write_str(message),
            StoreError::OutOfScope => f.write_str("this record belongs to another dong"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;
