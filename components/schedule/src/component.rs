//! The `safetynet:schedule/schedule` export: converts WIT values to the crate's Rust types and back,
//! so the Wasm component and native callers share one implementation.

wit_bindgen::generate!({
    path: "../../wit/schedule",
    world: "component",
});

use exports::safetynet::schedule::schedule as wit;

use crate::{recurrence, status, streak};

struct Schedule;

fn rec(r: wit::Recurrence) -> recurrence::Recurrence {
    recurrence::Recurrence {
        rule: r.rule,
        tz: r.tz,
        start: r.start,
        end: r.end,
    }
}

fn err(e: recurrence::RuleError) -> wit::RuleError {
    wit::RuleError {
        field: e.field.to_string(),
        message: e.message,
    }
}

impl wit::Guest for Schedule {
    fn validate(r: wit::Recurrence) -> Result<(), wit::RuleError> {
        recurrence::compile(&rec(r)).map(|_| ()).map_err(err)
    }

    fn occurrences(
        r: wit::Recurrence,
        from: i64,
        to: i64,
        limit: u32,
    ) -> Result<Vec<i64>, wit::RuleError> {
        let c = recurrence::compile(&rec(r)).map_err(err)?;
        Ok(c.between(from, to, limit as usize))
    }

    fn next_after(r: wit::Recurrence, t: i64) -> Result<Option<i64>, wit::RuleError> {
        let c = recurrence::compile(&rec(r)).map_err(err)?;
        Ok(c.next_after(t))
    }

    fn classify(
        occurs_at: i64,
        grace_minutes: u32,
        acked_at: Option<i64>,
        now: i64,
    ) -> wit::Status {
        match status::classify(occurs_at, grace_minutes, acked_at, now) {
            status::Status::Pending => wit::Status::Pending,
            status::Status::Due => wit::Status::Due,
            status::Status::Taken => wit::Status::Taken,
            status::Status::Late => wit::Status::Late,
            status::Status::Missed => wit::Status::Missed,
        }
    }

    fn adherence(
        outcomes: Vec<wit::Outcome>,
        tz: String,
        now: i64,
    ) -> Result<wit::AdherenceReport, wit::RuleError> {
        let outcomes: Vec<status::Outcome> = outcomes
            .into_iter()
            .map(|o| status::Outcome {
                occurs_at: o.occurs_at,
                grace_minutes: o.grace_minutes,
                acked_at: o.acked_at,
            })
            .collect();
        let a = status::adherence(&outcomes, &tz, now).map_err(err)?;
        Ok(wit::AdherenceReport {
            taken: a.taken,
            late: a.late,
            missed: a.missed,
            open: a.open,
            weeks: a
                .weeks
                .into_iter()
                .map(|w| wit::WeekAdherence {
                    week: w.week,
                    taken: w.taken,
                    late: w.late,
                    missed: w.missed,
                })
                .collect(),
        })
    }

    fn missed_streak(
        latest: Vec<wit::StreakEntry>,
        misses_to_escalate: u32,
    ) -> Option<Vec<String>> {
        let latest: Vec<streak::StreakEntry> = latest
            .into_iter()
            .map(|e| streak::StreakEntry {
                id: e.id,
                delivered: e.delivered,
                missed: e.missed,
                escalated: e.escalated,
            })
            .collect();
        streak::missed_streak(&latest, misses_to_escalate)
    }
}

export!(Schedule);
