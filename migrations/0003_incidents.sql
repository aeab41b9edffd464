CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    dong TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    last_event_at INTEGER NOT NULL,
    event_count INTEGER NOT NULL DEFAULT 1,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    closed_at INTEGER,
    closed_by TEXT,
    outcome TEXT,
    dispatch_failed INTEGER NOT NULL DEFAULT 0,
    open_key TEXT UNIQUE
);

CREATE INDEX IF NOT EXISTS incidents_state ON incidents(state, opened_at);

CREATE INDEX IF NOT EXISTS incidents_dong ON incidents(dong, opened_at);

CREATE TABLE IF NOT EXISTS incident_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT
);

CREATE INDEX IF NOT EXISTS incident_log_incident ON incident_log(incident_id);

CREATE TABLE IF NOT EXISTS escalations (
    incident_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    fired_at INTEGER,
    PRIMARY KEY (incident_id, step)
);

CREATE INDEX IF NOT EXISTS escalations_due ON escalations(state, due_at);
