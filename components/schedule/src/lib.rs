//! Safety Net care-reminder schedules: RFC 5545 recurrence (RRULE with DTSTART, COUNT/UNTIL,
//! BYDAY, BYHOUR/BYMINUTE, INTERVAL, EXDATE) in the resident's time zone (default Asia/Seoul),
//! occurrences in a window, the next occurrence, pending/due/taken/late/missed, and adherence by
//! ISO week.
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

pub use recurrence::{compile, iso_week, parse_tz, Compiled, Recurrence, RuleError, DEFAULT_TZ};
pub use status::{adherence, classify, Adherence, Outcome, Status, WeekAdherence};

/// The WIT export; only the Wasm build has it.
#[cfg(target_arch = "wasm32")]
mod component;
