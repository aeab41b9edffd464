//! Safety Net recognition: which of an honorary welfare officer's logged hours count, the badges
//! their record has earned, and who the year's award candidates are.
//!
//! Pure logic, no I/O: "today" comes in as an argument. Built for `wasm32-wasip2` it is the
//! component exporting `safetynet:recognition/recognition` (see `wit/recognition/recognition.wit`); built natively
//! it is a plain library. The rules are data (`rules.json`), so a city changes thresholds and
//! awards without a rebuild.
//!
//! ```
//! use safetynet_recognition::{earned_badges, OfficerTotals, Rules};
//!
//! let totals = OfficerTotals { officer_id: "off-1".into(), approved_minutes: 12 * 60, crisis_reports: 0 };
//! let badges = earned_badges(&totals, Rules::builtin());
//! assert_eq!(badges[0].id, "hours-10");
//! ```

pub mod awards;
pub mod badges;
pub mod date;
pub mod hours;
pub mod rules;
pub mod types;

pub use awards::award_candidates;
pub use badges::earned_badges;
pub use hours::check_activity;
pub use rules::{Award, BadgeRule, Rules, Weights};
pub use types::{
    ActivityEntry, ActivityKind, AwardCandidate, Badge, OfficerTotals, Violation, YearRecord,
};

/// The WIT export; only the Wasm build has it.
#[cfg(target_arch = "wasm32")]
mod component;
