CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    household_ref TEXT NOT NULL,
    dong TEXT NOT NULL,
    source TEXT NOT NULL,
    summary TEXT NOT NULL,
    urgency TEXT NOT NULL,
    reporter_id TEXT,
    status TEXT NOT NULL DEFAULT 'new',
    incident_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS cases_dong ON cases(dong, status, created_at);
