//! Table owners. Each module owns its tables; other code goes through its functions.

pub mod cases;
pub mod events;
pub mod incidents;
pub mod officer_activities;
pub mod officers;
pub mod outbox;
pub mod rate_limits;
pub mod registry;
pub mod reminders;
pub mod scoring;

/// Every schema migration, by name, in the order applied. Append new ones at the end (named
/// `NNNN-owner`); never edit or reorder one that has shipped.
pub const MIGRATIONS: &[(&str, &[&str])] = &[
    ("0001-registry", registry::SCHEMA),
    ("0001-events", events::SCHEMA),
    ("0001-incidents", incidents::SCHEMA),
    ("0001-outbox", outbox::SCHEMA),
    ("0002-officers", officers::SCHEMA),
    ("0002-officer-activities", officer_activities::SCHEMA),
    ("0002-rate-limits", rate_limits::SCHEMA),
    ("0002-cases", cases::SCHEMA),
    ("0002-scoring", scoring::SCHEMA),
    ("0003-cases-follow-up", cases::FOLLOW_UP_SCHEMA),
    ("0002-reminders", reminders::SCHEMA),
    ("0004-events-touch", events::TOUCH_SCHEMA),
    ("0005-scoring-sparse", scoring::SPARSE_SCHEMA),
];
