//! Table owners. Each module owns its tables; other code goes through its functions.

pub mod acks;
pub mod cases;
pub mod centres;
pub mod events;
pub mod incidents;
pub mod officer_activities;
pub mod officers;
pub mod outbox;
pub mod rate_limits;
pub mod registry;
pub mod reminders;
pub mod scoring;
