-- Follow-up of cases: cycles, scores, statuses with service and agency, dated notes.

ALTER TABLE cases ADD COLUMN cycle TEXT;

ALTER TABLE cases ADD COLUMN run_id TEXT;

ALTER TABLE cases ADD COLUMN score REAL;

ALTER TABLE cases ADD COLUMN band TEXT;

ALTER TABLE cases ADD COLUMN service TEXT;

ALTER TABLE cases ADD COLUMN agency TEXT;

ALTER TABLE cases ADD COLUMN closed_at INTEGER;

CREATE INDEX IF NOT EXISTS cases_cycle ON cases(cycle, dong, status);

CREATE INDEX IF NOT EXISTS cases_household ON cases(household_ref, status);

CREATE TABLE IF NOT EXISTS case_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES cases(id),
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    service TEXT,
    agency TEXT,
    note TEXT,
    by_staff TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS case_notes_case ON case_notes(case_id, id);
