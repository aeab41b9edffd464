-- Enrolment has a life: a hospital stay suspends monitoring (with a reason and an expected
-- return), unenrolment ends it (the record is kept for its retention period, not deleted), and
-- a device can be retired (its secret stops working at once). Every change is audited: who, when,
-- which fields, never their values.
ALTER TABLE residents ADD COLUMN status TEXT NOT NULL DEFAULT 'active';

ALTER TABLE residents ADD COLUMN status_reason TEXT;

ALTER TABLE residents ADD COLUMN status_until INTEGER;

ALTER TABLE residents ADD COLUMN status_changed_at INTEGER;

ALTER TABLE devices ADD COLUMN retired_at INTEGER;

CREATE TABLE IF NOT EXISTS resident_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resident_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    by_staff TEXT NOT NULL,
    action TEXT NOT NULL,
    fields TEXT NOT NULL,
    note TEXT
);

CREATE INDEX IF NOT EXISTS resident_changes_resident ON resident_changes(resident_id, at);
