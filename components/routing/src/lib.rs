//! Safety Net routing: turns a device event into who is told, how fast, and what happens when
//! nobody answers.
//!
//! Pure logic, no I/O: time comes in as an argument (unix ms). Built for `wasm32-wasip2` it is
//! the component exporting `safetynet:routing/routing` (see `wit/routing/routing.wit`), which functions
//! import; built natively it is a plain library, so native code and tests run the same logic.
//!
//! ```
//! use safetynet_routing::{plan_event, Channel, DeviceEvent, EventKind, Policy, ResidentProfile, Eligibility};
//!
//! let event = DeviceEvent { event_id: "e1".into(), device_id: "d1".into(), kind: EventKind::Fire, occurred_at: 0 };
//! let resident = ResidentProfile {
//!     resident_id: "r1".into(), eligibility: Eligibility::ElderlyAlone, dong: "samsan-dong".into(),
//!     contacts: vec![], inactivity_threshold_minutes: 720,
//! };
//! let plan = plan_event(&event, &resident, 1_000, Policy::builtin());
//! assert_eq!(plan.immediate[0].channel, Channel::Dispatch119);
//! ```

pub mod plan;
pub mod policy;
pub mod types;

pub use plan::plan_event;
pub use policy::{
    ContactPick, MAX_DELAY_MINUTES, MAX_REPEATS, NEVER_RESTORED, POLICY_VERSION, Policy,
    QuietHours, Repeat, Rule, Rung, Target,
};
pub use types::{
    Channel, Contact, DeviceEvent, Eligibility, EscalationStep, EventKind, Notification, Plan,
    ResidentProfile, RestoreAction, Severity,
};

/// The WIT export; only the Wasm build has it.
#[cfg(target_arch = "wasm32")]
mod component;
