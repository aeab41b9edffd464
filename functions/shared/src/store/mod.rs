//! Table owners. Each module owns its tables; other code goes through its functions.

pub mod events;
pub mod incidents;
pub mod outbox;
pub mod registry;
