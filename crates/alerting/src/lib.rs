//! The alert pipeline: how anything the suite notices becomes an incident, notifications and
//! an escalation ladder, and how those reach 119 and caregivers.
//!
//! - [`raise`] is the one way an incident is opened or joined (device events, the tick's
//!   inactivity and offline checks, missed reminders, officers' crisis reports all call it);
//! - [`routing_client`] asks the routing policy component who is told and how fast ("routing"
//!   here means who is notified, not HTTP routing);
//! - [`notify`] turns a plan into outbox rows, [`delivery`] sends them;
//! - [`events`], [`incidents`], [`outbox`] and [`acks`] own their tables.
#![cfg(target_arch = "wasm32")]

pub mod acks;
mod deadline;
pub mod delivery;
pub mod events;
pub mod incidents;
pub mod notify;
pub mod outbox;
mod raise;
pub mod routing_client;

pub use raise::{Alert, Raised, raise};
