-- Who read which person's record, when, in which role, and whether it was allowed. Written by
-- every function that shows a resident, an incident, a crisis case or an officer to a person;
-- never changed or deleted through the suite (the triggers refuse it).
CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    staff_id TEXT NOT NULL,
    role TEXT NOT NULL,
    subject TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    dong TEXT,
    outcome TEXT NOT NULL
);

CREATE INDEX access_log_by_subject ON access_log (subject, subject_id, at);

CREATE INDEX access_log_by_staff ON access_log (staff_id, at);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
