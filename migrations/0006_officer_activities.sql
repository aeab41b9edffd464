CREATE TABLE IF NOT EXISTS officer_activities (
    id TEXT PRIMARY KEY,
    officer_id TEXT NOT NULL,
    dong TEXT NOT NULL,
    date TEXT NOT NULL,
    start_minute INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    kind TEXT NOT NULL,
    note TEXT,
    state TEXT NOT NULL DEFAULT 'submitted',
    submitted_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT,
    return_reason TEXT
);

CREATE INDEX IF NOT EXISTS officer_activities_officer ON officer_activities(officer_id, date);

CREATE INDEX IF NOT EXISTS officer_activities_queue ON officer_activities(dong, state, date);
