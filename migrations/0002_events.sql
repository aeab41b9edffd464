CREATE TABLE IF NOT EXISTS device_events (
    event_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    sequence INTEGER,
    data TEXT NOT NULL,
    incident_id TEXT,
    response TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS device_events_incident ON device_events(incident_id);
