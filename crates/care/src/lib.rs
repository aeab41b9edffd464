//! Owner of `reminder_schedules`, `reminder_deliveries` and `checkins` (the `reminders`
//! function; device-events records acknowledgements and check-in answers through here).
//!
//! A schedule keeps `next_at`, its next occurrence not yet handled, so the due feed reads only
//! schedules with `next_at <= now` (an index range) instead of expanding every rule. A delivery
//! is one occurrence, keyed `<schedule id>@<occurs_at ms>`: the PRIMARY KEY makes claiming
//! idempotent, so two polls can never hand out one occurrence twice.

pub mod crisis;

#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
pub use store::*;
