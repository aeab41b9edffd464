//! The suite's one database schema, as numbered SQL files in this folder, applied in the order
//! of [`ALL`]. A migration is never edited once it has shipped: a change is a new file.
//!
//! Databases written before the files existed recorded the same migrations under other names
//! (`0001-registry`, …); they are recognised by `PRAGMA user_version`, the count applied, which
//! has always equalled the length of this list at the time (the list only ever grew at its end).

pub use safetynet_db::{Migration, PersonalColumns};

macro_rules! migrations {
    ($($name:literal),* $(,)?) => {
        &[$(Migration { name: $name, sql: include_str!(concat!("../", $name, ".sql")) }),*]
    };
}

/// Every migration, oldest first.
pub const ALL: &[Migration] = migrations![
    "0001_registry",
    "0002_events",
    "0003_incidents",
    "0004_outbox",
    "0005_officers",
    "0006_officer_activities",
    "0007_rate_limits",
    "0008_cases",
    "0009_scoring",
    "0010_cases_follow_up",
    "0011_reminders",
    "0012_events_touch",
    "0013_scoring_sparse",
    "0014_outbox_claims",
    "0015_dispatch_updates",
    "0016_caregiver_acks",
    "0017_resident_lifecycle",
    "0018_enrolment_end_warnings",
    "0019_welfare_centres",
    "0020_token_lifecycle",
    "0021_access_log",
    "0022_retention",
    "0023_device_event_rate",
    "0024_staff_sign_in",
    "0025_device_dc09_keys",
];

/// The schema's personal columns: sealed at rest, or holding keyed phone hashes. Every store
/// of these tables seals and opens them; re-sealing under a new key walks this list.
pub const PERSONAL_DATA: &[PersonalColumns] = &[
    PersonalColumns {
        table: "residents",
        key: "id",
        integer_key: false,
        sealed: &["phone", "address", "latitude", "longitude", "medical_notes"],
        phone_hashes: &[],
    },
    PersonalColumns {
        table: "contacts",
        key: "id",
        integer_key: false,
        sealed: &["phone"],
        phone_hashes: &[],
    },
    PersonalColumns {
        table: "checkins",
        key: "event_id",
        integer_key: false,
        sealed: &["said"],
        phone_hashes: &[],
    },
    PersonalColumns {
        table: "reminder_schedules",
        key: "id",
        integer_key: false,
        sealed: &["medication_name", "dose", "text"],
        phone_hashes: &[],
    },
    PersonalColumns {
        table: "device_events",
        key: "event_id",
        integer_key: false,
        sealed: &["data"],
        phone_hashes: &[],
    },
    PersonalColumns {
        table: "outbox",
        key: "id",
        integer_key: false,
        sealed: &["payload"],
        phone_hashes: &[],
    },
    PersonalColumns {
        table: "ack_codes",
        key: "code",
        integer_key: false,
        sealed: &[],
        phone_hashes: &["phone_digits"],
    },
    PersonalColumns {
        table: "sms_replies",
        key: "id",
        integer_key: true,
        sealed: &["from_digits", "body"],
        phone_hashes: &[],
    },
    PersonalColumns {
        table: "officer_applications",
        key: "id",
        integer_key: false,
        sealed: &["phone", "address"],
        phone_hashes: &["phone_digits"],
    },
    PersonalColumns {
        table: "officers",
        key: "id",
        integer_key: false,
        sealed: &["phone", "address"],
        phone_hashes: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_file_stems_in_order_and_unique() {
        for (i, m) in ALL.iter().enumerate() {
            assert!(
                m.name.starts_with(&format!("{:04}_", i + 1)),
                "{} is number {}",
                m.name,
                i + 1
            );
        }
    }

    /// Every migration, statement by statement as the functions run them, builds a schema
    /// SQLite accepts.
    #[test]
    fn every_migration_applies_statement_by_statement() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        for m in ALL {
            for s in m.statements() {
                db.execute(s, [])
                    .unwrap_or_else(|e| panic!("{}: {e}\n{s}", m.name));
            }
        }
        let tables: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(tables >= 20, "{tables} tables");
        let triggers: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(triggers, 3);
    }

    /// Every personal column the list names exists, so re-sealing cannot miss one by a typo.
    #[test]
    fn personal_columns_name_real_columns() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        for m in ALL {
            for s in m.statements() {
                db.execute(s, []).unwrap();
            }
        }
        for t in PERSONAL_DATA {
            let mut st = db
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    t.table
                ))
                .unwrap();
            let cols: Vec<String> = st
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            for c in std::iter::once(&t.key)
                .chain(t.sealed)
                .chain(t.phone_hashes)
            {
                assert!(
                    cols.iter().any(|x| x == c),
                    "{}.{c} is not a column",
                    t.table
                );
            }
        }
    }

    /// The access log keeps what it was given: rows cannot be changed or removed.
    #[test]
    fn the_access_log_is_append_only() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        for m in ALL {
            for s in m.statements() {
                db.execute(s, []).unwrap();
            }
        }
        db.execute(
            "INSERT INTO access_log (at, staff_id, role, subject, subject_id, dong, outcome)
             VALUES (1, 'stf-1', 'welfare-centre', 'resident', 'res-1', 'samsan-dong', 'read')",
            [],
        )
        .unwrap();
        let update = db.execute("UPDATE access_log SET outcome = 'denied'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = db.execute("DELETE FROM access_log", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        let n: i64 = db
            .query_row("SELECT COUNT(*) FROM access_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}
