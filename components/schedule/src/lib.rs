//! Safety Net care-reminder schedules: RFC 5545 recurrence (RRULE with DTSTART, COUNT/UNTIL,
//! BYDAY, BYHOUR/BYMINUTE, INTERVAL, EXDATE) in the resident's time zone (default Asia/Seoul),
//! occurrences in a window, the next occurrence, pending/due/taken/late/missed, adherence by
//! ISO week, and when a run of missed reminders calls for escalation.
//!
//! Pure logic, no I/O: `now` is always an argument (unix ms). Built for `wasm32-wasip2` it is
//! the component exporting `safetynet:schedule/schedule` (see `wit/schedule/schedule.wit`), which
//! functions/reminders imports; built natively it is a plain library with the same logic.
//!
//! ```
//! use safetynet_schedule::{compile, Recurrence};
//!
//! let r = Recurrence { rule: "DTSTART:20261126T090000\nRRULE:FREQ=DAILY;COUNT=2".into(), ..Default::default() };
//! let c = compile(&r).unwrap();
//! // 09:00 in Seoul is 00:00 UTC.
//! assert_eq!(c.between(0, i64::MAX / 2, 10), [1_795_651_200_000, 1_795_737_600_000]);
//! ```

pub mod recurrence;
pub mod status;
pub mod streak;

pub use recurrence::{Compiled, DEFAULT_TZ, Recurrence, RuleError, compile, iso_week, parse_tz};
pub use status::{Adherence, Outcome, Status, WeekAdherence, adherence, classify};
pub use streak::{StreakEntry, missed_streak};

/// The WIT export; only the Wasm build has it.
#[cfg(target_arch = "wasm32")]
mod component;
