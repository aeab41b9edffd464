//! Table owners. Each module owns its tables; other code goes through its functions.

pub mod events;
pub mod incidents;
pub mod outbox;
pub mod registry;

/// Every schema migration, by name, in the order applied. Append new ones at the end (named
/// `NNNN-owner`); never edit or reorder one that has shipped.
pub const MIGRATIONS: &[(&str, &[&str])] = &[
    ("0001-registry", registry::SCHEMA),
    ("0001-events", events::SCHEMA),
    ("0001-incidents", incidents::SCHEMA),
    ("0001-outbox", outbox::SCHEMA),
];
